//! Text conditions: on `String` and `Option<String>` fields, and, through
//! [`IgnoreCase`], the same conditions ignoring case on strings, options of strings and
//! the elements of string lists.

use super::condition::{Condition, Leaf, Node, Probe};
use crate::Field;
use crate::codec::key::{KeyMode, LONG_KEY_PREFIX, fold_case, write_bytes_key};
use crate::codec::{Corrupt, RecordReader};
use std::marker::PhantomData;
use std::sync::Arc;

/// The escaped bytes every key of a string starting with `prefix` starts with.
pub(super) fn prefix_key(prefix: &str) -> Vec<u8> {
    let mut key = Vec::new();
    write_bytes_key(prefix.as_bytes(), KeyMode::Lower, &mut key);
    // A short prefix was written terminated (`00 00`); a key continues past it.
    if prefix.len() <= LONG_KEY_PREFIX {
        key.truncate(key.len() - 2);
    }
    key
}

/// Text conditions on `String` fields.
impl<C: 'static> Field<C, String> {
    /// The field starts with `prefix`.
    pub fn starts_with(self, prefix: &str) -> Condition<C> {
        self.texts(false).starts_with(prefix)
    }

    /// The field ends with `suffix`.
    pub fn ends_with(self, suffix: &str) -> Condition<C> {
        self.texts(false).ends_with(suffix)
    }

    /// The field contains `part`.
    pub fn contains(self, part: &str) -> Condition<C> {
        self.texts(false).contains(part)
    }

    /// The field matches `pattern`, where `*` stands for any run of characters (none
    /// included) and `?` for exactly one character (a Unicode scalar value); every other
    /// character stands for itself, and there is no escape (Isar's `matches`). The
    /// pattern's text before its first wildcard is looked up in an index on the field,
    /// as `starts_with` is.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct Song { #[id] pub id: Id, #[index] pub title: String }
    /// let db = Db::builder().collection::<Song>().open_in_memory()?;
    /// let mut songs: Vec<Song> = ["Song 5", "Sing 5", "Song 15", "Long 5"]
    ///     .into_iter()
    ///     .map(|title| Song { id: 0, title: title.into() })
    ///     .collect();
    /// db.write_txn_sync(|txn| txn.songs().put_all(&mut songs))?;
    /// assert_eq!(db.songs().query().filter(Song::TITLE.matches("*ng 5")).ids()?, [1, 2, 4]);
    /// assert_eq!(db.songs().query().filter(Song::TITLE.matches("S?ng *")).ids()?, [1, 2, 3]);
    /// let by_index = db.songs().query().filter(Song::TITLE.matches("So*5"));
    /// assert!(by_index.explain()?.starts_with("index `title`"));
    /// assert_eq!(by_index.ids()?, [1, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches(self, pattern: &str) -> Condition<C> {
        self.texts(false).matches(pattern)
    }

    /// The text conditions of this field, ignoring case (see [`IgnoreCase`]).
    pub fn ignore_case(self) -> IgnoreCase<C> {
        self.texts(true)
    }

    /// The field's text conditions, ignoring case when `fold`.
    fn texts(self, fold: bool) -> IgnoreCase<C> {
        let field = self;
        let strings: Strings = Arc::new(move |id, record, test| Ok(test(field.read(id, record)?)));
        IgnoreCase::new(self.name(), self.name().to_owned(), &[], strings, fold)
    }
}

/// The text of `pattern` before its first wildcard, if there is any.
pub(super) fn literal_prefix(pattern: &str) -> Option<&str> {
    let end = pattern.find(['*', '?']).unwrap_or(pattern.len());
    (end > 0).then(|| &pattern[..end])
}

/// Whether `text` matches `pattern` (see [`Field::matches`]): a greedy scan that returns
/// to the last `*` on a mismatch, in time proportional to their lengths' product at
/// worst.
pub(super) fn wildcard_match(pattern: &[char], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // The position after the last `*` seen, and where in the text it was tried.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` take one more character, and go on from there.
                Some((after, tried)) => {
                    p = after;
                    t = tried + 1;
                    star = Some((after, tried + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Text conditions on `Option<String>` fields: `None` matches none of them.
impl<C: 'static> Field<C, Option<String>> {
    /// The field is `Some` and starts with `prefix`.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Default)]
    /// # pub struct User { #[id] pub id: Id, #[index] pub nick: Option<String> }
    /// let db = Db::builder().collection::<User>().open_in_memory()?;
    /// let mut users = vec![User { id: 0, nick: Some("ada".into()) }, User { id: 0, nick: None }];
    /// db.write_txn_sync(|txn| txn.users().put_all(&mut users))?;
    /// assert_eq!(db.users().query().filter(User::NICK.starts_with("a")).ids()?, [1]);
    /// assert_eq!(db.users().query().filter(User::NICK.starts_with("")).ids()?, [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn starts_with(self, prefix: &str) -> Condition<C> {
        self.texts(false).starts_with(prefix)
    }

    /// The field is `Some` and ends with `suffix`.
    pub fn ends_with(self, suffix: &str) -> Condition<C> {
        self.texts(false).ends_with(suffix)
    }

    /// The field is `Some` and contains `part`.
    pub fn contains(self, part: &str) -> Condition<C> {
        self.texts(false).contains(part)
    }

    /// The field is `Some` and matches `pattern` (see [`Field::matches`] on `String`).
    pub fn matches(self, pattern: &str) -> Condition<C> {
        self.texts(false).matches(pattern)
    }

    /// The text conditions of this field, ignoring case (see [`IgnoreCase`]); `None`
    /// matches none of them.
    pub fn ignore_case(self) -> IgnoreCase<C> {
        self.texts(true)
    }

    /// The field's text conditions, ignoring case when `fold`; `None` meets none. An
    /// `Option`'s index key is `01`, then the string's key.
    fn texts(self, fold: bool) -> IgnoreCase<C> {
        let field = self;
        let strings: Strings =
            Arc::new(move |id, record, test| Ok(field.read(id, record)?.is_some_and(test)));
        IgnoreCase::new(self.name(), self.name().to_owned(), &[1], strings, fold)
    }
}

/// Calls a test with each string a record holds in one field (one, none for a `None`,
/// or a list's elements) until the test passes, and says whether one did.
pub(super) type Strings = Arc<
    dyn for<'a> Fn(&'a [u8; 8], &RecordReader<'a>, &mut dyn FnMut(&str) -> bool) -> Result<bool, Corrupt>
        + Send
        + Sync,
>;

/// The text conditions of a string field, or of a list's string elements, ignoring case:
/// made by `ignore_case()` on a `String` or `Option<String>` field handle, or on a string
/// list's [`Elements`](super::Elements).
///
/// Both sides are compared in one case: a string that has an uppercase letter becomes its
/// Unicode lowercase (Rust's `str::to_lowercase`, the full mapping, Greek final sigma
/// included), the mapping an `#[index(case_insensitive)]` keys its entries by. Such an
/// index serves `eq`, `any_of`, `starts_with` and the text of `matches` before its first
/// wildcard; an `Option`'s `None` matches none of these conditions.
///
/// ```
/// # use insula::prelude::*;
/// # #[derive(Collection, Debug, Default)]
/// # pub struct User { #[id] pub id: Id, #[index(case_insensitive)] pub name: String, pub tags: Vec<String> }
/// let db = Db::builder().collection::<User>().open_in_memory()?;
/// let mut users: Vec<User> = [("Ada", "Rust"), ("ADA", "go"), ("Bob", "RUST")]
///     .into_iter()
///     .map(|(name, tag)| User { id: 0, name: name.into(), tags: vec![tag.into()] })
///     .collect();
/// db.write_txn_sync(|txn| txn.users().put_all(&mut users))?;
/// let ada = db.users().query().filter(User::NAME.ignore_case().eq("ada"));
/// assert_eq!(ada.ids()?, [1, 2]);
/// assert!(ada.explain()?.starts_with("index `name`"));
/// let rust = User::TAGS.element().ignore_case().eq("rust");
/// assert_eq!(db.users().query().filter(rust).ids()?, [1, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IgnoreCase<C> {
    /// The stored name of the field.
    field: &'static str,
    /// What the conditions name in `explain`: the field, or "an element of" it.
    name: String,
    /// Whether both sides are folded: `false` for the plain text conditions, which are
    /// made here too (but never `eq` or `any_of`, whose plain forms every type has).
    fold: bool,
    /// What an index entry of the field writes before a string's key: `01` for an option.
    key_prefix: &'static [u8],
    strings: Strings,
    marker: PhantomData<fn() -> C>,
}

impl<C> Clone for IgnoreCase<C> {
    fn clone(&self) -> Self {
        IgnoreCase {
            field: self.field,
            name: self.name.clone(),
            fold: self.fold,
            key_prefix: self.key_prefix,
            strings: Arc::clone(&self.strings),
            marker: PhantomData,
        }
    }
}

impl<C> std::fmt::Debug for IgnoreCase<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IgnoreCase({})", self.field)
    }
}

impl<C> IgnoreCase<C> {
    pub(super) fn new(
        field: &'static str,
        name: String,
        key_prefix: &'static [u8],
        strings: Strings,
        fold: bool,
    ) -> Self {
        IgnoreCase { field, name, fold, key_prefix, strings, marker: PhantomData }
    }

    /// A needle as the conditions compare it: folded when they ignore case.
    fn needle(&self, text: &str) -> String {
        if self.fold { fold_case(text).into_owned() } else { text.to_owned() }
    }

    /// A condition that passes when `test` passes for a string of the field (folded when
    /// the conditions ignore case).
    fn leaf(
        &self,
        what: String,
        probe: Option<Probe>,
        test: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Condition<C> {
        let strings = Arc::clone(&self.strings);
        let (text, test): (String, super::condition::Test) = if self.fold {
            let text = format!("{} {what}, ignoring case", self.name);
            (text, Arc::new(move |id, record| strings(id, record, &mut |text| test(&fold_case(text)))))
        } else {
            (
                format!("{} {what}", self.name),
                Arc::new(move |id, record| strings(id, record, &mut |text| test(text))),
            )
        };
        Condition::from_node(Node::Leaf(Leaf { field: self.field, is_id: false, text, probe, test }))
    }

    /// The key of a folded string in a case-insensitive index on the field.
    fn key(&self, folded: &str) -> Vec<u8> {
        let mut key = self.key_prefix.to_vec();
        write_bytes_key(folded.as_bytes(), KeyMode::Index { case_insensitive: true }, &mut key);
        key
    }

    /// The index keys of every string that starts with `needle`: in a case-insensitive
    /// index when the conditions ignore case, else in a case-sensitive one.
    fn prefix(&self, needle: &str) -> Probe {
        let key = [self.key_prefix, prefix_key(needle).as_slice()].concat();
        if self.fold { Probe::FoldedPrefix(key) } else { Probe::Prefix(key) }
    }

    /// The field equals `value`, ignoring case.
    pub fn eq(&self, value: &str) -> Condition<C> {
        let value = fold_case(value).into_owned();
        let probe = Probe::FoldedEq(vec![self.key(&value)]);
        self.leaf(format!("== {value:?}"), Some(probe), move |text| text == value)
    }

    /// The field equals one of `values`, ignoring case; an empty list matches nothing.
    pub fn any_of<'v>(&self, values: impl IntoIterator<Item = &'v str>) -> Condition<C> {
        let mut values: Vec<String> = values.into_iter().map(|value| fold_case(value).into_owned()).collect();
        values.sort();
        values.dedup();
        let probe = Probe::FoldedEq(values.iter().map(|value| self.key(value)).collect());
        self.leaf(format!("any of {values:?}"), Some(probe), move |text| {
            values.iter().any(|value| text == value)
        })
    }

    /// The field starts with `prefix`.
    pub fn starts_with(&self, prefix: &str) -> Condition<C> {
        let prefix = self.needle(prefix);
        let probe = self.prefix(&prefix);
        self.leaf(format!("starts with {prefix:?}"), Some(probe), move |text| {
            text.starts_with(prefix.as_str())
        })
    }

    /// The field ends with `suffix`.
    pub fn ends_with(&self, suffix: &str) -> Condition<C> {
        let suffix = self.needle(suffix);
        self.leaf(format!("ends with {suffix:?}"), None, move |text| text.ends_with(suffix.as_str()))
    }

    /// The field contains `part`.
    pub fn contains(&self, part: &str) -> Condition<C> {
        let part = self.needle(part);
        self.leaf(format!("contains {part:?}"), None, move |text| text.contains(part.as_str()))
    }

    /// The field matches `pattern` (see [`Field::matches`] on `String`).
    pub fn matches(&self, pattern: &str) -> Condition<C> {
        let pattern = self.needle(pattern);
        let probe = literal_prefix(&pattern).map(|prefix| self.prefix(prefix));
        let what = format!("matches {pattern:?}");
        let pattern: Vec<char> = pattern.chars().collect();
        self.leaf(what, probe, move |text| wildcard_match(&pattern, text))
    }
}
