//! The schema model: what a collection stores, as constant data.
//!
//! `#[derive(Collection)]` builds a [`Schema`] in a `const`, so its hash is computed by
//! the compiler. The same types describe the schemas recorded in a database file and
//! in the lock file of `cargo xtask schema-check`, borrowed from wherever they were
//! read, so there is exactly one definition of the hash: [`Schema::hash`].

use super::stored::{FieldDef, StoredType};
use xxhash_rust::const_xxh3::xxh3_64_with_seed;

/// A collection's schema: its stored name, the id field, every stored field and every
/// index.
///
/// Fields are kept in the order of their stored names, which is also the order of their
/// slots in a record (see `runtime/FORMAT.md`), so declaration order changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema<'a> {
    name: &'a str,
    id: &'a str,
    fields: &'a [FieldSchema<'a>],
    indexes: &'a [IndexSchema<'a>],
    hash: u64,
}

impl<'a> Schema<'a> {
    /// Describes a collection. `fields` must be sorted by stored name (the derive sorts
    /// them); the hash is computed here, at compile time when called in a `const`.
    pub const fn new(
        name: &'a str,
        id: &'a str,
        fields: &'a [FieldSchema<'a>],
        indexes: &'a [IndexSchema<'a>],
    ) -> Self {
        let hash = schema_hash(name, id, fields, indexes);
        Schema { name, id, fields, indexes, hash }
    }

    /// The stored name of the collection.
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// The stored name of the id field.
    pub const fn id_field(&self) -> &'a str {
        self.id
    }

    /// The stored fields (the id excluded), sorted by stored name.
    pub const fn fields(&self) -> &'a [FieldSchema<'a>] {
        self.fields
    }

    /// The indexes, in declaration order.
    pub const fn indexes(&self) -> &'a [IndexSchema<'a>] {
        self.indexes
    }

    /// The schema hash: it covers the collection's stored name, each stored field's
    /// name, type and nullability, the id field and every index, and nothing else. It
    /// does not depend on the order of fields or indexes, and is the same on every
    /// platform and build.
    pub const fn hash(&self) -> u64 {
        self.hash
    }

    /// The tag written at the head of every record: a hash of the record layout (the
    /// fields, in slot order, with their types and nullability). Two schemas with the
    /// same layout share a tag, whatever their indexes.
    pub const fn layout_tag(&self) -> u32 {
        layout_tag(self.fields)
    }

    /// The field with this stored name, if any.
    pub fn field(&self, name: &str) -> Option<&'a FieldSchema<'a>> {
        self.fields.iter().find(|field| field.name == name)
    }
}

/// One stored field: its stored name, its type and whether it may be `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSchema<'a> {
    /// The stored name (`#[field(name = "..")]`, or the Rust name).
    pub name: &'a str,
    /// The stored type.
    pub ty: ValueType<'a>,
    /// Whether the field is an `Option`.
    pub nullable: bool,
}

impl<'a> FieldSchema<'a> {
    /// Describes a field of Rust type `T`, asking `T` for its stored type.
    pub const fn of<T: crate::codec::Value>(name: &'a str) -> Self {
        FieldSchema { name, ty: T::TYPE, nullable: T::NULLABLE }
    }

    /// The width of this field's slot in the fixed part of a record, in bytes.
    pub const fn width(&self) -> usize {
        self.ty.width() + self.nullable as usize
    }
}

/// A stored type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueType<'a> {
    /// `bool`, one byte.
    Bool,
    /// `u8`.
    U8,
    /// `u16`, little-endian.
    U16,
    /// `u32`, little-endian.
    U32,
    /// `u64`, little-endian.
    U64,
    /// `i8`.
    I8,
    /// `i16`, little-endian.
    I16,
    /// `i32`, little-endian.
    I32,
    /// `i64`, little-endian.
    I64,
    /// `f32`, IEEE 754, little-endian.
    F32,
    /// `f64`, IEEE 754, little-endian.
    F64,
    /// `String`: UTF-8 bytes in the tail.
    String,
    /// `Vec<u8>`: raw bytes in the tail.
    Bytes,
    /// A point in time (`std::time::SystemTime`): whole seconds since the Unix epoch as
    /// an `i64` (negative before it), then nanoseconds as a `u32` below 10⁹, both
    /// little-endian.
    Timestamp,
    /// A span of time (`std::time::Duration`): whole seconds as a `u64`, then nanoseconds
    /// as a `u32` below 10⁹, both little-endian.
    Duration,
    /// A calendar date (chrono's `NaiveDate`, time's `Date`): days since 1970-01-01 as an
    /// `i32`, little-endian.
    Date,
    /// A UUID (uuid's `Uuid`): its 16 bytes, in their written order.
    Uuid,
    /// `[u8; N]`: the N bytes, in the slot itself.
    Array(usize),
    /// `Option<T>` as a list's element (`Vec<Option<T>>`): a tag byte, then `T`'s slot.
    /// A field's own `Option` is its nullability instead.
    Optional(&'a ValueType<'a>),
    /// `Vec<T>`: elements in the tail.
    List(&'a ValueType<'a>),
    /// A fieldless enum that derives `Enumerated`, stored by variant name.
    Enum(&'a EnumSchema<'a>),
    /// A struct that derives `Embedded`, stored as a nested record in the tail.
    Embedded(&'a EmbeddedSchema<'a>),
    /// The embedded struct this field belongs to, held again through a `Box`
    /// (`Option<Box<Self>>`): a nested record of the innermost embedded struct around
    /// it, which is how a schema states a cycle and stays finite. Written `self`.
    Recursive,
}

impl ValueType<'_> {
    /// The width of a slot of this type, in bytes, without the `Option` tag.
    pub const fn width(&self) -> usize {
        match self {
            ValueType::Bool | ValueType::U8 | ValueType::I8 => 1,
            ValueType::U16 | ValueType::I16 => 2,
            ValueType::U32 | ValueType::I32 | ValueType::F32 | ValueType::Enum(_) => 4,
            ValueType::U64 | ValueType::I64 | ValueType::F64 => 8,
            ValueType::Timestamp | ValueType::Duration => 12,
            ValueType::Date => 4,
            ValueType::Uuid => 16,
            ValueType::Array(len) => *len,
            ValueType::Optional(inner) => 1 + inner.width(),
            // A tail reference: u32 offset and u32 length (or element count).
            ValueType::String
            | ValueType::Bytes
            | ValueType::List(_)
            | ValueType::Embedded(_)
            | ValueType::Recursive => 8,
        }
    }

    /// A short name of the type, as written in messages and in the schema lock file.
    pub const fn kind(&self) -> &'static str {
        match self {
            ValueType::Bool => "bool",
            ValueType::U8 => "u8",
            ValueType::U16 => "u16",
            ValueType::U32 => "u32",
            ValueType::U64 => "u64",
            ValueType::I8 => "i8",
            ValueType::I16 => "i16",
            ValueType::I32 => "i32",
            ValueType::I64 => "i64",
            ValueType::F32 => "f32",
            ValueType::F64 => "f64",
            ValueType::String => "string",
            ValueType::Bytes => "bytes",
            ValueType::Timestamp => "timestamp",
            ValueType::Duration => "duration",
            ValueType::Date => "date",
            ValueType::Uuid => "uuid",
            ValueType::Array(_) => "array",
            ValueType::Optional(_) => "option",
            ValueType::List(_) => "list",
            ValueType::Enum(_) => "enum",
            ValueType::Embedded(_) => "embedded",
            ValueType::Recursive => "self",
        }
    }
}

impl core::fmt::Display for ValueType<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ValueType::List(element) => write!(f, "list<{element}>"),
            ValueType::Array(len) => write!(f, "bytes[{len}]"),
            ValueType::Optional(inner) => write!(f, "{inner}?"),
            ValueType::Enum(schema) => write!(f, "enum {}{:?}", schema.name, schema.variants),
            ValueType::Embedded(schema) => {
                write!(f, "embedded {} {{", schema.name)?;
                for (i, field) in schema.fields.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}: {}", field.name, field.ty)?;
                    if field.nullable {
                        f.write_str("?")?;
                    }
                }
                f.write_str(" }")
            }
            other => f.write_str(other.kind()),
        }
    }
}

/// The variants of an enum that derives `Enumerated`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumSchema<'a> {
    /// The Rust name of the enum (not part of the hash).
    pub name: &'a str,
    /// The stored names of the variants, in declaration order.
    pub variants: &'a [&'a str],
}

/// The fields of a struct that derives `Embedded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedSchema<'a> {
    /// The Rust name of the struct (not part of the hash).
    pub name: &'a str,
    /// The stored fields, sorted by stored name.
    pub fields: &'a [FieldSchema<'a>],
}

impl EmbeddedSchema<'_> {
    /// The tag written at the head of each nested record of this type.
    pub const fn layout_tag(&self) -> u32 {
        layout_tag(self.fields)
    }
}

/// An index over one field, or over several (a composite index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSchema<'a> {
    /// The stored names of the indexed fields, most significant first.
    pub fields: &'a [&'a str],
    /// Whether two objects may not share a key.
    pub unique: bool,
    /// Whether a `put` that collides on this unique index replaces the other object.
    pub replace: bool,
    /// Whether strings are compared without regard to case.
    pub case_insensitive: bool,
}

impl IndexSchema<'_> {
    /// The index's name as messages and the lock file write it: its fields joined by `+`.
    pub fn display_name(&self) -> String {
        self.fields.join("+")
    }
}

// The hash. Every part is folded in through xxh3 with the running value as the seed,
// and the parts whose order must not matter (fields, indexes) are hashed one by one and
// added: a sum of well-mixed values does not depend on their order.

const TAG_COLLECTION: u64 = 0x4353_4348_454d_4131; // arbitrary, fixed forever
const TAG_LAYOUT: u64 = 0x4c41_594f_5554_3031;

const fn mix(seed: u64, value: u64) -> u64 {
    xxh3_64_with_seed(&value.to_le_bytes(), seed)
}

const fn mix_str(seed: u64, text: &str) -> u64 {
    // The length goes in first so that ("ab", "c") and ("a", "bc") differ.
    xxh3_64_with_seed(text.as_bytes(), mix(seed, text.len() as u64))
}

const fn type_hash(seed: u64, ty: &ValueType<'_>) -> u64 {
    let code = match ty {
        ValueType::Bool => 1,
        ValueType::U8 => 2,
        ValueType::U16 => 3,
        ValueType::U32 => 4,
        ValueType::U64 => 5,
        ValueType::I8 => 6,
        ValueType::I16 => 7,
        ValueType::I32 => 8,
        ValueType::I64 => 9,
        ValueType::F32 => 10,
        ValueType::F64 => 11,
        ValueType::String => 12,
        ValueType::Bytes => 13,
        ValueType::List(_) => 14,
        ValueType::Enum(_) => 15,
        ValueType::Embedded(_) => 16,
        ValueType::Timestamp => 17,
        ValueType::Duration => 18,
        ValueType::Date => 19,
        ValueType::Uuid => 20,
        ValueType::Array(_) => 21,
        ValueType::Optional(_) => 22,
        ValueType::Recursive => 23,
    };
    let seed = mix(seed, code);
    match ty {
        ValueType::List(element) => type_hash(seed, element),
        ValueType::Enum(schema) => {
            let mut sum = 0u64;
            let mut i = 0;
            while i < schema.variants.len() {
                sum = sum.wrapping_add(mix_str(seed, schema.variants[i]));
                i += 1;
            }
            mix(seed, sum)
        }
        ValueType::Embedded(schema) => mix(seed, fields_hash(seed, schema.fields)),
        ValueType::Array(len) => mix(seed, *len as u64),
        ValueType::Optional(inner) => type_hash(seed, inner),
        _ => seed,
    }
}

const fn field_hash(seed: u64, field: &FieldSchema<'_>) -> u64 {
    let seed = mix_str(seed, field.name);
    let seed = type_hash(seed, &field.ty);
    mix(seed, field.nullable as u64)
}

/// Order-independent: a sum of one hash per field.
const fn fields_hash(seed: u64, fields: &[FieldSchema<'_>]) -> u64 {
    let mut sum = 0u64;
    let mut i = 0;
    while i < fields.len() {
        sum = sum.wrapping_add(field_hash(seed, &fields[i]));
        i += 1;
    }
    sum
}

const fn index_hash(seed: u64, index: &IndexSchema<'_>) -> u64 {
    let mut seed = mix(seed, index.fields.len() as u64);
    let mut i = 0;
    // The order of a composite index's fields matters: it is the key's order.
    while i < index.fields.len() {
        seed = mix_str(seed, index.fields[i]);
        i += 1;
    }
    let flags = index.unique as u64 | (index.replace as u64) << 1 | (index.case_insensitive as u64) << 2;
    mix(seed, flags)
}

const fn schema_hash(name: &str, id: &str, fields: &[FieldSchema<'_>], indexes: &[IndexSchema<'_>]) -> u64 {
    let seed = mix_str(TAG_COLLECTION, name);
    let seed = mix_str(seed, id);
    let seed = mix(seed, fields_hash(seed, fields));
    let mut sum = 0u64;
    let mut i = 0;
    while i < indexes.len() {
        sum = sum.wrapping_add(index_hash(seed, &indexes[i]));
        i += 1;
    }
    mix(seed, sum)
}

/// Order-dependent: a record's slots follow the order of `fields`.
const fn layout_tag(fields: &[FieldSchema<'_>]) -> u32 {
    let mut seed = TAG_LAYOUT;
    let mut i = 0;
    while i < fields.len() {
        seed = field_hash(seed, &fields[i]);
        i += 1;
    }
    (seed ^ (seed >> 32)) as u32
}

// The same layout tag, computed at run time from a schema the file recorded (an
// embedded struct's tag is not stored, and the dynamic reader needs it to check nested
// records). It mirrors `type_hash`, `field_hash` and `layout_tag` above step for step;
// the test below and every dynamic open (which checks each collection's stored tag
// against it) hold the two together.

fn stored_type_hash(seed: u64, ty: &StoredType) -> u64 {
    let code = match ty {
        StoredType::Bool => 1,
        StoredType::U8 => 2,
        StoredType::U16 => 3,
        StoredType::U32 => 4,
        StoredType::U64 => 5,
        StoredType::I8 => 6,
        StoredType::I16 => 7,
        StoredType::I32 => 8,
        StoredType::I64 => 9,
        StoredType::F32 => 10,
        StoredType::F64 => 11,
        StoredType::String => 12,
        StoredType::Bytes => 13,
        StoredType::List(_) => 14,
        StoredType::Enum { .. } => 15,
        StoredType::Embedded { .. } => 16,
        StoredType::Timestamp => 17,
        StoredType::Duration => 18,
        StoredType::Date => 19,
        StoredType::Uuid => 20,
        StoredType::Array(_) => 21,
        StoredType::Optional(_) => 22,
        StoredType::Recursive => 23,
    };
    let seed = mix(seed, code);
    match ty {
        StoredType::Array(len) => mix(seed, *len as u64),
        StoredType::Optional(inner) => stored_type_hash(seed, inner),
        StoredType::List(element) => stored_type_hash(seed, element),
        StoredType::Enum { variants, .. } => {
            let sum = variants.iter().fold(0u64, |sum, variant| sum.wrapping_add(mix_str(seed, variant)));
            mix(seed, sum)
        }
        StoredType::Embedded { fields, .. } => {
            let sum = fields.iter().fold(0u64, |sum, field| sum.wrapping_add(stored_field_hash(seed, field)));
            mix(seed, sum)
        }
        _ => seed,
    }
}

fn stored_field_hash(seed: u64, field: &FieldDef) -> u64 {
    let seed = mix_str(seed, &field.name);
    let seed = stored_type_hash(seed, &field.ty);
    mix(seed, field.nullable as u64)
}

/// The layout tag of a record whose fields, in slot order, are `fields`: what
/// [`Schema::layout_tag`] and [`EmbeddedSchema::layout_tag`] give for the schema they
/// were recorded from.
pub(crate) fn stored_layout_tag(fields: &[FieldDef]) -> u32 {
    let seed = fields.iter().fold(TAG_LAYOUT, stored_field_hash);
    (seed ^ (seed >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Collection, Embedded};

    #[derive(crate::Enumerated, Debug, Clone, Copy, Default, PartialEq)]
    enum Mood {
        #[default]
        Happy,
        #[variant(name = "meh")]
        Neutral,
    }

    #[derive(crate::Embedded, Debug, Clone, Default, PartialEq)]
    struct Place {
        name: String,
        floor: Option<i16>,
        moods: Vec<Mood>,
    }

    #[derive(crate::Collection, Debug, Clone, Default, PartialEq)]
    struct Visit {
        #[id]
        id: crate::Id,
        place: Place,
        places: Vec<Place>,
        maybe: Option<Place>,
        mood: Option<Mood>,
        words: Vec<String>,
        when: f64,
        trail: Step,
    }

    /// A struct that holds itself: `self` in the schema.
    #[derive(crate::Embedded, Debug, Clone, Default, PartialEq)]
    struct Step {
        at: u32,
        next: Option<Box<Step>>,
    }

    fn defs(fields: &[FieldSchema<'_>]) -> Vec<FieldDef> {
        fields.iter().map(FieldDef::from).collect()
    }

    #[test]
    fn the_run_time_layout_tag_is_the_compile_time_one() {
        assert_eq!(stored_layout_tag(&defs(Visit::SCHEMA.fields())), Visit::SCHEMA.layout_tag());
        assert_eq!(stored_layout_tag(&defs(Place::SCHEMA.fields)), Place::SCHEMA.layout_tag());
        assert_eq!(stored_layout_tag(&defs(Step::SCHEMA.fields)), Step::SCHEMA.layout_tag());
        assert_eq!(stored_layout_tag(&[]), layout_tag(&[]));
        // Order matters, as it does at compile time.
        let mut reversed = defs(Visit::SCHEMA.fields());
        reversed.reverse();
        assert_ne!(stored_layout_tag(&reversed), Visit::SCHEMA.layout_tag());
    }

    #[test]
    fn a_struct_that_holds_itself_hashes_apart_from_one_that_holds_another() {
        // `self` is a type of its own in the hash: a `Step` that held some other struct
        // of the same fields would hash differently.
        let recursive = Step::SCHEMA.layout_tag();
        let other = [
            FieldSchema::of::<u32>("at"),
            FieldSchema { name: "next", ty: ValueType::Embedded(&Step::SCHEMA), nullable: true },
        ];
        assert_ne!(layout_tag(&other), recursive);
        let stored = StoredType::from(&ValueType::Embedded(&Step::SCHEMA));
        assert_eq!(stored.to_string(), "embedded Step { at: u32, next: self? }");
        assert_eq!(StoredType::parse(&stored.to_string()), Ok(stored));
    }
}
