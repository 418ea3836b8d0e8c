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

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

/// What the registry holds for a name.
enum Held<T> {
    /// An instance, alive or closing.
    Open(Weak<T>),
    /// An `open` of this name is under way.
    Opening,
}

/// Live values of type `T` by name; a `static` of the process.
pub(crate) struct Registry<T> {
    names: Mutex<Option<HashMap<String, Held<T>>>>,
    /// Signalled whenever an entry changes, for the `open`s waiting on one.
    changed: Condvar,
}

/// What `open` finds under a name.
pub(crate) enum Entry<'r, T> {
    /// A live instance.
    Open(Arc<T>),
    /// Nothing: the name is now marked as opening, and the caller opens the instance
    /// and [`register`](OpeningGuard::register)s it, or drops the guard on failure.
    Vacant(OpeningGuard<'r, T>),
}

/// The mark of a name being opened by this caller.
pub(crate) struct OpeningGuard<'r, T> {
    registry: &'r Registry<T>,
    name: String,
    registered: bool,
}

impl<T> OpeningGuard<'_, T> {
    /// Records the instance just opened under the guard's name.
    pub(crate) fn register(mut self, instance: &Arc<T>) {
        let mut names = self.registry.lock();
        names
            .get_or_insert_with(HashMap::new)
            .insert(self.name.clone(), Held::Open(Arc::downgrade(instance)));
        self.registered = true;
        self.registry.changed.notify_all();
    }
}

impl<T> Drop for OpeningGuard<'_, T> {
    fn drop(&mut self) {
        if !self.registered {
            // The open failed: free the name.
            let mut names = self.registry.lock();
            if let Some(map) = names.as_mut()
                && matches!(map.get(&self.name), Some(Held::Opening))
            {
                map.remove(&self.name);
            }
            self.registry.changed.notify_all();
        }
    }
}

impl<T> Registry<T> {
    pub(crate) const fn new() -> Self {
        Registry { names: Mutex::new(None), changed: Condvar::new() }
    }

    /// The registry, locked. A panic while it was held cannot leave it inconsistent
    /// (every change is a single insert or remove), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Option<HashMap<String, Held<T>>>> {
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks `name` up, waiting out an instance that is closing or being opened by
    /// someone else.
    pub(crate) fn entry(&self, name: &str) -> Entry<'_, T> {
        let mut names = self.lock();
        loop {
            let map = names.get_or_insert_with(HashMap::new);
            match map.get(name) {
                None => {
                    map.insert(name.to_owned(), Held::Opening);
                    return Entry::Vacant(OpeningGuard {
                        registry: self,
                        name: name.to_owned(),
                        registered: false,
                    });
                }
                Some(Held::Open(weak)) => {
                    if let Some(instance) = weak.upgrade() {
                        return Entry::Open(instance);
                    }
                }
                Some(Held::Opening) => {}
            }
            // Closing (its file is being closed; the entry goes right after) or opening
            // elsewhere: wait for the change. The timeout only guards against a missed
            // signal; every change signals.
            names = self
                .changed
                .wait_timeout(names, Duration::from_millis(50))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The live instance called `name`, if any (not one still opening).
    pub(crate) fn get(&self, name: &str) -> Option<Arc<T>> {
        match self.lock().as_ref()?.get(name)? {
            Held::Open(weak) => weak.upgrade(),
            Held::Opening => None,
        }
    }

    /// Removes the entry of a closed instance, unless a live instance took the name
    /// since.
    pub(crate) fn remove_closed(&self, name: &str) {
        let mut names = self.lock();
        if let Some(map) = names.as_mut()
            && matches!(map.get(name), Some(Held::Open(weak)) if weak.strong_count() == 0)
        {
            map.remove(name);
        }
        self.changed.notify_all();
    }
}
