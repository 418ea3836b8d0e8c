//! List conditions: on a list's length, on whether it holds an element, and through
//! [`Elements`] on its elements one by one; for `Vec<T>` and `Option<Vec<T>>` fields
//! alike, where `None` meets none of them.

use super::condition::{Condition, Leaf, Node, Probe, bound_key, eq_keys};
use super::text::{IgnoreCase, Strings};
use crate::Field;
use crate::codec::key::{KeyMode, KeyPart};
use crate::codec::{Corrupt, Element, List, ListView, RecordReader, Value};
use std::cmp::Ordering;
use std::marker::PhantomData;
use std::sync::Arc;

/// Calls a test with each element of a record's list until the test passes, and says
/// whether one did.
type Each<T> = Arc<
    dyn for<'a> Fn(
            &'a [u8; 8],
            &RecordReader<'a>,
            &mut dyn FnMut(<T as Value>::View<'a>) -> bool,
        ) -> Result<bool, Corrupt>
        + Send
        + Sync,
>;

/// Conditions on the elements of a list field, each met when some element meets it:
/// made by [`Field::element`]. An index on the list (one entry per distinct element)
/// serves equality, ranges and prefixes.
///
/// ```
/// # use insula::prelude::*;
/// # #[derive(Collection, Debug, Default)]
/// # pub struct Post { #[id] pub id: Id, #[index] pub tags: Vec<String>, pub scores: Option<Vec<u32>> }
/// let db = Db::builder().collection::<Post>().open_in_memory()?;
/// let mut posts = vec![
///     Post { id: 0, tags: vec!["rust".into(), "db".into()], scores: Some(vec![3, 9]) },
///     Post { id: 0, tags: vec!["go".into()], scores: Some(vec![4]) },
///     Post { id: 0, tags: vec![], scores: None },
/// ];
/// db.write_txn_sync(|txn| txn.posts().put_all(&mut posts))?;
/// let query = |condition| db.posts().query().filter(condition).ids();
/// assert_eq!(query(Post::TAGS.element().starts_with("ru"))?, [1]);
/// assert_eq!(query(Post::TAGS.element().gt("e"))?, [1, 2]);
/// assert_eq!(query(Post::SCORES.element().between(4, 8))?, [2]);
/// assert_eq!(query(Post::SCORES.element().ne(3))?, [1, 2]);
/// assert!(db.posts().query().filter(Post::TAGS.element().starts_with("ru")).explain()?.starts_with("index `tags`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Elements<C, T: Element> {
    field: &'static str,
    each: Each<T>,
    marker: PhantomData<fn() -> C>,
}

impl<C, T: Element> Clone for Elements<C, T> {
    fn clone(&self) -> Self {
        Elements { field: self.field, each: Arc::clone(&self.each), marker: PhantomData }
    }
}

impl<C, T: Element> std::fmt::Debug for Elements<C, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Elements({})", self.field)
    }
}

/// Conditions on a list field as a whole: `Vec<T>` or `Option<Vec<T>>`.
impl<C: 'static, L: List + 'static> Field<C, L> {
    /// Conditions on the list's elements, each met when some element meets it (see
    /// [`Elements`]).
    pub fn element(self) -> Elements<C, L::Item> {
        let field = self;
        let each: Each<L::Item> = Arc::new(move |id, record, test| {
            Ok(L::list(field.read(id, record)?).is_some_and(|list| list.iter().any(&mut *test)))
        });
        Elements { field: self.name(), each, marker: PhantomData }
    }

    /// The list is empty (an `Option`'s `None` is not).
    pub fn is_empty(self) -> Condition<C> {
        self.list_leaf("is empty".to_owned(), |list| list.is_empty())
    }

    /// The list has exactly `len` elements.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Post { #[id] pub id: Id, pub tags: Vec<String> }
    /// let db = Db::builder().collection::<Post>().open_in_memory()?;
    /// let mut posts: Vec<Post> = [0, 1, 2, 3]
    ///     .into_iter()
    ///     .map(|n| Post { id: 0, tags: (0..n).map(|i| i.to_string()).collect() })
    ///     .collect();
    /// db.write_txn_sync(|txn| txn.posts().put_all(&mut posts))?;
    /// assert_eq!(db.posts().query().filter(Post::TAGS.len_eq(2)).ids()?, [3]);
    /// assert_eq!(db.posts().query().filter(Post::TAGS.len_gt(1)).ids()?, [3, 4]);
    /// assert_eq!(db.posts().query().filter(Post::TAGS.len_lt(1)).ids()?, [1]);
    /// assert_eq!(db.posts().query().filter(Post::TAGS.len_between(1, 2)).ids()?, [2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len_eq(self, len: usize) -> Condition<C> {
        self.list_leaf(format!("has length {len}"), move |list| list.len() == len)
    }

    /// The list has more than `len` elements.
    pub fn len_gt(self, len: usize) -> Condition<C> {
        self.list_leaf(format!("has length > {len}"), move |list| list.len() > len)
    }

    /// The list has fewer than `len` elements.
    pub fn len_lt(self, len: usize) -> Condition<C> {
        self.list_leaf(format!("has length < {len}"), move |list| list.len() < len)
    }

    /// The list has from `lower` to `upper` elements, both included.
    pub fn len_between(self, lower: usize, upper: usize) -> Condition<C> {
        self.list_leaf(format!("has length {lower}..={upper}"), move |list| {
            (lower..=upper).contains(&list.len())
        })
    }

    /// A condition on the list, said as `what`; `None` fails it.
    fn list_leaf(
        self,
        what: String,
        keep: impl Fn(ListView<'_, L::Item>) -> bool + Send + Sync + 'static,
    ) -> Condition<C> {
        let text = format!("{} {what}", self.name());
        self.leaf(text, None, move |view| L::list(view).is_some_and(&keep))
    }
}

impl<C: 'static, L: List + 'static> Field<C, L>
where
    L::Item: KeyPart + Send + Sync + 'static,
{
    /// The list has an element equal to `element` (as `element().eq(element)`).
    pub fn contains(self, element: <L::Item as Value>::View<'_>) -> Condition<C> {
        self.element().eq(element)
    }
}

/// Comparisons of elements, for every element type.
impl<C, T: Element + KeyPart + Send + Sync + 'static> Elements<C, T> {
    /// A condition met when `test` passes for some element.
    fn leaf(
        &self,
        what: String,
        probe: Option<Probe>,
        test: impl for<'a> Fn(T::View<'a>) -> bool + Send + Sync + 'static,
    ) -> Condition<C> {
        let each = Arc::clone(&self.each);
        Condition::from_node(Node::Leaf(Leaf {
            field: self.field,
            is_id: false,
            text: format!("{} {what}", self.field),
            probe,
            test: Arc::new(move |id, record| each(id, record, &mut |element| test(element))),
        }))
    }

    /// A comparison of each element with `value`, met when `accept` takes the ordering of
    /// some element to it. `accept` is generic, not a function pointer, so that the test
    /// inlines it.
    fn compare(
        &self,
        op: &str,
        value: T::View<'_>,
        probe: Option<Probe>,
        accept: impl Fn(Ordering) -> bool + Send + Sync + 'static,
    ) -> Condition<C> {
        let value = T::from_view(value);
        let what = format!("has an element {op} {:?}", value.as_view());
        self.leaf(what, probe, move |element| accept(T::compare(element, value.as_view())))
    }

    /// Some element equals `value`.
    pub fn eq(&self, value: T::View<'_>) -> Condition<C> {
        let value = T::from_view(value);
        let probe = Probe::Eq(vec![eq_keys::<T>(value.as_view())]);
        let what = format!("contains {:?}", value.as_view());
        self.leaf(what, Some(probe), move |element| T::compare(element, value.as_view()).is_eq())
    }

    /// Some element differs from `value` (so an empty list does not match).
    pub fn ne(&self, value: T::View<'_>) -> Condition<C> {
        self.compare("!=", value, None, Ordering::is_ne)
    }

    /// Some element is greater than `value`.
    pub fn gt(&self, value: T::View<'_>) -> Condition<C> {
        let probe = Probe::Range { lower: Some(bound_key::<T>(value, KeyMode::Lower)), upper: None };
        self.compare(">", value, Some(probe), Ordering::is_gt)
    }

    /// Some element is greater than or equal to `value`.
    pub fn ge(&self, value: T::View<'_>) -> Condition<C> {
        let probe = Probe::Range { lower: Some(bound_key::<T>(value, KeyMode::Lower)), upper: None };
        self.compare(">=", value, Some(probe), Ordering::is_ge)
    }

    /// Some element is less than `value`.
    pub fn lt(&self, value: T::View<'_>) -> Condition<C> {
        let probe = Probe::Range { lower: None, upper: Some(bound_key::<T>(value, KeyMode::Upper)) };
        self.compare("<", value, Some(probe), Ordering::is_lt)
    }

    /// Some element is less than or equal to `value`.
    pub fn le(&self, value: T::View<'_>) -> Condition<C> {
        let probe = Probe::Range { lower: None, upper: Some(bound_key::<T>(value, KeyMode::Upper)) };
        self.compare("<=", value, Some(probe), Ordering::is_le)
    }

    /// Some element lies between `lower` and `upper`, both included.
    pub fn between(&self, lower: T::View<'_>, upper: T::View<'_>) -> Condition<C> {
        let probe = Probe::Range {
            lower: Some(bound_key::<T>(lower, KeyMode::Lower)),
            upper: Some(bound_key::<T>(upper, KeyMode::Upper)),
        };
        let (lower, upper) = (T::from_view(lower), T::from_view(upper));
        let what = format!("has an element between {:?} and {:?}", lower.as_view(), upper.as_view());
        self.leaf(what, Some(probe), move |element| {
            T::compare(element, lower.as_view()).is_ge() && T::compare(element, upper.as_view()).is_le()
        })
    }

    /// Some element equals one of `values`; an empty list of values matches nothing.
    pub fn any_of<'v>(&self, values: impl IntoIterator<Item = T::View<'v>>) -> Condition<C> {
        let values: Vec<T> = values.into_iter().map(T::from_view).collect();
        let mut keys: Vec<[Vec<u8>; 2]> = values.iter().map(|value| eq_keys::<T>(value.as_view())).collect();
        keys.sort();
        keys.dedup();
        let shown: Vec<String> = values.iter().map(|value| format!("{:?}", value.as_view())).collect();
        let what = format!("has an element any of [{}]", shown.join(", "));
        self.leaf(what, Some(Probe::Eq(keys)), move |element| {
            values.iter().any(|value| T::compare(element, value.as_view()).is_eq())
        })
    }
}

/// Text conditions on the elements of a string list.
impl<C> Elements<C, String> {
    /// Some element starts with `prefix`.
    pub fn starts_with(&self, prefix: &str) -> Condition<C> {
        self.texts(false).starts_with(prefix)
    }

    /// Some element ends with `suffix`.
    pub fn ends_with(&self, suffix: &str) -> Condition<C> {
        self.texts(false).ends_with(suffix)
    }

    /// Some element contains `part`.
    pub fn contains(&self, part: &str) -> Condition<C> {
        self.texts(false).contains(part)
    }

    /// Some element matches `pattern` (see [`Field::matches`] on `String`).
    pub fn matches(&self, pattern: &str) -> Condition<C> {
        self.texts(false).matches(pattern)
    }

    /// The text conditions of the elements, ignoring case (see [`IgnoreCase`]); each is
    /// met when some element meets it.
    pub fn ignore_case(&self) -> IgnoreCase<C> {
        self.texts(true)
    }

    /// The elements' text conditions, ignoring case when `fold`. A list's index keys
    /// each element as a string.
    fn texts(&self, fold: bool) -> IgnoreCase<C> {
        let each = Arc::clone(&self.each);
        let strings: Strings =
            Arc::new(move |id, record, test| each(id, record, &mut |element| test(element)));
        IgnoreCase::new(self.field, format!("an element of {}", self.field), &[], strings, fold)
    }
}
