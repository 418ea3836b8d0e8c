//! Insula: an embedded object database for Rust.
//!
//! Put `#[derive(Collection)]` on a plain struct and Insula generates its schema (with
//! a hash computed at compile time), a zero-copy codec, a view type that reads any field
//! straight from the stored bytes, and typed field handles for queries.
//!
//! ```
//! use insula::prelude::*;
//!
//! #[derive(Collection, Debug, Clone, Default, PartialEq)]
//! pub struct Message {
//!     #[id]
//!     pub id: Id,
//!     #[index]
//!     pub author: String,
//!     pub content: String,
//!     pub likes: u32,
//!     pub tags: Vec<String>,
//!     pub reply_to: Option<Id>,
//! }
//!
//! let message = Message {
//!     id: 1,
//!     author: "ada".into(),
//!     content: "hello".into(),
//!     likes: 12,
//!     tags: vec!["intro".into()],
//!     reply_to: None,
//! };
//! let mut record = Vec::new();
//! message.encode(&mut record)?;
//! let view = Message::view(1, &record)?;
//! assert_eq!(view.likes(), 12);
//! assert_eq!(view.tags().iter().collect::<Vec<_>>(), ["intro"]);
//! assert_eq!(Message::LIKES.name(), "likes");
//! # Ok::<(), insula::Error>(())
//! ```
//!
//! The record format is specified in `FORMAT.md`, beside this crate's `Cargo.toml`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

// Lets the derives name `::insula` from inside this crate's own tests.
extern crate self as insula;

mod codec;
mod collection;
mod db;
mod error;
mod evolution;
mod field;
mod guard;
mod index;
mod query;
mod schema;
mod schema_def;
pub mod schema_lock;
mod watch;

pub use codec::{Corrupt, Element, LayoutError, Layouts, ListIter, ListView, Required, Value};
pub use collection::{Collection, Embedded, Enumerated, MAX_RECORD_LEN};
pub use db::{
    Access, Action, DEFAULT_NAME, Db, DbBuilder, DbCollection, MigrationProgress, ReadCollection, ReadTxn,
    WriteCollection, WriteTxn,
};
pub use error::{Error, Result};
pub use evolution::{Change, CollectionDiff, Verdict, classify};
pub use field::Field;
pub use index::key::{Indexable, KeyMode, KeyPart, LONG_KEY_PREFIX, Text};
pub use insula_macros::{Collection, Embedded, Enumerated};
pub use query::{Condition, Numeric, Query, QueryOrigin, Sort};
pub use schema::{EmbeddedSchema, EnumSchema, FieldSchema, Id, IndexSchema, Schema, ValueType};
pub use schema_def::{FieldDef, IndexDef, SchemaDef, SchemaTextError};
pub use watch::{WatchGuard, Watcher};

/// What most programs need: `use insula::prelude::*;`.
pub mod prelude {
    pub use crate::{Access, Collection, Db, Embedded, Enumerated, Id};
}

/// What the derives' generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::{
        CHECK_WIDTH, Corrupt, CurrentLayout, IdType, RecordReader, TAG_WIDTH, assert_distinct_tags,
        begin_record, read_ref, read_u32, seal, variant_tag, write_ref, write_u32,
    };
    pub use crate::index::key::{combine_keys, write_bytes_key};
    pub use crate::{EmbeddedSchema, EnumSchema, Layouts};
    pub use core;
    pub use std::{string::String, vec::Vec};

    /// The values of an index's fields in an object, for error messages.
    pub fn debug_values(values: &[&dyn core::fmt::Debug]) -> String {
        values.iter().map(|value| format!("{value:?}")).collect::<Vec<_>>().join(", ")
    }

    /// Names the collection in a codec error.
    pub fn corrupted(collection: &'static str) -> impl Fn(Corrupt) -> crate::Error {
        move |reason| crate::Error::Corrupted { collection, reason }
    }

    /// Fails compilation, on the field's type, when a case-insensitive index covers a
    /// field that is not a string.
    pub const fn assert_text<T: crate::Text>() {}
    /// Fails compilation, on the field's type, when a composite index covers a list.
    pub const fn assert_composite_part<T: crate::index::key::CompositePart>() {}
}
