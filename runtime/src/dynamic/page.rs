//! Paging through a collection by key: [`Snapshot::page`] returns the objects after a
//! [`Position`] (the last row's sort value and id), never after an offset, so that a page
//! stays right while objects are added or removed before it, and a page deep into a
//! collection sorted by id, or by a field with an index of its own, costs what the
//! first one does.

use super::filter::{Filter, resolve};
use super::keys::field_keys;
use super::reader::{Snapshot, Stored, decode, decode_field};
use super::value::{AnyValue, Object};
use crate::schema::{FieldDef, SchemaDef, StoredType};
use crate::store::{Flow, KeyRange, Source, Tables};
use crate::{Error, Id, Result};
use std::cmp::Ordering;

/// Where a page starts: the sort value and the id of the last object of the page
/// before. Objects sort by their value, then by id, so a cursor names one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// The value of the sort field of the last object shown (ignored when sorting by
    /// id).
    pub value: AnyValue,
    /// The id of the last object shown.
    pub id: Id,
}

/// What a page asks for: its sort, its filter, where it starts and how long it is.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PageRequest {
    /// The field path to sort by; `None` (or the id field) sorts by id.
    pub sort: Option<String>,
    /// The exact reverse order: largest values first, and objects of one value by id,
    /// largest first.
    pub descending: bool,
    /// Only the objects this keeps.
    pub filter: Option<Filter>,
    /// The objects after this place; `None` for the first page.
    pub after: Option<Position>,
    /// How many objects at most.
    pub limit: usize,
}

impl PageRequest {
    /// The first page of `limit` objects, in id order, unfiltered.
    pub fn new(limit: usize) -> Self {
        PageRequest { limit, ..Default::default() }
    }

    /// Sorted by `path` (its largest values first if `descending`).
    pub fn sort(mut self, path: &str, descending: bool) -> Self {
        self.sort = Some(path.to_owned());
        self.descending = descending;
        self
    }

    /// Only the objects `filter` keeps.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// The page after `cursor`.
    pub fn after(mut self, cursor: Position) -> Self {
        self.after = Some(cursor);
        self
    }
}

/// One page of objects, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ObjectPage {
    /// The objects, in the page's order.
    pub objects: Vec<Object>,
    /// The cursor of the next page; `None` when this page is the last.
    pub next: Option<Position>,
}

impl Snapshot {
    /// A page of the objects of collection `name`, by key: those after
    /// `request.after` in the order of `request.sort`, then id.
    ///
    /// Sorted by id, a page reads its objects and no others (a range of the records
    /// table, from the cursor's id), so page 1,000 costs what page 1 does. Sorted by a
    /// field that an index covers alone (not a list, not case-insensitive), the same
    /// holds: the page is a range of the index, from the cursor's key, in the index's
    /// order, which is the values' order except that floats go by their bits (`-0.0`
    /// before `0.0`) and strings sharing their first 256 bytes by a hash of the rest.
    /// Sorted by another field, each page reads the whole collection once and keeps the
    /// `limit` objects that come first after the cursor.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # use insula::dynamic::{Reader, PageRequest};
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, pub stars: u8 }
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Db::builder().name("notes").collection::<Note>().open(dir.path())?;
    /// # let mut notes: Vec<Note> = [3, 1, 2, 1].into_iter().map(|stars| Note { id: 0, stars }).collect();
    /// # db.write_txn_sync(|txn| txn.notes().put_all(&mut notes))?;
    /// let reader = Reader::of(&db);
    /// let first = reader.read()?.page("Note", &PageRequest::new(2).sort("stars", false))?;
    /// assert_eq!(first.objects.iter().map(|note| note.id).collect::<Vec<_>>(), [2, 4]);
    /// let next = first.next.expect("more to come");
    /// let second = reader.read()?.page("Note", &PageRequest::new(2).sort("stars", false).after(next))?;
    /// assert_eq!(second.objects.iter().map(|note| note.id).collect::<Vec<_>>(), [3, 1]);
    /// assert_eq!(second.next, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn page(&self, name: &str, request: &PageRequest) -> Result<ObjectPage> {
        let schema = self.schema(name)?;
        let field = request.sort.as_deref().filter(|path| *path != schema.id);
        if let Some(path) = field {
            resolve(schema, path).map_err(|reason| Error::InvalidFilter {
                collection: schema.name.clone(),
                field: path.to_owned(),
                reason: format!("cannot sort by it: {reason}"),
            })?;
        }
        let filter = request.filter.as_ref().map(|filter| filter.bind(schema)).transpose()?;
        let keep = |object: &Object| filter.as_ref().is_none_or(|filter| filter.matches(object));
        // One more than asked for tells whether another page follows.
        let wanted = request.limit.saturating_add(1);
        let index = field.and_then(|path| sort_index(schema, path));
        let mut objects = match (field, index) {
            (None, _) => self.page_by_id(name, request, &keep, wanted)?,
            (Some(_), Some((number, field))) => {
                self.page_by_index(name, request, number, field, &keep, wanted)?
            }
            (Some(path), None) if filter.is_none() && wanted <= LIGHT_SCAN => {
                self.page_by_scan(name, request, path, wanted)?
            }
            (Some(path), None) => {
                let order = |a: &Object, b: &Object| compare(a, b, path, request.descending);
                let mut kept: Vec<Object> = Vec::new();
                for object in self.records(name)? {
                    let object = object?;
                    if !keep(&object) {
                        continue;
                    }
                    if let Some(after) = &request.after
                        && compare_to_cursor(&object, after, path, request.descending) != Ordering::Greater
                    {
                        continue;
                    }
                    kept.push(object);
                    // Keep the smallest `wanted` of what was read, sorting rarely.
                    if kept.len() >= wanted.saturating_mul(2).max(1024) {
                        kept.sort_by(order);
                        kept.truncate(wanted);
                    }
                }
                kept.sort_by(order);
                kept.truncate(wanted);
                kept
            }
        };
        let next = if objects.len() > request.limit {
            objects.truncate(request.limit);
            objects.last().map(|last| Position {
                value: field.and_then(|path| last.path(path)).cloned().unwrap_or(AnyValue::U64(last.id)),
                id: last.id,
            })
        } else {
            None
        };
        Ok(ObjectPage { objects, next })
    }

    /// Up to `wanted` objects that `keep` keeps, in id order from after the cursor's id.
    fn page_by_id(
        &self,
        name: &str,
        request: &PageRequest,
        keep: &dyn Fn(&Object) -> bool,
        wanted: usize,
    ) -> Result<Vec<Object>> {
        let stored = self.stored(name)?;
        let Some(table) = self.table(stored)? else { return Ok(Vec::new()) };
        let after = request.after.as_ref().map(|cursor| cursor.id);
        let range = match (after, request.descending) {
            (None, _) => table.range::<u64>(..)?,
            (Some(id), false) => table.range::<u64>(id.saturating_add(1)..)?,
            (Some(id), true) => table.range::<u64>(..id)?,
        };
        let entries: Box<dyn Iterator<Item = _>> =
            if request.descending { Box::new(range.rev()) } else { Box::new(range) };
        let mut objects = Vec::new();
        for entry in entries {
            let (id, bytes) = entry?;
            let object = decode(stored, self.path(), id.value(), bytes.value())?;
            if keep(&object) {
                objects.push(object);
                if objects.len() >= wanted {
                    break;
                }
            }
        }
        Ok(objects)
    }

    /// The first `wanted` objects after the cursor in the order of `path`, which no
    /// index gives: every record is read, but of each only the field `path` starts in,
    /// and only the objects of the page are decoded whole.
    fn page_by_scan(
        &self,
        name: &str,
        request: &PageRequest,
        path: &str,
        wanted: usize,
    ) -> Result<Vec<Object>> {
        let stored = self.stored(name)?;
        let Some(table) = self.table(stored)? else { return Ok(Vec::new()) };
        let (top, rest) = path.split_once('.').map_or((path, None), |(top, rest)| (top, Some(rest)));
        let Some(index) = stored.collection.schema.fields.iter().position(|field| field.name == top) else {
            return Ok(Vec::new());
        };
        let order = |a: &(AnyValue, Id), b: &(AnyValue, Id)| {
            compare_keys((&a.0, a.1), (&b.0, b.1), request.descending)
        };
        let mut kept: Vec<(AnyValue, Id)> = Vec::new();
        for entry in table.range::<u64>(..)? {
            let (id, bytes) = entry?;
            let id = id.value();
            let value = decode_field(stored, self.path(), id, bytes.value(), index)?;
            let value = match rest {
                Some(rest) => inner(value, rest),
                None => value,
            };
            if let Some(after) = &request.after
                && compare_keys((&value, id), (&after.value, after.id), request.descending)
                    != Ordering::Greater
            {
                continue;
            }
            kept.push((value, id));
            // Keep the first `wanted` of what was read, sorting rarely.
            if kept.len() >= wanted.saturating_mul(2).max(1024) {
                kept.sort_by(order);
                kept.truncate(wanted);
            }
        }
        kept.sort_by(order);
        kept.truncate(wanted);
        let mut objects = Vec::with_capacity(kept.len());
        for (_, id) in kept {
            if let Some(bytes) = table.get(id)? {
                objects.push(decode(stored, self.path(), id, bytes.value())?);
            }
        }
        Ok(objects)
    }

    /// Up to `wanted` objects that `keep` keeps, in the order of index number `number`,
    /// which covers `field` alone, from after the cursor's key and id.
    fn page_by_index(
        &self,
        name: &str,
        request: &PageRequest,
        number: usize,
        field: &FieldDef,
        keep: &dyn Fn(&Object) -> bool,
        wanted: usize,
    ) -> Result<Vec<Object>> {
        let stored: &Stored = self.stored(name)?;
        let unique = stored.collection.schema.indexes[number].unique;
        let range = match &request.after {
            None => KeyRange::all(),
            Some(cursor) => {
                // The cursor's entry: a unique index's key alone, or a non-unique one's
                // key and id (big-endian), as the index stores it.
                let mut entry = cursor_key(field, &cursor.value).map_err(|reason| Error::InvalidFilter {
                    collection: stored.collection.schema.name.clone(),
                    field: field.name.clone(),
                    reason: format!("the page's cursor: {reason}"),
                })?;
                if !unique {
                    entry.extend_from_slice(&cursor.id.to_be_bytes());
                }
                if request.descending {
                    KeyRange { start: Vec::new(), end: Some(entry) }
                } else {
                    // The first entry after it.
                    entry.push(0);
                    KeyRange { start: entry, end: None }
                }
            }
        };
        let tables = Tables::new(self.txn(), &stored.collection);
        let records = tables.records()?;
        let mut objects = Vec::new();
        let mut failed = None;
        tables.index_ids(number, &range, request.descending, &mut |_, id| {
            let Some(bytes) = records.get(id)? else { return Ok(Flow::Continue(())) };
            match decode(stored, self.path(), id, bytes.value()) {
                Ok(object) if keep(&object) => objects.push(object),
                Ok(_) => {}
                Err(error) => {
                    failed = Some(error);
                    return Ok(Flow::Break(()));
                }
            }
            Ok(if objects.len() >= wanted { Flow::Break(()) } else { Flow::Continue(()) })
        })?;
        failed.map_or(Ok(objects), Err)
    }
}

/// The most objects a page read by [`Snapshot::page_by_scan`] may hold: it reads the
/// objects of the page again by id, which a longer one (an export) would rather not.
const LIGHT_SCAN: usize = 100_000;

/// The value at `path` inside `value`, an embedded struct: a path through a `None`, or
/// one the value lacks, reads as `Null` (as [`Object::path`] sorts).
fn inner(value: AnyValue, path: &str) -> AnyValue {
    path.split('.').fold(value, |value, name| match value {
        AnyValue::Embedded(fields) => {
            fields.into_iter().find(|(field, _)| field == name).map_or(AnyValue::Null, |(_, value)| value)
        }
        _ => AnyValue::Null,
    })
}

/// The index that orders a collection by `path` alone, if it has one, and the field:
/// an index of one top-level field that is not a list, and not case-insensitive (its
/// keys would fold case).
fn sort_index<'s>(schema: &'s SchemaDef, path: &str) -> Option<(usize, &'s FieldDef)> {
    let field = schema.fields.iter().find(|field| field.name == path)?;
    if matches!(field.ty, StoredType::List(_) | StoredType::Embedded { .. }) {
        return None;
    }
    let number = schema
        .indexes
        .iter()
        .position(|index| index.fields.len() == 1 && index.fields[0] == path && !index.case_insensitive)?;
    Some((number, field))
}

/// The index key of `value` in a field of `field`'s type: the value is first made of
/// that exact type (a cursor read back from JSON has a `u64` for a `u32`, say).
fn cursor_key(field: &FieldDef, value: &AnyValue) -> Result<Vec<u8>, String> {
    let value = match value {
        AnyValue::Null => AnyValue::Null,
        value => exact(&field.ty, value).ok_or_else(|| format!("{value} is not a `{}`", field.ty))?,
    };
    let mut keys = Vec::new();
    field_keys(field, &value, false, &mut keys)?;
    keys.pop().ok_or_else(|| "no key".to_owned())
}

/// `value` as a value of type `ty`, if it is one.
fn exact(ty: &StoredType, value: &AnyValue) -> Option<AnyValue> {
    let int = || -> Option<i128> {
        Some(match *value {
            AnyValue::U8(v) => v.into(),
            AnyValue::U16(v) => v.into(),
            AnyValue::U32(v) => v.into(),
            AnyValue::U64(v) => v.into(),
            AnyValue::I8(v) => v.into(),
            AnyValue::I16(v) => v.into(),
            AnyValue::I32(v) => v.into(),
            AnyValue::I64(v) => v.into(),
            _ => return None,
        })
    };
    let float = || -> Option<f64> {
        match *value {
            AnyValue::F32(v) => Some(v.into()),
            AnyValue::F64(v) => Some(v),
            _ => int().map(|v| v as f64),
        }
    };
    Some(match (ty, value) {
        (StoredType::Bool, AnyValue::Bool(v)) => AnyValue::Bool(*v),
        (StoredType::U8, _) => AnyValue::U8(int()?.try_into().ok()?),
        (StoredType::U16, _) => AnyValue::U16(int()?.try_into().ok()?),
        (StoredType::U32, _) => AnyValue::U32(int()?.try_into().ok()?),
        (StoredType::U64, _) => AnyValue::U64(int()?.try_into().ok()?),
        (StoredType::I8, _) => AnyValue::I8(int()?.try_into().ok()?),
        (StoredType::I16, _) => AnyValue::I16(int()?.try_into().ok()?),
        (StoredType::I32, _) => AnyValue::I32(int()?.try_into().ok()?),
        (StoredType::I64, _) => AnyValue::I64(int()?.try_into().ok()?),
        (StoredType::F32, AnyValue::F32(v)) => AnyValue::F32(*v),
        (StoredType::F32, _) => AnyValue::F32(float()? as f32),
        (StoredType::F64, _) => AnyValue::F64(float()?),
        (StoredType::String, AnyValue::String(v)) => AnyValue::String(v.clone()),
        (StoredType::Enum { .. }, AnyValue::Enum(v) | AnyValue::String(v)) => AnyValue::Enum(v.clone()),
        (StoredType::Bytes, AnyValue::Bytes(v)) => AnyValue::Bytes(v.clone()),
        (StoredType::Timestamp, AnyValue::Timestamp(v)) => AnyValue::Timestamp(*v),
        (StoredType::Timestamp, AnyValue::String(v)) => AnyValue::Timestamp(super::time::parse_rfc3339(v)?),
        (StoredType::Duration, AnyValue::Duration(v)) => AnyValue::Duration(*v),
        (StoredType::Date, AnyValue::Date(v)) => AnyValue::Date(*v),
        (StoredType::Date, AnyValue::String(v)) => AnyValue::Date(super::time::parse_iso_date(v)?),
        (StoredType::Uuid, AnyValue::Uuid(v)) => AnyValue::Uuid(*v),
        (StoredType::Uuid, AnyValue::String(v)) => AnyValue::Uuid(super::time::parse_uuid(v)?),
        (StoredType::Duration, AnyValue::String(v)) => {
            AnyValue::Duration(super::time::parse_iso_duration(v)?)
        }
        (StoredType::Optional(_), AnyValue::Null) => AnyValue::Null,
        (StoredType::Optional(inner), value) => exact(inner, value)?,
        (StoredType::Array(len), value) => match exact(&StoredType::Bytes, value)? {
            AnyValue::Bytes(bytes) if bytes.len() == *len => AnyValue::Bytes(bytes),
            _ => return None,
        },
        (StoredType::Bytes, AnyValue::List(items)) => AnyValue::Bytes(
            items
                .iter()
                .map(|item| exact(&StoredType::U8, item))
                .map(|item| match item {
                    Some(AnyValue::U8(byte)) => Some(byte),
                    _ => None,
                })
                .collect::<Option<Vec<u8>>>()?,
        ),
        _ => return None,
    })
}

/// The sort value of `object` at `path`: a path it lacks reads as `Null`.
fn sort_value<'o>(object: &'o Object, path: &str) -> &'o AnyValue {
    object.path(path).unwrap_or(&AnyValue::Null)
}

/// By value (values that do not compare, such as lists, as equal), then by id; all
/// reversed if `descending`.
fn compare_keys(a: (&AnyValue, Id), b: (&AnyValue, Id), descending: bool) -> Ordering {
    let order = a.0.compare(b.0).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1));
    if descending { order.reverse() } else { order }
}

/// Objects in the page's order.
fn compare(a: &Object, b: &Object, path: &str, descending: bool) -> Ordering {
    compare_keys((sort_value(a, path), a.id), (sort_value(b, path), b.id), descending)
}

/// Where `object` lies against `cursor` in the page's order.
fn compare_to_cursor(object: &Object, cursor: &Position, path: &str, descending: bool) -> Ordering {
    compare_keys((sort_value(object, path), object.id), (&cursor.value, cursor.id), descending)
}
