//! The API: [`Db`] and its builder, the registry of named instances, transactions,
//! collection handles, the public [`Query`] builder and its terminals, and watchers.

#[cfg(feature = "async")]
mod async_txn;
mod builder;
mod database;
mod group;
mod handles;
mod instance;
mod operations;
mod query;
mod registry;
mod select;
mod txn;
mod watchers;

pub use builder::DbBuilder;
pub use database::{DEFAULT_NAME, Db};
pub use handles::{Access, DbCollection, ReadCollection, WriteCollection};
pub use operations::Compaction;
pub use query::Query;
pub use select::Select;
pub use txn::{Durability, ReadTxn, WriteTxn};
pub(crate) use watchers::{Changes, Interest, Watchers};
