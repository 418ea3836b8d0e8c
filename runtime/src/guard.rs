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
    format!("the storage engine failed on it: {}", panic_text(payload))
}

/// The message a panic carried.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// A table or transaction of the storage engine, whose drop cannot abort the process.
///
/// On a damaged file, redb's drops can panic too (a lock poisoned by an earlier panic, a
/// page it cannot account for). A panic that leaves a drop while another panic unwinds
/// aborts the process, and a caught storage panic unwinds through every table and
/// transaction held above it. So Insula holds each of them in one of these: its drop
/// catches a panic of the inner drop, and the error that started the unwinding, if any,
/// is the one the caller gets.
pub(crate) struct SafeDrop<T>(Option<T>);

impl<T> SafeDrop<T> {
    pub(crate) fn new(inner: T) -> Self {
        SafeDrop(Some(inner))
    }

    /// The inner value, for a call that consumes it (`commit`).
    pub(crate) fn into_inner(mut self) -> T {
        self.0.take().expect("a contained value is there until it is taken")
    }
}

impl<T> std::ops::Deref for SafeDrop<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("a contained value is there until it is taken")
    }
}

impl<T> std::ops::DerefMut for SafeDrop<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_mut().expect("a contained value is there until it is taken")
    }
}

impl<T> Drop for SafeDrop<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.0.take() {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(inner)));
        }
    }
}
