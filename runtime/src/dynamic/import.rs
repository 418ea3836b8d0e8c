//! Importing JSON into a database file without the app's types: the objects are
//! checked against the collection's stored schema, encoded and indexed from it, and
//! written in one write transaction that commits only if every object went in.

use super::encode::encode_record;
use super::keys::{SchemaKeys, index_keys};
use super::value::AnyValue;
use crate::codec::seal;
use crate::json::{Import, read_objects};
use crate::schema::SchemaDef;
use crate::store::{self, Writer};
use crate::{Error, Id, MAX_RECORD_LEN, Result};
use std::io::Read;
use std::path::Path;

/// Reads objects from JSON or NDJSON into collection `collection` of the database file
/// at `path`, with no type of the app's: each is checked against the schema the file
/// records, then stored as a typed `put` would store it (the same bytes, every index
/// kept, unique indexes checked), and the import commits, durably, only if every object
/// went in: on any error the file holds what it held (redb's close still writes its own
/// bookkeeping). Returns how many objects were read.
///
/// The file must not be open elsewhere ([`Error::AlreadyOpen`]); an app that has it open
/// imports through its own types with
/// [`WriteCollection::import_json`](crate::WriteCollection::import_json). The mapping
/// and the rules for ids, missing fields and unknown keys are those of
/// [`insula::json`](crate::json).
///
/// ```
/// # use insula::prelude::*;
/// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
/// # pub struct Note { #[id] pub id: Id, #[index(unique)] pub title: String }
/// # let dir = tempfile::tempdir()?;
/// # drop(Db::builder().name("notes").collection::<Note>().open(dir.path())?);
/// let path = dir.path().join("notes.insula");
/// let input = "{\"title\": \"first\"}\n{\"title\": \"second\"}\n";
/// let count = insula::dynamic::import_json(&path, "Note", input.as_bytes(), &insula::json::Import::new())?;
/// assert_eq!(count, 2);
/// // A duplicate of a unique key refuses the whole import.
/// let clash = insula::dynamic::import_json(&path, "Note", "{\"title\": \"third\"}\n{\"title\": \"first\"}".as_bytes(), &Default::default());
/// assert!(matches!(clash, Err(insula::Error::UniqueViolation { .. })));
///
/// let db = Db::builder().name("notes").collection::<Note>().open(dir.path())?;
/// assert_eq!(db.notes().query().filter(Note::TITLE.eq("second")).ids()?, [2]);
/// assert_eq!(db.notes().count()?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn import_json(
    path: impl AsRef<Path>,
    collection: &str,
    input: impl Read,
    options: &Import,
) -> Result<u64> {
    super::Reader::open_writable(path)?.import_json(collection, input, options)
}

/// Reads the objects of `input` and puts each through `writer`, encoded and indexed
/// from the collection's stored schema (`keys`).
pub(super) fn import_into(
    writer: &mut Writer<'_>,
    keys: &SchemaKeys<'_>,
    input: impl Read,
    options: &Import,
) -> Result<u64> {
    let mut buffer = Vec::new();
    read_objects(input, keys.schema, options, |(id, values)| {
        let object = Untyped { schema: keys.schema, id: id.unwrap_or(0), values };
        writer.put_object(&object, keys, &mut buffer).map(drop)
    })
}

/// An object read from JSON, as values of its collection's stored fields.
struct Untyped<'a> {
    schema: &'a SchemaDef,
    id: Id,
    values: Vec<AnyValue>,
}

/// An object that cannot be stored as read; the input's position is not known here.
fn refused(reason: String) -> Error {
    Error::Json { line: 0, column: 0, reason }
}

impl store::Object for Untyped<'_> {
    fn id(&self) -> Id {
        self.id
    }

    fn encode(&self, id: Id, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        encode_record(&self.schema.fields, self.values.iter(), out).map_err(refused)?;
        let len = out.len() + crate::codec::CHECK_WIDTH;
        if len > MAX_RECORD_LEN {
            return Err(refused(format!(
                "object {id} encodes to {len} bytes, over the limit of {MAX_RECORD_LEN} bytes"
            )));
        }
        seal(id, out);
        Ok(())
    }

    fn index_keys(&self, index: usize, keys: &mut Vec<Vec<u8>>) -> Result<()> {
        keys.extend(index_keys(self.schema, &self.schema.indexes[index], &self.values).map_err(refused)?);
        Ok(())
    }
}
