//! What the runtime knows of one collection in the file: its schema, the older layouts
//! its records may still have, and the names of its tables (`runtime/FORMAT.md`, "The
//! tables of a file").

use crate::codec::Layouts;
use crate::schema::{IndexDef, SchemaDef};
use redb::TableDefinition;

/// One collection as the file stores it.
#[derive(Debug)]
pub(crate) struct StoredCollection {
    pub(crate) schema: SchemaDef,
    /// The older layouts whose records may still be in the file.
    pub(crate) layouts: Layouts,
    /// The name of the records table.
    records: String,
    /// The names of the index tables, in the order of the schema's indexes.
    indexes: Vec<String>,
}

impl StoredCollection {
    pub(crate) fn new(schema: SchemaDef, layouts: Layouts) -> Self {
        let records = format!("insula:c:{}", schema.name);
        let indexes =
            schema.indexes.iter().map(|index| format!("insula:i:{}:{index}", schema.name)).collect();
        StoredCollection { schema, layouts, records, indexes }
    }

    /// The records table: id -> stored record.
    pub(crate) fn records(&self) -> TableDefinition<'_, u64, &'static [u8]> {
        TableDefinition::new(&self.records)
    }

    /// The table of index number `number`, with its definition.
    pub(crate) fn index(&self, number: usize) -> IndexTableDef<'_> {
        let definition = &self.schema.indexes[number];
        let name = self.indexes[number].as_str();
        if definition.unique {
            IndexTableDef::Unique(TableDefinition::new(name))
        } else {
            IndexTableDef::Multi(TableDefinition::new(name))
        }
    }

    /// Every index, with its definition and its table.
    pub(crate) fn indexes(&self) -> impl Iterator<Item = (&IndexDef, IndexTableDef<'_>)> {
        self.schema.indexes.iter().enumerate().map(|(number, index)| (index, self.index(number)))
    }
}

/// The table of an index. A unique index maps a key to its object's id; the others hold
/// `key ++ id` (big-endian) with no value, so one key can have many objects, in id order.
#[derive(Clone, Copy)]
pub(crate) enum IndexTableDef<'a> {
    Unique(TableDefinition<'a, &'static [u8], u64>),
    Multi(TableDefinition<'a, &'static [u8], ()>),
}

impl IndexTableDef<'_> {
    /// Drops the table and its entries.
    pub(crate) fn delete(self, txn: &redb::WriteTransaction) -> crate::Result<()> {
        match self {
            IndexTableDef::Unique(definition) => txn.delete_table(definition)?,
            IndexTableDef::Multi(definition) => txn.delete_table(definition)?,
        };
        Ok(())
    }
}
