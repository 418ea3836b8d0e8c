//! Insula: an embedded object database for Rust.
//!
//! Put `#[derive(Collection)]` on a plain struct and get a typed collection accessor
//! (`db.messages()`), typed field handles for queries (`Message::LIKES.gt(10)`), a schema
//! hash computed at compile time, and a zero-copy codec whose view reads any field
//! straight from the stored bytes. Objects live in a [redb](https://docs.rs/redb) file;
//! every thread that opens an instance name shares one instance.
//!
//! # Getting started
//!
//! ```toml
//! [dependencies]
//! insula = "0.1"
//!
//! # Insula and redb do a lot of work per object; unoptimized, a debug build of your app
//! # runs them about 20x slower. This keeps your own code in debug mode:
//! [profile.dev.package."*"]
//! opt-level = 2
//! ```
//!
//! Open an instance, write in a transaction, read, query, and watch:
//!
//! ```
//! use insula::prelude::*;
//! use std::time::Duration;
//!
//! #[derive(Collection, Debug, Clone, Default, PartialEq)]
//! pub struct Message {
//!     #[id]
//!     pub id: Id, // 0 means "assign the next id" on put
//!     #[index]
//!     pub author: String,
//!     pub content: String,
//!     pub likes: u32,
//! }
//!
//! # let dir = tempfile::tempdir()?;
//! // `open` creates `<dir>/chat.insula`; the same name opened anywhere in the process
//! // gives this same instance.
//! let db = Db::builder().name("chat").collection::<Message>().open(dir.path())?;
//! let changes = db.messages().watch_lazy();
//!
//! let mut hello = Message { author: "ada".into(), content: "hello".into(), likes: 12, ..Default::default() };
//! db.write_txn_sync(|txn| txn.messages().put(&mut hello))?;
//! assert_eq!(hello.id, 1); // written back
//!
//! changes.recv_timeout(Duration::from_secs(5))?; // the commit was seen
//! assert_eq!(db.messages().get(1)?, Some(hello.clone()));
//!
//! let popular = db.messages().query()
//!     .filter(Message::AUTHOR.eq("ada").and(Message::LIKES.gt(10)))
//!     .find_all()?;
//! assert_eq!(popular, [hello]);
//!
//! // A view reads one field in place, without decoding the object.
//! let likes = db.messages().with_view(1, |view| view.likes())?;
//! assert_eq!(likes, Some(12));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where things are
//!
//! - [`Db`], [`DbBuilder`]: named instances, [`Db::read_txn_sync`] and
//!   [`Db::write_txn_sync`].
//! - The derive generates a trait `<Struct>Accessor` (for example `MessageAccessor`) with
//!   the accessor method `messages()`, implemented for [`Db`], [`ReadTxn`] and
//!   [`WriteTxn`] through [`Access`]: import it with the struct (it has the struct's
//!   visibility). It returns a [`DbCollection`], a [`ReadCollection`] or a
//!   [`WriteCollection`]; only the last one writes.
//! - Operations: [`DbBuilder::read_only`], [`DbBuilder::open_in_memory`],
//!   [`Durability`] with [`Db::flush`], [`Db::copy_to`], [`Db::compact`], [`Db::stats`].
//! - [`Query`], [`Condition`], [`Sort`], [`Field`]: typed queries.
//! - [`DbBuilder::migrate`], [`DbBuilder::drop_collection`], [`DbBuilder::plan`]: schema
//!   changes that need the code's word.
//! - [`dynamic`]: any file read, verified, exported and imported without the app's types.
//! - [`json`]: the JSON mapping of exports and imports.
//! - With the feature `inspector`: `Db::serve_inspector` and `inspector::Inspector`, the
//!   web inspector (unlinked here: without the feature they do not exist).
//! - [`Watcher`]: what changed after each commit.
//! - With the feature `async` (on by default): [`Db::read_txn`] and [`Db::write_txn`],
//!   awaited on any executor, and every [`Watcher`] as a `futures_core::Stream`.
//! - [`schema`]: schemas, the classifier of changes, and the schema lock.
//! - [`value`]: the traits of storable values and index keys.
//! - [`dynamic`]: reading any file without its types: schemas, objects as value
//!   trees, conditions built at run time.
//! - [`Error`]: every error, each saying what happened and what to do.
//!
//! The derives' attributes are listed on [`derive@Collection`]. The file format is
//! specified in `FORMAT.md`, beside this crate's `Cargo.toml`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

// Lets the derives name `::insula` from inside this crate's own tests.
extern crate self as insula;

mod codec;
mod collection;
mod db;
pub mod dynamic;
mod error;
mod field;
mod guard;
#[cfg(feature = "inspector")]
pub mod inspector;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "async")]
mod oneshot;
#[cfg(feature = "async")]
mod pool;
mod query;
pub mod schema;
mod store;
mod watch;

pub use codec::MAX_NESTING;
pub use collection::{Collection, Embedded, Enumerated, Id, MAX_RECORD_LEN};
pub use db::{
    Access, Compaction, DEFAULT_NAME, Db, DbBuilder, DbCollection, Durability, Query, ReadCollection,
    ReadTxn, Select, WriteCollection, WriteTxn,
};
pub use error::{Error, Result};
pub use field::Field;
pub use insula_macros::{Collection, Embedded, Enumerated};
pub use query::{Condition, Cursor, Elements, Holds, IgnoreCase, Page, Sort};
pub use store::{Action, CollectionStats, IndexStats, MigrationProgress, Stats};
pub use watch::{WatchGuard, Watcher};

/// What most programs need: `use insula::prelude::*;`.
pub mod prelude {
    pub use crate::{Access, Collection, Db, Embedded, Enumerated, Id};
}

/// The traits of stored values and of their index keys, which the derives implement for
/// a collection's fields, and the zero-copy views of lists.
pub mod value {
    pub use crate::codec::key::{CompositePart, Indexable, KeyPart, Numeric, Text};
    pub use crate::codec::{BoxView, Corrupt, Element, List, ListIter, ListView, Narrow, Required, Value};
}

/// What the derives' generated code names. Not a public API: it changes without notice,
/// and its name carries the version of the derives it serves.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private_0_1;
