//! [`Db`]: a handle of an open, named instance, and its transactions.

use super::builder::DbBuilder;
use super::instance::{INSTANCES, Instance};
use super::txn::Durability;
use super::txn::{ReadTxn, WriteTxn, WritingGuard};
use crate::guard::{SafeDrop, storage};
use crate::{Error, Result};
use std::cell::Cell;
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
    pub(crate) instance: Arc<Instance>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("name", &self.instance.name).field("path", &self.instance.path).finish()
    }
}

impl Db {
    /// Starts describing an instance to open.
    pub fn builder() -> DbBuilder {
        DbBuilder::new()
    }

    /// The open instance called `name`, if there is one.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().name("shared").collection::<Note>().open(dir.path())?;
    /// // Any thread finds the instance by name, without knowing its directory.
    /// let found = std::thread::spawn(|| Db::instance("shared").map(|db| db.path().to_owned())).join().unwrap();
    /// assert_eq!(found.as_deref(), Some(db.path()));
    /// drop(db); // the last handle: the instance closes
    /// assert!(Db::instance("shared").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instance(name: &str) -> Option<Db> {
        INSTANCES.get(name).map(|instance| Db { instance })
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
    pub fn read_txn_sync<R>(&self, f: impl FnOnce(&ReadTxn<'_>) -> Result<R>) -> Result<R> {
        self.read_txn_sync_with_error(f)
    }

    /// [`Db::read_txn_sync`] for a closure that returns an error type of the caller's
    /// own, which any [`Error`] converts into.
    pub fn read_txn_sync_with_error<R, E: From<Error>>(
        &self,
        f: impl FnOnce(&ReadTxn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let instance = &self.instance;
        let read = storage(&instance.path, || ReadTxn::begin(instance))?;
        // Ending the read releases pages, which reads the file's state: the transaction
        // is held in a `SafeDrop`, so a panic there on a damaged file is contained.
        f(&read)
    }

    /// Runs `f` in a write transaction, which commits when `f` returns `Ok` and aborts
    /// when it returns `Err` or panics (the panic goes on; the instance stays usable).
    /// Write transactions of one instance run one at a time; starting one inside
    /// another on the same thread is [`Error::NestedTransaction`].
    ///
    /// A durable commit returns once it is on the disk. Durable writers on several
    /// threads share flushes (group commit, see the README): a commit may then be seen
    /// by readers and watchers a little before its call returns, and a crash before the
    /// call returns may take it back. `f` must not wait for another thread's write
    /// transaction on this instance to return: that one may be waiting for this commit.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let mut note = Note { text: "draft".into(), ..Default::default() };
    /// // The closure returns `insula::Result`, so an early return needs no annotation.
    /// let saved = db.write_txn_sync(|txn| {
    ///     if txn.notes().count()? >= 10 {
    ///         return Ok(false);
    ///     }
    ///     txn.notes().put(&mut note)?;
    ///     Ok(true)
    /// })?;
    /// assert!(saved);
    /// assert_eq!(db.notes().count()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_txn_sync<R>(&self, f: impl FnOnce(&WriteTxn<'_>) -> Result<R>) -> Result<R> {
        self.write_txn_sync_with_error(f)
    }

    /// [`Db::write_txn_sync`] for a closure that returns an error type of the caller's
    /// own, which any [`Error`] converts into: the transaction aborts when the closure
    /// returns `Err`, and the caller gets that error as it was.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// #[derive(Debug)]
    /// enum AppError {
    ///     Db(insula::Error),
    ///     Empty,
    /// }
    ///
    /// impl From<insula::Error> for AppError {
    ///     fn from(error: insula::Error) -> Self {
    ///         AppError::Db(error)
    ///     }
    /// }
    ///
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let mut note = Note::default();
    /// let result = db.write_txn_sync_with_error(|txn| {
    ///     txn.notes().put(&mut note)?;
    ///     if note.text.is_empty() {
    ///         return Err(AppError::Empty);
    ///     }
    ///     Ok(())
    /// });
    /// assert!(matches!(result, Err(AppError::Empty)));
    /// assert_eq!(db.notes().count()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_txn_sync_with_error<R, E: From<Error>>(
        &self,
        f: impl FnOnce(&WriteTxn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let _writing = WritingGuard::enter(&self.instance)?;
        let writing = self.instance.group.enter();
        // A panic in an earlier transaction's closure poisons nothing this guards.
        let serial = self.instance.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let instance = &self.instance;
        let txn = storage(&instance.path, || instance.begin_write("run a write transaction"))?;
        let txn = SafeDrop::new(txn);
        let write = WriteTxn {
            instance,
            txn,
            buffer: Default::default(),
            changes: Default::default(),
            durability: Cell::new(instance.durability),
        };
        // On a panic or an error, `write` drops, and redb aborts it (`SafeDrop` contains
        // a panic of that abort on a damaged file).
        let result = f(&write)?;
        let WriteTxn { txn, changes, durability, .. } = write;
        // A durable commit while another writer waits shares a flush with it (see
        // `group.rs`): it commits relaxed now and returns once a flush covers it.
        let shared = durability.get() == Durability::Immediate && instance.group.shared();
        let durability = if shared { Durability::Relaxed } else { durability.get() };
        storage(&instance.path, || commit(txn.into_inner(), durability))?;
        let number = instance.group.committed(&writing, durability == Durability::Immediate);
        instance.watchers.notify(&mut changes.into_inner(), || ReadTxn::begin(instance));
        drop(serial);
        if shared {
            storage(&instance.path, || instance.group.wait_durable(number, |reach| flush(instance, reach)))?;
        }
        Ok(result)
    }
}

/// Makes every commit of `instance` so far durable with an empty durable commit, and
/// tells `reach` once the commit holds the file (no other commit can land before it).
pub(crate) fn flush(instance: &Instance, reach: &dyn Fn()) -> Result<()> {
    let txn = instance.begin_write("flush")?;
    reach();
    commit(txn, Durability::Immediate)
}

/// Commits `txn` with `durability`.
pub(crate) fn commit(mut txn: redb::WriteTransaction, durability: Durability) -> Result<()> {
    if durability == Durability::Relaxed {
        txn.set_durability(redb::Durability::None).map_err(|error| Error::Storage(error.into()))?;
    }
    Ok(txn.commit()?)
}
