//! A one-value channel whose receiving end is a future, for the async transactions: the
//! thread that runs a transaction sends its outcome, and the task that awaits it wakes.
//!
//! The slot is a `Mutex` holding the value and the waker of the last poll; sending
//! stores the value and wakes that waker, so any executor can await it. The sender also
//! learns whether the receiver is gone, which is how a dropped transaction future keeps
//! its closure from starting.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

#[derive(Debug)]
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// The sender dropped, with or without sending.
    sender_gone: bool,
    /// The receiver dropped: whatever is sent from now on is dropped unseen.
    receiver_gone: bool,
}

type Shared<T> = Arc<Mutex<Slot<T>>>;

/// Each change to the slot is one assignment, so a poisoned lock is used as it is.
fn lock<T>(shared: &Shared<T>) -> MutexGuard<'_, Slot<T>> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A new channel: its sending and its receiving end.
pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared =
        Arc::new(Mutex::new(Slot { value: None, waker: None, sender_gone: false, receiver_gone: false }));
    (Sender { shared: Arc::clone(&shared) }, Receiver { shared })
}

/// Sends the one value.
#[derive(Debug)]
pub(crate) struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Whether the receiver was dropped: nobody waits for the value any more.
    pub(crate) fn is_cancelled(&self) -> bool {
        lock(&self.shared).receiver_gone
    }

    /// Hands `value` to the receiver and wakes the task that awaits it.
    pub(crate) fn send(self, value: T) {
        let waker = {
            let mut slot = lock(&self.shared);
            if slot.receiver_gone {
                return;
            }
            slot.value = Some(value);
            slot.waker.take()
        };
        // Woken outside the lock, so that the task does not find it held.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = lock(&self.shared);
            slot.sender_gone = true;
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Awaits the value: `Some(value)` once sent, `None` if the sender dropped without
/// sending.
#[derive(Debug)]
pub(crate) struct Receiver<T> {
    shared: Shared<T>,
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<T>> {
        let mut slot = lock(&self.shared);
        if let Some(value) = slot.value.take() {
            return Poll::Ready(Some(value));
        }
        if slot.sender_gone {
            return Poll::Ready(None);
        }
        // The newest waker: a task that moved to another thread is woken there.
        match &mut slot.waker {
            Some(waker) => waker.clone_from(context.waker()),
            None => slot.waker = Some(context.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let unreceived = {
            let mut slot = lock(&self.shared);
            slot.receiver_gone = true;
            slot.waker = None;
            slot.value.take()
        };
        // A value sent but never received drops here, outside the lock.
        drop(unreceived);
    }
}
