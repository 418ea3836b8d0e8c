//! What a database file records about its collections, the check of those records
//! against the schemas a caller opens it with, and the migration of compatible changes.
//!
//! Tables of the file (every name starts with `insula:`):
//!
//! | table | key | value |
//! | --- | --- | --- |
//! | `insula:meta` | `"format"` | the file format version, `2` |
//! | `insula:schemas` | collection name | the schema's text ([`SchemaDef::to_text`]) and its check |
//! | `insula:layouts` | (collection name, layout tag) | the text and check of a schema whose records may still be in the file |
//! | `insula:counters` | collection name | the largest id assigned, where the records table no longer shows it |
//! | `insula:c:<collection>` | id (`u64`) | the record and its check (`runtime/FORMAT.md`) |
//!
//! A schema text is stored with a last line `check 0x…`, an xxh3-64 of the text before
//! it, so a damaged text fails the open instead of reading as another schema.
//! | `insula:i:<collection>:<index>` | key (+ id, big-endian, unless unique) | the id if unique, else nothing |

use super::instance::CollectionState;
use super::store::{self, records_table};
use crate::codec::Layouts;
use crate::evolution::{Change, Verdict, classify};
use crate::schema_def::{IndexDef, SchemaDef};
use crate::{Error, Id, Result};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const META: TableDefinition<&str, u64> = TableDefinition::new("insula:meta");
const SCHEMAS: TableDefinition<&str, &str> = TableDefinition::new("insula:schemas");
const LAYOUTS: TableDefinition<(&str, u32), &str> = TableDefinition::new("insula:layouts");
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("insula:counters");

/// The format version this build writes and reads.
const FORMAT_VERSION: u64 = 2;

/// The text `schema` is stored as: its text, then a line with the check of that text.
fn stored_text(schema: &SchemaDef) -> String {
    let mut text = schema.to_text();
    let check = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    text.push_str(&format!("check {check:#018x}\n"));
    text
}

/// Parses a schema text written by [`stored_text`], once its check matches. `what`
/// names the schema in the error.
fn parse_stored(path: &Path, what: &str, stored: &str) -> Result<SchemaDef> {
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
/// `DbBuilder::collection::<C>()` while the type is known.
#[derive(Clone, Copy)]
pub(crate) struct CollectionOps {
    /// The keys of index number `index` (of the new schema) for a stored record.
    pub(crate) index_keys: IndexKeysFn,
}

impl std::fmt::Debug for CollectionOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CollectionOps")
    }
}

/// A collection a caller opens the file with.
#[derive(Debug, Clone)]
pub(crate) struct Asked {
    pub(crate) schema: SchemaDef,
    pub(crate) ops: CollectionOps,
}

/// How far an index back-fill has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationProgress {
    /// The collection being migrated.
    pub collection: String,
    /// The index being filled (its fields joined by `+`).
    pub index: String,
    /// Objects indexed so far.
    pub done: u64,
    /// Objects to index.
    pub total: u64,
}

/// Called with the progress of index back-fills during a migration.
pub(crate) type Progress = Arc<dyn Fn(&MigrationProgress) + Send + Sync>;

/// What opening the file does to one collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The file has it with the same schema: nothing to do.
    Nothing,
    /// The file lacks it: its tables are created.
    Create,
    /// The schema changed compatibly: these changes are applied.
    Migrate(Vec<Change>),
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

fn open_optional<K: redb::Key + 'static, V: redb::Value + 'static>(
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
fn history(
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

/// What opening the file with `asked` would do to each collection, read without
/// changing anything. A breaking change refuses the open, listing every change; so does
/// a unique index added over objects that share a key, naming two of them.
pub(crate) fn plan(
    database: &impl ReadableDatabase,
    instance: &str,
    path: &Path,
    asked: &[Asked],
) -> Result<Vec<Action>> {
    let corrupted = |reason: String| Error::CorruptedFile { path: path.to_owned(), reason };
    let read = database.begin_read()?;
    if let Some(meta) = open_optional(&read, META)? {
        match meta.get("format")?.map(|version| version.value()) {
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(corrupted(format!("format version {other}, this build reads {FORMAT_VERSION}")));
            }
            None => return Err(corrupted("no format version".to_owned())),
        }
    }
    let schemas = open_optional(&read, SCHEMAS)?;
    let layouts = open_optional(&read, LAYOUTS)?;
    let mut actions = Vec::with_capacity(asked.len());
    for collection in asked {
        let schema = &collection.schema;
        let Some(stored) = stored_schema(schemas.as_ref(), &schema.name, path)? else {
            actions.push(Action::Create);
            continue;
        };
        if stored.hash == schema.hash {
            actions.push(Action::Nothing);
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
                let state = CollectionState::new(stored.clone(), Layouts::default());
                let records = read.open_table(records_table(&state))?;
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
    Ok(actions)
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

/// Checks the asked-for collections against the file (see [`plan`]), then, in one write
/// transaction, creates the new ones and migrates the changed ones: the old layout is
/// recorded so its records stay readable as they are, removed indexes are dropped, and
/// added ones are filled from the objects. Identical schemas read no records; collections
/// in the file that were not asked for are left untouched.
pub(crate) fn reconcile(
    database: &redb::Database,
    instance: &str,
    path: &Path,
    asked: Vec<Asked>,
    progress: Option<&Progress>,
) -> Result<Vec<CollectionState>> {
    let actions = plan(database, instance, path, &asked)?;
    if actions.iter().any(|action| *action != Action::Nothing) {
        let write = crate::guard::Contained::new(database.begin_write()?);
        store::open_table(&write, META)?.insert("format", FORMAT_VERSION)?;
        store::open_table(&write, COUNTERS)?;
        for (collection, action) in asked.iter().zip(&actions) {
            let schema = &collection.schema;
            match action {
                Action::Nothing => {}
                Action::Create => {
                    store::create_tables(&write, &CollectionState::new(schema.clone(), Layouts::default()))?;
                }
                Action::Migrate(changes) => migrate(&write, path, collection, changes, progress)?,
            }
            if *action != Action::Nothing {
                store::open_table(&write, SCHEMAS)?
                    .insert(schema.name.as_str(), stored_text(schema).as_str())?;
            }
        }
        write.into_inner().commit()?;
    }

    let read = database.begin_read()?;
    let layouts = open_optional(&read, LAYOUTS)?;
    asked
        .into_iter()
        .map(|collection| {
            let history = history(path, layouts.as_ref(), &collection.schema.name, &collection.schema, None)?;
            Ok(CollectionState::new(collection.schema, history))
        })
        .collect()
}

/// Applies compatible `changes` to a collection, within `write`.
fn migrate(
    write: &redb::WriteTransaction,
    path: &Path,
    collection: &Asked,
    changes: &[Change],
    progress: Option<&Progress>,
) -> Result<()> {
    let schema = &collection.schema;
    let stored = {
        let schemas = store::open_table(write, SCHEMAS)?;
        let text = schemas.get(schema.name.as_str())?.map(|text| text.value().to_owned()).unwrap_or_default();
        parse_stored(path, &format!("the schema of `{}`", schema.name), &text)?
    };
    // Records already written keep the layout they have; the file remembers it.
    if stored.layout_tag != schema.layout_tag {
        store::open_table(write, LAYOUTS)?
            .insert((schema.name.as_str(), stored.layout_tag), stored_text(&stored).as_str())?;
    }
    // A removed field's old values are gone for good: rename it in every older layout,
    // so that a field of that name added later reads its default from old records.
    let removed: Vec<&str> = changes
        .iter()
        .filter_map(|change| match change {
            Change::FieldRemoved(field) => Some(field.name.as_str()),
            _ => None,
        })
        .collect();
    if !removed.is_empty() {
        let mut table = store::open_table(write, LAYOUTS)?;
        let mut rewritten = Vec::new();
        for entry in table.range((schema.name.as_str(), 0)..=(schema.name.as_str(), u32::MAX))? {
            let (key, text) = entry?;
            let mut old = parse_stored(path, &format!("an older layout of `{}`", schema.name), text.value())?;
            for field in &mut old.fields {
                if removed.contains(&field.name.as_str()) {
                    field.name = format!("{}{}", crate::codec::DEAD_FIELD, field.name);
                }
            }
            rewritten.push((key.value().1, stored_text(&old)));
        }
        for (tag, text) in rewritten {
            table.insert((schema.name.as_str(), tag), text.as_str())?;
        }
    }
    let old_state = CollectionState::new(stored, Layouts::default());
    let layouts = {
        let table = store::open_table(write, LAYOUTS)?;
        history(path, Some(&*table), &schema.name, schema, None)?
    };
    let new_state = CollectionState::new(schema.clone(), layouts);
    for change in changes {
        match change {
            Change::IndexRemoved(index) => {
                let at = old_state.schema.indexes.iter().position(|candidate| candidate == index);
                if let Some(at) = at {
                    store::delete_index_table(write, index, &old_state.indexes[at])?;
                }
            }
            Change::IndexAdded(index) => {
                let Some(number) = schema.indexes.iter().position(|candidate| candidate == index) else {
                    continue;
                };
                backfill(write, &new_state, collection.ops, number, progress)?;
            }
            // A widened field's keys gain the `Option` tag: its indexes are built anew.
            Change::FieldWidened { old } => {
                for (number, index) in schema.indexes.iter().enumerate() {
                    let kept = old_state.schema.indexes.iter().position(|candidate| candidate == index);
                    if let Some(at) = kept
                        && index.fields.contains(&old.name)
                    {
                        store::delete_index_table(write, index, &old_state.indexes[at])?;
                        backfill(write, &new_state, collection.ops, number, progress)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Fills index number `index` from every object of the collection.
fn backfill(
    write: &redb::WriteTransaction,
    state: &CollectionState,
    ops: CollectionOps,
    index: usize,
    progress: Option<&Progress>,
) -> Result<()> {
    let records = store::open_table(write, records_table(state))?;
    let total = records.len()?;
    let definition = &state.schema.indexes[index];
    let name = &state.indexes[index];
    let report = |done: u64| {
        if let Some(progress) = progress {
            let progress = progress.as_ref();
            crate::guard::user(|| {
                progress(&MigrationProgress {
                    collection: state.schema.name.clone(),
                    index: definition.name(),
                    done,
                    total,
                })
            });
        }
    };
    let mut done = 0;
    report(0);
    let mut insert = store::IndexWriter::open(write, definition, name)?;
    for entry in records.range::<u64>(..)? {
        let (id, record) = entry?;
        let id = id.value();
        for key in (ops.index_keys)(id, record.value(), &state.layouts, index)? {
            insert.insert(&key, id, state, definition)?;
        }
        done += 1;
        if done % 4096 == 0 {
            report(done);
        }
    }
    report(done);
    Ok(())
}
