//! The collections of this workspace's programs: the examples use them, and
//! `cargo xtask schema-check` locks their schemas in `schema.lock`. A collection joins the
//! lock by being named in [`builder`].

use insula::prelude::*;

/// A chat message: the collection of `DESIGN.md` and of the examples.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The key; 0 means "assign the next id" on `put`.
    #[id]
    pub id: Id,
    /// Who wrote it.
    #[index]
    pub author: String,
    /// What it says.
    pub content: String,
    /// When, in seconds since the epoch.
    pub created_at: i64,
    /// How many liked it.
    pub likes: u32,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The message this one answers.
    pub reply_to: Option<Id>,
}

/// Every collection of the workspace, on a builder: the one list the schema lock reads.
pub fn builder() -> insula::DbBuilder {
    Db::builder().collection::<Message>()
}
