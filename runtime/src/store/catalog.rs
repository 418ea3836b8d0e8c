//! What a database file records about its collections (the catalog tables of
//! `runtime/FORMAT.md`, "The tables of a file"), and the check of those records against
//! the schemas a caller opens the file with: the plan of what opening would do.
//!
//! A schema text is stored with a last line `check 0x…`, an xxh3-64 of the text before
//! it, so a damaged text fails the open instead of reading as another schema.

use super::collection::StoredCollection;
use super::convert::{Step, chain, convert};
use super::write::Writer;
use crate::codec::Layouts;
use crate::schema::{Change, IndexDef, SchemaDef, Verdict, classify};
use crate::{Collection, Error, Id, Result};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableError};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("insula:meta");
pub(crate) const SCHEMAS: TableDefinition<&str, &str> = TableDefinition::new("insula:schemas");
pub(crate) const LAYOUTS: TableDefinition<(&str, u32), &str> = TableDefinition::new("insula:layouts");
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("insula:counters");

/// The format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u64 = 2;

/// The text `schema` is stored as: its text, then a line with the check of that text.
pub(crate) fn stored_text(schema: &SchemaDef) -> String {
    let mut text = schema.to_text();
    let check = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    text.push_str(&format!("check {check:#018x}\n"));
    text
}

/// Parses a schema text written by [`stored_text`], once its check matches. `what`
/// names the schema in the error.
pub(crate) fn parse_stored(path: &Path, what: &str, stored: &str) -> Result<SchemaDef> {
    let damaged =
        |reason: String| Error::CorruptedFile { path: path.to_owned(), reason: format!("{what}: {reason}") };
    let body_end = stored.trim_end_matches('\n').rfind('\n').map_or(0, |at| at + 1);
    let (text, last) = stored.split_at(body_end);
    let check = last.trim_end().strip_prefix("check 0x").and_then(|hex| u64::from_str_radix(hex, 16).ok());
    if check != Some(xxhash_rust::xxh3::xxh3_64(text.as_bytes())) {
        return Err(damaged("the stored text fails its check".to_owned()));
    }
    SchemaDef::parse(text).map_err(|error| damaged(error.to_string()))
}

/// The keys of one index for a stored record: `(id, record, layouts, index number)`.
pub(crate) type IndexKeysFn = fn(Id, &[u8], &Layouts, usize) -> Result<Vec<Vec<u8>>>;

/// What the typed half of a collection does for a migration, captured by
/// the builder's `collection::<C>()` while the type is known.
#[derive(Clone, Copy)]
pub(crate) struct CollectionOps {
    /// The keys of index number `index` (of the new schema) for a stored record.
    pub(crate) index_keys: IndexKeysFn,
    /// Puts the object whose stored bytes (in the current layout) are given, under its id.
    pub(crate) put_stored: PutStoredFn,
    /// The stored names of the fields with a default (`#[field(default = ..)]`).
    pub(crate) defaults: &'static [&'static str],
    /// Stores an object anew with the given fields set to their defaults.
    pub(crate) fill_defaults: FillDefaultsFn,
}

/// Stores the object whose stored bytes (in any layout of `layouts`) are given anew, the
/// fields named set to their defaults: `(writer, id, stored, layouts, fields, buffer)`.
pub(crate) type FillDefaultsFn =
    fn(&mut Writer<'_>, Id, &[u8], &Layouts, &[&str], &mut Vec<u8>) -> Result<Id>;

/// Puts an object given as its stored bytes: `(writer, id, stored, buffer)`.
pub(crate) type PutStoredFn = fn(&mut Writer<'_>, Id, &[u8], &mut Vec<u8>) -> Result<Id>;

impl CollectionOps {
    /// What `C` does.
    pub(crate) fn of<C: Collection>() -> Self {
        CollectionOps {
            index_keys: index_keys_of::<C>,
            put_stored: put_stored_of::<C>,
            defaults: C::DEFAULTS,
            fill_defaults: fill_defaults_of::<C>,
        }
    }
}

/// Stores the object of `C` whose stored bytes are `stored` anew, with `fields` set to
/// their defaults.
fn fill_defaults_of<C: Collection>(
    writer: &mut Writer<'_>,
    id: Id,
    stored: &[u8],
    layouts: &Layouts,
    fields: &[&str],
    buffer: &mut Vec<u8>,
) -> Result<Id> {
    let mut object = C::decode_in(id, stored, layouts)?;
    object.set_id(id);
    object.set_defaults(fields);
    writer.put(&object, buffer)
}

/// Puts the object of `C` whose stored bytes are `stored`, under `id`.
fn put_stored_of<C: Collection>(
    writer: &mut Writer<'_>,
    id: Id,
    stored: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<Id> {
    let mut object = C::decode_in(id, stored, Layouts::none())?;
    object.set_id(id);
    writer.put(&object, buffer)
}

/// The keys of index number `index` of `C` for a stored record.
fn index_keys_of<C: Collection>(
    id: Id,
    record: &[u8],
    layouts: &Layouts,
    index: usize,
) -> Result<Vec<Vec<u8>>> {
    let view = C::view_in(id, record, layouts)?;
    Ok(C::index_keys(&view, index))
}

impl std::fmt::Debug for CollectionOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CollectionOps")
    }
}

/// A collection a caller opens the file with: its schema, and what its type does.
#[derive(Debug, Clone)]
pub(crate) struct Requested {
    pub(crate) schema: SchemaDef,
    pub(crate) ops: CollectionOps,
    /// The registered conversions of older versions of the collection.
    pub(crate) steps: Vec<Step>,
}

/// What opening the file does to one collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The file has it with the same schema: nothing to do.
    Nothing,
    /// The file lacks it: its tables are created.
    Create,
    /// The schema changed compatibly: these changes are applied.
    Migrate(Vec<Change>),
    /// The code drops the collection (`DbBuilder::drop_collection`), and the file has it:
    /// its objects, indexes and schema are deleted.
    Drop,
    /// The file stores an older version for which the code registered migrations
    /// (`DbBuilder::migrate`): every object is converted, step by step, and stored anew.
    Convert {
        /// Every change from the stored schema to the code's, breaking ones included.
        changes: Vec<Change>,
        /// Each step, in order: `old type -> new type by the conversion`.
        by: Vec<String>,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Nothing => f.write_str("nothing to do"),
            Action::Create => f.write_str("create the collection"),
            Action::Migrate(changes) => {
                f.write_str("migrate: ")?;
                crate::schema::write_list(f, changes)
            }
            Action::Drop => f.write_str("drop the collection: delete its objects, indexes and schema"),
            Action::Convert { changes, by } => {
                write!(f, "migrated by {}: ", by.join(", then "))?;
                crate::schema::write_list(f, changes)
            }
        }
    }
}

/// Reads what the file records of `name`'s collection, if anything.
fn stored_schema(
    schemas: Option<&impl ReadableTable<&'static str, &'static str>>,
    name: &str,
    path: &Path,
) -> Result<Option<SchemaDef>> {
    let Some(table) = schemas else { return Ok(None) };
    match table.get(name)? {
        Some(text) => parse_stored(path, &format!("the schema of `{name}`"), text.value()).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn open_optional<K: redb::Key + 'static, V: redb::Value + 'static>(
    read: &redb::ReadTransaction,
    definition: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>> {
    match read.open_table(definition) {
        Ok(table) => Ok(Some(table)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The older layouts of `collection` recorded in `layouts`, readable as `current`.
/// A field whose type changed between an old layout and now was removed and added again
/// in between, so its old values read as the default.
pub(crate) fn history(
    path: &Path,
    layouts: Option<&impl ReadableTable<(&'static str, u32), &'static str>>,
    collection: &str,
    current: &SchemaDef,
    extra: Option<&SchemaDef>,
) -> Result<Layouts> {
    let mut history = Layouts::default();
    let what = format!("an older layout of `{collection}`");
    let mut add = |tag: u32, old: &SchemaDef| -> Result<()> {
        if tag == current.layout_tag {
            return Ok(());
        }
        history.add_history(tag, &old.fields, &current.fields).map_err(|error| Error::CorruptedFile {
            path: path.to_owned(),
            reason: format!("{what}: {error}"),
        })
    };
    if let Some(table) = layouts {
        for entry in table.range((collection, 0)..=(collection, u32::MAX))? {
            let (key, text) = entry?;
            add(key.value().1, &parse_stored(path, &what, text.value())?)?;
        }
    }
    if let Some(stored) = extra {
        add(stored.layout_tag, stored)?;
    }
    Ok(history)
}

/// Refuses a file whose `insula:meta` holds another format version than this build's
/// (a file without it is new).
pub(crate) fn check_format(read: &redb::ReadTransaction, path: &Path) -> Result<()> {
    let corrupted = |reason: String| Error::CorruptedFile { path: path.to_owned(), reason };
    if let Some(meta) = open_optional(read, META)? {
        match meta.get("format")?.map(|version| version.value()) {
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(corrupted(format!("format version {other}, this build reads {FORMAT_VERSION}")));
            }
            None => return Err(corrupted("no format version".to_owned())),
        }
    }
    Ok(())
}

/// What opening the file with `asked` would do to each collection, read without
/// changing anything, then to each collection in `dropped`: [`Action::Drop`], or
/// nothing when the file lacks it. A breaking change refuses the open, listing every
/// change; so does a unique index added over objects that share a key, naming two of
/// them, and a collection both asked for and dropped.
///
/// A collection stored in a version from which the registered migrations lead to the
/// requested one is [`Action::Convert`]; with `try_conversions`, every object is
/// converted here first, without writing, so that a conversion that fails or a unique
/// key that the converted objects share refuses the open before the file is touched.
pub(crate) fn plan(
    database: &impl ReadableDatabase,
    instance: &str,
    path: &Path,
    requested: &[Requested],
    dropped: &[String],
    try_conversions: bool,
) -> Result<Vec<Action>> {
    if let Some(both) = dropped.iter().find(|name| requested.iter().any(|asked| asked.schema.name == **name))
    {
        return Err(Error::DroppedAndOpened { instance: instance.to_owned(), collection: both.clone() });
    }
    let read = database.begin_read()?;
    check_format(&read, path)?;
    let schemas = open_optional(&read, SCHEMAS)?;
    let layouts = open_optional(&read, LAYOUTS)?;
    let mut actions = Vec::with_capacity(requested.len());
    for collection in requested {
        let schema = &collection.schema;
        let Some(stored) = stored_schema(schemas.as_ref(), &schema.name, path)? else {
            actions.push(Action::Create);
            continue;
        };
        if stored.hash == schema.hash {
            actions.push(Action::Nothing);
            continue;
        }
        if let Some(chain) = chain(&collection.steps, stored.hash, schema.hash) {
            if try_conversions {
                let history = history(path, layouts.as_ref(), &schema.name, &stored, None)?;
                let state = StoredCollection::new(stored.clone(), history);
                let records = read.open_table(state.records())?;
                try_conversion(instance, &records, &state, collection, &chain)?;
            }
            let by = chain.iter().map(|step| step.by.clone()).collect();
            actions.push(Action::Convert { changes: classify(&stored, schema), by });
            continue;
        }
        let mut changes = classify(&stored, schema);
        if !changes.iter().any(|change| change.verdict() == Verdict::Breaking) {
            let added_unique: Vec<(usize, &IndexDef)> = schema
                .indexes
                .iter()
                .enumerate()
                .filter(|(_, index)| index.unique && !stored.indexes.contains(index))
                .collect();
            if !added_unique.is_empty() {
                let history = history(path, layouts.as_ref(), &schema.name, schema, Some(&stored))?;
                let state = StoredCollection::new(stored.clone(), Layouts::default());
                let records = read.open_table(state.records())?;
                for (number, index) in added_unique {
                    if let Some((first, second)) = duplicate(&records, collection.ops, &history, number)? {
                        changes.push(Change::UniqueIndexViolated { index: index.clone(), first, second });
                    }
                }
            }
        }
        if changes.iter().any(|change| change.verdict() == Verdict::Breaking) {
            return Err(Error::SchemaIncompatible {
                instance: instance.to_owned(),
                collection: schema.name.clone(),
                changes,
            });
        }
        actions.push(Action::Migrate(changes));
    }
    for name in dropped {
        let stored = match &schemas {
            Some(schemas) => schemas.get(name.as_str())?.is_some(),
            None => false,
        };
        actions.push(if stored { Action::Drop } else { Action::Nothing });
    }
    Ok(actions)
}

/// Converts every object of `records` (stored as `state` describes) through `chain`,
/// without writing, and checks the unique indexes of the requested schema on the
/// results: the first failure is [`Error::MigrationFailed`].
pub(crate) fn try_conversion(
    instance: &str,
    records: &impl ReadableTable<u64, &'static [u8]>,
    state: &StoredCollection,
    requested: &Requested,
    chain: &[&Step],
) -> Result<()> {
    let failed = |id: Id, step: String, reason: String| Error::MigrationFailed {
        instance: instance.to_owned(),
        collection: requested.schema.name.clone(),
        id,
        step,
        reason,
    };
    let unique: Vec<(usize, &IndexDef)> =
        requested.schema.indexes.iter().enumerate().filter(|(_, index)| index.unique).collect();
    let mut owners: Vec<HashMap<Vec<u8>, Id>> = vec![HashMap::new(); unique.len()];
    let mut out = Vec::new();
    for entry in records.range::<u64>(..)? {
        let (id, stored) = entry?;
        let id = id.value();
        convert(chain, id, stored.value(), &state.layouts, &mut out)
            .map_err(|(step, failure)| failed(id, chain[step].by.clone(), failure.to_string()))?;
        for ((number, index), owners) in unique.iter().zip(&mut owners) {
            for key in (requested.ops.index_keys)(id, &out, Layouts::none(), *number)? {
                if let Some(first) = owners.insert(key, id) {
                    return Err(failed(
                        id,
                        format!("unique index `{}`", index.name()),
                        format!("object {first} converts to the same key"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Two objects that would share a key of index number `index`, if any.
fn duplicate(
    records: &impl ReadableTable<u64, &'static [u8]>,
    ops: CollectionOps,
    layouts: &Layouts,
    index: usize,
) -> Result<Option<(Id, Id)>> {
    let mut owners: HashMap<Vec<u8>, Id> = HashMap::new();
    for entry in records.range::<u64>(..)? {
        let (id, record) = entry?;
        let id = id.value();
        for key in (ops.index_keys)(id, record.value(), layouts, index)? {
            if let Some(first) = owners.insert(key, id) {
                return Ok(Some((first, id)));
            }
        }
    }
    Ok(None)
}

/// Every collection the file stores, as `schemas` (the `SCHEMAS` table) records them.
pub(crate) fn stored_collections(
    schemas: &impl ReadableTable<&'static str, &'static str>,
    path: &Path,
) -> Result<Vec<StoredCollection>> {
    let mut collections = Vec::new();
    for entry in schemas.iter()? {
        let (name, text) = entry?;
        let schema = parse_stored(path, &format!("the schema of `{}`", name.value()), text.value())?;
        collections.push(StoredCollection::new(schema, Layouts::default()));
    }
    Ok(collections)
}

/// Something done to each table of a file, whatever its key and value types.
pub(crate) trait TableVisitor {
    fn visit<K: redb::Key + 'static, V: redb::Value + 'static>(
        &mut self,
        definition: TableDefinition<'_, K, V>,
    ) -> Result<()>;
}

/// Visits every table of a file that stores `collections`: the catalog's, then each
/// collection's records and indexes.
pub(crate) fn visit_tables(collections: &[StoredCollection], visitor: &mut impl TableVisitor) -> Result<()> {
    visitor.visit(META)?;
    visitor.visit(SCHEMAS)?;
    visitor.visit(LAYOUTS)?;
    visitor.visit(COUNTERS)?;
    for collection in collections {
        visitor.visit(collection.records())?;
        for (_, table) in collection.indexes() {
            match table {
                super::collection::IndexTableDef::Unique(table) => visitor.visit(table)?,
                super::collection::IndexTableDef::Multi(table) => visitor.visit(table)?,
            }
        }
    }
    Ok(())
}
