//! Looking after a database file without the app's types: its statistics, a backup and
//! a compaction, for tools such as a command line. An app that has the file open uses
//! [`Db::stats`](crate::Db::stats), [`Db::copy_to`](crate::Db::copy_to) and
//! [`Db::compact`](crate::Db::compact) instead.

use super::reader::Snapshot;
use crate::guard::{SafeDrop, storage};
use crate::store::{self, Stats};
use crate::{Compaction, Error, Result};
use std::path::Path;

impl Snapshot {
    /// How much space the file takes: its size, each collection with its objects,
    /// records and indexes, and the free bytes, estimated as the file's size less the
    /// pages of every table (a read-only open cannot ask redb's allocator, so redb's own
    /// bookkeeping counts as free: the estimate is a little high).
    pub fn stats(&self) -> Result<Stats> {
        let file_bytes = std::fs::metadata(self.path())
            .map_err(|source| Error::Io { path: self.path().to_owned(), source })?
            .len();
        let collections = store::collection_stats(self.txn(), self.path())?;
        let used = store::table_bytes(self.txn())?;
        Ok(Stats { file_bytes, free_bytes: Some(file_bytes.saturating_sub(used)), collections })
    }
}

/// Writes a compacted copy of the database file at `path` to a new file at `to`, from
/// one snapshot, and returns its size: [`Db::copy_to`](crate::Db::copy_to) for a file no
/// instance of this process holds (another process may: a read-only open shares it).
pub fn backup(path: impl AsRef<Path>, to: impl AsRef<Path>) -> Result<u64> {
    let (path, to) = (path.as_ref(), to.as_ref());
    let reader = super::Reader::open(path)?;
    let snapshot = reader.read()?;
    storage(path, || store::copy(snapshot.txn(), path, to))
}

/// Compacts the database file at `path` in place, as [`Db::compact`](crate::Db::compact)
/// does, and returns its size before and after. The file must not be open elsewhere.
pub fn compact(path: impl AsRef<Path>) -> Result<Compaction> {
    let path = path.as_ref();
    let size = || {
        std::fs::metadata(path)
            .map(|metadata| metadata.len())
            .map_err(|source| Error::Io { path: path.to_owned(), source })
    };
    let bytes_before = size()?;
    // Read-only first: a file that is not Insula's, or of another format version, is
    // refused before redb opens it for writing (which writes, even to do nothing). The
    // reader is closed again before that open.
    {
        let snapshot = super::Reader::open(path)?.read()?;
        if store::open_optional(snapshot.txn(), store::META)?.is_none() {
            return Err(Error::NotADatabase {
                path: path.to_owned(),
                reason: "a redb file without Insula's catalog (`insula:meta`)".to_owned(),
            });
        }
    }
    let mut database =
        redb::Database::builder().open(path).map_err(|error| store::open_error(error, path))?;
    let compacted = storage(path, || {
        let write = SafeDrop::new(database.begin_write()?);
        store::rebuild_tables(&write, path)?;
        write.into_inner().commit()?;
        database.compact()?;
        Ok(())
    });
    store::close(store::Storage::Writable(database));
    compacted?;
    Ok(Compaction { bytes_before, bytes_after: size()? })
}
