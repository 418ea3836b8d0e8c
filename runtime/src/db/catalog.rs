//! What a database file records about its collections, and the check of those records
//! against the schemas a caller opens it with.
//!
//! Tables of the file (every name starts with `insula:`):
//!
//! | table | key | value |
//! | --- | --- | --- |
//! | `insula:meta` | `"format"` | the file format version, `1` |
//! | `insula:schemas` | collection name | the schema's text ([`SchemaDef::to_text`]) |
//! | `insula:counters` | collection name | the last id assigned |
//! | `insula:c:<collection>` | id (`u64`) | the record (`runtime/FORMAT.md`) |
//! | `insula:i:<collection>:<index>` | key (+ id, big-endian, unless unique) | the id if unique, else nothing |

use super::instance::CollectionState;
use crate::codec::Layouts;
use crate::evolution::classify;
use crate::schema_def::SchemaDef;
use crate::{Error, Result};
use redb::{ReadableDatabase, TableDefinition, TableError};
use std::path::Path;

const META: TableDefinition<&str, u64> = TableDefinition::new("insula:meta");
const SCHEMAS: TableDefinition<&str, &str> = TableDefinition::new("insula:schemas");
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("insula:counters");

/// The format version this build writes and reads.
const FORMAT_VERSION: u64 = 1;

/// Checks each asked-for schema against the file's record of it, reading nothing else,
/// and returns the collections the file does not have yet. A collection whose schema
/// changed is refused with every change listed.
pub(crate) fn check<'a>(
    database: &impl ReadableDatabase,
    instance: &str,
    path: &Path,
    asked: &'a [SchemaDef],
) -> Result<Vec<&'a SchemaDef>> {
    let corrupted = |reason: String| Error::CorruptedFile { path: path.to_owned(), reason };
    let read = database.begin_read()?;
    match read.open_table(META) {
        Ok(meta) => match meta.get("format")?.map(|version| version.value()) {
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(corrupted(format!("format version {other}, this build reads {FORMAT_VERSION}")));
            }
            None => return Err(corrupted("no format version".to_owned())),
        },
        Err(TableError::TableDoesNotExist(_)) => {}
        Err(error) => return Err(error.into()),
    }
    let schemas = match read.open_table(SCHEMAS) {
        Ok(table) => Some(table),
        Err(TableError::TableDoesNotExist(_)) => None,
        Err(error) => return Err(error.into()),
    };

    let mut missing = Vec::new();
    for schema in asked {
        let stored = match &schemas {
            Some(table) => table.get(schema.name.as_str())?.map(|text| SchemaDef::parse(text.value())),
            None => None,
        };
        match stored {
            None => missing.push(schema),
            Some(Err(error)) => return Err(corrupted(format!("the schema of `{}`: {error}", schema.name))),
            Some(Ok(stored)) if stored.hash == schema.hash => {}
            Some(Ok(stored)) => {
                return Err(Error::SchemaIncompatible {
                    instance: instance.to_owned(),
                    collection: schema.name.clone(),
                    changes: classify(&stored, schema),
                });
            }
        }
    }
    Ok(missing)
}

/// Checks the asked-for schemas (see [`check`]) and records the new ones, with their
/// tables. An identical schema (same hash) reads no records; collections in the file
/// that were not asked for are left untouched.
pub(crate) fn reconcile(
    database: &redb::Database,
    instance: &str,
    path: &Path,
    asked: Vec<SchemaDef>,
) -> Result<Vec<CollectionState>> {
    let missing = check(database, instance, path, &asked)?;
    if !missing.is_empty() {
        let write = database.begin_write()?;
        write.open_table(META)?.insert("format", FORMAT_VERSION)?;
        {
            let mut table = write.open_table(SCHEMAS)?;
            for schema in &missing {
                table.insert(schema.name.as_str(), schema.to_text().as_str())?;
            }
        }
        write.open_table(COUNTERS)?;
        for schema in &missing {
            let state = CollectionState::new((*schema).clone(), Layouts::default());
            super::store::create_tables(&write, &state)?;
        }
        write.commit()?;
    }

    Ok(asked.into_iter().map(|schema| CollectionState::new(schema, Layouts::default())).collect())
}
