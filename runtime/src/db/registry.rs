//! The process-wide registry of open instances, by name.
//!
//! The registry holds weak references: an instance lives as long as some `Db` handle
//! does. When the last handle drops, the instance closes its file and then removes its
//! entry; an `open` that finds an entry whose instance is already gone waits for that
//! removal, so the file is never opened twice at once.
//!
//! While an instance opens (which may migrate the file for a while), its name is marked
//! as opening and the registry is not locked: other names open and close freely, and
//! an `open` of the same name waits for the first to finish.

use super::instance::Instance;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

/// What the registry holds for a name.
enum Slot {
    /// An instance, alive or closing.
    Open(Weak<Instance>),
    /// An `open` of this name is under way.
    Opening,
}

type Names = Option<HashMap<String, Slot>>;

static REGISTRY: Mutex<Names> = Mutex::new(None);

/// Signalled whenever an entry changes, for the `open`s waiting on one.
static CHANGED: Condvar = Condvar::new();

/// The registry, locked. A panic while it was held cannot leave it inconsistent (every
/// change is a single insert or remove), so a poisoned lock is used as it is.
fn lock() -> MutexGuard<'static, Names> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What `open` finds under a name.
pub(crate) enum Entry {
    /// A live instance.
    Open(Arc<Instance>),
    /// Nothing: the name is now marked as opening, and the caller opens the instance
    /// and [`register`](OpeningGuard::register)s it, or drops the guard on failure.
    Vacant(OpeningGuard),
}

/// The mark of a name being opened by this caller.
pub(crate) struct OpeningGuard {
    name: String,
    registered: bool,
}

impl OpeningGuard {
    /// Records the instance just opened under the guard's name.
    pub(crate) fn register(mut self, instance: &Arc<Instance>) {
        let mut guard = lock();
        guard
            .get_or_insert_with(HashMap::new)
            .insert(self.name.clone(), Slot::Open(Arc::downgrade(instance)));
        self.registered = true;
        CHANGED.notify_all();
    }
}

impl Drop for OpeningGuard {
    fn drop(&mut self) {
        if !self.registered {
            // The open failed: free the name.
            let mut guard = lock();
            if let Some(map) = guard.as_mut()
                && matches!(map.get(&self.name), Some(Slot::Opening))
            {
                map.remove(&self.name);
            }
            CHANGED.notify_all();
        }
    }
}

/// Looks `name` up, waiting out an instance that is closing or being opened by someone
/// else.
pub(crate) fn entry(name: &str) -> Entry {
    let mut guard = lock();
    loop {
        let map = guard.get_or_insert_with(HashMap::new);
        match map.get(name) {
            None => {
                map.insert(name.to_owned(), Slot::Opening);
                return Entry::Vacant(OpeningGuard { name: name.to_owned(), registered: false });
            }
            Some(Slot::Open(weak)) => {
                if let Some(instance) = weak.upgrade() {
                    return Entry::Open(instance);
                }
            }
            Some(Slot::Opening) => {}
        }
        // Closing (its file is being closed; the entry goes right after) or opening
        // elsewhere: wait for the change. The timeout only guards against a missed
        // signal; every change signals.
        guard =
            CHANGED.wait_timeout(guard, Duration::from_millis(50)).unwrap_or_else(PoisonError::into_inner).0;
    }
}

/// The live instance called `name`, if any (not one still opening).
pub(crate) fn get(name: &str) -> Option<Arc<Instance>> {
    match lock().as_ref()?.get(name)? {
        Slot::Open(weak) => weak.upgrade(),
        Slot::Opening => None,
    }
}

/// Removes the entry of a closed instance, unless a live instance took the name since.
pub(crate) fn remove_closed(name: &str) {
    let mut guard = lock();
    if let Some(map) = guard.as_mut()
        && matches!(map.get(name), Some(Slot::Open(weak)) if weak.strong_count() == 0)
    {
        map.remove(name);
    }
    CHANGED.notify_all();
}
