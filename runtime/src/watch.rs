//! Watchers: what a thread receives after commits that touched what it watches.
//!
//! A [`Watcher`] reads like a `std::sync::mpsc::Receiver`, with one difference that
//! keeps memory flat: it holds at most one pending event. A commit replaces the pending
//! event with its own, so a slow or absent consumer gets the newest state, once, instead
//! of a queue of stale ones.
//!
//! With the `async` feature, a watcher is also a `futures_core::Stream`: the mailbox
//! keeps the waker of the task that last polled it beside its condvar, and every change
//! that wakes a blocked thread wakes that task too.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{RecvError, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The one-event mailbox a watcher and its subscription share.
#[derive(Debug)]
pub(crate) struct Mailbox<T> {
    state: Mutex<MailboxState<T>>,
    ready: Condvar,
}

#[derive(Debug)]
struct MailboxState<T> {
    pending: Option<T>,
    /// No more events will come: the watcher was cancelled or the instance closed.
    closed: bool,
    /// How many events were published, so that a late snapshot cannot replace a newer one.
    published: u64,
    /// The task that last polled the watcher as a stream and found nothing.
    #[cfg(feature = "async")]
    waker: Option<std::task::Waker>,
}

impl<T> Mailbox<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Mailbox {
            state: Mutex::new(MailboxState {
                pending: None,
                closed: false,
                published: 0,
                #[cfg(feature = "async")]
                waker: None,
            }),
            ready: Condvar::new(),
        })
    }

    /// A consumer that panicked cannot leave the state half-changed (each change is one
    /// assignment), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, MailboxState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `event` the pending event, replacing an unreceived one.
    pub(crate) fn publish(&self, event: T) {
        let mut state = self.lock();
        if !state.closed {
            state.pending = Some(event);
            state.published += 1;
            self.wake(state);
        }
    }

    /// How many events have been published so far.
    fn published(&self) -> u64 {
        self.lock().published
    }

    /// Publishes `event`, read when `published` events had been published, unless a
    /// commit published a newer one since.
    fn publish_unless_newer(&self, event: T, published: u64) {
        let mut state = self.lock();
        if !state.closed && state.published == published {
            state.pending = Some(event);
            state.published += 1;
            self.wake(state);
        }
    }

    /// Ends the stream: a pending event can still be received, then receiving fails.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        self.wake(state);
    }

    /// Ends the stream and drops a pending event: nothing more is received.
    pub(crate) fn cancel(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.pending = None;
        self.wake(state);
    }

    /// Wakes whoever waits for a change of `state`: the threads blocked in `take`, and
    /// the task that polled last. The lock is released before the task is woken, so
    /// that a task woken on another thread does not find it held.
    fn wake(&self, #[allow(unused_mut)] mut state: MutexGuard<'_, MailboxState<T>>) {
        #[cfg(feature = "async")]
        let waker = state.waker.take();
        drop(state);
        self.ready.notify_all();
        #[cfg(feature = "async")]
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The stream's poll: the pending event, the end, or `Pending` with the task's
    /// waker kept for the next change.
    #[cfg(feature = "async")]
    fn poll_take(&self, context: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
        use std::task::Poll;
        let mut state = self.lock();
        if let Some(event) = state.pending.take() {
            return Poll::Ready(Some(event));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        // The newest waker: a task that moved to another thread is woken there.
        match &mut state.waker {
            Some(waker) => waker.clone_from(context.waker()),
            None => state.waker = Some(context.waker().clone()),
        }
        Poll::Pending
    }

    fn take(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let mut state = self.lock();
        loop {
            if let Some(event) = state.pending.take() {
                return Ok(event);
            }
            if state.closed {
                return Err(RecvTimeoutError::Disconnected);
            }
            state = match deadline {
                None => self.ready.wait(state).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(RecvTimeoutError::Timeout);
                    }
                    self.ready.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0
                }
            };
        }
    }
}

/// Removes a subscription when its watcher goes away.
pub(crate) trait Unsubscribe: Send + Sync {
    fn unsubscribe(&self, subscription: u64);
}

/// Receives what changed after each commit that touched what it watches: `()` from
/// `watch_lazy`, the object's new value (or `None` once deleted) from `watch_object`.
///
/// Its methods mirror [`std::sync::mpsc::Receiver`], with its error types. Events
/// coalesce: while one is pending, a newer commit replaces it, so a slow consumer skips
/// to the newest state and memory never grows. When an event arrives, a read
/// transaction begun afterwards sees the commit that caused it. Dropping the watcher
/// unsubscribes; when the instance closes, receiving returns a disconnection error.
///
/// With the feature `async` (on by default), it is also a `futures_core::Stream` of the
/// same events, which ends when the instance closes.
pub struct Watcher<T> {
    mailbox: Arc<Mailbox<T>>,
    subscription: u64,
    registry: std::sync::Weak<dyn Unsubscribe>,
    /// Produces the current state, for [`Watcher::fire_immediately`].
    current: Box<dyn Fn() -> Option<T> + Send + Sync>,
}

impl<T> std::fmt::Debug for Watcher<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("subscription", &self.subscription).finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Watcher<T> {
    pub(crate) fn new(
        mailbox: Arc<Mailbox<T>>,
        subscription: u64,
        registry: std::sync::Weak<dyn Unsubscribe>,
        current: Box<dyn Fn() -> Option<T> + Send + Sync>,
    ) -> Self {
        Watcher { mailbox, subscription, registry, current }
    }

    /// Makes the current state pending at once, as if a commit had just touched it.
    #[must_use]
    pub fn fire_immediately(self) -> Self {
        let before = self.mailbox.published();
        if let Some(event) = (self.current)() {
            self.mailbox.publish_unless_newer(event, before);
        }
        self
    }

    /// Waits for the next event. Fails once the instance has closed.
    pub fn recv(&self) -> Result<T, RecvError> {
        self.mailbox.take(None).map_err(|_| RecvError)
    }

    /// Waits at most `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        // A timeout too large for an `Instant` waits without a deadline.
        self.mailbox.take(Instant::now().checked_add(timeout))
    }

    /// The pending event, if there is one, without waiting.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.mailbox.take(Some(Instant::now())).map_err(|error| match error {
            RecvTimeoutError::Timeout => TryRecvError::Empty,
            RecvTimeoutError::Disconnected => TryRecvError::Disconnected,
        })
    }

    /// Events as they come, until the instance closes.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(|| self.recv().ok())
    }

    /// Calls `callback` with each event on a thread of its own, so the caller needs
    /// none. A callback that panics or blocks harms neither writers nor other watchers;
    /// after a panic, the next event calls it again. Dropping the returned guard stops
    /// the calls and unsubscribes. Fails only if the thread cannot be started
    /// ([`crate::Error::WatchThread`]).
    ///
    /// ```
    /// # use insula::prelude::*;
    /// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
    /// # pub struct Note { #[id] pub id: Id, #[index] pub tag: String, pub text: String }
    /// # let dir = tempfile::tempdir()?;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// let db = Db::builder().collection::<Note>().open(dir.path())?;
    /// let (sender, receiver) = mpsc::channel();
    /// let guard = db.notes().watch_lazy().on_change(move |()| {
    ///     let _ = sender.send("changed");
    /// })?;
    /// db.write_txn_sync(|txn| txn.notes().put(&mut Note::default()))?;
    /// assert_eq!(receiver.recv_timeout(Duration::from_secs(5))?, "changed");
    /// drop(guard); // no more calls
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_change(self, mut callback: impl FnMut(T) + Send + 'static) -> crate::Result<WatchGuard> {
        let mailbox = Arc::clone(&self.mailbox);
        let spawned = std::thread::Builder::new().name("insula-watch".to_owned()).spawn(move || {
            for event in self.iter() {
                // A panic is the callback's own; the watcher lives on.
                let _ = catch_unwind(AssertUnwindSafe(|| callback(event)));
            }
        });
        spawned.map_err(|source| crate::Error::WatchThread { source })?;
        Ok(WatchGuard { stop: Arc::new(move || mailbox.cancel()) })
    }
}

/// With the `async` feature, a watcher is a stream of its events, for any executor. It
/// keeps the rules of [`recv`](Watcher::recv): events coalesce while the task is busy
/// (it gets the newest state, and memory never grows), a read begun after an event sees
/// the commit that caused it, and the stream ends when the instance closes.
///
/// ```
/// # use insula::prelude::*;
/// # #[derive(Collection, Debug, Clone, Default, PartialEq)]
/// # pub struct Note { #[id] pub id: Id, pub text: String }
/// # let dir = tempfile::tempdir()?;
/// use futures::StreamExt;
///
/// let db = Db::builder().collection::<Note>().open(dir.path())?;
/// let mut changes = db.notes().watch_object(1);
/// # futures::executor::block_on(async {
/// db.write_txn(|txn| txn.notes().put(&mut Note { text: "hello".into(), ..Default::default() })).await?;
/// let note = changes.next().await.flatten();
/// assert_eq!(note.map(|note| note.text), Some("hello".into()));
/// # Ok::<(), insula::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "async")]
impl<T> futures_core::Stream for Watcher<T> {
    type Item = T;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        self.mailbox.poll_take(context)
    }
}

impl<T> Drop for Watcher<T> {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            registry.unsubscribe(self.subscription);
        }
    }
}

/// Keeps an [`on_change`](Watcher::on_change) callback subscribed; dropping it stops
/// the calls.
#[must_use = "dropping the guard stops the callback at once"]
pub struct WatchGuard {
    stop: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for WatchGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchGuard").finish_non_exhaustive()
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        (self.stop)();
    }
}
