//! Typed queries: `db.messages().query().filter(..).sort_by(..).limit(..).find_all()`.
//!
//! A query plans once per run: it uses an index when a required condition (the root,
//! or a part of a root `and`) is an equality, range or prefix on an indexed field or on
//! a prefix of a composite index, choosing the index with the fewest candidates; it
//! walks an index in order to satisfy a sort with a limit when it can; and it tests
//! every candidate on the stored record, decoding only the objects it returns.

mod condition;
mod plan;
pub(crate) mod source;

pub use condition::Condition;

use crate::codec::{Corrupt, RecordReader};
use crate::db::{Db, ReadTxn, WriteTxn};
use crate::index::key::{KeyMode, KeyPart};
use crate::{Collection, Field, Id, Result, Value};
use plan::Plan;
use source::{Flow, Source};
use std::collections::HashSet;
use std::sync::Arc;

/// Computes a field's key from a record, for sorting and `distinct_by`.
type KeyFn = Box<dyn for<'a> Fn(&'a [u8; 8], &RecordReader<'a>) -> Result<Vec<u8>, Corrupt> + Send + Sync>;

/// A closure filter over the zero-copy view.
type ViewFilter<C> = Box<dyn for<'a> Fn(&<C as Collection>::View<'a>) -> bool + Send + Sync>;

/// A sort order: a field, ascending or descending. Made by [`Field::asc`] and
/// [`Field::desc`].
pub struct Sort<C> {
    pub(crate) field: &'static str,
    pub(crate) is_id: bool,
    pub(crate) descending: bool,
    key: KeyFn,
    marker: std::marker::PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for Sort<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, if self.descending { "desc" } else { "asc" })
    }
}

impl<C: Collection, T: KeyPart + 'static> Field<C, T> {
    fn key_fn(self) -> KeyFn {
        Box::new(move |id, record| {
            let mut key = Vec::new();
            T::write_key(self.read(id, record)?, KeyMode::Full, &mut key);
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

/// What a query asks, apart from where it reads.
pub(crate) struct Spec<C: Collection> {
    pub(crate) filter: Option<Condition<C>>,
    view_filters: Vec<ViewFilter<C>>,
    pub(crate) sort: Vec<Sort<C>>,
    distinct: Vec<(&'static str, KeyFn)>,
    pub(crate) offset: usize,
    pub(crate) limit: Option<usize>,
}

/// A query over collection `C`, built step by step and run by a terminal such as
/// [`find_all`](Query::find_all). Reads see one snapshot: the transaction's, or for a
/// query on `db.messages()`, a read transaction of its own.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Collection, Debug, Clone, Default, PartialEq)]
/// pub struct Message {
///     #[id]
///     pub id: Id,
///     #[index]
///     pub author: String,
///     pub likes: u32,
///     pub created_at: i64,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().collection::<Message>().open(dir.path())?;
/// let mut batch: Vec<Message> = (0..100)
///     .map(|i| Message { author: ["ada", "bob"][i % 2].into(), likes: i as u32, created_at: i as i64, ..Default::default() })
///     .collect();
/// db.write_txn_sync(|txn| txn.messages().put_all(&mut batch))?;
///
/// let popular = db.messages().query()
///     .filter(Message::AUTHOR.eq("ada").and(Message::LIKES.gt(10)))
///     .sort_by(Message::CREATED_AT.desc())
///     .limit(3)
///     .find_all()?;
/// assert_eq!(popular.iter().map(|m| m.likes).collect::<Vec<_>>(), [98, 96, 94]);
/// assert!(db.messages().query().filter(Message::AUTHOR.eq("ada")).explain()?.contains("index `author`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Query<'a, C: Collection, O> {
    origin: &'a O,
    spec: Spec<C>,
}

impl<C: Collection, O> std::fmt::Debug for Query<'_, C, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("collection", &C::SCHEMA.name())
            .field("filter", &self.spec.filter)
            .field("sort", &self.spec.sort)
            .field("offset", &self.spec.offset)
            .field("limit", &self.spec.limit)
            .finish_non_exhaustive()
    }
}

impl<'a, C: Collection, O> Query<'a, C, O> {
    pub(crate) fn new(origin: &'a O) -> Self {
        Query {
            origin,
            spec: Spec {
                filter: None,
                view_filters: Vec::new(),
                sort: Vec::new(),
                distinct: Vec::new(),
                offset: 0,
                limit: None,
            },
        }
    }

    /// Keeps the objects that meet `condition`; called again, both must be met.
    pub fn filter(mut self, condition: Condition<C>) -> Self {
        self.spec.filter = Some(match self.spec.filter.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// Keeps the objects for which `keep` returns true, given the zero-copy view: for
    /// what conditions cannot say. It runs after the conditions, on their matches.
    pub fn filter_view(
        mut self,
        keep: impl for<'v> Fn(&C::View<'v>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.spec.view_filters.push(Box::new(keep));
        self
    }

    /// Sorts by `order`; called again, by the next key for ties. Remaining ties go by id.
    pub fn sort_by(mut self, order: Sort<C>) -> Self {
        self.spec.sort.push(order);
        self
    }

    /// Keeps only the first object (in the query's order) for each value of `field`.
    pub fn distinct_by<T: KeyPart + 'static>(mut self, field: Field<C, T>) -> Self {
        self.spec.distinct.push((field.name(), field.key_fn()));
        self
    }

    /// Skips the first `count` results.
    pub fn offset(mut self, count: usize) -> Self {
        self.spec.offset = count;
        self
    }

    /// Returns at most `count` results.
    pub fn limit(mut self, count: usize) -> Self {
        self.spec.limit = Some(count);
        self
    }
}

/// Opens the tables of `C` in a read transaction and runs `f` on them.
fn with_read_source<C: Collection, R>(
    txn: &ReadTxn<'_>,
    f: impl FnOnce(&dyn Source) -> Result<R>,
) -> Result<R> {
    crate::guard::storage(&txn.instance.path, || {
        let state = txn.instance.collection::<C>()?;
        let tables = crate::db::read_tables(&txn.txn, state)?;
        f(&tables)
    })
}

/// Opens the tables of `C` in a write transaction and runs `f` on them.
fn with_write_source<C: Collection, R>(
    txn: &WriteTxn<'_>,
    f: impl FnOnce(&dyn Source) -> Result<R>,
) -> Result<R> {
    crate::guard::storage(&txn.instance.path, || {
        let state = txn.instance.collection::<C>()?;
        let tables = crate::db::write_tables(&txn.txn, state)?;
        f(&tables)
    })
}

/// Where a query reads: [`Db`] (a read transaction of its own per run), [`ReadTxn`] or
/// [`WriteTxn`]. Sealed: only these three implement it.
pub trait QueryOrigin: sealed::Reach {}

impl QueryOrigin for Db {}
impl QueryOrigin for ReadTxn<'_> {}
impl QueryOrigin for WriteTxn<'_> {}

mod sealed {
    use super::*;

    /// How a query reaches its tables.
    #[allow(unreachable_pub)]
    pub trait Reach {
        fn reach<C: Collection, R>(&self, f: impl FnOnce(&dyn Source) -> Result<R>) -> Result<R>;
    }
}

use sealed::Reach;

impl Reach for Db {
    fn reach<C: Collection, R>(&self, f: impl FnOnce(&dyn Source) -> Result<R>) -> Result<R> {
        self.read_txn_sync(|txn| with_read_source::<C, R>(txn, f))
    }
}

impl Reach for ReadTxn<'_> {
    fn reach<C: Collection, R>(&self, f: impl FnOnce(&dyn Source) -> Result<R>) -> Result<R> {
        with_read_source::<C, R>(self, f)
    }
}

impl Reach for WriteTxn<'_> {
    fn reach<C: Collection, R>(&self, f: impl FnOnce(&dyn Source) -> Result<R>) -> Result<R> {
        with_write_source::<C, R>(self, f)
    }
}

/// The record in the stored bytes of object `id`, once its check matches. A query checks
/// each record once, as it meets it; from then on the record is read unchecked.
fn unseal<C: Collection>(id: Id, stored: &[u8]) -> Result<&[u8]> {
    crate::codec::unseal(id, stored).map_err(crate::__private::corrupted(C::SCHEMA.name()))
}

impl<C: Collection> Spec<C> {
    /// Runs the query on `source`, calling `visit` with each result, in order.
    pub(crate) fn run(
        &self,
        source: &dyn Source,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        let plan = Plan::make(self, source, false)?;
        let state = source.state();
        let corrupted = crate::__private::corrupted(C::SCHEMA.name());
        // Every candidate is tested on its record, even where the index alone answers the
        // filter: a damaged index entry then costs a missed object, never a wrong one.
        let matches = |id: Id, record: &[u8]| self.matches_record(id, record, &state.layouts);
        let keys_of =
            |id: Id, record: &[u8], fns: &mut dyn Iterator<Item = &KeyFn>| -> Result<Vec<Vec<u8>>> {
                let reader = RecordReader::open(record, &C::LAYOUT, &state.layouts).map_err(&corrupted)?;
                let id_bytes = id.to_le_bytes();
                fns.map(|key| key(&id_bytes, &reader).map_err(&corrupted)).collect()
            };
        let mut seen: HashSet<Vec<Vec<u8>>> = HashSet::new();
        let mut distinct = |id: Id, record: &[u8]| -> Result<bool> {
            if self.distinct.is_empty() {
                return Ok(true);
            }
            let keys = keys_of(id, record, &mut self.distinct.iter().map(|(_, key)| key))?;
            Ok(seen.insert(keys))
        };

        if plan.ordered || self.sort.is_empty() {
            // Candidates arrive in the query's order: stream them.
            let (mut skipped, mut emitted) = (0, 0);
            if self.limit == Some(0) {
                return Ok(());
            }
            plan.candidates(source, &mut |id, stored| {
                let record = unseal::<C>(id, stored)?;
                if !matches(id, record)? || !distinct(id, record)? {
                    return Ok(Flow::Continue(()));
                }
                if skipped < self.offset {
                    skipped += 1;
                    return Ok(Flow::Continue(()));
                }
                emitted += 1;
                if visit(id, record)?.is_break() || Some(emitted) == self.limit {
                    return Ok(Flow::Break(()));
                }
                Ok(Flow::Continue(()))
            })
        } else {
            // Sort the matches by key, then read back the ones returned.
            let mut found: Vec<(Vec<Vec<u8>>, Id)> = Vec::new();
            plan.candidates(source, &mut |id, stored| {
                let record = unseal::<C>(id, stored)?;
                if matches(id, record)? {
                    found.push((keys_of(id, record, &mut self.sort.iter().map(|sort| &sort.key))?, id));
                }
                Ok(Flow::Continue(()))
            })?;
            found.sort_by(|(a, a_id), (b, b_id)| {
                for ((a, b), sort) in a.iter().zip(b).zip(&self.sort) {
                    let order = if sort.descending { b.cmp(a) } else { a.cmp(b) };
                    if order.is_ne() {
                        return order;
                    }
                }
                a_id.cmp(b_id)
            });
            let (mut skipped, mut emitted) = (0, 0);
            for (_, id) in found {
                if Some(emitted) == self.limit {
                    break;
                }
                let mut flow = Flow::Continue(());
                source.record(id, &mut |stored| {
                    let record = unseal::<C>(id, stored)?;
                    if !distinct(id, record)? {
                        return Ok(());
                    }
                    if skipped < self.offset {
                        skipped += 1;
                        return Ok(());
                    }
                    emitted += 1;
                    flow = visit(id, record)?;
                    Ok(())
                })?;
                if flow.is_break() {
                    break;
                }
            }
            Ok(())
        }
    }

    /// The objects the query returns.
    pub(crate) fn find_all(&self, source: &dyn Source) -> Result<Vec<C>> {
        let layouts = &source.state().layouts;
        let mut found = Vec::new();
        self.run(source, &mut |id, record| {
            found.push(C::decode_record(id, record, layouts)?);
            Ok(Flow::Continue(()))
        })?;
        Ok(found)
    }

    /// The ids of the objects the query returns.
    pub(crate) fn ids(&self, source: &dyn Source) -> Result<Vec<Id>> {
        let mut ids = Vec::new();
        self.run(source, &mut |id, _| {
            ids.push(id);
            Ok(Flow::Continue(()))
        })?;
        Ok(ids)
    }
}

impl<C: Collection, O: QueryOrigin> Query<'_, C, O> {
    fn reach<R>(&self, f: impl FnOnce(&Spec<C>, &dyn Source) -> Result<R>) -> Result<R> {
        self.origin.reach::<C, R>(|source| f(&self.spec, source))
    }

    /// Every object the query returns, decoded.
    pub fn find_all(&self) -> Result<Vec<C>> {
        self.reach(|spec, source| spec.find_all(source))
    }

    /// The first object the query returns.
    pub fn find_first(self) -> Result<Option<C>> {
        let query = self.limit(1);
        Ok(query.find_all()?.pop())
    }

    /// The ids of the objects the query returns, in its order.
    pub fn ids(&self) -> Result<Vec<Id>> {
        self.reach(|spec, source| spec.ids(source))
    }

    /// How many objects the query returns. Nothing is decoded.
    pub fn count(&self) -> Result<usize> {
        self.reach(|spec, source| {
            let mut count = 0;
            spec.run(source, &mut |_, _| {
                count += 1;
                Ok(Flow::Continue(()))
            })?;
            Ok(count)
        })
    }

    /// Whether the query returns anything.
    pub fn exists(&self) -> Result<bool> {
        self.reach(|spec, source| {
            let mut found = false;
            spec.run(source, &mut |_, _| {
                found = true;
                Ok(Flow::Break(()))
            })?;
            Ok(found)
        })
    }

    /// Folds `field` over the objects the query returns.
    fn fold<T: Value, A>(
        &self,
        field: Field<C, T>,
        mut acc: A,
        mut step: impl FnMut(&mut A, T::View<'_>),
    ) -> Result<A> {
        self.reach(|spec, source| {
            let layouts = &source.state().layouts;
            spec.run(source, &mut |id, record| {
                let reader = RecordReader::open(record, &C::LAYOUT, layouts)
                    .map_err(crate::__private::corrupted(C::SCHEMA.name()))?;
                let id_bytes = id.to_le_bytes();
                let value =
                    field.read(&id_bytes, &reader).map_err(crate::__private::corrupted(C::SCHEMA.name()))?;
                step(&mut acc, value);
                Ok(Flow::Continue(()))
            })?;
            Ok(acc)
        })
    }

    /// The smallest value of `field` among the objects the query returns.
    pub fn min<T: KeyPart>(&self, field: Field<C, T>) -> Result<Option<T>> {
        self.fold(field, None, |best: &mut Option<T>, value| {
            if best.as_ref().is_none_or(|best| T::compare(value, best.as_view()).is_lt()) {
                *best = Some(T::from_view(value));
            }
        })
    }

    /// The largest value of `field` among the objects the query returns.
    pub fn max<T: KeyPart>(&self, field: Field<C, T>) -> Result<Option<T>> {
        self.fold(field, None, |best: &mut Option<T>, value| {
            if best.as_ref().is_none_or(|best| T::compare(value, best.as_view()).is_gt()) {
                *best = Some(T::from_view(value));
            }
        })
    }

    /// The sum of `field` over the objects the query returns.
    pub fn sum<T: Numeric>(&self, field: Field<C, T>) -> Result<f64> {
        self.fold(field, 0.0, |sum, value| *sum += T::to_f64(value))
    }

    /// The mean of `field` over the objects the query returns; `None` when there are
    /// none.
    pub fn avg<T: Numeric>(&self, field: Field<C, T>) -> Result<Option<f64>> {
        let (sum, count) = self.fold(field, (0.0, 0u64), |(sum, count), value| {
            *sum += T::to_f64(value);
            *count += 1;
        })?;
        Ok((count > 0).then(|| sum / count as f64))
    }

    /// Says in words how the query would run: which index it uses and how, what it
    /// tests on each candidate, and how it orders and cuts the results.
    pub fn explain(&self) -> Result<String> {
        self.reach(|spec, source| Ok(Plan::make(spec, source, true)?.describe(spec)))
    }
}

impl<C: Collection> Query<'_, C, WriteTxn<'_>> {
    /// Deletes the objects the query returns; how many.
    pub fn delete_all(&self) -> Result<usize> {
        let ids = self.ids()?;
        crate::Access::collection::<C>(self.origin).delete_all(&ids)
    }
}

impl<C: Collection + Send> Query<'_, C, Db> {
    /// A watcher that receives the query's new results after each commit that changed
    /// an object that met its conditions before or meets them after.
    pub fn watch(self) -> crate::Watcher<Vec<C>> {
        let db = self.origin.clone();
        let spec = Arc::new(self.spec);
        crate::db::watch_query(&db, spec, |db, spec| db.reach::<C, _>(|source| spec.find_all(source)).ok())
    }

    /// A watcher that receives `()` after each commit that changed an object that met
    /// the query's conditions before or meets them after.
    pub fn watch_lazy(self) -> crate::Watcher<()> {
        let db = self.origin.clone();
        let spec = Arc::new(self.spec);
        crate::db::watch_query(&db, spec, |_, _| Some(()))
    }
}

impl<C: Collection> Spec<C> {
    /// Whether the stored object `id` meets the query's conditions (offset and limit
    /// aside).
    pub(crate) fn matches(&self, id: Id, stored: &[u8], layouts: &crate::Layouts) -> Result<bool> {
        self.matches_record(id, unseal::<C>(id, stored)?, layouts)
    }

    /// Whether a record, its check verified, meets the query's conditions.
    fn matches_record(&self, id: Id, record: &[u8], layouts: &crate::Layouts) -> Result<bool> {
        let corrupted = crate::__private::corrupted(C::SCHEMA.name());
        let reader = RecordReader::open(record, &C::LAYOUT, layouts).map_err(&corrupted)?;
        let id_bytes = id.to_le_bytes();
        if let Some(filter) = &self.filter
            && !filter.node.test(&id_bytes, &reader).map_err(&corrupted)?
        {
            return Ok(false);
        }
        if self.view_filters.is_empty() {
            return Ok(true);
        }
        let view = C::view_record(id, record, layouts)?;
        Ok(crate::guard::user(|| self.view_filters.iter().all(|keep| keep(&view))))
    }
}

/// A numeric field type, for [`Query::sum`] and [`Query::avg`].
pub trait Numeric: KeyPart {
    /// The value as an `f64`.
    fn to_f64(view: Self::View<'_>) -> f64;
}

macro_rules! numeric {
    ($($ty:ty),*) => {$(
        impl Numeric for $ty {
            fn to_f64(view: $ty) -> f64 {
                view as f64
            }
        }
    )*};
}

numeric!(u8, u16, u32, u64, i8, i16, i32, i64, f32, f64);
