//! Choosing how a query reads: a scan of the records (within an id range when the
//! conditions bound the id) or an index, and whether the reading order already is the
//! query's order.

use super::condition::{Leaf, Node, Probe};
use super::request::Request;
use crate::schema::{IndexDef, SchemaDef};
use crate::store::{Flow, KeyRange, Source, prefix_end};
use crate::{Collection, Id, Result};
use std::fmt;

/// How candidates are read.
#[derive(Debug, Clone)]
enum Route {
    /// Records with ids in `first..=last`.
    Scan { first: Id, last: Id },
    /// The ids in `ranges` of index number `number`, found as `found` says; `one_key`
    /// when they are the entries of one whole key (equality on every field of the
    /// index), which come in id order.
    Index { number: usize, ranges: Vec<KeyRange>, found: Vec<FieldUse>, one_key: bool },
    /// The ids found by several index reads, one per branch of an `or`.
    Union(Vec<IndexRead>),
}

/// One read of an index: the ids in `ranges` of index number `number`, found as `found`
/// says.
#[derive(Debug, Clone)]
struct IndexRead {
    number: usize,
    ranges: Vec<KeyRange>,
    found: Vec<FieldUse>,
}

/// How a condition on one field of an index narrows the index's key ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldUse {
    /// One value of the field.
    Equality(String),
    /// Several values of the field, one range each.
    Values(usize, String),
    /// A range of the field's values.
    Range(String),
    /// The values that start with a prefix.
    Prefix(String),
    /// Every entry, read for the order of the field.
    Order(String),
    /// The entries after a page's cursor, read for the order of the field.
    OrderAfter(String),
}

impl fmt::Display for FieldUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldUse::Equality(field) => write!(f, "equality on {field}"),
            FieldUse::Values(count, field) => write!(f, "{count} values of {field}"),
            FieldUse::Range(field) => write!(f, "range on {field}"),
            FieldUse::Prefix(field) => write!(f, "prefix of {field}"),
            FieldUse::Order(field) => write!(f, "every entry, for the order of {field}"),
            FieldUse::OrderAfter(field) => {
                write!(f, "the entries after the cursor, for the order of {field}")
            }
        }
    }
}

/// A query's plan.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    route: Route,
    /// Candidates come in the query's sort order.
    pub(crate) ordered: bool,
    /// Candidates are read in index key order (else in id order).
    walk_index: bool,
    /// Read the access path backwards (a descending order).
    reverse: bool,
    /// How many candidates the access path was estimated to give.
    estimate: u64,
    total: u64,
}

/// The 8-byte big-endian key of an id, as a number.
fn id_of(key: &[u8]) -> Option<Id> {
    key.try_into().ok().map(u64::from_be_bytes)
}

/// Whether an index on `field` keeps the values' order exactly (see
/// [`crate::schema::StoredType::keys_keep_order`]).
fn keeps_order(schema: &SchemaDef, field: &str) -> bool {
    schema.field(field).is_some_and(|field| field.ty.keys_keep_order())
}

/// The keys of an index, case-insensitive or not, that hold the values `probe` accepts,
/// when it accepts a list of values.
fn eq_keys_in(probe: &Probe, case_insensitive: bool) -> Option<Vec<&[u8]>> {
    match probe {
        Probe::Eq(keys) => {
            Some(keys.iter().map(|key| key[usize::from(case_insensitive)].as_slice()).collect())
        }
        Probe::FoldedEq(keys) if case_insensitive => Some(keys.iter().map(Vec::as_slice).collect()),
        _ => None,
    }
}

/// The key ranges of `index` that hold every object meeting `leaves`, and how they were
/// found; `None` when no required condition bears on the index's first field.
fn index_ranges(index: &IndexDef, leaves: &[&Leaf]) -> Option<(Vec<KeyRange>, Vec<FieldUse>)> {
    let folded = index.case_insensitive;
    let mut prefix = Vec::new();
    let mut how = Vec::new();
    for (position, field) in index.fields.iter().enumerate() {
        let on_field = || {
            leaves
                .iter()
                .filter(|leaf| !leaf.is_id && leaf.field == field.as_str())
                .filter_map(|leaf| leaf.probe.as_ref())
        };
        let single = on_field().find_map(|probe| match eq_keys_in(probe, folded)?.as_slice() {
            [key] => Some(key.to_vec()),
            _ => None,
        });
        if let Some(key) = single {
            prefix.extend_from_slice(&key);
            how.push(FieldUse::Equality(field.clone()));
            continue;
        }
        let ranges = on_field().find_map(|probe| match (probe, eq_keys_in(probe, folded)) {
            (_, Some(keys)) => Some((
                keys.iter().map(|key| KeyRange::prefix([prefix.as_slice(), key].concat())).collect(),
                FieldUse::Values(keys.len(), field.clone()),
            )),
            (Probe::Range { lower, upper }, None) if !folded => {
                let mut start = prefix.clone();
                start.extend_from_slice(lower.as_deref().unwrap_or_default());
                let end = match upper {
                    Some(upper) => prefix_end(&[prefix.as_slice(), upper].concat()),
                    None => prefix_end(&prefix),
                };
                Some((vec![KeyRange { start, end }], FieldUse::Range(field.clone())))
            }
            (Probe::Prefix(start), None) if !folded => Some((
                vec![KeyRange::prefix([prefix.as_slice(), start].concat())],
                FieldUse::Prefix(field.clone()),
            )),
            (Probe::FoldedPrefix(start), None) if folded => Some((
                vec![KeyRange::prefix([prefix.as_slice(), start].concat())],
                FieldUse::Prefix(field.clone()),
            )),
            _ => None,
        });
        return match ranges {
            Some((ranges, used)) => {
                how.push(used);
                Some((ranges, how))
            }
            None if position == 0 => None,
            None => Some((vec![KeyRange::prefix(prefix)], how)),
        };
    }
    Some((vec![KeyRange::prefix(prefix)], how))
}

/// Whether every use is an equality.
fn only_equalities(found: &[FieldUse]) -> bool {
    found.iter().all(|used| matches!(used, FieldUse::Equality(_)))
}

/// Whether `ranges` are the entries of one whole key of index `number`.
fn one_key(schema: &SchemaDef, number: usize, ranges: &[KeyRange], found: &[FieldUse]) -> bool {
    ranges.len() == 1 && only_equalities(found) && found.len() == schema.indexes[number].fields.len()
}

/// Appends the ids in `ranges` of index `number` to `ids`.
fn gather_ids(source: &dyn Source, number: usize, ranges: &[KeyRange], ids: &mut Vec<Id>) -> Result<()> {
    for range in ranges {
        source.index_ids(number, range, false, &mut |_, id| {
            ids.push(id);
            Ok(Flow::Continue(()))
        })?;
    }
    Ok(())
}

/// Calls `visit` with the record of each id, in id order (sorted first, duplicates
/// dropped, when `sort`), until it breaks.
pub(super) fn visit_ids(
    source: &dyn Source,
    mut ids: Vec<Id>,
    sort: bool,
    visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
) -> Result<()> {
    if sort {
        ids.sort_unstable();
        ids.dedup();
    }
    for id in ids {
        let mut flow = Flow::Continue(());
        source.record(id, &mut |record| {
            flow = visit(id, record)?;
            Ok(())
        })?;
        if flow.is_break() {
            break;
        }
    }
    Ok(())
}

/// Counts the ids in `ranges`, stopping at `cap`.
fn count_ids(source: &dyn Source, number: usize, ranges: &[KeyRange], cap: u64) -> Result<u64> {
    let mut count = 0;
    for range in ranges {
        source.index_ids(number, range, false, &mut |_, _| {
            count += 1;
            Ok(if count >= cap { Flow::Break(()) } else { Flow::Continue(()) })
        })?;
        if count >= cap {
            break;
        }
    }
    Ok(count)
}

/// The index reads whose union holds every object that meets `node`: one per branch of
/// an `or` (nested `or`s flattened), each the index that the branch's required
/// conditions narrow most by key; `None` when some branch no index serves.
fn union_reads(schema: &SchemaDef, node: &Node) -> Option<Vec<IndexRead>> {
    match node {
        Node::Or(branches) => {
            let reads: Option<Vec<Vec<IndexRead>>> =
                branches.iter().map(|branch| union_reads(schema, branch)).collect();
            reads.map(|reads| reads.into_iter().flatten().collect())
        }
        node => {
            let leaves = node.required_leaves();
            let reads = schema.indexes.iter().enumerate().filter_map(|(number, index)| {
                index_ranges(index, &leaves).map(|(ranges, found)| IndexRead { number, ranges, found })
            });
            // The read that uses the most fields of its index, and of those the first.
            let best = reads.rev().max_by_key(|read| read.found.len())?;
            Some(vec![best])
        }
    }
}

/// The `or`s every match must meet: the root, or a part of a root `and`.
fn required_ors(node: &Node) -> Vec<&Node> {
    match node {
        Node::Or(_) => vec![node],
        Node::And(nodes) => nodes.iter().flat_map(required_ors).collect(),
        Node::Leaf(_) | Node::Not(_) | Node::Xor(..) => Vec::new(),
    }
}

impl Plan {
    /// Plans `spec` on `source`.
    pub(crate) fn make<C: Collection>(spec: &Request<C>, source: &dyn Source, explain: bool) -> Result<Plan> {
        spec.check_cursor()?;
        let schema = &source.collection().schema;
        let leaves = spec.filter.as_ref().map(|filter| filter.node.required_leaves()).unwrap_or_default();

        // Conditions on the id bound the scan.
        let (mut first, mut last) = (0, Id::MAX);
        for leaf in leaves.iter().filter(|leaf| leaf.is_id) {
            match &leaf.probe {
                Some(Probe::Eq(keys)) => {
                    let ids: Vec<Id> = keys.iter().filter_map(|key| id_of(&key[0])).collect();
                    first = first.max(ids.iter().copied().min().unwrap_or(Id::MAX));
                    last = last.min(ids.iter().copied().max().unwrap_or(0));
                }
                Some(Probe::Range { lower, upper }) => {
                    first = first.max(lower.as_deref().and_then(id_of).unwrap_or(0));
                    last = last.min(upper.as_deref().and_then(id_of).unwrap_or(Id::MAX));
                }
                _ => {}
            }
        }
        // The index with the fewest candidates, if it is no worse than the scan (an
        // index entry costs about what a record does, and says more).
        let candidates: Vec<(usize, Vec<KeyRange>, Vec<FieldUse>)> = schema
            .indexes
            .iter()
            .enumerate()
            .filter_map(|(number, index)| {
                index_ranges(index, &leaves).map(|(ranges, how)| (number, ranges, how))
            })
            .collect();
        // One index, reached by equality only, is taken without counting its entries
        // (which would read them twice) unless the plan is to be explained.
        if let [(number, ranges, found)] = candidates.as_slice()
            && !explain
            && only_equalities(found)
        {
            let one_key = one_key(schema, *number, ranges, found);
            let route =
                Route::Index { number: *number, ranges: ranges.clone(), found: found.clone(), one_key };
            // The collection's size only serves `explain`, which never comes here.
            return Ok(Plan::finish(spec, schema, route, u64::MAX, 0));
        }
        let total = source.len()?;
        let scan = Route::Scan { first, last };
        let scan_estimate =
            if first > last { 0 } else { total.min(last - first).saturating_add(1).min(total) };
        let mut best: Option<(Route, u64)> = None;
        for (number, ranges, found) in candidates {
            let cap = best.as_ref().map_or(scan_estimate.saturating_add(1), |(_, count)| *count);
            let count = count_ids(source, number, &ranges, cap)?;
            if count < cap {
                let one_key = one_key(schema, number, &ranges, &found);
                best = Some((Route::Index { number, ranges, found, one_key }, count));
            }
        }
        // An `or` whose every branch an index serves reads the union of those indexes.
        let ors = spec.filter.as_ref().map(|filter| required_ors(&filter.node)).unwrap_or_default();
        for or in ors {
            let Some(reads) = union_reads(schema, or) else { continue };
            let cap = best.as_ref().map_or(scan_estimate.saturating_add(1), |(_, count)| *count);
            let mut count = 0;
            for read in &reads {
                count += count_ids(source, read.number, &read.ranges, cap - count)?;
                if count >= cap {
                    break;
                }
            }
            if count < cap {
                best = Some((Route::Union(reads), count));
            }
        }
        let (route, estimate) = best.unwrap_or((scan, scan_estimate));
        Ok(Plan::finish(spec, schema, route, estimate, total))
    }

    /// The ids a plan that reads records by id scans, `first..=last`, and about how many
    /// records that is; `None` for one that reads an index.
    pub(crate) fn scan_range(&self) -> Option<(Id, Id, u64)> {
        match self.route {
            Route::Scan { first, last } => Some((first, last, self.estimate)),
            Route::Index { .. } | Route::Union(_) => None,
        }
    }

    /// Whether candidates come in reverse order (a descending sort the plan reads in).
    pub(crate) fn reversed(&self) -> bool {
        self.ordered && self.reverse
    }

    /// Decides the order of reading for the chosen access path.
    fn finish<C: Collection>(
        spec: &Request<C>,
        schema: &SchemaDef,
        mut route: Route,
        mut estimate: u64,
        total: u64,
    ) -> Plan {
        // Reading in the sort's order saves sorting, and lets a limit stop early.
        let (mut ordered, mut reverse, mut walk_index) = (false, false, false);
        if let [sort] = spec.sort.as_slice() {
            reverse = sort.descending;
            if sort.is_id {
                ordered = matches!(route, Route::Scan { .. });
            } else if keeps_order(schema, sort.field) {
                // Only an index of this one field: a composite one orders ties by its
                // next field, and ties must go by id.
                let sorted_index = schema.indexes.iter().position(|index| {
                    index.fields.len() == 1 && index.fields[0] == sort.field && !index.case_insensitive
                });
                match (&route, sorted_index) {
                    (Route::Index { number, .. }, Some(sorted)) => {
                        ordered = *number == sorted;
                        walk_index = ordered;
                    }
                    (Route::Scan { first: 0, last: Id::MAX }, Some(sorted)) => {
                        route = Route::Index {
                            number: sorted,
                            ranges: vec![spec.walk_from.clone().unwrap_or_else(KeyRange::all)],
                            found: vec![match spec.walk_from {
                                Some(_) => FieldUse::OrderAfter(sort.field.to_owned()),
                                None => FieldUse::Order(sort.field.to_owned()),
                            }],
                            one_key: false,
                        };
                        estimate = total;
                        (ordered, walk_index) = (true, true);
                    }
                    _ => {}
                }
            }
        } else if spec.sort.is_empty() {
            ordered = true;
        }
        Plan { route, ordered, walk_index, reverse, estimate, total }
    }

    /// Calls `visit` with each candidate record: in id order (reversed for a descending
    /// id sort), or in index order when the plan is ordered by an index.
    pub(crate) fn candidates(
        &self,
        source: &dyn Source,
        visit: &mut dyn FnMut(Id, &[u8]) -> Result<Flow>,
    ) -> Result<()> {
        match &self.route {
            Route::Scan { first, last } => {
                if first <= last {
                    source.scan(*first, *last, self.ordered && self.reverse, visit)?;
                }
                Ok(())
            }
            Route::Index { number, ranges, .. } if self.walk_index => {
                let mut ranges: Vec<&KeyRange> = ranges.iter().collect();
                ranges.sort_by(|a, b| a.start.cmp(&b.start));
                if self.reverse {
                    ranges.reverse();
                }
                let mut flow = Flow::Continue(());
                let mut emit = |id: Id, flow: &mut Flow| -> Result<()> {
                    source.record(id, &mut |record| {
                        *flow = visit(id, record)?;
                        Ok(())
                    })?;
                    Ok(())
                };
                // Ties go by id, ascending, even when the keys are read backwards: the
                // ids of one key are gathered and sent in reverse.
                let mut tie: (Vec<u8>, Vec<Id>) = (Vec::new(), Vec::new());
                for range in ranges {
                    source.index_ids(*number, range, self.reverse, &mut |key, id| {
                        if !self.reverse {
                            emit(id, &mut flow)?;
                            return Ok(flow);
                        }
                        if key != tie.0.as_slice() {
                            for &id in tie.1.iter().rev() {
                                emit(id, &mut flow)?;
                                if flow.is_break() {
                                    return Ok(flow);
                                }
                            }
                            tie = (key.to_vec(), Vec::new());
                        }
                        tie.1.push(id);
                        Ok(Flow::Continue(()))
                    })?;
                    if flow.is_break() {
                        return Ok(());
                    }
                }
                for &id in tie.1.iter().rev() {
                    emit(id, &mut flow)?;
                    if flow.is_break() {
                        break;
                    }
                }
                Ok(())
            }
            Route::Index { number, ranges, one_key: true, .. } if ranges.len() == 1 => {
                // One key's entries are in id order (the id ends each entry): stream them.
                source.index_ids(*number, &ranges[0], false, &mut |_, id| {
                    let mut flow = Flow::Continue(());
                    source.record(id, &mut |record| {
                        flow = visit(id, record)?;
                        Ok(())
                    })?;
                    Ok(flow)
                })
            }
            Route::Index { number, ranges, one_key, .. } => {
                let mut ids = Vec::new();
                gather_ids(source, *number, ranges, &mut ids)?;
                // One key's entries are already in id order (the id ends each entry);
                // several ranges, or a range of keys, need sorting.
                visit_ids(source, ids, !*one_key, visit)
            }
            Route::Union(reads) => {
                let mut ids = Vec::new();
                for read in reads {
                    gather_ids(source, read.number, &read.ranges, &mut ids)?;
                }
                visit_ids(source, ids, true, visit)
            }
        }
    }

    /// The plan in words.
    pub(crate) fn describe<C: Collection>(&self, spec: &Request<C>, threads: Option<usize>) -> String {
        let mut steps = Vec::new();
        match &self.route {
            Route::Scan { first: 0, last: Id::MAX } => {
                steps.push(format!("full scan of the {} objects of `{}`", self.total, C::SCHEMA.name()))
            }
            Route::Scan { first, last } => steps.push(format!(
                "scan of ids {first}..={last} of `{}` (about {} objects)",
                C::SCHEMA.name(),
                self.estimate
            )),
            Route::Index { number, ranges, found, .. } => steps.push(format!(
                "{}, about {} candidates of {})",
                read_in_words::<C>(*number, ranges, found),
                self.estimate,
                self.total
            )),
            Route::Union(reads) => {
                let reads: Vec<String> = reads
                    .iter()
                    .map(|read| format!("{})", read_in_words::<C>(read.number, &read.ranges, &read.found)))
                    .collect();
                steps.push(format!(
                    "union of {} index reads, one per branch of an `or`: {}; about {} candidates of {}",
                    reads.len(),
                    reads.join(", "),
                    self.estimate,
                    self.total
                ));
            }
        }
        if let Some(threads) = threads {
            steps.push(format!("split into {threads} parts, each tested on a thread of its own"));
        }
        if let Some(filter) = &spec.filter {
            steps.push(format!("test each candidate on its stored record: {}", filter.node.text()));
        }
        if !spec.view_filters.is_empty() {
            steps.push(format!("then {} closure filter(s) on the view", spec.view_filters.len()));
        }
        let order: Vec<String> = spec.sort.iter().map(|sort| format!("{sort:?}")).collect();
        match (spec.sort.is_empty(), self.ordered) {
            (true, _) => steps.push("in id order".to_owned()),
            (false, true) => steps.push(format!("already in the order of {} (no sort)", order.join(", "))),
            (false, false) => steps.push(format!("sort the matches by {}, then id", order.join(", "))),
        }
        if !spec.distinct.is_empty() {
            let fields: Vec<&str> = spec.distinct.iter().map(|(field, _)| *field).collect();
            steps.push(format!("keep the first of each {}", fields.join("+")));
        }
        if spec.offset > 0 {
            steps.push(format!("skip {}", spec.offset));
        }
        if let Some(limit) = spec.limit {
            steps.push(format!("stop after {limit}"));
        }
        steps.join("; ")
    }
}

/// An index read in words, its parenthesis left open: "index `author` (equality on
/// author; 1 key range".
fn read_in_words<C: Collection>(number: usize, ranges: &[KeyRange], found: &[FieldUse]) -> String {
    let name = C::SCHEMA.indexes().get(number).map(|index| index.display_name()).unwrap_or_default();
    let uses: Vec<String> = found.iter().map(ToString::to_string).collect();
    let plural = if ranges.len() == 1 { "" } else { "s" };
    format!("index `{name}` ({}; {} key range{plural}", uses.join(", "), ranges.len())
}
