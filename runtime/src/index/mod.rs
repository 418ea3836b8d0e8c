//! Secondary indexes: their key encoding and their tables.

pub(crate) mod key;
