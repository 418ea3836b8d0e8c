//! The threads that run async transactions, off the threads of the caller's executor.
//!
//! A job never waits for a busy thread: it goes to an idle one, or to a new one. A fixed
//! number of threads would let jobs queue behind closures that wait on each other (a
//! read's closure blocking on another transaction's future, a write waiting for the
//! instance's write lock), and an executor awaiting them would hang. Threads that finish
//! stay for [`KEEP_ALIVE`] to take the next job, so a steady stream of transactions does
//! not pay a thread start each, and an application that stops using the database gets
//! its threads back. This is the shape of tokio's `spawn_blocking` pool, on std alone.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long a thread without work waits for a job before it ends.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A job: it handles its own panics and outcome (see `db::async_txn`).
type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    state: Mutex<State>,
    /// Signalled when a job is queued.
    queued: Condvar,
}

struct State {
    /// Jobs handed to idle threads and not taken yet; never more than `idle`.
    queue: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
}

static POOL: Pool =
    Pool { state: Mutex::new(State { queue: VecDeque::new(), idle: 0 }), queued: Condvar::new() };

impl Pool {
    /// Jobs catch their panics, and each change to the state is one assignment, so a
    /// poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `job` on a thread of the pool: an idle one, or a new one. Fails only if a new
/// thread was needed and could not be started; the job is then dropped, not run.
pub(crate) fn run(job: Job) -> std::io::Result<()> {
    let mut state = POOL.lock();
    if state.queue.len() < state.idle {
        state.queue.push_back(job);
        POOL.queued.notify_one();
        return Ok(());
    }
    drop(state);
    std::thread::Builder::new().name("insula-txn".to_owned()).spawn(move || work(job))?;
    Ok(())
}

/// A thread of the pool: runs `first`, then queued jobs, until none comes for
/// [`KEEP_ALIVE`].
fn work(first: Job) {
    let mut job = first;
    loop {
        job();
        let mut state = POOL.lock();
        job = loop {
            // A job is taken before the timeout is looked at: `run` counted on this thread.
            if let Some(next) = state.queue.pop_front() {
                break next;
            }
            state.idle += 1;
            let (woken, wait) =
                POOL.queued.wait_timeout(state, KEEP_ALIVE).unwrap_or_else(PoisonError::into_inner);
            state = woken;
            state.idle -= 1;
            if wait.timed_out() && state.queue.is_empty() {
                return;
            }
        };
    }
}
