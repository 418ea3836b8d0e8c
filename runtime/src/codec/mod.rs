//! The record codec: how an object becomes bytes, and how a view reads them back.
//!
//! A record is a `u32` layout tag, a fixed part with one slot per stored field at a
//! constant offset, and a tail holding strings, lists and nested records, addressed from
//! their slots by `u32` offset and length. `runtime/FORMAT.md` specifies it byte by
//! byte. Every multi-byte integer is little-endian and read through zerocopy's
//! alignment-1 byte-order types, so a record can be read in place, at any address.
//!
//! Reading never trusts the bytes: a slot's tail reference is checked against the
//! record, strings are checked to be UTF-8, tags and enum values are checked to be
//! known. A damaged record gives [`Corrupt`], never a panic.

mod boxed;
mod bytes;
mod calendar;
pub(crate) mod key;
mod layout;
mod list;
mod scalar;
mod text;
pub(crate) mod time;
mod value;

pub use boxed::{BoxView, MAX_NESTING};
pub(crate) use boxed::{Level, take_too_deep};
pub use bytes::{
    CHECK_WIDTH, TAG_WIDTH, assert_distinct_tags, read_ref, read_u32, seal, variant_tag, write_ref, write_u32,
};
pub(crate) use bytes::{DEAD_FIELD, unseal};
pub(crate) use layout::Nested;
pub use layout::{CurrentLayout, LayoutError, Layouts, RecordReader, begin_record};
pub use list::{List, ListIter, ListView};
pub use scalar::Narrow;
pub use value::{Corrupt, Element, IdType, Required, Value};
