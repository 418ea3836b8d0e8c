//! The one classifier of schema changes. Opening a database uses it to decide between
//! going on, migrating and refusing; the schema lock check uses it to report drift. They
//! cannot disagree, because there is only this one.

use super::stored::{FieldDef, IndexDef, Reading, SchemaDef};
use std::fmt;

/// Whether a change can be applied to existing data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Existing records stay readable as they are.
    Compatible,
    /// Existing records would be misread or lost.
    Breaking,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Compatible => "compatible",
            Verdict::Breaking => "breaking",
        })
    }
}

/// One difference between two versions of a collection's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A field was added; old records read its default.
    FieldAdded(FieldDef),
    /// A field was removed; its bytes in old records are skipped, and its stored values
    /// are gone for good.
    FieldRemoved(FieldDef),
    /// A field was removed and another of the same type added in the same change: a
    /// rename, most likely, which drops the stored values of the old name unless the new
    /// field keeps the stored name with `#[field(name = "old")]`. Applied as a removal
    /// and an addition.
    LooksRenamed {
        /// The removed field.
        old: FieldDef,
        /// The added field.
        new: FieldDef,
    },
    /// A field went from `T` to `Option<T>`; old records read `Some`.
    FieldWidened {
        /// The field before.
        old: FieldDef,
    },
    /// A number field went to a wider number type ([`StoredType::widens_to`]), perhaps
    /// made optional too; old records read their values widened, in place.
    ///
    /// [`StoredType::widens_to`]: super::StoredType::widens_to
    NumberWidened {
        /// The field before.
        old: FieldDef,
        /// The field after.
        new: FieldDef,
    },
    /// A field's type changed in a way old records cannot be read under.
    FieldTypeChanged {
        /// The field before.
        old: FieldDef,
        /// The field after.
        new: FieldDef,
    },
    /// The id field's stored name changed.
    IdChanged {
        /// The stored name before.
        old: String,
        /// The stored name after.
        new: String,
    },
    /// An index was added. A unique one can only be built when no two existing objects
    /// share a key, which only the data can tell.
    IndexAdded(IndexDef),
    /// An index was removed.
    IndexRemoved(IndexDef),
    /// An enum field's type gained variants; stored values keep their meaning.
    EnumVariantsAdded {
        /// The field before.
        old: FieldDef,
        /// The field after.
        new: FieldDef,
    },
    /// A unique index was added, but two objects share a key of it.
    UniqueIndexViolated {
        /// The index.
        index: IndexDef,
        /// One object.
        first: crate::Id,
        /// Another object with the same key.
        second: crate::Id,
    },
}

impl Change {
    /// What applying the change to existing data would do.
    pub fn verdict(&self) -> Verdict {
        match self {
            Change::FieldAdded(_)
            | Change::FieldRemoved(_)
            | Change::LooksRenamed { .. }
            | Change::FieldWidened { .. }
            | Change::NumberWidened { .. }
            | Change::IndexAdded(_)
            | Change::IndexRemoved(_)
            | Change::EnumVariantsAdded { .. } => Verdict::Compatible,
            Change::FieldTypeChanged { .. }
            | Change::IdChanged { .. }
            | Change::UniqueIndexViolated { .. } => Verdict::Breaking,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::FieldAdded(field) => write!(f, "field `{field}` added"),
            Change::FieldRemoved(field) => write!(f, "field `{field}` removed, dropping its stored values"),
            Change::LooksRenamed { old, new } => write!(
                f,
                "field `{old}` removed and `{new}` added, dropping the stored values of `{}`; if it was renamed, \
                 keep them with `#[field(name = \"{}\")]` on `{}`",
                old.name, old.name, new.name
            ),
            Change::FieldWidened { old } => write!(f, "field `{}` made optional (was `{old}`)", old.name),
            Change::NumberWidened { old, new } => {
                write!(
                    f,
                    "field `{}` widened from `{old}` to `{new}`; stored values read as they are",
                    old.name
                )
            }
            Change::FieldTypeChanged { old, new } => {
                write!(f, "field `{}` changed from `{old}` to `{new}`", old.name)
            }
            Change::IdChanged { old, new } => write!(f, "id field changed from `{old}` to `{new}`"),
            Change::IndexAdded(index) if index.unique => {
                write!(f, "index `{index}` added (refused if existing objects share a key)")
            }
            Change::IndexAdded(index) => write!(f, "index `{index}` added"),
            Change::IndexRemoved(index) => write!(f, "index `{index}` removed"),
            Change::EnumVariantsAdded { old, new } => {
                write!(f, "field `{}` gained enum variants (was `{old}`, now `{new}`)", old.name)
            }
            Change::UniqueIndexViolated { index, first, second } => {
                write!(f, "unique index `{index}` added, but objects {first} and {second} share a key")
            }
        }?;
        write!(f, " [{}]", self.verdict())
    }
}

/// Every difference from `old` to `new`, two versions of one collection's schema. Field
/// order is not a difference: fields are identified by stored name.
///
/// ```
/// use insula::prelude::*;
/// use insula::schema::{Change, SchemaDef, Verdict, classify};
///
/// mod v1 {
///     use insula::prelude::*;
///     #[derive(Collection)]
///     pub struct Item { #[id] pub id: Id, pub price: u32, pub name: u32 }
/// }
/// mod v2 {
///     use insula::prelude::*;
///     #[derive(Collection)]
///     pub struct Item { #[id] pub id: Id, pub price: u64, pub name: String }
/// }
///
/// let changes = classify(&SchemaDef::from(&v1::Item::SCHEMA), &SchemaDef::from(&v2::Item::SCHEMA));
/// let verdicts: Vec<Verdict> = changes.iter().map(Change::verdict).collect();
/// assert_eq!(verdicts, [Verdict::Breaking, Verdict::Compatible]); // name retyped, price widened
/// assert_eq!(
///     changes[1].to_string(),
///     "field `price` widened from `price: u32` to `price: u64`; stored values read as they are [compatible]"
/// );
/// ```
pub fn classify(old: &SchemaDef, new: &SchemaDef) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.id != new.id {
        changes.push(Change::IdChanged { old: old.id.clone(), new: new.id.clone() });
    }
    for field in &new.fields {
        match old.field(&field.name) {
            None => changes.push(Change::FieldAdded(field.clone())),
            Some(was) if was.same_shape(field) => {}
            Some(was) => match was.reads_as(field) {
                Some(Reading { widened: true, .. }) => {
                    changes.push(Change::NumberWidened { old: was.clone(), new: field.clone() })
                }
                Some(Reading { as_some: true, .. }) if was.ty.same_shape(&field.ty) => {
                    changes.push(Change::FieldWidened { old: was.clone() })
                }
                Some(Reading { as_some: false, .. }) => {
                    changes.push(Change::EnumVariantsAdded { old: was.clone(), new: field.clone() })
                }
                _ => changes.push(Change::FieldTypeChanged { old: was.clone(), new: field.clone() }),
            },
        }
    }
    for field in &old.fields {
        if new.field(&field.name).is_none() {
            changes.push(Change::FieldRemoved(field.clone()));
        }
    }
    pair_renames(&mut changes);
    for index in &new.indexes {
        if !old.indexes.contains(index) {
            changes.push(Change::IndexAdded(index.clone()));
        }
    }
    for index in &old.indexes {
        if !new.indexes.contains(index) {
            changes.push(Change::IndexRemoved(index.clone()));
        }
    }
    changes
}

/// Replaces a removed field and an added one of the same type (and optionality) by one
/// [`Change::LooksRenamed`], where the pairing is unambiguous: exactly one removed and
/// one added field have that type.
fn pair_renames(changes: &mut Vec<Change>) {
    let same = |a: &FieldDef, b: &FieldDef| a.ty.same_shape(&b.ty) && a.nullable == b.nullable;
    let removed: Vec<FieldDef> = changes
        .iter()
        .filter_map(|change| match change {
            Change::FieldRemoved(field) => Some(field.clone()),
            _ => None,
        })
        .collect();
    let added: Vec<FieldDef> = changes
        .iter()
        .filter_map(|change| match change {
            Change::FieldAdded(field) => Some(field.clone()),
            _ => None,
        })
        .collect();
    for old in &removed {
        let mut candidates = added.iter().filter(|new| same(old, new));
        let (Some(new), None) = (candidates.next(), candidates.next()) else { continue };
        if removed.iter().filter(|other| same(other, new)).count() != 1 {
            continue;
        }
        changes.retain(|change| !matches!(change, Change::FieldRemoved(field) | Change::FieldAdded(field) if field == old || field == new));
        changes.push(Change::LooksRenamed { old: old.clone(), new: new.clone() });
    }
}

/// How one collection differs between the schema set an instance is open with and the
/// one a caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionDiff {
    /// The open instance has this collection; the caller did not ask for it.
    Missing(String),
    /// The caller asked for this collection; the open instance does not have it.
    Extra(String),
    /// Both have it, with different schemas.
    Changed {
        /// The collection's stored name.
        collection: String,
        /// From the open instance's schema to the caller's.
        changes: Vec<Change>,
    },
}

impl fmt::Display for CollectionDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectionDiff::Missing(name) => write!(f, "collection `{name}` is open but was not asked for"),
            CollectionDiff::Extra(name) => write!(f, "collection `{name}` was asked for but is not open"),
            CollectionDiff::Changed { collection, changes } => {
                write!(f, "collection `{collection}` differs: ")?;
                write_list(f, changes)
            }
        }
    }
}

/// Writes `items` separated by `; `.
pub(crate) fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// The differences between two schema sets, each sorted by collection name.
pub(crate) fn diff_sets(open: &[SchemaDef], asked: &[SchemaDef]) -> Vec<CollectionDiff> {
    let mut diffs = Vec::new();
    for schema in open {
        match asked.iter().find(|other| other.name == schema.name) {
            None => diffs.push(CollectionDiff::Missing(schema.name.clone())),
            Some(other) if other.hash != schema.hash => diffs.push(CollectionDiff::Changed {
                collection: schema.name.clone(),
                changes: classify(schema, other),
            }),
            Some(_) => {}
        }
    }
    for schema in asked {
        if !open.iter().any(|other| other.name == schema.name) {
            diffs.push(CollectionDiff::Extra(schema.name.clone()));
        }
    }
    diffs
}
