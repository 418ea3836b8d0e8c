//! What a query asks, apart from where it reads, and running it over a collection's
//! tables: plan, test each candidate on its stored record, order, cut, and hand each
//! result to the caller.

use super::condition::Condition;
use super::plan::{Plan, visit_ids};
use super::sort::{KeyFn, Sort};
use crate::codec::Value;
use crate::codec::key::{KeyMode, KeyPart};
use crate::codec::{Corrupt, RecordReader};
use crate::store::{Flow, Part, Source};
use crate::{Collection, Field, Id, Result};
use std::collections::HashSet;
use std::sync::Arc;

/// A closure filter over the zero-copy view.
type ViewFilter<C> = Arc<dyn for<'a> Fn(&<C as Collection>::View<'a>) -> bool + Send + Sync>;

/// What a query asks, apart from where it reads.
pub(crate) struct Request<C: Collection> {
    pub(crate) filter: Option<Condition<C>>,
    pub(crate) view_filters: Vec<ViewFilter<C>>,
    pub(crate) sort: Vec<Sort<C>>,
    pub(crate) distinct: Vec<(&'static str, KeyFn)>,
    pub(crate) offset: usize,
    pub(crate) limit: Option<usize>,
    /// The order of the cursor that [`Request::after`] was given, if it was.
    pub(crate) cursor_order: Option<String>,
    /// Where a walk of an index on the first sort field starts: after the cursor.
    pub(crate) walk_from: Option<crate::store::KeyRange>,
}

impl<C: Collection> Clone for Request<C> {
    fn clone(&self) -> Self {
        Request {
            filter: self.filter.clone(),
            view_filters: self.view_filters.clone(),
            sort: self.sort.clone(),
            distinct: self.distinct.clone(),
            offset: self.offset,
            limit: self.limit,
            cursor_order: self.cursor_order.clone(),
            walk_from: self.walk_from.clone(),
        }
    }
}

impl<C: Collection> Default for Request<C> {
    fn default() -> Self {
        Request {
            filter: None,
            view_filters: Vec::new(),
            sort: Vec::new(),
            distinct: Vec::new(),
            offset: 0,
            limit: None,
            cursor_order: None,
            walk_from: None,
        }
    }
}

impl<C: Collection> Request<C> {
    /// Adds `condition`; every condition added must be met.
    pub(crate) fn filter(&mut self, condition: Condition<C>) {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
    }

    /// Adds a closure filter over the view.
    pub(crate) fn filter_view(
        &mut self,
        keep: impl for<'v> Fn(&C::View<'v>) -> bool + Send + Sync + 'static,
    ) {
        self.view_filters.push(Arc::new(keep));
    }

    /// Keeps only the first object for each value of `field`.
    pub(crate) fn distinct_by<T: KeyPart + 'static>(&mut self, field: Field<C, T>) {
        self.distinct.push((field.name(), field.key_fn()));
    }
}

/// A scan of at least this many records may split over threads: below, starting the
/// threads costs about what they save.
const SPLIT_AT: u64 = 16_384;

/// The record in the stored bytes of object `id`, once its check matches. A query checks
/// each record once, as it meets it; from then on the record is read unchecked.
fn unseal<C: Collection>(id: Id, stored: &[u8]) -> Result<&[u8]> {
    crate::codec::unseal(id, stored).map_err(crate::error::corrupted(C::SCHEMA.name()))
}

impl<C: Collection> Request<C> {
    /// Runs the query on `source`, calling `visit` with each result, in order.
    pub(crate) fn run(
        &self,
        source: &dyn Source,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        self.run_planned(&Plan::make(self, source, false)?, source, visit)
    }

    /// [`run`](Self::run) with the plan made.
    fn run_planned(
        &self,
        plan: &Plan,
        source: &dyn Source,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        if let Some(split) = self.split(plan, source)?
            && let Some(result) = self.run_split(plan, source, split, visit)
        {
            return result;
        }
        let collection = source.collection();
        let corrupted = crate::error::corrupted(C::SCHEMA.name());
        // Every candidate is tested on its record, even where the index alone answers the
        // filter: a damaged index entry then costs a missed object, never a wrong one.
        let matches = |id: Id, record: &[u8]| self.matches_record(id, record, &collection.layouts);
        let keys_of =
            |id: Id, record: &[u8], fns: &mut dyn Iterator<Item = &KeyFn>| -> Result<Vec<Vec<u8>>> {
                let reader =
                    RecordReader::open(record, &C::LAYOUT, &collection.layouts).map_err(&corrupted)?;
                let id_bytes = id.to_le_bytes();
                fns.map(|key| key(&id_bytes, &reader, KeyMode::Full).map_err(&corrupted)).collect()
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
            self.emit_sorted(found, source, &mut distinct, visit)
        }
    }

    /// Sorts the matches `found` (each with its sort keys) and hands the ones returned
    /// to `visit`, reading each record back.
    fn emit_sorted(
        &self,
        mut found: Vec<(Vec<Vec<u8>>, Id)>,
        source: &dyn Source,
        distinct: &mut dyn FnMut(Id, &[u8]) -> Result<bool>,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        found.sort_by(|(a, a_id), (b, b_id)| {
            for ((a, b), sort) in a.iter().zip(b).zip(&self.sort) {
                let order = if sort.descending { b.cmp(a) } else { a.cmp(b) };
                if order.is_ne() {
                    return order;
                }
            }
            a_id.cmp(b_id)
        });
        if self.limit == Some(0) {
            return Ok(());
        }
        let (mut skipped, mut emitted) = (0, 0);
        let ids = found.into_iter().map(|(_, id)| id).collect();
        visit_ids(source, ids, false, &mut |id, stored| {
            let record = unseal::<C>(id, stored)?;
            if !distinct(id, record)? {
                return Ok(Flow::Continue(()));
            }
            if skipped < self.offset {
                skipped += 1;
                return Ok(Flow::Continue(()));
            }
            emitted += 1;
            let flow = visit(id, record)?;
            Ok(if Some(emitted) == self.limit { Flow::Break(()) } else { flow })
        })
    }

    /// How a scan of this query splits over threads, if it does: the ids it scans and
    /// the number of parts. A scan splits when it must test many records (the plan reads
    /// records by id, about [`SPLIT_AT`] of them or more), nothing stops it early (no limit),
    /// the order of testing does not matter (no `distinct_by`), and the source may use
    /// more than one thread.
    fn split(&self, plan: &Plan, source: &dyn Source) -> Result<Option<(Id, Id, usize)>> {
        let threads = source.threads();
        let Some((first, last, records)) = plan.scan_range() else { return Ok(None) };
        let split = threads > 1 && self.limit.is_none() && self.distinct.is_empty() && records >= SPLIT_AT;
        Ok(split.then_some((first, last, threads)))
    }

    /// [`run`](Self::run) as a scan split over threads: each part tests its records on
    /// its own thread, keeping the matches (their records, or their sort keys), and the
    /// parts are merged here in id order, or sorted. `None` where the source cannot
    /// split.
    fn run_split(
        &self,
        plan: &Plan,
        source: &dyn Source,
        (first, last, parts): (Id, Id, usize),
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Option<Result<()>> {
        let collection = source.collection();
        let layouts = &collection.layouts;
        if plan.ordered || self.sort.is_empty() {
            let keep = |id: Id, stored: &[u8], part: &mut Part| -> Result<()> {
                let record = unseal::<C>(id, stored)?;
                if self.matches_record(id, record, layouts)? {
                    part.keep(id, record);
                }
                Ok(())
            };
            let parts = match source.scan_split(first, last, parts, &keep)? {
                Ok(parts) => parts,
                Err(error) => return Some(Err(error)),
            };
            let reverse = plan.reversed();
            let mut skipped = 0;
            let mut emit = || -> Result<()> {
                let ordered: Box<dyn Iterator<Item = &Part>> =
                    if reverse { Box::new(parts.iter().rev()) } else { Box::new(parts.iter()) };
                for part in ordered {
                    let kept: Box<dyn Iterator<Item = (Id, &[u8])>> =
                        if reverse { Box::new(part.kept().rev()) } else { Box::new(part.kept()) };
                    for (id, record) in kept {
                        if skipped < self.offset {
                            skipped += 1;
                            continue;
                        }
                        if visit(id, record)?.is_break() {
                            return Ok(());
                        }
                    }
                }
                Ok(())
            };
            return Some(emit());
        }
        let corrupted = crate::error::corrupted(C::SCHEMA.name());
        let keep = |id: Id, stored: &[u8], part: &mut Part| -> Result<()> {
            let record = unseal::<C>(id, stored)?;
            if !self.matches_record(id, record, layouts)? {
                return Ok(());
            }
            let reader = RecordReader::open(record, &C::LAYOUT, layouts).map_err(&corrupted)?;
            let id_bytes = id.to_le_bytes();
            let keys = self
                .sort
                .iter()
                .map(|sort| (sort.key)(&id_bytes, &reader, KeyMode::Full).map_err(&corrupted))
                .collect::<Result<Vec<_>>>()?;
            part.keep_with(id, |bytes| {
                for key in keys {
                    bytes.extend_from_slice(&(key.len() as u64).to_le_bytes());
                    bytes.extend_from_slice(&key);
                }
            });
            Ok(())
        };
        let parts = match source.scan_split(first, last, parts, &keep)? {
            Ok(parts) => parts,
            Err(error) => return Some(Err(error)),
        };
        let found = parts
            .iter()
            .flat_map(Part::kept)
            .map(|(id, mut bytes)| {
                let mut keys = Vec::with_capacity(self.sort.len());
                while let Some((len, rest)) = bytes.split_first_chunk::<8>() {
                    let (key, rest) = rest.split_at(u64::from_le_bytes(*len) as usize);
                    keys.push(key.to_vec());
                    bytes = rest;
                }
                (keys, id)
            })
            .collect();
        Some(self.emit_sorted(found, source, &mut |_, _| Ok(true), visit))
    }

    /// How many objects the query returns. A scan that splits over threads counts each
    /// part's matches on its thread, keeping nothing else.
    pub(crate) fn count(&self, source: &dyn Source) -> Result<usize> {
        let plan = Plan::make(self, source, false)?;
        if let Some((first, last, parts)) = self.split(&plan, source)? {
            let layouts = &source.collection().layouts;
            let keep = |id: Id, stored: &[u8], part: &mut Part| -> Result<()> {
                if self.matches_record(id, unseal::<C>(id, stored)?, layouts)? {
                    part.keep_with(id, |_| {});
                }
                Ok(())
            };
            if let Some(parts) = source.scan_split(first, last, parts, &keep) {
                let matches: usize = parts?.iter().map(|part| part.ids.len()).sum();
                return Ok(matches.saturating_sub(self.offset));
            }
        }
        let mut count = 0;
        self.run_planned(&plan, source, &mut |_, _| {
            count += 1;
            Ok(Flow::Continue(()))
        })?;
        Ok(count)
    }

    /// The objects the query returns.
    pub(crate) fn find_all(&self, source: &dyn Source) -> Result<Vec<C>> {
        let layouts = &source.collection().layouts;
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

    /// Folds `field` over the objects the query returns.
    /// `step` returns whether to stop there.
    pub(crate) fn fold<T: Value, A>(
        &self,
        source: &dyn Source,
        field: Field<C, T>,
        mut acc: A,
        mut step: impl FnMut(&mut A, T::View<'_>) -> bool,
    ) -> Result<A> {
        let layouts = &source.collection().layouts;
        let corrupted = crate::error::corrupted(C::SCHEMA.name());
        self.run(source, &mut |id, record| {
            let reader = RecordReader::open(record, &C::LAYOUT, layouts).map_err(&corrupted)?;
            let id_bytes = id.to_le_bytes();
            let stop = step(&mut acc, field.read(&id_bytes, &reader).map_err(&corrupted)?);
            Ok(if stop { Flow::Break(()) } else { Flow::Continue(()) })
        })?;
        Ok(acc)
    }

    /// Says in words how the query would run on `source`.
    pub(crate) fn explain(&self, source: &dyn Source) -> Result<String> {
        let plan = Plan::make(self, source, true)?;
        let threads = self.split(&plan, source)?.map(|(_, _, threads)| threads);
        Ok(plan.describe(self, threads))
    }
}

impl<C: Collection> Request<C> {
    /// Whether the stored object `id` meets the query's conditions (offset and limit
    /// aside).
    pub(crate) fn matches(&self, id: Id, stored: &[u8], layouts: &crate::codec::Layouts) -> Result<bool> {
        self.matches_record(id, unseal::<C>(id, stored)?, layouts)
    }

    /// Whether a record, its check verified, meets the query's conditions. A scan runs it
    /// on every record, so it inlines into the scan's closure, and a damaged record's
    /// error is made only when one is met.
    #[inline(always)]
    fn matches_record(&self, id: Id, record: &[u8], layouts: &crate::codec::Layouts) -> Result<bool> {
        match self.passes_filter(id, record, layouts) {
            Ok(true) if !self.view_filters.is_empty() => {
                let view = C::view_record(id, record, layouts)?;
                Ok(crate::guard::user(|| self.view_filters.iter().all(|keep| keep(&view))))
            }
            Ok(passes) => Ok(passes),
            Err(reason) => Err(crate::error::corrupted(C::SCHEMA.name())(reason)),
        }
    }

    /// Whether a record, its check verified, meets the query's conditions (the closure
    /// filters aside).
    #[inline(always)]
    fn passes_filter(&self, id: Id, record: &[u8], layouts: &crate::codec::Layouts) -> Result<bool, Corrupt> {
        let reader = RecordReader::open(record, &C::LAYOUT, layouts)?;
        match &self.filter {
            Some(filter) => filter.node.test(&id.to_le_bytes(), &reader),
            None => Ok(true),
        }
    }
}
