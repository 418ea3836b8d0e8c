//! Panics from the storage engine become errors.
//!
//! redb trusts the pages it reads, so a damaged file can make it panic (its own
//! documentation says so). Insula runs every call that reaches redb inside [`storage`],
//! which turns such a panic into [`Error::CorruptedFile`]. The caller's own code (view
//! filters, callbacks) runs inside [`user`], whose panics pass through untouched, so a
//! bug of the caller's is never reported as a damaged file.

use crate::{Error, Result};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::Path;

/// A panic of the caller's code, carried through [`storage`] unchanged.
struct UserPanic(Box<dyn Any + Send>);

/// Runs Insula and redb code on the file at `path`; a panic in it is an error.
pub(crate) fn storage<T>(path: &Path, run: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(payload) => match payload.downcast::<UserPanic>() {
            Ok(user) => resume_unwind(user.0),
            Err(payload) => {
                Err(Error::CorruptedFile { path: path.to_owned(), reason: panic_message(&*payload) })
            }
        },
    }
}

/// Runs the caller's code within [`storage`]: its panic goes on as it was.
pub(crate) fn user<T>(run: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(value) => value,
        Err(payload) => resume_unwind(Box::new(UserPanic(payload))),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    format!("the storage engine failed on it: {text}")
}
