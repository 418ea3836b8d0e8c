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

#[cfg(test)]
mod tests {
    use super::run;
    use std::collections::HashSet;
    use std::sync::mpsc;
    use std::thread::{self, ThreadId};
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(10);

    /// A job of a chain `depth` long: it starts the next and waits for its end, then
    /// sends the threads of the chain from its own down.
    fn link(depth: usize, done: mpsc::Sender<Vec<ThreadId>>) {
        let mut threads = if depth == 0 {
            Vec::new()
        } else {
            let (next_done, next_finished) = mpsc::channel();
            run(Box::new(move || link(depth - 1, next_done))).unwrap();
            next_finished.recv_timeout(WAIT).expect("the next job of the chain ran")
        };
        threads.push(thread::current().id());
        done.send(threads).unwrap();
    }

    /// The only test of the crate that uses the pool, so it knows every thread.
    #[test]
    fn a_job_never_waits_for_a_busy_thread_and_idle_threads_take_the_next_jobs() {
        // Each job of the chain blocks its thread until the job it started has ended:
        // a pool that queued a job behind a busy thread would leave the chain hanging.
        let (done, finished) = mpsc::channel();
        run(Box::new(move || link(16, done))).unwrap();
        let chain: HashSet<ThreadId> = finished.recv_timeout(WAIT * 2).unwrap().into_iter().collect();
        assert_eq!(chain.len(), 17, "every job of the chain had a thread of its own");

        // Once idle, those threads take the next jobs instead of new threads.
        thread::sleep(Duration::from_millis(100));
        for _ in 0..5 {
            let (done, finished) = mpsc::channel();
            run(Box::new(move || done.send(thread::current().id()).unwrap())).unwrap();
            let thread = finished.recv_timeout(WAIT).unwrap();
            assert!(chain.contains(&thread), "an idle thread ran the job");
        }
    }
}
