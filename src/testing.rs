//! Fixtures the suites share with their helper processes.

use insula::prelude::*;

/// One object of a numbered batch, written by `crash_writer` and checked after it is
/// killed.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
#[collection(accessor = "entries")]
pub struct Entry {
    /// The key.
    #[id]
    pub id: Id,
    /// The batch (transaction) it was written in.
    #[index]
    pub batch: u64,
    /// Its place in the batch.
    pub seq: u32,
    /// A string, for a second index.
    #[index]
    pub label: String,
}

/// How many entries a batch holds.
pub const BATCH: u32 = 20;
