//! Rebuilding a file's tables before redb compacts it. redb's compaction moves pages
//! toward the start of the file and gives back its free end, but keeps each page's
//! contents: pages half emptied by deletes stay half empty. Copying each table into a
//! new one, in key order, packs its entries into full pages first.

use super::catalog::{SCHEMAS, TableVisitor, stored_collections, visit_tables};
use super::write::open_table;
use crate::Result;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use std::path::Path;

/// Rewrites every table of the file in `write`, each into full pages.
pub(crate) fn rebuild_tables(write: &WriteTransaction, path: &Path) -> Result<()> {
    let collections = stored_collections(&*open_table(write, SCHEMAS)?, path)?;
    visit_tables(&collections, &mut Rebuild { write })
}

/// Rewrites each table it visits.
struct Rebuild<'a> {
    write: &'a WriteTransaction,
}

impl TableVisitor for Rebuild<'_> {
    fn visit<K: redb::Key + 'static, V: redb::Value + 'static>(
        &mut self,
        definition: TableDefinition<'_, K, V>,
    ) -> Result<()> {
        let name = format!("{}~rebuilt", redb::TableHandle::name(&definition));
        let rebuilt = TableDefinition::<K, V>::new(&name);
        {
            let source = open_table(self.write, definition)?;
            let mut target = open_table(self.write, rebuilt)?;
            for entry in source.iter()? {
                let (key, value) = entry?;
                target.insert(key.value(), value.value())?;
            }
        }
        self.write.delete_table(definition)?;
        self.write.rename_table(rebuilt, definition)?;
        Ok(())
    }
}
