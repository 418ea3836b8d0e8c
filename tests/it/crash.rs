//! Crash safety with real processes: a child commits numbered batches and reports each
//! commit; the parent kills it with SIGKILL at random moments and reopens the file.
//! After every kill: each batch reported committed is all there, no batch is partly
//! there, every index agrees with the objects, and no id was handed out twice.
//!
//! `INSULA_CRASH_KILLS=N` runs N kills instead of 50.

use insula::prelude::*;
use insula_workspace::testing::{BATCH, Entry, EntryAccessor};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Starts the writer, lets it run for `run`, kills it, and returns the batches it
/// reported committed.
fn run_and_kill(dir: &std::path::Path, run: Duration) -> Vec<u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, reported) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(batch) = line.trim().parse::<u64>() {
                let _ = lines.send(batch);
            }
        }
    });
    // Wait for the first commit, so that each run makes progress, then some more.
    let first = reported.recv_timeout(Duration::from_secs(30)).expect("the writer commits");
    std::thread::sleep(run);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    std::iter::once(first).chain(reported.try_iter()).collect()
}

#[test]
fn killed_writers_lose_no_reported_commit_and_leave_no_partial_batch() {
    let kills: u64 = std::env::var("INSULA_CRASH_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let mut reported_max: Option<u64> = None;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for kill in 0..kills {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run = Duration::from_micros(seed % 30_000);
        let reported = run_and_kill(dir.path(), run);
        if let Some(&last) = reported.iter().max() {
            reported_max = reported_max.max(Some(last));
        }

        let db = Db::builder().name("crash").collection::<Entry>().open(dir.path()).unwrap();
        let entries = db.entries().all().unwrap();
        let mut batches: BTreeMap<u64, Vec<&Entry>> = BTreeMap::new();
        for entry in &entries {
            batches.entry(entry.batch).or_default().push(entry);
        }
        // Every reported batch is there, whole.
        for batch in 0..=reported_max.unwrap() {
            assert_eq!(batches.get(&batch).map(Vec::len), Some(BATCH as usize), "kill {kill}: batch {batch}");
        }
        // No batch is partly there, and batches have no gaps.
        for (batch, members) in &batches {
            assert_eq!(members.len(), BATCH as usize, "kill {kill}: batch {batch} is partial");
        }
        let last = batches.keys().next_back().copied();
        assert_eq!(batches.len() as u64, last.map_or(0, |last| last + 1), "kill {kill}: batches have a gap");
        // Ids were never handed out twice: they are exactly 1..=n, batch by batch.
        let ids: Vec<Id> = entries.iter().map(|entry| entry.id).collect();
        assert_eq!(ids, (1..=entries.len() as u64).collect::<Vec<_>>(), "kill {kill}: ids");
        for entry in &entries {
            assert_eq!(
                entry.id,
                entry.batch * u64::from(BATCH) + u64::from(entry.seq) + 1,
                "kill {kill}: {entry:?}"
            );
        }
        db.entries().verify().unwrap_or_else(|error| panic!("kill {kill}: {error}"));
        assert_eq!(db.entries().query().filter(Entry::BATCH.eq(0)).count().unwrap(), BATCH as usize);
    }
    eprintln!("{kills} kills survived; {} batches committed", reported_max.map_or(0, |last| last + 1));
}
