//! Objects as JSON, out and in: a query's results written as a JSON array or as NDJSON
//! (one object per line) to any `io::Write`, streamed without building the result in
//! memory ([`Query::export_json`](crate::Query::export_json),
//! [`Query::export_ndjson`](crate::Query::export_ndjson), and without the app's types
//! [`Snapshot::export_json`](crate::dynamic::Snapshot::export_json)); and JSON or NDJSON
//! read into a collection in a write transaction
//! ([`WriteCollection::import_json`](crate::WriteCollection::import_json)).
//!
//! # The mapping
//!
//! An object is a JSON object whose keys are the stored field names, the id first under
//! the id field's name. Values are written so that reading them back gives the same
//! stored value, bit for bit:
//!
//! | stored | JSON |
//! | --- | --- |
//! | `bool` | `true`, `false` |
//! | `u8` … `u64`, `i8` … `i64` | an integer, all its digits (a `u64` above 2^53 too: JavaScript's `JSON.parse` would round it, the import does not) |
//! | `f32`, `f64` | the shortest decimal that reads back as the same value of that width (`-0.0` kept); `"NaN"`, `"Infinity"`, `"-Infinity"` as strings (a NaN's payload is not kept) |
//! | `String` | a string |
//! | `Vec<u8>`, `[u8; N]` | an array of numbers 0 to 255 (of exactly N for an array) |
//! | `SystemTime` | RFC 3339 in UTC, the fraction as long as it needs to be: `"2024-05-01T12:30:00.25Z"` (an import takes any offset, `+02:00`) |
//! | `Duration` | ISO 8601 seconds: `"PT90.5S"` |
//! | date | ISO 8601: `"2024-05-01"` |
//! | `Uuid` | hyphenated, lowercase: `"67e55044-10b1-426f-9247-bb680e5fe0c8"` (an import takes either case, or 32 hex digits) |
//! | `Vec<T>` | an array |
//! | enum | the variant's stored name, as a string |
//! | embedded struct | an object of its stored fields |
//! | `Option<T>` | `null`, or the value |
//!
//! An import reads either form (an array if the input starts with `[`, else one object
//! per line). A key the collection lacks is an error unless
//! [`Import::ignore_unknown_keys`] is set; a field the object lacks takes its default, as
//! for a field added to a schema; an id that is absent or 0 is assigned, a given one is
//! kept (replacing the object stored under it). Types are checked as the input is read:
//! an error names the line and column ([`Error::Json`](crate::Error::Json)).

mod read;
mod write;

pub(crate) use read::read_objects;
pub use write::{Writer, write_value};

/// How an import reads its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Import {
    /// Skip keys that no field of the collection has, instead of refusing the input.
    pub ignore_unknown_keys: bool,
}

impl Import {
    /// The default: every key must be a field of the collection (or its id).
    pub fn new() -> Self {
        Import::default()
    }

    /// Skips keys that no field of the collection has.
    pub fn ignore_unknown_keys(mut self, ignore: bool) -> Self {
        self.ignore_unknown_keys = ignore;
        self
    }
}
