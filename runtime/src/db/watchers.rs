//! The subscriptions of an instance, and their notification after each commit.
//!
//! Commits of an instance are serialized, and each notifies its subscriptions before
//! the next commit begins, so events reach every watcher in commit order. Notifying
//! means producing the watched state (nothing, or the object read from the committed
//! state) and leaving it in the watcher's one-event slot: a writer never waits for a
//! consumer.

use super::txn::ReadTxn;
use crate::watch::{Mailbox, Unsubscribe, Watcher};
use crate::{Id, Result};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Decides whether a commit touched what a query watches, from the committed state and
/// the ids it wrote or deleted (`all`: every object may have changed).
pub(crate) type Touches = Box<dyn Fn(&ReadTxn<'_>, bool, &[Id]) -> bool + Send + Sync>;

/// The committed state a notification reads, begun on first need: one read transaction
/// serves every subscription of a commit, and a commit that only lazy watchers watch
/// begins none.
pub(crate) struct Committed<'a, 'db> {
    begin: &'a dyn Fn() -> Result<ReadTxn<'db>>,
    txn: OnceCell<Result<ReadTxn<'db>>>,
}

impl<'db> Committed<'_, 'db> {
    /// The read transaction of the committed state; `None` when it cannot be read (a
    /// damaged file).
    pub(crate) fn txn(&self) -> Option<&ReadTxn<'db>> {
        self.txn.get_or_init(self.begin).as_ref().ok()
    }
}

/// What a subscription watches.
pub(crate) enum Interest {
    /// Any change in the collection.
    Collection,
    /// One object.
    Object(Id),
    /// Whatever the function says.
    Query(Touches),
    /// Any change in any collection of the file (the collection it subscribes with is
    /// not looked at).
    Any,
}

struct Subscription {
    id: u64,
    collection: &'static str,
    interest: Interest,
    /// Produces the watched state from the committed data and publishes it.
    publish: Box<dyn Fn(&Committed<'_, '_>) + Send + Sync>,
    close: Box<dyn Fn() + Send + Sync>,
}

/// The subscriptions of one instance.
#[derive(Default)]
pub(crate) struct Watchers {
    next: AtomicU64,
    subscriptions: Mutex<Vec<Subscription>>,
}

impl std::fmt::Debug for Watchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchers").field("subscriptions", &self.lock().len()).finish()
    }
}

impl Watchers {
    /// Every change is one push or remove, so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Vec<Subscription>> {
        self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes to `interest` in `collection`. `produce` makes the event from the
    /// committed data (`None`: nothing to send); reading it is guarded.
    pub(crate) fn subscribe<T: Send + 'static>(
        self: &Arc<Self>,
        collection: &'static str,
        path: &Path,
        interest: Interest,
        produce: impl Fn(&Committed<'_, '_>) -> Option<T> + Send + Sync + 'static,
        current: Box<dyn Fn() -> Option<T> + Send + Sync>,
    ) -> Watcher<T> {
        let mailbox = Mailbox::new();
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (publish_to, close) = (Arc::clone(&mailbox), Arc::clone(&mailbox));
        let path = path.to_owned();
        self.lock().push(Subscription {
            id,
            collection,
            interest,
            publish: Box::new(move |committed| {
                // Reading the committed state can fail on a damaged file; the watcher
                // then misses this event, and the writer goes on.
                if let Ok(Some(event)) = crate::guard::storage(&path, || Ok(produce(committed))) {
                    publish_to.publish(event);
                }
            }),
            close: Box::new(move || close.close()),
        });
        let registry: Arc<dyn Unsubscribe> = Arc::clone(self) as Arc<dyn Unsubscribe>;
        Watcher::new(mailbox, id, Arc::downgrade(&registry), current)
    }

    /// A watcher that is closed from the start, for a collection the instance lacks.
    pub(crate) fn closed<T: Send + 'static>() -> Watcher<T> {
        let mailbox = Mailbox::new();
        mailbox.close();
        let registry: std::sync::Weak<dyn Unsubscribe> = std::sync::Weak::<Watchers>::new();
        Watcher::new(mailbox, u64::MAX, registry, Box::new(|| None))
    }

    /// How many subscriptions there are (for tests that check nothing is left).
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Publishes to every subscription the committed `changes` touched, reading the
    /// committed state in one read transaction, which `begin` starts when the first
    /// subscription needs it.
    pub(crate) fn notify<'db>(&self, changes: &mut Changes, begin: impl Fn() -> Result<ReadTxn<'db>>) {
        if changes.is_empty() {
            return;
        }
        let subscriptions = self.lock();
        if subscriptions.is_empty() {
            return;
        }
        changes.prepare();
        let committed = Committed { begin: &begin, txn: OnceCell::new() };
        for subscription in subscriptions.iter() {
            // A query watcher runs the caller's view filters: a panic there costs that
            // watcher this event, and neither the writer nor the other watchers anything.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if changes.touches(&committed, subscription.collection, &subscription.interest) {
                    (subscription.publish)(&committed);
                }
            }));
        }
    }

    /// Ends every watcher's stream: the instance is closing.
    pub(crate) fn close_all(&self) {
        for subscription in self.lock().drain(..) {
            (subscription.close)();
        }
    }
}

impl Unsubscribe for Watchers {
    fn unsubscribe(&self, subscription: u64) {
        self.lock().retain(|candidate| candidate.id != subscription);
    }
}

/// What a write transaction touched, per collection. A collection of the app's types
/// is named by its schema's `&'static str`; one written without them (the dynamic
/// writes) by a name it owns.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    collections: Vec<(Cow<'static, str>, Touched)>,
}

#[derive(Debug, Default)]
struct Touched {
    /// Every object may have changed (`clear`).
    all: bool,
    /// The ids written or deleted; sorted and deduplicated by [`Changes::prepare`].
    ids: Vec<Id>,
}

impl Changes {
    fn entry(&mut self, collection: Cow<'static, str>) -> &mut Touched {
        let at = match self.collections.iter().position(|(name, _)| *name == collection) {
            Some(at) => at,
            None => {
                self.collections.push((collection, Touched::default()));
                self.collections.len() - 1
            }
        };
        &mut self.collections[at].1
    }

    /// Records that objects `ids` of `collection` were written or deleted.
    pub(crate) fn touch(
        &mut self,
        collection: impl Into<Cow<'static, str>>,
        ids: impl IntoIterator<Item = Id>,
    ) {
        self.entry(collection.into()).ids.extend(ids);
    }

    /// Records that every object of `collection` may have changed.
    pub(crate) fn touch_all(&mut self, collection: impl Into<Cow<'static, str>>) {
        self.entry(collection.into()).all = true;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.collections.iter().all(|(_, touched)| !touched.all && touched.ids.is_empty())
    }

    fn prepare(&mut self) {
        for (_, touched) in &mut self.collections {
            touched.ids.sort_unstable();
            touched.ids.dedup();
        }
    }

    /// Whether the changes touched `interest` in `collection`; a query reads the
    /// committed state to tell.
    fn touches(&self, committed: &Committed<'_, '_>, collection: &str, interest: &Interest) -> bool {
        if let Interest::Any = interest {
            return !self.is_empty();
        }
        let Some((_, touched)) = self.collections.iter().find(|(name, _)| *name == collection) else {
            return false;
        };
        match interest {
            Interest::Collection => touched.all || !touched.ids.is_empty(),
            Interest::Object(id) => touched.all || touched.ids.binary_search(id).is_ok(),
            Interest::Any => true,
            Interest::Query(touches) => {
                // A read failure counts as a change: better an extra event than a lost one.
                let Some(txn) = committed.txn() else { return true };
                crate::guard::storage(txn.path(), || Ok(touches(txn, touched.all, &touched.ids)))
                    .unwrap_or(true)
            }
        }
    }
}
