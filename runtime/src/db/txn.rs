//! Synchronous transactions: [`ReadTxn`] and [`WriteTxn`], given to the closures of
//! `Db::read_txn_sync` and `Db::write_txn_sync`.

use super::instance::Instance;
use super::watchers::Changes;
use crate::guard::SafeDrop;
use crate::{Error, Result};
use std::cell::{Cell, RefCell};

/// What a write transaction's commit promises once it returns.
///
/// Every commit is atomic whatever its durability: after a crash, a transaction is in the
/// file whole or not at all, and a later commit is never there without an earlier one.
/// The durability says which commits a crash can take back.
///
/// Set it for an instance with [`DbBuilder::durability`](crate::DbBuilder::durability) and
/// for one transaction with [`WriteTxn::set_durability`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Durability {
    /// The commit is on the disk when it returns: it survives a crash of the process and
    /// a power loss. Each commit waits for the disk to confirm its writes (an `fsync`);
    /// commits made on several threads at once share that wait (group commit), and
    /// readers may see such a commit just before its call returns.
    #[default]
    Immediate,
    /// The commit is in the instance's memory when it returns: readers see it at once,
    /// but it reaches the disk only with the next [`Immediate`](Durability::Immediate)
    /// commit, [`Db::flush`](crate::Db::flush), or the instance's close. A crash of the
    /// process or a power loss before then takes back the relaxed commits since the last
    /// durable one, all of them, and nothing older. Commits do not wait for the disk.
    ///
    /// This is redb's `Durability::None`. redb keeps a relaxed commit's new root in memory
    /// until a durable commit writes it, which is what lets it keep the last durable
    /// state whole however the disk orders its writes; the price is that a killed process
    /// loses its relaxed commits too.
    Relaxed,
}

/// A read transaction: one consistent snapshot for its whole life. Reach a collection
/// through its accessor: `txn.messages()`.
pub struct ReadTxn<'db> {
    pub(crate) instance: &'db Instance,
    pub(crate) txn: SafeDrop<redb::ReadTransaction>,
}

impl<'db> ReadTxn<'db> {
    /// Begins a read transaction of `instance`, at its last commit.
    pub(crate) fn begin(instance: &'db Instance) -> Result<Self> {
        Ok(ReadTxn { instance, txn: SafeDrop::new(instance.begin_read()?) })
    }

    /// The database file, for errors.
    pub(crate) fn path(&self) -> &'db std::path::Path {
        &self.instance.path
    }
}

/// A write transaction. It commits when the closure that received it returns `Ok`, and
/// aborts when the closure returns `Err` or panics. Reach a collection through its
/// accessor: `txn.messages().put(&mut message)`.
pub struct WriteTxn<'db> {
    pub(crate) instance: &'db Instance,
    pub(crate) txn: SafeDrop<redb::WriteTransaction>,
    /// The encoding buffer every `put` of the transaction reuses.
    pub(crate) buffer: RefCell<Vec<u8>>,
    /// What the transaction wrote, for the watchers once it commits.
    pub(crate) changes: RefCell<Changes>,
    /// The durability its commit will have.
    pub(crate) durability: Cell<Durability>,
}

impl WriteTxn<'_> {
    /// Sets the durability of this transaction's commit, in place of the instance's
    /// (see [`Durability`]): a relaxed instance can make one commit durable, and a
    /// durable one can relax a commit that a crash may take back.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// use insula::Durability;
    ///
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().durability(Durability::Relaxed).open(dir.path())?;
    /// let mut draft = Note { text: "draft".into(), ..Default::default() };
    /// db.write_txn_sync(|txn| txn.notes().put(&mut draft))?; // relaxed
    /// let mut order = Note { text: "order".into(), ..Default::default() };
    /// db.write_txn_sync(|txn| {
    ///     txn.set_durability(Durability::Immediate); // this one, and the draft before it, reach the disk
    ///     txn.notes().put(&mut order)
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_durability(&self, durability: Durability) {
        self.durability.set(durability);
    }

    /// The database file, for errors.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.instance.path
    }
}

impl std::fmt::Debug for ReadTxn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadTxn").field("instance", &self.instance.name).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for WriteTxn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn").field("instance", &self.instance.name).finish_non_exhaustive()
    }
}

thread_local! {
    /// The instances this thread is running a write transaction on, by address.
    static WRITING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks a write transaction of `instance` as running on this thread, until dropped.
pub(crate) struct WritingGuard {
    instance: usize,
}

impl WritingGuard {
    /// Fails with `NestedTransaction` when this thread already writes to `instance`:
    /// beginning a second write would wait for the first forever.
    pub(crate) fn enter(instance: &Instance) -> Result<WritingGuard> {
        let address = std::ptr::from_ref(instance) as usize;
        WRITING.with_borrow_mut(|writing| {
            if writing.contains(&address) {
                return Err(Error::NestedTransaction { instance: instance.name.clone() });
            }
            writing.push(address);
            Ok(WritingGuard { instance: address })
        })
    }
}

/// Whether this thread is running a write transaction of `instance`.
pub(crate) fn writing_here(instance: &Instance) -> bool {
    let address = std::ptr::from_ref(instance) as usize;
    WRITING.with_borrow(|writing| writing.contains(&address))
}

impl Drop for WritingGuard {
    fn drop(&mut self) {
        WRITING.with_borrow_mut(|writing| writing.retain(|&address| address != self.instance));
    }
}
