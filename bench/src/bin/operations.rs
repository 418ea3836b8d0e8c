//! The figures of the operations: at N messages (1,000,000 unless `--scale N`), the time
//! and sizes of `copy_to` and of `compact` (after deleting every second message), and the
//! peak memory of the process. One run; times on this machine move by 20-50% between
//! runs, sizes do not.
//!
//! `cargo run --release -p insula-bench --bin operations -- --scale 1000000`

use insula::prelude::*;
use insula_bench::{Message, MessageAccessor, message};
use std::time::Instant;

/// The process's peak resident memory in MiB, from `/proc/self/status` (Linux).
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() -> insula::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = match args.iter().position(|arg| arg == "--scale") {
        Some(at) => args.get(at + 1).and_then(|n| n.parse().ok()).expect("--scale N"),
        None => 1_000_000,
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Db::builder().name("operations").collection::<Message>().open(dir.path())?;
    let start = Instant::now();
    for chunk in (0..n).collect::<Vec<u64>>().chunks(100_000) {
        let mut batch: Vec<Message> = chunk.iter().map(|&i| Message { id: 0, ..message(i) }).collect();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut batch))?;
    }
    let stats = db.stats()?;
    let file = stats.file_bytes;
    println!(
        "N = {n}: filled in {:.2} s, file {:.1} MiB ({:.1} MiB free; records {:.1} MiB, index {:.1} MiB)",
        start.elapsed().as_secs_f64(),
        mib(file),
        mib(stats.free_bytes.unwrap_or(0)),
        mib(stats.collections[0].record_bytes),
        mib(stats.collections[0].indexes[0].bytes)
    );

    let start = Instant::now();
    let copy = db.copy_to(dir.path().join("copy.insula"))?;
    let copied = start.elapsed();
    println!(
        "copy_to: {:.2} s ({:.0} objects/s), copy {:.1} MiB = {:.2}x the file",
        copied.as_secs_f64(),
        n as f64 / copied.as_secs_f64(),
        mib(copy),
        copy as f64 / file as f64
    );

    let start = Instant::now();
    let even: Vec<Id> = (1..=n).filter(|id| id % 2 == 0).collect();
    for chunk in even.chunks(100_000) {
        db.write_txn_sync(|txn| txn.messages().delete_all(chunk).map(drop))?;
    }
    let stats = db.stats()?;
    println!(
        "deleted every second message in {:.2} s: file {:.1} MiB, {:.1} MiB free",
        start.elapsed().as_secs_f64(),
        mib(stats.file_bytes),
        mib(stats.free_bytes.unwrap_or(0))
    );
    println!(
        "  records {:.1} MiB, index {:.1} MiB",
        mib(stats.collections[0].record_bytes),
        mib(stats.collections[0].indexes[0].bytes)
    );
    let start = Instant::now();
    let compaction = db.compact()?;
    println!(
        "compact: {:.2} s, {:.1} MiB -> {:.1} MiB",
        start.elapsed().as_secs_f64(),
        mib(compaction.bytes_before),
        mib(compaction.bytes_after)
    );
    if let Some(peak) = peak_mib() {
        println!("peak memory: {peak:.0} MiB");
    }
    Ok(())
}
