//! [`Filter`]: a filter on objects read without their type, built at run time from
//! stored field paths and [`AnyValue`]s (what a command line or an inspector parses).
//!
//! It compares as typed queries do (`KeyPart::compare`): integers and floats by value,
//! across widths (`AnyValue::I64(10)` against a `u32` field), with `-0.0 == 0.0` and NaN
//! after `+inf`; strings and bytes byte-wise; enums by variant name; `None` before every
//! value. [`Filter::check`] refuses, before any record is read, a filter that
//! names an unknown field or could never match its field's type.

use super::value::{AnyValue, Object};
use crate::schema::{FieldDef, SchemaDef, StoredType};
use crate::{Error, Result};
use std::cmp::Ordering;
use std::fmt;

/// A filter on the objects of a collection read by a [`Snapshot`](super::Snapshot).
///
/// A field is named by its path: the stored field name, or names joined by `.` into
/// embedded structs (`"place.city"`); the id field by its stored name. A path through an
/// embedded field that is `None` reads as null.
///
/// ```
/// use insula::dynamic::{Filter, Object, AnyValue};
///
/// let popular = Filter::gt("likes", 10).and(Filter::eq("author", "ada"));
/// let object = Object {
///     id: 1,
///     fields: vec![("author".into(), AnyValue::from("ada")), ("likes".into(), AnyValue::U32(12))],
/// };
/// assert!(popular.matches(&object)); // an i32 value against a u32 field
/// assert_eq!(popular.to_string(), r#"(likes > 10) and (author == "ada")"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    node: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf(String, Op),
    /// A leaf on the id field, as [`Filter::bind`] rewrites one.
    Id(String, Op),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// Exactly one of the two.
    Xor(Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq(AnyValue),
    Ne(AnyValue),
    Gt(AnyValue),
    Ge(AnyValue),
    Lt(AnyValue),
    Le(AnyValue),
    Between(AnyValue, AnyValue),
    AnyOf(Vec<AnyValue>),
    StartsWith(String),
    EndsWith(String),
    Contains(AnyValue),
    IsNone,
}

impl Filter {
    fn leaf(path: &str, op: Op) -> Filter {
        Filter { node: Node::Leaf(path.to_owned(), op) }
    }

    /// The field at `path` equals `value` ([`AnyValue::Null`]: is `None`).
    pub fn eq(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Eq(value.into()))
    }

    /// The field at `path` differs from `value`.
    pub fn ne(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Ne(value.into()))
    }

    /// The field at `path` is greater than `value`.
    pub fn gt(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Gt(value.into()))
    }

    /// The field at `path` is greater than or equal to `value`.
    pub fn ge(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Ge(value.into()))
    }

    /// The field at `path` is less than `value`.
    pub fn lt(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Lt(value.into()))
    }

    /// The field at `path` is less than or equal to `value`.
    pub fn le(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Le(value.into()))
    }

    /// The field at `path` lies between `lower` and `upper`, both included.
    pub fn between(path: &str, lower: impl Into<AnyValue>, upper: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Between(lower.into(), upper.into()))
    }

    /// The field at `path` equals one of `values`.
    pub fn any_of<V: Into<AnyValue>>(path: &str, values: impl IntoIterator<Item = V>) -> Filter {
        Filter::leaf(path, Op::AnyOf(values.into_iter().map(Into::into).collect()))
    }

    /// The string at `path` starts with `prefix`.
    pub fn starts_with(path: &str, prefix: &str) -> Filter {
        Filter::leaf(path, Op::StartsWith(prefix.to_owned()))
    }

    /// The string at `path` ends with `suffix`.
    pub fn ends_with(path: &str, suffix: &str) -> Filter {
        Filter::leaf(path, Op::EndsWith(suffix.to_owned()))
    }

    /// The string at `path` contains the string `value`, or the list at `path` has an
    /// element equal to `value`.
    pub fn contains(path: &str, value: impl Into<AnyValue>) -> Filter {
        Filter::leaf(path, Op::Contains(value.into()))
    }

    /// The field at `path` is `None`.
    pub fn is_none(path: &str) -> Filter {
        Filter::leaf(path, Op::IsNone)
    }

    /// Both this and `other`.
    pub fn and(self, other: Filter) -> Filter {
        Filter {
            node: match self.node {
                Node::And(mut nodes) => {
                    nodes.push(other.node);
                    Node::And(nodes)
                }
                node => Node::And(vec![node, other.node]),
            },
        }
    }

    /// This or `other`, or both.
    pub fn or(self, other: Filter) -> Filter {
        Filter {
            node: match self.node {
                Node::Or(mut nodes) => {
                    nodes.push(other.node);
                    Node::Or(nodes)
                }
                node => Node::Or(vec![node, other.node]),
            },
        }
    }

    /// Not this.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Filter {
        Filter { node: Node::Not(Box::new(self.node)) }
    }

    /// This or `other`, but not both.
    pub fn xor(self, other: Filter) -> Filter {
        Filter { node: Node::Xor(Box::new(self.node), Box::new(other.node)) }
    }

    /// Checks every field path and value against `schema`: an unknown field, a path into
    /// a list or past a scalar, and a value that can never match its field (a string
    /// against a number, a variant the enum lacks, `is_none` of a field that is never
    /// `None`) give [`Error::InvalidFilter`], naming the field.
    ///
    /// ```
    /// use insula::dynamic::Filter;
    /// use insula::schema::SchemaDef;
    ///
    /// let schema = SchemaDef::parse(
    ///     "collection Message\nhash 0x1\nlayout 0x2\nid id\nfield author: string\nfield likes: u32\n",
    /// )?;
    /// assert!(Filter::gt("likes", -1i64).check(&schema).is_ok());
    /// let unknown = Filter::eq("autor", "ada").check(&schema).unwrap_err();
    /// assert!(unknown.to_string().contains("`autor`"), "{unknown}");
    /// assert!(Filter::eq("likes", "many").check(&schema).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, schema: &SchemaDef) -> Result<()> {
        self.node.check(schema)
    }

    /// Whether `object` matches. Paths name the object's stored fields: a filter on
    /// the id field matches by the id once [`Snapshot::query`](super::Snapshot::query)
    /// has bound it to the collection's schema, and nothing before. A filter that
    /// [`Filter::check`] would refuse matches nothing where it cannot be compared.
    pub fn matches(&self, object: &Object) -> bool {
        self.node.matches(object)
    }

    /// This filter, checked against `schema`, with its leaves on the id field bound to
    /// the object's id, and the text it compares with times, dates and UUIDs read once
    /// here instead of at each object.
    pub(crate) fn bind(&self, schema: &SchemaDef) -> Result<Filter> {
        self.check(schema)?;
        Ok(Filter { node: self.node.bind(schema) })
    }
}

impl Node {
    fn check(&self, schema: &SchemaDef) -> Result<()> {
        match self {
            Node::Leaf(path, op) => {
                let invalid = |reason: String| Error::InvalidFilter {
                    collection: schema.name.clone(),
                    field: path.clone(),
                    reason,
                };
                let (ty, nullable) = resolve(schema, path).map_err(invalid)?;
                op.check(&ty, nullable).map_err(invalid)
            }
            Node::Id(..) => Ok(()),
            Node::And(nodes) | Node::Or(nodes) => nodes.iter().try_for_each(|node| node.check(schema)),
            Node::Not(node) => node.check(schema),
            Node::Xor(a, b) => a.check(schema).and_then(|()| b.check(schema)),
        }
    }

    fn bind(&self, schema: &SchemaDef) -> Node {
        match self {
            Node::Leaf(path, op) if *path == schema.id => Node::Id(path.clone(), op.clone()),
            Node::Leaf(path, op) => match resolve(schema, path) {
                Ok((ty, _)) => Node::Leaf(path.clone(), op.typed(&ty)),
                Err(_) => self.clone(),
            },
            Node::Id(..) => self.clone(),
            Node::And(nodes) => Node::And(nodes.iter().map(|node| node.bind(schema)).collect()),
            Node::Or(nodes) => Node::Or(nodes.iter().map(|node| node.bind(schema)).collect()),
            Node::Not(node) => Node::Not(Box::new(node.bind(schema))),
            Node::Xor(a, b) => Node::Xor(Box::new(a.bind(schema)), Box::new(b.bind(schema))),
        }
    }

    fn matches(&self, object: &Object) -> bool {
        match self {
            Node::Leaf(path, op) => object.path(path).is_some_and(|value| op.matches(value)),
            Node::Id(_, op) => op.matches(&AnyValue::U64(object.id)),
            Node::And(nodes) => nodes.iter().all(|node| node.matches(object)),
            Node::Or(nodes) => nodes.iter().any(|node| node.matches(object)),
            Node::Not(node) => !node.matches(object),
            Node::Xor(a, b) => a.matches(object) != b.matches(object),
        }
    }
}

/// The type at `path` in `schema`, and whether it can be `None` (it is an `Option`, or
/// lies inside one).
pub(super) fn resolve(schema: &SchemaDef, path: &str) -> Result<(StoredType, bool), String> {
    if path == schema.id {
        return Ok((StoredType::U64, false));
    }
    let names =
        |fields: &[FieldDef]| fields.iter().map(|field| field.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut fields: &[FieldDef] = &schema.fields;
    let mut nullable = false;
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let Some(field) = fields.iter().find(|field| field.name == segment) else {
            return Err(format!("no field `{segment}` here; the fields are: {}", names(fields)));
        };
        nullable |= field.nullable;
        if segments.peek().is_none() {
            return Ok((field.ty.clone(), nullable));
        }
        match &field.ty {
            StoredType::Embedded { fields: inner, .. } => fields = inner,
            // The struct holds itself: the path goes on in the same fields.
            StoredType::Recursive => {}
            StoredType::List(_) => {
                return Err(format!("`{segment}` is a list; a path cannot go into a list"));
            }
            other => return Err(format!("`{segment}` is a `{other}`, which has no fields")),
        }
    }
    Err("an empty path".to_owned())
}

/// What a value compares as.
#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

fn number(value: &AnyValue) -> Option<Number> {
    Some(match *value {
        AnyValue::U8(v) => Number::Int(v.into()),
        AnyValue::U16(v) => Number::Int(v.into()),
        AnyValue::U32(v) => Number::Int(v.into()),
        AnyValue::U64(v) => Number::Int(v.into()),
        AnyValue::I8(v) => Number::Int(v.into()),
        AnyValue::I16(v) => Number::Int(v.into()),
        AnyValue::I32(v) => Number::Int(v.into()),
        AnyValue::I64(v) => Number::Int(v.into()),
        AnyValue::F32(v) => Number::Float(v.into()),
        AnyValue::F64(v) => Number::Float(v),
        _ => return None,
    })
}

/// Floats in the order of their index keys: `-0.0 == 0.0`, every NaN equal, after `+inf`.
fn compare_floats(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// An integer against a float, exactly (no rounding of large integers).
fn compare_int_float(int: i128, float: f64) -> Ordering {
    if float.is_nan() || float >= 2f64.powi(127) {
        return Ordering::Less;
    }
    if float < -(2f64.powi(127)) {
        return Ordering::Greater;
    }
    let whole = float.trunc();
    // In range, so the conversion is exact.
    match int.cmp(&(whole as i128)) {
        Ordering::Equal => compare_floats(whole, float),
        order => order,
    }
}

fn compare_numbers(a: Number, b: Number) -> Ordering {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => a.cmp(&b),
        (Number::Float(a), Number::Float(b)) => compare_floats(a, b),
        (Number::Int(a), Number::Float(b)) => compare_int_float(a, b),
        (Number::Float(a), Number::Int(b)) => compare_int_float(b, a).reverse(),
    }
}

/// How a stored value compares with a filter's, as typed queries compare: `None`
/// first; `None` when they cannot be compared.
pub(crate) fn compare(field: &AnyValue, value: &AnyValue) -> Option<Ordering> {
    match (field, value) {
        (AnyValue::Null, AnyValue::Null) => Some(Ordering::Equal),
        (AnyValue::Null, _) => Some(Ordering::Less),
        (_, AnyValue::Null) => Some(Ordering::Greater),
        (AnyValue::Bool(a), AnyValue::Bool(b)) => Some(a.cmp(b)),
        (AnyValue::String(a), AnyValue::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (AnyValue::Bytes(a), AnyValue::Bytes(b)) => Some(a.cmp(b)),
        (AnyValue::Timestamp(a), AnyValue::Timestamp(b)) => Some(a.cmp(b)),
        (AnyValue::Timestamp(a), AnyValue::String(b)) => Some(a.cmp(&super::time::parse_rfc3339(b)?)),
        (AnyValue::Duration(a), AnyValue::Duration(b)) => Some(a.cmp(b)),
        (AnyValue::Duration(a), AnyValue::String(b)) => Some(a.cmp(&super::time::parse_iso_duration(b)?)),
        (AnyValue::Date(a), AnyValue::Date(b)) => Some(a.cmp(b)),
        (AnyValue::Date(a), AnyValue::String(b)) => Some(a.cmp(&super::time::parse_iso_date(b)?)),
        (AnyValue::Uuid(a), AnyValue::Uuid(b)) => Some(a.cmp(b)),
        (AnyValue::Uuid(a), AnyValue::String(b)) => Some(a.cmp(&super::time::parse_uuid(b)?)),
        (AnyValue::Enum(a), AnyValue::Enum(b) | AnyValue::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (a, b) => Some(compare_numbers(number(a)?, number(b)?)),
    }
}

fn is(field: &AnyValue, value: &AnyValue, accept: fn(Ordering) -> bool) -> bool {
    compare(field, value).is_some_and(accept)
}

impl Op {
    fn matches(&self, field: &AnyValue) -> bool {
        match self {
            Op::Eq(value) => is(field, value, Ordering::is_eq),
            Op::Ne(value) => is(field, value, Ordering::is_ne),
            Op::Gt(value) => is(field, value, Ordering::is_gt),
            Op::Ge(value) => is(field, value, Ordering::is_ge),
            Op::Lt(value) => is(field, value, Ordering::is_lt),
            Op::Le(value) => is(field, value, Ordering::is_le),
            Op::Between(lower, upper) => {
                is(field, lower, Ordering::is_ge) && is(field, upper, Ordering::is_le)
            }
            Op::AnyOf(values) => values.iter().any(|value| is(field, value, Ordering::is_eq)),
            Op::StartsWith(prefix) => {
                matches!(field, AnyValue::String(text) if text.starts_with(prefix.as_str()))
            }
            Op::EndsWith(suffix) => {
                matches!(field, AnyValue::String(text) if text.ends_with(suffix.as_str()))
            }
            Op::Contains(value) => match (field, value) {
                (AnyValue::String(text), AnyValue::String(part)) => text.contains(part.as_str()),
                (AnyValue::List(items), value) => items.iter().any(|item| is(item, value, Ordering::is_eq)),
                _ => false,
            },
            Op::IsNone => field.is_null(),
        }
    }

    /// Whether this operator, with its values, can match a field of type `ty`.
    fn check(&self, ty: &StoredType, nullable: bool) -> Result<(), String> {
        let single = |value: &AnyValue| comparable(ty, nullable, value);
        match self {
            Op::Eq(value) | Op::Ne(value) | Op::Gt(value) | Op::Ge(value) | Op::Lt(value) | Op::Le(value) => {
                single(value)
            }
            Op::Between(lower, upper) => single(lower).and(single(upper)),
            Op::AnyOf(values) => values.iter().try_for_each(single),
            Op::StartsWith(_) | Op::EndsWith(_) => match ty {
                StoredType::String => Ok(()),
                other => Err(format!(
                    "a `{other}` field has no text to match; `starts_with` and `ends_with` take strings"
                )),
            },
            Op::Contains(value) => match ty {
                StoredType::String if matches!(value, AnyValue::String(_)) => Ok(()),
                StoredType::String => Err(format!("a string contains strings, not {value}")),
                StoredType::List(element) => comparable(element, false, value),
                other => {
                    Err(format!("a `{other}` field contains nothing; `contains` takes a string or a list"))
                }
            },
            Op::IsNone if nullable => Ok(()),
            Op::IsNone => Err(format!("a `{ty}` field is never `None`")),
        }
    }
}

impl Op {
    /// This operation with the text it compares with a field of type `ty` read as that
    /// type, where the type is written as text (times, dates, UUIDs).
    fn typed(&self, ty: &StoredType) -> Op {
        let typed = |value: &AnyValue| typed(ty, value);
        match self {
            Op::Eq(value) => Op::Eq(typed(value)),
            Op::Ne(value) => Op::Ne(typed(value)),
            Op::Gt(value) => Op::Gt(typed(value)),
            Op::Ge(value) => Op::Ge(typed(value)),
            Op::Lt(value) => Op::Lt(typed(value)),
            Op::Le(value) => Op::Le(typed(value)),
            Op::Between(lower, upper) => Op::Between(typed(lower), typed(upper)),
            Op::AnyOf(values) => Op::AnyOf(values.iter().map(typed).collect()),
            Op::Contains(value) => Op::Contains(typed(value)),
            Op::StartsWith(_) | Op::EndsWith(_) | Op::IsNone => self.clone(),
        }
    }
}

/// `value` as a value of type `ty` (a list's element type for a list) when it is the
/// text of a time, date or UUID; otherwise `value` itself.
fn typed(ty: &StoredType, value: &AnyValue) -> AnyValue {
    let AnyValue::String(text) = value else { return value.clone() };
    let read = match ty {
        StoredType::List(element) | StoredType::Optional(element) => return typed(element, value),
        StoredType::Timestamp => super::time::parse_rfc3339(text).map(AnyValue::Timestamp),
        StoredType::Duration => super::time::parse_iso_duration(text).map(AnyValue::Duration),
        StoredType::Date => super::time::parse_iso_date(text).map(AnyValue::Date),
        StoredType::Uuid => super::time::parse_uuid(text).map(AnyValue::Uuid),
        _ => None,
    };
    read.unwrap_or_else(|| value.clone())
}

/// Whether `value` can be compared with a field of type `ty`.
fn comparable(ty: &StoredType, nullable: bool, value: &AnyValue) -> Result<(), String> {
    let fits = match (ty, value) {
        (StoredType::Optional(inner), value) => return comparable(inner, true, value),
        (_, AnyValue::Null) => {
            return if nullable { Ok(()) } else { Err(format!("a `{ty}` field is never `None`")) };
        }
        (StoredType::List(_), _) => {
            return Err("a list is compared element by element: use `contains`".to_owned());
        }
        (StoredType::Embedded { .. } | StoredType::Recursive, _) => {
            return Err("an embedded struct is compared field by field: name one with `.`".to_owned());
        }
        (StoredType::Enum { name, variants }, AnyValue::Enum(variant) | AnyValue::String(variant)) => {
            if variants.contains(variant) {
                return Ok(());
            }
            return Err(format!("enum `{name}` has no variant {variant:?}; it has {variants:?}"));
        }
        (StoredType::Bool, AnyValue::Bool(_)) | (StoredType::String, AnyValue::String(_)) => true,
        (StoredType::Bytes, AnyValue::Bytes(_)) => true,
        (StoredType::Array(len), AnyValue::Bytes(bytes)) => bytes.len() == *len,
        (StoredType::Timestamp, AnyValue::Timestamp(_))
        | (StoredType::Duration, AnyValue::Duration(_))
        | (StoredType::Date, AnyValue::Date(_))
        | (StoredType::Uuid, AnyValue::Uuid(_)) => true,
        (
            ty @ (StoredType::Timestamp | StoredType::Duration | StoredType::Date | StoredType::Uuid),
            AnyValue::String(text),
        ) => {
            let (parses, example) = super::time::text_form(ty);
            if parses(text) {
                return Ok(());
            }
            return Err(format!("a `{ty}` is compared with text such as {example}, not {value}"));
        }
        (
            StoredType::U8
            | StoredType::U16
            | StoredType::U32
            | StoredType::U64
            | StoredType::I8
            | StoredType::I16
            | StoredType::I32
            | StoredType::I64
            | StoredType::F32
            | StoredType::F64,
            value,
        ) => number(value).is_some(),
        _ => false,
    };
    if fits { Ok(()) } else { Err(format!("a `{ty}` field never equals {value}")) }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Eq(value) => write!(f, "== {value}"),
            Op::Ne(value) => write!(f, "!= {value}"),
            Op::Gt(value) => write!(f, "> {value}"),
            Op::Ge(value) => write!(f, ">= {value}"),
            Op::Lt(value) => write!(f, "< {value}"),
            Op::Le(value) => write!(f, "<= {value}"),
            Op::Between(lower, upper) => write!(f, "between {lower} and {upper}"),
            Op::AnyOf(values) => write!(f, "any of {}", AnyValue::List(values.clone())),
            Op::StartsWith(prefix) => write!(f, "starts with {prefix:?}"),
            Op::EndsWith(suffix) => write!(f, "ends with {suffix:?}"),
            Op::Contains(value) => write!(f, "contains {value}"),
            Op::IsNone => f.write_str("is none"),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, nodes: &[Node], word: &str| {
            for (i, node) in nodes.iter().enumerate() {
                if i > 0 {
                    f.write_str(word)?;
                }
                write!(f, "({node})")?;
            }
            Ok(())
        };
        match self {
            Node::Leaf(path, op) | Node::Id(path, op) => write!(f, "{path} {op}"),
            Node::And(nodes) => join(f, nodes, " and "),
            Node::Or(nodes) => join(f, nodes, " or "),
            Node::Not(node) => write!(f, "not ({node})"),
            Node::Xor(a, b) => write!(f, "({a}) xor ({b})"),
        }
    }
}

/// The filter as the typed queries' `explain` writes one: `(likes > 10) and (author
/// == "ada")`.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_floats_compare_exactly() {
        let (int, float) = (Number::Int, Number::Float);
        // u64::MAX rounds to 2^64 as an f64; compared exactly it is smaller.
        assert_eq!(compare_numbers(int(u64::MAX.into()), float(2f64.powi(64))), Ordering::Less);
        assert_eq!(compare_numbers(int(1 << 53), float(9007199254740992.0)), Ordering::Equal);
        assert_eq!(compare_numbers(int((1 << 53) + 1), float(9007199254740992.0)), Ordering::Greater);
        assert_eq!(compare_numbers(int(2), float(2.5)), Ordering::Less);
        assert_eq!(compare_numbers(int(-2), float(-2.5)), Ordering::Greater);
        assert_eq!(compare_numbers(float(-0.0), int(0)), Ordering::Equal);
        assert_eq!(compare_numbers(float(-0.0), float(0.0)), Ordering::Equal);
        assert_eq!(compare_numbers(int(i128::from(i64::MAX)), float(f64::INFINITY)), Ordering::Less);
        assert_eq!(compare_numbers(float(f64::NEG_INFINITY), int(i128::from(i64::MIN))), Ordering::Less);
        // NaN sorts after everything, as in index keys, and equals NaN.
        assert_eq!(compare_numbers(float(f64::NAN), float(f64::INFINITY)), Ordering::Greater);
        assert_eq!(compare_numbers(int(0), float(f64::NAN)), Ordering::Less);
        assert_eq!(compare_numbers(float(f64::NAN), float(-f64::NAN)), Ordering::Equal);
    }

    #[test]
    fn null_sorts_first_and_mismatched_values_do_not_compare() {
        assert_eq!(compare(&AnyValue::Null, &AnyValue::U8(0)), Some(Ordering::Less));
        assert_eq!(compare(&AnyValue::I8(-1), &AnyValue::Null), Some(Ordering::Greater));
        assert_eq!(compare(&AnyValue::Enum("meh".into()), &AnyValue::from("Sad")), Some(Ordering::Greater));
        assert_eq!(compare(&AnyValue::from("1"), &AnyValue::U8(1)), None);
        assert!(
            !Filter::ne("x", 1).matches(&Object { id: 1, fields: vec![("x".into(), AnyValue::from("1"))] })
        );
    }
}
