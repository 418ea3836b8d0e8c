//! Queries against a model: random objects, random put/replace/delete sequences and
//! random queries, each result checked against a plain `Vec` filter, and `verify()`
//! after each sequence. Then the planner's choices, in `explain`, and the terminals.

use crate::common::proptest_config;
use insula::prelude::*;
use insula::{Condition, Error, Sort};
use proptest::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Item {
    #[id]
    pub id: Id,
    #[index]
    pub name: String,
    #[index(case_insensitive)]
    pub label: String,
    #[index(composite(rank))]
    pub group: u8,
    pub rank: i32,
    #[index]
    pub score: f64,
    #[index]
    pub tags: Vec<String>,
    #[index]
    pub parent: Option<u64>,
    pub note: String,
    #[index(unique)]
    pub code: Option<u32>,
    #[index(case_insensitive)]
    pub nick: Option<String>,
    pub aliases: Option<Vec<String>>,
}

fn long_name(suffix: &str) -> String {
    format!("{}{suffix}", "x".repeat(300))
}

fn names() -> Vec<String> {
    let mut names: Vec<String> =
        ["", "a", "ab", "b", "ba", "c\u{0}d", "é"].iter().map(|s| s.to_string()).collect();
    names.extend([long_name("1"), long_name("2"), long_name("")]);
    names
}

const LABELS: [&str; 8] = ["Ada", "ada", "ADA", "bob", "Bob", "ΟΔΟΣ", "οδος", "Straße"];
/// Needles for the conditions that ignore case: some differ from every label only in
/// case, some are prefixes or parts of one.
const FOLDED: [&str; 9] = ["ada", "AD", "BOB", "b", "ΟΔΟΣ", "οδοσ", "STRASSE", "straße", "*S?"];

/// A string as Insula folds it for the conditions that ignore case.
fn fold(text: &str) -> String {
    if text.chars().any(char::is_uppercase) { text.to_lowercase() } else { text.to_owned() }
}

/// Whether `text` matches `pattern`, where `*` stands for any run and `?` for one char.
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| wildcard(rest, &text[skip..])),
        Some((&c, rest)) => {
            text.split_first().is_some_and(|(&t, tail)| (c == '?' || c == t) && wildcard(rest, tail))
        }
    }
}

fn matches(pattern: &str, text: &str) -> bool {
    wildcard(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>())
}
const SCORES: [f64; 8] = [-1.5, -0.0, 0.0, 1.0, 2.5, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
const TAGS: [&str; 4] = ["red", "green", "blue", "x"];

fn item() -> impl Strategy<Value = Item> {
    (
        prop::sample::select(names()),
        prop::sample::select(LABELS.to_vec()),
        0u8..3,
        -2i32..3,
        prop::sample::select(SCORES.to_vec()),
        prop::collection::vec(prop::sample::select(TAGS.to_vec()), 0..4),
        prop::option::of(0u64..4),
        prop::sample::select(vec!["hello world", "", "say hello", "bye"]),
        prop::option::weighted(0.9, 0u32..12),
        (
            prop::option::of(prop::sample::select(LABELS.to_vec())),
            prop::option::of(prop::collection::vec(prop::sample::select(LABELS.to_vec()), 0..3)),
        ),
    )
        .prop_map(|(name, label, group, rank, score, tags, parent, note, code, (nick, aliases))| Item {
            id: 0,
            name,
            label: label.to_owned(),
            group,
            rank,
            score,
            tags: tags.into_iter().map(str::to_owned).collect(),
            parent,
            note: note.to_owned(),
            code,
            nick: nick.map(str::to_owned),
            aliases: aliases.map(|aliases| aliases.into_iter().map(str::to_owned).collect()),
        })
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Item),
    Replace(usize, Item),
    Delete(usize),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => item().prop_map(Op::Insert),
        3 => (any::<usize>(), item()).prop_map(|(at, item)| Op::Replace(at, item)),
        2 => any::<usize>().prop_map(Op::Delete),
        1 => Just(Op::Clear),
    ]
}

/// A condition, as data: it becomes both an Insula condition and a model predicate.
#[derive(Debug, Clone)]
enum Cond {
    NameEq(String),
    NameNe(String),
    NameGt(String),
    NameLt(String),
    NameLe(String),
    NameBetween(String, String),
    NameStarts(String),
    NameEnds(String),
    NameAnyOf(Vec<String>),
    LabelEq(String),
    GroupEq(u8),
    GroupAndRank(u8, i32),
    RankLe(i32),
    RankLt(i32),
    ScoreEq(f64),
    ScoreGt(f64),
    ScoreGe(f64),
    ScoreLt(f64),
    ScoreBetween(f64, f64),
    TagsContain(String),
    TagsEmpty,
    ParentNone,
    ParentSome,
    ParentGe(u64),
    ParentLt(u64),
    NoteContains(String),
    CodeEq(u32),
    IdBetween(u64, u64),
    IdLt(u64),
    LabelEqCi(String),
    LabelAnyOfCi(Vec<String>),
    LabelStartsCi(String),
    LabelMatchesCi(String),
    NameStartsCi(String),
    NoteContainsCi(String),
    NickEqCi(String),
    NickEndsCi(String),
    NickStartsCi(String),
    TagsElementGt(String),
    TagsElementLe(String),
    TagsElementBetween(String, String),
    TagsElementNe(String),
    TagsElementStarts(String),
    TagsElementMatches(String),
    TagsElementEqCi(String),
    TagsLen(usize, usize),
    ScoreWithin(f64, f64),
    AliasesContain(String),
    AliasesEmpty,
    AliasesLenGt(usize),
    AliasesElementContainsCi(String),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Xor(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

fn leaf() -> impl Strategy<Value = Cond> {
    let name = || prop::sample::select(names());
    let score = || prop::sample::select(SCORES.to_vec());
    prop_oneof![
        name().prop_map(Cond::NameEq),
        name().prop_map(Cond::NameNe),
        name().prop_map(Cond::NameGt),
        name().prop_map(Cond::NameLt),
        name().prop_map(Cond::NameLe),
        (name(), name()).prop_map(|(a, b)| Cond::NameBetween(a, b)),
        prop::sample::select(vec!["", "a", "x", "xxx", "c\u{0}"])
            .prop_map(|p| Cond::NameStarts(p.to_owned())),
        prop::sample::select(vec!["", "a", "b", "1"]).prop_map(|p| Cond::NameEnds(p.to_owned())),
        prop::collection::vec(name(), 0..3).prop_map(Cond::NameAnyOf),
        prop::sample::select(LABELS.to_vec()).prop_map(|l| Cond::LabelEq(l.to_owned())),
        (0u8..3).prop_map(Cond::GroupEq),
        (0u8..3, -2i32..3).prop_map(|(g, r)| Cond::GroupAndRank(g, r)),
        (-2i32..3).prop_map(Cond::RankLe),
        (-2i32..3).prop_map(Cond::RankLt),
        score().prop_map(Cond::ScoreEq),
        score().prop_map(Cond::ScoreGt),
        score().prop_map(Cond::ScoreGe),
        score().prop_map(Cond::ScoreLt),
        (score(), score()).prop_map(|(a, b)| Cond::ScoreBetween(a, b)),
        prop::sample::select(TAGS.to_vec()).prop_map(|t| Cond::TagsContain(t.to_owned())),
        Just(Cond::TagsEmpty),
        Just(Cond::ParentNone),
        Just(Cond::ParentSome),
        (0u64..4).prop_map(Cond::ParentGe),
        (0u64..4).prop_map(Cond::ParentLt),
        prop::sample::select(vec!["hello", "o w", ""]).prop_map(|n| Cond::NoteContains(n.to_owned())),
        (0u32..6).prop_map(Cond::CodeEq),
        (0u64..30, 0u64..30).prop_map(|(a, b)| Cond::IdBetween(a, b)),
        (0u64..30).prop_map(Cond::IdLt),
    ]
    .boxed()
    .prop_union(texts_and_lists().boxed())
}

/// The conditions that ignore case, on list elements, on list lengths, on optional
/// lists, and floats within an epsilon.
fn texts_and_lists() -> impl Strategy<Value = Cond> {
    let folded = || prop::sample::select(FOLDED.to_vec()).prop_map(str::to_owned);
    let tag = || prop::sample::select(vec!["", "g", "green", "r", "x", "*e*", "?"]).prop_map(str::to_owned);
    let label = || prop::sample::select(LABELS.to_vec()).prop_map(str::to_owned);
    prop_oneof![
        folded().prop_map(Cond::LabelEqCi),
        prop::collection::vec(folded(), 0..3).prop_map(Cond::LabelAnyOfCi),
        folded().prop_map(Cond::LabelStartsCi),
        folded().prop_map(Cond::LabelMatchesCi),
        prop::sample::select(vec!["A", "X", "É", ""]).prop_map(|p| Cond::NameStartsCi(p.to_owned())),
        prop::sample::select(vec!["HELLO", "O W", "Bye"]).prop_map(|n| Cond::NoteContainsCi(n.to_owned())),
        folded().prop_map(Cond::NickEqCi),
        folded().prop_map(Cond::NickEndsCi),
        folded().prop_map(Cond::NickStartsCi),
        tag().prop_map(Cond::TagsElementGt),
        tag().prop_map(Cond::TagsElementLe),
        (tag(), tag()).prop_map(|(a, b)| Cond::TagsElementBetween(a, b)),
        tag().prop_map(Cond::TagsElementNe),
        tag().prop_map(Cond::TagsElementStarts),
        tag().prop_map(Cond::TagsElementMatches),
        prop::sample::select(vec!["RED", "Green", "x"]).prop_map(|t| Cond::TagsElementEqCi(t.to_owned())),
        (0usize..4, 0usize..4).prop_map(|(a, b)| Cond::TagsLen(a, b)),
        (prop::sample::select(SCORES.to_vec()), prop::sample::select(vec![0.0, 0.5, 1.0, 2.0, -1.0]))
            .prop_map(|(value, epsilon)| Cond::ScoreWithin(value, epsilon)),
        label().prop_map(Cond::AliasesContain),
        Just(Cond::AliasesEmpty),
        (0usize..3).prop_map(Cond::AliasesLenGt),
        folded().prop_map(Cond::AliasesElementContainsCi),
    ]
}

fn cond() -> impl Strategy<Value = Cond> {
    leaf().prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Xor(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Cond::Not(Box::new(a))),
        ]
    })
}

/// Floats in key order: `-0.0 == 0.0`, NaN after `+inf`.
fn float_order(a: f64, b: f64) -> Ordering {
    let bits = |v: f64| {
        let v = if v == 0.0 {
            0.0
        } else if v.is_nan() {
            f64::NAN
        } else {
            v
        };
        let bits = v.to_bits();
        if bits >> 63 == 1 { !bits } else { bits ^ (1 << 63) }
    };
    bits(a).cmp(&bits(b))
}

impl Cond {
    fn condition(&self) -> Condition<Item> {
        match self.clone() {
            Cond::NameEq(v) => Item::NAME.eq(&v),
            Cond::NameNe(v) => Item::NAME.ne(&v),
            Cond::NameGt(v) => Item::NAME.gt(&v),
            Cond::NameLt(v) => Item::NAME.lt(&v),
            Cond::NameLe(v) => Item::NAME.le(&v),
            Cond::NameBetween(a, b) => Item::NAME.between(&a, &b),
            Cond::NameStarts(p) => Item::NAME.starts_with(&p),
            Cond::NameEnds(p) => Item::NAME.ends_with(&p),
            Cond::NameAnyOf(values) => Item::NAME.any_of(values.iter().map(String::as_str)),
            Cond::LabelEq(v) => Item::LABEL.eq(&v),
            Cond::GroupEq(g) => Item::GROUP.eq(g),
            Cond::GroupAndRank(g, r) => Item::GROUP.eq(g).and(Item::RANK.ge(r)),
            Cond::RankLe(r) => Item::RANK.le(r),
            Cond::RankLt(r) => Item::RANK.lt(r),
            Cond::ScoreEq(s) => Item::SCORE.eq(s),
            Cond::ScoreGt(s) => Item::SCORE.gt(s),
            Cond::ScoreGe(s) => Item::SCORE.ge(s),
            Cond::ScoreLt(s) => Item::SCORE.lt(s),
            Cond::ScoreBetween(a, b) => Item::SCORE.between(a, b),
            Cond::TagsContain(t) => Item::TAGS.contains(&t),
            Cond::TagsEmpty => Item::TAGS.is_empty(),
            Cond::ParentNone => Item::PARENT.is_none(),
            Cond::ParentSome => Item::PARENT.is_some(),
            Cond::ParentGe(p) => Item::PARENT.ge(Some(p)),
            Cond::ParentLt(p) => Item::PARENT.lt(Some(p)),
            Cond::NoteContains(n) => Item::NOTE.contains(&n),
            Cond::CodeEq(c) => Item::CODE.eq(Some(c)),
            Cond::IdBetween(a, b) => Item::ID.between(a, b),
            Cond::IdLt(a) => Item::ID.lt(a),
            Cond::LabelEqCi(v) => Item::LABEL.ignore_case().eq(&v),
            Cond::LabelAnyOfCi(values) => Item::LABEL.ignore_case().any_of(values.iter().map(String::as_str)),
            Cond::LabelStartsCi(p) => Item::LABEL.ignore_case().starts_with(&p),
            Cond::LabelMatchesCi(p) => Item::LABEL.ignore_case().matches(&p),
            Cond::NameStartsCi(p) => Item::NAME.ignore_case().starts_with(&p),
            Cond::NoteContainsCi(n) => Item::NOTE.ignore_case().contains(&n),
            Cond::NickEqCi(v) => Item::NICK.ignore_case().eq(&v),
            Cond::NickEndsCi(v) => Item::NICK.ignore_case().ends_with(&v),
            Cond::NickStartsCi(v) => Item::NICK.ignore_case().starts_with(&v),
            Cond::TagsElementGt(t) => Item::TAGS.element().gt(&t),
            Cond::TagsElementLe(t) => Item::TAGS.element().le(&t),
            Cond::TagsElementBetween(a, b) => Item::TAGS.element().between(&a, &b),
            Cond::TagsElementNe(t) => Item::TAGS.element().ne(&t),
            Cond::TagsElementStarts(t) => Item::TAGS.element().starts_with(&t),
            Cond::TagsElementMatches(t) => Item::TAGS.element().matches(&t),
            Cond::TagsElementEqCi(t) => Item::TAGS.element().ignore_case().eq(&t),
            Cond::TagsLen(a, b) => Item::TAGS.len_between(a, b),
            Cond::ScoreWithin(value, epsilon) => Item::SCORE.eq_within(value, epsilon),
            Cond::AliasesContain(a) => Item::ALIASES.contains(&a),
            Cond::AliasesEmpty => Item::ALIASES.is_empty(),
            Cond::AliasesLenGt(n) => Item::ALIASES.len_gt(n),
            Cond::AliasesElementContainsCi(p) => Item::ALIASES.element().ignore_case().contains(&p),
            Cond::And(a, b) => a.condition().and(b.condition()),
            Cond::Or(a, b) => a.condition().or(b.condition()),
            Cond::Xor(a, b) => a.condition().xor(b.condition()),
            Cond::Not(a) => a.condition().not(),
        }
    }

    fn test(&self, item: &Item) -> bool {
        match self {
            Cond::NameEq(v) => item.name == *v,
            Cond::NameNe(v) => item.name != *v,
            Cond::NameGt(v) => item.name > *v,
            Cond::NameLt(v) => item.name < *v,
            Cond::NameLe(v) => item.name <= *v,
            Cond::NameBetween(a, b) => item.name >= *a && item.name <= *b,
            Cond::NameStarts(p) => item.name.starts_with(p.as_str()),
            Cond::NameEnds(p) => item.name.ends_with(p.as_str()),
            Cond::NameAnyOf(values) => values.contains(&item.name),
            Cond::LabelEq(v) => item.label == *v,
            Cond::GroupEq(g) => item.group == *g,
            Cond::GroupAndRank(g, r) => item.group == *g && item.rank >= *r,
            Cond::RankLe(r) => item.rank <= *r,
            Cond::RankLt(r) => item.rank < *r,
            Cond::ScoreEq(s) => float_order(item.score, *s).is_eq(),
            Cond::ScoreGt(s) => float_order(item.score, *s).is_gt(),
            Cond::ScoreGe(s) => float_order(item.score, *s).is_ge(),
            Cond::ScoreLt(s) => float_order(item.score, *s).is_lt(),
            Cond::ScoreBetween(a, b) => {
                float_order(item.score, *a).is_ge() && float_order(item.score, *b).is_le()
            }
            Cond::TagsContain(t) => item.tags.contains(t),
            Cond::TagsEmpty => item.tags.is_empty(),
            Cond::ParentNone => item.parent.is_none(),
            Cond::ParentSome => item.parent.is_some(),
            Cond::ParentGe(p) => item.parent >= Some(*p),
            Cond::ParentLt(p) => item.parent < Some(*p),
            Cond::NoteContains(n) => item.note.contains(n.as_str()),
            Cond::CodeEq(c) => item.code == Some(*c),
            Cond::IdBetween(a, b) => item.id >= *a && item.id <= *b,
            Cond::IdLt(a) => item.id < *a,
            Cond::LabelEqCi(v) => fold(&item.label) == fold(v),
            Cond::LabelAnyOfCi(values) => values.iter().any(|v| fold(&item.label) == fold(v)),
            Cond::LabelStartsCi(p) => fold(&item.label).starts_with(&fold(p)),
            Cond::LabelMatchesCi(p) => matches(&fold(p), &fold(&item.label)),
            Cond::NameStartsCi(p) => fold(&item.name).starts_with(&fold(p)),
            Cond::NoteContainsCi(n) => fold(&item.note).contains(&fold(n)),
            Cond::NickEqCi(v) => item.nick.as_ref().is_some_and(|nick| fold(nick) == fold(v)),
            Cond::NickEndsCi(v) => item.nick.as_ref().is_some_and(|nick| fold(nick).ends_with(&fold(v))),
            Cond::NickStartsCi(v) => item.nick.as_ref().is_some_and(|nick| fold(nick).starts_with(&fold(v))),
            Cond::TagsElementGt(t) => item.tags.iter().any(|tag| tag > t),
            Cond::TagsElementLe(t) => item.tags.iter().any(|tag| tag <= t),
            Cond::TagsElementBetween(a, b) => item.tags.iter().any(|tag| tag >= a && tag <= b),
            Cond::TagsElementNe(t) => item.tags.iter().any(|tag| tag != t),
            Cond::TagsElementStarts(t) => item.tags.iter().any(|tag| tag.starts_with(t.as_str())),
            Cond::TagsElementMatches(t) => item.tags.iter().any(|tag| matches(t, tag)),
            Cond::TagsElementEqCi(t) => item.tags.iter().any(|tag| fold(tag) == fold(t)),
            Cond::TagsLen(a, b) => (*a..=*b).contains(&item.tags.len()),
            Cond::ScoreWithin(value, epsilon) => {
                float_order(item.score, value - epsilon).is_ge()
                    && float_order(item.score, value + epsilon).is_le()
            }
            Cond::AliasesContain(a) => item.aliases.as_ref().is_some_and(|aliases| aliases.contains(a)),
            Cond::AliasesEmpty => item.aliases.as_ref().is_some_and(Vec::is_empty),
            Cond::AliasesLenGt(n) => item.aliases.as_ref().is_some_and(|aliases| aliases.len() > *n),
            Cond::AliasesElementContainsCi(p) => item
                .aliases
                .as_ref()
                .is_some_and(|aliases| aliases.iter().any(|a| fold(a).contains(&fold(p)))),
            Cond::And(a, b) => a.test(item) && b.test(item),
            Cond::Or(a, b) => a.test(item) || b.test(item),
            Cond::Xor(a, b) => a.test(item) != b.test(item),
            Cond::Not(a) => !a.test(item),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum SortKey {
    Name,
    Score,
    Rank,
    Parent,
    Id,
}

impl SortKey {
    fn sort(self, descending: bool) -> Sort<Item> {
        match (self, descending) {
            (SortKey::Name, false) => Item::NAME.asc(),
            (SortKey::Name, true) => Item::NAME.desc(),
            (SortKey::Score, false) => Item::SCORE.asc(),
            (SortKey::Score, true) => Item::SCORE.desc(),
            (SortKey::Rank, false) => Item::RANK.asc(),
            (SortKey::Rank, true) => Item::RANK.desc(),
            (SortKey::Parent, false) => Item::PARENT.asc(),
            (SortKey::Parent, true) => Item::PARENT.desc(),
            (SortKey::Id, false) => Item::ID.asc(),
            (SortKey::Id, true) => Item::ID.desc(),
        }
    }

    fn compare(self, a: &Item, b: &Item) -> Ordering {
        match self {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Score => float_order(a.score, b.score),
            SortKey::Rank => a.rank.cmp(&b.rank),
            SortKey::Parent => a.parent.cmp(&b.parent),
            SortKey::Id => a.id.cmp(&b.id),
        }
    }
}

#[derive(Debug, Clone)]
struct QuerySpec {
    cond: Option<Cond>,
    sort: Vec<(SortKey, bool)>,
    distinct_group: bool,
    offset: usize,
    limit: Option<usize>,
}

fn query_spec() -> impl Strategy<Value = QuerySpec> {
    let key = prop::sample::select(vec![
        SortKey::Name,
        SortKey::Score,
        SortKey::Rank,
        SortKey::Parent,
        SortKey::Id,
    ]);
    (
        prop::option::of(cond()),
        prop::collection::vec((key, any::<bool>()), 0..3),
        prop::bool::weighted(0.15),
        prop::sample::select(vec![0usize, 0, 1, 3]),
        prop::option::of(0usize..6),
    )
        .prop_map(|(cond, sort, distinct_group, offset, limit)| QuerySpec {
            cond,
            sort,
            distinct_group,
            offset,
            limit,
        })
}

impl QuerySpec {
    fn expected(&self, model: &BTreeMap<Id, Item>) -> Vec<Item> {
        let mut found: Vec<Item> = model
            .values()
            .filter(|item| self.cond.as_ref().is_none_or(|cond| cond.test(item)))
            .cloned()
            .collect();
        found.sort_by(|a, b| {
            for (key, descending) in &self.sort {
                let order = key.compare(a, b);
                let order = if *descending { order.reverse() } else { order };
                if order.is_ne() {
                    return order;
                }
            }
            a.id.cmp(&b.id)
        });
        if self.distinct_group {
            let mut seen = std::collections::HashSet::new();
            found.retain(|item| seen.insert(item.group));
        }
        found.into_iter().skip(self.offset).take(self.limit.unwrap_or(usize::MAX)).collect()
    }

    /// The query, built on `db`.
    fn query<'d>(&self, db: &'d Db) -> insula::Query<'d, Item, Db> {
        let mut query = db.items().query();
        if let Some(cond) = &self.cond {
            query = query.filter(cond.condition());
        }
        for (key, descending) in &self.sort {
            query = query.sort_by(key.sort(*descending));
        }
        if self.distinct_group {
            query = query.distinct_by(Item::GROUP);
        }
        query = query.offset(self.offset);
        if let Some(limit) = self.limit {
            query = query.limit(limit);
        }
        query
    }

    fn run(&self, db: &Db) -> insula::Result<(Vec<Item>, usize)> {
        let query = self.query(db);
        Ok((query.find_all()?, query.count()?))
    }
}

/// Items compare by bits for floats, so NaN equals NaN here.
fn same(a: &[Item], b: &[Item]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            let (mut a, mut b) = (a.clone(), b.clone());
            let same_score = a.score.to_bits() == b.score.to_bits();
            a.score = 0.0;
            b.score = 0.0;
            same_score && a == b
        })
}

proptest! {
    // 512 cases take a few seconds; PROPTEST_CASES=N runs more.
    #![proptest_config(proptest_config(
        std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn queries_agree_with_a_plain_filter(ops in prop::collection::vec(op(), 1..40), queries in prop::collection::vec(query_spec(), 1..12)) {
        let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
        let db = Db::builder().name("model").collection::<Item>().open(dir.path()).unwrap();
        let mut model: BTreeMap<Id, Item> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(mut item) | Op::Replace(_, mut item) if model.is_empty() => {
                    let result = db.write_txn_sync(|txn| txn.items().put(&mut item));
                    apply(&mut model, item, result);
                }
                Op::Insert(mut item) => {
                    let result = db.write_txn_sync(|txn| txn.items().put(&mut item));
                    apply(&mut model, item, result);
                }
                Op::Replace(at, mut item) => {
                    item.id = *model.keys().nth(at % model.len()).unwrap();
                    let result = db.write_txn_sync(|txn| txn.items().put(&mut item));
                    apply(&mut model, item, result);
                }
                Op::Delete(at) => {
                    let id = model.keys().nth(at % model.len().max(1)).copied().unwrap_or(999);
                    let existed = db.write_txn_sync(|txn| txn.items().delete(id)).unwrap();
                    prop_assert_eq!(existed, model.remove(&id).is_some());
                }
                Op::Clear => {
                    db.write_txn_sync(|txn| txn.items().clear()).unwrap();
                    model.clear();
                }
            }
        }
        db.items().verify().unwrap();
        for spec in queries {
            let expected = spec.expected(&model);
            let (found, count) = spec.run(&db).unwrap();
            prop_assert!(same(&found, &expected), "{:?}\nplan: {}\nfound {:?}\nexpected {:?}", spec, explain(&db, &spec), found, expected);
            prop_assert_eq!(count, expected.len());
            // Property queries: one field of each result, and each value once.
            let names = spec.query(&db).select(Item::NAME).find_all().unwrap();
            prop_assert_eq!(names, expected.iter().map(|item| item.name.clone()).collect::<Vec<_>>());
            let mut groups: Vec<u8> = Vec::new();
            for item in &expected {
                if !groups.contains(&item.group) {
                    groups.push(item.group);
                }
            }
            prop_assert_eq!(spec.query(&db).select(Item::GROUP).distinct().find_all().unwrap(), groups);
            let first = spec.query(&db).select(Item::PARENT).find_first().unwrap();
            prop_assert_eq!(first, expected.first().map(|item| item.parent));
        }
    }
}

/// Applies a put to the model the way the database should have: a unique `code` taken
/// by another object is refused and changes nothing.
fn apply(model: &mut BTreeMap<Id, Item>, item: Item, result: insula::Result<Id>) {
    let conflict = item
        .code
        .is_some_and(|code| model.values().any(|other| other.code == Some(code) && other.id != item.id))
        || (item.code.is_none() && model.values().any(|other| other.code.is_none() && other.id != item.id));
    match result {
        Ok(id) => {
            assert!(!conflict, "a duplicate code was accepted");
            assert_eq!(id, item.id);
            model.insert(id, item);
        }
        Err(Error::UniqueViolation { .. }) => assert!(conflict, "a unique violation without a conflict"),
        Err(other) => panic!("{other}"),
    }
}

fn explain(db: &Db, spec: &QuerySpec) -> String {
    let mut query = db.items().query();
    if let Some(cond) = &spec.cond {
        query = query.filter(cond.condition());
    }
    for (key, descending) in &spec.sort {
        query = query.sort_by(key.sort(*descending));
    }
    query.explain().unwrap_or_else(|error| error.to_string())
}

/// A case-insensitive index answers an equality with every object whose label folds to
/// the same key, and the exact test keeps only the exact matches; its keys are folded
/// however the label was cased when written.
#[test]
fn a_case_insensitive_index_finds_every_casing_and_returns_the_exact_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("case_folding").collection::<Item>().open(dir.path()).unwrap();
    let labels = ["Ada", "ada", "ADA", "aDa", "bob", "Bob", "Åsa", "åsa"];
    let mut items: Vec<Item> = labels
        .iter()
        .map(|label| Item { label: label.to_string(), code: None, ..Default::default() })
        .collect();
    // `code` is unique and `None` counts as a value: give each its own.
    for (i, item) in items.iter_mut().enumerate() {
        item.code = Some(i as u32);
    }
    db.write_txn_sync(|txn| txn.items().put_all(&mut items)).unwrap();
    for label in labels {
        let query = db.items().query().filter(Item::LABEL.eq(label));
        // The index holds every casing under one key: all of them are candidates.
        let casings = labels.iter().filter(|other| other.to_lowercase() == label.to_lowercase()).count();
        let plan = query.explain().unwrap();
        let wanted =
            format!("index `label` (equality on label; 1 key range, about {casings} candidates of 8)");
        assert!(plan.starts_with(&wanted), "{plan}");
        let found: Vec<String> = query.find_all().unwrap().into_iter().map(|item| item.label).collect();
        assert_eq!(found, [label], "exactly the object labeled {label:?}");
    }
    db.items().verify().unwrap();
}

/// The planner's route, in `explain`'s words: which index or id range, how many key
/// ranges and about how many candidates. A worse route still gives the right objects
/// (every candidate is tested), so only these words can tell it.
#[test]
fn the_planner_takes_the_narrowest_route_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("planner_routes").collection::<Item>().open(dir.path()).unwrap();
    let names = ["a", "ab", "abc", "b", "ba", "c"];
    let mut items: Vec<Item> = (0..60u32)
        .map(|i| Item {
            name: names[i as usize % names.len()].to_owned(),
            label: "x".into(),
            group: (i % 3) as u8,
            rank: (i % 5) as i32,
            parent: (i % 4 != 0).then_some(u64::from(i % 4)),
            code: Some(i),
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.items().put_all(&mut items)).unwrap();
    let count = |keep: &dyn Fn(&Item) -> bool| items.iter().filter(|item| keep(item)).count();
    let plan = |condition: Condition<Item>| db.items().query().filter(condition).explain().unwrap();

    let ids = plan(Item::ID.between(10, 19));
    assert!(ids.starts_with("scan of ids 10..=19 of `Item` (about 10 objects)"), "{ids}");
    let one = plan(Item::ID.eq(5));
    assert!(one.starts_with("scan of ids 5..=5 of `Item` (about 1 objects)"), "{one}");
    let two = plan(Item::ID.any_of([3, 7]));
    assert!(two.starts_with("scan of ids 3..=7 of `Item` (about 5 objects)"), "{two}");
    let below = plan(Item::ID.lt(4));
    // A range probe does not know its bound is strict: `lt` scans up to its bound, and
    // the test of each record drops it.
    assert!(below.starts_with("scan of ids 0..=4 of `Item` (about 5 objects)"), "{below}");

    let values = plan(Item::NAME.any_of(["a", "b"]));
    let wanted = format!(
        "index `name` (2 values of name; 2 key ranges, about {} candidates of 60)",
        count(&|item| item.name == "a" || item.name == "b")
    );
    assert!(values.starts_with(&wanted), "{values}");
    let prefix = plan(Item::NAME.starts_with("ab"));
    let wanted = format!(
        "index `name` (prefix of name; 1 key range, about {} candidates of 60)",
        count(&|item| item.name.starts_with("ab"))
    );
    assert!(prefix.starts_with(&wanted), "{prefix}");
    let longer = plan(Item::NAME.starts_with("abc"));
    let wanted = format!(
        "index `name` (prefix of name; 1 key range, about {} candidates of 60)",
        count(&|item| item.name.starts_with("abc"))
    );
    assert!(longer.starts_with(&wanted), "{longer}");
    let range = plan(Item::PARENT.ge(Some(2)));
    let wanted = format!(
        "index `parent` (range on parent; 1 key range, about {} candidates of 60)",
        count(&|item| item.parent >= Some(2))
    );
    assert!(range.starts_with(&wanted), "{range}");
    let composite = plan(Item::GROUP.eq(1).and(Item::RANK.ge(3)));
    let wanted = format!(
        "index `group+rank` (equality on group, range on rank; 1 key range, about {} candidates of 60)",
        count(&|item| item.group == 1 && item.rank >= 3)
    );
    assert!(composite.starts_with(&wanted), "{composite}");
    // The unique index finds one object; its answer is the one object.
    let unique = db.items().query().filter(Item::CODE.eq(Some(17)));
    assert!(
        unique
            .explain()
            .unwrap()
            .starts_with("index `code` (equality on code; 1 key range, about 1 candidates of 60)")
    );
    assert_eq!(unique.ids().unwrap(), [18]);
}
