//! The storage layout on redb: a collection's tables, reading and writing them, the
//! catalog of stored schemas, migration, verification, and the file itself.
//! `runtime/FORMAT.md` specifies every table.

mod catalog;
mod collection;
mod file;
mod migrate;
mod tables;
mod verify;
mod write;

pub use catalog::Action;
pub(crate) use catalog::{
    CollectionOps, LAYOUTS, Requested, SCHEMAS, check_format, history, open_optional, parse_stored,
};
pub(crate) use collection::StoredCollection;
pub(crate) use file::{close, open, open_error, plan_file};
pub use migrate::MigrationProgress;
pub(crate) use migrate::Progress;
pub(crate) use tables::{Flow, KeyRange, Source, Tables, prefix_end};
pub(crate) use verify::verify;
pub(crate) use write::{Writer, clear};
