//! A collection's tables, open in a read or a write transaction, and what reading them
//! gives: records by id or id range, and index entries by key range.
//!
//! Every reader of a collection's tables goes through [`Tables`]: the handles, the query
//! engine (through [`Source`]), the writes, the migration and the verification. Each table
//! is opened on first use and kept for the `Tables`' life.

use super::collection::{IndexTableDef, StoredCollection};
use crate::guard::SafeDrop;
use crate::{Collection, Id, Result};
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};
use std::cell::OnceCell;
use std::ops::{Bound, ControlFlow};

/// A transaction that opens tables: a read or a write one. Their `open_table` methods
/// differ in type, not in use.
pub(crate) trait Transaction {
    /// A table open in this transaction.
    type Table<'t, K: redb::Key + 'static, V: redb::Value + 'static>: ReadableTable<K, V>
    where
        Self: 't;

    /// Opens a table (a write transaction creates it if it is missing).
    fn open<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'t self,
        definition: TableDefinition<'_, K, V>,
    ) -> Result<Self::Table<'t, K, V>>;

    /// [`Source::scan_split`] over a records table of this transaction; `None` where its
    /// tables cannot be read from several threads (a write transaction's).
    fn scan_split<'t>(
        records: &Self::Table<'t, u64, &'static [u8]>,
        first: Id,
        last: Id,
        parts: usize,
        keep: Keep<'_>,
    ) -> Option<Result<Vec<Part>>>
    where
        Self: 't,
    {
        let _ = (records, first, last, parts, keep);
        None
    }
}

impl Transaction for redb::ReadTransaction {
    type Table<'t, K: redb::Key + 'static, V: redb::Value + 'static> = redb::ReadOnlyTable<K, V>;

    fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        definition: TableDefinition<'_, K, V>,
    ) -> Result<redb::ReadOnlyTable<K, V>> {
        Ok(self.open_table(definition)?)
    }

    fn scan_split<'t>(
        records: &redb::ReadOnlyTable<u64, &'static [u8]>,
        first: Id,
        last: Id,
        parts: usize,
        keep: Keep<'_>,
    ) -> Option<Result<Vec<Part>>>
    where
        Self: 't,
    {
        Some(scan_split(records, first, last, parts, keep))
    }
}

/// What one part of a split scan kept of its records, in id order: the ids, and for
/// each, whatever bytes the keeper chose (a record, sort keys), back to back.
#[derive(Debug, Default)]
pub(crate) struct Part {
    pub(crate) ids: Vec<Id>,
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Part {
    /// Keeps `id` with `bytes`.
    pub(crate) fn keep(&mut self, id: Id, bytes: &[u8]) {
        self.ids.push(id);
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len());
    }

    /// Keeps `id` with the bytes `write` appends.
    pub(crate) fn keep_with(&mut self, id: Id, write: impl FnOnce(&mut Vec<u8>)) {
        self.ids.push(id);
        write(&mut self.bytes);
        self.ends.push(self.bytes.len());
    }

    /// Each kept id with its bytes, in id order.
    pub(crate) fn kept(&self) -> impl DoubleEndedIterator<Item = (Id, &[u8])> {
        (0..self.ids.len()).map(|at| {
            let start = if at == 0 { 0 } else { self.ends[at - 1] };
            (self.ids[at], &self.bytes[start..self.ends[at]])
        })
    }
}

/// What a split scan runs on each record, on the thread of the record's part: whether
/// and what to keep of it (see [`Part`]). It sees the stored bytes (record and check).
pub(crate) type Keep<'k> = &'k (dyn Fn(Id, &[u8], &mut Part) -> Result<()> + Sync);

/// Scans the records with ids in `first..=last` in `parts` parts of equal id spans, one
/// on this thread and each other on a thread of its own, all reading the one snapshot
/// of `records`; returns the parts in id order. A panic on a part's thread goes on here.
fn scan_split(
    records: &(impl ReadableTable<u64, &'static [u8]> + Sync),
    first: Id,
    last: Id,
    parts: usize,
    keep: Keep<'_>,
) -> Result<Vec<Part>> {
    // The ids that are there bound the parts, so that no part is empty for want of ids.
    let mut present = records.range(first..=last)?;
    let (Some(low), Some(high)) = (present.next().transpose()?, present.next_back().transpose()?) else {
        // None or one record: one part.
        let mut part = Part::default();
        walk(records, first, last, |id, stored| keep(id, stored, &mut part).map(|()| Flow::Continue(())))?;
        return Ok(vec![part]);
    };
    let (low, high) = (low.0.value(), high.0.value());
    drop(present);
    let span = (high - low) / parts as u64 + 1;
    let bounds: Vec<(Id, Id)> = (0..parts as u64)
        .map(|k| (low.saturating_add(k * span), low.saturating_add((k + 1) * span - 1).min(high)))
        .filter(|(start, end)| start <= end && *start <= high)
        .collect();
    let scan_part = |(start, end): (Id, Id)| -> Result<Part> {
        let mut part = Part::default();
        walk(records, start, end, |id, stored| keep(id, stored, &mut part).map(|()| Flow::Continue(())))?;
        Ok(part)
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = bounds[1..].iter().map(|&bound| scope.spawn(move || scan_part(bound))).collect();
        let mut found = vec![scan_part(bounds[0])];
        for other in others {
            found.push(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        found.into_iter().collect()
    })
}

/// Visits the records with ids in `first..=last` in id order, until `visit` breaks,
/// through a cursor: redb's cursor steps from one entry to the next in about three
/// quarters of the instructions its range iterator takes (362 against 493 an entry,
/// under callgrind), and a scan takes one step per record.
fn walk(
    records: &impl ReadableTable<u64, &'static [u8]>,
    first: Id,
    last: Id,
    mut visit: impl FnMut(Id, &[u8]) -> Result<Flow>,
) -> Result<()> {
    let mut cursor = records.lower_bound(Bound::Included(first))?;
    while let Some((id, stored)) = cursor.next()? {
        let id = id.value();
        if id > last || visit(id, stored.value())?.is_break() {
            break;
        }
    }
    Ok(())
}

impl Transaction for redb::WriteTransaction {
    type Table<'t, K: redb::Key + 'static, V: redb::Value + 'static> = redb::Table<'t, K, V>;

    fn open<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'t self,
        definition: TableDefinition<'_, K, V>,
    ) -> Result<redb::Table<'t, K, V>> {
        Ok(self.open_table(definition)?)
    }
}

/// An index table, open in transaction `T`.
pub(crate) enum IndexTable<'t, T: Transaction + 't> {
    Unique(SafeDrop<T::Table<'t, &'static [u8], u64>>),
    Multi(SafeDrop<T::Table<'t, &'static [u8], ()>>),
}

impl<'t, T: Transaction + 't> IndexTable<'t, T> {
    /// Opens the table `definition` names.
    pub(crate) fn open(txn: &'t T, definition: IndexTableDef<'_>) -> Result<Self> {
        Ok(match definition {
            IndexTableDef::Unique(definition) => IndexTable::Unique(SafeDrop::new(txn.open(definition)?)),
            IndexTableDef::Multi(definition) => IndexTable::Multi(SafeDrop::new(txn.open(definition)?)),
        })
    }

    /// The object that holds `key` in a unique index; `None` for a key no object holds,
    /// and always for a non-unique index, where keys are shared.
    pub(crate) fn unique_owner(&self, key: &[u8]) -> Result<Option<Id>> {
        match self {
            IndexTable::Unique(table) => Ok(table.get(key)?.map(|owner| owner.value())),
            IndexTable::Multi(_) => Ok(None),
        }
    }
}

/// The records table, open in transaction `T`.
pub(crate) type RecordsTable<'t, T> = <T as Transaction>::Table<'t, u64, &'static [u8]>;

/// A collection's tables in one transaction, each opened on first use.
pub(crate) struct Tables<'t, T: Transaction + 't> {
    txn: &'t T,
    collection: &'t StoredCollection,
    records: OnceCell<SafeDrop<RecordsTable<'t, T>>>,
    indexes: OnceCell<Vec<IndexTable<'t, T>>>,
    /// How many threads a scan may split over.
    threads: usize,
}

impl<'t, T: Transaction + 't> Tables<'t, T> {
    /// The tables of `collection` in `txn`; none is opened yet.
    pub(crate) fn new(txn: &'t T, collection: &'t StoredCollection) -> Self {
        Tables { txn, collection, records: OnceCell::new(), indexes: OnceCell::new(), threads: 1 }
    }

    /// Lets a scan split over `threads` threads (see [`Source::scan_split`]).
    pub(crate) fn splitting(self, threads: usize) -> Self {
        Tables { threads: threads.max(1), ..self }
    }

    pub(crate) fn collection(&self) -> &'t StoredCollection {
        self.collection
    }

    /// The records table.
    pub(crate) fn records(&self) -> Result<&RecordsTable<'t, T>> {
        if let Some(records) = self.records.get() {
            return Ok(records);
        }
        let records = SafeDrop::new(self.txn.open(self.collection.records())?);
        Ok(self.records.get_or_init(|| records))
    }

    /// The index tables, in the order of the schema's indexes.
    pub(crate) fn indexes(&self) -> Result<&[IndexTable<'t, T>]> {
        if let Some(indexes) = self.indexes.get() {
            return Ok(indexes);
        }
        let indexes = self.open_indexes()?;
        Ok(self.indexes.get_or_init(|| indexes))
    }

    fn open_indexes(&self) -> Result<Vec<IndexTable<'t, T>>> {
        self.collection.indexes().map(|(_, definition)| IndexTable::open(self.txn, definition)).collect()
    }

    /// The records table and the index tables, for changing them.
    pub(crate) fn open_mut(&mut self) -> Result<(&mut RecordsTable<'t, T>, &mut [IndexTable<'t, T>])> {
        self.records()?;
        self.indexes()?;
        match (self.records.get_mut(), self.indexes.get_mut()) {
            (Some(records), Some(indexes)) => Ok((records, indexes)),
            // Both were opened just above.
            _ => unreachable!("the tables were opened above"),
        }
    }

    /// Object `id`, decoded.
    pub(crate) fn get<C: Collection>(&self, id: Id) -> Result<Option<C>> {
        match self.records()?.get(id)? {
            Some(stored) => C::decode_in(id, stored.value(), &self.collection.layouts).map(Some),
            None => Ok(None),
        }
    }

    /// Calls `f` with the view of object `id`.
    pub(crate) fn with_view<C: Collection, R>(
        &self,
        id: Id,
        f: impl FnOnce(C::View<'_>) -> R,
    ) -> Result<Option<R>> {
        match self.records()?.get(id)? {
            Some(stored) => {
                C::view_in(id, stored.value(), &self.collection.layouts).map(|view| Some(f(view)))
            }
            None => Ok(None),
        }
    }
}

/// The index keys from `start` (included) to `end` (excluded; `None`: to the last key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub(crate) start: Vec<u8>,
    pub(crate) end: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub(crate) fn all() -> KeyRange {
        KeyRange { start: Vec::new(), end: None }
    }

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

/// What a query reads: a collection's tables in some transaction. Visitors are called in
/// key order (or reversed) until they break.
pub(crate) trait Source {
    /// The collection.
    fn collection(&self) -> &StoredCollection;

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

    /// The stored record of object `id`, if there is one.
    fn record(&self, id: Id, visit: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<bool>;

    /// How many threads a scan may split over (see [`Source::scan_split`]); 1 when it
    /// may not.
    fn threads(&self) -> usize {
        1
    }

    /// Scans the records with ids in `first..=last` in `parts` parts at once, each on a
    /// thread of its own, all from this one snapshot, running `keep` on each record on
    /// its part's thread; the parts come back in id order. `None` where the tables
    /// cannot be read from several threads.
    fn scan_split(&self, first: Id, last: Id, parts: usize, keep: Keep<'_>) -> Option<Result<Vec<Part>>> {
        let _ = (first, last, parts, keep);
        None
    }

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

/// Feeds `entries` to `step` from the last, until it breaks. Forwards, reads step
/// through redb's read cursor instead, which costs less an entry (see [`walk`]).
fn backwards<I: DoubleEndedIterator>(
    entries: I,
    mut step: impl FnMut(I::Item) -> Result<Flow>,
) -> Result<()> {
    for entry in entries.rev() {
        if step(entry)?.is_break() {
            break;
        }
    }
    Ok(())
}

fn visit_range<V: redb::Value + 'static>(
    table: &impl ReadableTable<&'static [u8], V>,
    range: &KeyRange,
    reverse: bool,
    mut visit: impl FnMut(&[u8], V::SelfType<'_>) -> Result<Flow>,
) -> Result<()> {
    let start: &[u8] = &range.start;
    if !reverse {
        // Forwards through a cursor, as `walk` reads records.
        let mut cursor = table.lower_bound(Bound::Included(start))?;
        while let Some((key, value)) = cursor.next()? {
            let key = key.value();
            let past = range.end.as_deref().is_some_and(|end| key >= end);
            if past || visit(key, value.value())?.is_break() {
                break;
            }
        }
        return Ok(());
    }
    let entries = match &range.end {
        Some(end) => table.range::<&[u8]>(start..end.as_slice())?,
        None => table.range::<&[u8]>(start..)?,
    };
    backwards(entries, |entry| {
        let (key, value) = entry?;
        visit(key.value(), value.value())
    })
}

impl<'t, T: Transaction + 't> Source for Tables<'t, T> {
    fn collection(&self) -> &StoredCollection {
        self.collection
    }

    fn len(&self) -> Result<u64> {
        Ok(self.records()?.len()?)
    }

    fn scan(
        &self,
        first: Id,
        last: Id,
        reverse: bool,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        let records = self.records()?;
        if !reverse {
            return walk(records, first, last, visit);
        }
        backwards(records.range(first..=last)?, |entry| {
            let (id, record) = entry?;
            visit(id.value(), record.value())
        })
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn scan_split(&self, first: Id, last: Id, parts: usize, keep: Keep<'_>) -> Option<Result<Vec<Part>>> {
        match self.records() {
            Ok(records) => T::scan_split(records, first, last, parts, keep),
            Err(error) => Some(Err(error)),
        }
    }

    fn record(&self, id: Id, visit: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<bool> {
        match self.records()?.get(id)? {
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
        match &self.indexes()?[index] {
            IndexTable::Unique(table) => {
                visit_range::<u64>(&**table, range, reverse, |key, id| visit(key, id))
            }
            IndexTable::Multi(table) => visit_range::<()>(&**table, range, reverse, |entry, ()| {
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
