//! Index keys: byte strings that sort, compared as bytes, in the natural order of the
//! values they encode.
//!
//! | value | key |
//! | --- | --- |
//! | `bool` | `0` or `1` |
//! | unsigned integer | big-endian |
//! | signed integer | big-endian with the sign bit flipped, so negatives come first |
//! | `f32`, `f64` | IEEE bits, big-endian; positive: sign bit flipped; negative: all bits flipped. `-0.0` is stored as `0.0` (they are equal), and every NaN as one NaN that sorts after `+inf` |
//! | `String`, `Vec<u8>` | the bytes with each `00` written `00 01`, then `00 00`; a value longer than [`LONG_KEY_PREFIX`] bytes keeps that prefix, then `00 02` and the xxh3-64 of the whole value, big-endian |
//! | enum | its variant's stored name, as a string |
//! | `Option<T>` | `00` for `None`; `01` then `T`'s key for `Some` |
//! | `Vec<T>` | one entry per distinct element (a multi-entry index) |
//!
//! Every key is self-delimiting, so a composite index concatenates its fields' keys. A
//! case-insensitive index lowercases strings (Unicode lowercase) first.
//!
//! Long strings: two values that share their first [`LONG_KEY_PREFIX`] bytes sort by
//! hash rather than by content, and equality on such a key is confirmed against the
//! stored object, so a hash collision can never return a wrong object.

use crate::codec::{Corrupt, Element, Required, Value, read_ref};
use std::cmp::Ordering;

/// A string as a case-insensitive index keys it, and as case-insensitive conditions
/// compare it: a string with an uppercase letter becomes its Unicode lowercase (Rust's
/// `str::to_lowercase`, the full mapping, with Greek final sigma); any other string is
/// left as it is.
pub(crate) fn fold_case(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Strings and byte strings longer than this are indexed by this many bytes plus a hash.
pub(crate) const LONG_KEY_PREFIX: usize = 256;

/// A [`Value`] that an `#[index]` can cover.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be indexed",
    label = "not indexable",
    note = "indexable: bool, integers, f32, f64, String, Vec<u8>, SystemTime, Duration, enums \
            that derive `Enumerated`, Option of those, and Vec of those (one entry per element)"
)]
pub trait Indexable: Value {
    /// Pushes the key of each index entry `view` makes: one for a single value, one per
    /// distinct element for a list.
    fn index_keys(view: Self::View<'_>, case_insensitive: bool, keys: &mut Vec<Vec<u8>>);

    /// The same keys, from an owned value (a `put` has the object at hand).
    fn value_index_keys(value: &Self, case_insensitive: bool, keys: &mut Vec<Vec<u8>>);
}

/// How a key is written. Only strings and byte strings are written differently in
/// each mode; every other value has one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// As an index stores it: long values become a prefix and a hash, and a
    /// case-insensitive index lowercases strings.
    Index {
        /// Whether strings are lowercased.
        case_insensitive: bool,
    },
    /// Whole, for sorting: every value, however long, in its exact order.
    Full,
    /// A lower bound of the index keys of every value at or above this one.
    Lower,
    /// An upper bound (as a prefix) of the index keys of every value at or below this
    /// one.
    Upper,
}

/// A single-valued [`Indexable`]: it has exactly one key, and values compare in the
/// order of their keys.
pub trait KeyPart: Value {
    /// Appends the key of `view` to `out`, in `mode`.
    fn write_key(view: Self::View<'_>, mode: KeyMode, out: &mut Vec<u8>);

    /// Compares two values in the order of their keys: integers and strings naturally,
    /// floats by value with `-0.0 == 0.0` and NaN after `+inf`, `None` first, enums by
    /// variant name. Queries compare with it, so a scan and an index agree.
    fn compare(a: Self::View<'_>, b: Self::View<'_>) -> Ordering;

    /// The view of an owned value, to compare it with stored ones.
    fn as_view(&self) -> Self::View<'_>;

    /// Whether the value stored in `slot` (a slot of this type's own form) equals
    /// `value`: what [`KeyPart::compare`] says of the value read from the slot.
    /// Strings and byte strings compare their stored bytes instead, without checking a
    /// string's UTF-8 first: bytes equal to a `&str`'s are UTF-8.
    #[inline]
    fn slot_equals(slot: &[u8], record: &[u8], value: Self::View<'_>) -> Result<bool, Corrupt> {
        Ok(Self::compare(Self::read(slot, record)?, value).is_eq())
    }

    /// Whether `view` is an `Option`'s `None`, which aggregates (`min`, `max`, `sum`,
    /// `avg`) leave out, as SQL does with `NULL`.
    #[inline]
    fn is_none(view: Self::View<'_>) -> bool {
        let _ = view;
        false
    }
}

/// A numeric field type, for `Query::sum` and `Query::avg` (an `Option` of one too: its
/// `None`s are left out).
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

/// A value a composite index can cover: a single value, not a list (an object whose list
/// is empty would have no entry, and a query by the other fields would miss it).
#[diagnostic::on_unimplemented(
    message = "a composite index cannot cover `{Self}`",
    label = "not a single value",
    note = "composite indexes cover single values; index a list field on its own"
)]
pub trait CompositePart: KeyPart {}

impl<T: KeyPart> CompositePart for T {}

/// A [`Value`] made of strings, which an `#[index(case_insensitive)]` can cover.
#[diagnostic::on_unimplemented(
    message = "`#[index(case_insensitive)]` needs a string field, not `{Self}`",
    label = "not a string",
    note = "case-insensitive indexes cover String, Option<String> and Vec<String>"
)]
pub trait Text: Indexable {}

impl Text for String {}
impl Text for Option<String> {}
impl Text for Vec<String> {}

macro_rules! single_key {
    ($($ty:ty),*) => {$(
        impl Indexable for $ty {
            fn index_keys(view: Self::View<'_>, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
                let mut key = Vec::new();
                <$ty as KeyPart>::write_key(view, KeyMode::Index { case_insensitive }, &mut key);
                keys.push(key);
            }

            fn value_index_keys(value: &Self, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
                Self::index_keys(value.as_view(), case_insensitive, keys);
            }
        }
    )*};
}

single_key!(bool, u8, u16, u32, u64, i8, i16, i32, i64, f32, f64, String, Vec<u8>, std::time::Duration);

macro_rules! unsigned_key {
    ($($ty:ty),*) => {$(
        impl KeyPart for $ty {
            #[inline]
            fn write_key(view: $ty, _: KeyMode, out: &mut Vec<u8>) {
                out.extend_from_slice(&view.to_be_bytes());
            }

            #[inline]
            fn compare(a: $ty, b: $ty) -> Ordering {
                a.cmp(&b)
            }

            #[inline]
            fn as_view(&self) -> $ty {
                *self
            }
        }
    )*};
}

unsigned_key!(u8, u16, u32, u64);

macro_rules! signed_key {
    ($($ty:ty => $unsigned:ty),*) => {$(
        impl KeyPart for $ty {
            #[inline]
            fn write_key(view: $ty, _: KeyMode, out: &mut Vec<u8>) {
                let flipped = (view as $unsigned) ^ (1 << (<$unsigned>::BITS - 1));
                out.extend_from_slice(&flipped.to_be_bytes());
            }

            #[inline]
            fn compare(a: $ty, b: $ty) -> Ordering {
                a.cmp(&b)
            }

            #[inline]
            fn as_view(&self) -> $ty {
                *self
            }
        }
    )*};
}

signed_key!(i8 => u8, i16 => u16, i32 => u32, i64 => u64);

/// The bits of a float as an unsigned integer that sorts like the float: `-0.0` is
/// `0.0`, every NaN is the one NaN, which sorts after `+inf`.
macro_rules! ordered_bits {
    ($value:expr, $ty:ty, $bits:ty) => {{
        let value: $ty = $value;
        let value = if value == 0.0 {
            0.0
        } else if value.is_nan() {
            <$ty>::NAN
        } else {
            value
        };
        let bits = value.to_bits();
        let sign: $bits = 1 << (<$bits>::BITS - 1);
        if bits & sign != 0 { !bits } else { bits ^ sign }
    }};
}

macro_rules! float_key {
    ($($ty:ty => $bits:ty),*) => {$(
        impl KeyPart for $ty {
            #[inline]
            fn write_key(view: $ty, _: KeyMode, out: &mut Vec<u8>) {
                out.extend_from_slice(&ordered_bits!(view, $ty, $bits).to_be_bytes());
            }

            #[inline]
            fn compare(a: $ty, b: $ty) -> Ordering {
                ordered_bits!(a, $ty, $bits).cmp(&ordered_bits!(b, $ty, $bits))
            }

            #[inline]
            fn as_view(&self) -> $ty {
                *self
            }
        }
    )*};
}

float_key!(f32 => u32, f64 => u64);

impl KeyPart for bool {
    #[inline]
    fn write_key(view: bool, _: KeyMode, out: &mut Vec<u8>) {
        out.push(u8::from(view));
    }

    fn compare(a: bool, b: bool) -> Ordering {
        a.cmp(&b)
    }

    fn as_view(&self) -> bool {
        *self
    }
}

impl KeyPart for String {
    fn write_key(view: &str, mode: KeyMode, out: &mut Vec<u8>) {
        if mode == (KeyMode::Index { case_insensitive: true }) {
            write_bytes_key(fold_case(view).as_bytes(), mode, out);
        } else {
            write_bytes_key(view.as_bytes(), mode, out);
        }
    }

    fn compare(a: &str, b: &str) -> Ordering {
        a.as_bytes().cmp(b.as_bytes())
    }

    fn as_view(&self) -> &str {
        self
    }

    #[inline]
    fn slot_equals(slot: &[u8], record: &[u8], value: &str) -> Result<bool, Corrupt> {
        Ok(read_ref(slot, record, 1)?.0 == value.as_bytes())
    }
}

impl KeyPart for Vec<u8> {
    fn write_key(view: &[u8], mode: KeyMode, out: &mut Vec<u8>) {
        write_bytes_key(view, mode, out);
    }

    fn compare(a: &[u8], b: &[u8]) -> Ordering {
        a.cmp(b)
    }

    fn as_view(&self) -> &[u8] {
        self
    }

    #[inline]
    fn slot_equals(slot: &[u8], record: &[u8], value: &[u8]) -> Result<bool, Corrupt> {
        Ok(read_ref(slot, record, 1)?.0 == value)
    }
}

/// `[u8; N]` is keyed as `Vec<u8>` is, so that both read as the same stored bytes.
impl<const N: usize> KeyPart for [u8; N] {
    fn write_key(view: &[u8; N], mode: KeyMode, out: &mut Vec<u8>) {
        write_bytes_key(view, mode, out);
    }

    fn compare(a: &[u8; N], b: &[u8; N]) -> Ordering {
        a.cmp(b)
    }

    fn as_view(&self) -> &[u8; N] {
        self
    }
}

impl<const N: usize> Indexable for [u8; N] {
    fn index_keys(view: &[u8; N], case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
        let mut key = Vec::new();
        write_bytes_key(view, KeyMode::Index { case_insensitive }, &mut key);
        keys.push(key);
    }

    fn value_index_keys(value: &[u8; N], case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
        Self::index_keys(value, case_insensitive, keys);
    }
}

/// The escaped, terminated encoding of a byte string (see the module docs).
pub fn write_bytes_key(bytes: &[u8], mode: KeyMode, out: &mut Vec<u8>) {
    let long = bytes.len() > LONG_KEY_PREFIX && mode != KeyMode::Full;
    let prefix = if long { &bytes[..LONG_KEY_PREFIX] } else { bytes };
    for &byte in prefix {
        out.push(byte);
        if byte == 0 {
            out.push(1);
        }
    }
    match (long, mode) {
        (false, _) => out.extend_from_slice(&[0, 0]),
        (true, KeyMode::Index { .. } | KeyMode::Full) => {
            out.extend_from_slice(&[0, 2]);
            out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(bytes).to_be_bytes());
        }
        // Every long value with this prefix has a key that starts with it...
        (true, KeyMode::Lower) => {}
        // ...and continues below 0xff (an escaped byte or the 00 02 marker).
        (true, KeyMode::Upper) => out.push(0xff),
    }
}

impl<T: Required + KeyPart> KeyPart for Option<T> {
    fn write_key(view: Self::View<'_>, mode: KeyMode, out: &mut Vec<u8>) {
        match view {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                T::write_key(value, mode, out);
            }
        }
    }

    fn compare(a: Self::View<'_>, b: Self::View<'_>) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => T::compare(a, b),
        }
    }

    fn as_view(&self) -> Self::View<'_> {
        self.as_ref().map(T::as_view)
    }

    fn is_none(view: Self::View<'_>) -> bool {
        view.is_none()
    }
}

/// `Option<T>` of a number: `None` counts as nothing (aggregates skip it), and `Some`
/// as its number.
impl<T: Required + Numeric> Numeric for Option<T> {
    fn to_f64(view: Self::View<'_>) -> f64 {
        view.map_or(0.0, T::to_f64)
    }
}

impl<T: Required + KeyPart> Indexable for Option<T> {
    fn index_keys(view: Self::View<'_>, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
        let mut key = Vec::new();
        Self::write_key(view, KeyMode::Index { case_insensitive }, &mut key);
        keys.push(key);
    }

    fn value_index_keys(value: &Self, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
        Self::index_keys(value.as_view(), case_insensitive, keys);
    }
}

impl<T: Element + KeyPart> Indexable for Vec<T> {
    fn index_keys(view: Self::View<'_>, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
        element_keys::<T>(view.iter(), case_insensitive, keys);
    }

    fn value_index_keys(value: &Self, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
        element_keys::<T>(value.iter().map(T::as_view), case_insensitive, keys);
    }
}

/// One key per distinct element of a list.
fn element_keys<'a, T: Element + KeyPart>(
    elements: impl Iterator<Item = T::View<'a>>,
    case_insensitive: bool,
    keys: &mut Vec<Vec<u8>>,
) {
    let start = keys.len();
    for element in elements {
        let mut key = Vec::new();
        T::write_key(element, KeyMode::Index { case_insensitive }, &mut key);
        keys.push(key);
    }
    // One entry per distinct element.
    keys[start..].sort_unstable();
    let mut distinct = start;
    for i in start..keys.len() {
        if distinct == start || keys[i] != keys[distinct - 1] {
            keys.swap(distinct, i);
            distinct += 1;
        }
    }
    keys.truncate(distinct);
}

/// The keys of a composite index: every combination of one key per field, each the
/// concatenation of the fields' keys in order. `parts` holds each field's keys.
pub fn combine_keys(mut parts: Vec<Vec<Vec<u8>>>) -> Vec<Vec<u8>> {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut keys = vec![Vec::new()];
    for part in &parts {
        keys = keys
            .iter()
            .flat_map(|prefix| {
                part.iter().map(move |key| {
                    let mut combined = prefix.clone();
                    combined.extend_from_slice(key);
                    combined
                })
            })
            .collect();
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key<T: KeyPart>(value: T::View<'_>, mode: KeyMode) -> Vec<u8> {
        let mut key = Vec::new();
        T::write_key(value, mode, &mut key);
        key
    }

    const INDEX: KeyMode = KeyMode::Index { case_insensitive: false };

    /// Keys sort like `compare`, and `compare` is the natural order.
    fn check<T: KeyPart>(a: &T, b: &T, natural: Ordering) {
        let (a, b) = (a.as_view(), b.as_view());
        assert_eq!(T::compare(a, b), natural, "{a:?} vs {b:?}");
        assert_eq!(key::<T>(a, KeyMode::Full).cmp(&key::<T>(b, KeyMode::Full)), natural, "{a:?} vs {b:?}");
        assert_eq!(key::<T>(a, INDEX).cmp(&key::<T>(b, INDEX)), natural, "{a:?} vs {b:?}");
    }

    proptest! {
        #[test]
        fn integers_sort_naturally(a: i64, b: i64, c: u64, d: u64, e: i8, f: i8, g: u16, h: u16, i: i32, j: i32) {
            check(&a, &b, a.cmp(&b));
            check(&c, &d, c.cmp(&d));
            check(&e, &f, e.cmp(&f));
            check(&g, &h, g.cmp(&h));
            check(&i, &j, i.cmp(&j));
        }

        #[test]
        fn floats_sort_by_value(a: f64, b: f64, c: f32, d: f32) {
            // NaN is defined to sort after everything, and to equal itself.
            let natural = |x: f64, y: f64| match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => x.partial_cmp(&y).unwrap(),
            };
            check(&a, &b, natural(a, b));
            check(&c, &d, natural(f64::from(c), f64::from(d)));
        }

        #[test]
        fn short_strings_sort_by_bytes(a in "[a-c\\x00é]{0,6}", b in "[a-c\\x00é]{0,6}") {
            check(&a, &b, a.as_bytes().cmp(b.as_bytes()));
        }

        #[test]
        fn long_strings_sort_by_bytes_in_full_keys_and_stay_distinct_in_index_keys(
            a in "[ab]{250,270}",
            b in "[ab]{250,270}",
        ) {
            let (full_a, full_b) = (key::<String>(&a, KeyMode::Full), key::<String>(&b, KeyMode::Full));
            prop_assert_eq!(full_a.cmp(&full_b), a.as_bytes().cmp(b.as_bytes()));
            let (index_a, index_b) = (key::<String>(&a, INDEX), key::<String>(&b, INDEX));
            prop_assert_eq!(index_a == index_b, a == b);
            // The bounds hold every index key between them.
            if a <= b {
                prop_assert!(key::<String>(&a, KeyMode::Lower) <= index_a);
                let upper = key::<String>(&b, KeyMode::Upper);
                prop_assert!(index_b.starts_with(&upper) || index_b < upper);
            }
        }

        #[test]
        fn options_sort_none_first(a: Option<i32>, b: Option<i32>) {
            check(&a, &b, a.cmp(&b));
        }

        #[test]
        fn composite_keys_sort_field_by_field(a: (u8, String), b: (u8, String)) {
            let composite = |(n, s): &(u8, String)| [key::<u8>(*n, INDEX), key::<String>(s, INDEX)].concat();
            prop_assert_eq!(composite(&a).cmp(&composite(&b)), a.0.cmp(&b.0).then(a.1.as_bytes().cmp(b.1.as_bytes())));
        }
    }

    #[test]
    fn negative_zero_equals_zero_and_nan_is_one_value() {
        assert_eq!(key::<f64>(-0.0, INDEX), key::<f64>(0.0, INDEX));
        assert_eq!(key::<f64>(f64::NAN, INDEX), key::<f64>(-f64::NAN, INDEX));
        assert!(key::<f64>(f64::INFINITY, INDEX) < key::<f64>(f64::NAN, INDEX));
        assert!(key::<bool>(false, INDEX) < key::<bool>(true, INDEX));
    }

    #[test]
    fn case_insensitive_keys_fold_case() {
        let folded = |s: &str| key::<String>(s, KeyMode::Index { case_insensitive: true });
        assert_eq!(folded("Ada"), folded("ADA"));
        assert_ne!(key::<String>("Ada", INDEX), key::<String>("ada", INDEX));
    }

    #[test]
    fn list_keys_are_distinct_elements() {
        let mut keys = Vec::new();
        let mut record = Vec::new();
        let list = vec!["b".to_owned(), "a".to_owned(), "b".to_owned()];
        // Encode the list as a record's only field to get a list view.
        record.resize(8, 0);
        list.encode(&mut record, 0, 0);
        let view = <Vec<String> as Value>::read(&record[..8], &record).unwrap();
        <Vec<String> as Indexable>::index_keys(view, false, &mut keys);
        assert_eq!(keys, [key::<String>("a", INDEX), key::<String>("b", INDEX)]);
    }
}
