//! Synchronous transactions: [`ReadTxn`] and [`WriteTxn`], given to the closures of
//! `Db::read_txn_sync` and `Db::write_txn_sync`.

use super::instance::Instance;
use super::watchers::Changes;
use crate::guard::SafeDrop;
use crate::{Error, Result};
use redb::ReadableDatabase;
use std::cell::RefCell;

/// A read transaction: one consistent snapshot for its whole life. Reach a collection
/// through its accessor: `txn.messages()`.
pub struct ReadTxn<'db> {
    pub(crate) instance: &'db Instance,
    pub(crate) txn: SafeDrop<redb::ReadTransaction>,
}

impl<'db> ReadTxn<'db> {
    /// Begins a read transaction of `instance`, at its last commit.
    pub(crate) fn begin(instance: &'db Instance) -> Result<Self> {
        Ok(ReadTxn { instance, txn: SafeDrop::new(instance.database().begin_read()?) })
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
}

impl WriteTxn<'_> {
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
