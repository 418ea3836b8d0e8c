//! Importing JSON into a database file without the app's types: the objects are
//! checked against the collection's stored schema, encoded and indexed from it, and
//! written in one write transaction that commits only if every object went in.

use super::decode::RecordPlan;
use super::encode::encode_record;
use super::keys::{SchemaKeys, index_keys};
use super::value::AnyValue;
use crate::codec::seal;
use crate::json::{Import, read_objects};
use crate::schema::SchemaDef;
use crate::store::{self, LAYOUTS, SCHEMAS, StoredCollection, Writer};
use crate::{Error, Id, MAX_RECORD_LEN, Result};
use redb::ReadableDatabase;
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
    let path = path.as_ref();
    let database = redb::Database::builder().open(path).map_err(|error| store::open_error(error, path))?;
    let imported = crate::guard::storage(path, || import_into(&database, path, collection, input, options));
    store::close(store::Storage::Writable(database));
    imported
}

fn import_into(
    database: &redb::Database,
    path: &Path,
    collection: &str,
    input: impl Read,
    options: &Import,
) -> Result<u64> {
    let stored = {
        let read = database.begin_read()?;
        store::check_format(&read, path)?;
        let schemas = store::open_optional(&read, SCHEMAS)?;
        let text = match schemas.as_ref().map(|schemas| schemas.get(collection)).transpose()?.flatten() {
            Some(text) => text.value().to_owned(),
            None => {
                let stored = match &schemas {
                    Some(schemas) => store::stored_collections(schemas, path)?
                        .into_iter()
                        .map(|stored| stored.schema.name)
                        .collect(),
                    None => Vec::new(),
                };
                return Err(Error::NoSuchCollection {
                    path: path.to_owned(),
                    collection: collection.to_owned(),
                    stored,
                });
            }
        };
        let schema = store::parse_stored(path, &format!("the schema of `{collection}`"), &text)?;
        let layouts = store::open_optional(&read, LAYOUTS)?;
        let history = store::history(path, layouts.as_ref(), collection, &schema, None)?;
        StoredCollection::new(schema, history)
    };
    let damaged = |reason: String| Error::CorruptedFile { path: path.to_owned(), reason };
    let plan = RecordPlan::new(&stored.schema.fields)
        .map_err(|reason| damaged(format!("the schema of `{collection}`: {reason}")))?;
    let keys = SchemaKeys { schema: &stored.schema, plan: &plan, path };
    let write = crate::guard::SafeDrop::new(database.begin_write()?);
    let count = {
        let mut writer = Writer::open(&write, &stored)?;
        let mut buffer = Vec::new();
        let count = read_objects(input, &stored.schema, options, |(id, values)| {
            let object = Untyped { schema: &stored.schema, id: id.unwrap_or(0), values };
            writer.put_object(&object, &keys, &mut buffer).map(drop)
        })?;
        writer.finish()?;
        count
    };
    write.into_inner().commit()?;
    Ok(count)
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
