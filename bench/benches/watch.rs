//! Watcher latency and the writer's commit rate. Run with
//! `cargo bench -p insula-bench --bench watch`.
//!
//! Latency is measured from the return of `write_txn_sync` (a durable commit of one
//! object) to the watcher's thread returning from `recv`, over 1,000 commits; the
//! commit rate is measured with no watcher and with 8 watchers that are read by their
//! own threads.

use insula::prelude::*;
use insula_bench::{Message, MessageAccessor, message};
use std::sync::mpsc;
use std::time::Instant;

const COMMITS: usize = 1_000;

fn open(dir: &tempfile::TempDir, name: &str) -> Db {
    Db::builder().name(name).collection::<Message>().open(dir.path()).expect("opens")
}

fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn latency(dir: &tempfile::TempDir) {
    let db = open(dir, "latency");
    let watcher = db.messages().watch_lazy();
    let (received_at, receipts) = mpsc::channel();
    let consumer = std::thread::spawn(move || {
        for _ in 0..COMMITS {
            watcher.recv().expect("instance open");
            received_at.send(Instant::now()).expect("main waits");
        }
    });
    // Events are published before `write_txn_sync` returns, so a receipt can come
    // before the return: those count as zero, and are counted.
    let (mut after_return, mut after_call, mut early) = (Vec::new(), Vec::new(), 0);
    for i in 0..COMMITS {
        let mut object = Message { id: 0, ..message(i as u64) };
        let called = Instant::now();
        db.write_txn_sync(|txn| txn.messages().put(&mut object)).expect("writes");
        let returned = Instant::now();
        let received = receipts.recv().expect("consumer runs");
        early += usize::from(received < returned);
        after_return.push(received.saturating_duration_since(returned));
        after_call.push(received.saturating_duration_since(called));
    }
    consumer.join().expect("consumer ends");
    after_return.sort();
    after_call.sort();
    println!(
        "watcher latency over {COMMITS} commits, from the commit's return: p50 {:?}, p99 {:?} \
         ({early} receipts came before the return); from the call: p50 {:?}, p99 {:?}",
        percentile(&after_return, 0.5),
        percentile(&after_return, 0.99),
        percentile(&after_call, 0.5),
        percentile(&after_call, 0.99),
    );
}

fn commit_rate(dir: &tempfile::TempDir, name: &str, watchers: usize) -> f64 {
    let db = open(dir, name);
    let consumers: Vec<_> = (0..watchers)
        .map(|w| {
            let watcher = if w % 2 == 0 { None } else { Some(db.messages().watch_object(1)) };
            let lazy = db.messages().watch_lazy();
            std::thread::spawn(move || {
                while lazy.recv().is_ok() {
                    if let Some(watcher) = &watcher {
                        let _ = watcher.try_recv();
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    for i in 0..COMMITS {
        let mut object = Message { id: 1, ..message(i as u64) };
        db.write_txn_sync(|txn| txn.messages().put(&mut object)).expect("writes");
    }
    let rate = COMMITS as f64 / start.elapsed().as_secs_f64();
    drop(db);
    for consumer in consumers {
        consumer.join().expect("consumer ends when the instance closes");
    }
    rate
}

fn main() {
    // `cargo test` runs benches with `--bench` absent; measure only when benchmarking.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    latency(&dir);
    let alone = commit_rate(&dir, "alone", 0);
    let watched = commit_rate(&dir, "watched", 8);
    println!(
        "durable one-object commits: {alone:.0}/s with no watcher, {watched:.0}/s with 8 watchers ({:.2}x)",
        watched / alone
    );
}
