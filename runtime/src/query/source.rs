//! Where a query reads from: a collection's records table and index tables, open in a
//! read or a write transaction.

use crate::db::CollectionState;
use crate::guard::Contained;
use crate::{Id, Result};
use redb::ReadableTable;
use std::ops::ControlFlow;

/// The index keys from `start` (included) to `end` (excluded; `None`: to the last key).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(unreachable_pub)]
pub struct KeyRange {
    pub(crate) start: Vec<u8>,
    pub(crate) end: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key that starts with `prefix`.
    pub(crate) fn prefix(prefix: Vec<u8>) -> KeyRange {
        let end = prefix_end(&prefix);
        KeyRange { start: prefix, end }
    }
}

/// The first byte string after every string that starts with `prefix`, if any.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// What a visitor says after each item.
pub(crate) type Flow = ControlFlow<()>;

/// The tables a query reads. Visitors are called in key order (or reversed) until they
/// break. Public only as a sealed part of [`crate::query::QueryOrigin`]; not nameable
/// outside the crate.
#[allow(unreachable_pub)]
pub trait Source {
    fn state(&self) -> &CollectionState;

    /// The number of objects.
    fn len(&self) -> Result<u64>;

    /// Records with ids in `first..=last`, in id order or reversed.
    fn scan(
        &self,
        first: Id,
        last: Id,
        reverse: bool,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()>;

    /// The record of object `id`, if there is one.
    fn record(&self, id: Id, visit: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<bool>;

    /// The entries in `range` of index number `index`, in key order or reversed: each
    /// key (without the id a non-unique index appends) and its id.
    fn index_ids(
        &self,
        index: usize,
        range: &KeyRange,
        reverse: bool,
        visit: &mut dyn FnMut(&[u8], Id) -> Result<Flow>,
    ) -> Result<()>;
}

/// An index table, open for reading.
pub(crate) enum IndexTable<U, M> {
    Unique(Contained<U>),
    Multi(Contained<M>),
}

/// A collection's tables, open in some transaction.
pub(crate) struct Tables<'s, R, U, M> {
    pub(crate) state: &'s CollectionState,
    pub(crate) records: Contained<R>,
    pub(crate) indexes: Vec<IndexTable<U, M>>,
}

/// Feeds `entries` to `step`, forwards or backwards, until it breaks.
fn drive<I: DoubleEndedIterator>(
    entries: I,
    reverse: bool,
    mut step: impl FnMut(I::Item) -> Result<Flow>,
) -> Result<()> {
    if reverse {
        for entry in entries.rev() {
            if step(entry)?.is_break() {
                break;
            }
        }
    } else {
        for entry in entries {
            if step(entry)?.is_break() {
                break;
            }
        }
    }
    Ok(())
}

fn visit_range<V, T>(
    table: &T,
    range: &KeyRange,
    reverse: bool,
    mut visit: impl FnMut(&[u8], V::SelfType<'_>) -> Result<Flow>,
) -> Result<()>
where
    V: redb::Value + 'static,
    T: ReadableTable<&'static [u8], V>,
{
    let start: &[u8] = &range.start;
    let entries = match &range.end {
        Some(end) => table.range::<&[u8]>(start..end.as_slice())?,
        None => table.range::<&[u8]>(start..)?,
    };
    drive(entries, reverse, |entry| {
        let (key, value) = entry?;
        visit(key.value(), value.value())
    })
}

impl<R, U, M> Source for Tables<'_, R, U, M>
where
    R: ReadableTable<u64, &'static [u8]>,
    U: ReadableTable<&'static [u8], u64>,
    M: ReadableTable<&'static [u8], ()>,
{
    fn state(&self) -> &CollectionState {
        self.state
    }

    fn len(&self) -> Result<u64> {
        Ok(self.records.len()?)
    }

    fn scan(
        &self,
        first: Id,
        last: Id,
        reverse: bool,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        let entries = self.records.range(first..=last)?;
        drive(entries, reverse, |entry| {
            let (id, record) = entry?;
            visit(id.value(), record.value())
        })
    }

    fn record(&self, id: Id, visit: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<bool> {
        match self.records.get(id)? {
            Some(record) => {
                visit(record.value())?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn index_ids(
        &self,
        index: usize,
        range: &KeyRange,
        reverse: bool,
        visit: &mut dyn FnMut(&[u8], Id) -> Result<Flow>,
    ) -> Result<()> {
        match &self.indexes[index] {
            IndexTable::Unique(table) => {
                visit_range::<u64, U>(table, range, reverse, |key, id| visit(key, id))
            }
            IndexTable::Multi(table) => visit_range::<(), M>(table, range, reverse, |entry, ()| {
                // A non-unique entry is the key followed by the id, big-endian.
                let Some(at) = entry.len().checked_sub(8) else { return Ok(Flow::Continue(())) };
                let (key, id) = entry.split_at(at);
                match id.try_into() {
                    Ok(id) => visit(key, u64::from_be_bytes(id)),
                    Err(_) => Ok(Flow::Continue(())),
                }
            }),
        }
    }
}
