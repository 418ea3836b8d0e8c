//! Examples and integration tests of Insula, and the workspace's own collections
//! ([`model`]), whose schemas `cargo xtask schema-check` locks.

#![forbid(unsafe_code)]

pub mod model;
pub mod testing;
