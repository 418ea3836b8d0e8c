//! Writing through a [`Reader`] without the app's types: deleting objects by id or by
//! filter, and importing JSON (which also replaces an object by its id), each in one
//! write transaction, and [`Reader::watch`], which hears of every commit.
//!
//! A reader of a file writes only if it was opened with [`Reader::open_writable`]; a
//! reader of an instance writes through the instance ([`Db::write_txn_sync`]), so its
//! writes take their turn with the app's, share its group commit, and reach the app's
//! watchers as the app's own writes do.

use super::filter::Filter;
use super::keys::SchemaKeys;
use super::reader::{Reader, Source, Stored};
use crate::db::{Changes, Interest, ReadTxn};
use crate::guard::SafeDrop;
use crate::store::{self, Writer};
use crate::watch::Watcher;
use crate::{Db, Error, Id, Result};
use std::path::Path;
use std::sync::PoisonError;

impl Reader {
    /// Opens the database file at `path` for reading and writing: what [`Reader::open`]
    /// reads, plus the writes of this module. The file is held as an app holds it, so no
    /// other process can open it meanwhile ([`Error::AlreadyOpen`]), and redb repairs it
    /// first if it was not closed cleanly. It is closed when the reader drops.
    pub fn open_writable(path: impl AsRef<Path>) -> Result<Reader> {
        let path = path.as_ref();
        let database =
            redb::Database::builder().open(path).map_err(|error| store::open_error(error, path))?;
        let reader = Reader::new(Source::Writable(SafeDrop::new(database)), path.to_owned());
        // A redb file that is not Insula's, or of another format version, is refused now
        // rather than at its first read.
        reader.read()?;
        Ok(reader)
    }

    /// Whether this reader can write: a file opened with [`Reader::open_writable`], or an
    /// instance that was not opened read-only.
    pub fn is_writable(&self) -> bool {
        match &self.source {
            Source::File(_) => false,
            Source::Writable(_) => true,
            Source::Instance(db) => !db.instance.is_read_only(),
        }
    }

    /// Deletes object `id` of collection `collection` and its index entries, in a write
    /// transaction of its own; whether it was there.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub stars: u8 }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().name("notes").collection::<Note>().open(dir.path())?;
    /// db.write_txn_sync(|txn| txn.notes().put_all(&mut vec![Note { id: 0, stars: 2 }, Note { id: 0, stars: 5 }]))?;
    /// let reader = insula::dynamic::Reader::of(&db);
    /// assert!(reader.delete("Note", 1)?);
    /// assert!(!reader.delete("Note", 1)?);
    /// assert_eq!(db.notes().query().filter(Note::STARS.eq(2)).count()?, 0); // the index too
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(&self, collection: &str, id: Id) -> Result<bool> {
        self.write(collection, "delete an object", |writer, keys| writer.delete_object(id, keys))
    }

    /// Deletes the objects of collection `collection` that `filter` keeps (every one for
    /// `None`), in one write transaction; returns how many.
    pub fn delete_where(&self, collection: &str, filter: Option<&Filter>) -> Result<u64> {
        // The ids are gathered from the snapshot the write transaction starts from: no
        // other write can land in between, as writes take their turn.
        self.write(collection, "delete objects", |writer, keys| {
            let ids = {
                let snapshot = self.read()?;
                let records = match filter {
                    Some(filter) => snapshot.query(collection, filter)?,
                    None => snapshot.records(collection)?,
                };
                records.map(|object| object.map(|object| object.id)).collect::<Result<Vec<Id>>>()?
            };
            let mut deleted = 0;
            for id in ids {
                deleted += u64::from(writer.delete_object(id, keys)?);
            }
            Ok(deleted)
        })
    }

    /// Reads objects from JSON or NDJSON into collection `collection`, in one write
    /// transaction that commits only if every object went in, and returns how many were
    /// read: [`insula::dynamic::import_json`](super::import_json) through this reader. An
    /// object whose id is given replaces the one stored under it, which makes this the
    /// way to edit an object without its type.
    #[cfg(feature = "json")]
    pub fn import_json(
        &self,
        collection: &str,
        input: impl std::io::Read,
        options: &crate::json::Import,
    ) -> Result<u64> {
        self.write(collection, "import objects", |writer, keys| {
            super::import::import_into(writer, keys, input, options)
        })
    }

    /// A watcher that receives `()` after each commit that changed any collection of the
    /// file: for a reader of an instance, a commit of any of its handles or readers; for
    /// a file, a commit of this reader (no one else can write to a file it holds).
    pub fn watch(&self) -> Watcher<()> {
        let watchers = match &self.source {
            Source::Instance(db) => &db.instance.watchers,
            Source::File(_) | Source::Writable(_) => &self.watchers,
        };
        watchers.subscribe("", &self.path, Interest::Any, |_| Some(()), Box::new(|| Some(())))
    }

    /// Runs `f` on a writer of collection `collection` in a write transaction of its own,
    /// which commits when `f` returns `Ok`, then tells the watchers what it touched. A
    /// reader that cannot write refuses: it cannot do `what`.
    fn write<R>(
        &self,
        collection: &str,
        what: &str,
        f: impl FnOnce(&mut Writer<'_>, &SchemaKeys<'_>) -> Result<R>,
    ) -> Result<R> {
        let snapshot = self.read()?;
        let stored = snapshot.stored(collection)?;
        let keys = SchemaKeys { schema: &stored.collection.schema, plan: &stored.plan, path: &self.path };
        match &self.source {
            Source::File(_) => Err(Error::ReadOnly {
                instance: self.path.display().to_string(),
                what: format!("{what}: the file was opened read-only"),
            }),
            Source::Instance(db) => write_instance(db, stored, &keys, f),
            Source::Writable(database) => {
                let _serial = self.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
                let (result, mut changes) = crate::guard::storage(&self.path, || {
                    let txn = SafeDrop::new(database.begin_write()?);
                    let (result, changes) = {
                        let mut writer = Writer::open(&txn, &stored.collection)?;
                        let result = f(&mut writer, &keys);
                        writer.finish()?;
                        let mut changes = Changes::default();
                        changes.touch(collection.to_owned(), writer.touched.drain(..));
                        (result?, changes)
                    };
                    txn.into_inner().commit()?;
                    Ok((result, changes))
                })?;
                // The subscriptions of a file reader are all `Interest::Any`, which
                // never read the committed state: nothing begins this transaction.
                let begin = || -> Result<ReadTxn<'static>> {
                    Err(Error::ReadOnly { instance: self.path.display().to_string(), what: "read".into() })
                };
                self.watchers.notify(&mut changes, begin);
                Ok(result)
            }
        }
    }
}

/// [`Reader::write`] on an instance: in one of its write transactions, whose commit
/// notifies the instance's watchers of what `f` touched.
fn write_instance<R>(
    db: &Db,
    stored: &Stored,
    keys: &SchemaKeys<'_>,
    f: impl FnOnce(&mut Writer<'_>, &SchemaKeys<'_>) -> Result<R>,
) -> Result<R> {
    db.write_txn_sync(|txn| {
        let mut writer = Writer::open(&txn.txn, &stored.collection)?;
        let result = f(&mut writer, keys);
        writer.finish()?;
        let name = stored.collection.schema.name.clone();
        txn.changes.borrow_mut().touch(name, writer.touched.drain(..));
        result
    })
}
