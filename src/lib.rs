//! Examples and integration tests of Insula, and the workspace's own collections
//! ([`model`]), whose schemas `cargo xtask schema-check` locks.

#![forbid(unsafe_code)]

pub mod model;
pub mod testing;

/// The README's Rust blocks, run as doc tests so that they cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
