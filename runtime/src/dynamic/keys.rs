//! The index keys of an object known only by its stored schema: the keys the derive's
//! `index_keys` writes for the same object, made with the same key writers of
//! `codec::key`.

use super::decode::RecordPlan;
use super::value::AnyValue;
use crate::codec::key::{KeyMode, KeyPart, combine_keys, write_bytes_key};
use crate::codec::{Layouts, unseal};
use crate::schema::{FieldDef, IndexDef, SchemaDef, StoredType};
use crate::{Error, Id, Result};
use std::path::Path;

/// The keys of `index` of `schema` for an object whose field values, in slot order, are
/// `values`: one per value, one per distinct element of a list, every combination of
/// its fields' keys for a composite index.
pub(crate) fn index_keys(
    schema: &SchemaDef,
    index: &IndexDef,
    values: &[AnyValue],
) -> Result<Vec<Vec<u8>>, String> {
    let mut parts = Vec::with_capacity(index.fields.len());
    for name in &index.fields {
        let at = schema
            .fields
            .iter()
            .position(|field| field.name == *name)
            .ok_or_else(|| format!("index `{}` covers no field `{name}`", index.name()))?;
        let mut keys = Vec::new();
        field_keys(&schema.fields[at], &values[at], index.case_insensitive, &mut keys)?;
        parts.push(keys);
    }
    Ok(combine_keys(parts))
}

/// Pushes the keys of one field's value.
pub(super) fn field_keys(
    field: &FieldDef,
    value: &AnyValue,
    case_insensitive: bool,
    keys: &mut Vec<Vec<u8>>,
) -> Result<(), String> {
    let mode = KeyMode::Index { case_insensitive };
    match (field.nullable, &field.ty, value) {
        // `Option<T>`: `00`, or `01` and `T`'s key.
        (true, _, AnyValue::Null) => keys.push(vec![0]),
        (true, _, value) => {
            let mut key = vec![1];
            write_key(value, mode, &mut key)?;
            keys.push(key);
        }
        // A list: one key per distinct element, sorted.
        (false, StoredType::List(element), AnyValue::List(items)) => {
            let start = keys.len();
            for item in items {
                let mut key = Vec::new();
                // A list of `Option`s keys each element as an `Option`.
                match (&**element, item) {
                    (StoredType::Optional(_), AnyValue::Null) => key.push(0),
                    (StoredType::Optional(_), item) => {
                        key.push(1);
                        write_key(item, mode, &mut key)?;
                    }
                    (_, item) => write_key(item, mode, &mut key)?,
                }
                keys.push(key);
            }
            keys[start..].sort_unstable();
            let mut distinct: Vec<Vec<u8>> = keys.drain(start..).collect();
            distinct.dedup();
            keys.extend(distinct);
        }
        (false, _, value) => {
            let mut key = Vec::new();
            write_key(value, mode, &mut key)?;
            keys.push(key);
        }
    }
    Ok(())
}

/// Appends the key of a single value in `mode`, as its type's `KeyPart` writes it.
fn write_key(value: &AnyValue, mode: KeyMode, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    match value {
        AnyValue::Bool(value) => bool::write_key(*value, mode, out),
        AnyValue::U8(value) => u8::write_key(*value, mode, out),
        AnyValue::U16(value) => u16::write_key(*value, mode, out),
        AnyValue::U32(value) => u32::write_key(*value, mode, out),
        AnyValue::U64(value) => u64::write_key(*value, mode, out),
        AnyValue::I8(value) => i8::write_key(*value, mode, out),
        AnyValue::I16(value) => i16::write_key(*value, mode, out),
        AnyValue::I32(value) => i32::write_key(*value, mode, out),
        AnyValue::I64(value) => i64::write_key(*value, mode, out),
        AnyValue::F32(value) => f32::write_key(*value, mode, out),
        AnyValue::F64(value) => f64::write_key(*value, mode, out),
        AnyValue::String(value) => String::write_key(value, mode, out),
        AnyValue::Bytes(value) => <Vec<u8>>::write_key(value, mode, out),
        AnyValue::Timestamp(value) => std::time::SystemTime::write_key(*value, mode, out),
        AnyValue::Duration(value) => std::time::Duration::write_key(*value, mode, out),
        AnyValue::Date(days) => i32::write_key(*days, mode, out),
        AnyValue::Uuid(bytes) => out.extend_from_slice(bytes),
        // Enums are indexed by their variant's stored name, never case-insensitively.
        AnyValue::Enum(variant) => {
            write_bytes_key(variant.as_bytes(), KeyMode::Index { case_insensitive: false }, out)
        }
        value @ (AnyValue::Null | AnyValue::List(_) | AnyValue::Embedded(_)) => {
            return Err(format!("{value} cannot be part of an index key"));
        }
    }
    Ok(())
}

/// The stored objects of a collection known by its stored schema.
pub(crate) struct SchemaKeys<'a> {
    pub(crate) schema: &'a SchemaDef,
    pub(crate) plan: &'a RecordPlan,
    pub(crate) path: &'a Path,
}

impl SchemaKeys<'_> {
    fn values(&self, id: Id, stored: &[u8], layouts: &Layouts) -> Result<Vec<AnyValue>> {
        unseal(id, stored).and_then(|record| self.plan.decode_values(record, layouts)).map_err(|reason| {
            Error::CorruptedFile {
                path: self.path.to_owned(),
                reason: format!("collection `{}`, object {id}: {reason}", self.schema.name),
            }
        })
    }
}

impl crate::store::StoredKeys for SchemaKeys<'_> {
    fn stored_keys(&self, id: Id, stored: &[u8], layouts: &Layouts) -> Result<Vec<Vec<Vec<u8>>>> {
        let values = self.values(id, stored, layouts)?;
        let damaged = |reason: String| Error::CorruptedFile { path: self.path.to_owned(), reason };
        self.schema
            .indexes
            .iter()
            .map(|index| index_keys(self.schema, index, &values).map_err(damaged))
            .collect()
    }

    fn index_value(&self, id: Id, stored: &[u8], index: usize) -> Result<String> {
        let values = self.values(id, stored, Layouts::none())?;
        let covered: Vec<String> = self.schema.indexes[index]
            .fields
            .iter()
            .filter_map(|name| self.schema.fields.iter().position(|field| field.name == *name))
            .map(|at| values[at].to_string())
            .collect();
        Ok(covered.join(", "))
    }
}
