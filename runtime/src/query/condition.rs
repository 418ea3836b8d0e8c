//! Conditions, made from typed field handles: `Message::LIKES.gt(10)`.
//!
//! Each condition tests records in place, reading only the fields it names. Where a
//! condition could be answered by an index, it also carries a [`Probe`]: the index keys
//! it needs, computed once. The index only narrows the candidates; every candidate is
//! tested again, so an index never changes a result.

use crate::Field;
use crate::codec::key::{KeyMode, KeyPart};
use crate::codec::{Corrupt, RecordReader};
use crate::codec::{Required, Value};
use std::cmp::Ordering;
use std::fmt::Debug;
use std::sync::Arc;

/// Tests one record: its id, as little-endian bytes, and its fields. Shared, so that a
/// condition clones cheaply.
pub(crate) type Test =
    Arc<dyn for<'a> Fn(&'a [u8; 8], &RecordReader<'a>) -> Result<bool, Corrupt> + Send + Sync>;

/// A condition on the objects of collection `C`; combine them with
/// [`and`](Condition::and), [`or`](Condition::or) and [`not`](Condition::not). A
/// condition clones cheaply, so one can serve several queries.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Collection, Debug, Default)]
/// pub struct Task {
///     #[id]
///     pub id: Id,
///     pub done: bool,
///     pub priority: u8,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().collection::<Task>().open(dir.path())?;
/// let mut tasks: Vec<Task> = (0..10).map(|i| Task { done: i % 3 == 0, priority: i, ..Default::default() }).collect();
/// db.write_txn_sync(|txn| txn.tasks().put_all(&mut tasks))?;
///
/// let open = Task::DONE.eq(false);
/// let urgent = open.clone().and(Task::PRIORITY.ge(7));
/// assert_eq!(db.tasks().query().filter(open).count()?, 6);
/// assert_eq!(db.tasks().query().filter(urgent).ids()?, [8, 9]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Condition<C> {
    pub(crate) node: Node,
    marker: std::marker::PhantomData<fn() -> C>,
}

#[derive(Clone)]
pub(crate) enum Node {
    Leaf(Leaf),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// Exactly one of the two.
    Xor(Box<Node>, Box<Node>),
}

#[derive(Clone)]
pub(crate) struct Leaf {
    /// The stored name of the field.
    pub(crate) field: &'static str,
    /// Whether the field is the id.
    pub(crate) is_id: bool,
    /// How the condition reads, for `explain`.
    pub(crate) text: String,
    pub(crate) probe: Option<Probe>,
    pub(crate) test: Test,
}

/// The index keys that could answer a condition.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
    /// Any of these values, each as an index key: `[case-sensitive, case-folded]`.
    Eq(Vec<[Vec<u8>; 2]>),
    /// Every value from `lower` to `upper` (either may be open), as bound keys.
    Range { lower: Option<Vec<u8>>, upper: Option<Vec<u8>> },
    /// Every string that starts with these (escaped) bytes.
    Prefix(Vec<u8>),
    /// Any of these keys of a case-insensitive index: a condition that ignores case.
    FoldedEq(Vec<Vec<u8>>),
    /// Every key of a case-insensitive index that starts with these bytes.
    FoldedPrefix(Vec<u8>),
}

impl<C> Condition<C> {
    pub(super) fn from_node(node: Node) -> Self {
        Condition { node, marker: std::marker::PhantomData }
    }

    /// Both this and `other`.
    pub fn and(self, other: Condition<C>) -> Condition<C> {
        Condition::from_node(match self.node {
            Node::And(mut nodes) => {
                nodes.push(other.node);
                Node::And(nodes)
            }
            node => Node::And(vec![node, other.node]),
        })
    }

    /// This or `other`, or both.
    pub fn or(self, other: Condition<C>) -> Condition<C> {
        Condition::from_node(match self.node {
            Node::Or(mut nodes) => {
                nodes.push(other.node);
                Node::Or(nodes)
            }
            node => Node::Or(vec![node, other.node]),
        })
    }

    /// Not this.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition<C> {
        Condition::from_node(Node::Not(Box::new(self.node)))
    }

    /// This or `other`, but not both.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Task { #[id] pub id: Id, pub done: bool, pub urgent: bool }
    /// let db = Db::builder().collection::<Task>().open_in_memory()?;
    /// let mut tasks: Vec<Task> = [(false, false), (true, false), (false, true), (true, true)]
    ///     .into_iter()
    ///     .map(|(done, urgent)| Task { id: 0, done, urgent })
    ///     .collect();
    /// db.write_txn_sync(|txn| txn.tasks().put_all(&mut tasks))?;
    /// let one = Task::DONE.eq(true).xor(Task::URGENT.eq(true));
    /// assert_eq!(db.tasks().query().filter(one).ids()?, [2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn xor(self, other: Condition<C>) -> Condition<C> {
        Condition::from_node(Node::Xor(Box::new(self.node), Box::new(other.node)))
    }
}

impl<C> Clone for Condition<C> {
    fn clone(&self) -> Self {
        Condition::from_node(self.node.clone())
    }
}

impl<C> Debug for Condition<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.node.text())
    }
}

impl Node {
    /// Tests a record against the whole tree. A leaf, the most common root, is tested
    /// here; the rest of the tree in [`Node::test_tree`].
    #[inline]
    pub(crate) fn test<'a>(&self, id: &'a [u8; 8], record: &RecordReader<'a>) -> Result<bool, Corrupt> {
        match self {
            Node::Leaf(leaf) => (leaf.test)(id, record),
            _ => self.test_tree(id, record),
        }
    }

    /// [`Node::test`] of any node.
    fn test_tree<'a>(&self, id: &'a [u8; 8], record: &RecordReader<'a>) -> Result<bool, Corrupt> {
        Ok(match self {
            Node::Leaf(leaf) => (leaf.test)(id, record)?,
            Node::And(nodes) => {
                for node in nodes {
                    if !node.test(id, record)? {
                        return Ok(false);
                    }
                }
                true
            }
            Node::Or(nodes) => {
                for node in nodes {
                    if node.test(id, record)? {
                        return Ok(true);
                    }
                }
                false
            }
            Node::Not(node) => !node.test(id, record)?,
            Node::Xor(a, b) => a.test(id, record)? != b.test(id, record)?,
        })
    }

    /// The leaves every match must satisfy: the root, or the leaves of a root `and`.
    pub(crate) fn required_leaves(&self) -> Vec<&Leaf> {
        match self {
            Node::Leaf(leaf) => vec![leaf],
            Node::And(nodes) => nodes.iter().flat_map(Node::required_leaves).collect(),
            Node::Or(_) | Node::Not(_) | Node::Xor(..) => Vec::new(),
        }
    }

    pub(crate) fn text(&self) -> String {
        let join = |nodes: &[Node], word: &str| {
            nodes.iter().map(|node| format!("({})", node.text())).collect::<Vec<_>>().join(word)
        };
        match self {
            Node::Leaf(leaf) => leaf.text.clone(),
            Node::And(nodes) => join(nodes, " and "),
            Node::Or(nodes) => join(nodes, " or "),
            Node::Not(node) => format!("not ({})", node.text()),
            Node::Xor(a, b) => format!("({}) xor ({})", a.text(), b.text()),
        }
    }
}

impl<C: 'static, T: Value> Field<C, T> {
    /// A leaf condition on this field: `test` gets the field's value as read from the
    /// record.
    pub(super) fn leaf(
        self,
        text: String,
        probe: Option<Probe>,
        test: impl for<'a> Fn(T::View<'a>) -> bool + Send + Sync + 'static,
    ) -> Condition<C>
    where
        T: 'static,
    {
        let field = self;
        self.leaf_on_record(text, probe, move |id, record| field.read(id, record).map(&test))
    }

    /// A leaf condition on this field whose `test` reads the record itself.
    pub(super) fn leaf_on_record(
        self,
        text: String,
        probe: Option<Probe>,
        test: impl for<'a> Fn(&'a [u8; 8], &RecordReader<'a>) -> Result<bool, Corrupt> + Send + Sync + 'static,
    ) -> Condition<C> {
        Condition::from_node(Node::Leaf(Leaf {
            field: self.name(),
            is_id: self.is_id(),
            text,
            probe,
            test: Arc::new(test),
        }))
    }
}

/// The index keys of one value: case-sensitive and case-folded.
pub(super) fn eq_keys<T: KeyPart>(value: T::View<'_>) -> [Vec<u8>; 2] {
    let mut exact = Vec::new();
    T::write_key(value, KeyMode::Index { case_insensitive: false }, &mut exact);
    let mut folded = Vec::new();
    T::write_key(value, KeyMode::Index { case_insensitive: true }, &mut folded);
    [exact, folded]
}

pub(super) fn bound_key<T: KeyPart>(value: T::View<'_>, mode: KeyMode) -> Vec<u8> {
    let mut key = Vec::new();
    T::write_key(value, mode, &mut key);
    key
}

/// Comparisons, for every single-valued field type. Arguments take the field's type as a
/// view reads it: `u32` for a `u32` field, `&str` for a `String` field, `Option<u64>`
/// for an `Option<Id>` field; a condition of the wrong type does not compile.
impl<C: 'static, T: KeyPart + Send + Sync + 'static> Field<C, T> {
    /// A comparison with `value`; `accept` says which orderings pass. It is generic, not a
    /// function pointer, so that the test inlines it: the test runs once per record.
    fn compare(
        self,
        op: &str,
        value: T,
        probe: Option<Probe>,
        accept: impl Fn(Ordering) -> bool + Send + Sync + 'static,
    ) -> Condition<C> {
        let text = format!("{} {op} {:?}", self.name(), value.as_view());
        self.leaf(text, probe, move |field| accept(T::compare(field, value.as_view())))
    }

    /// The field equals `value`.
    pub fn eq(self, value: T::View<'_>) -> Condition<C> {
        let value = T::from_view(value);
        let probe = Probe::Eq(vec![eq_keys::<T>(value.as_view())]);
        let text = format!("{} == {:?}", self.name(), value.as_view());
        let field = self;
        let test = move |id: &[u8; 8], record: &RecordReader<'_>| field.equals(id, record, value.as_view());
        self.leaf_on_record(text, Some(probe), test)
    }

    /// The field differs from `value`.
    pub fn ne(self, value: T::View<'_>) -> Condition<C> {
        self.compare("!=", T::from_view(value), None, Ordering::is_ne)
    }

    /// The field is greater than `value`.
    pub fn gt(self, value: T::View<'_>) -> Condition<C> {
        let value = T::from_view(value);
        let probe =
            Probe::Range { lower: Some(bound_key::<T>(value.as_view(), KeyMode::Lower)), upper: None };
        self.compare(">", value, Some(probe), Ordering::is_gt)
    }

    /// The field is greater than or equal to `value`.
    pub fn ge(self, value: T::View<'_>) -> Condition<C> {
        let value = T::from_view(value);
        let probe =
            Probe::Range { lower: Some(bound_key::<T>(value.as_view(), KeyMode::Lower)), upper: None };
        self.compare(">=", value, Some(probe), Ordering::is_ge)
    }

    /// The field is less than `value`.
    pub fn lt(self, value: T::View<'_>) -> Condition<C> {
        let value = T::from_view(value);
        let probe =
            Probe::Range { lower: None, upper: Some(bound_key::<T>(value.as_view(), KeyMode::Upper)) };
        self.compare("<", value, Some(probe), Ordering::is_lt)
    }

    /// The field is less than or equal to `value`.
    pub fn le(self, value: T::View<'_>) -> Condition<C> {
        let value = T::from_view(value);
        let probe =
            Probe::Range { lower: None, upper: Some(bound_key::<T>(value.as_view(), KeyMode::Upper)) };
        self.compare("<=", value, Some(probe), Ordering::is_le)
    }

    /// The field lies between `lower` and `upper`, both included.
    pub fn between(self, lower: T::View<'_>, upper: T::View<'_>) -> Condition<C> {
        let (lower, upper) = (T::from_view(lower), T::from_view(upper));
        let probe = Probe::Range {
            lower: Some(bound_key::<T>(lower.as_view(), KeyMode::Lower)),
            upper: Some(bound_key::<T>(upper.as_view(), KeyMode::Upper)),
        };
        let text = format!("{} between {:?} and {:?}", self.name(), lower.as_view(), upper.as_view());
        self.leaf(text, Some(probe), move |field| {
            T::compare(field, lower.as_view()).is_ge() && T::compare(field, upper.as_view()).is_le()
        })
    }

    /// The field equals one of `values`.
    ///
    /// An empty list matches nothing, as SQL's `IN ()` does (Isar drops such a
    /// condition instead).
    pub fn any_of<'v>(self, values: impl IntoIterator<Item = T::View<'v>>) -> Condition<C> {
        let values: Vec<T> = values.into_iter().map(T::from_view).collect();
        let mut keys: Vec<[Vec<u8>; 2]> = values.iter().map(|value| eq_keys::<T>(value.as_view())).collect();
        // One key range per distinct value, or an index walk would return a match twice.
        keys.sort();
        keys.dedup();
        let probe = Probe::Eq(keys);
        let text = format!(
            "{} any of [{}]",
            self.name(),
            values.iter().map(|value| format!("{:?}", value.as_view())).collect::<Vec<_>>().join(", ")
        );
        self.leaf(text, Some(probe), move |field| {
            values.iter().any(|value| T::compare(field, value.as_view()).is_eq())
        })
    }
}

/// Equality within an epsilon, for floating-point fields.
macro_rules! within {
    ($($float:ty),*) => {$(
        impl<C: 'static> Field<C, $float> {
            /// The field lies within `epsilon` of `value`: from `value - epsilon` to
            /// `value + epsilon`, both included (Isar's `equalTo` with an `epsilon`). A
            /// negative epsilon or a NaN value matches nothing but NaN, as
            /// [`between`](Field::between) compares; an index on the field serves it as a
            /// range.
            ///
            /// ```
            /// # use insula::prelude::*;
            /// # #[derive(Collection, Debug, Default)]
            /// # pub struct Point { #[id] pub id: Id, pub x: f64, pub y: Option<f32> }
            /// let db = Db::builder().collection::<Point>().open_in_memory()?;
            /// let mut points = vec![
            ///     Point { id: 0, x: 0.1 + 0.2, y: Some(1.0) },
            ///     Point { id: 0, x: 0.31, y: None },
            /// ];
            /// db.write_txn_sync(|txn| txn.points().put_all(&mut points))?;
            /// assert_eq!(db.points().query().filter(Point::X.eq(0.3)).count()?, 0);
            /// assert_eq!(db.points().query().filter(Point::X.eq_within(0.3, 1e-9)).ids()?, [1]);
            /// assert_eq!(db.points().query().filter(Point::Y.eq_within(1.0, 0.5)).ids()?, [1]);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn eq_within(self, value: $float, epsilon: $float) -> Condition<C> {
                self.between(value - epsilon, value + epsilon)
            }
        }

        impl<C: 'static> Field<C, Option<$float>> {
            /// The field is `Some` and lies within `epsilon` of `value` (see
            /// `eq_within` on a plain float field).
            pub fn eq_within(self, value: $float, epsilon: $float) -> Condition<C> {
                self.between(Some(value - epsilon), Some(value + epsilon))
            }
        }
    )*};
}

within!(f32, f64);

/// Presence conditions on `Option` fields.
impl<C: 'static, T: Required + 'static> Field<C, Option<T>> {
    /// The field is `None`.
    pub fn is_none(self) -> Condition<C> {
        let text = format!("{} is none", self.name());
        self.leaf(text, Some(Probe::Eq(vec![[vec![0], vec![0]]])), |field| field.is_none())
    }

    /// The field is `Some`.
    pub fn is_some(self) -> Condition<C> {
        let text = format!("{} is some", self.name());
        self.leaf(text, Some(Probe::Range { lower: Some(vec![1]), upper: None }), |field| field.is_some())
    }
}
