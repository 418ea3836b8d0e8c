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
    /// The registered migrations that convert a database written under the lock, in
    /// order (`old type -> new type by the conversion`); the change is then accepted
    /// whatever its verdict.
    pub migrated_by: Option<String>,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}", self.collection, self.change, self.verdict)?;
        if let Some(by) = &self.migrated_by {
            write!(f, ", migrated by {by}")?;
        }
        f.write_str("]")
    }
}

/// A migration the code registered (`DbBuilder::migrate`), as the lock check needs it:
/// the schemas it converts between, and what converts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migration {
    /// The schema it converts from.
    pub from: SchemaDef,
    /// The schema it converts to.
    pub to: SchemaDef,
    /// `old type -> new type by the conversion`.
    pub by: String,
}

impl Migration {
    /// A migration from `from` to `to` by `by`.
    pub fn new(from: SchemaDef, to: SchemaDef, by: impl Into<String>) -> Self {
        Migration { from, to, by: by.into() }
    }
}

/// [`check_lock`], knowing the code's migrations: a collection whose locked version the
/// migrations lead from to the code's has its differences marked as migrated (see
/// [`Drift::migrated_by`]), as opening a database written under the lock would convert
/// it rather than refuse it.
pub fn check_lock_with(
    lock: &str,
    schemas: &[SchemaDef],
    migrations: &[Migration],
) -> Result<Vec<Drift>, SchemaTextError> {
    let locked = parse_lock(lock)?;
    let mut drift = check_lock(lock, schemas)?;
    for line in &mut drift {
        let (Some(old), Some(new)) = (
            locked.iter().find(|schema| schema.name == line.collection),
            schemas.iter().find(|schema| schema.name == line.collection),
        ) else {
            continue;
        };
        if let Some(chain) = chain_of(migrations, old.hash, new.hash, |step| (step.from.hash, step.to.hash)) {
            line.migrated_by =
                Some(chain.iter().map(|step| step.by.as_str()).collect::<Vec<_>>().join(", then "));
        }
    }
    Ok(drift)
}

/// The shortest chain of `steps` (each an edge between two schema hashes) from `from` to
/// `to`, if there is one: the migrations that convert one version into the other.
pub(crate) fn chain_of<T>(
    steps: &[T],
    from: u64,
    to: u64,
    edge: impl Fn(&T) -> (u64, u64),
) -> Option<Vec<&T>> {
    // Breadth first over schema hashes, remembering the step that reached each.
    let mut reached_by: std::collections::HashMap<u64, Option<usize>> = [(from, None)].into();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(hash) = queue.pop_front() {
        if hash == to {
            let mut chain = Vec::new();
            let mut at = hash;
            while let Some(Some(step)) = reached_by.get(&at) {
                chain.push(&steps[*step]);
                at = edge(&steps[*step]).0;
            }
            chain.reverse();
            return Some(chain);
        }
        for (number, step) in steps.iter().enumerate() {
            let (old, new) = edge(step);
            if old == hash && !reached_by.contains_key(&new) {
                reached_by.insert(new, Some(number));
                queue.push_back(new);
            }
        }
    }
    None
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
                migrated_by: None,
            }),
            Some(old) if old.hash == schema.hash => {}
            Some(old) => drift.extend(classify(old, schema).into_iter().map(|change| {
                Drift {
                    collection: schema.name.clone(),
                    verdict: change.verdict(),
                    migrated_by: None,
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
                migrated_by: None,
            });
        }
    }
    Ok(drift)
}
