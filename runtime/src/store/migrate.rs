//! Opening a file with a set of collections: creating the new ones and migrating the
//! compatibly changed ones, in one write transaction, after [`plan`] has accepted them.

use super::catalog::Action;
use super::catalog::{
    COUNTERS, FORMAT_VERSION, LAYOUTS, META, Requested, SCHEMAS, history, open_optional, parse_stored, plan,
    stored_text,
};
use super::collection::StoredCollection;
use super::tables::IndexTable;
use super::write::{create_tables, open_table};
use crate::codec::Layouts;
use crate::guard::SafeDrop;
use crate::schema::Change;
use crate::{Error, Result};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::path::Path;
use std::sync::Arc;

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

/// Checks the asked-for collections against the file (see [`plan`]), then, in one write
/// transaction, creates the new ones and migrates the changed ones: the old layout is
/// recorded so its records stay readable as they are, removed indexes are dropped, and
/// added ones are filled from the objects. Identical schemas read no records; collections
/// in the file that were not asked for are left untouched.
pub(crate) fn reconcile(
    database: &redb::Database,
    instance: &str,
    path: &Path,
    requested: Vec<Requested>,
    dropped: &[String],
    progress: Option<&Progress>,
    try_conversions: bool,
) -> Result<Vec<StoredCollection>> {
    // The open checked the conversions read-only first, before writing anything, unless
    // the file needed a repair: then they are checked here, before the write begins.
    let actions = plan(database, instance, path, &requested, dropped, try_conversions)?;
    if actions.iter().any(|action| *action != Action::Nothing) {
        let write = SafeDrop::new(database.begin_write()?);
        open_table(&write, META)?.insert("format", FORMAT_VERSION)?;
        open_table(&write, COUNTERS)?;
        for (collection, action) in requested.iter().zip(&actions) {
            let schema = &collection.schema;
            match action {
                Action::Nothing => {}
                Action::Create => {
                    create_tables(&write, &StoredCollection::new(schema.clone(), Layouts::default()))?;
                }
                Action::Migrate(changes) => migrate(&write, instance, path, collection, changes, progress)?,
                // Only dropped collections are dropped, below.
                Action::Drop => {}
                Action::Convert { .. } => convert_collection(&write, instance, path, collection, progress)?,
            }
            if *action != Action::Nothing {
                open_table(&write, SCHEMAS)?.insert(schema.name.as_str(), stored_text(schema).as_str())?;
            }
        }
        for (name, action) in dropped.iter().zip(&actions[requested.len()..]) {
            if *action == Action::Drop {
                drop_collection(&write, path, name)?;
            }
        }
        write.into_inner().commit()?;
    }
    load(database, path, requested)
}

/// What the runtime keeps of each requested collection once the file holds it as
/// asked: its schema and the older layouts of its records, read from the file.
pub(crate) fn load(
    database: &impl ReadableDatabase,
    path: &Path,
    requested: Vec<Requested>,
) -> Result<Vec<StoredCollection>> {
    let read = database.begin_read()?;
    let layouts = open_optional(&read, LAYOUTS)?;
    requested
        .into_iter()
        .map(|collection| {
            let history = history(path, layouts.as_ref(), &collection.schema.name, &collection.schema, None)?;
            Ok(StoredCollection::new(collection.schema, history))
        })
        .collect()
}

/// Applies compatible `changes` to a collection, within `write`.
fn migrate(
    write: &redb::WriteTransaction,
    instance: &str,
    path: &Path,
    collection: &Requested,
    changes: &[Change],
    progress: Option<&Progress>,
) -> Result<()> {
    let schema = &collection.schema;
    let stored = {
        let schemas = open_table(write, SCHEMAS)?;
        let text = schemas.get(schema.name.as_str())?.map(|text| text.value().to_owned()).unwrap_or_default();
        parse_stored(path, &format!("the schema of `{}`", schema.name), &text)?
    };
    // Records already written keep the layout they have; the file remembers it.
    if stored.layout_tag != schema.layout_tag {
        open_table(write, LAYOUTS)?
            .insert((schema.name.as_str(), stored.layout_tag), stored_text(&stored).as_str())?;
    }
    // A removed field's old values are gone for good: rename it in every older layout,
    // so that a field of that name added later reads its default from old records.
    let removed: Vec<&str> = changes
        .iter()
        .filter_map(|change| match change {
            Change::FieldRemoved(field) | Change::LooksRenamed { old: field, .. } => {
                Some(field.name.as_str())
            }
            _ => None,
        })
        .collect();
    if !removed.is_empty() {
        let mut table = open_table(write, LAYOUTS)?;
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
    let old_state = StoredCollection::new(stored, Layouts::default());
    let layouts = {
        let table = open_table(write, LAYOUTS)?;
        history(path, Some(&*table), &schema.name, schema, None)?
    };
    let new_state = StoredCollection::new(schema.clone(), layouts);
    for change in changes {
        match change {
            Change::IndexRemoved(index) => {
                let at = old_state.schema.indexes.iter().position(|candidate| candidate == index);
                if let Some(at) = at {
                    old_state.index(at).delete(write)?;
                }
            }
            Change::IndexAdded(index) => {
                let Some(number) = schema.indexes.iter().position(|candidate| candidate == index) else {
                    continue;
                };
                backfill(write, instance, &new_state, collection, number, progress)?;
            }
            // A widened field's keys gain the `Option` tag or a wider number's bytes: its
            // indexes are built anew.
            Change::FieldWidened { old } | Change::NumberWidened { old, .. } => {
                for (number, index) in schema.indexes.iter().enumerate() {
                    let kept = old_state.schema.indexes.iter().position(|candidate| candidate == index);
                    if let Some(at) = kept
                        && index.fields.contains(&old.name)
                    {
                        old_state.index(at).delete(write)?;
                        backfill(write, instance, &new_state, collection, number, progress)?;
                    }
                }
            }
            _ => {}
        }
    }
    // Fields added with a default (`#[field(default = ..)]`): no stored object has them,
    // so every one is stored anew with their defaults.
    let defaulted: Vec<&str> = changes
        .iter()
        .filter_map(|change| match change {
            Change::FieldAdded(field) | Change::LooksRenamed { new: field, .. } => Some(field.name.as_str()),
            _ => None,
        })
        .filter(|name| collection.ops.defaults.contains(name))
        .collect();
    if !defaulted.is_empty() {
        fill_defaults(write, &new_state, collection, &defaulted, progress)?;
    }
    Ok(())
}

/// Stores every object of the collection anew with the `fields` (added by this
/// migration) set to their defaults, reported as progress of `"defaults"`.
fn fill_defaults(
    write: &redb::WriteTransaction,
    state: &StoredCollection,
    requested: &Requested,
    fields: &[&str],
    progress: Option<&Progress>,
) -> Result<()> {
    const BATCH: usize = 4096;
    let total = open_table(write, state.records())?.len()?;
    let report = |done: u64| {
        if let Some(progress) = progress {
            let progress = progress.as_ref();
            crate::guard::user(|| {
                progress(&MigrationProgress {
                    collection: state.schema.name.clone(),
                    index: "defaults".to_owned(),
                    done,
                    total,
                })
            });
        }
    };
    report(0);
    let (mut from, mut done, mut buffer) = (0, 0, Vec::new());
    loop {
        // A batch is read, then written: a table is open only once at a time.
        let batch = {
            let records = open_table(write, state.records())?;
            records
                .range(from..)?
                .take(BATCH)
                .map(|entry| entry.map(|(id, stored)| (id.value(), stored.value().to_vec())))
                .collect::<Result<Vec<_>, _>>()?
        };
        let Some(&(last, _)) = batch.last() else { break };
        let mut writer = super::write::Writer::open(write, state)?;
        for (id, stored) in &batch {
            (requested.ops.fill_defaults)(&mut writer, *id, stored, &state.layouts, fields, &mut buffer)?;
        }
        writer.finish()?;
        done += batch.len() as u64;
        report(done);
        match last.checked_add(1) {
            Some(next) if batch.len() == BATCH => from = next,
            _ => break,
        }
    }
    Ok(())
}

/// Fills index number `number` from every object of the collection. A unique key that
/// two objects share refuses the migration (the plan found none; the file may have
/// changed since).
fn backfill(
    write: &redb::WriteTransaction,
    instance: &str,
    collection: &StoredCollection,
    requested: &Requested,
    number: usize,
    progress: Option<&Progress>,
) -> Result<()> {
    let records = open_table(write, collection.records())?;
    let total = records.len()?;
    let definition = &collection.schema.indexes[number];
    let report = |done: u64| {
        if let Some(progress) = progress {
            let progress = progress.as_ref();
            crate::guard::user(|| {
                progress(&MigrationProgress {
                    collection: collection.schema.name.clone(),
                    index: definition.name(),
                    done,
                    total,
                })
            });
        }
    };
    let mut done = 0;
    report(0);
    let mut index = IndexTable::open(write, collection.index(number))?;
    let mut scratch = Vec::new();
    for entry in records.range::<u64>(..)? {
        let (id, record) = entry?;
        let id = id.value();
        for key in (requested.ops.index_keys)(id, record.value(), &collection.layouts, number)? {
            if let Some(first) = index.unique_owner(&key)?
                && first != id
            {
                return Err(Error::SchemaIncompatible {
                    instance: instance.to_owned(),
                    collection: collection.schema.name.clone(),
                    changes: vec![Change::UniqueIndexViolated {
                        index: definition.clone(),
                        first,
                        second: id,
                    }],
                });
            }
            index.insert(&key, id, &mut scratch)?;
        }
        done += 1;
        if done % 4096 == 0 {
            report(done);
        }
    }
    report(done);
    Ok(())
}

/// Deletes collection `name` from the file, within `write`: its records, its indexes,
/// its id counter, its older layouts and its schema.
fn drop_collection(write: &redb::WriteTransaction, path: &Path, name: &str) -> Result<()> {
    let text = {
        let schemas = open_table(write, SCHEMAS)?;
        schemas.get(name)?.map(|text| text.value().to_owned())
    };
    let Some(text) = text else { return Ok(()) };
    let stored = StoredCollection::new(
        parse_stored(path, &format!("the schema of `{name}`"), &text)?,
        Layouts::default(),
    );
    write.delete_table(stored.records())?;
    for (_, table) in stored.indexes() {
        table.delete(write)?;
    }
    open_table(write, COUNTERS)?.remove(name)?;
    forget_layouts(write, name)?;
    open_table(write, SCHEMAS)?.remove(name)?;
    Ok(())
}

/// Converts every object of a collection stored in an older version through the
/// registered migrations, within `write`, one at a time: each is put anew under its id,
/// every index filled and every unique index checked. Progress is reported as
/// `index: "objects"`.
fn convert_collection(
    write: &redb::WriteTransaction,
    instance: &str,
    path: &Path,
    requested: &Requested,
    progress: Option<&Progress>,
) -> Result<()> {
    let schema = &requested.schema;
    let failed = |id: crate::Id, step: String, reason: String| Error::MigrationFailed {
        instance: instance.to_owned(),
        collection: schema.name.clone(),
        id,
        step,
        reason,
    };
    let stored = {
        let schemas = open_table(write, SCHEMAS)?;
        let text = schemas.get(schema.name.as_str())?.map(|text| text.value().to_owned()).unwrap_or_default();
        parse_stored(path, &format!("the schema of `{}`", schema.name), &text)?
    };
    let chain = super::convert::chain(&requested.steps, stored.hash, schema.hash).ok_or_else(|| {
        failed(0, "the chain of migrations".to_owned(), "none leads here any more".to_owned())
    })?;
    let history = {
        let table = open_table(write, LAYOUTS)?;
        history(path, Some(&*table), &schema.name, &stored, None)?
    };
    let old_state = StoredCollection::new(stored, history);
    let report = |done: u64, total: u64| {
        if let Some(progress) = progress {
            let progress = progress.as_ref();
            crate::guard::user(|| {
                progress(&MigrationProgress {
                    collection: schema.name.clone(),
                    index: "objects".to_owned(),
                    done,
                    total,
                })
            });
        }
    };
    // The old records move aside under another name; the old indexes and layouts go, as
    // every record is rewritten in the new layout. Objects then stream from the old
    // table, converted one at a time, into the new tables.
    let aside_name = format!("{}~migrating", schema.name);
    let aside = redb::TableDefinition::<u64, &[u8]>::new(&aside_name);
    write.rename_table(old_state.records(), aside)?;
    for (_, table) in old_state.indexes() {
        table.delete(write)?;
    }
    forget_layouts(write, &schema.name)?;
    let new_state = StoredCollection::new(schema.clone(), Layouts::default());
    create_tables(write, &new_state)?;
    {
        let records = open_table(write, aside)?;
        let total = records.len()?;
        report(0, total);
        let mut writer = super::write::Writer::open(write, &new_state)?;
        let (mut out, mut buffer, mut done) = (Vec::new(), Vec::new(), 0);
        for entry in records.range::<u64>(..)? {
            let (id, record) = entry?;
            let id = id.value();
            super::convert::convert(&chain, id, record.value(), &old_state.layouts, &mut out)
                .map_err(|(step, failure)| failed(id, chain[step].by.clone(), failure.to_string()))?;
            (requested.ops.put_stored)(&mut writer, id, &out, &mut buffer)
                .map_err(|error| failed(id, "storing the converted object".to_owned(), error.to_string()))?;
            done += 1;
            if done % 4096 == 0 {
                report(done, total);
            }
        }
        report(done, total);
        writer.finish()?;
    }
    write.delete_table(aside)?;
    Ok(())
}

/// Removes every older layout recorded for collection `name`: no record of it has one.
fn forget_layouts(write: &redb::WriteTransaction, name: &str) -> Result<()> {
    let mut layouts = open_table(write, LAYOUTS)?;
    let tags: Vec<u32> = layouts
        .range((name, 0)..=(name, u32::MAX))?
        .map(|entry| entry.map(|(key, _)| key.value().1))
        .collect::<Result<_, _>>()?;
    for tag in tags {
        layouts.remove((name, tag))?;
    }
    Ok(())
}
