//! Sort orders, made from typed field handles: `Message::CREATED_AT.desc()`.

use crate::codec::key::{KeyMode, KeyPart};
use crate::codec::{Corrupt, RecordReader};
use crate::{Collection, Field, Result};
use std::sync::Arc;

/// Computes a field's key from a record, in a [`KeyMode`]: whole (`Full`) for sorting and
/// `distinct_by`, or as an index's bound (`Lower`, `Upper`) for a page's start.
pub(crate) type KeyFn =
    Arc<dyn for<'a> Fn(&'a [u8; 8], &RecordReader<'a>, KeyMode) -> Result<Vec<u8>, Corrupt> + Send + Sync>;

/// A sort order: a field, ascending or descending. Made by [`Field::asc`] and
/// [`Field::desc`].
pub struct Sort<C> {
    pub(crate) field: &'static str,
    pub(crate) is_id: bool,
    pub(crate) descending: bool,
    pub(crate) key: KeyFn,
    marker: std::marker::PhantomData<fn() -> C>,
}

impl<C> Clone for Sort<C> {
    fn clone(&self) -> Self {
        Sort { key: Arc::clone(&self.key), marker: std::marker::PhantomData, ..*self }
    }
}

impl<C> std::fmt::Debug for Sort<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, if self.descending { "desc" } else { "asc" })
    }
}

impl<C: Collection, T: KeyPart + 'static> Field<C, T> {
    pub(crate) fn key_fn(self) -> KeyFn {
        Arc::new(move |id, record, mode| {
            let mut key = Vec::new();
            T::write_key(self.read(id, record)?, mode, &mut key);
            Ok(key)
        })
    }

    fn sort(self, descending: bool) -> Sort<C> {
        Sort {
            field: self.name(),
            is_id: self.is_id(),
            descending,
            key: self.key_fn(),
            marker: Default::default(),
        }
    }

    /// Sorts by this field, smallest first.
    pub fn asc(self) -> Sort<C> {
        self.sort(false)
    }

    /// Sorts by this field, largest first.
    pub fn desc(self) -> Sort<C> {
        self.sort(true)
    }
}
