//! Schemas: what a collection stores, how the file and the lock record it, and how two
//! versions of it differ.
//!
//! - [`Schema`] (with [`FieldSchema`], [`ValueType`], [`IndexSchema`]) is the derive's
//!   constant model, whose hash the compiler computes.
//! - [`SchemaDef`] (with [`FieldDef`], [`StoredType`], [`IndexDef`]) is the same schema
//!   owned and typed, as a database file and the schema lock record it, with its text.
//! - [`classify`] is the one classifier of changes between two versions, which opening
//!   a file, [`check_lock`] and `cargo xtask schema-check` all use.

mod evolution;
mod lock;
mod model;
mod stored;

pub use evolution::{Change, CollectionDiff, Verdict, classify};
pub(crate) use evolution::{diff_sets, write_list};
pub(crate) use lock::chain_of;
pub use lock::{Drift, LOCK_HEADER, Migration, check_lock, check_lock_with, lock_text, parse_lock};
pub(crate) use model::stored_layout_tag;
pub use model::{EmbeddedSchema, EnumSchema, FieldSchema, IndexSchema, Schema, ValueType};
pub use stored::{FieldDef, IndexDef, Reading, SchemaDef, SchemaTextError, StoredType};
