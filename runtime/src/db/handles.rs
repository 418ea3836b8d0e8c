//! Collection handles: what `db.messages()`, `read_txn.messages()` and
//! `write_txn.messages()` return. Only the write transaction's handle writes.
//!
//! Handles are where Insula meets redb on the caller's behalf, so each of their methods
//! runs inside the panic guard ([`storage`]), and the caller's own closures inside
//! [`user`].

use super::database::Db;
use super::query::{Origin, Query};
use super::txn::{ReadTxn, WriteTxn};
use super::watchers::{Committed, Interest, Watchers};
use crate::codec::key::KeyPart;
use crate::guard::{storage, user};
use crate::store::{self, StoredCollection, Tables, Typed, TypedKeys, Writer};
use crate::watch::Watcher;
use crate::{Collection, Error, Field, Id, Result};
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};
use std::marker::PhantomData;
use std::sync::Arc;

/// What the generated accessors (`db.messages()`) are built on: [`Db`], [`ReadTxn`] and
/// [`WriteTxn`] each hand out their own kind of collection handle.
pub trait Access {
    /// The handle this gives for collection `C`: [`DbCollection`], [`ReadCollection`]
    /// or [`WriteCollection`].
    type Handle<'a, C: Collection>
    where
        Self: 'a;

    /// The handle of collection `C`.
    fn collection<C: Collection>(&self) -> Self::Handle<'_, C>;
}

impl Access for Db {
    type Handle<'a, C: Collection> = DbCollection<'a, C>;

    fn collection<C: Collection>(&self) -> DbCollection<'_, C> {
        DbCollection { db: self, marker: PhantomData }
    }
}

impl<'db> Access for ReadTxn<'db> {
    type Handle<'a, C: Collection>
        = ReadCollection<'a, C>
    where
        Self: 'a;

    fn collection<C: Collection>(&self) -> ReadCollection<'_, C> {
        let tables =
            self.instance.collection::<C>().ok().map(|collection| Tables::new(&*self.txn, collection));
        ReadCollection { txn: self, tables, marker: PhantomData }
    }
}

impl<'db> Access for WriteTxn<'db> {
    type Handle<'a, C: Collection>
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
    /// Runs `f` on the collection in a read transaction of its own, all inside the panic
    /// guard (the transaction's end too: it releases pages, which reads the file's state).
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

    /// Calls `f` with a zero-copy view of object `id`, which reads the stored bytes in
    /// place; `None` if there is no such object.
    pub fn with_view<R>(&self, id: Id, f: impl FnOnce(C::View<'_>) -> R) -> Result<Option<R>> {
        self.read(|collection| collection.with_view(id, f))
    }

    /// The number of objects.
    pub fn count(&self) -> Result<u64> {
        self.read(|collection| collection.count())
    }

    /// Every object, in id order, from one snapshot.
    pub fn all(&self) -> Result<Vec<C>> {
        self.read(|collection| collection.all())
    }

    /// A query over the collection, run in a read transaction of its own.
    pub fn query(&self) -> Query<'a, C, Db> {
        Query::new(self.db, Origin::Db(self.db))
    }

    /// The object whose `field` equals `value`: with a unique index on `field`, one index
    /// lookup; without one, the first in id order.
    pub fn get_by<T: KeyPart + Send + Sync + 'static>(
        &self,
        field: Field<C, T>,
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
        // The event says only that a commit touched the collection: nothing is read.
        instance.watchers.subscribe(
            C::SCHEMA.name(),
            &instance.path,
            Interest::Collection,
            |_| Some(()),
            Box::new(|| Some(())),
        )
    }

    /// A watcher that receives object `id` as committed, or `None` once it is deleted,
    /// after each commit that wrote or deleted it.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// use std::time::Duration;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let first = db.notes().watch_object(1);
    /// let mut note = Note { text: "v1".into(), ..Default::default() };
    /// db.write_txn_sync(|txn| txn.notes().put(&mut note))?;
    /// let seen = first.recv_timeout(Duration::from_secs(5))?;
    /// assert_eq!(seen.map(|note| note.text), Some("v1".to_owned()));
    /// db.write_txn_sync(|txn| txn.notes().delete(1))?;
    /// assert_eq!(first.recv_timeout(Duration::from_secs(5))?, None); // deleted
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_object(&self, id: Id) -> Watcher<Option<C>>
    where
        C: Send,
    {
        let instance = &self.db.instance;
        if instance.collection::<C>().is_err() {
            return Watchers::closed();
        }
        let weak = Arc::downgrade(instance);
        let current = move || {
            let instance = weak.upgrade()?;
            let txn = ReadTxn::begin(&instance).ok()?;
            txn.collection::<C>().get(id).ok()
        };
        let produce = move |committed: &Committed<'_, '_>| committed.txn()?.collection::<C>().get(id).ok();
        let interest = Interest::Object(id);
        instance.watchers.subscribe(C::SCHEMA.name(), &instance.path, interest, produce, Box::new(current))
    }
}

/// A collection in a read transaction.
pub struct ReadCollection<'a, C> {
    txn: &'a ReadTxn<'a>,
    /// Each opened on first use and kept for the handle's life; `None` for a collection
    /// the instance was not opened with.
    tables: Option<Tables<'a, ReadTransaction>>,
    marker: PhantomData<fn() -> C>,
}

impl<'a, C: Collection> ReadCollection<'a, C> {
    fn tables(&self) -> Result<&Tables<'a, ReadTransaction>> {
        match &self.tables {
            Some(tables) => Ok(tables),
            // The error that says why the instance lacks the collection.
            None => Err(self.txn.instance.collection::<C>().err().unwrap_or(Error::UnknownCollection {
                instance: self.txn.instance.name.clone(),
                collection: C::SCHEMA.name(),
                rust_type: std::any::type_name::<C>(),
            })),
        }
    }

    /// Runs `f` on the collection's tables, inside the panic guard.
    fn read<R>(&self, f: impl FnOnce(&Tables<'a, ReadTransaction>) -> Result<R>) -> Result<R> {
        storage(self.txn.path(), || f(self.tables()?))
    }

    /// The object with this id.
    pub fn get(&self, id: Id) -> Result<Option<C>> {
        self.read(|tables| tables.get(id))
    }

    /// The objects with these ids, in the same order; `None` where there is none.
    pub fn get_all(&self, ids: &[Id]) -> Result<Vec<Option<C>>> {
        self.read(|tables| ids.iter().map(|&id| tables.get(id)).collect())
    }

    /// Calls `f` with a zero-copy view of object `id`, which reads the stored bytes in
    /// place; `None` if there is no such object.
    pub fn with_view<R>(&self, id: Id, f: impl FnOnce(C::View<'_>) -> R) -> Result<Option<R>> {
        self.read(|tables| tables.with_view::<C, R>(id, |view| user(|| f(view))))
    }

    /// The number of objects.
    pub fn count(&self) -> Result<u64> {
        self.read(|tables| Ok(tables.records()?.len()?))
    }

    /// A query over the collection, in this transaction's snapshot.
    pub fn query(&self) -> Query<'a, C, ReadTxn<'a>> {
        Query::new(self.txn, Origin::Read(self.txn))
    }

    /// The object whose `field` equals `value` (see [`DbCollection::get_by`]).
    pub fn get_by<T: KeyPart + Send + Sync + 'static>(
        &self,
        field: Field<C, T>,
        value: T::View<'_>,
    ) -> Result<Option<C>> {
        self.query().filter(field.eq(value)).find_first()
    }

    /// Cross-checks every index entry against the objects (see [`DbCollection::verify`]).
    pub fn verify(&self) -> Result<()> {
        self.read(|tables| store::verify(tables, &store::TypedKeys::<C>::new()))
    }

    /// Every object, in id order.
    pub fn all(&self) -> Result<Vec<C>> {
        self.iter()?.collect()
    }

    /// Every object, in id order, decoded as the iterator reaches it.
    pub fn iter(&self) -> Result<impl Iterator<Item = Result<C>> + 'a> {
        let path = self.txn.path();
        let (mut range, collection) = self.read(|tables| {
            // A read-only table's range owns what it reads, so it outlives the handle.
            let range: redb::Range<'static, u64, &'static [u8]> = tables.records()?.range::<u64>(..)?;
            Ok((range, tables.collection()))
        })?;
        // Each step reads pages, so each step is guarded.
        Ok(std::iter::from_fn(move || {
            storage(path, || {
                let Some(entry) = range.next() else { return Ok(None) };
                let (id, record) = entry?;
                let id = id.value();
                C::decode_in(id, record.value(), &collection.layouts).map(Some)
            })
            .transpose()
        }))
    }
}

/// A collection in a write transaction: reads see the transaction's own writes.
///
/// redb lets a table be open only once at a time in a write transaction, and handles are
/// made freely (`txn.messages()` in every statement), so each operation of this handle
/// opens the tables it needs and closes them when it returns.
pub struct WriteCollection<'a, C> {
    txn: &'a WriteTxn<'a>,
    marker: PhantomData<fn() -> C>,
}

/// How many objects [`WriteCollection::iter`] reads at a time.
const ITER_CHUNK: usize = 256;

impl<'a, C: Collection> WriteCollection<'a, C> {
    fn collection(&self) -> Result<&'a StoredCollection> {
        let txn: &'a WriteTxn<'a> = self.txn;
        txn.instance.collection::<C>()
    }

    /// Runs `f` on the collection's tables, inside the panic guard.
    fn read<R>(&self, f: impl FnOnce(&Tables<'_, WriteTransaction>) -> Result<R>) -> Result<R> {
        storage(self.txn.path(), || f(&Tables::new(&*self.txn.txn, self.collection()?)))
    }

    /// Runs `f` on a writer of the collection, then records the id counter where it must.
    fn write<R>(&self, f: impl FnOnce(&mut Writer<'_>, &mut Vec<u8>) -> Result<R>) -> Result<R> {
        storage(self.txn.path(), || {
            let mut writer = Writer::open(&self.txn.txn, self.collection()?)?;
            let mut buffer = self.txn.buffer.borrow_mut();
            let result = f(&mut writer, &mut buffer);
            // Even a failed operation may have written, and the caller may commit anyway:
            // the counter keeps every id it handed out, and watchers hear of every id it
            // touched.
            let finished = writer.finish();
            let result = result.and_then(|result| finished.map(|()| result));
            self.txn.changes.borrow_mut().touch(C::SCHEMA.name(), writer.touched.drain(..));
            result
        })
    }

    /// Reads objects from JSON into the collection and returns how many: a JSON array of
    /// objects, or NDJSON (one object per line), read as it streams in. Each is stored as
    /// [`put`](Self::put) stores it (every index kept, unique indexes checked, watchers
    /// told at the commit): an object without an id (or with 0) gets the next one, one
    /// with an id replaces the object stored under it. A field the object lacks takes its
    /// default; a key the collection lacks is an error (see
    /// [`import_json_with`](Self::import_json_with)). The mapping of values is in
    /// [`insula::json`](crate::json).
    ///
    /// The first error stops the import: [`Error::Json`] with the line and column of bad
    /// input, or the error of a `put`. Objects before it were written in the transaction,
    /// so return the error from the transaction's closure (`?` does) and the transaction
    /// aborts, leaving nothing of the import.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let input = r#"[{"tag": "a", "text": "first"}, {"id": 7, "tag": "b", "text": "second"}]"#;
    /// let count = db.write_txn_sync(|txn| txn.notes().import_json(input.as_bytes()))?;
    /// assert_eq!(count, 2);
    /// assert_eq!(db.notes().get(7)?.map(|note| note.text), Some("second".to_owned()));
    ///
    /// let mut out = Vec::new();
    /// db.notes().query().export_ndjson(&mut out)?;
    /// assert_eq!(String::from_utf8(out)?, "{\"id\":1,\"tag\":\"a\",\"text\":\"first\"}\n{\"id\":7,\"tag\":\"b\",\"text\":\"second\"}\n");
    ///
    /// let bad = db.write_txn_sync(|txn| txn.notes().import_json("{\"tag\": 5}".as_bytes()));
    /// assert_eq!(bad.unwrap_err().to_string(), "JSON input, line 1, column 9: invalid type: integer `5`, expected a string for field `tag`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn import_json(&self, input: impl std::io::Read) -> Result<u64> {
        self.import_json_with(input, &crate::json::Import::default())
    }

    /// [`import_json`](Self::import_json) with `options`, for example to skip keys the
    /// collection lacks.
    #[cfg(feature = "json")]
    pub fn import_json_with(&self, input: impl std::io::Read, options: &crate::json::Import) -> Result<u64> {
        /// How many objects are put at a time.
        const CHUNK: usize = 1024;
        let schema = &self.collection()?.schema;
        let mut record = Vec::new();
        let mut batch: Vec<C> = Vec::with_capacity(CHUNK);
        let count = crate::json::read_objects(input, schema, options, |(id, values)| {
            record.clear();
            crate::dynamic::encode_record(&schema.fields, values.iter(), &mut record)
                .map_err(|reason| Error::Json { line: 0, column: 0, reason })?;
            batch.push(C::decode_record(id.unwrap_or(0), &record, crate::codec::Layouts::none())?);
            if batch.len() == CHUNK {
                self.put_all(&mut batch)?;
                batch.clear();
            }
            Ok(())
        })?;
        self.put_all(&mut batch)?;
        Ok(count)
    }

    /// Stores `object`. An id of 0 takes the next id from the collection's counter, and
    /// the id is written back into `object`; an existing id replaces that object.
    pub fn put(&self, object: &mut C) -> Result<Id> {
        let id = self.write(|writer, buffer| writer.put(object, buffer))?;
        object.set_id(id);
        Ok(id)
    }

    /// Stores `object` in place of the object that holds its key of the unique index on
    /// `field` (Isar's `putByEmail`): `object` takes that object's id, and the id is
    /// written back; when no object holds the key, `object` is stored as
    /// [`put`](Self::put) stores it. `field` needs a unique index of its own, or this is
    /// [`Error::InvalidFilter`].
    ///
    /// ```
    /// # use insula::prelude::*;
    /// #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// pub struct User {
    ///     #[id]
    ///     pub id: Id,
    ///     #[index(unique)]
    ///     pub email: String,
    ///     pub name: String,
    /// }
    ///
    /// let db = Db::builder().collection::<User>().open_in_memory()?;
    /// let mut ada = User { email: "ada@example.com".into(), name: "Ada".into(), ..Default::default() };
    /// db.write_txn_sync(|txn| txn.users().put_by(User::EMAIL, &mut ada))?;
    /// let mut again = User { email: "ada@example.com".into(), name: "Ada L.".into(), ..Default::default() };
    /// db.write_txn_sync(|txn| txn.users().put_by(User::EMAIL, &mut again))?;
    /// assert_eq!(again.id, ada.id);
    /// assert_eq!(db.users().count()?, 1);
    /// assert_eq!(db.users().get(ada.id)?.map(|user| user.name), Some("Ada L.".into()));
    /// # Ok::<(), insula::Error>(())
    /// ```
    pub fn put_by<T>(&self, field: Field<C, T>, object: &mut C) -> Result<Id> {
        let schema = &self.collection()?.schema;
        let number = schema
            .indexes
            .iter()
            .position(|index| index.unique && index.fields.len() == 1 && index.fields[0] == field.name())
            .ok_or_else(|| Error::InvalidFilter {
                collection: schema.name.clone(),
                field: field.name().to_owned(),
                reason: "`put_by` needs a unique index on the field alone (`#[index(unique)]`)".to_owned(),
            })?;
        let id = self.write(|writer, buffer| {
            let mut keys = Vec::new();
            object.object_index_keys(number, &mut keys);
            for key in &keys {
                if let Some(owner) = writer.unique_owner(number, key)? {
                    object.set_id(owner);
                    break;
                }
            }
            writer.put(object, buffer)
        })?;
        object.set_id(id);
        Ok(id)
    }

    /// Stores every object of `objects`, writing the assigned ids back; returns them.
    /// If one fails, the error says which (by its position in `objects`), and the ids
    /// are not written back: abort the transaction to write none of them.
    pub fn put_all(&self, objects: &mut [C]) -> Result<Vec<Id>> {
        let ids = self.write(|writer, buffer| {
            let mut ids = Vec::with_capacity(objects.len());
            let typed = objects.iter().map(Typed);
            match writer.put_batch(typed, &TypedKeys::<C>::new(), buffer, &mut ids) {
                Ok(()) => Ok(ids),
                Err((position, error)) => Err(error.in_batch(position, &ids)),
            }
        })?;
        for (object, &id) in objects.iter_mut().zip(&ids) {
            object.set_id(id);
        }
        Ok(ids)
    }

    /// A query over the collection, seeing this transaction's writes.
    pub fn query(&self) -> Query<'a, C, WriteTxn<'a>> {
        Query::new(self.txn, Origin::Write(self.txn))
    }

    /// The object whose `field` equals `value` (see [`DbCollection::get_by`]).
    pub fn get_by<T: KeyPart + Send + Sync + 'static>(
        &self,
        field: Field<C, T>,
        value: T::View<'_>,
    ) -> Result<Option<C>> {
        self.query().filter(field.eq(value)).find_first()
    }

    /// Deletes the objects whose `field` equals `value`; how many (at most one with a
    /// unique index on `field`).
    pub fn delete_by<T: KeyPart + Send + Sync + 'static>(
        &self,
        field: Field<C, T>,
        value: T::View<'_>,
    ) -> Result<usize> {
        self.query().filter(field.eq(value)).delete_all()
    }

    /// Removes object `id`; whether it existed.
    pub fn delete(&self, id: Id) -> Result<bool> {
        self.write(|writer, _| writer.delete::<C>(id))
    }

    /// Removes the objects with these ids; how many existed.
    pub fn delete_all(&self, ids: &[Id]) -> Result<usize> {
        self.write(|writer, _| {
            let mut deleted = 0;
            for &id in ids {
                deleted += usize::from(writer.delete::<C>(id)?);
            }
            Ok(deleted)
        })
    }

    /// Removes every object, and resets the id counter.
    pub fn clear(&self) -> Result<()> {
        storage(self.txn.path(), || {
            let collection = self.collection()?;
            self.txn.changes.borrow_mut().touch_all(C::SCHEMA.name());
            store::clear(&self.txn.txn, collection)
        })
    }

    /// The object with this id.
    pub fn get(&self, id: Id) -> Result<Option<C>> {
        self.read(|tables| tables.get(id))
    }

    /// The objects with these ids, in the same order; `None` where there is none.
    pub fn get_all(&self, ids: &[Id]) -> Result<Vec<Option<C>>> {
        self.read(|tables| ids.iter().map(|&id| tables.get(id)).collect())
    }

    /// Calls `f` with a zero-copy view of object `id`; `None` if there is none.
    pub fn with_view<R>(&self, id: Id, f: impl FnOnce(C::View<'_>) -> R) -> Result<Option<R>> {
        self.read(|tables| tables.with_view::<C, R>(id, |view| user(|| f(view))))
    }

    /// The number of objects.
    pub fn count(&self) -> Result<u64> {
        self.read(|tables| Ok(tables.records()?.len()?))
    }

    /// Every object, in id order.
    pub fn all(&self) -> Result<Vec<C>> {
        self.iter().collect()
    }

    /// Every object, in id order, read a few at a time: writes made through other
    /// handles while the iterator runs show from the next few on.
    pub fn iter(&self) -> impl Iterator<Item = Result<C>> + 'a {
        let handle: WriteCollection<'a, C> = WriteCollection { txn: self.txn, marker: PhantomData };
        let mut next: Option<Id> = Some(0);
        let mut chunk = std::collections::VecDeque::new();
        std::iter::from_fn(move || {
            if chunk.is_empty() {
                let first = next?;
                let read = handle.read(|tables| {
                    let mut objects = Vec::with_capacity(ITER_CHUNK);
                    for entry in tables.records()?.range(first..)?.take(ITER_CHUNK) {
                        let (id, stored) = entry?;
                        let id = id.value();
                        objects.push(C::decode_in(id, stored.value(), &tables.collection().layouts)?);
                    }
                    Ok(objects)
                });
                match read {
                    Ok(objects) => {
                        next = match objects.last() {
                            Some(last) if objects.len() == ITER_CHUNK => last.id().checked_add(1),
                            _ => None,
                        };
                        chunk.extend(objects.into_iter().map(Ok));
                    }
                    Err(error) => {
                        next = None;
                        return Some(Err(error));
                    }
                }
            }
            chunk.pop_front()
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
