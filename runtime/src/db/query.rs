//! [`Query`]: the public query builder over a collection handle, and its terminals. The
//! engine that runs it is `crate::query`; this module only says where it reads.

use super::database::Db;
use super::handles::Access;
use super::instance::Instance;
use super::txn::{ReadTxn, WriteTxn};
use super::watchers::{Committed, Interest};
use crate::codec::RecordReader;
use crate::codec::Value;
use crate::codec::key::{KeyPart, Numeric};
use crate::guard::storage;
use crate::query::{Condition, Cursor, Page, Request, Sort};
use crate::store::{Flow, Source, Tables};
use crate::watch::Watcher;
use crate::{Collection, Field, Id, Result};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// Where a query reads: a read transaction of its own per run, or a transaction's.
#[derive(Clone, Copy)]
pub(crate) enum Origin<'a> {
    Db(&'a Db),
    Read(&'a ReadTxn<'a>),
    Write(&'a WriteTxn<'a>),
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
    /// The handle's origin, typed: the terminals that only one origin has use it.
    origin: &'a O,
    from: Origin<'a>,
    request: Request<C>,
}

impl<C: Collection, O> std::fmt::Debug for Query<'_, C, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("collection", &C::SCHEMA.name())
            .field("filter", &self.request.filter)
            .field("sort", &self.request.sort)
            .field("offset", &self.request.offset)
            .field("limit", &self.request.limit)
            .finish_non_exhaustive()
    }
}

impl<'a, C: Collection, O> Query<'a, C, O> {
    pub(crate) fn new(origin: &'a O, from: Origin<'a>) -> Self {
        Query { origin, from, request: Request::default() }
    }

    /// Keeps the objects that meet `condition`; called again, both must be met.
    pub fn filter(mut self, condition: Condition<C>) -> Self {
        self.request.filter(condition);
        self
    }

    /// Keeps the objects for which `keep` returns true, given the zero-copy view: for
    /// what conditions cannot say. It runs after the conditions, on their matches.
    pub fn filter_view(
        mut self,
        keep: impl for<'v> Fn(&C::View<'v>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.request.filter_view(keep);
        self
    }

    /// Sorts by `order`; called again, by the next key for ties. Remaining ties go by id.
    pub fn sort_by(mut self, order: Sort<C>) -> Self {
        self.request.sort.push(order);
        self
    }

    /// Keeps only the first object (in the query's order) for each value of `field`.
    pub fn distinct_by<T: KeyPart + 'static>(mut self, field: Field<C, T>) -> Self {
        self.request.distinct_by(field);
        self
    }

    /// Skips the first `count` results.
    pub fn offset(mut self, count: usize) -> Self {
        self.request.offset = count;
        self
    }

    /// Returns at most `count` results.
    pub fn limit(mut self, count: usize) -> Self {
        self.request.limit = Some(count);
        self
    }

    /// Only the results that come after `cursor` in the query's order: the next page
    /// after the one that `cursor` ended (see [`page`](Self::page)). A cursor fits a query
    /// with the same order; another order is [`Error::InvalidFilter`](crate::Error::InvalidFilter)
    /// when the query runs. `offset` and `limit` count from the cursor on.
    pub fn after(mut self, cursor: &Cursor) -> Self {
        self.request.after(cursor.clone());
        self
    }

    /// At most `size` results, decoded, and the cursor of the last one when there are
    /// results after it: keyset pagination. Pass the cursor to [`after`](Self::after)
    /// for the next page, which starts after that object however the objects before it
    /// changed in the meantime: an object no write touched comes exactly once. (An
    /// object that an edit moves across the cursor may come twice, or not at all, as in
    /// any keyset pagination.) The cursor bounds the ids of a scan in id order, and the range of an index
    /// that serves the sort, so a late page costs what the first one does. A
    /// `distinct_by` keeps the first of each value within each page.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Task { #[id] pub id: Id, #[index] pub priority: u8 }
    /// let db = Db::builder().collection::<Task>().open_in_memory()?;
    /// let mut tasks: Vec<Task> = (0..10).map(|i| Task { id: 0, priority: i % 3 }).collect();
    /// db.write_txn_sync(|txn| txn.tasks().put_all(&mut tasks))?;
    /// let by_priority = || db.tasks().query().sort_by(Task::PRIORITY.desc());
    /// let first = by_priority().page(4)?;
    /// assert_eq!(first.items.iter().map(|task| task.id).collect::<Vec<_>>(), [3, 6, 9, 2]);
    /// // A new task of priority 2 lands before the cursor: the next page does not shift.
    /// db.write_txn_sync(|txn| txn.tasks().put(&mut Task { id: 0, priority: 2 }))?;
    /// let second = by_priority().after(first.next.as_ref().unwrap()).page(4)?;
    /// assert_eq!(second.items.iter().map(|task| task.id).collect::<Vec<_>>(), [5, 8, 1, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn page(&self, size: usize) -> Result<Page<C>> {
        self.reach(|request, source| page(request, source, size))
    }

    /// Runs `f` on the request and the collection's tables where the query reads, inside
    /// the panic guard.
    fn reach<R>(&self, f: impl FnOnce(&Request<C>, &dyn Source) -> Result<R>) -> Result<R> {
        self.reach_with(&self.request, f)
    }

    /// [`reach`](Self::reach) with another request.
    fn reach_with<R>(
        &self,
        request: &Request<C>,
        f: impl FnOnce(&Request<C>, &dyn Source) -> Result<R>,
    ) -> Result<R> {
        match self.from {
            Origin::Db(db) => db.read_txn_sync(|txn| read_source::<C, R>(txn, |source| f(request, source))),
            Origin::Read(txn) => read_source::<C, R>(txn, |source| f(request, source)),
            Origin::Write(txn) => storage(txn.path(), || {
                let tables = Tables::new(&*txn.txn, txn.instance.collection::<C>()?);
                f(request, &tables)
            }),
        }
    }

    /// Every object the query returns, decoded.
    pub fn find_all(&self) -> Result<Vec<C>> {
        self.reach(|request, source| request.find_all(source))
    }

    /// The first object the query returns.
    pub fn find_first(&self) -> Result<Option<C>> {
        self.reach(|request, source| {
            let layouts = &source.collection().layouts;
            let mut first = None;
            request.run(source, &mut |id, record| {
                first = Some(C::decode_record(id, record, layouts)?);
                Ok(Flow::Break(()))
            })?;
            Ok(first)
        })
    }

    /// The ids of the objects the query returns, in its order.
    pub fn ids(&self) -> Result<Vec<Id>> {
        self.reach(|request, source| request.ids(source))
    }

    /// How many objects the query returns. Nothing is decoded.
    pub fn count(&self) -> Result<usize> {
        self.reach(|request, source| request.count(source))
    }

    /// Whether the query returns anything.
    pub fn exists(&self) -> Result<bool> {
        self.reach(|request, source| {
            let mut found = false;
            request.run(source, &mut |_, _| {
                found = true;
                Ok(Flow::Break(()))
            })?;
            Ok(found)
        })
    }

    /// Folds `field` over the objects the query returns.
    pub(super) fn fold<T: Value, A>(
        &self,
        field: Field<C, T>,
        acc: A,
        mut step: impl FnMut(&mut A, T::View<'_>),
    ) -> Result<A> {
        self.fold_until(field, acc, |acc, view| {
            step(acc, view);
            false
        })
    }

    /// Folds `field` over the objects the query returns until `step` says to stop.
    pub(super) fn fold_until<T: Value, A>(
        &self,
        field: Field<C, T>,
        acc: A,
        step: impl FnMut(&mut A, T::View<'_>) -> bool,
    ) -> Result<A> {
        self.reach(|request, source| request.fold(source, field, acc, step))
    }

    /// The smallest value of `field` among the objects the query returns. On an
    /// `Option` field, `None`s are left out, as SQL leaves out `NULL`: `Some(Some(x))`,
    /// or `None` when no object has a value.
    pub fn min<T: KeyPart>(&self, field: Field<C, T>) -> Result<Option<T>> {
        self.fold(field, None, |best: &mut Option<T>, value| {
            if T::is_none(value) {
                return;
            }
            if best.as_ref().is_none_or(|best| T::compare(value, best.as_view()).is_lt()) {
                *best = Some(T::from_view(value));
            }
        })
    }

    /// The largest value of `field` among the objects the query returns (`None`s left
    /// out, as for [`min`](Self::min)).
    pub fn max<T: KeyPart>(&self, field: Field<C, T>) -> Result<Option<T>> {
        self.fold(field, None, |best: &mut Option<T>, value| {
            if T::is_none(value) {
                return;
            }
            if best.as_ref().is_none_or(|best| T::compare(value, best.as_view()).is_gt()) {
                *best = Some(T::from_view(value));
            }
        })
    }

    /// The sum of `field` over the objects the query returns (`None`s left out).
    pub fn sum<T: Numeric>(&self, field: Field<C, T>) -> Result<f64> {
        self.fold(field, 0.0, |sum, value| *sum += T::to_f64(value))
    }

    /// The mean of `field` over the objects the query returns, `None`s left out; `None`
    /// when no object has a value.
    pub fn avg<T: Numeric>(&self, field: Field<C, T>) -> Result<Option<f64>> {
        let (sum, count) = self.fold(field, (0.0, 0u64), |(sum, count), value| {
            if T::is_none(value) {
                return;
            }
            *sum += T::to_f64(value);
            *count += 1;
        })?;
        Ok((count > 0).then(|| sum / count as f64))
    }

    /// Writes the objects the query returns to `out` as a JSON array, one object per
    /// line between the brackets, in the query's order, and returns how many. Objects
    /// are read and written one at a time (a sort gathers the matches first, as for any
    /// terminal); nothing is decoded into `C`. The mapping of values, which round-trips
    /// exactly, is in [`insula::json`](crate::json). A failing writer is
    /// [`Error::Output`](crate::Error::Output).
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// db.write_txn_sync(|txn| txn.notes().put(&mut Note { tag: "a".into(), text: "hi \"you\"".into(), ..Default::default() }))?;
    /// let mut out = Vec::new();
    /// let count = db.notes().query().filter(Note::TAG.eq("a")).export_json(&mut out)?;
    /// assert_eq!(count, 1);
    /// assert_eq!(String::from_utf8(out)?, "[\n{\"id\":1,\"tag\":\"a\",\"text\":\"hi \\\"you\\\"\"}\n]\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn export_json(&self, out: impl std::io::Write) -> Result<u64> {
        self.export(out, false)
    }

    /// [`export_json`](Self::export_json) as NDJSON: one object per line, no brackets.
    #[cfg(feature = "json")]
    pub fn export_ndjson(&self, out: impl std::io::Write) -> Result<u64> {
        self.export(out, true)
    }

    #[cfg(feature = "json")]
    fn export(&self, out: impl std::io::Write, lines: bool) -> Result<u64> {
        use crate::Error;
        self.reach(|request, source| {
            let stored = source.collection();
            let plan = crate::dynamic::RecordPlan::new(&stored.schema.fields)
                .map_err(|reason| Error::CorruptedFile { path: Default::default(), reason })?;
            let output = |source| Error::Output { source };
            let mut writer = crate::json::Writer::new(out, lines).map_err(output)?;
            request.run(source, &mut |id, record| {
                let values = plan
                    .decode_values(record, &stored.layouts)
                    .map_err(crate::error::corrupted(C::SCHEMA.name()))?;
                let names = stored.schema.fields.iter().map(|field| field.name.as_str());
                writer.object(&stored.schema.id, id, names.zip(&values)).map_err(output)?;
                Ok(Flow::Continue(()))
            })?;
            writer.finish().map_err(output)
        })
    }

    /// Says in words how the query would run: which index it uses and how, what it
    /// tests on each candidate, and how it orders and cuts the results.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let plan = db.notes().query().filter(Note::TAG.eq("todo")).explain()?;
    /// assert!(plan.starts_with("index `tag` (equality on tag"), "{plan}");
    /// let scan = db.notes().query().filter(Note::TEXT.contains("docs")).explain()?;
    /// assert!(scan.starts_with("full scan"), "{scan}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self) -> Result<String> {
        self.reach(|request, source| request.explain(source))
    }
}

/// A page of at most `size` results of `request`, and the cursor of its last one when
/// more follow.
fn page<C: Collection>(request: &Request<C>, source: &dyn Source, size: usize) -> Result<Page<C>> {
    let layouts = &source.collection().layouts;
    let corrupted = crate::error::corrupted(C::SCHEMA.name());
    let (mut items, mut last, mut more) = (Vec::with_capacity(size.min(4096)), None, false);
    request.run(source, &mut |id, record| {
        if items.len() == size {
            more = true;
            return Ok(Flow::Break(()));
        }
        items.push(C::decode_record(id, record, layouts)?);
        if items.len() == size {
            let reader = RecordReader::open(record, &C::LAYOUT, layouts).map_err(&corrupted)?;
            last = Some(request.cursor(id, &reader).map_err(&corrupted)?);
        }
        Ok(Flow::Continue(()))
    })?;
    Ok(Page { items, next: last.filter(|_| more) })
}

/// The results of `query`, a page at a time: pages of 256 objects, each twice as large
/// as the last up to 65,536, so a query whose order needs sorting sorts its matches
/// about `log2(matches / 256)` times, not once per page.
fn pages<'q, C: Collection, O>(query: &'q Query<'_, C, O>) -> impl Iterator<Item = Result<C>> + 'q {
    // Each page is the query's request after the last page's cursor, with no offset and
    // what is left of the limit.
    let mut request = query.request.clone();
    let mut size = 256;
    let mut buffer = std::collections::VecDeque::new();
    let mut done = false;
    std::iter::from_fn(move || {
        if buffer.is_empty() && !done {
            let want = request.limit.map_or(size, |limit| limit.min(size));
            match query.reach_with(&request, |request, source| page(request, source, want)) {
                Ok(page) => {
                    buffer.extend(page.items);
                    match page.next {
                        Some(cursor) if request.limit != Some(want) => {
                            let limit = request.limit.map(|limit| limit - want);
                            request = query.request.clone();
                            (request.offset, request.limit) = (0, limit);
                            request.after(cursor);
                            size = (size * 2).min(1 << 16);
                        }
                        _ => done = true,
                    }
                }
                Err(error) => {
                    done = true;
                    return Some(Err(error));
                }
            }
        }
        buffer.pop_front().map(Ok)
    })
}

/// Opens the tables of `C` in a read transaction and runs `f` on them.
fn read_source<C: Collection, R>(txn: &ReadTxn<'_>, f: impl FnOnce(&dyn Source) -> Result<R>) -> Result<R> {
    storage(txn.path(), || {
        let tables =
            Tables::new(&*txn.txn, txn.instance.collection::<C>()?).splitting(txn.instance.scan_threads);
        f(&tables)
    })
}

impl<'t, C: Collection> Query<'_, C, ReadTxn<'t>> {
    /// The results one by one, in the query's order, decoded as the iterator reaches
    /// them; all from the transaction's snapshot. It reads a page at a time (256 results,
    /// then twice as many each time up to 65,536) and goes on after the last one, as
    /// [`page`](Self::page) and [`after`](Self::after) do, so a loop that stops early
    /// reads little, and memory stays within one page.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Task { #[id] pub id: Id, pub done: bool }
    /// let db = Db::builder().collection::<Task>().open_in_memory()?;
    /// let mut tasks: Vec<Task> = (0..1000).map(|i| Task { id: 0, done: i % 2 == 0 }).collect();
    /// db.write_txn_sync(|txn| txn.tasks().put_all(&mut tasks))?;
    /// let first_open = db.read_txn_sync(|txn| {
    ///     let query = txn.tasks().query().filter(Task::DONE.eq(false));
    ///     query.iter().take(3).map(|task| task.map(|task| task.id)).collect::<insula::Result<Vec<_>>>()
    /// })?;
    /// assert_eq!(first_open, [2, 4, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<C>> + '_ {
        pages(self)
    }
}

impl<C: Collection> Query<'_, C, WriteTxn<'_>> {
    /// The results one by one, in the query's order, as [`iter`](Query::iter) on a read
    /// transaction gives them; each page sees the transaction's writes made before it
    /// was read.
    pub fn iter(&self) -> impl Iterator<Item = Result<C>> + '_ {
        pages(self)
    }

    /// Deletes the objects the query returns; how many.
    pub fn delete_all(&self) -> Result<usize> {
        let ids = self.ids()?;
        self.origin.collection::<C>().delete_all(&ids)
    }
}

impl<C: Collection + Send> Query<'_, C, Db> {
    /// A watcher that receives the query's new results after each commit that changed
    /// what the query returns: an object it returns changed, or the list did (an object
    /// came in, left, or moved). A change to a matching object that the query does not
    /// return (past its `limit`, or before its `offset`) sends nothing.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// use std::time::Duration;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let todo = db.notes().query().filter(Note::TAG.eq("todo")).watch().fire_immediately();
    /// assert!(todo.recv_timeout(Duration::from_secs(5))?.is_empty()); // the current results
    /// let mut note = Note { tag: "todo".into(), text: "write docs".into(), ..Default::default() };
    /// db.write_txn_sync(|txn| txn.notes().put(&mut note))?;
    /// assert_eq!(todo.recv_timeout(Duration::from_secs(5))?, [note]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch(self) -> Watcher<Vec<C>> {
        let db = self.origin;
        // The ids and records of the results last sent (or current at the start).
        let shown: Arc<Mutex<Shown>> = Arc::default();
        watch_query(db, Arc::new(self.request), move |txn, request, always| {
            let (results, records) =
                read_source::<C, _>(txn, |source| results_and_records(request, source)).ok()?;
            let mut shown = shown.lock().unwrap_or_else(PoisonError::into_inner);
            if !always && *shown == records {
                return None;
            }
            *shown = records;
            Some(results)
        })
    }

    /// A watcher that receives `()` after each commit that changed an object that met
    /// the query's conditions before or meets them after.
    pub fn watch_lazy(self) -> Watcher<()> {
        let db = self.origin;
        watch_query(db, Arc::new(self.request), |_, _, _| Some(()))
    }
}

/// The ids and records of a query's results, in order: what a query watcher compares.
type Shown = Vec<(Id, Vec<u8>)>;

/// What `request` returns, decoded, and the ids and records it was decoded from.
fn results_and_records<C: Collection>(request: &Request<C>, source: &dyn Source) -> Result<(Vec<C>, Shown)> {
    let layouts = &source.collection().layouts;
    let (mut results, mut records) = (Vec::new(), Vec::new());
    request.run(source, &mut |id, record| {
        results.push(C::decode_record(id, record, layouts)?);
        records.push((id, record.to_vec()));
        Ok(Flow::Continue(()))
    })?;
    Ok((results, records))
}

/// The ids of the objects that meet `request`'s conditions, in `txn`'s snapshot.
fn matching_ids<C: Collection>(txn: &ReadTxn<'_>, request: &Request<C>) -> Result<HashSet<Id>> {
    let collection = txn.instance.collection::<C>()?;
    let tables = Tables::new(&*txn.txn, collection);
    let mut ids = HashSet::new();
    tables.scan(0, Id::MAX, false, &mut |id, stored| {
        if request.matches(id, stored, &collection.layouts)? {
            ids.insert(id);
        }
        Ok(Flow::Continue(()))
    })?;
    Ok(ids)
}

/// Whether object `id` meets `request`'s conditions in `txn`'s snapshot.
fn matches_now<C: Collection>(txn: &ReadTxn<'_>, request: &Request<C>, id: Id) -> Result<bool> {
    let collection = txn.instance.collection::<C>()?;
    let tables = Tables::new(&*txn.txn, collection);
    let mut matches = false;
    tables.record(id, &mut |stored| {
        matches = request.matches(id, stored, &collection.layouts)?;
        Ok(())
    })?;
    Ok(matches)
}

/// A watcher of a query: after a commit that changed an object that met the query's
/// conditions before (it keeps the set of those ids) or meets them after, it sends what
/// `produce` makes from a read of the committed state, if anything. `produce` is told
/// `always` when it must make something: for the current state (`fire_immediately`),
/// and once as the watcher subscribes, to learn the state it starts from.
fn watch_query<C: Collection, T: Send + 'static>(
    db: &Db,
    request: Arc<Request<C>>,
    produce: impl Fn(&ReadTxn<'_>, &Request<C>, bool) -> Option<T> + Send + Sync + 'static,
) -> Watcher<T> {
    let instance: &Arc<Instance> = &db.instance;
    // No commit may land between reading the matches and subscribing, or its change
    // would be missed: hold the commit lock, unless this thread is the one writing.
    let _serial = (!super::txn::writing_here(instance))
        .then(|| instance.write_lock.lock().unwrap_or_else(PoisonError::into_inner));
    let start = storage(&instance.path, || {
        let txn = ReadTxn::begin(instance)?;
        produce(&txn, &request, true);
        matching_ids(&txn, &request)
    });
    let Ok(matched) = start else {
        return super::watchers::Watchers::closed();
    };
    let matched = Mutex::new(matched);
    let touched_request = Arc::clone(&request);
    let touches = move |txn: &ReadTxn<'_>, all: bool, ids: &[Id]| {
        let mut matched = matched.lock().unwrap_or_else(PoisonError::into_inner);
        if all {
            if let Ok(now) = matching_ids(txn, &touched_request) {
                *matched = now;
            }
            return true;
        }
        let mut touched = false;
        for &id in ids {
            let was = matched.contains(&id);
            // A read failure counts as a change: better an extra event than a lost one.
            let now = matches_now(txn, &touched_request, id).unwrap_or(true);
            if now {
                matched.insert(id);
            } else {
                matched.remove(&id);
            }
            touched |= was || now;
        }
        touched
    };
    let produce = Arc::new(produce);
    let current_produce = Arc::clone(&produce);
    let current_request = Arc::clone(&request);
    let weak = Arc::downgrade(instance);
    let current = move || {
        let instance = weak.upgrade()?;
        let txn = ReadTxn::begin(&instance).ok()?;
        current_produce(&txn, &current_request, true)
    };
    let produce = move |committed: &Committed<'_, '_>| produce(committed.txn()?, &request, false);
    let interest = Interest::Query(Box::new(touches));
    instance.watchers.subscribe(C::SCHEMA.name(), &instance.path, interest, produce, Box::new(current))
}
