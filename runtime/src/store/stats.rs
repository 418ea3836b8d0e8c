//! How much space a file's collections take: objects, records and indexes, read from
//! the tables' own accounting without reading a record.

use super::catalog::{SCHEMAS, open_optional, stored_collections};
use super::collection::IndexTableDef;
use crate::Result;
use crate::guard::SafeDrop;
use redb::{ReadTransaction, ReadableTableMetadata, TableStats};
use std::path::Path;

/// How much space an instance takes ([`Db::stats`](crate::Db::stats)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// The size of the file in bytes; in memory, of the pages in use.
    pub file_bytes: u64,
    /// The bytes of the file that no commit uses, which [`Db::compact`](crate::Db::compact)
    /// gives back. `None` where the instance cannot tell: read-only, or in memory.
    pub free_bytes: Option<u64>,
    /// Every collection in the file, opened by this instance or not, sorted by name.
    pub collections: Vec<CollectionStats>,
}

/// The space one collection takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionStats {
    /// The collection's stored name.
    pub name: String,
    /// How many objects it holds.
    pub objects: u64,
    /// The bytes of the pages its records take.
    pub record_bytes: u64,
    /// Each index, in the order of the schema's indexes.
    pub indexes: Vec<IndexStats>,
}

/// The space one index takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexStats {
    /// The index's name: its fields joined by `+`.
    pub name: String,
    /// Whether it is unique.
    pub unique: bool,
    /// How many entries it holds (one per object, or one per element of an indexed list).
    pub entries: u64,
    /// The bytes of the pages it takes.
    pub bytes: u64,
}

/// The bytes of the pages a table takes.
fn page_bytes(stats: &TableStats) -> u64 {
    stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes()
}

/// `(entries, bytes)` of a table that may be missing.
fn measure(table: Option<&impl ReadableTableMetadata>) -> Result<(u64, u64)> {
    match table {
        Some(table) => Ok((table.len()?, page_bytes(&table.stats()?))),
        None => Ok((0, 0)),
    }
}

/// The statistics of every collection stored in the file `read` reads.
pub(crate) fn collections(read: &ReadTransaction, path: &Path) -> Result<Vec<CollectionStats>> {
    let Some(schemas) = open_optional(read, SCHEMAS)? else { return Ok(Vec::new()) };
    let mut collections = Vec::new();
    for stored in stored_collections(&schemas, path)? {
        let records = open_optional(read, stored.records())?.map(SafeDrop::new);
        let (objects, record_bytes) = measure(records.as_deref())?;
        let mut indexes = Vec::with_capacity(stored.schema.indexes.len());
        for (definition, table) in stored.indexes() {
            let (entries, bytes) = match table {
                IndexTableDef::Unique(table) => measure(open_optional(read, table)?.as_ref())?,
                IndexTableDef::Multi(table) => measure(open_optional(read, table)?.as_ref())?,
            };
            indexes.push(IndexStats { name: definition.name(), unique: definition.unique, entries, bytes });
        }
        collections.push(CollectionStats {
            name: stored.schema.name.clone(),
            objects,
            record_bytes,
            indexes,
        });
    }
    Ok(collections)
}

/// The bytes of the pages of every table of the file `read` reads.
pub(crate) fn table_bytes(read: &ReadTransaction) -> Result<u64> {
    let mut bytes = 0;
    for table in read.list_tables()? {
        bytes += page_bytes(&read.open_untyped_table(table)?.stats()?);
    }
    Ok(bytes)
}
