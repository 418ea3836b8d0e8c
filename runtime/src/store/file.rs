//! The database file: opening it (checking and migrating its collections) and closing it.

use super::catalog::{Action, Requested, plan};
use super::collection::StoredCollection;
use super::migrate::{Progress, reconcile};
use crate::guard::SafeDrop;
use crate::{Error, Result};
use std::path::Path;

/// The error of a failed redb open of `path`.
pub(crate) fn open_error(error: redb::DatabaseError, path: &Path) -> Error {
    match error {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            Error::AlreadyOpen { path: path.to_owned() }
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
pub(crate) fn plan_file(path: &Path, instance: &str, requested: &[Requested]) -> Result<Vec<Action>> {
    let database = redb::Database::builder().open_read_only(path).map_err(|error| open_error(error, path))?;
    plan(&database, instance, path, requested)
}

/// Opens (creating if needed) the file at `path` for instance `instance`, and checks and
/// migrates every requested collection (see [`reconcile`]).
pub(crate) fn open(
    path: &Path,
    instance: &str,
    requested: Vec<Requested>,
    progress: Option<&Progress>,
    check_integrity: bool,
) -> Result<(redb::Database, Vec<StoredCollection>)> {
    // redb writes to a file it opens for writing, so an existing file is checked
    // read-only first: a refused open leaves it byte for byte as it was. (A file that
    // needs recovery cannot be opened read-only; the writable open below recovers it and
    // checks it then.)
    if path.exists() {
        match redb::Database::builder().open_read_only(path) {
            Ok(read_only) => {
                plan(&read_only, instance, path, &requested)?;
            }
            Err(redb::DatabaseError::RepairAborted) => {}
            Err(error) => return Err(open_error(error, path)),
        }
    }
    let database = redb::Database::builder()
        .set_check_integrity_on_open(check_integrity)
        .create(path)
        .map_err(|error| open_error(error, path))?;
    match reconcile(&database, instance, path, requested, progress) {
        Ok(collections) => Ok((database, collections)),
        Err(error) => {
            // Closing writes to the file, and on a damaged one redb can panic there: that
            // panic is caught here, so that the caller gets the error that refused the
            // file, and nothing of it is lost in the unwinding.
            close(database);
            Err(error)
        }
    }
}

/// Closes `database`. redb writes to the file as it closes; a panic there, on a damaged
/// file, is caught by [`SafeDrop`], and there is no one to tell.
pub(crate) fn close(database: redb::Database) {
    drop(SafeDrop::new(database));
}
