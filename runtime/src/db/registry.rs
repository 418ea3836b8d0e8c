//! The process-wide registry of open instances, by name.
//!
//! The registry holds weak references: an instance lives as long as some `Db` handle
//! does. When the last handle drops, the instance closes its file and then removes its
//! entry; an `open` that finds an entry whose instance is already gone waits for that
//! removal, so the file is never opened twice at once.

use super::instance::Instance;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

static REGISTRY: Mutex<Option<HashMap<String, Weak<Instance>>>> = Mutex::new(None);

/// The registry, locked. A panic while it was held cannot leave it inconsistent (every
/// change is a single insert or remove), so a poisoned lock is used as it is.
fn lock() -> MutexGuard<'static, Option<HashMap<String, Weak<Instance>>>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the registry holds for a name.
pub(crate) enum Entry {
    /// A live instance.
    Open(Arc<Instance>),
    /// Nothing: the caller may open the instance, and must [`register`] it while still
    /// holding the guard.
    Vacant(RegistryGuard),
}

/// Proof that the registry is locked and has no entry for the name.
pub(crate) struct RegistryGuard {
    guard: MutexGuard<'static, Option<HashMap<String, Weak<Instance>>>>,
    name: String,
}

impl RegistryGuard {
    /// Records the instance just opened under the guard's name.
    pub(crate) fn register(mut self, instance: &Arc<Instance>) {
        self.guard.get_or_insert_with(HashMap::new).insert(self.name, Arc::downgrade(instance));
    }
}

/// Looks `name` up. An entry whose instance is closing is waited out.
pub(crate) fn entry(name: &str) -> Entry {
    loop {
        let guard = lock();
        match guard.as_ref().and_then(|map| map.get(name)) {
            None => return Entry::Vacant(RegistryGuard { guard, name: name.to_owned() }),
            Some(weak) => {
                if let Some(instance) = weak.upgrade() {
                    return Entry::Open(instance);
                }
            }
        }
        // The last handle is gone and its file is being closed; the entry goes right
        // after. Let the closing thread take the lock.
        drop(guard);
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The live instance called `name`, if any.
pub(crate) fn get(name: &str) -> Option<Arc<Instance>> {
    lock().as_ref()?.get(name)?.upgrade()
}

/// Removes the entry of a closed instance, unless a live instance took the name since.
pub(crate) fn remove_closed(name: &str) {
    let mut guard = lock();
    if let Some(map) = guard.as_mut()
        && map.get(name).is_some_and(|weak| weak.strong_count() == 0)
    {
        map.remove(name);
    }
}
