//! An open instance: the redb file, and what it knows of each collection.

use super::catalog::{self, Asked, Progress};
use super::registry;
use super::watchers::Watchers;
use crate::codec::Layouts;
use crate::schema_def::SchemaDef;
use crate::{Collection, Error, Result};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// One collection of an open instance. (Public only to be named by the sealed query
/// plumbing; unreachable from outside the crate.)
#[derive(Debug)]
#[allow(unreachable_pub)]
pub struct CollectionState {
    pub(crate) schema: SchemaDef,
    /// The older layouts whose records may still be in the file.
    pub(crate) layouts: Layouts,
    /// The name of the records table.
    pub(crate) records: String,
    /// The names of the index tables, in the order of the schema's indexes.
    pub(crate) indexes: Vec<String>,
}

impl CollectionState {
    pub(crate) fn new(schema: SchemaDef, layouts: Layouts) -> Self {
        let records = format!("insula:c:{}", schema.name);
        let indexes =
            schema.indexes.iter().map(|index| format!("insula:i:{}:{index}", schema.name)).collect();
        CollectionState { schema, layouts, records, indexes }
    }
}

/// The error of a failed redb open of `path`.
pub(crate) fn open_error(error: redb::DatabaseError, path: &std::path::Path) -> Error {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            Error::AlreadyOpen { path: path.to_owned() }
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(source)) => {
            Error::Io { path: path.to_owned(), source }
        }
        other => Error::Storage(other.into()),
    }
}

/// An open instance. `Db` handles share it; it closes when the last one drops.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) name: String,
    /// The canonical directory.
    pub(crate) dir: PathBuf,
    pub(crate) path: PathBuf,
    /// `None` only while the instance is being dropped.
    database: Option<redb::Database>,
    /// Sorted by stored name.
    pub(crate) collections: Vec<CollectionState>,
    pub(crate) watchers: Arc<Watchers>,
    /// Held by each write transaction from its start to the end of its notifications,
    /// so that events are published in commit order.
    pub(crate) write_lock: Mutex<()>,
}

impl Instance {
    /// Opens (creating if needed) `dir/<name>.insula` and checks every asked-for schema
    /// against the file's (see [`catalog::reconcile`]).
    pub(crate) fn open(
        name: &str,
        dir: PathBuf,
        asked: Vec<Asked>,
        progress: Option<&Progress>,
        check_integrity: bool,
    ) -> Result<Instance> {
        let path = dir.join(format!("{name}.insula"));
        let open_error = |error| open_error(error, &path);
        // redb writes to a file it opens for writing, so an existing file is checked
        // read-only first: a refused open leaves it byte for byte as it was. (A file
        // that needs recovery cannot be opened read-only; the writable open below
        // recovers it and checks it then.)
        if path.exists() {
            match redb::Database::builder().open_read_only(&path) {
                Ok(read_only) => {
                    catalog::plan(&read_only, name, &path, &asked)?;
                }
                Err(redb::DatabaseError::RepairAborted) => {}
                Err(error) => return Err(open_error(error)),
            }
        }
        let database = redb::Database::builder()
            .set_check_integrity_on_open(check_integrity)
            .create(&path)
            .map_err(|error| match error {
            redb::DatabaseError::Storage(redb::StorageError::Corrupted(reason)) => {
                Error::CorruptedFile { path: path.clone(), reason }
            }
            other => open_error(other),
        })?;
        let collections = match catalog::reconcile(&database, name, &path, asked, progress) {
            Ok(collections) => collections,
            Err(error) => {
                // Closing writes to the file, and on a damaged one redb can panic there:
                // that panic is caught here, so that the caller gets the error that
                // refused the file, and nothing of it is lost in the unwinding.
                close(&path, database);
                return Err(error);
            }
        };
        Ok(Instance {
            name: name.to_owned(),
            dir,
            path,
            database: Some(database),
            collections,
            watchers: Arc::default(),
            write_lock: Mutex::new(()),
        })
    }

    pub(crate) fn database(&self) -> &redb::Database {
        // Set from `open` until `drop`, which nothing can observe.
        self.database.as_ref().expect("the database is open until the instance drops")
    }

    /// The state of collection `C`, which must be one the instance was opened with.
    pub(crate) fn collection<C: Collection>(&self) -> Result<&CollectionState> {
        let name = C::SCHEMA.name();
        match self.collections.binary_search_by(|state| state.schema.name.as_str().cmp(name)) {
            Ok(at) if self.collections[at].schema.hash == C::SCHEMA.hash() => Ok(&self.collections[at]),
            Ok(at) => Err(Error::SchemaMismatch {
                instance: self.name.clone(),
                differences: crate::evolution::diff_sets(
                    std::slice::from_ref(&self.collections[at].schema),
                    &[SchemaDef::from(&C::SCHEMA)],
                ),
            }),
            Err(_) => Err(Error::UnknownCollection { instance: self.name.clone(), collection: name }),
        }
    }

    /// The schemas the instance was opened with, sorted by name.
    pub(crate) fn schemas(&self) -> Vec<SchemaDef> {
        self.collections.iter().map(|state| state.schema.clone()).collect()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Watchers learn that no more events will come.
        self.watchers.close_all();
        // Close the file first, then free the name, so that a new open of the name
        // never finds the file still locked by this instance.
        if let Some(database) = self.database.take() {
            close(&self.path, database);
        }
        registry::remove_closed(&self.name);
    }
}

/// Closes `database`, the file at `path`. redb writes to the file as it closes; a panic
/// there, on a damaged file, is caught, and there is no one to tell.
fn close(path: &std::path::Path, database: redb::Database) {
    let _ = crate::guard::storage(path, || {
        drop(database);
        Ok(())
    });
}
