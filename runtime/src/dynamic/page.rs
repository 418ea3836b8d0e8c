//! Paging through a collection by key: [`Snapshot::page`] returns the objects after a
//! [`Cursor`] (the last row's sort value and id), never after an offset, so that a page
//! stays right while objects are added or removed before it, and a page deep into a
//! collection sorted by id costs what the first one does.

use super::filter::{Filter, resolve};
use super::reader::{Snapshot, decode};
use super::value::{AnyValue, Object};
use crate::{Error, Id, Result};
use std::cmp::Ordering;

/// Where a page starts: the sort value and the id of the last object of the page
/// before. Objects sort by their value, then by id, so a cursor names one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
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
    /// Largest values first. Objects of one value go by id, ascending, either way.
    pub descending: bool,
    /// Only the objects this keeps.
    pub filter: Option<Filter>,
    /// The objects after this place; `None` for the first page.
    pub after: Option<Cursor>,
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
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.after = Some(cursor);
        self
    }
}

/// One page of objects, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page {
    /// The objects, in the page's order.
    pub objects: Vec<Object>,
    /// The cursor of the next page; `None` when this page is the last.
    pub next: Option<Cursor>,
}

impl Snapshot {
    /// A page of the objects of collection `name`, by key: those after
    /// `request.after` in the order of `request.sort`, then id.
    ///
    /// Sorted by id, a page reads its objects and no others (a range of the records
    /// table, from the cursor's id), so page 1,000 costs what page 1 does. Sorted by
    /// another field, each page reads the whole collection once and keeps the smallest
    /// `limit` objects after the cursor (no index is used yet).
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
    pub fn page(&self, name: &str, request: &PageRequest) -> Result<Page> {
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
        let mut objects = match field {
            None => self.page_by_id(name, request, &keep, wanted)?,
            Some(path) => {
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
            objects.last().map(|last| Cursor {
                value: field.and_then(|path| last.path(path)).cloned().unwrap_or(AnyValue::U64(last.id)),
                id: last.id,
            })
        } else {
            None
        };
        Ok(Page { objects, next })
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
}

/// The sort value of `object` at `path`: a path it lacks reads as `Null`.
fn sort_value<'o>(object: &'o Object, path: &str) -> &'o AnyValue {
    object.path(path).unwrap_or(&AnyValue::Null)
}

/// Values in the page's order: by value (values that do not compare, such as lists,
/// as equal), reversed if `descending`.
fn compare_values(a: &AnyValue, b: &AnyValue, descending: bool) -> Ordering {
    let order = a.compare(b).unwrap_or(Ordering::Equal);
    if descending { order.reverse() } else { order }
}

/// Objects in the page's order: by value, then by id.
fn compare(a: &Object, b: &Object, path: &str, descending: bool) -> Ordering {
    compare_values(sort_value(a, path), sort_value(b, path), descending).then(a.id.cmp(&b.id))
}

/// Where `object` lies against `cursor` in the page's order.
fn compare_to_cursor(object: &Object, cursor: &Cursor, path: &str, descending: bool) -> Ordering {
    compare_values(sort_value(object, path), &cursor.value, descending).then(object.id.cmp(&cursor.id))
}
