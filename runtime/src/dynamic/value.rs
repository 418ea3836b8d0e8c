//! The value tree of a record read without its type: [`Object`] (an id and its fields
//! by stored name) and [`AnyValue`] (one field's value, nested for lists and embedded
//! structs).
//!
//! Nothing is lost on the way: integers keep their stored width and sign, floats keep
//! their bits (NaN payloads and `-0.0` included), bytes stay bytes and enums keep their
//! variant's stored name, so a writer of another format (JSON) can be written over the
//! tree and read back to the same records.

use crate::Id;
use std::fmt;

/// One stored object: its id and its stored fields, in slot order (sorted by stored
/// name), each by its stored name.
///
/// ```
/// use insula::dynamic::{Object, AnyValue};
///
/// let object = Object {
///     id: 7,
///     fields: vec![
///         ("author".into(), AnyValue::from("ada")),
///         ("place".into(), AnyValue::Embedded(vec![("city".into(), AnyValue::from("Paris"))])),
///     ],
/// };
/// assert_eq!(object.get("author"), Some(&AnyValue::from("ada")));
/// assert_eq!(object.path("place.city"), Some(&AnyValue::from("Paris")));
/// assert_eq!(object.to_string(), r#"#7 { author: "ada", place: { city: "Paris" } }"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The id the object is stored under.
    pub id: Id,
    /// The stored fields, in slot order.
    pub fields: Vec<(String, AnyValue)>,
}

/// The value of one stored field.
///
/// Two values are equal when they are the same stored value: floats compare by their
/// bits, so a NaN equals itself and `-0.0` differs from `0.0` (filters compare
/// numbers by value instead, see [`crate::dynamic::Filter`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyValue {
    /// An `Option` field that holds `None`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `u8`.
    U8(u8),
    /// `u16`.
    U16(u16),
    /// `u32`.
    U32(u32),
    /// `u64` (an id too).
    U64(u64),
    /// `i8`.
    I8(i8),
    /// `i16`.
    I16(i16),
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
    /// `String`.
    String(String),
    /// `Vec<u8>`.
    Bytes(Vec<u8>),
    /// `SystemTime`: written as RFC 3339 in UTC (`2024-05-01T12:30:00.25Z`).
    Timestamp(std::time::SystemTime),
    /// `Duration`: written as ISO 8601 seconds (`PT90.5S`).
    Duration(std::time::Duration),
    /// A calendar date, as days since 1970-01-01: written as ISO 8601 (`2024-05-01`).
    Date(i32),
    /// A UUID's 16 bytes: written hyphenated, in lowercase.
    Uuid([u8; 16]),
    /// `Vec<T>` of any other element type.
    List(Vec<AnyValue>),
    /// An enum that derives `Enumerated`: the stored name of its variant.
    Enum(String),
    /// A struct that derives `Embedded`: its stored fields, in slot order.
    Embedded(Vec<(String, AnyValue)>),
}

/// The field called `name` among `fields`.
fn field<'v>(fields: &'v [(String, AnyValue)], name: &str) -> Option<&'v AnyValue> {
    fields.iter().find(|(field, _)| field == name).map(|(_, value)| value)
}

/// The value at `path` (stored names joined by `.`) among `fields`. A path through an
/// embedded field that is `None` reads as [`AnyValue::Null`].
fn at_path<'v>(fields: &'v [(String, AnyValue)], path: &str) -> Option<&'v AnyValue> {
    let (first, rest) = match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    let value = field(fields, first)?;
    match (rest, value) {
        (None, value) => Some(value),
        (Some(rest), AnyValue::Embedded(fields)) => at_path(fields, rest),
        (Some(_), AnyValue::Null) => Some(&AnyValue::Null),
        (Some(_), _) => None,
    }
}

impl Object {
    /// The stored field called `name`, if the object has one (the id is not a field:
    /// see [`Object::id`]).
    pub fn get(&self, name: &str) -> Option<&AnyValue> {
        field(&self.fields, name)
    }

    /// The value at `path`: stored field names joined by `.`, into embedded structs
    /// (`"place.city"`). A path through an embedded field that is `None` reads as
    /// [`AnyValue::Null`]; a path the object lacks reads as `None`.
    pub fn path(&self, path: &str) -> Option<&AnyValue> {
        at_path(&self.fields, path)
    }
}

impl AnyValue {
    /// The field called `name` of an embedded value; `None` for any other value.
    pub fn get(&self, name: &str) -> Option<&AnyValue> {
        match self {
            AnyValue::Embedded(fields) => field(fields, name),
            _ => None,
        }
    }

    /// How this value compares with `other`, as filters and typed queries compare:
    /// numbers by value across widths, strings and bytes byte-wise, enums by variant
    /// name, `Null` first; `None` for values that do not compare (a string and a number,
    /// lists, embedded structs).
    pub fn compare(&self, other: &AnyValue) -> Option<std::cmp::Ordering> {
        super::filter::compare(self, other)
    }

    /// Whether this is [`AnyValue::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, AnyValue::Null)
    }
}

impl PartialEq for AnyValue {
    fn eq(&self, other: &AnyValue) -> bool {
        use AnyValue::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (U8(a), U8(b)) => a == b,
            (U16(a), U16(b)) => a == b,
            (U32(a), U32(b)) => a == b,
            (U64(a), U64(b)) => a == b,
            (I8(a), I8(b)) => a == b,
            (I16(a), I16(b)) => a == b,
            (I32(a), I32(b)) => a == b,
            (I64(a), I64(b)) => a == b,
            (F32(a), F32(b)) => a.to_bits() == b.to_bits(),
            (F64(a), F64(b)) => a.to_bits() == b.to_bits(),
            (String(a), String(b)) | (Enum(a), Enum(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Timestamp(a), Timestamp(b)) => a == b,
            (Duration(a), Duration(b)) => a == b,
            (Date(a), Date(b)) => a == b,
            (Uuid(a), Uuid(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Embedded(a), Embedded(b)) => a == b,
            _ => false,
        }
    }
}

macro_rules! from_scalar {
    ($($rust:ty => $variant:ident),* $(,)?) => {$(
        impl From<$rust> for AnyValue {
            fn from(value: $rust) -> AnyValue {
                AnyValue::$variant(value)
            }
        }
    )*};
}

from_scalar! {
    bool => Bool, u8 => U8, u16 => U16, u32 => U32, u64 => U64, i8 => I8, i16 => I16,
    i32 => I32, i64 => I64, f32 => F32, f64 => F64, String => String, Vec<u8> => Bytes,
    std::time::SystemTime => Timestamp, std::time::Duration => Duration,
}

impl From<&str> for AnyValue {
    fn from(value: &str) -> AnyValue {
        AnyValue::String(value.to_owned())
    }
}

impl From<&[u8]> for AnyValue {
    fn from(value: &[u8]) -> AnyValue {
        AnyValue::Bytes(value.to_vec())
    }
}

impl<T: Into<AnyValue>> From<Option<T>> for AnyValue {
    fn from(value: Option<T>) -> AnyValue {
        value.map_or(AnyValue::Null, Into::into)
    }
}

/// Writes `fields` as `{ name: value, .. }`.
fn write_fields(f: &mut fmt::Formatter<'_>, fields: &[(String, AnyValue)]) -> fmt::Result {
    if fields.is_empty() {
        return f.write_str("{}");
    }
    f.write_str("{ ")?;
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{name}: {value}")?;
    }
    f.write_str(" }")
}

/// A short form for people: strings quoted and escaped, bytes as `0x` and hex, floats
/// as Rust writes them (`NaN`, `inf`), enums by their variant's name, embedded values
/// as `{ field: value }`.
impl fmt::Display for AnyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyValue::Null => f.write_str("null"),
            AnyValue::Bool(value) => write!(f, "{value}"),
            AnyValue::U8(value) => write!(f, "{value}"),
            AnyValue::U16(value) => write!(f, "{value}"),
            AnyValue::U32(value) => write!(f, "{value}"),
            AnyValue::U64(value) => write!(f, "{value}"),
            AnyValue::I8(value) => write!(f, "{value}"),
            AnyValue::I16(value) => write!(f, "{value}"),
            AnyValue::I32(value) => write!(f, "{value}"),
            AnyValue::I64(value) => write!(f, "{value}"),
            AnyValue::F32(value) => write!(f, "{value:?}"),
            AnyValue::F64(value) => write!(f, "{value:?}"),
            AnyValue::String(value) => write!(f, "{value:?}"),
            AnyValue::Bytes(bytes) => {
                f.write_str("0x")?;
                bytes.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
            }
            AnyValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            AnyValue::Timestamp(time) => f.write_str(&super::time::rfc3339(*time)),
            AnyValue::Duration(span) => f.write_str(&super::time::iso_duration(*span)),
            AnyValue::Date(days) => f.write_str(&super::time::iso_date(*days)),
            AnyValue::Uuid(bytes) => f.write_str(&super::time::hyphenated(bytes)),
            AnyValue::Enum(variant) => f.write_str(variant),
            AnyValue::Embedded(fields) => write_fields(f, fields),
        }
    }
}

/// `#id { field: value, .. }`.
impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} ", self.id)?;
        write_fields(f, &self.fields)
    }
}
