//! What the fuzz targets share: the collection `open_file` opens arbitrary files with,
//! and the valid file its corpus starts from.

#![forbid(unsafe_code)]

use insula::prelude::*;
use std::path::{Path, PathBuf};

/// The collection of the `open_file` target's database files.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Note {
    /// The id.
    #[id]
    pub id: Id,
    /// Indexed, so that damage can reach an index table too.
    #[index]
    pub title: String,
    /// A fixed-size field.
    pub stars: u32,
}

/// Writes a small valid database of `Note`s as `dir/<name>.insula` and returns its path:
/// a seed from which the fuzzer mutates real pages instead of guessing redb's header.
pub fn write_valid_file(dir: &Path, name: &str) -> insula::Result<PathBuf> {
    let db = Db::builder().name(name).collection::<Note>().open(dir)?;
    let mut notes: Vec<Note> =
        (0..40).map(|i| Note { title: format!("note {}", i % 7), stars: i, ..Default::default() }).collect();
    db.write_txn_sync(|txn| txn.notes().put_all(&mut notes))?;
    db.write_txn_sync(|txn| txn.notes().delete_all(&[3, 9, 27]))?;
    let path = db.path().to_owned();
    Ok(path)
}
