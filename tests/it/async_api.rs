//! The async API under four executors (tokio's multi-thread and current-thread runtimes,
//! async-executor, the smol family's executor, and `futures::executor::block_on`):
//! transactions commit, abort and carry panics back to the awaiting task, run off the
//! executor's threads, are cancelled as documented, and watchers are streams that
//! coalesce. Every test runs under a watchdog: a hang is a failure, not a stuck suite.

use crate::common::{QUICK, with_watchdog};
use futures::{FutureExt, StreamExt};
use insula::Error;
use insula::prelude::*;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Task {
    #[id]
    pub id: Id,
    #[index(unique)]
    pub title: String,
    pub done: u32,
}

fn task(title: &str, done: u32) -> Task {
    Task { title: title.into(), done, ..Default::default() }
}

/// A directory in memory where there is one.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap()
}

fn open(dir: &tempfile::TempDir, name: &str) -> Db {
    Db::builder().name(name).collection::<Task>().open(dir.path()).unwrap()
}

/// An executor the async API is tested under.
#[derive(Debug, Clone, Copy)]
enum Runner {
    TokioMultiThread,
    TokioCurrentThread,
    AsyncExecutor,
    FuturesBlockOn,
}

const RUNNERS: [Runner; 4] =
    [Runner::TokioMultiThread, Runner::TokioCurrentThread, Runner::AsyncExecutor, Runner::FuturesBlockOn];

/// Runs `future` to its end under `runner`, as a spawned task where the executor has
/// tasks.
fn run_on<T: Send + 'static>(runner: Runner, future: impl Future<Output = T> + Send + 'static) -> T {
    match runner {
        Runner::TokioMultiThread => {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
            runtime
                .block_on(runtime.spawn(future))
                .unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
        }
        Runner::TokioCurrentThread => {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime
                .block_on(async { tokio::spawn(future).await })
                .unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
        }
        Runner::AsyncExecutor => {
            let executor = async_executor::Executor::new();
            futures_lite::future::block_on(executor.run(executor.spawn(future)))
        }
        Runner::FuturesBlockOn => futures::executor::block_on(future),
    }
}

/// Runs `scenario` on every executor, each with an instance of its own.
fn on_every_executor<F, Fut>(name: &str, scenario: F)
where
    F: Fn(Db) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = name.to_owned();
    with_watchdog(QUICK, move || {
        for runner in RUNNERS {
            let dir = scratch();
            let db = open(&dir, &format!("async-{name}-{runner:?}"));
            run_on(runner, scenario(db));
        }
    });
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or(payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("")
}

/// Polls `future` once, with a waker that does nothing.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    future.poll_unpin(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

#[test]
fn transactions_commit_abort_and_run_off_the_executor_on_every_executor() {
    on_every_executor("commit", |db| async move {
        let (id, thread_name) = db
            .write_txn(|txn| {
                let mut first = task("first", 1);
                txn.tasks().put(&mut first)?;
                Ok((first.id, thread::current().name().map(str::to_owned)))
            })
            .await
            .unwrap();
        assert_eq!(id, 1);
        assert_eq!(thread_name.as_deref(), Some("insula-txn"), "the closure runs on a thread of Insula's");
        let read = db.read_txn(move |txn| txn.tasks().get(id)).await.unwrap();
        assert_eq!(read.map(|task| task.title), Some("first".to_owned()));

        // An error aborts the whole transaction, and the caller gets it as it was.
        let duplicate = db
            .write_txn(|txn| {
                txn.tasks().put(&mut task("second", 2))?;
                txn.tasks().put(&mut task("first", 3))?;
                Ok(())
            })
            .await;
        assert!(matches!(duplicate, Err(Error::UniqueViolation { .. })), "{duplicate:?}");
        assert_eq!(db.read_txn(|txn| txn.tasks().count()).await.unwrap(), 1, "nothing of it was written");
    });
}

#[test]
fn a_panic_in_the_closure_aborts_and_reaches_the_awaiting_task_on_every_executor() {
    on_every_executor("panic", |db| async move {
        let write = db.write_txn(|txn| -> insula::Result<()> {
            txn.tasks().put(&mut task("lost", 1))?;
            panic!("boom in a transaction");
        });
        let payload = AssertUnwindSafe(write).catch_unwind().await.expect_err("the awaiting task panics");
        assert_eq!(panic_text(&*payload), "boom in a transaction");

        let read = db.read_txn(|_| -> insula::Result<()> { panic!("boom in a read") });
        let payload = AssertUnwindSafe(read).catch_unwind().await.expect_err("the awaiting task panics");
        assert_eq!(panic_text(&*payload), "boom in a read");

        // Nothing was written, and the instance goes on.
        assert_eq!(db.read_txn(|txn| txn.tasks().count()).await.unwrap(), 0);
        db.write_txn(|txn| txn.tasks().put(&mut task("kept", 1))).await.unwrap();
        assert_eq!(db.read_txn(|txn| txn.tasks().count()).await.unwrap(), 1);
    });
}

#[test]
fn awaiting_a_write_inside_a_write_on_the_same_thread_is_an_error_not_a_deadlock() {
    with_watchdog(QUICK, || {
        let dir = scratch();
        let db = open(&dir, "async-nested");
        let inner = db.clone();
        db.write_txn_sync(move |txn| {
            txn.tasks().put(&mut task("outer", 1))?;
            let nested = futures::executor::block_on(inner.write_txn(|_| Ok(())));
            assert!(matches!(nested, Err(Error::NestedTransaction { .. })), "{nested:?}");
            // A read does not wait for the write: it sees the last commit.
            let count = futures::executor::block_on(inner.read_txn(|txn| txn.tasks().count()));
            assert_eq!(count.unwrap(), 0);
            Ok(())
        })
        .unwrap();

        // And inside an async write's closure, as in the synchronous form.
        let inner = db.clone();
        let nested = futures::executor::block_on(db.write_txn(move |_| inner.write_txn_sync(|_| Ok(()))));
        assert!(matches!(nested, Err(Error::NestedTransaction { .. })), "{nested:?}");
        let inner = db.clone();
        let nested = futures::executor::block_on(
            db.write_txn(move |_| futures::executor::block_on(inner.write_txn(|_| Ok(())))),
        );
        assert!(matches!(nested, Err(Error::NestedTransaction { .. })), "{nested:?}");
        assert_eq!(db.tasks().count().unwrap(), 1);
    });
}

#[test]
fn a_closure_that_awaits_other_transactions_does_not_starve_their_threads() {
    with_watchdog(QUICK, || {
        let dir = scratch();
        let db = open(&dir, "async-pool");
        // Each closure blocks its thread until the transactions it awaits have ended on
        // threads of their own: a pool that made them wait for a busy thread would hang.
        let inner = db.clone();
        let counts = futures::executor::block_on(db.read_txn(move |_| {
            futures::executor::block_on(async {
                let write = inner.write_txn(|txn| txn.tasks().put(&mut task("inner", 1)));
                let id = write.await?;
                let count = inner.read_txn(|txn| txn.tasks().count()).await?;
                Ok((id, count))
            })
        }));
        assert_eq!(counts.unwrap(), (1, 1));
    });
}

/// Sends on its channel when dropped: tells when a closure that owns it is gone.
struct DropSignal(mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn a_write_dropped_before_its_closure_starts_never_runs_it() {
    with_watchdog(QUICK, || {
        let dir = scratch();
        let db = open(&dir, "async-cancel-before");
        let ran = Arc::new(AtomicBool::new(false));
        let write = |ran: Arc<AtomicBool>, gone: mpsc::Sender<()>| {
            let signal = DropSignal(gone);
            db.write_txn(move |txn| {
                let _signal = signal;
                ran.store(true, Ordering::SeqCst);
                txn.tasks().put(&mut task("never", 1))
            })
        };

        // Never polled: nothing starts.
        let (gone, closure_gone) = mpsc::channel();
        drop(write(Arc::clone(&ran), gone));
        closure_gone.recv_timeout(WAIT).unwrap();

        // Polled, so its job is on a thread, which waits for the write lock that another
        // thread holds; dropped while it waits.
        let (release, released) = mpsc::channel::<()>();
        let (holding, held) = mpsc::channel();
        let holder = {
            let db = db.clone();
            thread::spawn(move || {
                db.write_txn_sync(|_| {
                    holding.send(()).unwrap();
                    released.recv_timeout(WAIT).unwrap();
                    Ok(())
                })
            })
        };
        held.recv_timeout(WAIT).unwrap();
        let (gone, closure_gone) = mpsc::channel();
        let mut waiting = Box::pin(write(Arc::clone(&ran), gone));
        assert!(poll_once(&mut waiting).is_pending());
        // Time for the job to reach the lock; had it not, it would be skipped earlier.
        thread::sleep(Duration::from_millis(200));
        drop(waiting);
        release.send(()).unwrap();
        holder.join().unwrap().unwrap();

        closure_gone.recv_timeout(WAIT).expect("the closure is dropped");
        assert!(!ran.load(Ordering::SeqCst), "a cancelled transaction's closure never runs");
        assert_eq!(db.tasks().count().unwrap(), 0);
    });
}

#[test]
fn a_write_dropped_after_its_closure_started_commits_as_a_whole() {
    with_watchdog(QUICK, || {
        let dir = scratch();
        let db = open(&dir, "async-cancel-after");
        let changes = db.tasks().watch_lazy();
        let (started, has_started) = mpsc::channel();
        let (go, may_go) = mpsc::channel::<()>();
        let mut write = Box::pin(db.write_txn(move |txn| {
            txn.tasks().put(&mut task("one", 1))?;
            started.send(()).unwrap();
            may_go.recv_timeout(WAIT).unwrap();
            txn.tasks().put(&mut task("two", 2))?;
            Ok(())
        }));
        assert!(poll_once(&mut write).is_pending());
        has_started.recv_timeout(WAIT).unwrap();
        drop(write);
        go.send(()).unwrap();

        changes.recv_timeout(WAIT).expect("the transaction committed");
        let titles: Vec<String> = db.tasks().all().unwrap().into_iter().map(|task| task.title).collect();
        assert_eq!(titles, ["one", "two"], "the whole transaction, not half of it");
    });
}

#[test]
fn a_current_thread_runtime_runs_other_tasks_while_a_transaction_runs() {
    with_watchdog(QUICK, || {
        let dir = scratch();
        let db = open(&dir, "async-current-thread");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async move {
            // Each closure waits for a message that only another task of this one-thread
            // runtime sends: run on the runtime's thread, it would wait in vain.
            let (go, may_go) = mpsc::channel::<()>();
            let write = db.write_txn(move |txn| {
                may_go.recv_timeout(Duration::from_secs(5)).expect("another task ran while the write ran");
                txn.tasks().put(&mut task("written", 1))
            });
            let other = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                go.send(()).unwrap();
            });
            assert_eq!(write.await.unwrap(), 1);
            other.await.unwrap();

            let (go, may_go) = mpsc::channel::<()>();
            let read = db.read_txn(move |txn| {
                may_go.recv_timeout(Duration::from_secs(5)).expect("another task ran while the read ran");
                txn.tasks().count()
            });
            let other = tokio::spawn(async move {
                tokio::task::yield_now().await;
                go.send(()).unwrap();
            });
            assert_eq!(read.await.unwrap(), 1);
            other.await.unwrap();
        });
    });
}

#[test]
fn watchers_are_streams_that_coalesce_and_end_on_every_executor() {
    on_every_executor("stream", |db| async move {
        let mut lazy = db.tasks().watch_lazy();
        let mut object = db.tasks().watch_object(1);
        let mut query = db.tasks().query().filter(Task::DONE.ge(10)).watch();

        // Fifty commits while nobody polls: one event each, the newest state.
        for done in 0..50 {
            db.write_txn(move |txn| txn.tasks().put(&mut Task { id: 1, title: "one".into(), done }))
                .await
                .unwrap();
        }
        assert_eq!(lazy.next().await, Some(()));
        assert_eq!(object.next().await.flatten().map(|task| task.done), Some(49));
        assert_eq!(
            query.next().await.map(|tasks| tasks.iter().map(|task| task.done).collect()),
            Some(vec![49])
        );
        assert_eq!(lazy.next().now_or_never(), None, "one event for the fifty commits");
        assert_eq!(object.next().now_or_never(), None);

        // A task that waits is woken by a commit on another thread.
        let writer = {
            let db = db.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                db.write_txn_sync(|txn| txn.tasks().delete(1)).unwrap();
            })
        };
        assert_eq!(object.next().await, Some(None), "deleted");
        assert_eq!(query.next().await, Some(vec![]));
        writer.join().unwrap();

        // Dropping a stream unsubscribes; closing the instance ends the others.
        assert_eq!(db.watcher_count(), 3);
        drop(query);
        assert_eq!(db.watcher_count(), 2);
        assert_eq!(lazy.next().await, Some(()));
        // The last handle drops on another thread while the task waits.
        let closer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            drop(db);
        });
        assert_eq!(lazy.next().await, None, "the task is woken when the instance closes");
        assert_eq!(object.next().await, None);
        closer.join().unwrap();
    });
}

#[test]
fn a_read_begun_after_a_stream_event_sees_its_commit() {
    with_watchdog(QUICK, || {
        let dir = scratch();
        let db = open(&dir, "async-stream-order");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        runtime.block_on(async move {
            db.write_txn(|txn| txn.tasks().put(&mut task("one", 0))).await.unwrap();
            let mut object = db.tasks().watch_object(1);
            let writer = {
                let db = db.clone();
                tokio::spawn(async move {
                    for done in 1..=300 {
                        db.write_txn(move |txn| {
                            txn.tasks().put(&mut Task { id: 1, title: "one".into(), done })
                        })
                        .await
                        .unwrap();
                    }
                })
            };
            loop {
                let seen = object.next().await.flatten().unwrap().done;
                let read = db.read_txn(|txn| txn.tasks().get(1)).await.unwrap().unwrap().done;
                assert!(read >= seen, "an event for done = {seen}, then a read found {read}");
                if seen == 300 {
                    break;
                }
            }
            writer.await.unwrap();
        });
    });
}
