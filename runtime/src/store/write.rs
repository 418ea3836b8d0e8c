//! Writing objects and their index entries into the tables of one collection.
//!
//! Every write keeps the indexes exact: a `put` removes the entries of the object it
//! replaces and adds the new object's; a `delete` removes the object's entries; a unique
//! index is checked before anything of the object is written.

use super::catalog::COUNTERS;
use super::collection::StoredCollection;
use super::tables::{IndexTable, Tables};
use crate::codec::Layouts;
use crate::guard::SafeDrop;
use crate::{Collection, Error, Id, Result};
use redb::{ReadableTable, Table, WriteTransaction};
use std::ops::Bound;

/// Opens (creating) a table for writing, held so that its drop cannot abort the process
/// (see [`SafeDrop`]).
pub(crate) fn open_table<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &'t WriteTransaction,
    definition: redb::TableDefinition<'_, K, V>,
) -> Result<SafeDrop<Table<'t, K, V>>> {
    Ok(SafeDrop::new(txn.open_table(definition)?))
}

/// Creates the collection's tables, empty.
pub(crate) fn create_tables(txn: &WriteTransaction, collection: &StoredCollection) -> Result<()> {
    let mut tables = Tables::new(txn, collection);
    tables.open_mut()?;
    Ok(())
}

impl<'t> IndexTable<'t, WriteTransaction> {
    /// Adds the entry `key` of object `id`; `scratch` is reused for `key ++ id`.
    pub(crate) fn insert(&mut self, key: &[u8], id: Id, scratch: &mut Vec<u8>) -> Result<()> {
        match self {
            IndexTable::Unique(table) => {
                table.insert(key, id)?;
            }
            IndexTable::Multi(table) => {
                table.insert(with_id(key, id, scratch), ())?;
            }
        }
        Ok(())
    }

    /// Removes the entry `key` of object `id`.
    fn remove(&mut self, key: &[u8], id: Id, scratch: &mut Vec<u8>) -> Result<()> {
        // A unique entry goes only if it is this object's: a replaced object's key may
        // already belong to its replacement.
        let owned = self.unique_owner(key)? == Some(id);
        match self {
            IndexTable::Unique(table) => {
                if owned {
                    table.remove(key)?;
                }
            }
            IndexTable::Multi(table) => {
                table.remove(with_id(key, id, scratch))?;
            }
        }
        Ok(())
    }
}

/// How many objects' index entries a batch gathers before it writes them: enough to
/// sort the keys of a million objects at once (at 1M messages, 1.35x raw redb's bulk
/// insert, where gathering 64k at a time gave 0.97x), at some 40 bytes an entry.
const GATHERED_OBJECTS: usize = 1 << 20;

/// How many bytes of new records a batch holds back before it appends them.
const APPENDED_BYTES: usize = 4 << 20;

/// The records that a batch holds back, in id order, to append them at the end of the
/// records table through one cursor: each has an id above every id in the table, so it
/// goes after the last, and redb fills leaves with a run of them at once instead of
/// finding the last leaf again, and shifting its entries, for each record.
#[derive(Debug, Default)]
struct Appended {
    bytes: Vec<u8>,
    /// Each record's id and where it ends in `bytes`.
    records: Vec<(Id, usize)>,
}

impl Appended {
    fn push(&mut self, id: Id, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        self.records.push((id, self.bytes.len()));
    }

    /// Each record with its id, in id order.
    fn iter(&self) -> impl Iterator<Item = (Id, &[u8])> {
        let starts = std::iter::once(0).chain(self.records.iter().map(|&(_, end)| end));
        self.records.iter().zip(starts).map(|(&(id, end), start)| (id, &self.bytes[start..end]))
    }

    /// Appends the records to `records`, and forgets them. A record the cursor refuses
    /// (an id not above the table's last, which the batch never holds back) and every
    /// one after it are inserted one by one instead.
    fn write(&mut self, records: &mut Table<'_, u64, &'static [u8]>) -> Result<()> {
        if self.records.is_empty() {
            return Ok(());
        }
        let mut written = 0;
        // Held as the tables are, so that its drop (which writes what it holds back)
        // cannot abort the process while a panic unwinds.
        let mut cursor = SafeDrop::new(records.upper_bound_mut(Bound::<u64>::Unbounded)?);
        for (id, record) in self.iter() {
            match cursor.insert_before(id, record) {
                Ok(()) => written += 1,
                Err(redb::CursorError::UnorderedKey) => break,
                Err(error) => return Err(Error::Storage(error.into())),
            }
        }
        cursor.into_inner().close()?;
        for (id, record) in self.iter().skip(written) {
            records.insert(id, record)?;
        }
        self.bytes.clear();
        self.records.clear();
        Ok(())
    }
}

/// The entries of one non-unique index gathered by a batch, each `key ++ id`, to be
/// inserted or removed: one buffer for all, not an allocation each.
#[derive(Debug, Default)]
struct Gathered {
    bytes: Vec<u8>,
    spans: Vec<Span>,
}

/// Where a gathered entry lies in [`Gathered::bytes`], and what to do with it.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    insert: bool,
}

impl Span {
    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

impl Gathered {
    fn push(&mut self, key: &[u8], id: Id, insert: bool) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(&id.to_be_bytes());
        self.spans.push(Span { start, end: self.bytes.len(), insert });
    }
}

impl<'t> IndexTable<'t, WriteTransaction> {
    /// Inserts or removes the gathered entries of a non-unique index, `spans` of `bytes`,
    /// sorted by entry (`key ++ id`), in their order.
    ///
    /// A run of inserts goes through a cursor: opened at the gap where the run's first
    /// entry belongs, it takes each following entry that sorts before the next entry
    /// already in the table, and redb splices such a run into the tree at once instead
    /// of finding the leaf again for each entry. An entry that does not fit the gap ends
    /// the run, and the next run starts at its own gap. An entry already in the table
    /// (the cursor refuses a key equal to a neighbour) is inserted alone, which changes
    /// nothing, as inserting it one by one would.
    fn write_sorted(&mut self, bytes: &[u8], spans: &[Span]) -> Result<()> {
        let IndexTable::Multi(table) = self else {
            unreachable!("a batch gathers the entries of non-unique indexes only")
        };
        let mut at = 0;
        while let Some(span) = spans.get(at) {
            let entry = &bytes[span.range()];
            if !span.insert {
                table.remove(entry)?;
                at += 1;
                continue;
            }
            // Held as the tables are (see `Appended::write`).
            let mut cursor = SafeDrop::new(table.lower_bound_mut(Bound::Included(entry))?);
            let start = at;
            while let Some(span) = spans.get(at).filter(|span| span.insert) {
                match cursor.insert_before(&bytes[span.range()], ()) {
                    Ok(()) => at += 1,
                    Err(redb::CursorError::UnorderedKey) => break,
                    Err(error) => return Err(Error::Storage(error.into())),
                }
            }
            cursor.into_inner().close()?;
            if at == start {
                // Refused at its own gap: the entry is in the table already.
                table.insert(entry, ())?;
                at += 1;
            }
        }
        Ok(())
    }
}

/// `key ++ id` (big-endian), written into `scratch`.
fn with_id<'s>(key: &[u8], id: Id, scratch: &'s mut Vec<u8>) -> &'s [u8] {
    scratch.clear();
    scratch.extend_from_slice(key);
    scratch.extend_from_slice(&id.to_be_bytes());
    scratch
}

/// The id counter of a collection, as a transaction sees it.
///
/// The largest id ever assigned is the larger of the stored counter and the largest id
/// in the records table, so the counter is written only when that key no longer shows
/// it: after the object with the largest id was deleted, or a failed `put_all` was
/// committed anyway. A plain insert writes nothing to the counters table.
struct Counter {
    /// The stored counter.
    stored: u64,
    /// The largest id assigned so far.
    last: u64,
}

impl Counter {
    fn next(&mut self, collection: &str) -> Result<Id> {
        self.last = self
            .last
            .checked_add(1)
            .ok_or_else(|| Error::IdsExhausted { collection: collection.to_owned() })?;
        Ok(self.last)
    }

    fn observe(&mut self, id: Id) {
        self.last = self.last.max(id);
    }
}

/// An object to put, as a [`Writer`] needs it, whether its type is known (a
/// [`Collection`]) or only its stored schema (the dynamic reader's values).
pub(crate) trait Object {
    /// Its id; 0 for "assign the next one".
    fn id(&self) -> Id;
    /// Writes its stored bytes (record and check) for `id` into `out`, cleared first.
    fn encode(&self, id: Id, out: &mut Vec<u8>) -> Result<()>;
    /// Appends the keys of index number `index` to `keys`.
    fn index_keys(&self, index: usize, keys: &mut Vec<Vec<u8>>) -> Result<()>;
}

/// What a [`Writer`] reads of stored objects of a collection: their index keys, and the
/// value an index covers, for messages. A typed collection reads them from its view;
/// the dynamic reader from its plan of the stored schema.
pub(crate) trait StoredKeys {
    /// The keys of every index, by index number, of the stored bytes of object `id`.
    fn stored_keys(&self, id: Id, stored: &[u8], layouts: &Layouts) -> Result<Vec<Vec<Vec<u8>>>>;
    /// The value index number `index` covers in the stored bytes of object `id`.
    fn index_value(&self, id: Id, stored: &[u8], index: usize) -> Result<String>;
}

/// A typed object.
pub(crate) struct Typed<'a, C>(pub(crate) &'a C);

impl<C: Collection> Object for Typed<'_, C> {
    fn id(&self) -> Id {
        self.0.id()
    }

    fn encode(&self, id: Id, out: &mut Vec<u8>) -> Result<()> {
        crate::collection::encode_stored(self.0, id, out)
    }

    fn index_keys(&self, index: usize, keys: &mut Vec<Vec<u8>>) -> Result<()> {
        self.0.object_index_keys(index, keys);
        Ok(())
    }
}

/// The stored objects of a typed collection.
pub(crate) struct TypedKeys<C>(std::marker::PhantomData<fn() -> C>);

impl<C> TypedKeys<C> {
    pub(crate) fn new() -> Self {
        TypedKeys(std::marker::PhantomData)
    }
}

impl<C: Collection> StoredKeys for TypedKeys<C> {
    fn stored_keys(&self, id: Id, stored: &[u8], layouts: &Layouts) -> Result<Vec<Vec<Vec<u8>>>> {
        let view = C::view_in(id, stored, layouts)?;
        Ok((0..C::SCHEMA.indexes().len()).map(|index| C::index_keys(&view, index)).collect())
    }

    fn index_value(&self, id: Id, stored: &[u8], index: usize) -> Result<String> {
        Ok(C::index_value(&C::view(id, stored)?, index))
    }
}

/// A collection's tables in a write transaction, open for one operation of a handle.
pub(crate) struct Writer<'t> {
    tables: Tables<'t, WriteTransaction>,
    counters: SafeDrop<Table<'t, &'static str, u64>>,
    counter: Counter,
    /// The ids written or deleted, for the watchers.
    pub(crate) touched: Vec<Id>,
    /// Reused for the entries of non-unique indexes.
    scratch: Vec<u8>,
    /// Reused for the keys of each index of the object being put.
    new_keys: Vec<Vec<Vec<u8>>>,
}

impl<'t> Writer<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction, collection: &'t StoredCollection) -> Result<Self> {
        let tables = Tables::new(txn, collection);
        let counters = open_table(txn, COUNTERS)?;
        // The counter never falls behind the largest id stored, even in a damaged file:
        // a fresh id then never lands on an existing object.
        let stored = counters.get(collection.schema.name.as_str())?.map_or(0, |last| last.value());
        let largest = tables.records()?.last()?.map_or(0, |(id, _)| id.value());
        Ok(Writer {
            tables,
            counters,
            counter: Counter { stored, last: stored.max(largest) },
            touched: Vec::new(),
            scratch: Vec::new(),
            new_keys: Vec::new(),
        })
    }

    /// Writes the counter back where the records table no longer shows the largest id
    /// assigned. Call once the operation is over, failed or not.
    pub(crate) fn finish(&mut self) -> Result<()> {
        if self.counter.last > self.counter.stored {
            let largest = self.tables.records()?.last()?.map_or(0, |(id, _)| id.value());
            if self.counter.last > largest {
                let name = self.tables.collection().schema.name.as_str();
                self.counters.insert(name, self.counter.last)?;
            }
        }
        Ok(())
    }

    /// Stores `object` under its id, or under the next id if its id is 0, and returns
    /// the id. `buffer` is reused for the record.
    pub(crate) fn put<C: Collection>(&mut self, object: &C, buffer: &mut Vec<u8>) -> Result<Id> {
        self.put_object(&Typed(object), &TypedKeys::<C>::new(), buffer)
    }

    /// Stores `object` as [`put`](Self::put) does, reading stored objects through
    /// `stored` (their keys, to replace or remove their index entries).
    pub(crate) fn put_object(
        &mut self,
        object: &impl Object,
        stored: &impl StoredKeys,
        buffer: &mut Vec<u8>,
    ) -> Result<Id> {
        let (id, fresh) = self.encode(object, buffer)?;
        let collection = self.tables.collection();
        if collection.schema.indexes.is_empty() {
            let (records, _) = self.tables.open_mut()?;
            records.insert(id, buffer.as_slice())?;
            self.touched.push(id);
            return Ok(id);
        }
        let new_keys = self.keys_of(object)?;

        // Unique indexes first, before anything is written.
        let mut displaced = Vec::new();
        for (number, (index, table)) in
            collection.schema.indexes.iter().zip(self.tables.indexes()?).enumerate()
        {
            for key in &new_keys[number] {
                let Some(owner) = table.unique_owner(key)? else { continue };
                if owner == id {
                    continue;
                }
                if !index.replace {
                    return Err(Error::UniqueViolation {
                        collection: collection.schema.name.clone(),
                        index: index.name(),
                        value: crate::error::quote_value(stored.index_value(id, buffer, number)?),
                        existing: owner,
                        position: None,
                        existing_position: None,
                    });
                }
                displaced.push(owner);
            }
        }
        displaced.sort_unstable();
        displaced.dedup();
        for owner in displaced {
            self.delete_object(owner, stored)?;
        }

        let (records, indexes) = self.tables.open_mut()?;
        // The insert hands back the record it replaces, if any (never for a fresh id):
        // its entries are the ones to take out.
        let old_keys = match records.insert(id, buffer.as_slice())? {
            Some(old) if !fresh => Some(stored.stored_keys(id, old.value(), &collection.layouts)?),
            _ => None,
        };
        for (number, table) in indexes.iter_mut().enumerate() {
            let old = old_keys.as_ref().map(|old| &old[number]);
            if let Some(old) = old {
                for key in old.iter().filter(|key| !new_keys[number].contains(key)) {
                    table.remove(key, id, &mut self.scratch)?;
                }
            }
            for key in new_keys[number].iter().filter(|key| old.is_none_or(|old| !old.contains(key))) {
                table.insert(key, id, &mut self.scratch)?;
            }
        }
        self.touched.push(id);
        self.new_keys = new_keys;
        Ok(id)
    }

    /// The id `object` is stored under (the next one for an id of 0) and whether it is
    /// fresh, with its stored bytes written into `buffer`. A fresh id is above every id
    /// in the collection (the counter moves past explicit ones), so no old object holds
    /// it.
    fn encode(&mut self, object: &impl Object, buffer: &mut Vec<u8>) -> Result<(Id, bool)> {
        let id = match object.id() {
            0 => self.counter.next(&self.tables.collection().schema.name)?,
            id => {
                self.counter.observe(id);
                id
            }
        };
        object.encode(id, buffer)?;
        Ok((id, object.id() == 0))
    }

    /// The keys of each index of `object`, in the lists of the previous object, reused
    /// (give them back to `new_keys`; an error on the way drops them).
    fn keys_of(&mut self, object: &impl Object) -> Result<Vec<Vec<Vec<u8>>>> {
        let mut new_keys = std::mem::take(&mut self.new_keys);
        new_keys.resize_with(self.tables.collection().schema.indexes.len(), Vec::new);
        for (index, keys) in new_keys.iter_mut().enumerate() {
            keys.clear();
            object.index_keys(index, keys)?;
        }
        Ok(new_keys)
    }

    /// Stores `objects` in order as [`put_object`](Self::put_object) stores each,
    /// pushing their ids to `ids`; on an error, the position of the object that failed.
    ///
    /// A B-tree takes keys far faster in order than scattered, and a batch's index keys
    /// come in object order, which is random order for an index on `author`, say. So
    /// where no index is unique (a unique key must be checked against the objects before
    /// it), the batch's index entries are gathered, sorted, and written in key order,
    /// in runs through a cursor (see [`IndexTable::write_sorted`]); the records go in as
    /// they come, those whose ids are above every stored one appended through a cursor
    /// (see [`Appended`]). What the batch writes is what putting its objects one by one
    /// writes, on an error too: the records and entries of the objects stored before the
    /// failing one go in.
    pub(crate) fn put_batch<O: Object>(
        &mut self,
        objects: impl IntoIterator<Item = O>,
        stored: &impl StoredKeys,
        buffer: &mut Vec<u8>,
        ids: &mut Vec<Id>,
    ) -> Result<(), (usize, Error)> {
        let indexes = &self.tables.collection().schema.indexes;
        if indexes.iter().any(|index| index.unique) {
            for (position, object) in objects.into_iter().enumerate() {
                ids.push(self.put_object(&object, stored, buffer).map_err(|error| (position, error))?);
            }
            return Ok(());
        }
        let mut gathered: Vec<Gathered> = (0..indexes.len()).map(|_| Gathered::default()).collect();
        let mut appended = Appended::default();
        let mut count = 0;
        let mut failed = None;
        for (position, object) in objects.into_iter().enumerate() {
            match self.put_gathering(&object, stored, buffer, &mut gathered, &mut appended) {
                Ok(id) => ids.push(id),
                Err(error) => {
                    failed = Some((position, error));
                    break;
                }
            }
            count += 1;
            if appended.bytes.len() >= APPENDED_BYTES {
                self.write_appended(&mut appended).map_err(|error| (position, error))?;
            }
            if count % GATHERED_OBJECTS == 0 {
                self.write_gathered(&mut gathered).map_err(|error| (position, error))?;
            }
        }
        self.write_appended(&mut appended).map_err(|error| (count, error))?;
        self.write_gathered(&mut gathered).map_err(|error| (count, error))?;
        failed.map_or(Ok(()), Err)
    }

    /// Appends the records `appended` holds back (see [`Appended`]).
    fn write_appended(&mut self, appended: &mut Appended) -> Result<()> {
        let (records, _) = self.tables.open_mut()?;
        appended.write(records)
    }

    /// [`put_object`](Self::put_object) for a collection without unique indexes, its
    /// index entries added to `gathered` (by index number) instead of written. Its
    /// record waits in `appended` when its id is above every id in the table: a fresh
    /// one, or one above the counter, which no stored id passes. Any other goes in
    /// after the records held back, since it may replace one of them.
    fn put_gathering(
        &mut self,
        object: &impl Object,
        stored: &impl StoredKeys,
        buffer: &mut Vec<u8>,
        gathered: &mut [Gathered],
        appended: &mut Appended,
    ) -> Result<Id> {
        let above = object.id() == 0 || object.id() > self.counter.last;
        let (id, _) = self.encode(object, buffer)?;
        let collection = self.tables.collection();
        let new_keys = self.keys_of(object)?;
        let old_keys = if above {
            // No stored object holds the id: nothing to replace.
            appended.push(id, buffer);
            None
        } else {
            let (records, _) = self.tables.open_mut()?;
            appended.write(records)?;
            match records.insert(id, buffer.as_slice())? {
                Some(old) => Some(stored.stored_keys(id, old.value(), &collection.layouts)?),
                None => None,
            }
        };
        for (number, entries) in gathered.iter_mut().enumerate() {
            let old = old_keys.as_ref().map(|old| &old[number]);
            if let Some(old) = old {
                for key in old.iter().filter(|key| !new_keys[number].contains(key)) {
                    entries.push(key, id, false);
                }
            }
            for key in new_keys[number].iter().filter(|key| old.is_none_or(|old| !old.contains(key))) {
                entries.push(key, id, true);
            }
        }
        self.touched.push(id);
        self.new_keys = new_keys;
        Ok(id)
    }

    /// Writes the gathered entries of each index in key order, and forgets them. Entries
    /// of one key keep their order (an object put twice in a batch), as the sort is
    /// stable.
    fn write_gathered(&mut self, gathered: &mut [Gathered]) -> Result<()> {
        let (_, tables) = self.tables.open_mut()?;
        for (entries, table) in gathered.iter_mut().zip(tables.iter_mut()) {
            let Gathered { bytes, spans } = entries;
            spans.sort_by(|a, b| bytes[a.range()].cmp(&bytes[b.range()]));
            table.write_sorted(bytes, spans)?;
            spans.clear();
            bytes.clear();
        }
        Ok(())
    }

    /// The object that holds `key` in unique index number `index`, if any.
    pub(crate) fn unique_owner(&self, index: usize, key: &[u8]) -> Result<Option<Id>> {
        self.tables.indexes()?[index].unique_owner(key)
    }

    /// Removes object `id` and its index entries; whether it existed.
    pub(crate) fn delete<C: Collection>(&mut self, id: Id) -> Result<bool> {
        self.delete_object(id, &TypedKeys::<C>::new())
    }

    /// Removes object `id` and its index entries, read through `stored`; whether it
    /// existed.
    pub(crate) fn delete_object(&mut self, id: Id, stored: &impl StoredKeys) -> Result<bool> {
        let layouts = &self.tables.collection().layouts;
        let (records, indexes) = self.tables.open_mut()?;
        let Some(old) = records.remove(id)? else { return Ok(false) };
        self.touched.push(id);
        if !indexes.is_empty() {
            let keys = stored.stored_keys(id, old.value(), layouts)?;
            for (table, keys) in indexes.iter_mut().zip(keys) {
                for key in keys {
                    table.remove(&key, id, &mut self.scratch)?;
                }
            }
        }
        Ok(true)
    }
}

/// Removes every object, index entry and the id counter of a collection.
pub(crate) fn clear(txn: &WriteTransaction, collection: &StoredCollection) -> Result<()> {
    txn.delete_table(collection.records())?;
    for (_, definition) in collection.indexes() {
        definition.delete(txn)?;
    }
    open_table(txn, COUNTERS)?.remove(collection.schema.name.as_str())?;
    create_tables(txn, collection)
}
