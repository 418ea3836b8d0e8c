//! [`DbBuilder`]: what an instance is opened with, and opening it.

use super::database::{DEFAULT_NAME, Db};
use super::instance::{INSTANCES, Instance, Options, Place};
use super::registry::Entry;
use super::txn::Durability;
use crate::guard::storage;
use crate::schema::{CollectionDiff, SchemaDef, classify, diff_sets};
use crate::store::{Action, CollectionOps, MigrationProgress, Requested, Step, plan_file};
use crate::{Collection, Error, Result};
use std::path::Path;
use std::sync::Arc;

/// Describes an instance to open: its name, its collections, and how to open it.
#[derive(Clone)]
pub struct DbBuilder {
    name: String,
    collections: Vec<Requested>,
    options: Options,
    read_only: bool,
    /// The registered migrations, of any collection.
    steps: Vec<Step>,
}

impl std::fmt::Debug for DbBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.collections.iter().map(|asked| asked.schema.name.as_str()).collect();
        f.debug_struct("DbBuilder")
            .field("name", &self.name)
            .field("collections", &names)
            .field("read_only", &self.read_only)
            .field("durability", &self.options.durability)
            .field("scan_threads", &self.options.scan_threads)
            .field("cache_size", &self.options.cache_size)
            .field("migrations", &self.steps)
            .finish_non_exhaustive()
    }
}

impl DbBuilder {
    pub(crate) fn new() -> Self {
        DbBuilder {
            name: DEFAULT_NAME.to_owned(),
            collections: Vec::new(),
            options: Options::default(),
            read_only: false,
            steps: Vec::new(),
        }
    }

    /// The instance's name (default `"default"`); its file is `<dir>/<name>.insula`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// A collection of the instance.
    pub fn collection<C: Collection>(mut self) -> Self {
        self.collections.push(Requested {
            schema: SchemaDef::from(&C::SCHEMA),
            ops: CollectionOps::of::<C>(),
            steps: Vec::new(),
        });
        self
    }

    /// The schemas of the collections named so far.
    pub fn schemas(&self) -> Vec<SchemaDef> {
        self.collections.iter().map(|asked| asked.schema.clone()).collect()
    }

    /// What opening the database file `path` with these collections would do to each of
    /// them, found without changing the file: nothing, create it, or migrate it (with
    /// the changes). A refusal is the error `open` would return.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let builder = Db::builder().name("notes").collection::<Note>();
    /// let path = dir.path().join("notes.insula");
    /// drop(builder.clone().open(dir.path())?); // creates the file, then closes it
    /// assert_eq!(builder.plan(&path)?, [("Note".to_owned(), insula::Action::Nothing)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plan(&self, path: impl AsRef<Path>) -> Result<Vec<(String, Action)>> {
        let path = path.as_ref();
        let requested = schema_set(&self.name, self.collections.clone(), &self.steps)?;
        let dropped = &self.options.dropped;
        let actions = storage(path, || plan_file(path, &self.name, &requested, dropped))?;
        let names =
            requested.into_iter().map(|requested| requested.schema.name).chain(dropped.iter().cloned());
        Ok(names.zip(actions).collect())
    }

    /// Registers a migration for a breaking change: how an object of `Old`, an earlier
    /// version of a collection (another `#[derive(Collection)]` with the same stored
    /// name, kept for instance in a `mod v1`), becomes an object of `New`.
    ///
    /// When the file stores the collection as `Old` and the code opens it as `New`,
    /// every object is converted on open, in the transaction that opens the file: read
    /// as `Old` (in whatever older layout it has), converted, stored as `New` under its
    /// id (whatever id the conversion sets), every index rebuilt, every unique index
    /// checked. Migrations chain: with `v1 -> v2` and `v2 -> v3` registered, a file at
    /// v1 opened as v3 goes through both. Before anything is written, every object is
    /// converted once read-only: if a conversion returns an error or panics, or two
    /// converted objects share a unique key, the open fails with
    /// [`Error::MigrationFailed`] naming the object and the step, and the file is left
    /// byte for byte as it was. Watchers hear nothing of a migration. [`plan`](Self::plan)
    /// shows it as [`Action::Convert`], naming each conversion.
    ///
    /// ```
    /// mod v1 {
    ///     use insula::prelude::*;
    ///     #[derive(Collection, Debug, Default)]
    ///     #[collection(name = "Item")]
    ///     pub struct Item { #[id] pub id: Id, pub price: u32 }
    /// }
    /// mod v2 {
    ///     use insula::prelude::*;
    ///     #[derive(Collection, Debug, Default)]
    ///     #[collection(name = "Item")]
    ///     pub struct Item { #[id] pub id: Id, pub price: String }
    /// }
    /// use insula::prelude::*;
    ///
    /// # let dir = tempfile::tempdir()?;
    /// # let db = Db::builder().collection::<v1::Item>().open(dir.path())?;
    /// # db.write_txn_sync(|txn| txn.collection::<v1::Item>().put(&mut v1::Item { id: 0, price: 250 }))?;
    /// # drop(db);
    /// fn to_v2(old: v1::Item) -> Result<v2::Item, std::convert::Infallible> {
    ///     Ok(v2::Item { id: old.id, price: format!("{:.2} EUR", f64::from(old.price) / 100.0) })
    /// }
    /// let db = Db::builder().collection::<v2::Item>().migrate(to_v2).open(dir.path())?;
    /// assert_eq!(db.collection::<v2::Item>().get(1)?.unwrap().price, "2.50 EUR");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migrate<Old, New, E>(
        mut self,
        convert: impl Fn(Old) -> Result<New, E> + Send + Sync + 'static,
    ) -> Self
    where
        Old: Collection,
        New: Collection,
        E: std::fmt::Display,
    {
        self.steps.push(Step::of(convert));
        self
    }

    /// The migrations registered so far, for a schema check
    /// ([`check_lock_with`](crate::schema::check_lock_with)).
    pub fn migrations(&self) -> Vec<crate::schema::Migration> {
        self.steps
            .iter()
            .map(|step| crate::schema::Migration::new(step.old.clone(), step.new.clone(), step.by.clone()))
            .collect()
    }

    /// Deletes the collection stored as `name` from the file as the instance opens, in
    /// the transaction that migrates the others: its objects, its indexes and its
    /// schema. Nothing else ever deletes a collection: one the code stops opening stays
    /// in the file until it is dropped by name. A file without it is left as it is, so
    /// the call can stay in the code. (An instance already open in the process is
    /// returned as it is: the drop happens when the file opens.) Opening a collection that is also dropped is
    /// [`Error::DroppedAndOpened`]; [`plan`](Self::plan) lists the drop as
    /// [`Action::Drop`].
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Draft { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// # drop(Db::builder().collection::<Note>().collection::<Draft>().open(dir.path())?);
    /// // `Draft` is gone from the code; its data goes too, on purpose.
    /// let builder = Db::builder().collection::<Note>().drop_collection("Draft");
    /// let path = dir.path().join("default.insula");
    /// assert_eq!(builder.plan(&path)?[1], ("Draft".to_owned(), insula::Action::Drop));
    /// let db = builder.open(dir.path())?;
    /// assert_eq!(db.stats()?.collections.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drop_collection(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if !self.options.dropped.contains(&name) {
            self.options.dropped.push(name);
        }
        self
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
        self.options.check_integrity = enabled;
        self
    }

    /// Calls `report` as a migration fills new indexes, with how many objects are done.
    pub fn on_progress(mut self, report: impl Fn(&MigrationProgress) + Send + Sync + 'static) -> Self {
        self.options.progress = Some(Arc::new(report));
        self
    }

    /// Opens the file read-only: nothing is ever written to it, every write is refused
    /// with [`Error::ReadOnly`], and so is a file that would need a write before it can
    /// be used (a collection it lacks, a schema change); one that needs a repair after a
    /// crash is [`Error::NeedsRepair`]. The file must exist. Read-only instances in several processes share the file; a process
    /// that opens it for writing excludes them, and they it ([`Error::AlreadyOpen`]).
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// # drop(Db::builder().name("archive").collection::<Note>().open(dir.path())?);
    /// let db = Db::builder().name("archive").collection::<Note>().read_only().open(dir.path())?;
    /// assert_eq!(db.notes().count()?, 0);
    /// let refused = db.write_txn_sync(|txn| txn.notes().clear());
    /// assert!(matches!(refused, Err(insula::Error::ReadOnly { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// What a commit promises when it returns, for every write transaction of the
    /// instance that does not set its own ([`WriteTxn::set_durability`](crate::WriteTxn::set_durability)).
    /// [`Durability::Immediate`] by default.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.options.durability = durability;
        self
    }

    /// How many threads a query that must test many records may test them on at once:
    /// a query that no index serves and no limit stops early, over at least 16,384
    /// objects, splits the ids into that many parts, each tested on a thread of its own,
    /// all reading one snapshot, and merges the results in id order (or the sort's). The
    /// number of the machine's cores by default; 1 turns it off. The setting belongs to
    /// the instance: the first open of a name decides it.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub stars: u32 }
    /// let db = Db::builder().collection::<Note>().scan_threads(1).open_in_memory()?;
    /// assert_eq!(db.notes().query().filter(Note::STARS.gt(3)).count()?, 0);
    /// # Ok::<(), insula::Error>(())
    /// ```
    pub fn scan_threads(mut self, threads: usize) -> Self {
        self.options.scan_threads = Some(threads.max(1));
        self
    }

    /// How many bytes of the file redb keeps in memory, its page cache: 1 GiB by default.
    /// A file larger than its cache reads what falls outside from the operating system
    /// on each use, and a random get or a scan then costs several times what it costs in
    /// a smaller file (at 10M messages, a 2.3 GB file); raise it for a large file on a
    /// machine with the memory. The setting belongs to the instance: the first open of a
    /// name decides it.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().cache_size(4 << 30).open(dir.path())?;
    /// assert_eq!(db.notes().count()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cache_size(mut self, bytes: usize) -> Self {
        self.options.cache_size = Some(bytes);
        self
    }

    /// Compacts the file as it opens when at least `free_bytes` of it are free (see
    /// [`Db::compact`]), like Isar's `compactOnLaunch`. The check costs one look at the
    /// file's allocator; the compaction, when it runs, rewrites the pages it moves.
    pub fn compact_on_open(mut self, free_bytes: u64) -> Self {
        self.options.compact_above = Some(free_bytes);
        self
    }

    /// Opens the instance in `dir` (created if missing), or returns the instance already
    /// open under the same name, if it has the same collections and directory.
    pub fn open(self, dir: impl AsRef<Path>) -> Result<Db> {
        validate_name(&self.name)?;
        let dir = dir.as_ref();
        if dir.as_os_str().is_empty() {
            return Err(Error::InvalidDirectory {
                path: dir.to_owned(),
                reason: "the path is empty; pass \".\" for the current directory",
            });
        }
        let io = |source| Error::Io { path: dir.to_owned(), source };
        if !self.read_only {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let dir = dir.canonicalize().map_err(io)?;
        let requested = schema_set(&self.name, self.collections, &self.steps)?;
        let place = Place::File { dir, read_only: self.read_only };

        match INSTANCES.entry(&self.name) {
            Entry::Open(instance) => {
                let Place::File { dir, read_only } = place else { unreachable!("a file was asked for") };
                if instance.dir() != Some(dir.as_path()) {
                    return Err(Error::DirectoryMismatch {
                        instance: self.name,
                        open: instance.dir().unwrap_or(Path::new("")).to_owned(),
                        requested: dir,
                    });
                }
                if instance.is_read_only() != read_only {
                    return Err(Error::AccessMismatch {
                        instance: self.name,
                        read_only: instance.is_read_only(),
                    });
                }
                let requested: Vec<SchemaDef> =
                    requested.into_iter().map(|requested| requested.schema).collect();
                let differences = diff_sets(&instance.schemas(), &requested);
                if !differences.is_empty() {
                    return Err(Error::SchemaMismatch { instance: self.name, differences });
                }
                Ok(Db { instance })
            }
            Entry::Vacant(guard) => {
                let path = match &place {
                    Place::File { dir, .. } => dir.join(format!("{}.insula", self.name)),
                    Place::Memory => unreachable!("a file was asked for"),
                };
                let instance =
                    Arc::new(storage(&path, || Instance::open(&self.name, place, requested, &self.options))?);
                guard.register(&instance);
                Ok(Db { instance })
            }
        }
    }

    /// Opens a new instance in memory: the same API and rules as a file's, with nothing
    /// written to disk, gone when its last handle drops. It is private to the `Db` this
    /// returns and its clones: it is not in the process's registry, so [`Db::instance`]
    /// does not find it, and every call opens another one, even under the same name.
    /// That is what tests want: each gets its own instance, however many run at once.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// let first = Db::builder().collection::<Note>().open_in_memory()?;
    /// let second = Db::builder().collection::<Note>().open_in_memory()?;
    /// first.write_txn_sync(|txn| txn.notes().put(&mut Note::default()))?;
    /// assert_eq!((first.notes().count()?, second.notes().count()?), (1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_in_memory(self) -> Result<Db> {
        validate_name(&self.name)?;
        if self.read_only {
            return Err(Error::ReadOnly {
                instance: self.name,
                what: "open in memory, where an instance starts empty and only writes can fill it".to_owned(),
            });
        }
        let requested = schema_set(&self.name, self.collections, &self.steps)?;
        let path = Path::new(crate::store::MEMORY);
        let instance = storage(path, || Instance::open(&self.name, Place::Memory, requested, &self.options))?;
        Ok(Db { instance: Arc::new(instance) })
    }
}

/// The asked-for schemas, sorted by name, each with the migrations registered for it;
/// the same collection asked for twice counts once, two different schemas under one name
/// are a mismatch.
fn schema_set(instance: &str, mut asked: Vec<Requested>, steps: &[Step]) -> Result<Vec<Requested>> {
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
    for requested in &mut asked {
        requested.steps =
            steps.iter().filter(|step| step.new.name == requested.schema.name).cloned().collect();
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
