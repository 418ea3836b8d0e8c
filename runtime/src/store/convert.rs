//! Migrations for breaking changes: conversions from an older version of a collection
//! to a newer one, registered by the code (`DbBuilder::migrate`), chained from the
//! version the file stores to the version the code opens, and run on every stored
//! object.
//!
//! Each step is type-erased over stored bytes: it decodes its old type from them,
//! converts, and encodes its new type, so that steps chain without knowing each other's
//! types. The object keeps its id.

use crate::codec::Layouts;
use crate::schema::SchemaDef;
use crate::{Collection, Id, Result};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Why one object could not be converted.
#[derive(Debug)]
pub(crate) enum StepFailure {
    /// The conversion returned an error, with its message.
    Failed(String),
    /// The conversion panicked, with its message.
    Panicked(String),
    /// The stored object could not be read, or the converted one stored.
    Stored(crate::Error),
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepFailure::Failed(reason) => write!(f, "the conversion returned an error: {reason}"),
            StepFailure::Panicked(reason) => write!(f, "the conversion panicked: {reason}"),
            StepFailure::Stored(error) => write!(f, "{error}"),
        }
    }
}

/// Converts the stored bytes of object `id` (in the old type's layout, or one of
/// `layouts`) into `out`, the stored bytes of the new type.
type ConvertFn = dyn Fn(Id, &[u8], &Layouts, &mut Vec<u8>) -> Result<(), StepFailure> + Send + Sync;

/// One registered conversion.
#[derive(Clone)]
pub(crate) struct Step {
    /// The schema it converts from.
    pub(crate) old: SchemaDef,
    /// The schema it converts to.
    pub(crate) new: SchemaDef,
    /// What converts, for messages: `old type -> new type by the conversion's path`.
    pub(crate) by: String,
    convert: Arc<ConvertFn>,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.by)
    }
}

impl Step {
    /// The step that `convert` makes from `Old` to `New`.
    pub(crate) fn of<Old, New, E, F>(convert: F) -> Step
    where
        Old: Collection,
        New: Collection,
        E: fmt::Display,
        F: Fn(Old) -> Result<New, E> + Send + Sync + 'static,
    {
        let by = format!(
            "`{}` -> `{}` by `{}`",
            std::any::type_name::<Old>(),
            std::any::type_name::<New>(),
            std::any::type_name::<F>()
        );
        let run = move |id: Id, stored: &[u8], layouts: &Layouts, out: &mut Vec<u8>| {
            let old = Old::decode_in(id, stored, layouts).map_err(StepFailure::Stored)?;
            let converted = catch_unwind(AssertUnwindSafe(|| convert(old)))
                .map_err(|payload| StepFailure::Panicked(crate::guard::panic_text(&*payload)))?;
            let mut new = converted.map_err(|error| StepFailure::Failed(error.to_string()))?;
            new.set_id(id);
            crate::collection::encode_stored(&new, id, out).map_err(StepFailure::Stored)
        };
        Step {
            old: SchemaDef::from(&Old::SCHEMA),
            new: SchemaDef::from(&New::SCHEMA),
            by,
            convert: Arc::new(run),
        }
    }
}

/// The steps that lead from the schema hashed `from` to the one hashed `to`, if some do:
/// the shortest chain.
pub(crate) fn chain(steps: &[Step], from: u64, to: u64) -> Option<Vec<&Step>> {
    crate::schema::chain_of(steps, from, to, |step| (step.old.hash, step.new.hash))
}

/// Runs object `id`'s stored bytes through `chain`, leaving the last step's stored bytes
/// in `out`. The first step reads `stored` in its old layout or one of `layouts`; later
/// steps read what the one before wrote. A failure names the step's number.
pub(crate) fn convert(
    chain: &[&Step],
    id: Id,
    stored: &[u8],
    layouts: &Layouts,
    out: &mut Vec<u8>,
) -> Result<(), (usize, StepFailure)> {
    let mut input = stored.to_vec();
    for (number, step) in chain.iter().enumerate() {
        let layouts = if number == 0 { layouts } else { Layouts::none() };
        out.clear();
        (step.convert)(id, &input, layouts, out).map_err(|failure| (number, failure))?;
        if number + 1 < chain.len() {
            std::mem::swap(&mut input, out);
        }
    }
    Ok(())
}
