//! Property queries: one field of every result, read from the stored records without
//! decoding the objects ([`Query::select`]).

use super::query::Query;
use crate::codec::Value;
use crate::codec::key::{KeyMode, KeyPart};
use crate::{Collection, Field, Result};
use std::collections::HashSet;

/// The key of a value, whole, to tell values apart.
type KeyOf<T> = for<'v> fn(<T as Value>::View<'v>) -> Vec<u8>;

/// One field of every result of a query, in the query's order: made by
/// [`Query::select`]. Only that field is read from each stored record; the objects are
/// never decoded.
pub struct Select<'a, C: Collection, O, T: Value> {
    query: Query<'a, C, O>,
    field: Field<C, T>,
    /// Set by [`distinct`](Select::distinct): how to tell values apart.
    distinct: Option<KeyOf<T>>,
}

impl<C: Collection, O, T: Value> std::fmt::Debug for Select<'_, C, O, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("query", &self.query)
            .field("field", &self.field)
            .field("distinct", &self.distinct.is_some())
            .finish()
    }
}

impl<'a, C: Collection, O> Query<'a, C, O> {
    /// The value of `field` in every result, in the query's order, without decoding the
    /// objects (Isar's property queries, SQL's `SELECT field`). Add
    /// [`distinct`](Select::distinct) to keep each value once.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Message { #[id] pub id: Id, #[index] pub author: String, pub likes: u32 }
    /// let db = Db::builder().collection::<Message>().open_in_memory()?;
    /// let mut messages: Vec<Message> = [("bob", 3), ("ada", 5), ("bob", 8), ("cy", 1)]
    ///     .into_iter()
    ///     .map(|(author, likes)| Message { id: 0, author: author.into(), likes })
    ///     .collect();
    /// db.write_txn_sync(|txn| txn.messages().put_all(&mut messages))?;
    /// let query = || db.messages().query().filter(Message::LIKES.gt(2));
    /// assert_eq!(query().select(Message::AUTHOR).find_all()?, ["bob", "ada", "bob"]);
    /// assert_eq!(query().select(Message::AUTHOR).distinct().find_all()?, ["bob", "ada"]);
    /// let top = db.messages().query().sort_by(Message::LIKES.desc()).select(Message::LIKES);
    /// assert_eq!(top.find_first()?, Some(8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn select<T: Value>(self, field: Field<C, T>) -> Select<'a, C, O, T> {
        Select { query: self, field, distinct: None }
    }
}

impl<C: Collection, O, T: KeyPart> Select<'_, C, O, T> {
    /// Keeps each value once: where it first comes in the query's order. Values are told
    /// apart as conditions compare them (floats by value, `-0.0` as `0.0`).
    pub fn distinct(mut self) -> Self {
        self.distinct = Some(|view| {
            let mut key = Vec::new();
            T::write_key(view, KeyMode::Full, &mut key);
            key
        });
        self
    }
}

impl<C: Collection, O, T: Value> Select<'_, C, O, T> {
    /// The values, in the query's order (each once, after [`distinct`](Self::distinct)).
    pub fn find_all(&self) -> Result<Vec<T>> {
        let mut seen = HashSet::new();
        self.query.fold(self.field, Vec::new(), |values, view| {
            if self.distinct.is_none_or(|key| seen.insert(key(view))) {
                values.push(T::from_view(view));
            }
        })
    }

    /// The value of the first result.
    pub fn find_first(&self) -> Result<Option<T>> {
        self.query.fold_until(self.field, None, |first, view| {
            *first = Some(T::from_view(view));
            true
        })
    }
}
