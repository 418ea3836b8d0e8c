//! Objects and their index entries in the tables of one collection.
//!
//! Every write keeps the indexes exact: a `put` removes the entries of the object it
//! replaces and adds the new object's; a `delete` removes the object's entries; a unique
//! index is checked before anything of the object is written.

use super::catalog::COUNTERS;
use super::instance::CollectionState;
use crate::guard::Contained;
use crate::{Collection, Error, Id, Result};
use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};

/// The records table: id -> record.
pub(crate) fn records_table(state: &CollectionState) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(&state.records)
}

fn unique_table(name: &str) -> TableDefinition<'_, &'static [u8], u64> {
    TableDefinition::new(name)
}

fn multi_table(name: &str) -> TableDefinition<'_, &'static [u8], ()> {
    TableDefinition::new(name)
}

/// Opens (creating) a table for writing, held so that its drop cannot abort the process
/// (see [`Contained`]).
pub(crate) fn open_table<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &'t WriteTransaction,
    definition: TableDefinition<'_, K, V>,
) -> Result<Contained<Table<'t, K, V>>> {
    Ok(Contained::new(txn.open_table(definition)?))
}

/// Creates the collection's tables, empty.
pub(crate) fn create_tables(txn: &WriteTransaction, state: &CollectionState) -> Result<()> {
    open_table(txn, records_table(state))?;
    for (index, name) in state.schema.indexes.iter().zip(&state.indexes) {
        if index.unique {
            open_table(txn, unique_table(name))?;
        } else {
            open_table(txn, multi_table(name))?;
        }
    }
    Ok(())
}

/// An index table, open for writing. A unique index maps a key to its object's id; the
/// others hold `key ++ id` (big-endian), so one key can have many objects, in id order.
enum IndexTable<'t> {
    Unique(Contained<Table<'t, &'static [u8], u64>>),
    Multi(Contained<Table<'t, &'static [u8], ()>>),
}

impl<'t> IndexTable<'t> {
    /// Opens (creating) the table of `index`, called `name`.
    fn open(txn: &'t WriteTransaction, index: &crate::IndexDef, name: &str) -> Result<Self> {
        Ok(if index.unique {
            IndexTable::Unique(open_table(txn, unique_table(name))?)
        } else {
            IndexTable::Multi(open_table(txn, multi_table(name))?)
        })
    }
}

impl IndexTable<'_> {
    /// Adds the entry `key` of object `id`; `scratch` is reused for `key ++ id`.
    fn insert(&mut self, key: &[u8], id: Id, scratch: &mut Vec<u8>) -> Result<()> {
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

    fn remove(&mut self, key: &[u8], id: Id, scratch: &mut Vec<u8>) -> Result<()> {
        match self {
            IndexTable::Unique(table) => {
                // Only if the entry is this object's: a replaced object's key may
                // already belong to its replacement.
                let owner = table.get(key)?.map(|guard| guard.value());
                if owner == Some(id) {
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
pub(crate) struct Counter {
    /// The stored counter.
    stored: u64,
    /// The largest id assigned so far.
    last: u64,
}

impl Counter {
    fn next<C: Collection>(&mut self) -> Result<Id> {
        self.last = self.last.checked_add(1).ok_or(Error::IdsExhausted { collection: C::SCHEMA.name() })?;
        Ok(self.last)
    }

    fn observe(&mut self, id: Id) {
        self.last = self.last.max(id);
    }
}

/// A collection's tables, open in a write transaction for one operation.
pub(crate) struct WriteTables<'t, 's> {
    state: &'s CollectionState,
    records: Contained<Table<'t, u64, &'static [u8]>>,
    indexes: Vec<IndexTable<'t>>,
    counters: Contained<Table<'t, &'static str, u64>>,
    counter: Counter,
    /// The ids written or deleted, for the watchers.
    pub(crate) touched: Vec<Id>,
    /// Reused for the entries of non-unique indexes.
    scratch: Vec<u8>,
    /// Reused for the keys of each index of the object being put.
    new_keys: Vec<Vec<Vec<u8>>>,
}

impl<'t, 's> WriteTables<'t, 's> {
    pub(crate) fn open(txn: &'t WriteTransaction, state: &'s CollectionState) -> Result<Self> {
        let records = open_table(txn, records_table(state))?;
        let indexes = state
            .schema
            .indexes
            .iter()
            .zip(&state.indexes)
            .map(|(index, name)| IndexTable::open(txn, index, name))
            .collect::<Result<Vec<_>>>()?;
        let counters = open_table(txn, COUNTERS)?;
        // The counter never falls behind the largest id stored, even in a damaged file:
        // a fresh id then never lands on an existing object.
        let stored = counters.get(state.schema.name.as_str())?.map_or(0, |last| last.value());
        let largest = records.last()?.map_or(0, |(id, _)| id.value());
        let last = stored.max(largest);
        Ok(WriteTables {
            state,
            records,
            indexes,
            counters,
            counter: Counter { stored, last },
            touched: Vec::new(),
            scratch: Vec::new(),
            new_keys: Vec::new(),
        })
    }

    /// Writes the counter back where the records table no longer shows the largest id
    /// assigned. Call once the operation is over, failed or not.
    pub(crate) fn finish(&mut self) -> Result<()> {
        if self.counter.last > self.counter.stored {
            let largest = self.records.last()?.map_or(0, |(id, _)| id.value());
            if self.counter.last > largest {
                self.counters.insert(self.state.schema.name.as_str(), self.counter.last)?;
            }
        }
        Ok(())
    }

    /// Stores `object` under its id, or under the next id if its id is 0, and returns
    /// the id. `buffer` is reused for the record.
    pub(crate) fn put<C: Collection>(&mut self, object: &C, buffer: &mut Vec<u8>) -> Result<Id> {
        // A fresh id is above every id in the collection (the counter moves past
        // explicit ones), so no old object can hold it.
        let fresh = object.id() == 0;
        let id = match object.id() {
            0 => self.counter.next::<C>()?,
            id => {
                self.counter.observe(id);
                id
            }
        };
        crate::collection::encode_stored(object, id, buffer)?;
        if self.indexes.is_empty() {
            self.records.insert(id, buffer.as_slice())?;
            self.touched.push(id);
            return Ok(id);
        }

        // The key lists of the previous object are reused (an error on the way drops them).
        let mut new_keys = std::mem::take(&mut self.new_keys);
        new_keys.resize_with(self.indexes.len(), Vec::new);
        for (index, keys) in new_keys.iter_mut().enumerate() {
            keys.clear();
            object.object_index_keys(index, keys);
        }

        // Unique indexes first, before anything is written.
        let mut displaced = Vec::new();
        for (number, (index, table)) in self.state.schema.indexes.iter().zip(&self.indexes).enumerate() {
            let IndexTable::Unique(table) = table else { continue };
            for key in &new_keys[number] {
                let Some(owner) = table.get(key.as_slice())?.map(|guard| guard.value()) else { continue };
                if owner == id {
                    continue;
                }
                if !index.replace {
                    return Err(Error::UniqueViolation {
                        collection: C::SCHEMA.name(),
                        index: index.name(),
                        value: C::index_value(&C::view(id, buffer)?, number),
                        existing: owner,
                    });
                }
                displaced.push(owner);
            }
        }
        displaced.sort_unstable();
        displaced.dedup();
        for owner in displaced {
            self.delete::<C>(owner)?;
        }

        // The insert hands back the record it replaces, if any (never for a fresh id):
        // its entries are the ones to take out.
        let old_keys = match self.records.insert(id, buffer.as_slice())? {
            Some(old) if !fresh => {
                let old = C::view_in(id, old.value(), &self.state.layouts)?;
                Some((0..self.indexes.len()).map(|index| C::index_keys(&old, index)).collect::<Vec<_>>())
            }
            _ => None,
        };
        for (number, table) in self.indexes.iter_mut().enumerate() {
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

    /// Removes object `id` and its index entries; whether it existed.
    pub(crate) fn delete<C: Collection>(&mut self, id: Id) -> Result<bool> {
        let Some(old) = self.records.remove(id)? else { return Ok(false) };
        self.touched.push(id);
        if !self.indexes.is_empty() {
            let view = C::view_in(id, old.value(), &self.state.layouts)?;
            for (number, table) in self.indexes.iter_mut().enumerate() {
                for key in C::index_keys(&view, number) {
                    table.remove(&key, id, &mut self.scratch)?;
                }
            }
        }
        Ok(true)
    }
}

/// Drops the table of an index that was removed from the schema.
pub(crate) fn delete_index_table(txn: &WriteTransaction, index: &crate::IndexDef, name: &str) -> Result<()> {
    if index.unique {
        txn.delete_table(unique_table(name))?;
    } else {
        txn.delete_table(multi_table(name))?;
    }
    Ok(())
}

/// Writes the entries of one index while it is filled from the objects.
pub(crate) struct IndexWriter<'t> {
    table: IndexTable<'t>,
}

impl<'t> IndexWriter<'t> {
    /// Opens (creating) the table of `index`, called `name`.
    pub(crate) fn open(txn: &'t WriteTransaction, index: &crate::IndexDef, name: &str) -> Result<Self> {
        Ok(IndexWriter { table: IndexTable::open(txn, index, name)? })
    }

    /// Adds the entry `key` of object `id`. A unique key that another object holds
    /// already is a violation.
    pub(crate) fn insert(
        &mut self,
        key: &[u8],
        id: Id,
        state: &CollectionState,
        index: &crate::IndexDef,
    ) -> Result<()> {
        if let IndexTable::Unique(table) = &self.table
            && let Some(owner) = table.get(key)?.map(|guard| guard.value())
            && owner != id
        {
            return Err(Error::SchemaIncompatible {
                instance: String::new(),
                collection: state.schema.name.clone(),
                changes: vec![crate::Change::UniqueIndexViolated {
                    index: index.clone(),
                    first: owner,
                    second: id,
                }],
            });
        }
        self.table.insert(key, id, &mut Vec::new())
    }
}

/// Removes every object, index entry and the id counter of a collection.
pub(crate) fn clear(txn: &WriteTransaction, state: &CollectionState) -> Result<()> {
    txn.delete_table(records_table(state))?;
    for (index, name) in state.schema.indexes.iter().zip(&state.indexes) {
        if index.unique {
            txn.delete_table(unique_table(name))?;
        } else {
            txn.delete_table(multi_table(name))?;
        }
    }
    open_table(txn, COUNTERS)?.remove(state.schema.name.as_str())?;
    create_tables(txn, state)
}

/// Object `id` from a records table, decoded.
pub(crate) fn get<C: Collection>(
    records: &impl ReadableTable<u64, &'static [u8]>,
    state: &CollectionState,
    id: Id,
) -> Result<Option<C>> {
    match records.get(id)? {
        Some(record) => C::decode_in(id, record.value(), &state.layouts).map(Some),
        None => Ok(None),
    }
}

/// Calls `f` with the view of object `id` from a records table.
pub(crate) fn with_view<C: Collection, R>(
    records: &impl ReadableTable<u64, &'static [u8]>,
    state: &CollectionState,
    id: Id,
    f: impl FnOnce(C::View<'_>) -> R,
) -> Result<Option<R>> {
    match records.get(id)? {
        Some(record) => C::view_in(id, record.value(), &state.layouts).map(|view| Some(f(view))),
        None => Ok(None),
    }
}
