//! Group commit: durable write transactions of one instance that commit at the same time
//! share one flush to the disk.
//!
//! redb commits one write transaction at a time, and a durable commit holds the file
//! while it waits for the disk. When another writer is waiting, a durable transaction
//! instead commits without waiting for the disk (redb's `Durability::None`: atomic, and
//! visible to readers at once) and then waits for a durable commit after it, which makes
//! every commit before it durable. Each writer returns only once such a commit covers
//! its own.
//!
//! The flush waits for the writers pending behind it: redb's durable commit holds the
//! file while it waits for the disk, so commits gather only before a flush, never during
//! one. The last writer of a burst, the one that no other writer follows, commits durably
//! in place, and that commit is the flush of every writer before it; a lone writer does
//! the same, as before, and so pays nothing for the groups.

use crate::{Error, Result};
use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a writer waiting for a flush waits for a writer that has just returned to
/// begin its next transaction, before it flushes alone (PostgreSQL's `commit_delay`,
/// taken only when another writer is about). A one-object commit that does not wait for
/// the disk takes a fraction of this.
const GRACE: Duration = Duration::from_micros(200);

/// Where an instance's commits stand, for group commit.
#[derive(Debug, Default)]
pub(crate) struct Group {
    state: Mutex<State>,
    /// Signalled when commits become durable, when no writer is pending any more, and
    /// when a flush ends. (A writer waiting in its [`GRACE`] sleeps it out.)
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// The number of commits made, in commit order: the last commit's number.
    committed: u64,
    /// Every commit up to this number is on the disk.
    durable: u64,
    /// Write transactions begun and not yet returned.
    active: usize,
    /// Of those, the ones not yet committed (nor given up).
    pending: usize,
    /// Of those, the ones waiting for a durable commit.
    waiting: usize,
    /// A writer is flushing.
    flushing: bool,
    /// The last flush failed; commits after `durable` up to this number share its error.
    failed: Option<(u64, String)>,
}

impl State {
    /// Writers that committed or gave up and are on their way out: each may begin its
    /// next transaction at once.
    fn returning(&self) -> usize {
        self.active - self.pending - self.waiting
    }
}

/// A write transaction, counted from its start until it returns.
#[derive(Debug)]
pub(crate) struct Writing<'g> {
    group: &'g Group,
    committed: Cell<bool>,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        let mut state = self.group.state();
        state.active -= 1;
        if !self.committed.get() {
            state.pending -= 1;
            if state.pending == 0 {
                self.group.changed.notify_all();
            }
        }
    }
}

impl Group {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing runs user code under this lock; a panic elsewhere leaves it whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a write transaction from its start until it returns (the guard drops).
    pub(crate) fn enter(&self) -> Writing<'_> {
        let mut state = self.state();
        state.active += 1;
        state.pending += 1;
        Writing { group: self, committed: Cell::new(false) }
    }

    /// Whether a durable commit now should share a flush: another writer will commit
    /// after this one (it is pending, or it has just returned and may begin again). When
    /// none will, a durable commit in place is the flush of every writer waiting.
    pub(crate) fn shared(&self) -> bool {
        let state = self.state();
        state.pending > 1 || state.returning() > 0
    }

    /// Numbers the commit of `writing`, which just returned; call it while the
    /// instance's write lock still orders commits. A durable commit makes every commit
    /// before it durable too.
    pub(crate) fn committed(&self, writing: &Writing<'_>, durable: bool) -> u64 {
        let mut state = self.state();
        writing.committed.set(true);
        state.pending -= 1;
        state.committed += 1;
        let number = state.committed;
        if durable {
            state.durable = number;
        }
        // Waiters look for a durable commit, or for no writer pending.
        if durable || state.pending == 0 {
            self.changed.notify_all();
        }
        number
    }

    /// Returns once commit `number` is durable. While another writer is pending, it
    /// commits after this one and flushes or commits durably in turn, so this waits for
    /// it; while one has just returned, this waits for it to begin again, a little
    /// ([`GRACE`]). Then, unless a flush runs, this writer runs `flush` (an empty durable
    /// commit, which calls the function it is given once it holds the file) for itself
    /// and every writer waiting. A failed flush fails every commit it was to cover.
    pub(crate) fn wait_durable(&self, number: u64, flush: impl Fn(&dyn Fn()) -> Result<()>) -> Result<()> {
        let mut state = self.state();
        state.waiting += 1;
        let mut grace: Option<Instant> = None;
        let result = loop {
            if state.durable >= number {
                break Ok(());
            }
            if let Some((failed, reason)) = &state.failed
                && *failed >= number
            {
                break Err(Error::Storage(
                    redb::StorageError::Io(std::io::Error::other(format!(
                        "the flush that was to make this commit durable failed: {reason}; readers may see \
                         the commit, and a crash may take it back"
                    )))
                    .into(),
                ));
            }
            if state.flushing || state.pending > 0 {
                state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            if state.returning() > 0 {
                let until = *grace.get_or_insert_with(|| Instant::now() + GRACE);
                let left = until.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    state = match self.changed.wait_timeout(state, left) {
                        Ok((state, _)) => state,
                        Err(poisoned) => poisoned.into_inner().0,
                    };
                    continue;
                }
            }
            state.flushing = true;
            let reached = Cell::new(state.committed);
            drop(state);
            // The flush reads how far it reaches once its transaction holds the file, when
            // no commit can land before its own.
            let result = flush(&|| reached.set(self.state().committed));
            state = self.state();
            state.flushing = false;
            self.changed.notify_all();
            match result {
                Ok(()) => state.durable = state.durable.max(reached.get()),
                Err(error) => {
                    state.failed = Some((reached.get().max(number), error.to_string()));
                    break Err(error);
                }
            }
        };
        state.waiting -= 1;
        result
    }

    /// Records that a durable commit made outside a write transaction (`Db::flush`)
    /// covered every commit up to `number`.
    pub(crate) fn made_durable(&self, number: u64) {
        let mut state = self.state();
        state.durable = state.durable.max(number);
        self.changed.notify_all();
    }

    /// The number of the last commit.
    pub(crate) fn last(&self) -> u64 {
        self.state().committed
    }
}

#[cfg(test)]
mod tests {
    //! The group's rules with real threads and a counted stand-in for the flush; every
    //! wait has a watchdog.

    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    /// Runs `wait_durable(number)` on a thread, with a flush that counts itself and
    /// fails if `fail` is set; returns the receiver of its result.
    fn waiter(
        group: &Arc<Group>,
        number: u64,
        flushes: &Arc<AtomicUsize>,
        fail: bool,
    ) -> mpsc::Receiver<Result<()>> {
        let (group, flushes) = (group.clone(), flushes.clone());
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let result = group.wait_durable(number, |reach| {
                reach();
                flushes.fetch_add(1, Ordering::SeqCst);
                if fail {
                    Err(Error::Storage(redb::StorageError::Io(std::io::Error::other("disk gone")).into()))
                } else {
                    Ok(())
                }
            });
            let _ = sender.send(result);
        });
        receiver
    }

    const WATCHDOG: Duration = Duration::from_secs(20);

    #[test]
    fn a_durable_commit_after_a_waiting_one_covers_it_without_a_flush() {
        let group = Arc::new(Group::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let (first, second) = (group.enter(), group.enter());
        let number = group.committed(&first, false);
        assert!(group.shared(), "another writer is pending");
        let waiting = waiter(&group, number, &flushes, false);
        // It waits for the pending writer, however long that one takes.
        assert!(waiting.recv_timeout(Duration::from_millis(50)).is_err(), "returned before a durable commit");
        assert!(!group.shared(), "no writer pending after this one: commit durably in place");
        group.committed(&second, true);
        waiting.recv_timeout(WATCHDOG).expect("the waiter returns").unwrap();
        assert_eq!(flushes.load(Ordering::SeqCst), 0);
        drop((first, second));
    }

    #[test]
    fn a_writer_alone_commits_in_place_once_the_others_have_returned() {
        let group = Group::default();
        let first = group.enter();
        assert!(!group.shared(), "alone from the start");
        let second = group.enter();
        assert!(group.shared(), "another is pending");
        group.committed(&second, true);
        assert!(group.shared(), "the other has committed but not returned: it may begin again");
        drop(second);
        assert!(!group.shared(), "the other has returned");
        group.committed(&first, true);
        drop(first);
        let third = group.enter();
        assert!(!group.shared(), "every other writer has returned");
        drop(third);
    }

    #[test]
    fn a_flush_made_outside_a_transaction_releases_the_waiters_it_covers() {
        let group = Arc::new(Group::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let (first, second) = (group.enter(), group.enter());
        let number = group.committed(&first, false);
        assert_eq!(group.last(), number);
        let waiting = waiter(&group, number, &flushes, false);
        assert!(waiting.recv_timeout(Duration::from_millis(50)).is_err());
        // `Db::flush` made every commit so far durable.
        group.made_durable(group.last());
        waiting.recv_timeout(WATCHDOG).expect("the waiter returns").unwrap();
        assert_eq!(flushes.load(Ordering::SeqCst), 0, "no flush of its own");
        drop((first, second));
    }

    #[test]
    fn a_waiter_flushes_when_the_writer_after_it_gives_up_or_commits_relaxed() {
        for relaxed in [false, true] {
            let group = Arc::new(Group::default());
            let flushes = Arc::new(AtomicUsize::new(0));
            let (first, second) = (group.enter(), group.enter());
            let number = group.committed(&first, false);
            let waiting = waiter(&group, number, &flushes, false);
            assert!(waiting.recv_timeout(Duration::from_millis(50)).is_err());
            if relaxed {
                group.committed(&second, false);
            }
            // Aborted (dropped) or returned: either way, no one else will flush.
            drop(second);
            waiting.recv_timeout(WATCHDOG).expect("the waiter flushes and returns").unwrap();
            assert_eq!(flushes.load(Ordering::SeqCst), 1, "relaxed: {relaxed}");
            drop(first);
        }
    }

    #[test]
    fn a_writer_on_its_way_out_is_waited_for_a_little_then_flushed_for() {
        let group = Arc::new(Group::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let (first, second) = (group.enter(), group.enter());
        group.committed(&second, false);
        // `second` has committed and not returned: it may begin again at once.
        assert!(group.shared());
        let number = group.committed(&first, false);
        let waiting = waiter(&group, number, &flushes, false);
        waiting.recv_timeout(WATCHDOG).expect("the grace ends").unwrap();
        assert_eq!(flushes.load(Ordering::SeqCst), 1);
        drop((first, second));
    }

    #[test]
    fn a_failed_flush_fails_every_commit_it_was_to_cover_and_no_later_one() {
        let group = Arc::new(Group::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let (first, second, third) = (group.enter(), group.enter(), group.enter());
        let one = group.committed(&first, false);
        let two = group.committed(&second, false);
        let waiting_one = waiter(&group, one, &flushes, true);
        let waiting_two = waiter(&group, two, &flushes, true);
        drop(third);
        let results =
            [waiting_one.recv_timeout(WATCHDOG).unwrap(), waiting_two.recv_timeout(WATCHDOG).unwrap()];
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(flushes.load(Ordering::SeqCst), 1, "one flush, failed, for both");
        drop((first, second));
        // A later commit is not failed by it.
        let later = group.enter();
        let three = group.committed(&later, false);
        waiter(&group, three, &flushes, false).recv_timeout(WATCHDOG).unwrap().unwrap();
        drop(later);
    }
}
