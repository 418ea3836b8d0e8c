//! [`Reader`]: a database file opened without the app's types, and [`Snapshot`], one
//! read transaction of it with the catalog read in that same transaction.

use super::decode::RecordPlan;
use super::filter::Filter;
use super::keys::SchemaKeys;
use super::value::{AnyValue, Object};
use crate::codec::{Corrupt, unseal};
use crate::db::Watchers;
use crate::schema::SchemaDef;
use crate::store::{self, LAYOUTS, SCHEMAS, StoredCollection, Tables};
use crate::{Db, Error, Id, Result};
use redb::{ReadableDatabase, ReadableTableMetadata};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A database file read without the app's types: every collection it stores, with its
/// schema, and every object as a [`AnyValue`](super::AnyValue) tree.
///
/// [`Reader::open`] opens a file read-only; [`Reader::of`] reads an instance this process
/// has open. Reads go through a [`Snapshot`]: everything read from one snapshot sees
/// the file as one commit left it.
///
/// ```
/// use insula::dynamic::{Reader, AnyValue};
/// use insula::prelude::*;
///
/// #[derive(Collection, Debug, Default)]
/// pub struct Note {
///     #[id]
///     pub id: Id,
///     pub text: String,
///     pub stars: u8,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().name("dynamic-reader-doc").collection::<Note>().open(dir.path())?;
/// let mut note = Note { text: "hello".into(), stars: 4, ..Default::default() };
/// db.write_txn_sync(|txn| txn.notes().put(&mut note))?;
/// let path = db.path().to_owned();
/// drop(db); // closes the file
///
/// let reader = Reader::open(&path)?;
/// let snapshot = reader.read()?;
/// let names: Vec<&str> = snapshot.collections().map(|schema| schema.name.as_str()).collect();
/// assert_eq!(names, ["Note"]);
/// let note = snapshot.get("Note", 1)?.expect("stored");
/// assert_eq!(note.get("text"), Some(&AnyValue::from("hello")));
/// assert_eq!(note.get("stars"), Some(&AnyValue::U8(4)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader {
    pub(super) source: Source,
    pub(super) path: PathBuf,
    /// The watchers of a file's commits ([`Reader::watch`]); an instance has its own.
    pub(super) watchers: Arc<Watchers>,
    /// Held by each write to a file from its start to the end of its notifications.
    pub(super) write_lock: Mutex<()>,
}

pub(super) enum Source {
    File(redb::ReadOnlyDatabase),
    /// A file opened for writing too ([`Reader::open_writable`]).
    Writable(crate::guard::SafeDrop<redb::Database>),
    /// The instance stays open while the reader lives, as with any handle.
    Instance(Db),
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::File(_) => "file",
            Source::Writable(_) => "writable file",
            Source::Instance(_) => "instance",
        };
        f.debug_struct("Reader").field("path", &self.path).field("source", &source).finish()
    }
}

impl Reader {
    /// Opens the database file at `path` read-only; the file is never written.
    ///
    /// A file that was not closed cleanly needs a repair, which only a writable open
    /// makes: that gives [`Error::NeedsRepair`]. A file an instance of this process holds
    /// open gives [`Error::AlreadyOpen`]; read it through [`Reader::of`] instead.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        let path = path.as_ref();
        let database = match redb::Database::builder().open_read_only(path) {
            Ok(database) => database,
            Err(redb::DatabaseError::RepairAborted) => {
                return Err(Error::NeedsRepair { path: path.to_owned() });
            }
            Err(error) => return Err(store::open_error(error, path)),
        };
        Ok(Reader::new(Source::File(database), path.to_owned()))
    }

    pub(super) fn new(source: Source, path: PathBuf) -> Reader {
        Reader { source, path, watchers: Arc::default(), write_lock: Mutex::new(()) }
    }

    /// A reader of the open instance `db`, sharing its file: it sees every collection
    /// the file stores, the ones `db` was not opened with included.
    pub fn of(db: &Db) -> Reader {
        Reader::new(Source::Instance(db.clone()), db.path().to_owned())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a read: a snapshot of the file as the last commit left it, with the
    /// schemas it records.
    pub fn read(&self) -> Result<Snapshot> {
        let txn = match &self.source {
            Source::File(database) => database.begin_read()?,
            Source::Writable(database) => database.begin_read()?,
            Source::Instance(db) => db.instance.begin_read()?,
        };
        Snapshot::new(txn, self.path.clone())
    }

    /// The schemas of the stored collections, sorted by name (a snapshot's
    /// [`Snapshot::collections`], owned).
    pub fn collections(&self) -> Result<Vec<SchemaDef>> {
        Ok(self.read()?.collections().cloned().collect())
    }
}

/// One collection as a snapshot reads it.
pub(super) struct Stored {
    pub(super) collection: StoredCollection,
    pub(super) plan: RecordPlan,
}

/// One read of a file: every collection's schema, and its objects as they were when the
/// snapshot began. Writes committed later are not seen.
pub struct Snapshot {
    txn: redb::ReadTransaction,
    path: PathBuf,
    /// Sorted by name.
    collections: Vec<Stored>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.collections().map(|schema| schema.name.as_str()).collect();
        f.debug_struct("Snapshot").field("path", &self.path).field("collections", &names).finish()
    }
}

impl Snapshot {
    /// Reads the catalog in `txn`: each collection's schema, the older layouts its
    /// records may have, and the plan that decodes them.
    fn new(txn: redb::ReadTransaction, path: PathBuf) -> Result<Snapshot> {
        store::check_format(&txn, &path)?;
        let damaged = |reason: String| Error::CorruptedFile { path: path.clone(), reason };
        let mut collections = Vec::new();
        if let Some(schemas) = store::open_optional(&txn, SCHEMAS)? {
            let layouts = store::open_optional(&txn, LAYOUTS)?;
            for entry in schemas.range::<&str>(..)? {
                let (name, text) = entry?;
                let name = name.value();
                let schema = store::parse_stored(&path, &format!("the schema of `{name}`"), text.value())?;
                if schema.name != name {
                    return Err(damaged(format!("the schema stored as `{name}` names `{}`", schema.name)));
                }
                let plan = RecordPlan::new(&schema.fields)
                    .map_err(|reason| damaged(format!("the schema of `{name}`: {reason}")))?;
                if plan.tag() != schema.layout_tag {
                    return Err(damaged(format!(
                        "the schema of `{name}` records layout {:#010x}, its fields make {:#010x}",
                        schema.layout_tag,
                        plan.tag()
                    )));
                }
                let history = store::history(&path, layouts.as_ref(), name, &schema, None)?;
                collections.push(Stored { collection: StoredCollection::new(schema, history), plan });
            }
        }
        Ok(Snapshot { txn, path, collections })
    }

    /// The schemas of the stored collections, sorted by name.
    pub fn collections(&self) -> impl ExactSizeIterator<Item = &SchemaDef> + '_ {
        self.collections.iter().map(|stored| &stored.collection.schema)
    }

    /// The schema of collection `name`.
    pub fn schema(&self, name: &str) -> Result<&SchemaDef> {
        self.stored(name).map(|stored| &stored.collection.schema)
    }

    pub(super) fn stored(&self, name: &str) -> Result<&Stored> {
        match self.collections.binary_search_by(|stored| stored.collection.schema.name.as_str().cmp(name)) {
            Ok(at) => Ok(&self.collections[at]),
            Err(_) => Err(Error::NoSuchCollection {
                path: self.path.clone(),
                collection: name.to_owned(),
                stored: self.collections().map(|schema| schema.name.clone()).collect(),
            }),
        }
    }

    /// The records table of `stored`, if the file has it.
    pub(super) fn table(&self, stored: &Stored) -> Result<Option<redb::ReadOnlyTable<u64, &'static [u8]>>> {
        store::open_optional(&self.txn, stored.collection.records())
    }

    /// The file the snapshot reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The read transaction.
    pub(crate) fn txn(&self) -> &redb::ReadTransaction {
        &self.txn
    }

    /// The number of objects in collection `name`.
    pub fn count(&self, name: &str) -> Result<u64> {
        let stored = self.stored(name)?;
        Ok(match self.table(stored)? {
            Some(table) => table.len()?,
            None => 0,
        })
    }

    /// The object `id` of collection `name`, if there is one.
    pub fn get(&self, name: &str, id: Id) -> Result<Option<Object>> {
        let stored = self.stored(name)?;
        let Some(table) = self.table(stored)? else { return Ok(None) };
        let Some(bytes) = table.get(id)? else { return Ok(None) };
        decode(stored, &self.path, id, bytes.value()).map(Some)
    }

    /// Every object of collection `name`, in id order. A damaged record is an error
    /// item, and the objects after it still follow.
    pub fn records(&self, name: &str) -> Result<Records<'_>> {
        let stored = self.stored(name)?;
        let range = match self.table(stored)? {
            Some(table) => Some(table.range::<u64>(..)?),
            None => None,
        };
        Ok(Records { stored, path: &self.path, range, filter: None })
    }

    /// The objects of collection `name` that match `filter`, in id order: every
    /// record is read and tested (no index is used). The filter is checked against
    /// the collection's schema first ([`Filter::check`]).
    pub fn query(&self, name: &str, filter: &Filter) -> Result<Records<'_>> {
        let filter = filter.bind(self.schema(name)?)?;
        let mut records = self.records(name)?;
        records.filter = Some(filter);
        Ok(records)
    }

    /// Cross-checks every index entry of collection `name` against its objects, from the
    /// stored schema alone: each object has exactly the entries its values make, and
    /// every entry belongs to an object that makes it. What
    /// [`DbCollection::verify`](crate::DbCollection::verify) checks with the types; a
    /// mismatch is [`Error::IndexInconsistent`], a damaged record
    /// [`Error::CorruptedFile`].
    pub fn verify(&self, name: &str) -> Result<()> {
        let stored = self.stored(name)?;
        let keys = SchemaKeys { schema: &stored.collection.schema, plan: &stored.plan, path: &self.path };
        crate::guard::storage(&self.path, || {
            store::verify(&Tables::new(&self.txn, &stored.collection), &keys)
        })
    }

    /// Writes the objects of collection `name` that `filter` keeps (every one for
    /// `None`) to `out` as a JSON array, in id order, one at a time; returns how many.
    /// The same bytes as the typed [`Query::export_json`](crate::Query::export_json) of
    /// the same objects (the mapping is in [`insula::json`](crate::json)).
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # use insula::dynamic::{Filter, Reader};
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, pub stars: u8 }
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Db::builder().name("notes").collection::<Note>().open(dir.path())?;
    /// # db.write_txn_sync(|txn| txn.notes().put_all(&mut vec![Note { id: 0, stars: 2 }, Note { id: 0, stars: 5 }]))?;
    /// # drop(db);
    /// let snapshot = Reader::open(dir.path().join("notes.insula"))?.read()?;
    /// let mut out = Vec::new();
    /// snapshot.export_ndjson("Note", Some(&Filter::gt("stars", 3)), &mut out)?;
    /// assert_eq!(String::from_utf8(out)?, "{\"id\":2,\"stars\":5}\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn export_json(&self, name: &str, filter: Option<&Filter>, out: impl std::io::Write) -> Result<u64> {
        self.export(name, filter, out, false)
    }

    /// [`export_json`](Self::export_json) as NDJSON: one object per line, no brackets.
    #[cfg(feature = "json")]
    pub fn export_ndjson(
        &self,
        name: &str,
        filter: Option<&Filter>,
        out: impl std::io::Write,
    ) -> Result<u64> {
        self.export(name, filter, out, true)
    }

    #[cfg(feature = "json")]
    fn export(
        &self,
        name: &str,
        filter: Option<&Filter>,
        out: impl std::io::Write,
        lines: bool,
    ) -> Result<u64> {
        let id_name = &self.schema(name)?.id;
        let records = match filter {
            Some(filter) => self.query(name, filter)?,
            None => self.records(name)?,
        };
        let output = |source| Error::Output { source };
        let mut writer = crate::json::Writer::new(out, lines).map_err(output)?;
        for object in records {
            writer.write_object(id_name, &object?).map_err(output)?;
        }
        writer.finish().map_err(output)
    }
}

/// Decodes the stored bytes of object `id` of `stored`.
pub(super) fn decode(stored: &Stored, path: &Path, id: Id, bytes: &[u8]) -> Result<Object> {
    let read = |bytes: &[u8]| -> Result<_, Corrupt> {
        let record = unseal(id, bytes)?;
        stored.plan.decode(record, &stored.collection.layouts)
    };
    match read(bytes) {
        Ok(fields) => Ok(Object { id, fields }),
        Err(reason) => Err(Error::CorruptedFile {
            path: path.to_owned(),
            reason: format!("collection `{}`, object {id}: {reason}", stored.collection.schema.name),
        }),
    }
}

/// Decodes field number `index` alone of the stored bytes of object `id` of `stored`.
pub(super) fn decode_field(
    stored: &Stored,
    path: &Path,
    id: Id,
    bytes: &[u8],
    index: usize,
) -> Result<AnyValue> {
    let read = |bytes: &[u8]| -> Result<_, Corrupt> {
        let record = unseal(id, bytes)?;
        stored.plan.decode_field(record, &stored.collection.layouts, index)
    };
    read(bytes).map_err(|reason| Error::CorruptedFile {
        path: path.to_owned(),
        reason: format!("collection `{}`, object {id}: {reason}", stored.collection.schema.name),
    })
}

/// The objects of one collection, in id order: [`Snapshot::records`] and
/// [`Snapshot::query`].
pub struct Records<'s> {
    stored: &'s Stored,
    path: &'s Path,
    /// `None` when the file has no records table for the collection.
    range: Option<redb::Range<'static, u64, &'static [u8]>>,
    filter: Option<Filter>,
}

impl fmt::Debug for Records<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("collection", &self.stored.collection.schema.name)
            .field("filter", &self.filter)
            .finish()
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Object>;

    fn next(&mut self) -> Option<Result<Object>> {
        loop {
            let (id, bytes) = match self.range.as_mut()?.next()? {
                Ok(entry) => entry,
                Err(error) => return Some(Err(error.into())),
            };
            let object = decode(self.stored, self.path, id.value(), bytes.value());
            match (&object, &self.filter) {
                (Ok(found), Some(filter)) if !filter.matches(found) => continue,
                _ => return Some(object),
            }
        }
    }
}
