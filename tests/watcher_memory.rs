//! A watcher nobody reads holds one event, the newest, however many commits it misses:
//! memory does not grow. The proof is the resident set of the whole process, so this
//! test owns its binary; in a binary shared with other tests, their allocations, freed
//! or not, would land in the measurement.

use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};
use std::sync::mpsc::TryRecvError;
use std::time::Instant;

/// A directory in memory where there is one: the test commits 100,000 times.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap()
}

fn message(likes: u32) -> Message {
    Message { author: "ada".into(), likes, ..Default::default() }
}

#[test]
fn an_unread_watcher_holds_one_event_the_newest() {
    let dir = scratch();
    let db = Db::builder().name("flat").collection::<Message>().open(dir.path()).unwrap();
    db.write_txn_sync(|txn| txn.messages().put(&mut message(0))).unwrap();
    let lazy = db.messages().watch_lazy();
    let object = db.messages().watch_object(1);
    let start = Instant::now();
    let commits = 100_000;
    let mut rss_warm = None;
    for likes in 1..=commits {
        let mut update = Message { id: 1, ..message(likes) };
        db.write_txn_sync(|txn| txn.messages().put(&mut update)).unwrap();
        if likes == 1_000 {
            // Measured once the first commits have warmed the caches.
            rss_warm = resident_bytes();
        }
    }
    let elapsed = start.elapsed();
    if let (Some(warm), Some(end)) = (rss_warm, resident_bytes()) {
        let growth = end.saturating_sub(warm);
        eprintln!("resident set: {warm} bytes after 1,000 commits, {end} after {commits}");
        // A queue of 99,000 undelivered `Option<Message>` events would be several MiB.
        assert!(growth < 4 << 20, "memory grew by {growth} bytes");
    }
    // One pending event each, the newest; then nothing.
    assert_eq!(object.try_recv().unwrap().map(|m| m.likes), Some(commits));
    assert_eq!(object.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(lazy.try_recv(), Ok(()));
    assert_eq!(lazy.try_recv(), Err(TryRecvError::Empty));
    eprintln!("{commits} commits with two unread watchers in {elapsed:?}");
}

/// The resident set of this process, where `/proc` tells it.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
