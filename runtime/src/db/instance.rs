//! An open instance: the redb file, what it knows of each collection, its watchers, and
//! the process-wide registry of instances by name.

use super::registry::Registry;
use super::watchers::Watchers;
use crate::schema::{SchemaDef, diff_sets};
use crate::store::{self, Progress, Requested, StoredCollection};
use crate::{Collection, Error, Result};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Every open instance of the process, by name.
pub(crate) static INSTANCES: Registry<Instance> = Registry::new();

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
    collections: Vec<StoredCollection>,
    pub(crate) watchers: Arc<Watchers>,
    /// Held by each write transaction from its start to the end of its notifications,
    /// so that events are published in commit order.
    pub(crate) write_lock: Mutex<()>,
}

impl Instance {
    /// Opens (creating if needed) `dir/<name>.insula` and checks every requested schema
    /// against the file's.
    pub(crate) fn open(
        name: &str,
        dir: PathBuf,
        requested: Vec<Requested>,
        progress: Option<&Progress>,
        check_integrity: bool,
    ) -> Result<Instance> {
        let path = dir.join(format!("{name}.insula"));
        let (database, collections) = store::open(&path, name, requested, progress, check_integrity)?;
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

    /// The stored collection of `C`, which must be one the instance was opened with.
    pub(crate) fn collection<C: Collection>(&self) -> Result<&StoredCollection> {
        let name = C::SCHEMA.name();
        match self.collections.binary_search_by(|stored| stored.schema.name.as_str().cmp(name)) {
            Ok(at) if self.collections[at].schema.hash == C::SCHEMA.hash() => Ok(&self.collections[at]),
            Ok(at) => Err(Error::SchemaMismatch {
                instance: self.name.clone(),
                differences: diff_sets(
                    std::slice::from_ref(&self.collections[at].schema),
                    &[SchemaDef::from(&C::SCHEMA)],
                ),
            }),
            Err(_) => Err(Error::UnknownCollection {
                instance: self.name.clone(),
                collection: name,
                rust_type: std::any::type_name::<C>(),
            }),
        }
    }

    /// The schemas the instance was opened with, sorted by name.
    pub(crate) fn schemas(&self) -> Vec<SchemaDef> {
        self.collections.iter().map(|stored| stored.schema.clone()).collect()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Watchers learn that no more events will come.
        self.watchers.close_all();
        // Close the file first, then free the name, so that a new open of the name
        // never finds the file still locked by this instance.
        if let Some(database) = self.database.take() {
            store::close(database);
        }
        INSTANCES.remove_closed(&self.name);
    }
}
