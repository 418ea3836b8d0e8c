//! Insula: an embedded object database for Rust.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

// Lets the derives name `::insula` from inside this crate's own tests.
extern crate self as insula;

mod codec;
mod collection;
mod db;
mod error;
mod field;
mod guard;
mod query;
pub mod schema;
mod store;
mod watch;

pub use collection::{Collection, Embedded, Enumerated, Id, MAX_RECORD_LEN};
pub use db::{
    Access, DEFAULT_NAME, Db, DbBuilder, DbCollection, Query, ReadCollection, ReadTxn, WriteCollection,
    WriteTxn,
};
pub use error::{Error, Result};
pub use field::Field;
pub use insula_macros::{Collection, Embedded, Enumerated};
pub use query::{Condition, Sort};
pub use store::{Action, MigrationProgress};
pub use watch::{WatchGuard, Watcher};

/// What most programs need: `use insula::prelude::*;`.
pub mod prelude {
    pub use crate::{Access, Collection, Db, Embedded, Enumerated, Id};
}

/// The traits of stored values and of their index keys, which the derives implement for
/// a collection's fields, and the zero-copy views of lists.
pub mod value {
    pub use crate::codec::key::{CompositePart, Indexable, KeyPart, Numeric, Text};
    pub use crate::codec::{Corrupt, Element, ListIter, ListView, Required, Value};
}

/// What the derives' generated code names. Not a public API: it changes without notice,
/// and its name carries the version of the derives it serves.
#[doc(hidden)]
pub mod __private_0_1 {
    pub use crate::codec::key::{KeyMode, combine_keys, write_bytes_key};
    pub use crate::codec::{
        CHECK_WIDTH, Corrupt, CurrentLayout, IdType, LayoutError, Layouts, RecordReader, TAG_WIDTH,
        assert_distinct_tags, begin_record, read_ref, read_u32, seal, variant_tag, write_ref, write_u32,
    };
    pub use crate::schema::{EmbeddedSchema, EnumSchema};
    pub use core;
    pub use std::{string::String, vec::Vec};

    /// The values of an index's fields in an object, for error messages.
    pub fn debug_values(values: &[&dyn core::fmt::Debug]) -> String {
        values.iter().map(|value| format!("{value:?}")).collect::<Vec<_>>().join(", ")
    }

    /// Names the collection in a codec error.
    pub fn corrupted(collection: &'static str) -> impl Fn(Corrupt) -> crate::Error {
        crate::error::corrupted(collection)
    }

    /// Fails compilation, on the field's type, when a case-insensitive index covers a
    /// field that is not a string.
    pub const fn assert_text<T: crate::codec::key::Text>() {}
    /// Fails compilation, on the field's type, when a composite index covers a list.
    pub const fn assert_composite_part<T: crate::codec::key::CompositePart>() {}
}
