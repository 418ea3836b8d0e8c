//! Verification: every index entry cross-checked against the objects.

use super::tables::{Flow, KeyRange, Source};
use super::write::StoredKeys;
use crate::{Error, Id, Result};
use std::collections::HashSet;

/// Cross-checks every index entry against the objects, whose keys `stored` reads: each
/// object has exactly the entries its values make, and every entry belongs to an object
/// that makes it.
pub(crate) fn verify(source: &dyn Source, stored: &impl StoredKeys) -> Result<()> {
    let collection = source.collection();
    let count = collection.schema.indexes.len();
    if count == 0 {
        return Ok(());
    }
    let mut expected: HashSet<(usize, Vec<u8>, Id)> = HashSet::new();
    source.scan(0, Id::MAX, false, &mut |id, record| {
        for (index, keys) in stored.stored_keys(id, record, &collection.layouts)?.into_iter().enumerate() {
            for key in keys {
                expected.insert((index, key, id));
            }
        }
        Ok(Flow::Continue(()))
    })?;
    let everything = KeyRange::all();
    for (number, index) in collection.schema.indexes.iter().enumerate() {
        let inconsistent = |detail: String| Error::IndexInconsistent {
            collection: collection.schema.name.clone(),
            index: index.name(),
            detail,
        };
        let mut stray = None;
        source.index_ids(number, &everything, false, &mut |key, id| {
            if !expected.remove(&(number, key.to_vec(), id)) {
                stray = Some(format!("an entry {key:02x?} for object {id}, which does not make it"));
                return Ok(Flow::Break(()));
            }
            Ok(Flow::Continue(()))
        })?;
        if let Some(detail) = stray {
            return Err(inconsistent(detail));
        }
        if let Some((_, key, id)) = expected.iter().find(|(index, _, _)| *index == number) {
            return Err(inconsistent(format!("object {id} lacks its entry {key:02x?}")));
        }
    }
    Ok(())
}
