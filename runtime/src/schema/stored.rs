//! The owned, textual form of a schema: what a database file records for each
//! collection, and what the schema lock file of `cargo xtask schema-check` holds.
//!
//! It is made from the derive's [`Schema`] and keeps that schema's hash, so the hash has
//! one definition ([`Schema::hash`]) however the schema travels. The text is one line per
//! fact, diff-friendly:
//!
//! ```text
//! collection Message
//! hash 0x6a687dc7cbdff23b
//! layout 0x1f2e3d4c
//! id id
//! field author: string
//! field reply_to: u64?
//! index author
//! ```

use super::model::{FieldSchema, Schema, ValueType};
use std::fmt::{self, Write as _};

/// A collection's schema, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDef {
    /// The stored collection name.
    pub name: String,
    /// [`Schema::hash`] of the schema this was made from.
    pub hash: u64,
    /// [`Schema::layout_tag`] of the schema this was made from.
    pub layout_tag: u32,
    /// The stored name of the id field.
    pub id: String,
    /// The stored fields, in slot order.
    pub fields: Vec<FieldDef>,
    /// The indexes.
    pub indexes: Vec<IndexDef>,
}

/// A stored field, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// The stored name.
    pub name: String,
    /// The stored type.
    pub ty: StoredType,
    /// Whether the field is an `Option`.
    pub nullable: bool,
}

/// A stored type, owned: [`ValueType`] as a file or a lock records it, parsed once from
/// its text and written back to the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredType {
    /// `bool`.
    Bool,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `String`.
    String,
    /// `Vec<u8>`.
    Bytes,
    /// A point in time (`SystemTime`), see [`ValueType::Timestamp`].
    Timestamp,
    /// A span of time (`Duration`), see [`ValueType::Duration`].
    Duration,
    /// A calendar date, see [`ValueType::Date`].
    Date,
    /// A UUID, see [`ValueType::Uuid`].
    Uuid,
    /// `[u8; N]`, see [`ValueType::Array`].
    Array(usize),
    /// A list's optional element, see [`ValueType::Optional`].
    Optional(Box<StoredType>),
    /// `Vec<T>`.
    List(Box<StoredType>),
    /// An enum that derives `Enumerated`: its Rust name and its variants' stored names.
    Enum {
        /// The Rust name (not part of the hash).
        name: String,
        /// The stored names of the variants, in declaration order.
        variants: Vec<String>,
    },
    /// A struct that derives `Embedded`: its Rust name and its fields.
    Embedded {
        /// The Rust name (not part of the hash).
        name: String,
        /// The stored fields, in slot order.
        fields: Vec<FieldDef>,
    },
    /// The embedded struct around this field, again, see [`ValueType::Recursive`].
    Recursive,
}

impl From<&ValueType<'_>> for StoredType {
    fn from(ty: &ValueType<'_>) -> Self {
        match ty {
            ValueType::Bool => StoredType::Bool,
            ValueType::U8 => StoredType::U8,
            ValueType::U16 => StoredType::U16,
            ValueType::U32 => StoredType::U32,
            ValueType::U64 => StoredType::U64,
            ValueType::I8 => StoredType::I8,
            ValueType::I16 => StoredType::I16,
            ValueType::I32 => StoredType::I32,
            ValueType::I64 => StoredType::I64,
            ValueType::F32 => StoredType::F32,
            ValueType::F64 => StoredType::F64,
            ValueType::String => StoredType::String,
            ValueType::Bytes => StoredType::Bytes,
            ValueType::Timestamp => StoredType::Timestamp,
            ValueType::Duration => StoredType::Duration,
            ValueType::Date => StoredType::Date,
            ValueType::Uuid => StoredType::Uuid,
            ValueType::Array(len) => StoredType::Array(*len),
            ValueType::Optional(inner) => StoredType::Optional(Box::new(StoredType::from(*inner))),
            ValueType::List(element) => StoredType::List(Box::new(StoredType::from(*element))),
            ValueType::Enum(schema) => StoredType::Enum {
                name: schema.name.to_owned(),
                variants: schema.variants.iter().map(|variant| (*variant).to_owned()).collect(),
            },
            ValueType::Embedded(schema) => StoredType::Embedded {
                name: schema.name.to_owned(),
                fields: schema.fields.iter().map(FieldDef::from).collect(),
            },
            ValueType::Recursive => StoredType::Recursive,
        }
    }
}

impl StoredType {
    /// The width of a slot of this type, in bytes, without the `Option` tag: what
    /// [`ValueType::width`] says of the type it was made from.
    pub fn width(&self) -> usize {
        match self {
            StoredType::Bool | StoredType::U8 | StoredType::I8 => 1,
            StoredType::U16 | StoredType::I16 => 2,
            StoredType::U32 | StoredType::I32 | StoredType::F32 | StoredType::Enum { .. } => 4,
            StoredType::U64 | StoredType::I64 | StoredType::F64 => 8,
            StoredType::Timestamp | StoredType::Duration => 12,
            StoredType::Date => 4,
            StoredType::Uuid => 16,
            StoredType::Array(len) => *len,
            StoredType::Optional(inner) => 1 + inner.width(),
            StoredType::String
            | StoredType::Bytes
            | StoredType::List(_)
            | StoredType::Embedded { .. }
            | StoredType::Recursive => 8,
        }
    }

    /// Whether an index on a field of this type keeps the values' order exactly: not for
    /// lists (one entry per element), nor for strings or bytes (a long one is indexed by
    /// a prefix and a hash).
    pub fn keys_keep_order(&self) -> bool {
        match self {
            StoredType::String | StoredType::Bytes | StoredType::List(_) => false,
            StoredType::Array(len) => *len <= crate::codec::key::LONG_KEY_PREFIX,
            _ => true,
        }
    }

    /// Whether a value stored as `self` reads as `newer`: `Some(false)` for the same type
    /// or an enum whose variants `newer` all has (variants are stored by name),
    /// `Some(true)` for a number that `newer` widens ([`StoredType::widens_to`]).
    fn reads_as(&self, newer: &StoredType) -> Option<bool> {
        match (self, newer) {
            (StoredType::Enum { variants: old, .. }, StoredType::Enum { variants: new, .. }) => {
                old.iter().all(|variant| new.contains(variant)).then_some(false)
            }
            _ if self.same_shape(newer) => Some(false),
            _ => self.widens_to(newer).then_some(true),
        }
    }

    /// Whether `newer` is a wider number type that holds every value of `self`: `u8` to
    /// `u16` to `u32` to `u64`, `i8` to `i64` likewise, an unsigned type into a wider
    /// signed one, and `f32` to `f64`. Narrowing, a change of sign that loses values, and
    /// integers to floats are not widening.
    pub fn widens_to(&self, newer: &StoredType) -> bool {
        use StoredType::{F32, F64, I8, I16, I32, I64, U8, U16, U32, U64};
        let rank = |ty: &StoredType| match ty {
            U8 | I8 => 1,
            U16 | I16 => 2,
            U32 | I32 => 3,
            U64 | I64 => 4,
            _ => 0,
        };
        match (self, newer) {
            (U8 | U16 | U32, U16 | U32 | U64 | I16 | I32 | I64) | (I8 | I16 | I32, I16 | I32 | I64) => {
                rank(self) < rank(newer)
            }
            (F32, F64) => true,
            _ => false,
        }
    }

    /// Whether `self` and `other` store the same data the same way: equal but for the
    /// Rust names of enums and embedded structs, which the schema hash and the layout
    /// leave out too. The data decides, not the names.
    pub fn same_shape(&self, other: &StoredType) -> bool {
        match (self, other) {
            (StoredType::List(a), StoredType::List(b)) => a.same_shape(b),
            (StoredType::Enum { variants: a, .. }, StoredType::Enum { variants: b, .. }) => a == b,
            (StoredType::Embedded { fields: a, .. }, StoredType::Embedded { fields: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_shape(b))
            }
            _ => self == other,
        }
    }

    /// A short name of the type, as [`ValueType::kind`] gives it.
    fn word(&self) -> Option<&'static str> {
        Some(match self {
            StoredType::Bool => "bool",
            StoredType::U8 => "u8",
            StoredType::U16 => "u16",
            StoredType::U32 => "u32",
            StoredType::U64 => "u64",
            StoredType::I8 => "i8",
            StoredType::I16 => "i16",
            StoredType::I32 => "i32",
            StoredType::I64 => "i64",
            StoredType::F32 => "f32",
            StoredType::F64 => "f64",
            StoredType::String => "string",
            StoredType::Bytes => "bytes",
            StoredType::Timestamp => "timestamp",
            StoredType::Duration => "duration",
            StoredType::Date => "date",
            StoredType::Uuid => "uuid",
            StoredType::Recursive => "self",
            StoredType::List(_)
            | StoredType::Enum { .. }
            | StoredType::Embedded { .. }
            | StoredType::Array(_)
            | StoredType::Optional(_) => {
                return None;
            }
        })
    }

    /// Parses the text [`StoredType`]'s `Display` writes (the same as [`ValueType`]'s).
    pub fn parse(text: &str) -> Result<StoredType, String> {
        let mut parser = TypeParser { rest: text };
        let ty = parser.ty()?;
        if parser.rest.is_empty() {
            Ok(ty)
        } else {
            Err(format!("unexpected `{}` after the type", parser.rest))
        }
    }
}

impl fmt::Display for StoredType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredType::List(element) => write!(f, "list<{element}>"),
            StoredType::Array(len) => write!(f, "bytes[{len}]"),
            StoredType::Optional(inner) => write!(f, "{inner}?"),
            StoredType::Enum { name, variants } => write!(f, "enum {name}{variants:?}"),
            StoredType::Embedded { name, fields } => {
                write!(f, "embedded {name} {{")?;
                for (i, field) in fields.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { ", " })?;
                    write!(f, "{field}")?;
                }
                f.write_str(" }")
            }
            other => f.write_str(other.word().unwrap_or_default()),
        }
    }
}

/// Reads a type's text from the front of `rest`.
struct TypeParser<'t> {
    rest: &'t str,
}

impl<'t> TypeParser<'t> {
    fn eat(&mut self, token: &str) -> bool {
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) { Ok(()) } else { Err(format!("expected `{token}` at `{}`", self.rest)) }
    }

    /// The text up to (not including) the first of `stops`.
    fn until(&mut self, stops: &[char]) -> &'t str {
        let at = self.rest.find(stops).unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(at);
        self.rest = rest;
        word
    }

    fn ty(&mut self) -> Result<StoredType, String> {
        if self.eat("bytes[") {
            let len = self.until(&[']']);
            let len = len.parse().map_err(|_| format!("`{len}` is not an array's length"))?;
            self.expect("]")?;
            return Ok(StoredType::Array(len));
        }
        if self.eat("list<") {
            let mut element = self.ty()?;
            if self.eat("?") {
                element = StoredType::Optional(Box::new(element));
            }
            self.expect(">")?;
            return Ok(StoredType::List(Box::new(element)));
        }
        if self.eat("enum ") {
            let name = self.until(&['[']).to_owned();
            self.expect("[")?;
            let mut variants = Vec::new();
            while !self.eat("]") {
                if !variants.is_empty() {
                    self.expect(", ")?;
                }
                variants.push(self.quoted()?);
            }
            return Ok(StoredType::Enum { name, variants });
        }
        if self.eat("embedded ") {
            let name = self.until(&[' ']).to_owned();
            self.expect(" {")?;
            let mut fields = Vec::new();
            while !self.eat(" }") {
                self.expect(if fields.is_empty() { " " } else { ", " })?;
                let field = self.until(&[':']).to_owned();
                self.expect(": ")?;
                let ty = self.ty()?;
                let nullable = self.eat("?");
                fields.push(FieldDef { name: field, ty, nullable });
            }
            return Ok(StoredType::Embedded { name, fields });
        }
        let word = self.until(&['>', ',', '?', ' ']);
        Ok(match word {
            "bool" => StoredType::Bool,
            "u8" => StoredType::U8,
            "u16" => StoredType::U16,
            "u32" => StoredType::U32,
            "u64" => StoredType::U64,
            "i8" => StoredType::I8,
            "i16" => StoredType::I16,
            "i32" => StoredType::I32,
            "i64" => StoredType::I64,
            "f32" => StoredType::F32,
            "f64" => StoredType::F64,
            "string" => StoredType::String,
            "bytes" => StoredType::Bytes,
            "timestamp" => StoredType::Timestamp,
            "duration" => StoredType::Duration,
            "date" => StoredType::Date,
            "uuid" => StoredType::Uuid,
            "self" => StoredType::Recursive,
            other => return Err(format!("unknown type `{other}`")),
        })
    }

    /// A string as `{:?}` writes it.
    fn quoted(&mut self) -> Result<String, String> {
        self.expect("\"")?;
        let mut out = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[at + 1..];
                    return Ok(out);
                }
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('0') => out.push('\0'),
                    Some('u') => {
                        let mut hex = String::new();
                        for (_, c) in chars.by_ref() {
                            match c {
                                '{' => {}
                                '}' => break,
                                c => hex.push(c),
                            }
                        }
                        let code = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        out.push(code.ok_or_else(|| format!("bad escape `\\u{{{hex}}}`"))?);
                    }
                    Some(c) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("a variant name is not closed".to_owned())
    }
}

/// An index, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    /// The stored names of the indexed fields, most significant first.
    pub fields: Vec<String>,
    /// Whether keys are unique.
    pub unique: bool,
    /// Whether a colliding `put` replaces the other object.
    pub replace: bool,
    /// Whether strings compare without regard to case.
    pub case_insensitive: bool,
}

impl From<&Schema<'_>> for SchemaDef {
    fn from(schema: &Schema<'_>) -> Self {
        SchemaDef {
            name: schema.name().to_owned(),
            hash: schema.hash(),
            layout_tag: schema.layout_tag(),
            id: schema.id_field().to_owned(),
            fields: schema.fields().iter().map(FieldDef::from).collect(),
            indexes: schema
                .indexes()
                .iter()
                .map(|index| IndexDef {
                    fields: index.fields.iter().map(|field| (*field).to_owned()).collect(),
                    unique: index.unique,
                    replace: index.replace,
                    case_insensitive: index.case_insensitive,
                })
                .collect(),
        }
    }
}

impl From<&FieldSchema<'_>> for FieldDef {
    fn from(field: &FieldSchema<'_>) -> Self {
        FieldDef { name: field.name.to_owned(), ty: StoredType::from(&field.ty), nullable: field.nullable }
    }
}

impl FieldDef {
    /// The width of the field's slot.
    pub fn width(&self) -> usize {
        self.ty.width() + usize::from(self.nullable)
    }

    /// How a slot written as `self` reads as `newer`, or `None` when it cannot. An enum
    /// reads as an enum with more variants, since variants are stored by name; a number
    /// reads as a wider number; `T` reads as `Some` of an `Option<T>`.
    pub fn reads_as(&self, newer: &FieldDef) -> Option<Reading> {
        let widened = self.ty.reads_as(&newer.ty)?;
        match (self.nullable, newer.nullable) {
            (old, new) if old == new => Some(Reading { as_some: false, widened }),
            (false, true) => Some(Reading { as_some: true, widened }),
            _ => None,
        }
    }
}

/// How a slot written by one version of a field reads as a later version
/// ([`FieldDef::reads_as`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The old field was `T` and the new one is `Option<T>`: old values read as `Some`.
    pub as_some: bool,
    /// The old field held a narrower number ([`StoredType::widens_to`]): old values are
    /// widened as they are read.
    pub widened: bool,
}

impl FieldDef {
    /// Whether `self` and `other` are the same field but for the Rust names of enums and
    /// embedded structs ([`StoredType::same_shape`]).
    pub fn same_shape(&self, other: &FieldDef) -> bool {
        self.name == other.name && self.nullable == other.nullable && self.ty.same_shape(&other.ty)
    }
}

impl fmt::Display for FieldDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}{}", self.name, self.ty, if self.nullable { "?" } else { "" })
    }
}

impl IndexDef {
    /// The index's name: its fields joined by `+`.
    pub fn name(&self) -> String {
        self.fields.join("+")
    }
}

impl fmt::Display for IndexDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())?;
        for (flag, word) in [
            (self.unique, " unique"),
            (self.replace, " replace"),
            (self.case_insensitive, " case_insensitive"),
        ] {
            if flag {
                f.write_str(word)?;
            }
        }
        Ok(())
    }
}

/// Why a schema's text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SchemaTextError {
    /// The 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

impl SchemaDef {
    /// The schema as text, one fact per line, ending with a newline.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "collection {}", self.name);
        let _ = writeln!(out, "hash {:#018x}", self.hash);
        let _ = writeln!(out, "layout {:#010x}", self.layout_tag);
        let _ = writeln!(out, "id {}", self.id);
        for field in &self.fields {
            let _ = writeln!(out, "field {field}");
        }
        for index in &self.indexes {
            let _ = writeln!(out, "index {index}");
        }
        out
    }

    /// Reads the text [`SchemaDef::to_text`] writes.
    pub fn parse(text: &str) -> Result<SchemaDef, SchemaTextError> {
        let mut def = SchemaDef {
            name: String::new(),
            hash: 0,
            layout_tag: 0,
            id: String::new(),
            fields: Vec::new(),
            indexes: Vec::new(),
        };
        let mut seen = [false; 4];
        for (number, line) in text.lines().enumerate() {
            let error = |reason: &str| SchemaTextError { line: number + 1, reason: reason.to_owned() };
            let (key, rest) = line.split_once(' ').ok_or_else(|| error("expected `key value`"))?;
            match key {
                "collection" => {
                    def.name = rest.to_owned();
                    seen[0] = true;
                }
                "hash" => {
                    def.hash = parse_hex(rest).ok_or_else(|| error("expected a hex hash"))?;
                    seen[1] = true;
                }
                "layout" => {
                    let tag = parse_hex(rest).and_then(|tag| u32::try_from(tag).ok());
                    def.layout_tag = tag.ok_or_else(|| error("expected a hex layout tag"))?;
                    seen[2] = true;
                }
                "id" => {
                    def.id = rest.to_owned();
                    seen[3] = true;
                }
                "field" => {
                    let (name, ty) =
                        rest.split_once(": ").ok_or_else(|| error("expected `field name: type`"))?;
                    let (ty, nullable) = match ty.strip_suffix('?') {
                        Some(ty) => (ty, true),
                        None => (ty, false),
                    };
                    let ty = StoredType::parse(ty).map_err(|reason| error(&reason))?;
                    def.fields.push(FieldDef { name: name.to_owned(), ty, nullable });
                }
                "index" => {
                    let mut words = rest.split(' ');
                    let fields = words.next().unwrap_or_default().split('+').map(str::to_owned).collect();
                    let mut index =
                        IndexDef { fields, unique: false, replace: false, case_insensitive: false };
                    for word in words {
                        match word {
                            "unique" => index.unique = true,
                            "replace" => index.replace = true,
                            "case_insensitive" => index.case_insensitive = true,
                            _ => return Err(error("unknown index flag")),
                        }
                    }
                    def.indexes.push(index);
                }
                _ => return Err(error("unknown key")),
            }
        }
        if seen.contains(&false) {
            return Err(SchemaTextError {
                line: text.lines().count(),
                reason: "missing one of `collection`, `hash`, `layout`, `id`".to_owned(),
            });
        }
        Ok(def)
    }

    /// The field with this stored name.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|field| field.name == name)
    }
}

fn parse_hex(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix("0x")?, 16).ok()
}
