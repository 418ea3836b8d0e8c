//! An open instance: the redb file, what it knows of each collection, its watchers, and
//! the process-wide registry of instances by name.

use super::group::Group;
use super::registry::Registry;
use super::txn::Durability;
use super::watchers::Watchers;
use crate::schema::{SchemaDef, diff_sets};
use crate::store::{self, Progress, Requested, Storage, StoredCollection};
use crate::{Collection, Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Every open instance of the process, by name.
pub(crate) static INSTANCES: Registry<Instance> = Registry::new();

/// Where an instance keeps its data, and how it opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// `dir/<name>.insula`, in the canonical directory `dir`.
    File { dir: PathBuf, read_only: bool },
    /// Memory, private to the instance: not in the registry.
    Memory,
}

/// How an instance is opened, besides its collections.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub(crate) progress: Option<Progress>,
    pub(crate) check_integrity: bool,
    pub(crate) durability: Durability,
    /// Compact the file on open when at least this many bytes of it are free.
    pub(crate) compact_above: Option<u64>,
    /// The stored names of the collections to drop on open.
    pub(crate) dropped: Vec<String>,
    /// How many threads a scan may split over; the machine's cores if unset.
    pub(crate) scan_threads: Option<usize>,
    /// The bytes of the file that redb keeps in memory; redb's default (1 GiB) if unset.
    pub(crate) cache_size: Option<usize>,
}

/// An open instance. `Db` handles share it; it closes when the last one drops.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) name: String,
    pub(crate) place: Place,
    /// The database file (`:memory:` in memory).
    pub(crate) path: PathBuf,
    /// `None` only while the instance is being dropped. Compaction takes it for writing;
    /// everything else only to begin a transaction.
    storage: RwLock<Option<Storage>>,
    /// Sorted by stored name.
    collections: Vec<StoredCollection>,
    pub(crate) watchers: Arc<Watchers>,
    /// Held by each write transaction from its start to the end of its notifications,
    /// so that events are published in commit order.
    pub(crate) write_lock: Mutex<()>,
    /// The durability of a write transaction that does not choose its own.
    pub(crate) durability: Durability,
    /// Durable commits made at the same time share a flush.
    pub(crate) group: Group,
    /// How many threads a scan of a read transaction may split over.
    pub(crate) scan_threads: usize,
}

impl Instance {
    /// Opens the instance `name` at `place` and checks every requested schema against
    /// what it holds.
    pub(crate) fn open(
        name: &str,
        place: Place,
        requested: Vec<Requested>,
        options: &Options,
    ) -> Result<Instance> {
        let (path, (storage, collections)) = match &place {
            Place::File { dir, read_only: false } => {
                let path = dir.join(format!("{name}.insula"));
                let opened = store::open(
                    &path,
                    name,
                    requested,
                    &options.dropped,
                    options.progress.as_ref(),
                    options.check_integrity,
                    options.cache_size,
                )?;
                (path, opened)
            }
            Place::File { dir, read_only: true } => {
                let path = dir.join(format!("{name}.insula"));
                let opened =
                    store::open_read_only(&path, name, requested, &options.dropped, options.cache_size)?;
                (path, opened)
            }
            Place::Memory => {
                (PathBuf::from(store::MEMORY), store::open_in_memory(name, requested, &options.dropped)?)
            }
        };
        let instance = Instance {
            name: name.to_owned(),
            place,
            path,
            storage: RwLock::new(Some(storage)),
            collections,
            watchers: Arc::default(),
            write_lock: Mutex::new(()),
            durability: options.durability,
            group: Group::default(),
            scan_threads: options
                .scan_threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
        };
        if let Some(threshold) = options.compact_above
            && instance.space()?.1.is_some_and(|free| free >= threshold)
        {
            instance.compact()?;
        }
        Ok(instance)
    }

    /// Begins a read transaction at the last commit.
    pub(crate) fn begin_read(&self) -> Result<redb::ReadTransaction> {
        let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
        opened(storage.as_ref()).begin_read()
    }

    /// Begins a write transaction; a read-only instance refuses: it cannot do `what`.
    pub(crate) fn begin_write(&self, what: &str) -> Result<redb::WriteTransaction> {
        let storage = self.storage.read().unwrap_or_else(PoisonError::into_inner);
        match opened(storage.as_ref()) {
            Storage::Writable(database) => Ok(database.begin_write()?),
            Storage::ReadOnly(_) => Err(self.read_only(what)),
        }
    }

    /// Runs `f` on the writable database while no transaction of the instance begins;
    /// a read-only instance refuses: it cannot do `what`.
    pub(crate) fn exclusive<R>(
        &self,
        what: &str,
        f: impl FnOnce(&mut redb::Database) -> Result<R>,
    ) -> Result<R> {
        let mut storage = self.storage.write().unwrap_or_else(PoisonError::into_inner);
        match storage.as_mut().and_then(Storage::writable) {
            Some(database) => f(database),
            None => Err(self.read_only(what)),
        }
    }

    /// The error of a read-only instance asked to do `what`.
    pub(crate) fn read_only(&self, what: &str) -> Error {
        Error::ReadOnly { instance: self.name.clone(), what: what.to_owned() }
    }

    /// Whether the instance was opened with `read_only()`.
    pub(crate) fn is_read_only(&self) -> bool {
        matches!(self.place, Place::File { read_only: true, .. })
    }

    /// The directory of the file, if the instance has one.
    pub(crate) fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::File { dir, .. } => Some(dir),
            Place::Memory => None,
        }
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
        let storage = self.storage.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(storage) = storage {
            store::close(storage);
        }
        if self.place != Place::Memory {
            INSTANCES.remove_closed(&self.name);
        }
    }
}

/// The storage of an instance, which is there from `open` until `drop`.
fn opened(storage: Option<&Storage>) -> &Storage {
    // Taken only by `drop`, which nothing can observe.
    storage.expect("the storage is open until the instance drops")
}
