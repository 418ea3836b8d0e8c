//! Reading a database file without the app's types.
//!
//! The file describes itself (`runtime/FORMAT.md`): each collection's schema, with its
//! fields' types, embedded structs and enum variants, and the schema of every older
//! layout whose records are still in it. From that alone, a [`Reader`] lists the
//! collections, and a [`Snapshot`] reads each object as an [`Object`] of [`AnyValue`]s, in
//! the current schema's fields, exactly as the typed API would read it, and filters
//! them with [`Filter`]s built at run time. Tools (a command line, an inspector, an
//! export) use it; nothing here needs the user's structs.
//!
//! - [`Reader`]: a file opened read-only, or an instance of this process.
//! - [`Snapshot`], [`Records`]: one read transaction, and the objects of a collection.
//! - [`Object`], [`AnyValue`]: the value tree of an object.
//! - [`Filter`]: a filter by stored field path.
//! - [`PageRequest`], [`ObjectPage`], [`Position`]: paging by key, for a table of objects.
//! - Writes without the types: [`Reader::open_writable`], [`Reader::delete`],
//!   [`Reader::delete_where`], [`Reader::import_json`], and [`Reader::watch`].

#[cfg(feature = "json")]
mod csv;
mod decode;
#[cfg(feature = "json")]
mod encode;
mod file;
mod filter;
#[cfg(feature = "json")]
mod import;
mod keys;
mod page;
mod parse;
mod reader;
mod time;
#[cfg(feature = "json")]
pub(crate) use time::{parse_iso_date, parse_iso_duration, parse_rfc3339, parse_uuid};
mod value;
mod write;

#[cfg(feature = "json")]
pub use csv::{cell_text, write_csv};
#[cfg(feature = "json")]
pub(crate) use decode::RecordPlan;
#[cfg(feature = "json")]
pub(crate) use encode::encode_record;
pub use file::{backup, compact};
pub use filter::Filter;

/// The version of the file format this build reads and writes (`runtime/FORMAT.md`).
pub const FORMAT_VERSION: u64 = crate::store::FORMAT_VERSION;
#[cfg(feature = "json")]
pub use import::import_json;
pub use page::{ObjectPage, PageRequest, Position};
pub use reader::{Reader, Records, Snapshot};
pub use value::{AnyValue, Object};
