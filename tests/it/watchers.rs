//! Watchers, with real threads: what fires, when, how often, in which order, and that
//! nothing grows or blocks when consumers are slow, absent, panicking or stuck. That an
//! unread watcher's memory stays flat is measured on the resident set of the process,
//! so that test owns a binary: `tests/watcher_memory.rs`.

use crate::common;

use common::*;
use insula::Error;
use insula::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(150);

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Post {
    #[id]
    pub id: Id,
    pub title: String,
}

/// A directory in memory where there is one: these tests commit thousands of times.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap()
}

fn open(dir: &tempfile::TempDir, name: &str) -> Db {
    Db::builder().name(name).collection::<Message>().collection::<Post>().open(dir.path()).unwrap()
}

fn message(likes: u32) -> Message {
    Message { author: "ada".into(), likes, ..Default::default() }
}

#[test]
fn a_lazy_watcher_fires_after_commits_to_its_collection_only() {
    let dir = scratch();
    let db = open(&dir, "lazy");
    let messages = db.messages().watch_lazy();
    let posts = db.posts().watch_lazy();

    db.write_txn_sync(|txn| txn.messages().put(&mut message(1))).unwrap();
    messages.recv_timeout(WAIT).unwrap();
    assert_eq!(posts.try_recv(), Err(TryRecvError::Empty), "a write to messages wakes no post watcher");
    assert_eq!(messages.try_recv(), Err(TryRecvError::Empty), "one event per commit");

    db.write_txn_sync(|txn| txn.posts().put(&mut Post::default())).unwrap();
    posts.recv_timeout(WAIT).unwrap();
    assert_eq!(messages.try_recv(), Err(TryRecvError::Empty));

    // Deletes and clears count; a transaction that writes nothing does not.
    db.write_txn_sync(|txn| txn.messages().delete(1)).unwrap();
    messages.recv_timeout(WAIT).unwrap();
    db.write_txn_sync(|txn| txn.messages().delete(1)).unwrap();
    db.write_txn_sync(|txn| txn.messages().count()).unwrap();
    assert_eq!(messages.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
    db.write_txn_sync(|txn| txn.messages().clear()).unwrap();
    messages.recv_timeout(WAIT).unwrap();
}

#[test]
fn an_object_watcher_gets_its_object_and_ignores_others() {
    let dir = scratch();
    let db = open(&dir, "object");
    let mut batch: Vec<Message> = (0..6).map(message).collect();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    let five = db.messages().watch_object(5);

    let mut six = batch[5].clone();
    six.likes = 600;
    db.write_txn_sync(|txn| txn.messages().put(&mut six)).unwrap();
    assert_eq!(five.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout), "object 6 is not object 5");

    let mut changed = batch[4].clone();
    changed.likes = 500;
    db.write_txn_sync(|txn| txn.messages().put(&mut changed)).unwrap();
    assert_eq!(five.recv_timeout(WAIT).unwrap(), Some(changed));

    db.write_txn_sync(|txn| txn.messages().delete(5)).unwrap();
    assert_eq!(five.recv_timeout(WAIT).unwrap(), None, "deleted");
}

#[test]
fn aborted_transactions_fire_nothing() {
    let dir = scratch();
    let db = open(&dir, "aborted");
    let watcher = db.messages().watch_lazy();
    let object = db.messages().watch_object(1);

    let aborted = db.write_txn_sync(|txn| {
        txn.messages().put(&mut message(1))?;
        Err::<(), _>(Error::NestedTransaction { instance: "pretend".into() })
    });
    assert!(matches!(aborted, Err(Error::NestedTransaction { .. })), "{aborted:?}");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), Error> = db.write_txn_sync(|txn| {
            txn.messages().put(&mut message(2))?;
            panic!("abort by panic");
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(watcher.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
    assert_eq!(object.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn events_come_at_most_once_per_commit_in_commit_order() {
    with_watchdog(Duration::from_secs(120), || {
        let dir = scratch();
        let db = open(&dir, "commit_order");
        db.write_txn_sync(|txn| txn.messages().put(&mut message(0))).unwrap();
        let watcher = db.messages().watch_object(1);
        let consumer = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while let Ok(Some(event)) = watcher.recv_timeout(WAIT) {
                seen.push(event.likes);
                if event.likes == 300 {
                    break;
                }
            }
            seen
        });
        let writer = {
            let db = db.clone();
            std::thread::spawn(move || {
                for likes in 1..=300 {
                    let mut object = Message { id: 1, ..message(likes) };
                    db.write_txn_sync(|txn| txn.messages().put(&mut object)).unwrap();
                }
            })
        };
        writer.join().unwrap();
        let seen = consumer.join().unwrap();
        assert!(seen.len() <= 300, "at most one event per commit: {}", seen.len());
        assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "in commit order: {seen:?}");
        assert_eq!(seen.last(), Some(&300), "the newest state arrives");
    });
}

#[test]
fn any_thread_and_any_handle_of_the_instance_wakes_watchers() {
    let dir = scratch();
    let db = open(&dir, "handles");
    let watcher = db.messages().watch_lazy();
    let path = dir.path().to_owned();
    std::thread::spawn(move || {
        let other =
            Db::builder().name("handles").collection::<Post>().collection::<Message>().open(&path).unwrap();
        other.write_txn_sync(|txn| txn.messages().put(&mut message(7))).unwrap();
    })
    .join()
    .unwrap();
    watcher.recv_timeout(WAIT).unwrap();
}

#[test]
fn a_read_begun_after_an_event_sees_the_commit() {
    with_watchdog(Duration::from_secs(120), || {
        let dir = scratch();
        let db = open(&dir, "visible");
        db.write_txn_sync(|txn| txn.messages().put(&mut message(0))).unwrap();
        let watcher = db.messages().watch_object(1);
        let reader = {
            let db = db.clone();
            std::thread::spawn(move || {
                let (mut checked, mut last) = (0, 0);
                while let Ok(Some(event)) = watcher.recv_timeout(WAIT) {
                    // Events come in commit order, each at most once: a stale or repeated
                    // event fails here.
                    assert!(event.likes > last, "an event for {} after one for {last}", event.likes);
                    last = event.likes;
                    let now = db.messages().get(1).unwrap().unwrap();
                    assert!(
                        now.likes >= event.likes,
                        "read {} after an event for {}",
                        now.likes,
                        event.likes
                    );
                    checked += 1;
                    if event.likes == 200 {
                        break;
                    }
                }
                (checked, last)
            })
        };
        for likes in 1..=200 {
            let mut object = Message { id: 1, ..message(likes) };
            db.write_txn_sync(|txn| txn.messages().put(&mut object)).unwrap();
        }
        let (checked, last) = reader.join().unwrap();
        assert!(checked > 0);
        assert_eq!(last, 200, "the newest state arrives");
    });
}

#[test]
fn panicking_and_blocked_callbacks_harm_no_writer_and_no_other_watcher() {
    with_watchdog(Duration::from_secs(60), || {
        let dir = scratch();
        let db = open(&dir, "callbacks");
        let (_never, blocked) = mpsc::channel::<()>();
        let blocker_calls = Arc::new(AtomicU32::new(0));
        let calls = blocker_calls.clone();
        let _blocker = db
            .messages()
            .watch_lazy()
            .on_change(move |()| {
                calls.fetch_add(1, Ordering::SeqCst);
                let _ = blocked.recv(); // stuck for good
            })
            .unwrap();
        let panics = Arc::new(AtomicU32::new(0));
        let counted = panics.clone();
        let _panicker = db
            .messages()
            .watch_lazy()
            .on_change(move |()| {
                counted.fetch_add(1, Ordering::SeqCst);
                panic!("a callback's own bug");
            })
            .unwrap();
        let healthy = db.messages().watch_object(1);

        for likes in 1..=50 {
            let mut object = Message { id: 1, ..message(likes) };
            db.write_txn_sync(|txn| txn.messages().put(&mut object)).unwrap();
        }
        let mut last = 0;
        while last != 50 {
            last = healthy.recv_timeout(WAIT).unwrap().unwrap().likes;
        }
        // Events coalesce, so the 50 commits may have reached the panicking callback as
        // one event: once it has panicked, one more commit must reach it again.
        let wait_for = |calls: u32| {
            let deadline = Instant::now() + WAIT;
            while panics.load(Ordering::SeqCst) < calls && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            panics.load(Ordering::SeqCst) >= calls
        };
        assert!(wait_for(1), "the panicking callback was called");
        let mut object = Message { id: 1, ..message(51) };
        db.write_txn_sync(|txn| txn.messages().put(&mut object)).unwrap();
        assert!(wait_for(2), "the panicking callback is called again after a panic");
        assert_eq!(blocker_calls.load(Ordering::SeqCst), 1, "the stuck callback got its first event");
    });
}

#[test]
fn dropping_a_watcher_or_its_guard_unsubscribes() {
    let dir = scratch();
    let db = open(&dir, "unsubscribe");
    let lazy = db.messages().watch_lazy();
    let object = db.messages().watch_object(3);
    let (sender, received) = mpsc::channel();
    let guard = db.posts().watch_lazy().on_change(move |()| sender.send(()).unwrap()).unwrap();
    assert_eq!(db.watcher_count(), 3);

    db.write_txn_sync(|txn| txn.posts().put(&mut Post::default())).unwrap();
    received.recv_timeout(WAIT).unwrap();

    drop((lazy, object));
    assert_eq!(db.watcher_count(), 1);
    drop(guard);
    let deadline = Instant::now() + WAIT;
    while db.watcher_count() != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(db.watcher_count(), 0, "the callback's thread ended and unsubscribed");
    db.write_txn_sync(|txn| txn.posts().put(&mut Post::default())).unwrap();
    assert_eq!(received.recv_timeout(QUIET), Err(RecvTimeoutError::Disconnected));
}

#[test]
fn fire_immediately_delivers_the_current_state() {
    let dir = scratch();
    let db = open(&dir, "immediately");
    let mut first = message(11);
    db.write_txn_sync(|txn| txn.messages().put(&mut first)).unwrap();
    assert_eq!(db.messages().watch_lazy().fire_immediately().try_recv(), Ok(()));
    let object = db.messages().watch_object(1).fire_immediately();
    assert_eq!(object.try_recv().unwrap(), Some(first));
    assert_eq!(db.messages().watch_object(2).fire_immediately().try_recv().unwrap(), None);

    // A watcher that has received events already gets the current state too.
    let object = db.messages().watch_object(1);
    let mut second = Message { id: 1, ..message(12) };
    db.write_txn_sync(|txn| txn.messages().put(&mut second)).unwrap();
    assert_eq!(object.recv_timeout(WAIT).unwrap(), Some(second.clone()));
    let object = object.fire_immediately();
    assert_eq!(object.try_recv().unwrap(), Some(second), "the current state, after an event was received");
}

#[test]
fn a_watcher_of_a_closed_instance_is_disconnected() {
    let dir = scratch();
    let db = open(&dir, "closing");
    let watcher = db.messages().watch_lazy();
    let iterating = {
        let watcher = db.messages().watch_object(1);
        std::thread::spawn(move || watcher.iter().count())
    };
    drop(db);
    assert!(Db::instance("closing").is_none());
    assert_eq!(watcher.recv_timeout(WAIT), Err(RecvTimeoutError::Disconnected));
    assert_eq!(watcher.recv(), Err(std::sync::mpsc::RecvError));
    assert_eq!(iterating.join().unwrap(), 0, "iteration ends when the instance closes");
}

#[test]
fn a_collection_the_instance_lacks_gives_a_disconnected_watcher() {
    let dir = scratch();
    let db = Db::builder().name("lacking").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(db.posts().watch_lazy().try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn stress_four_writers_eight_watchers() {
    with_watchdog(Duration::from_secs(120), || {
        let dir = scratch();
        let db = open(&dir, "stress_watchers");
        let mut seed: Vec<Message> = (0..4).map(|_| message(0)).collect();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut seed)).unwrap();
        let watchers: Vec<_> = (0..8)
            .map(|w| {
                let watcher = db.messages().watch_object(w % 4 + 1);
                std::thread::spawn(move || {
                    let mut last = 0;
                    // Runs until the final value of its object arrives.
                    while last != u32::MAX {
                        match watcher.recv_timeout(WAIT) {
                            Ok(Some(event)) => last = event.likes,
                            other => panic!("watcher {w} stopped early: {other:?}"),
                        }
                    }
                })
            })
            .collect();
        let start = Arc::new(Barrier::new(4));
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4u64)
            .map(|w| {
                let (db, start, stop) = (db.clone(), start.clone(), stop.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut commits = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        commits += 1;
                        let mut object = Message { id: w + 1, ..message(commits) };
                        db.write_txn_sync(|txn| txn.messages().put(&mut object)).unwrap();
                    }
                    let mut last = Message { id: w + 1, ..message(u32::MAX) };
                    db.write_txn_sync(|txn| txn.messages().put(&mut last)).unwrap();
                    commits
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        let commits: u32 = writers.into_iter().map(|writer| writer.join().unwrap()).sum();
        for watcher in watchers {
            watcher.join().unwrap();
        }
        eprintln!("stress: {commits} commits by 4 writers, 8 watchers ended on the final state");
    });
}

/// The rule for every kind of watcher: when an event arrives, a read begun then sees the
/// commit that caused it. The writer waits for each event to be checked before its next
/// commit, so the read must see exactly that commit.
#[test]
fn every_kind_of_watcher_lets_a_read_see_the_commit_it_announces() {
    with_watchdog(Duration::from_secs(120), || {
        let dir = scratch();
        let db = open(&dir, "visible_kinds");
        db.write_txn_sync(|txn| txn.messages().put(&mut message(0))).unwrap();
        let lazy = db.messages().watch_lazy();
        let query = db.messages().query().filter(Message::LIKES.ge(1)).watch_lazy();
        let results = db.messages().query().filter(Message::LIKES.ge(1)).watch();
        let (checked, next) = (mpsc::channel::<()>(), mpsc::channel::<u32>());
        let (ack, acked) = checked;
        let (announce, announced) = next;
        let reader = {
            let db = db.clone();
            std::thread::spawn(move || {
                while let Ok(likes) = announced.recv() {
                    lazy.recv_timeout(WAIT).expect("a lazy event for each commit");
                    assert_eq!(db.messages().get(1).unwrap().unwrap().likes, likes, "after a lazy event");
                    query.recv_timeout(WAIT).expect("a query event for each commit");
                    assert_eq!(db.messages().get(1).unwrap().unwrap().likes, likes, "after a query event");
                    let found = results.recv_timeout(WAIT).expect("results for each commit");
                    assert_eq!(found.iter().map(|message| message.likes).collect::<Vec<_>>(), [likes]);
                    assert_eq!(db.messages().get(1).unwrap().unwrap().likes, likes, "after a result event");
                    ack.send(()).unwrap();
                }
            })
        };
        for likes in 1..=50 {
            let mut object = Message { id: 1, ..message(likes) };
            db.write_txn_sync(|txn| txn.messages().put(&mut object)).unwrap();
            announce.send(likes).unwrap();
            acked.recv_timeout(WAIT).expect("the reader checked the commit");
        }
        drop(announce);
        reader.join().unwrap();
    });
}

/// `fire_immediately` reads the current state, and a commit can publish while it reads:
/// the commit's newer event must stay, never be replaced by the older state. A view
/// filter holds the read at the right moment: its first call (from `fire_immediately`)
/// waits until a commit has published.
#[test]
fn fire_immediately_never_replaces_an_event_published_while_it_read() {
    with_watchdog(Duration::from_secs(60), || {
        let dir = scratch();
        let db = open(&dir, "fire_race");
        db.write_txn_sync(|txn| txn.messages().put(&mut message(1))).unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let (reading, read_started) = mpsc::channel::<()>();
        let (committed, commit_done) = mpsc::channel::<()>();
        let commit_done = std::sync::Mutex::new(commit_done);
        let filter_armed = armed.clone();
        let watcher = db
            .messages()
            .query()
            .filter_view(move |_| {
                if filter_armed.swap(false, Ordering::SeqCst) {
                    let _ = reading.send(());
                    let _ = commit_done.lock().unwrap().recv_timeout(WAIT);
                }
                true
            })
            .watch();
        armed.store(true, Ordering::SeqCst);
        let firing = std::thread::spawn(move || watcher.fire_immediately());
        read_started.recv_timeout(WAIT).expect("fire_immediately began its read");
        db.write_txn_sync(|txn| txn.messages().put(&mut message(2))).unwrap();
        committed.send(()).unwrap();
        let watcher = firing.join().unwrap();
        let event = watcher.recv_timeout(WAIT).unwrap();
        assert_eq!(event.len(), 2, "the commit's event, not the older read: {event:?}");
        assert_eq!(watcher.try_recv(), Err(TryRecvError::Empty));
    });
}
