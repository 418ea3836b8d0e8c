//! The schema lock: the schemas a program's collections had when someone last accepted
//! them, kept in a file beside the code, and the check that tells drift from them.
//!
//! The check uses the same classifier as opening a database ([`classify`](super::classify)), so it
//! gives the same verdicts. `cargo xtask schema-check` is a few lines around
//! [`check_lock`]; a user's own xtask can be too:
//!
//! ```
//! use insula::prelude::*;
//! use insula::schema::{check_lock, lock_text};
//!
//! #[derive(Collection)]
//! pub struct Note {
//!     #[id]
//!     pub id: Id,
//!     pub text: String,
//! }
//!
//! let schemas = Db::builder().collection::<Note>().schemas();
//! let lock = lock_text(&schemas); // what `--bless` writes
//! assert!(check_lock(&lock, &schemas)?.is_empty(), "no drift");
//! # Ok::<(), insula::schema::SchemaTextError>(())
//! ```

use super::evolution::{Verdict, classify};
use super::stored::{SchemaDef, SchemaTextError};
use std::fmt;

/// The first line of a lock file [`lock_text`] writes, whichever tool calls it.
pub const LOCK_HEADER: &str = "# Insula schema lock: the accepted schema of each collection, written by a schema check; do not edit by hand.";

/// The lock file for `schemas`: a header, then each schema's text, by name.
pub fn lock_text(schemas: &[SchemaDef]) -> String {
    let mut schemas: Vec<&SchemaDef> = schemas.iter().collect();
    schemas.sort_by(|a, b| a.name.cmp(&b.name));
    let mut text = format!("{LOCK_HEADER}\n");
    for schema in schemas {
        text.push('\n');
        text.push_str(&schema.to_text());
    }
    text
}

/// The schemas in a lock file's text.
pub fn parse_lock(text: &str) -> Result<Vec<SchemaDef>, SchemaTextError> {
    let mut schemas = Vec::new();
    let mut block = String::new();
    let mut first_line = 0;
    for (number, line) in text.lines().enumerate().chain([(usize::MAX, "")]) {
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !block.is_empty() {
                schemas.push(SchemaDef::parse(&block).map_err(|error| SchemaTextError {
                    line: first_line + error.line,
                    reason: error.reason,
                })?);
                block.clear();
            }
            continue;
        }
        if block.is_empty() {
            first_line = number;
        }
        block.push_str(line);
        block.push('\n');
    }
    Ok(schemas)
}

/// One difference between the lock and the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The collection's stored name.
    pub collection: String,
    /// What changed, in words.
    pub change: String,
    /// What a database written under the lock would do when opened by the code.
    pub verdict: Verdict,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.collection, self.change, self.verdict)
    }
}

/// Every difference between the lock's text and `schemas`, the code's: an empty list
/// means no drift.
pub fn check_lock(lock: &str, schemas: &[SchemaDef]) -> Result<Vec<Drift>, SchemaTextError> {
    let locked = parse_lock(lock)?;
    let mut drift = Vec::new();
    for schema in schemas {
        match locked.iter().find(|old| old.name == schema.name) {
            None => drift.push(Drift {
                collection: schema.name.clone(),
                change: "collection added".to_owned(),
                verdict: Verdict::Compatible,
            }),
            Some(old) if old.hash == schema.hash => {}
            Some(old) => drift.extend(classify(old, schema).into_iter().map(|change| {
                Drift {
                    collection: schema.name.clone(),
                    verdict: change.verdict(),
                    change: change
                        .to_string()
                        .rsplit_once(" [")
                        .map_or_else(|| change.to_string(), |(text, _)| text.to_owned()),
                }
            })),
        }
    }
    for old in &locked {
        if !schemas.iter().any(|schema| schema.name == old.name) {
            drift.push(Drift {
                collection: old.name.clone(),
                change: "collection no longer in the code (a database keeps its data)".to_owned(),
                verdict: Verdict::Compatible,
            });
        }
    }
    Ok(drift)
}
