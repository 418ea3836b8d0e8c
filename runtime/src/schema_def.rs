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

use crate::schema::{FieldSchema, Schema};
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
    /// The stored type, as [`crate::ValueType`] displays it (`u32`, `list<string>`, ..).
    pub ty: String,
    /// Whether the field is an `Option`.
    pub nullable: bool,
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
        FieldDef { name: field.name.to_owned(), ty: field.ty.to_string(), nullable: field.nullable }
    }
}

impl FieldDef {
    /// The width of the field's slot, read off its type's text. `None` for a type this
    /// version of Insula does not know.
    pub fn width(&self) -> Option<usize> {
        let base = match self.ty.as_str() {
            "bool" | "u8" | "i8" => 1,
            "u16" | "i16" => 2,
            "u32" | "i32" | "f32" => 4,
            "u64" | "i64" | "f64" => 8,
            "string" | "bytes" => 8,
            ty if ty.starts_with("list<") || ty.starts_with("embedded ") => 8,
            ty if ty.starts_with("enum ") => 4,
            _ => return None,
        };
        Some(base + usize::from(self.nullable))
    }
}

impl FieldDef {
    /// Whether a slot written as `self` can be read as `newer`: `Some(false)` as it is,
    /// `Some(true)` as `Some` of it (widened from `T` to `Option<T>`), `None` not at all.
    /// An enum reads as an enum with more variants, since variants are stored by name.
    pub fn reads_as(&self, newer: &FieldDef) -> Option<bool> {
        let same_type = self.ty == newer.ty
            || match (enum_variants(&self.ty), enum_variants(&newer.ty)) {
                (Some(old), Some(new)) => old.iter().all(|variant| new.contains(variant)),
                _ => false,
            };
        match (same_type, self.nullable, newer.nullable) {
            (true, old, new) if old == new => Some(false),
            (true, false, true) => Some(true),
            _ => None,
        }
    }
}

/// The variant names of an enum type's text (`enum Color["Red", "Green"]`).
pub(crate) fn enum_variants(ty: &str) -> Option<Vec<String>> {
    let list = ty.strip_prefix("enum ")?;
    let list = &list[list.find('[')? + 1..list.rfind(']')?];
    Some(
        list.split(", ")
            .filter(|name| !name.is_empty())
            .map(|name| name.trim_matches('"').to_owned())
            .collect(),
    )
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
                    def.fields.push(FieldDef { name: name.to_owned(), ty: ty.to_owned(), nullable });
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
