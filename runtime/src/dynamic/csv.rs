//! Objects as CSV (RFC 4180) and as the text of one cell, for exports and tables.

use super::value::{AnyValue, Object};
use crate::schema::SchemaDef;
use crate::{Error, Result};
use std::io::Write;

/// A value as the text of one cell: text as it is, `null` empty, lists, bytes and
/// embedded structs as their JSON ([`insula::json`](crate::json)), other values as
/// [`AnyValue`]'s `Display` writes them.
///
/// ```
/// use insula::dynamic::{AnyValue, cell_text};
///
/// assert_eq!(cell_text(&AnyValue::from("ada")), "ada");
/// assert_eq!(cell_text(&AnyValue::Null), "");
/// assert_eq!(cell_text(&AnyValue::List(vec![AnyValue::U8(1), AnyValue::U8(2)])), "[1,2]");
/// ```
pub fn cell_text(value: &AnyValue) -> String {
    match value {
        AnyValue::Null => String::new(),
        AnyValue::String(text) | AnyValue::Enum(text) => text.clone(),
        AnyValue::List(_) | AnyValue::Bytes(_) | AnyValue::Embedded(_) => {
            let mut json = Vec::new();
            // Writing to a Vec cannot fail.
            let _ = crate::json::write_value(&mut json, value);
            String::from_utf8_lossy(&json).into_owned()
        }
        other => other.to_string(),
    }
}

/// Writes `objects` of a collection of `schema` as CSV (RFC 4180): a header of the id
/// and the fields, then one line each, cells as [`cell_text`] writes them, quoted where
/// they hold a comma, a quote or a line break. Returns how many objects it wrote.
pub fn write_csv(
    mut out: impl Write,
    schema: &SchemaDef,
    objects: impl IntoIterator<Item = Result<Object>>,
) -> Result<u64> {
    let quote = |text: &str| -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    };
    let output = |source| Error::Output { source };
    let header: Vec<String> = std::iter::once(&schema.id)
        .chain(schema.fields.iter().map(|field| &field.name))
        .map(|name| quote(name))
        .collect();
    write!(out, "{}\r\n", header.join(",")).map_err(output)?;
    let mut count = 0;
    for object in objects {
        let object = object?;
        let row: Vec<String> = std::iter::once(object.id.to_string())
            .chain(object.fields.iter().map(|(_, value)| quote(&cell_text(value))))
            .collect();
        write!(out, "{}\r\n", row.join(",")).map_err(output)?;
        count += 1;
    }
    out.flush().map_err(output)?;
    Ok(count)
}
