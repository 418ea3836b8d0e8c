//! Writing objects as JSON: an array, or one object per line (NDJSON), streamed to any
//! `io::Write`.

use crate::Id;
use crate::dynamic::AnyValue;
use std::io::{self, Write};

/// Writes objects one after another as a JSON array or as NDJSON, in the mapping of
/// [`insula::json`](crate::json): what the exports write, for a tool that gathers its
/// objects itself (sorted, say).
///
/// ```
/// use insula::dynamic::{AnyValue, Object};
///
/// let object = Object { id: 3, fields: vec![("name".into(), AnyValue::from("ada"))] };
/// let mut out = Vec::new();
/// let mut writer = insula::json::Writer::new(&mut out, true)?;
/// writer.write_object("id", &object)?;
/// assert_eq!(writer.finish()?, 1);
/// assert_eq!(out, b"{\"id\":3,\"name\":\"ada\"}\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Writer<W: Write> {
    out: io::BufWriter<W>,
    lines: bool,
    count: u64,
}

impl<W: Write> std::fmt::Debug for Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("lines", &self.lines)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Writer<W> {
    /// Starts the output: an array's `[`, or nothing for NDJSON (`lines`).
    pub fn new(out: W, lines: bool) -> io::Result<Self> {
        let mut out = io::BufWriter::with_capacity(64 * 1024, out);
        if !lines {
            out.write_all(b"[")?;
        }
        Ok(Writer { out, lines, count: 0 })
    }

    /// Writes one object: its id under `id_name`, then its fields.
    pub(crate) fn object<'v>(
        &mut self,
        id_name: &str,
        id: Id,
        fields: impl IntoIterator<Item = (&'v str, &'v AnyValue)>,
    ) -> io::Result<()> {
        let out = &mut self.out;
        if !self.lines {
            out.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        }
        out.write_all(b"{")?;
        write_string(out, id_name)?;
        write!(out, ":{id}")?;
        for (name, value) in fields {
            out.write_all(b",")?;
            write_string(out, name)?;
            out.write_all(b":")?;
            write_value(out, value)?;
        }
        out.write_all(b"}")?;
        if self.lines {
            out.write_all(b"\n")?;
        }
        self.count += 1;
        Ok(())
    }

    /// Writes `object`, its id under `id_name` (the schema's id field).
    pub fn write_object(&mut self, id_name: &str, object: &crate::dynamic::Object) -> io::Result<()> {
        self.object(id_name, object.id, object.fields.iter().map(|(name, value)| (name.as_str(), value)))
    }

    /// Ends the output and flushes it; returns how many objects were written.
    pub fn finish(mut self) -> io::Result<u64> {
        if !self.lines {
            self.out.write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// Writes `value` as JSON, in the mapping of [`insula::json`](crate::json).
pub fn write_value(out: &mut impl Write, value: &AnyValue) -> io::Result<()> {
    match value {
        AnyValue::Null => out.write_all(b"null"),
        AnyValue::Bool(value) => out.write_all(if *value { b"true" } else { b"false" }),
        AnyValue::U8(value) => write!(out, "{value}"),
        AnyValue::U16(value) => write!(out, "{value}"),
        AnyValue::U32(value) => write!(out, "{value}"),
        AnyValue::U64(value) => write!(out, "{value}"),
        AnyValue::I8(value) => write!(out, "{value}"),
        AnyValue::I16(value) => write!(out, "{value}"),
        AnyValue::I32(value) => write!(out, "{value}"),
        AnyValue::I64(value) => write!(out, "{value}"),
        AnyValue::F32(value) => write_float(out, value.is_finite(), *value, f64::from(*value)),
        AnyValue::F64(value) => write_float(out, value.is_finite(), *value, *value),
        AnyValue::String(value) => write_string(out, value),
        AnyValue::Enum(variant) => write_string(out, variant),
        AnyValue::Timestamp(_) | AnyValue::Duration(_) | AnyValue::Date(_) | AnyValue::Uuid(_) => {
            write_string(out, &value.to_string())
        }
        AnyValue::Bytes(bytes) => {
            out.write_all(b"[")?;
            for (at, byte) in bytes.iter().enumerate() {
                if at > 0 {
                    out.write_all(b",")?;
                }
                write!(out, "{byte}")?;
            }
            out.write_all(b"]")
        }
        AnyValue::List(items) => {
            out.write_all(b"[")?;
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    out.write_all(b",")?;
                }
                write_value(out, item)?;
            }
            out.write_all(b"]")
        }
        AnyValue::Embedded(fields) => {
            out.write_all(b"{")?;
            for (at, (name, value)) in fields.iter().enumerate() {
                if at > 0 {
                    out.write_all(b",")?;
                }
                write_string(out, name)?;
                out.write_all(b":")?;
                write_value(out, value)?;
            }
            out.write_all(b"}")
        }
    }
}

/// A finite float as the shortest decimal that reads back as the same value of its own
/// width (Rust's `Debug`), a non-finite one as the string `"NaN"`, `"Infinity"` or
/// `"-Infinity"`.
fn write_float(out: &mut impl Write, finite: bool, value: impl std::fmt::Debug, wide: f64) -> io::Result<()> {
    if finite {
        write!(out, "{value:?}")
    } else if wide.is_nan() {
        out.write_all(b"\"NaN\"")
    } else if wide > 0.0 {
        out.write_all(b"\"Infinity\"")
    } else {
        out.write_all(b"\"-Infinity\"")
    }
}

/// Writes `text` as a JSON string: `"` and `\` escaped, control characters as `\u00XX`
/// (or their short forms), everything else as it is (JSON is UTF-8).
fn write_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = text.as_bytes();
    let mut plain = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.write_all(&bytes[plain..at])?;
        if escape.is_empty() {
            write!(out, "\\u{byte:04x}")?;
        } else {
            out.write_all(escape)?;
        }
        plain = at + 1;
    }
    out.write_all(&bytes[plain..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &AnyValue) -> String {
        let mut out = Vec::new();
        write_value(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_are_written_exactly() {
        assert_eq!(json(&AnyValue::U64(u64::MAX)), "18446744073709551615");
        assert_eq!(json(&AnyValue::I64(i64::MIN)), "-9223372036854775808");
        assert_eq!(json(&AnyValue::F64(0.1)), "0.1");
        assert_eq!(json(&AnyValue::F32(0.1)), "0.1");
        assert_eq!(json(&AnyValue::F64(-0.0)), "-0.0");
        assert_eq!(json(&AnyValue::F64(1e300)), "1e300");
        assert_eq!(json(&AnyValue::F64(f64::NAN)), "\"NaN\"");
        assert_eq!(json(&AnyValue::F32(f32::NEG_INFINITY)), "\"-Infinity\"");
        assert_eq!(json(&AnyValue::String("a\"b\\c\nd\u{1}é".into())), r#""a\"b\\c\nd\u0001é""#);
        assert_eq!(json(&AnyValue::Bytes(vec![0, 255])), "[0,255]");
        let nested =
            AnyValue::Embedded(vec![("a".into(), AnyValue::Null), ("b".into(), AnyValue::Enum("x".into()))]);
        assert_eq!(json(&AnyValue::List(vec![nested])), r#"[{"a":null,"b":"x"}]"#);
    }
}
