//! Eight threads for a bounded time, each mixing writes, reads, queries, watcher
//! subscriptions and drops, and opening and dropping handles of the same instance name.
//! Afterwards every thread's objects are exactly what it believes, and every index
//! agrees with the objects. A watchdog turns a deadlock into a failed test.

use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};
use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const THREADS: u64 = 8;

fn stress(dir: std::path::PathBuf, thread: u64, until: Instant) -> (BTreeSet<Id>, u64) {
    let author = format!("thread{thread}");
    let mut mine = BTreeSet::new();
    let mut operations = 0u64;
    let mut step = thread.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while Instant::now() < until {
        step ^= step << 13;
        step ^= step >> 7;
        step ^= step << 17;
        // A handle of its own each round: opening a name that is open shares it.
        let db = Db::builder().name("stress").collection::<Message>().open(&dir).unwrap();
        match step % 6 {
            0 | 1 => {
                let mut batch: Vec<Message> = (0..1 + step % 5)
                    .map(|i| Message { author: author.clone(), likes: (i % 3) as u32, ..Default::default() })
                    .collect();
                let ids = db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
                mine.extend(ids);
            }
            2 => {
                if let Some(&id) = mine.iter().nth((step / 7) as usize % mine.len().max(1)) {
                    assert!(db.write_txn_sync(|txn| txn.messages().delete(id)).unwrap());
                    mine.remove(&id);
                }
            }
            3 => {
                let found = db.messages().query().filter(Message::AUTHOR.eq(&author)).ids().unwrap();
                assert_eq!(
                    found.into_iter().collect::<BTreeSet<_>>(),
                    mine,
                    "thread {thread} sees its own writes"
                );
            }
            4 => {
                let watcher = db.messages().watch_lazy();
                let object = db.messages().watch_object(step % 50);
                let _ = watcher.try_recv();
                drop((watcher, object));
            }
            _ => {
                db.read_txn_sync(|txn| {
                    let messages = txn.messages();
                    let count = messages.count()?;
                    assert!(messages.query().count()? as u64 == count, "one snapshot");
                    Ok::<_, insula::Error>(())
                })
                .unwrap();
            }
        }
        operations += 1;
    }
    (mine, operations)
}

#[test]
fn eight_threads_mixing_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let seconds: u64 = std::env::var("INSULA_STRESS_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let (done, finished) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(seconds);
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let path = path.clone();
                std::thread::spawn(move || stress(path, thread, until))
            })
            .collect();
        let results: Vec<(BTreeSet<Id>, u64)> =
            threads.into_iter().map(|thread| thread.join().unwrap()).collect();
        let _ = done.send(());
        results
    });
    match finished.recv_timeout(Duration::from_secs(seconds + 120)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => std::panic::resume_unwind(worker.join().unwrap_err()),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("deadlock: the threads did not finish"),
    }
    let results = worker.join().unwrap();
    let db = Db::builder().name("stress").collection::<Message>().open(dir.path()).unwrap();
    for (thread, (mine, _)) in results.iter().enumerate() {
        let found =
            db.messages().query().filter(Message::AUTHOR.eq(&format!("thread{thread}"))).ids().unwrap();
        assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), *mine, "thread {thread}");
    }
    db.messages().verify().unwrap();
    assert_eq!(db.watcher_count(), 0, "every watcher unsubscribed");
    let operations: u64 = results.iter().map(|(_, operations)| operations).sum();
    eprintln!("stress: {operations} operations by {THREADS} threads in {seconds} s, invariants hold");
    // A run that did next to nothing proves nothing: each thread must have got through
    // a fair number of operations (a debug build does hundreds a second).
    for (thread, (_, operations)) in results.iter().enumerate() {
        assert!(
            *operations >= 20 * seconds,
            "thread {thread} did only {operations} operations in {seconds} s"
        );
    }
}
