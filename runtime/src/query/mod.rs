//! The query engine: conditions, sort orders, the planner, and running a request over a
//! collection's tables ([`crate::store::Source`]). It knows nothing of instances or
//! transactions; `db::Query` is the public builder over it.
//!
//! A query plans once per run: it uses an index when a required condition (the root,
//! or a part of a root `and`) is an equality, range or prefix on an indexed field or on
//! a prefix of a composite index, choosing the index with the fewest candidates; it
//! walks an index in order to satisfy a sort with a limit when it can; and it tests
//! every candidate on the stored record, decoding only the objects it returns.

mod condition;
mod embedded;
mod list;
mod page;
mod plan;
mod request;
mod sort;
mod text;

pub use condition::Condition;
pub use embedded::Holds;
pub use list::Elements;
pub use page::{Cursor, Page};
pub(crate) use request::Request;
pub use sort::Sort;
pub use text::IgnoreCase;
