//! A copy of a file from one read snapshot: every table of the catalog and of each
//! stored collection, written in key order into a new file, which is then compacted and
//! put in place under its name only once it is whole.

use super::catalog::{SCHEMAS, TableVisitor, open_optional, stored_collections, visit_tables};
use crate::guard::SafeDrop;
use crate::{Error, Result};
use redb::{ReadTransaction, ReadableTable, TableDefinition, TableHandle, WriteTransaction};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Copies the file that `read` reads (at `from`, for errors) to a new file at `to`, and
/// returns the copy's size in bytes. `to` must not exist. Until the copy is whole it is
/// written beside `to` under a hidden name, so a crash leaves `to` absent, never partial.
pub(crate) fn copy(read: &ReadTransaction, from: &Path, to: &Path) -> Result<u64> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    if to.try_exists().map_err(io(to))? {
        return Err(Error::Io {
            path: to.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the copy's path is taken"),
        });
    }
    let partial = partial_path(to);
    // What a copy killed earlier left behind.
    if partial.try_exists().map_err(io(&partial))? {
        std::fs::remove_file(&partial).map_err(io(&partial))?;
    }
    let mut target = redb::Database::builder()
        .create(&partial)
        .map_err(|error| super::file::open_error(error, &partial))?;
    let written = (|| {
        let write = SafeDrop::new(target.begin_write()?);
        copy_tables(read, &write, from)?;
        write.into_inner().commit()?;
        // Keys arrive in order, but a B-tree filled that way leaves its pages half full.
        target.compact()?;
        Ok(())
    })();
    super::file::close(super::file::Storage::Writable(target));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, to).map_err(io(to))?;
    // The rename is on the disk once the directory is.
    if let Some(dir) = to.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|dir| dir.sync_all()).map_err(io(dir))?;
    }
    Ok(std::fs::metadata(to).map_err(io(to))?.len())
}

/// Where the copy to `to` is written until it is whole: `.<name>.partial` beside it.
fn partial_path(to: &Path) -> PathBuf {
    let name = to.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    to.with_file_name(format!(".{name}.partial"))
}

/// Copies every table of the file. A table that no stored schema and no catalog entry
/// accounts for is an error: a copy that silently dropped it would not be a backup.
fn copy_tables(read: &ReadTransaction, write: &WriteTransaction, from: &Path) -> Result<()> {
    let collections = match open_optional(read, SCHEMAS)? {
        Some(schemas) => stored_collections(&schemas, from)?,
        None => Vec::new(),
    };
    let mut copy = Copy { read, write, copied: BTreeSet::new() };
    visit_tables(&collections, &mut copy)?;
    for table in read.list_tables()? {
        if !copy.copied.contains(table.name()) {
            return Err(Error::CorruptedFile {
                path: from.to_owned(),
                reason: format!("table `{}` belongs to no collection; the copy was not made", table.name()),
            });
        }
    }
    Ok(())
}

/// Copies each table it visits from `read` to `write`.
struct Copy<'a> {
    read: &'a ReadTransaction,
    write: &'a WriteTransaction,
    copied: BTreeSet<String>,
}

impl TableVisitor for Copy<'_> {
    fn visit<K: redb::Key + 'static, V: redb::Value + 'static>(
        &mut self,
        definition: TableDefinition<'_, K, V>,
    ) -> Result<()> {
        copy_table(self.read, self.write, definition, &mut self.copied)
    }
}

/// Copies one table, if the file has it, in key order.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    read: &ReadTransaction,
    write: &WriteTransaction,
    definition: TableDefinition<'_, K, V>,
    copied: &mut BTreeSet<String>,
) -> Result<()> {
    let Some(source) = open_optional(read, definition)? else { return Ok(()) };
    let source = SafeDrop::new(source);
    let mut target = SafeDrop::new(write.open_table(definition)?);
    for entry in source.iter()? {
        let (key, value) = entry?;
        target.insert(key.value(), value.value())?;
    }
    copied.insert(definition.name().to_owned());
    Ok(())
}
