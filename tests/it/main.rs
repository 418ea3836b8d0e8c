//! Insula's integration tests, in one crate so that `cargo test` builds and links one
//! binary for them all: one module per suite, fixtures in `common`.
//!
//! Every module's tests run in this one process, in parallel, and instance names are
//! process-wide: each test opens names of its own, which no other test of any module
//! uses (the builder's default, "default", counts as a name). Two tests sharing a name
//! would meet in the registry, as a `DirectoryMismatch` or a `SchemaMismatch` that
//! depends on timing.
//!
//! The other files of `tests/` are crates of their own because they need a crate or a
//! process to themselves: `hygiene.rs` (`#![no_implicit_prelude]` on its crate root),
//! `ui.rs` (trybuild's compile-fail cases, refreshed alone with `TRYBUILD=overwrite`),
//! `view_allocations.rs` (a counting global allocator) and `watcher_memory.rs` (the
//! resident set of the process).

mod common;

mod already_open;
mod async_api;
mod bad_input;
mod change_table;
mod codec;
mod conditions;
mod crash;
mod damaged_files;
mod defaults;
mod dynamic;
mod embedded_conditions;
mod evolution;
mod examples;
mod fixture_file;
mod instances;
mod json;
mod keys;
mod layout_evolution;
mod migrations;
mod objects;
mod operations;
mod pages;
mod parallel_scan;
mod public_face;
mod queries;
mod query_api;
mod recursive;
mod schema_hash;
mod schema_lock;
mod stress;
mod time_types;
mod transactions;
mod watchers;
mod widening;
