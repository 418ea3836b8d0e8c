//! Collection handles: what `db.messages()`, `read_txn.messages()` and
//! `write_txn.messages()` return. Only the write transaction's handle writes.

use super::Db;
use super::instance::{CollectionState, Instance};
use super::store::{self, WriteTables};
use super::txn::{ReadTxn, WriteTxn};
use super::watchers::{Interest, Watchers};
use crate::guard::{storage, user};
use crate::watch::Watcher;
use crate::{Collection, Id, Result};
use redb::{ReadOnlyTable, ReadableTableMetadata};
use std::cell::OnceCell;
use std::marker::PhantomData;
use std::sync::Arc;

/// What the generated accessors (`db.messages()`) are built on: [`Db`], [`ReadTxn`] and
/// [`WriteTxn`] each hand out their own kind of collection handle.
pub trait Access {
    /// The handle this gives for collection `C`.
    type Collection<'a, C: Collection>
    where
        Self: 'a;

    /// The handle of collection `C`.
    fn collection<C: Collection>(&self) -> Self::Collection<'_, C>;
}

impl Access for Db {
    type Collection<'a, C: Collection> = DbCollection<'a, C>;

    fn collection<C: Collection>(&self) -> DbCollection<'_, C> {
        DbCollection { db: self, marker: PhantomData }
    }
}

impl<'db> Access for ReadTxn<'db> {
    type Collection<'a, C: Collection>
        = ReadCollection<'a, C>
    where
        Self: 'a;

    fn collection<C: Collection>(&self) -> ReadCollection<'_, C> {
        ReadCollection { txn: self, records: OnceCell::new(), marker: PhantomData }
    }
}

impl<'db> Access for WriteTxn<'db> {
    type Collection<'a, C: Collection>
        = WriteCollection<'a, C>
    where
        Self: 'a;

    fn collection<C: Collection>(&self) -> WriteCollection<'_, C> {
        WriteCollection { txn: self, marker: PhantomData }
    }
}

/// A collection of an open instance, outside any transaction: each read runs in a
/// read transaction of its own. It cannot write; writes need `Db::write_txn_sync`.
pub struct DbCollection<'a, C> {
    db: &'a Db,
    marker: PhantomData<fn() -> C>,
}

impl<'a, C: Collection> DbCollection<'a, C> {
    fn read<R>(&self, f: impl FnOnce(&ReadCollection<'_, C>) -> Result<R>) -> Result<R> {
        let instance = &self.db.instance;
        storage(&instance.path, || {
            let txn = ReadTxn::begin(instance)?;
            f(&txn.collection::<C>())
        })
    }

    /// The object with this id.
    pub fn get(&self, id: Id) -> Result<Option<C>> {
        self.read(|collection| collection.get(id))
    }

    /// The objects with these ids, in the same order; `None` where there is none.
    pub fn get_all(&self, ids: &[Id]) -> Result<Vec<Option<C>>> {
        self.read(|collection| collection.get_all(ids))
    }

    /// The number of objects.
    pub fn count(&self) -> Result<u64> {
        self.read(|collection| collection.count())
    }

    /// Every object, in id order, from one snapshot.
    pub fn all(&self) -> Result<Vec<C>> {
        self.read(|collection| collection.iter()?.collect())
    }

    /// A query over the collection, run in a read transaction of its own.
    pub fn query(&self) -> crate::Query<'a, C, Db> {
        crate::Query::new(self.db)
    }

    /// The object whose `field` equals `value`: with a unique index on `field`, one index
    /// lookup; without one, the first in id order.
    pub fn get_by<T: crate::KeyPart + Send + Sync + 'static>(
        &self,
        field: crate::Field<C, T>,
        value: T::View<'_>,
    ) -> Result<Option<C>> {
        self.query().filter(field.eq(value)).find_first()
    }

    /// Cross-checks every index entry against the objects: each object has exactly the
    /// entries its values make, and no entry lacks its object.
    pub fn verify(&self) -> Result<()> {
        self.read(|collection| collection.verify())
    }

    /// A watcher that receives `()` after each commit that changed this collection, from
    /// any thread and any handle of the instance. A collection the instance was not
    /// opened with gives a watcher that is disconnected from the start.
    pub fn watch_lazy(&self) -> Watcher<()> {
        let instance = &self.db.instance;
        if instance.collection::<C>().is_err() {
            return Watchers::closed();
        }
        instance.watchers.subscribe(
            C::SCHEMA.name(),
            Interest::Collection,
            |_| Some(()),
            Box::new(|| Some(())),
        )
    }

    /// A watcher that receives object `id` as committed, or `None` once it is deleted,
    /// after each commit that wrote or deleted it.
    pub fn watch_object(&self, id: Id) -> Watcher<Option<C>>
    where
        C: Send,
    {
        let instance = &self.db.instance;
        if instance.collection::<C>().is_err() {
            return Watchers::closed();
        }
        let weak = Arc::downgrade(instance);
        let current = move || weak.upgrade().and_then(|instance| read_object::<C>(&instance, id).ok());
        let produce = move |instance: &Instance| read_object::<C>(instance, id).ok();
        instance.watchers.subscribe(C::SCHEMA.name(), Interest::Object(id), produce, Box::new(current))
    }
}

/// Object `id` as the instance's last commit left it.
fn read_object<C: Collection>(instance: &Instance, id: Id) -> Result<Option<C>> {
    let txn = ReadTxn::begin(instance)?;
    txn.collection::<C>().get(id)
}

/// A collection in a read transaction.
pub struct ReadCollection<'a, C> {
    txn: &'a ReadTxn<'a>,
    /// Opened on first use and kept for the handle's life.
    records: OnceCell<ReadOnlyTable<u64, &'static [u8]>>,
    marker: PhantomData<fn() -> C>,
}

impl<'a, C: Collection> ReadCollection<'a, C> {
    fn state(&self) -> Result<&'a CollectionState> {
        self.txn.instance.collection::<C>()
    }

    fn records(&self) -> Result<(&ReadOnlyTable<u64, &'static [u8]>, &'a CollectionState)> {
        let state = self.state()?;
        let table = match self.records.get() {
            Some(table) => table,
            None => {
                let table = self.txn.txn.open_table(store::records_table(state))?;
                self.records.get_or_init(|| table)
            }
        };
        Ok((table, state))
    }

    /// The object with this id.
    pub fn get(&self, id: Id) -> Result<Option<C>> {
        storage(&self.txn.instance.path, || {
            let (records, state) = self.records()?;
            store::get(records, state, id)
        })
    }

    /// The objects with these ids, in the same order; `None` where there is none.
    pub fn get_all(&self, ids: &[Id]) -> Result<Vec<Option<C>>> {
        storage(&self.txn.instance.path, || {
            let (records, state) = self.records()?;
            ids.iter().map(|&id| store::get(records, state, id)).collect()
        })
    }

    /// Calls `f` with a zero-copy view of object `id`, which reads the stored bytes in
    /// place; `None` if there is no such object.
    pub fn with_view<R>(&self, id: Id, f: impl FnOnce(C::View<'_>) -> R) -> Result<Option<R>> {
        storage(&self.txn.instance.path, || {
            let (records, state) = self.records()?;
            store::with_view::<C, R>(records, state, id, |view| user(|| f(view)))
        })
    }

    /// The number of objects.
    pub fn count(&self) -> Result<u64> {
        storage(&self.txn.instance.path, || Ok(self.records()?.0.len()?))
    }

    /// A query over the collection, in this transaction's snapshot.
    pub fn query(&self) -> crate::Query<'a, C, ReadTxn<'a>> {
        crate::Query::new(self.txn)
    }

    /// The object whose `field` equals `value` (see [`DbCollection::get_by`]).
    pub fn get_by<T: crate::KeyPart + Send + Sync + 'static>(
        &self,
        field: crate::Field<C, T>,
        value: T::View<'_>,
    ) -> Result<Option<C>> {
        self.query().filter(field.eq(value)).find_first()
    }

    /// Cross-checks every index entry against the objects (see [`DbCollection::verify`]).
    pub fn verify(&self) -> Result<()> {
        storage(&self.txn.instance.path, || {
            let state = self.state()?;
            let tables = crate::db::read_tables(&self.txn.txn, state)?;
            crate::index::verify::<C>(&tables)
        })
    }

    /// Every object, in id order.
    pub fn iter(&self) -> Result<impl Iterator<Item = Result<C>> + 'a> {
        let path = &self.txn.instance.path;
        let (records, state) = storage(path, || self.records())?;
        let mut range = storage(path, || Ok(records.range::<u64>(..)?))?;
        // Each step reads pages, so each step is guarded.
        Ok(std::iter::from_fn(move || {
            storage(path, || {
                let Some(entry) = range.next() else { return Ok(None) };
                let (id, record) = entry?;
                let id = id.value();
                C::decode_in(id, record.value(), &state.layouts).map(Some)
            })
            .transpose()
        }))
    }
}

/// A collection in a write transaction: reads see the transaction's own writes.
pub struct WriteCollection<'a, C> {
    txn: &'a WriteTxn<'a>,
    marker: PhantomData<fn() -> C>,
}

impl<'a, C: Collection> WriteCollection<'a, C> {
    /// Runs `f` on the collection's tables, then records the id counter where it must.
    fn write<R>(&self, f: impl FnOnce(&mut WriteTables<'_, '_>, &mut Vec<u8>) -> Result<R>) -> Result<R> {
        storage(&self.txn.instance.path, || {
            let state = self.txn.instance.collection::<C>()?;
            let mut tables = WriteTables::open(&self.txn.txn, state)?;
            let mut buffer = self.txn.buffer.borrow_mut();
            let result = f(&mut tables, &mut buffer);
            // Even a failed operation may have written, and the caller may commit anyway:
            // the counter keeps every id it handed out, and watchers hear of every id it
            // touched.
            let finished = tables.finish();
            let result = result.and_then(|result| finished.map(|()| result));
            self.txn.changes.borrow_mut().touch(C::SCHEMA.name(), tables.touched.drain(..));
            result
        })
    }

    /// Stores `object`. An id of 0 takes the next id from the collection's counter, and
    /// the id is written back into `object`; an existing id replaces that object.
    pub fn put(&self, object: &mut C) -> Result<Id> {
        let id = self.write(|tables, buffer| tables.put(object, buffer))?;
        object.set_id(id);
        Ok(id)
    }

    /// Stores every object of `objects`, writing the assigned ids back; returns them.
    pub fn put_all(&self, objects: &mut [C]) -> Result<Vec<Id>> {
        let ids =
            self.write(|tables, buffer| objects.iter().map(|object| tables.put(object, buffer)).collect())?;
        for (object, &id) in objects.iter_mut().zip(&ids) {
            object.set_id(id);
        }
        Ok(ids)
    }

    /// A query over the collection, seeing this transaction's writes.
    pub fn query(&self) -> crate::Query<'a, C, WriteTxn<'a>> {
        crate::Query::new(self.txn)
    }

    /// The object whose `field` equals `value` (see [`DbCollection::get_by`]).
    pub fn get_by<T: crate::KeyPart + Send + Sync + 'static>(
        &self,
        field: crate::Field<C, T>,
        value: T::View<'_>,
    ) -> Result<Option<C>> {
        self.query().filter(field.eq(value)).find_first()
    }

    /// Deletes the objects whose `field` equals `value`; how many (at most one with a
    /// unique index on `field`).
    pub fn delete_by<T: crate::KeyPart + Send + Sync + 'static>(
        &self,
        field: crate::Field<C, T>,
        value: T::View<'_>,
    ) -> Result<usize> {
        self.query().filter(field.eq(value)).delete_all()
    }

    /// Removes object `id`; whether it existed.
    pub fn delete(&self, id: Id) -> Result<bool> {
        self.write(|tables, _| tables.delete::<C>(id))
    }

    /// Removes the objects with these ids; how many existed.
    pub fn delete_all(&self, ids: &[Id]) -> Result<usize> {
        self.write(|tables, _| {
            let mut deleted = 0;
            for &id in ids {
                deleted += usize::from(tables.delete::<C>(id)?);
            }
            Ok(deleted)
        })
    }

    /// Removes every object, and resets the id counter.
    pub fn clear(&self) -> Result<()> {
        storage(&self.txn.instance.path, || {
            let state = self.txn.instance.collection::<C>()?;
            self.txn.changes.borrow_mut().touch_all(C::SCHEMA.name());
            store::clear(&self.txn.txn, state)
        })
    }

    /// The object with this id.
    pub fn get(&self, id: Id) -> Result<Option<C>> {
        storage(&self.txn.instance.path, || {
            let state = self.txn.instance.collection::<C>()?;
            let records = store::open_table(&self.txn.txn, store::records_table(state))?;
            store::get(&*records, state, id)
        })
    }

    /// The objects with these ids, in the same order; `None` where there is none.
    pub fn get_all(&self, ids: &[Id]) -> Result<Vec<Option<C>>> {
        storage(&self.txn.instance.path, || {
            let state = self.txn.instance.collection::<C>()?;
            let records = store::open_table(&self.txn.txn, store::records_table(state))?;
            ids.iter().map(|&id| store::get(&*records, state, id)).collect()
        })
    }

    /// Calls `f` with a zero-copy view of object `id`; `None` if there is none.
    pub fn with_view<R>(&self, id: Id, f: impl FnOnce(C::View<'_>) -> R) -> Result<Option<R>> {
        storage(&self.txn.instance.path, || {
            let state = self.txn.instance.collection::<C>()?;
            let records = store::open_table(&self.txn.txn, store::records_table(state))?;
            store::with_view::<C, R>(&*records, state, id, |view| user(|| f(view)))
        })
    }

    /// The number of objects.
    pub fn count(&self) -> Result<u64> {
        storage(&self.txn.instance.path, || {
            let state = self.txn.instance.collection::<C>()?;
            Ok(store::open_table(&self.txn.txn, store::records_table(state))?.len()?)
        })
    }
}

macro_rules! debug_handle {
    ($($handle:ident),*) => {$(
        impl<C: Collection> std::fmt::Debug for $handle<'_, C> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($handle)).field(&C::SCHEMA.name()).finish()
            }
        }
    )*};
}

debug_handle!(DbCollection, ReadCollection, WriteCollection);
