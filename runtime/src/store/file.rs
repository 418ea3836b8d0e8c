//! The database file: opening it for writing, read-only or in memory (checking and
//! migrating its collections), and closing it.

use super::catalog::{Action, Requested, plan};
use super::collection::StoredCollection;
use super::migrate::{Progress, load, reconcile};
use crate::guard::SafeDrop;
use crate::{Error, Result};
use redb::ReadableDatabase;
use std::path::Path;

/// The path an in-memory instance reports, in errors and from `Db::path`.
pub(crate) const MEMORY: &str = ":memory:";

/// What an instance reads and writes: a redb database, writable (a file or memory) or a
/// file opened read-only.
pub(crate) enum Storage {
    Writable(redb::Database),
    ReadOnly(redb::ReadOnlyDatabase),
}

impl Storage {
    /// Begins a read transaction at the last commit.
    pub(crate) fn begin_read(&self) -> Result<redb::ReadTransaction> {
        Ok(match self {
            Storage::Writable(database) => database.begin_read()?,
            Storage::ReadOnly(database) => database.begin_read()?,
        })
    }

    /// The database, unless it was opened read-only.
    pub(crate) fn writable(&mut self) -> Option<&mut redb::Database> {
        match self {
            Storage::Writable(database) => Some(database),
            Storage::ReadOnly(_) => None,
        }
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Storage::Writable(_) => "Storage::Writable",
            Storage::ReadOnly(_) => "Storage::ReadOnly",
        })
    }
}

/// The error of a failed redb open of `path`.
pub(crate) fn open_error(error: redb::DatabaseError, path: &Path) -> Error {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            Error::AlreadyOpen { path: path.to_owned(), holder: super::holder::holder(path) }
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(source))
            if source.kind() == std::io::ErrorKind::InvalidData =>
        {
            Error::NotADatabase { path: path.to_owned(), reason: source.to_string() }
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(source)) => {
            Error::Io { path: path.to_owned(), source }
        }
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(reason)) => {
            Error::CorruptedFile { path: path.to_owned(), reason }
        }
        other => Error::Storage(other.into()),
    }
}

/// What opening the file at `path` with `requested` would do to each collection, found
/// without changing the file (see [`plan`]).
///
/// A missing file would be created with every collection. A file left by a process that
/// did not close it (a crash) needs a repair, which only a writable open does: it is
/// read into memory and repaired there, so the verdict is the one the next open reaches
/// after its repair, and the file itself is not touched.
pub(crate) fn plan_file(
    path: &Path,
    instance: &str,
    requested: &[Requested],
    dropped: &[String],
) -> Result<Vec<Action>> {
    if !path.try_exists().map_err(|source| Error::Io { path: path.to_owned(), source })? {
        let mut actions = vec![Action::Create; requested.len()];
        actions.resize(requested.len() + dropped.len(), Action::Nothing);
        return Ok(actions);
    }
    match redb::Database::builder().open_read_only(path) {
        Ok(database) => plan(&database, instance, path, requested, dropped, true),
        Err(redb::DatabaseError::RepairAborted) => {
            let database = repaired_in_memory(path)?;
            let actions = plan(&database, instance, path, requested, dropped, true);
            close(Storage::Writable(database));
            actions
        }
        Err(error) => Err(open_error(error, path)),
    }
}

/// A copy of the file at `path` in memory, repaired as a writable open would repair it.
fn repaired_in_memory(path: &Path) -> Result<redb::Database> {
    use redb::StorageBackend;
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    let backend = redb::backends::InMemoryBackend::new();
    let copied = backend.set_len(bytes.len() as u64).and_then(|()| backend.write(0, &bytes));
    copied.map_err(|error| Error::Io {
        path: path.to_owned(),
        source: std::io::Error::other(error.to_string()),
    })?;
    redb::Database::builder().create_with_backend(backend).map_err(|error| open_error(error, path))
}

/// Opens (creating if needed) the file at `path` for instance `instance`, and checks and
/// migrates every requested collection (see [`reconcile`]).
pub(crate) fn open(
    path: &Path,
    instance: &str,
    requested: Vec<Requested>,
    dropped: &[String],
    progress: Option<&Progress>,
    check_integrity: bool,
    cache_size: Option<usize>,
) -> Result<(Storage, Vec<StoredCollection>)> {
    // redb writes to a file it opens for writing, so an existing file is checked
    // read-only first: a refused open leaves it byte for byte as it was. (A file that
    // needs recovery cannot be opened read-only; the writable open below recovers it and
    // checks it then, conversions included.)
    let mut checked = !path.exists();
    if !checked {
        match redb::Database::builder().open_read_only(path) {
            Ok(read_only) => {
                plan(&read_only, instance, path, &requested, dropped, true)?;
                checked = true;
            }
            Err(redb::DatabaseError::RepairAborted) => {}
            Err(error) => return Err(open_error(error, path)),
        }
    }
    let mut builder = redb::Database::builder();
    builder.set_check_integrity_on_open(check_integrity);
    if let Some(bytes) = cache_size {
        builder.set_cache_size(bytes);
    }
    let database = builder.create(path).map_err(|error| open_error(error, path))?;
    match reconcile(&database, instance, path, requested, dropped, progress, !checked) {
        Ok(collections) => Ok((Storage::Writable(database), collections)),
        Err(error) => {
            // Closing writes to the file, and on a damaged one redb can panic there: that
            // panic is caught here, so that the caller gets the error that refused the
            // file, and nothing of it is lost in the unwinding.
            close(Storage::Writable(database));
            Err(error)
        }
    }
}

/// Opens the existing file at `path` without writing to it, for instance `instance`: every
/// requested collection must be in it with the same schema, since creating or migrating
/// one would write.
pub(crate) fn open_read_only(
    path: &Path,
    instance: &str,
    requested: Vec<Requested>,
    dropped: &[String],
    cache_size: Option<usize>,
) -> Result<(Storage, Vec<StoredCollection>)> {
    let refused = |what: String| Error::ReadOnly { instance: instance.to_owned(), what };
    let mut builder = redb::Database::builder();
    if let Some(bytes) = cache_size {
        builder.set_cache_size(bytes);
    }
    let database = builder.open_read_only(path).map_err(|error| match error {
        redb::DatabaseError::RepairAborted => Error::NeedsRepair { path: path.to_owned() },
        error => open_error(error, path),
    })?;
    let actions = plan(&database, instance, path, &requested, dropped, false)?;
    let names = requested.iter().map(|asked| &asked.schema.name).chain(dropped);
    if let Some((name, action)) = names.zip(&actions).find(|(_, action)| **action != Action::Nothing) {
        return Err(refused(format!(
            "open collection `{name}` as asked, which would {action}; open it once without `read_only()`"
        )));
    }
    let collections = load(&database, path, requested)?;
    Ok((Storage::ReadOnly(database), collections))
}

/// Creates a database in memory for instance `instance`, with the requested collections.
pub(crate) fn open_in_memory(
    instance: &str,
    requested: Vec<Requested>,
    dropped: &[String],
) -> Result<(Storage, Vec<StoredCollection>)> {
    let database = redb::Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
    let collections = reconcile(&database, instance, Path::new(MEMORY), requested, dropped, None, false)?;
    Ok((Storage::Writable(database), collections))
}

/// Closes `storage`. redb writes to the file as it closes; a panic there, on a damaged
/// file, is caught by [`SafeDrop`], and there is no one to tell.
pub(crate) fn close(storage: Storage) {
    drop(SafeDrop::new(storage));
}
