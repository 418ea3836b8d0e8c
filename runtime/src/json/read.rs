//! Reading objects from JSON: an array of objects, or one object per line (NDJSON),
//! each checked against a collection's schema as it is parsed, so that an error names
//! the line and column where the input goes wrong.

use super::Import;
use crate::dynamic::{AnyValue, RecordPlan};
use crate::schema::{FieldDef, SchemaDef, StoredType};
use crate::{Error, Id, Result};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};

/// One object read from the input: its id if given, and a value for every field of the
/// schema, in slot order (a field the input lacks at its default).
pub(crate) type Parsed = (Option<Id>, Vec<AnyValue>);

/// Reads every object of `input` (an array or NDJSON, told apart by its first
/// character) and hands each to `each`, in order; returns how many. The first error,
/// of the input or of `each`, stops the reading and is returned.
pub(crate) fn read_objects(
    input: impl Read,
    schema: &SchemaDef,
    options: &Import,
    mut each: impl FnMut(Parsed) -> Result<()>,
) -> Result<u64> {
    let plan = RecordPlan::new(&schema.fields).map_err(|reason| Error::CorruptedFile {
        path: Default::default(),
        reason: format!("the schema of `{}`: {reason}", schema.name),
    })?;
    let object =
        ObjectSeed { fields: &schema.fields, id: Some(&schema.id), options, defaults: plan.default_fields() };
    let mut input = BufReader::with_capacity(64 * 1024, input);
    // Leading whitespace is skipped, a buffer at a time, to see the first character;
    // the lines it held count in the positions reported later.
    let mut skipped_lines = 0;
    let first = loop {
        let buffer = input
            .fill_buf()
            .map_err(|source| json_error(skipped_lines + 1, 1, format!("reading the input: {source}")))?;
        match buffer.iter().position(|byte| !byte.is_ascii_whitespace()) {
            Some(at) => break Some(buffer[at]),
            None if buffer.is_empty() => break None,
            None => {
                skipped_lines += buffer.iter().filter(|&&byte| byte == b'\n').count();
                let len = buffer.len();
                input.consume(len);
            }
        }
    };
    match first {
        None => Ok(0),
        Some(b'[') => read_array(input, &object, &mut each, skipped_lines),
        Some(_) => read_lines(input, &object, &mut each, skipped_lines),
    }
}

/// The input's JSON array, element by element, as it is read.
fn read_array(
    input: impl Read,
    object: &ObjectSeed<'_>,
    each: &mut dyn FnMut(Parsed) -> Result<()>,
    skipped_lines: usize,
) -> Result<u64> {
    let failure = RefCell::new(None);
    let mut count = 0;
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    let visitor = ArrayVisitor { object, each, failure: &failure, count: &mut count };
    let result = deserializer.deserialize_seq(visitor).and_then(|()| deserializer.end());
    match result {
        Ok(()) => Ok(count),
        Err(error) => {
            Err(failure.into_inner().unwrap_or_else(|| from_serde(&error, error.line() + skipped_lines)))
        }
    }
}

/// The input's lines, each an object (blank lines are skipped).
fn read_lines(
    mut input: impl BufRead,
    object: &ObjectSeed<'_>,
    each: &mut dyn FnMut(Parsed) -> Result<()>,
    skipped_lines: usize,
) -> Result<u64> {
    let mut line = String::new();
    let mut number = skipped_lines;
    let mut count = 0;
    loop {
        line.clear();
        number += 1;
        let read = input
            .read_line(&mut line)
            .map_err(|source| json_error(number, 1, format!("reading the input: {source}")))?;
        if read == 0 {
            return Ok(count);
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut deserializer = serde_json::Deserializer::from_str(&line);
        let parsed = object.clone().deserialize(&mut deserializer).and_then(|parsed| {
            deserializer.end()?;
            Ok(parsed)
        });
        each(parsed.map_err(|error| from_serde(&error, number))?)?;
        count += 1;
    }
}

fn json_error(line: usize, column: usize, reason: String) -> Error {
    Error::Json { line, column, reason }
}

/// A parse error of serde_json, at `line` of the whole input.
fn from_serde(error: &serde_json::Error, line: usize) -> Error {
    let text = error.to_string();
    // serde_json ends its message with the position, which the error carries apart.
    let reason = match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    };
    json_error(line, error.column(), reason)
}

/// The top-level array: each element an object, handed on as soon as it is read.
struct ArrayVisitor<'a, 'o> {
    object: &'a ObjectSeed<'o>,
    each: &'a mut dyn FnMut(Parsed) -> Result<()>,
    failure: &'a RefCell<Option<Error>>,
    count: &'a mut u64,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(parsed) = seq.next_element_seed(self.object.clone())? {
            if let Err(error) = (self.each)(parsed) {
                // Stops the parse; `read_array` returns this error, not the parser's.
                let message = error.to_string();
                *self.failure.borrow_mut() = Some(error);
                return Err(de::Error::custom(message));
            }
            *self.count += 1;
        }
        Ok(())
    }
}

/// An object of `fields`, with the id under the name `id` (the top level) or none (an
/// embedded struct).
#[derive(Clone)]
struct ObjectSeed<'a> {
    fields: &'a [FieldDef],
    id: Option<&'a str>,
    options: &'a Import,
    /// Every field at its default, in slot order.
    defaults: Vec<(String, AnyValue)>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Parsed;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// A key of an object: the id, a field by position, or a key the schema lacks.
enum Key {
    Id,
    Field(usize),
    Unknown(String),
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut values: Vec<Option<AnyValue>> = vec![None; self.fields.len()];
        let mut id = None;
        while let Some(key) = map.next_key_seed(KeySeed { fields: self.fields, id: self.id })? {
            match key {
                Key::Id if id.is_some() => return Err(de::Error::custom("the id is given twice")),
                Key::Id => id = Some(map.next_value::<u64>()?),
                Key::Field(at) => {
                    let field = &self.fields[at];
                    if values[at].is_some() {
                        return Err(de::Error::custom(format_args!("field `{}` is given twice", field.name)));
                    }
                    let seed = ValueSeed {
                        ty: &field.ty,
                        nullable: field.nullable,
                        field: &field.name,
                        options: self.options,
                        // A nested object's fields are an embedded struct's, which a
                        // `self` field holds again.
                        owner: self.id.is_none().then_some(self.fields),
                    };
                    values[at] = Some(map.next_value_seed(seed)?);
                }
                Key::Unknown(_) if self.options.ignore_unknown_keys => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Unknown(key) => {
                    let names: Vec<&str> = self
                        .id
                        .into_iter()
                        .chain(self.fields.iter().map(|field| field.name.as_str()))
                        .collect();
                    return Err(de::Error::custom(format_args!(
                        "unknown key `{key}`; the keys are: {}",
                        names.join(", ")
                    )));
                }
            }
        }
        let values = values
            .into_iter()
            .zip(self.defaults)
            .map(|(value, (_, default))| value.unwrap_or(default))
            .collect();
        Ok((id.filter(|&id| id != 0), values))
    }
}

/// Reads a key and tells which field it names, without allocating for a known one.
struct KeySeed<'a> {
    fields: &'a [FieldDef],
    id: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        if self.id == Some(key) {
            return Ok(Key::Id);
        }
        Ok(match self.fields.iter().position(|field| field.name == key) {
            Some(at) => Key::Field(at),
            None => Key::Unknown(key.to_owned()),
        })
    }
}

/// A value of one field (or list element) of type `ty`.
#[derive(Clone, Copy)]
struct ValueSeed<'a> {
    ty: &'a StoredType,
    nullable: bool,
    /// The field's name, for messages.
    field: &'a str,
    options: &'a Import,
    /// The fields of the embedded struct the value belongs to, if any.
    owner: Option<&'a [FieldDef]>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = AnyValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<AnyValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn out_of_range<E: de::Error>(&self, value: impl fmt::Display) -> E {
        E::custom(format_args!("field `{}`: {value} is out of range for `{}`", self.field, self.ty))
    }

    /// An integer, checked against the field's type.
    fn integer<E: de::Error>(self, value: i128) -> Result<AnyValue, E> {
        let range = |converted: Option<AnyValue>| converted.ok_or_else(|| self.out_of_range(value));
        match self.ty {
            StoredType::U8 => range(u8::try_from(value).ok().map(AnyValue::U8)),
            StoredType::U16 => range(u16::try_from(value).ok().map(AnyValue::U16)),
            StoredType::U32 => range(u32::try_from(value).ok().map(AnyValue::U32)),
            StoredType::U64 => range(u64::try_from(value).ok().map(AnyValue::U64)),
            StoredType::I8 => range(i8::try_from(value).ok().map(AnyValue::I8)),
            StoredType::I16 => range(i16::try_from(value).ok().map(AnyValue::I16)),
            StoredType::I32 => range(i32::try_from(value).ok().map(AnyValue::I32)),
            StoredType::I64 => range(i64::try_from(value).ok().map(AnyValue::I64)),
            // An integer written for a float: its value, rounded as a float literal is.
            StoredType::F32 => Ok(AnyValue::F32(value as f32)),
            StoredType::F64 => Ok(AnyValue::F64(value as f64)),
            _ => {
                let unexpected = match u64::try_from(value) {
                    Ok(value) => de::Unexpected::Unsigned(value),
                    Err(_) => de::Unexpected::Signed(value as i64),
                };
                Err(E::invalid_type(unexpected, &self))
            }
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = AnyValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.ty {
            StoredType::Bool => "true or false".to_owned(),
            StoredType::F32 | StoredType::F64 => {
                format!("a number (or \"NaN\", \"Infinity\", \"-Infinity\") for `{}`", self.ty)
            }
            StoredType::String => "a string".to_owned(),
            StoredType::Bytes => "an array of bytes (numbers 0 to 255)".to_owned(),
            StoredType::Array(len) => format!("an array of {len} bytes (numbers 0 to 255)"),
            StoredType::Timestamp => "an RFC 3339 time (\"2024-05-01T12:30:00Z\")".to_owned(),
            StoredType::Duration => "ISO 8601 seconds (\"PT90.5S\")".to_owned(),
            StoredType::Date => "an ISO 8601 date (\"2024-05-01\")".to_owned(),
            StoredType::Uuid => "a UUID (\"67e55044-10b1-426f-9247-bb680e5fe0c8\")".to_owned(),
            StoredType::List(_) => "an array".to_owned(),
            StoredType::Enum { variants, .. } => format!("one of the variants {}", quoted(variants)),
            StoredType::Embedded { .. } | StoredType::Recursive => "an object".to_owned(),
            ty => format!("an integer for `{ty}`"),
        };
        let null = if self.nullable { " or null" } else { "" };
        write!(f, "{what}{null} for field `{}`", self.field)
    }

    fn visit_unit<E: de::Error>(self) -> Result<AnyValue, E> {
        if self.nullable { Ok(AnyValue::Null) } else { Err(E::invalid_type(de::Unexpected::Unit, &self)) }
    }

    fn visit_none<E: de::Error>(self) -> Result<AnyValue, E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<AnyValue, E> {
        match self.ty {
            StoredType::Bool => Ok(AnyValue::Bool(value)),
            _ => Err(E::invalid_type(de::Unexpected::Bool(value), &self)),
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<AnyValue, E> {
        self.integer(i128::from(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<AnyValue, E> {
        self.integer(i128::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<AnyValue, E> {
        match self.ty {
            // The decimal rounded to an f64 and then to an f32 is the decimal rounded to an
            // f32: an f64 has more than twice an f32's precision plus two bits.
            StoredType::F32 if value.is_finite() && (value as f32).is_infinite() => {
                Err(self.out_of_range(value))
            }
            StoredType::F32 => Ok(AnyValue::F32(value as f32)),
            StoredType::F64 => Ok(AnyValue::F64(value)),
            _ => Err(E::invalid_type(de::Unexpected::Float(value), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<AnyValue, E> {
        let special = match value {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        };
        match (self.ty, special) {
            (StoredType::String, _) => Ok(AnyValue::String(value.to_owned())),
            (StoredType::Enum { variants, .. }, _) if variants.iter().any(|variant| variant == value) => {
                Ok(AnyValue::Enum(value.to_owned()))
            }
            (StoredType::F32, Some(special)) => Ok(AnyValue::F32(special as f32)),
            (StoredType::F64, Some(special)) => Ok(AnyValue::F64(special)),
            (StoredType::Timestamp, _) => crate::dynamic::parse_rfc3339(value)
                .map(AnyValue::Timestamp)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self)),
            (StoredType::Duration, _) => crate::dynamic::parse_iso_duration(value)
                .map(AnyValue::Duration)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self)),
            (StoredType::Date, _) => crate::dynamic::parse_iso_date(value)
                .map(AnyValue::Date)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self)),
            (StoredType::Uuid, _) => crate::dynamic::parse_uuid(value)
                .map(AnyValue::Uuid)
                .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self)),
            (StoredType::Enum { .. }, _) => Err(E::invalid_value(de::Unexpected::Str(value), &self)),
            _ => Err(E::invalid_type(de::Unexpected::Str(value), &self)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
        match self.ty {
            StoredType::Array(len) => {
                let bytes = ValueSeed { ty: &StoredType::Bytes, ..self }.visit_seq(seq)?;
                match bytes {
                    AnyValue::Bytes(bytes) if bytes.len() != *len => {
                        Err(de::Error::invalid_length(bytes.len(), &self))
                    }
                    bytes => Ok(bytes),
                }
            }
            StoredType::Bytes => {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let element = ValueSeed { ty: &StoredType::U8, nullable: false, ..self };
                while let Some(byte) = seq.next_element_seed(element)? {
                    if let AnyValue::U8(byte) = byte {
                        bytes.push(byte);
                    }
                }
                Ok(AnyValue::Bytes(bytes))
            }
            StoredType::List(ty) => {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let element = match &**ty {
                    StoredType::Optional(inner) => ValueSeed { ty: inner, nullable: true, ..self },
                    ty => ValueSeed { ty, nullable: false, ..self },
                };
                while let Some(item) = seq.next_element_seed(element)? {
                    items.push(item);
                }
                Ok(AnyValue::List(items))
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AnyValue, A::Error> {
        let fields: &[FieldDef] = match (self.ty, self.owner) {
            (StoredType::Embedded { fields, .. }, _) => fields,
            (StoredType::Recursive, Some(fields)) => fields,
            _ => return Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        };
        let plan = RecordPlan::embedded(fields).map_err(de::Error::custom)?;
        let nested = ObjectSeed { fields, id: None, options: self.options, defaults: plan.default_fields() };
        let (_, values) = nested.visit_map(map)?;
        Ok(AnyValue::Embedded(fields.iter().map(|field| field.name.clone()).zip(values).collect()))
    }
}

/// `["a", "b"]`, for a message.
fn quoted(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
    quoted.join(", ")
}
