//! Named instances: [`Db`], its builder, and its transactions.

mod access;
mod catalog;
mod instance;
mod query_tables;
mod registry;
mod store;
mod txn;
mod watchers;

pub use access::{Access, DbCollection, ReadCollection, WriteCollection};
pub(crate) use instance::CollectionState;
pub(crate) use query_tables::{read_tables, watch_query, write_tables};
pub use txn::{ReadTxn, WriteTxn};

use crate::evolution::{CollectionDiff, classify, diff_sets};
use crate::guard::storage;
use crate::schema_def::SchemaDef;
use crate::{Collection, Error, Id, Layouts, Result};
pub use catalog::{Action, MigrationProgress};
use catalog::{Asked, CollectionOps, Progress};
use instance::Instance;
use std::path::Path;
use std::sync::{Arc, PoisonError};

/// The name an instance gets when none is given.
pub const DEFAULT_NAME: &str = "default";

/// A handle of an open, named instance. Cloning it is cheap; every clone, and every
/// handle any thread opens under the same name, shares one instance, which closes when
/// the last handle drops.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Collection, Debug, Default)]
/// pub struct Note {
///     #[id]
///     pub id: Id,
///     pub text: String,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().name("notes").collection::<Note>().open(dir.path())?;
/// let mut note = Note { text: "hello".into(), ..Default::default() };
/// db.write_txn_sync(|txn| txn.notes().put(&mut note))?;
/// assert_eq!(note.id, 1);
/// assert_eq!(db.notes().get(1)?.map(|note| note.text), Some("hello".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Db {
    instance: Arc<Instance>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("name", &self.instance.name).field("path", &self.instance.path).finish()
    }
}

impl Db {
    /// Starts describing an instance to open.
    pub fn builder() -> DbBuilder {
        DbBuilder {
            name: DEFAULT_NAME.to_owned(),
            collections: Vec::new(),
            progress: None,
            check_integrity: false,
        }
    }

    /// The open instance called `name`, if there is one.
    pub fn instance(name: &str) -> Option<Db> {
        registry::get(name).map(|instance| Db { instance })
    }

    /// The instance's name.
    pub fn name(&self) -> &str {
        &self.instance.name
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.instance.path
    }

    /// How many watchers of the instance are subscribed: dropping a watcher (or the
    /// guard of its callback) unsubscribes it.
    pub fn watcher_count(&self) -> usize {
        self.instance.watchers.len()
    }

    /// Runs `f` in a read transaction: every read in it sees one snapshot, the state
    /// after the last commit before it began.
    pub fn read_txn_sync<R, E: From<Error>>(
        &self,
        f: impl FnOnce(&ReadTxn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let instance = &self.instance;
        let read = storage(&instance.path, || ReadTxn::begin(instance))?;
        let result = f(&read);
        // Ending a read releases pages, which reads the file's state: guarded too.
        let _ = storage(&instance.path, || {
            drop(read);
            Ok(())
        });
        result
    }

    /// Runs `f` in a write transaction, which commits when `f` returns `Ok` and aborts
    /// when it returns `Err` or panics (the panic goes on; the instance stays usable).
    /// Write transactions of one instance run one at a time; starting one inside
    /// another on the same thread is [`Error::NestedTransaction`].
    pub fn write_txn_sync<R, E: From<Error>>(
        &self,
        f: impl FnOnce(&WriteTxn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let _writing = txn::WritingGuard::enter(&self.instance)?;
        // A panic in an earlier transaction's closure poisons nothing this guards.
        let _serial = self.instance.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let instance = &self.instance;
        let txn = storage(&instance.path, || Ok(instance.database().begin_write()?))?;
        let txn = crate::guard::Contained::new(txn);
        let write = WriteTxn { instance, txn, buffer: Default::default(), changes: Default::default() };
        // On a panic, `write` drops as it unwinds, and redb aborts it.
        let result = f(&write);
        let WriteTxn { txn, changes, .. } = write;
        let result = match result {
            Ok(result) => result,
            Err(error) => {
                // Aborting reads the file's state too: guarded.
                let _ = storage(&instance.path, || {
                    drop(txn);
                    Ok(())
                });
                return Err(error);
            }
        };
        storage(&instance.path, || Ok(txn.into_inner().commit()?))?;
        instance.watchers.notify(instance, &mut changes.into_inner());
        Ok(result)
    }
}

/// Describes an instance to open: its name and its collections.
#[derive(Clone)]
pub struct DbBuilder {
    name: String,
    collections: Vec<Asked>,
    progress: Option<Progress>,
    check_integrity: bool,
}

impl std::fmt::Debug for DbBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.collections.iter().map(|asked| asked.schema.name.as_str()).collect();
        f.debug_struct("DbBuilder")
            .field("name", &self.name)
            .field("collections", &names)
            .finish_non_exhaustive()
    }
}

/// The keys of index number `index` of `C` for a stored record: what a migration needs
/// from the type to fill a new index.
fn index_keys_of<C: Collection>(
    id: Id,
    record: &[u8],
    layouts: &Layouts,
    index: usize,
) -> Result<Vec<Vec<u8>>> {
    let view = C::view_in(id, record, layouts)?;
    Ok(C::index_keys(&view, index))
}

impl DbBuilder {
    /// The instance's name (default `"default"`); its file is `<dir>/<name>.insula`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// A collection of the instance.
    pub fn collection<C: Collection>(mut self) -> Self {
        let ops = CollectionOps { index_keys: index_keys_of::<C> };
        self.collections.push(Asked { schema: SchemaDef::from(&C::SCHEMA), ops });
        self
    }

    /// The schemas of the collections named so far.
    pub fn schemas(&self) -> Vec<SchemaDef> {
        self.collections.iter().map(|asked| asked.schema.clone()).collect()
    }

    /// What opening the database file `path` with these collections would do to each of
    /// them, found without changing the file: nothing, create it, or migrate it (with
    /// the changes). A refusal is the error `open` would return.
    pub fn plan(&self, path: impl AsRef<Path>) -> Result<Vec<(String, Action)>> {
        let path = path.as_ref();
        let asked = schema_set(&self.name, self.collections.clone())?;
        let actions = storage(path, || {
            let database = redb::Database::builder()
                .open_read_only(path)
                .map_err(|error| instance::open_error(error, path))?;
            catalog::plan(&database, &self.name, path, &asked)
        })?;
        Ok(asked.into_iter().map(|asked| asked.schema.name).zip(actions).collect())
    }

    /// Verifies the checksum of every page of the file when it opens (off by default).
    ///
    /// Without it, bytes damaged while the file was closed are noticed where they are
    /// read: every record and every stored schema carries a check, so a damaged one is an
    /// [`Error::Corrupted`] or [`Error::CorruptedFile`], never another value, and every
    /// query candidate is tested on its record, so a damaged index entry never returns a
    /// wrong object. Damage to the file's own structure is an error where a read or a
    /// write meets it, but can also hide objects from a read.
    ///
    /// With it, such a file fails to open with [`Error::CorruptedFile`] instead. The check
    /// reads the whole file, so opening costs time in proportion to its size; use it after
    /// a storage failure, or wherever a file may have been damaged at rest.
    pub fn check_integrity(mut self, enabled: bool) -> Self {
        self.check_integrity = enabled;
        self
    }

    /// Calls `report` as a migration fills new indexes, with how many objects are done.
    pub fn on_progress(mut self, report: impl Fn(&MigrationProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }

    /// Opens the instance in `dir` (created if missing), or returns the instance already
    /// open under the same name, if it has the same collections and directory.
    pub fn open(self, dir: impl AsRef<Path>) -> Result<Db> {
        validate_name(&self.name)?;
        let dir = dir.as_ref();
        let io = |source| Error::Io { path: dir.to_owned(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let dir = dir.canonicalize().map_err(io)?;
        let asked = schema_set(&self.name, self.collections)?;

        match registry::entry(&self.name) {
            registry::Entry::Open(instance) => {
                if instance.dir != dir {
                    return Err(Error::DirectoryMismatch {
                        instance: self.name,
                        open: instance.dir.clone(),
                        requested: dir,
                    });
                }
                let asked: Vec<SchemaDef> = asked.into_iter().map(|asked| asked.schema).collect();
                let differences = diff_sets(&instance.schemas(), &asked);
                if !differences.is_empty() {
                    return Err(Error::SchemaMismatch { instance: self.name, differences });
                }
                Ok(Db { instance })
            }
            registry::Entry::Vacant(guard) => {
                let path = dir.join(format!("{}.insula", self.name));
                let instance = Arc::new(storage(&path, || {
                    Instance::open(&self.name, dir, asked, self.progress.as_ref(), self.check_integrity)
                })?);
                guard.register(&instance);
                Ok(Db { instance })
            }
        }
    }
}

/// The asked-for schemas, sorted by name; the same collection asked for twice counts
/// once, two different schemas under one name are a mismatch.
fn schema_set(instance: &str, mut asked: Vec<Asked>) -> Result<Vec<Asked>> {
    asked.sort_by(|a, b| a.schema.name.cmp(&b.schema.name).then(a.schema.hash.cmp(&b.schema.hash)));
    asked.dedup_by(|a, b| a.schema.name == b.schema.name && a.schema.hash == b.schema.hash);
    if let Some(pair) = asked.windows(2).find(|pair| pair[0].schema.name == pair[1].schema.name) {
        return Err(Error::SchemaMismatch {
            instance: instance.to_owned(),
            differences: vec![CollectionDiff::Changed {
                collection: pair[0].schema.name.clone(),
                changes: classify(&pair[0].schema, &pair[1].schema),
            }],
        });
    }
    Ok(asked)
}

/// An instance name becomes a file name: letters, digits, `_`, `-` and `.`, not
/// starting with `.`, at most 64 bytes.
fn validate_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > 64 {
        "it is longer than 64 bytes"
    } else if name.starts_with('.') {
        "it starts with `.`"
    } else if !name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"_-.".contains(&byte)) {
        "it may only contain ASCII letters, digits, `_`, `-` and `.`"
    } else {
        return Ok(());
    };
    Err(Error::InvalidName { name: name.to_owned(), reason })
}
