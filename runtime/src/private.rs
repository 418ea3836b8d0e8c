//! What the derives' generated code names (as `::insula::__private_0_1`), and nothing
//! else: the runtime itself never goes through here.

pub use crate::codec::key::{KeyMode, combine_keys, write_bytes_key};
pub use crate::codec::{
    CHECK_WIDTH, Corrupt, CurrentLayout, IdType, LayoutError, Layouts, RecordReader, TAG_WIDTH,
    assert_distinct_tags, begin_record, read_ref, read_u32, seal, variant_tag, write_ref, write_u32,
};
pub use crate::schema::{EmbeddedSchema, EnumSchema};
pub use core;
pub use std::{string::String, vec::Vec};

/// The values of an index's fields in an object, for error messages.
pub fn debug_values(values: &[&dyn core::fmt::Debug]) -> String {
    values.iter().map(|value| format!("{value:?}")).collect::<Vec<_>>().join(", ")
}

/// Names the collection in a codec error.
pub fn corrupted(collection: &'static str) -> impl Fn(Corrupt) -> crate::Error {
    crate::error::corrupted(collection)
}

/// Fails compilation, on the field's type, when a case-insensitive index covers a
/// field that is not a string.
pub const fn assert_text<T: crate::codec::key::Text>() {}
/// Fails compilation, on the field's type, when a composite index covers a list.
pub const fn assert_composite_part<T: crate::codec::key::CompositePart>() {}
