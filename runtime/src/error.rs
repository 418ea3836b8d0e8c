//! The one error type of Insula.

use crate::schema::{Change, CollectionDiff, write_list};
use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong in Insula.
///
/// Each message names what was involved (the instance, the collection, the field) and
/// what to do. [`std::error::Error::source`] leads to the storage or I/O error, where
/// there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The instance is open with another set of collection schemas than the caller asked
    /// for. Every handle of an instance shares one schema set.
    #[error("instance `{instance}` is open with other schemas than asked for: {}; open it with the same collections everywhere in the process", List(.differences))]
    SchemaMismatch {
        /// The instance's name.
        instance: String,
        /// How each collection differs.
        differences: Vec<CollectionDiff>,
    },

    /// The database file holds a collection whose schema differs from the code's in a
    /// way that cannot be applied; the file was left as it was.
    #[error("instance `{instance}`: collection `{collection}` in the file cannot be opened with this schema: {}; revert the change, or move the data to a new collection", List(.changes))]
    SchemaIncompatible {
        /// The instance's name.
        instance: String,
        /// The collection's stored name.
        collection: String,
        /// Every change from the file's schema to the code's.
        changes: Vec<Change>,
    },

    /// A `put` would give a unique index a second object with the same key. Nothing of
    /// that object was written.
    #[error(
        "collection `{collection}`: unique index `{index}` already holds {value} for {}{}; use `#[index(unique, replace)]` to replace it instead",
        Holder(*.existing, *.existing_position),
        Position(*.position)
    )]
    UniqueViolation {
        /// The collection's stored name.
        collection: String,
        /// The index's name (its fields joined by `+`).
        index: String,
        /// The conflicting value, as written in the object (a long one is cut).
        value: String,
        /// The id of the object that holds the key.
        existing: crate::Id,
        /// Within a `put_all`: the position of the object that was refused.
        position: Option<usize>,
        /// Within a `put_all`: the position of the object that holds the key, when it was
        /// put earlier in the same call (its id is then one of the call's own).
        existing_position: Option<usize>,
    },

    /// A write transaction was started inside a write transaction of the same instance
    /// on the same thread, which would wait for itself forever.
    #[error(
        "instance `{instance}`: a write transaction is already running on this thread; do the work in the outer transaction"
    )]
    NestedTransaction {
        /// The instance's name.
        instance: String,
    },

    /// Another process holds the database file. A process that opens it for writing
    /// excludes every other; read-only instances share it with each other.
    #[error("{}: the database file is in use by another process{}; close it there first", .path.display(), Held(.holder.as_deref()))]
    AlreadyOpen {
        /// The database file.
        path: PathBuf,
        /// The process that holds it, as `process <pid> (<name>)`, where the system says
        /// (Linux does).
        holder: Option<String>,
    },

    /// The instance was opened with `read_only()`: it writes nothing, so a write, or a
    /// file that needs one before it can be used (a new collection, a migration), is
    /// refused. A file that needs a repair is [`Error::NeedsRepair`].
    #[error("instance `{instance}` is read-only and cannot {what}")]
    ReadOnly {
        /// The instance's name.
        instance: String,
        /// What it was asked to do.
        what: String,
    },

    /// The instance cannot do this now because of what another thread is doing; it can
    /// once that ends.
    #[error("instance `{instance}` cannot {what}; try again once it has ended")]
    Busy {
        /// The instance's name.
        instance: String,
        /// What it was asked to do, and what stood in the way.
        what: &'static str,
    },

    /// The instance name is open read-only and was asked for writable, or the other way
    /// round.
    #[error(
        "instance `{instance}` is open {}; open it the same way everywhere in the process, or give the other one another name",
        if *.read_only { "read-only" } else { "for writing" }
    )]
    AccessMismatch {
        /// The instance's name.
        instance: String,
        /// Whether the open instance is read-only.
        read_only: bool,
    },

    /// The file at the instance's path is not a database file: it was written by
    /// something else, or so damaged that redb does not recognize it.
    #[error("{}: not a database file ({reason}); move it away, or open the instance in another directory", .path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// What the storage engine found.
        reason: String,
    },

    /// A directory given to `open` cannot hold an instance.
    #[error("cannot open an instance in {path:?}: {reason}")]
    InvalidDirectory {
        /// The directory as given.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The instance name is open on another directory.
    #[error("instance `{instance}` is open at {}, not at {}; give the second one another name", .open.display(), .requested.display())]
    DirectoryMismatch {
        /// The instance's name.
        instance: String,
        /// Where the open instance keeps its file.
        open: PathBuf,
        /// The directory the caller asked for.
        requested: PathBuf,
    },

    /// An instance name that cannot be a file name.
    #[error("invalid instance name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A migration registered with `DbBuilder::migrate` could not convert an object: the
    /// conversion returned an error or panicked, or the converted objects share a key of
    /// a unique index. Nothing was written.
    #[error(
        "instance `{instance}`: migrating collection `{collection}` failed at object {id}, in {step}: {reason}; the file was left as it was"
    )]
    MigrationFailed {
        /// The instance's name.
        instance: String,
        /// The collection's stored name.
        collection: String,
        /// The object that could not be converted or stored.
        id: crate::Id,
        /// The step: `old type -> new type by the conversion`, or the unique index.
        step: String,
        /// What went wrong.
        reason: String,
    },

    /// A collection is both opened and dropped (`DbBuilder::drop_collection`).
    #[error(
        "instance `{instance}`: collection `{collection}` is both opened and dropped; drop it only once no code opens it"
    )]
    DroppedAndOpened {
        /// The instance's name.
        instance: String,
        /// The collection's stored name.
        collection: String,
    },

    /// A collection the instance was not opened with.
    #[error(
        "instance `{instance}` has no collection `{collection}`; add `.collection::<{rust_type}>()` where it is opened"
    )]
    UnknownCollection {
        /// The instance's name.
        instance: String,
        /// The collection's stored name.
        collection: &'static str,
        /// The Rust type of the collection, as the code names it.
        rust_type: &'static str,
    },

    /// Stored bytes could not be read: the record or file is damaged, or was not
    /// written by Insula.
    #[error(
        "collection `{collection}`: a stored record is corrupted ({reason}); restore the file from a backup"
    )]
    Corrupted {
        /// The stored name of the collection.
        collection: &'static str,
        /// What was wrong with the bytes.
        reason: crate::codec::Corrupt,
    },

    /// The database file's own data (its schema records) is damaged.
    #[error("{}: the database file is corrupted ({reason}); restore it from a backup", .path.display())]
    CorruptedFile {
        /// The database file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },

    /// The file was not closed cleanly and needs the repair that redb makes when it
    /// opens a file for writing; a read-only open cannot make it.
    #[error(
        "{}: the file was not closed cleanly and needs a repair, which a read-only open cannot make; open it once for writing (`Db::builder()...open`) to repair it",
        .path.display()
    )]
    NeedsRepair {
        /// The database file.
        path: PathBuf,
    },

    /// The file holds no collection of this name (asked of the dynamic reader).
    #[error("{}: the file holds no collection `{collection}`; it holds: {}", .path.display(), .stored.join(", "))]
    NoSuchCollection {
        /// The database file.
        path: PathBuf,
        /// The name asked for.
        collection: String,
        /// The collections the file holds, sorted.
        stored: Vec<String>,
    },

    /// A dynamic filter (`insula::dynamic::Filter`) names a field the collection lacks,
    /// or compares a field with a value it can never match (a string with a number, say).
    #[error("collection `{collection}`: the filter on `{field}` cannot be checked: {reason}")]
    InvalidFilter {
        /// The stored name of the collection.
        collection: String,
        /// The field path as the filter gives it (`profile.name`).
        field: String,
        /// What is wrong, and what would work.
        reason: String,
    },

    /// An index disagrees with the objects (found by `verify`).
    #[error(
        "collection `{collection}`: index `{index}` disagrees with the objects: {detail}; the file is damaged, restore it from a backup"
    )]
    IndexInconsistent {
        /// The stored name of the collection.
        collection: String,
        /// The index's name.
        index: String,
        /// The first disagreement found.
        detail: String,
    },

    /// An object encodes to more than [`crate::MAX_RECORD_LEN`] bytes.
    #[error(
        "collection `{collection}`: an object encodes to {len} bytes, over the limit of {} bytes; store large blobs outside the database",
        crate::MAX_RECORD_LEN
    )]
    TooLarge {
        /// The stored name of the collection.
        collection: &'static str,
        /// The encoded length.
        len: usize,
    },

    /// An object nests embedded structs through `Box` deeper than
    /// [`crate::MAX_NESTING`] levels.
    #[error(
        "collection `{collection}`: an object nests embedded structs deeper than {} levels",
        crate::MAX_NESTING
    )]
    TooDeep {
        /// The stored name of the collection.
        collection: &'static str,
    },

    /// Every id up to `u64::MAX` is taken.
    #[error("collection `{collection}`: no ids are left; the last id assigned was u64::MAX")]
    IdsExhausted {
        /// The stored name of the collection.
        collection: String,
    },

    /// The thread of a watcher's callback could not be started.
    #[error("could not start the thread of a watcher's callback: {source}")]
    WatchThread {
        /// Why the thread did not start.
        #[source]
        source: std::io::Error,
    },

    /// The thread that runs an async transaction ([`Db::read_txn`](crate::Db::read_txn),
    /// [`Db::write_txn`](crate::Db::write_txn)) could not be started: the process is out
    /// of threads or memory. The transaction did not run.
    #[error("could not start the thread of an async transaction: {source}")]
    TxnThread {
        /// Why the thread did not start.
        #[source]
        source: std::io::Error,
    },

    /// A filter written in the filter language does not parse
    /// ([`Filter::parse`](crate::dynamic::Filter::parse)).
    #[error("filter, column {column}: {reason}")]
    FilterSyntax {
        /// Where it goes wrong, in characters from 1.
        column: usize,
        /// What was expected there.
        reason: String,
    },

    /// JSON input could not be imported: it is not JSON, or a value does not fit its
    /// field. Nothing after this point was read.
    #[error("JSON input, line {line}, column {column}: {reason}")]
    Json {
        /// The line, from 1.
        line: usize,
        /// The column, from 1 (in bytes).
        column: usize,
        /// What is wrong there.
        reason: String,
    },

    /// The web inspector could not listen on its address, or start its threads
    /// (`Db::serve_inspector`, with the feature `inspector`).
    #[error("the inspector cannot serve: {source}; pick another address or port")]
    Serve {
        /// The network's or the system's error.
        #[source]
        source: std::io::Error,
    },

    /// The writer given to an export failed.
    #[error("the export could not be written: {source}")]
    Output {
        /// The writer's error.
        #[source]
        source: std::io::Error,
    },

    /// The storage engine failed.
    #[error("storage error: {0}")]
    Storage(#[source] redb::Error),

    /// The file system failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The longest value an error message quotes in full, in bytes.
const QUOTED_VALUE_LIMIT: usize = 120;

/// `value`, cut to [`QUOTED_VALUE_LIMIT`] bytes (at a character boundary) with a note of
/// its length, for an error message.
pub(crate) fn quote_value(value: String) -> String {
    if value.len() <= QUOTED_VALUE_LIMIT {
        return value;
    }
    let mut end = QUOTED_VALUE_LIMIT;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &value[..end], value.len())
}

/// The holder of a unique key, in a message.
struct Holder(crate::Id, Option<usize>);

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(position) => write!(f, "the object at position {position} of the same `put_all`"),
            None => write!(f, "object {}", self.0),
        }
    }
}

/// Who holds a file, in a message.
struct Held<'a>(Option<&'a str>);

impl fmt::Display for Held<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(holder) => write!(f, " ({holder})"),
            None => Ok(()),
        }
    }
}

/// Where a refused object stood in a `put_all`, in a message.
struct Position(Option<usize>);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(position) => write!(f, " (refusing the object at position {position} of the `put_all`)"),
            None => Ok(()),
        }
    }
}

impl Error {
    /// This error, met while putting the object at `position` of a `put_all` whose
    /// earlier objects got the ids `earlier`.
    pub(crate) fn in_batch(mut self, at: usize, earlier: &[crate::Id]) -> Error {
        if let Error::UniqueViolation { existing, position, existing_position, .. } = &mut self {
            *position = Some(at);
            *existing_position = earlier.iter().position(|id| id == existing);
        }
        self
    }
}

/// Names the collection in a codec error.
pub(crate) fn corrupted(collection: &'static str) -> impl Fn(crate::codec::Corrupt) -> Error {
    move |reason| Error::Corrupted { collection, reason }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Displays a list as `a; b; c`.
struct List<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, self.0)
    }
}

macro_rules! storage_errors {
    ($($ty:ident),*) => {$(
        impl From<redb::$ty> for Error {
            fn from(error: redb::$ty) -> Self {
                Error::Storage(error.into())
            }
        }
    )*};
}

storage_errors!(StorageError, TableError, TransactionError, CommitError, DatabaseError, CompactionError);

impl From<redb::Error> for Error {
    fn from(error: redb::Error) -> Self {
        Error::Storage(error)
    }
}
