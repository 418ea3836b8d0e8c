//! Keyset pages: a [`Cursor`] holds the sort keys and id of the last result of a page,
//! and the next page is the results that come after it in the query's order. A page
//! starts where the last one ended, however the objects before it changed: an insert or
//! a delete between pages shifts nothing, as an offset would.

use super::condition::{Condition, Leaf, Node, Probe};
use super::request::Request;
use crate::codec::key::KeyMode;
use crate::codec::{Corrupt, RecordReader};
use crate::{Collection, Id, Result};
use std::sync::Arc;

/// Where a page of query results ended: the sort keys and the id of its last object. Ask
/// for the results after it with [`Query::after`](crate::Query::after); a cursor only
/// fits a query with the same order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The query's order, in words (`likes desc`), to refuse a cursor of another order.
    order: String,
    /// The last object's key of each sort field, whole.
    keys: Vec<Vec<u8>>,
    /// The last object's key of the first sort field as an index's lower and upper
    /// bound: where an index walk for the next page starts.
    bounds: Option<[Vec<u8>; 2]>,
    id: Id,
}

impl Cursor {
    /// The id of the object the page ended with.
    pub fn id(&self) -> Id {
        self.id
    }
}

/// A page of query results and the cursor of its last object, made by
/// [`Query::page`](crate::Query::page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The results of the page, in the query's order.
    pub items: Vec<T>,
    /// Where to go on from: `None` when the query has no results after this page.
    pub next: Option<Cursor>,
}

impl<C: Collection> Request<C> {
    /// Refuses a cursor of a query in another order than this one's.
    pub(crate) fn check_cursor(&self) -> Result<()> {
        match &self.cursor_order {
            Some(order) if *order != self.order() => Err(crate::Error::InvalidFilter {
                collection: C::SCHEMA.name().to_owned(),
                field: "cursor".to_owned(),
                reason: format!(
                    "the cursor ends a page of a query in the order `{order}`, and this query's order is `{}`",
                    self.order()
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The query's order in words, as a cursor records it.
    pub(crate) fn order(&self) -> String {
        let keys: Vec<String> = self.sort.iter().map(|sort| format!("{sort:?}")).collect();
        if keys.is_empty() { "id asc".to_owned() } else { keys.join(", ") }
    }

    /// The cursor of result `id`, whose record `reader` reads.
    pub(crate) fn cursor(&self, id: Id, reader: &RecordReader<'_>) -> Result<Cursor, Corrupt> {
        let id_bytes = id.to_le_bytes();
        let keys = self
            .sort
            .iter()
            .map(|sort| (sort.key)(&id_bytes, reader, KeyMode::Full))
            .collect::<Result<_, _>>()?;
        let bounds = match self.sort.first() {
            Some(sort) => Some([
                (sort.key)(&id_bytes, reader, KeyMode::Lower)?,
                (sort.key)(&id_bytes, reader, KeyMode::Upper)?,
            ]),
            None => None,
        };
        Ok(Cursor { order: self.order(), keys, bounds, id })
    }

    /// Keeps only the results after `cursor` in the query's order, as a condition that
    /// the planner can use: it bounds the ids of a scan in id order, and the range of an
    /// index on the first sort field.
    pub(crate) fn after(&mut self, cursor: Cursor) {
        self.cursor_order = Some(cursor.order.clone());
        let order: Vec<(super::sort::KeyFn, bool)> =
            self.sort.iter().map(|sort| (Arc::clone(&sort.key), sort.descending)).collect();
        let first = self.sort.first().map(|sort| (sort.field, sort.is_id, sort.descending));
        let (field, is_id, descending) = first.unwrap_or(("id", true, false));
        // The id's key is its big-endian bytes, in any mode: a bound on the id bounds the
        // ids a scan reads. A bound on a field only says where a walk of an index on it
        // starts (counting the entries after the cursor, as a probe would be, costs what
        // the walk saves).
        let id_key = |id: Id| Some(id.to_be_bytes().to_vec());
        let bound = match (&cursor.bounds, first) {
            (_, None) => Some((id_key(cursor.id.saturating_add(1)), None)),
            (_, Some((_, true, false))) => Some((id_key(cursor.id.saturating_add(1)), None)),
            (_, Some((_, true, true))) => Some((None, id_key(cursor.id.saturating_sub(1)))),
            (Some([lower, upper]), Some(_)) => {
                Some(if descending { (None, Some(upper.clone())) } else { (Some(lower.clone()), None) })
            }
            (None, Some(_)) => None,
        };
        let mut probe = None;
        if let Some((lower, upper)) = bound {
            if is_id {
                probe = Some(Probe::Range { lower, upper });
            } else {
                let end = upper.and_then(|upper| crate::store::prefix_end(&upper));
                self.walk_from = Some(crate::store::KeyRange { start: lower.unwrap_or_default(), end });
            }
        }
        let text = format!("after the cursor at id {} (in the order {})", cursor.id, cursor.order);
        let test = move |id: &[u8; 8], record: &RecordReader<'_>| -> Result<bool, Corrupt> {
            for ((key, descending), last) in order.iter().zip(&cursor.keys) {
                let key = key(id, record, KeyMode::Full)?;
                match key.as_slice().cmp(last) {
                    std::cmp::Ordering::Equal => continue,
                    order => return Ok(order.is_gt() != *descending),
                }
            }
            // Ties go by id, ascending.
            Ok(u64::from_le_bytes(*id) > cursor.id)
        };
        self.filter(Condition::from_node(Node::Leaf(Leaf {
            field,
            is_id,
            text,
            probe,
            test: Arc::new(test),
        })));
    }
}
