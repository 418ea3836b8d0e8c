//! The storage layout on redb: a collection's tables, reading and writing them, the
//! catalog of stored schemas, migration, verification, and the file itself.
//! `runtime/FORMAT.md` specifies every table.

mod backup;
mod catalog;
mod collection;
mod compact;
mod convert;
mod file;
mod holder;
mod migrate;
mod stats;
mod tables;
mod verify;
mod write;

pub(crate) use backup::copy;
pub use catalog::Action;
pub(crate) use catalog::{
    CollectionOps, FORMAT_VERSION, LAYOUTS, META, Requested, SCHEMAS, check_format, history, open_optional,
    parse_stored,
};
pub(crate) use collection::StoredCollection;
pub(crate) use compact::rebuild_tables;
pub(crate) use convert::Step;
pub(crate) use file::{MEMORY, Storage, close, open, open_error, open_in_memory, open_read_only, plan_file};
pub use migrate::MigrationProgress;
pub(crate) use migrate::Progress;
pub use stats::{CollectionStats, IndexStats, Stats};
pub(crate) use stats::{collections as collection_stats, table_bytes};
pub(crate) use tables::{Flow, KeyRange, Part, Source, Tables, prefix_end};
pub(crate) use verify::verify;
pub(crate) use write::{StoredKeys, Typed, TypedKeys, Writer, clear};
// What the dynamic import writes with.
#[cfg(feature = "json")]
pub(crate) use write::Object;
