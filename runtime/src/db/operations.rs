//! Looking after an instance's file: [`Db::flush`], [`Db::compact`], [`Db::copy_to`] and
//! [`Db::stats`].

use super::database::{Db, commit, flush};
use super::instance::{Instance, Place};
use super::txn::{Durability, writing_here};
use crate::guard::{SafeDrop, storage};
use crate::store::{self, Stats};
use crate::{Error, Result};
use std::path::Path;
use std::sync::{MutexGuard, PoisonError};

/// What [`Db::compact`] did: the file's size before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compaction {
    /// The file's size in bytes before.
    pub bytes_before: u64,
    /// The file's size in bytes after.
    pub bytes_after: u64,
}

impl Instance {
    /// Fails with `NestedTransaction` on a thread that runs a write transaction of this
    /// instance, where waiting for the write lock would wait forever; otherwise holds it.
    fn serial(&self) -> Result<MutexGuard<'_, ()>> {
        if writing_here(self) {
            return Err(Error::NestedTransaction { instance: self.name.clone() });
        }
        Ok(self.write_lock.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The file's size and, where the instance can tell, how many of its bytes are free.
    pub(crate) fn space(&self) -> Result<(u64, Option<u64>)> {
        match self.place {
            Place::File { read_only: true, .. } => Ok((self.file_len()?, None)),
            Place::File { read_only: false, .. } => {
                let allocated = {
                    let _serial = self.serial()?;
                    self.allocated_bytes()?
                };
                let len = self.file_len()?;
                Ok((len, Some(len.saturating_sub(allocated))))
            }
            Place::Memory => {
                let _serial = self.serial()?;
                Ok((self.allocated_bytes()?, None))
            }
        }
    }

    /// The size of the file.
    fn file_len(&self) -> Result<u64> {
        std::fs::metadata(&self.path)
            .map(|metadata| metadata.len())
            .map_err(|source| Error::Io { path: self.path.clone(), source })
    }

    /// The bytes of the pages redb has allocated, read in a write transaction that is
    /// then aborted: call it with the write lock held.
    fn allocated_bytes(&self) -> Result<u64> {
        let txn = self.begin_write("measure the file")?;
        let stats = txn.stats()?;
        txn.abort()?;
        Ok(stats.allocated_pages() * stats.page_size() as u64)
    }

    /// Compacts the file in place (see [`Db::compact`]).
    pub(crate) fn compact(&self) -> Result<Compaction> {
        let _serial = self.serial()?;
        storage(&self.path, || {
            let bytes_before = self.space_unlocked()?;
            let write = SafeDrop::new(self.begin_write("compact the file")?);
            store::rebuild_tables(&write, &self.path)?;
            commit(write.into_inner(), Durability::Immediate)?;
            self.exclusive("compact the file", |database| {
                database.compact().map_err(|error| match error {
                    redb::CompactionError::TransactionInProgress => Error::Busy {
                        instance: self.name.clone(),
                        what: "compact the file while a read transaction is open",
                    },
                    error => error.into(),
                })
            })?;
            Ok(Compaction { bytes_before, bytes_after: self.space_unlocked()? })
        })
    }

    /// The size of the file, or of the pages in use in memory, with the write lock held.
    fn space_unlocked(&self) -> Result<u64> {
        match self.place {
            Place::File { .. } => self.file_len(),
            Place::Memory => self.allocated_bytes(),
        }
    }
}

impl Db {
    /// Makes every commit so far durable: after it returns, a crash or a power loss
    /// takes back none of them. Only [`Durability::Relaxed`] commits need it; on a
    /// read-only instance it does nothing.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().durability(insula::Durability::Relaxed).open(dir.path())?;
    /// for text in ["a", "b", "c"] {
    ///     let mut note = Note { text: text.into(), ..Default::default() };
    ///     db.write_txn_sync(|txn| txn.notes().put(&mut note))?; // does not wait for the disk
    /// }
    /// db.flush()?; // one wait for all three
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        let instance = &self.instance;
        if instance.is_read_only() {
            return Ok(());
        }
        let _serial = instance.serial()?;
        // No commit lands while this holds the write lock.
        let covered = instance.group.last();
        storage(&instance.path, || flush(instance, &|| {}))?;
        instance.group.made_durable(covered);
        Ok(())
    }

    /// Compacts the file in place: every table is rewritten into full pages (deletes
    /// leave pages part empty), then the free pages are given back to the file system,
    /// and the file shrinks. Write transactions wait meanwhile, and so do reads that begin
    /// in its last step; a read transaction open on another thread then makes it fail
    /// with [`Error::Busy`] (try again once it ends: the tables stay rewritten, and
    /// nothing is lost). A read-only instance refuses with [`Error::ReadOnly`].
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let mut notes: Vec<Note> = (0..2_000).map(|i| Note { text: format!("note {i}"), ..Default::default() }).collect();
    /// db.write_txn_sync(|txn| txn.notes().put_all(&mut notes))?;
    /// db.write_txn_sync(|txn| txn.notes().clear())?;
    /// let compaction = db.compact()?;
    /// assert!(compaction.bytes_after < compaction.bytes_before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compact(&self) -> Result<Compaction> {
        self.instance.compact()
    }

    /// Writes a copy of the instance to a new file at `path`, from one read snapshot
    /// while other threads go on writing, and returns its size in bytes. The copy is
    /// compacted, holds every collection of the file (also those this instance was not
    /// opened with), and opens as a normal Insula file: name it `<name>.insula` in a
    /// directory to open it as the instance `<name>` there.
    ///
    /// `path` must not exist. The copy is written beside it under a hidden name and
    /// renamed into place only once it is whole and on the disk, so a crash during the
    /// copy leaves no file at `path`.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let backups = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// db.write_txn_sync(|txn| txn.notes().put(&mut Note { text: "kept".into(), ..Default::default() }))?;
    /// db.copy_to(backups.path().join("backup.insula"))?;
    ///
    /// let copy = Db::builder().name("backup").collection::<Note>().read_only().open(backups.path())?;
    /// assert_eq!(copy.notes().count()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn copy_to(&self, path: impl AsRef<Path>) -> Result<u64> {
        let instance = &self.instance;
        let path = path.as_ref();
        let read = storage(&instance.path, || instance.begin_read())?;
        let read = SafeDrop::new(read);
        storage(&instance.path, || store::copy(&read, &instance.path, path))
    }

    /// How much space the instance takes: the file, its free space, and each collection
    /// in it with its objects, records and indexes.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// db.write_txn_sync(|txn| txn.notes().put(&mut Note { tag: "a".into(), ..Default::default() }))?;
    /// let stats = db.stats()?;
    /// assert_eq!(stats.collections[0].name, "Note");
    /// assert_eq!(stats.collections[0].objects, 1);
    /// assert_eq!(stats.collections[0].indexes[0].entries, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> Result<Stats> {
        let instance = &self.instance;
        storage(&instance.path, || {
            let (file_bytes, free_bytes) = instance.space()?;
            let read = SafeDrop::new(instance.begin_read()?);
            let collections = store::collection_stats(&read, &instance.path)?;
            Ok(Stats { file_bytes, free_bytes, collections })
        })
    }
}
