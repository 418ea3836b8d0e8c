//! Code generation. Generated code names the runtime only through
//! `::insula::__private_0_1` and fully qualified paths, so it compiles whatever the user has
//! in scope (tested under `#![no_implicit_prelude]`).

pub(crate) mod collection;
pub(crate) mod embedded;
pub(crate) mod enumerated;
mod record;
