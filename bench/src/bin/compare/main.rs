//! `cargo xtask bench`: Insula against native_db, raw redb and SQLite, in one process,
//! on the same messages. Prints a table of medians and Insula's ratio to each peer, and
//! writes the same figures as JSON to `target/bench.json`.
//!
//! Workloads: W1 insert N in one durable transaction; W2 1,000 one-object durable
//! commits (p50/p99); W2r the same with relaxed durability (a commit that a crash may
//! take back: Insula's `Durability::Relaxed`, redb's `Durability::None`, SQLite's WAL
//! with `synchronous=NORMAL`); W3 N random gets by id, decoded; W4 1,000 equality queries on
//! `author`, every hit decoded; W5 a full scan counting `likes > 899`; W6 watcher
//! latency from commit return to receipt (p50/p99) and whether the commit is visible on
//! receipt; the file size after W1; W7 open time after a compatible schema change; W8 1,
//! 2, 4 and 8 threads each committing 1,000 one-object durable transactions at once
//! (commits/s, p50/p99; `INSULA_W8_COMMITS` sets the count), against SQLite's one
//! `synchronous=FULL` connection shared by the threads and raw redb; W9, Insula's alone,
//! the async forms under tokio against `spawn_blocking` around the sync forms, and a
//! watcher stream's latency (beside W6's blocking watcher); W10 1,000 lookups of a user
//! by email ignoring case, among N / 10 users, on a case-insensitive index (Insula's
//! `#[index(case_insensitive)]` and `ignore_case().eq`, SQLite's `COLLATE NOCASE`
//! column and its index; the redb peers have none); W11 the authors of the messages
//! with more than 899 likes (Insula's `select`, SQLite's `SELECT author`).
//!
//! `--cache MIB` sets the page cache of Insula, raw redb and SQLite (1 GiB by default).
//!
//! Each repetition opens every contender in a fresh directory, and they take turns at
//! the grain of one sample (a commit, a chunk of 1,000 gets, a query, a scan): on a shared
//! machine whose speed drifts, a slow moment then falls on all of them alike.

mod insula_db;
mod native;
mod raw;
mod report;
mod sqlite;

use report::{Figure, Report};
use std::path::Path;
use std::time::{Duration, Instant};

pub use insula_bench::{Plain, plain};

/// One contender: a database, opened in `dir`, holding `Plain` messages.
pub trait Contender {
    fn name(&self) -> &'static str;
    /// Before W1, untimed: turns `messages` into the contender's own objects, as a
    /// program holds them.
    fn stage(&mut self, messages: &[Plain]);
    /// W1: the staged messages in one durable transaction.
    fn insert_staged(&mut self);
    /// W2: one message in its own durable transaction.
    fn insert_one(&mut self, message: &Plain);
    /// W2r: one message in its own transaction, whose commit does not wait for the disk
    /// (a durable one where the peer has no other).
    fn insert_one_relaxed(&mut self, message: &Plain);
    /// Whether the peer has commits that do not wait for the disk.
    fn relaxes(&self) -> bool {
        true
    }
    /// W3: the message with this id, decoded.
    fn get(&self, id: u64) -> Option<Plain>;
    /// W4: every message by `author`, decoded.
    fn by_author(&self, author: &str) -> Vec<Plain>;
    /// W5: how many messages have more than `likes` likes.
    fn count_likes_over(&self, likes: u32) -> usize;
    /// W10, untimed: stores `users` (id, email) with a case-insensitive index on the
    /// email; `false` for a peer without case-insensitive indexes.
    fn stage_users(&mut self, users: &[(u64, String)]) -> bool {
        let _ = users;
        false
    }
    /// W10: the ids of the users whose email equals `email`, ignoring case.
    fn users_by_email(&self, email: &str) -> Vec<u64> {
        let _ = email;
        Vec::new()
    }
    /// W11: the author of each message with more than `likes` likes, in id order.
    fn authors_with_likes_over(&self, likes: u32) -> Vec<String>;
    /// W6: latencies from commit return to receipt, and whether every receipt saw its
    /// commit; `None` for a peer without watchers.
    fn watch_latency(&mut self, commits: u64, first_id: u64) -> Option<(Vec<Duration>, bool)>;
    /// The database file's size.
    fn file_size(&self) -> u64;
    /// W7: closes, changes the schema compatibly, and times the open; `None` where the
    /// peer has no schema.
    fn reopen_changed(&mut self) -> Option<Duration>;
    /// W8: `threads` threads at once, each committing `commits` one-object durable
    /// transactions, the messages from `first` on; every commit's latency. `None` for a
    /// peer left out of W8.
    fn concurrent_commits(&mut self, threads: u64, commits: u64, first: u64) -> Option<Vec<Duration>> {
        let _ = (threads, commits, first);
        None
    }
    /// W9, Insula's alone: under tokio, `commits` one-object writes and gets each as an
    /// awaited transaction and as the sync form in `spawn_blocking`, taking turns, and
    /// the latency from a commit's return to a watcher stream's receipt; `None` for a
    /// peer without an async API.
    fn async_latencies(&mut self, commits: u64, first: u64) -> Option<AsyncLatencies> {
        let _ = (commits, first);
        None
    }
}

/// W9's latencies, each sorted.
#[derive(Debug, Default)]
pub struct AsyncLatencies {
    pub write_async: Vec<Duration>,
    pub write_blocking: Vec<Duration>,
    pub read_async: Vec<Duration>,
    pub read_blocking: Vec<Duration>,
    pub stream: Vec<Duration>,
}

/// The memory of the process during each workload, all contenders that ran together:
/// its resident memory as the workload begins, and how far above that it peaks (Linux's
/// `VmRSS` and `VmHWM`, the peak reset as each workload begins by writing `5` to
/// `/proc/self/clear_refs`). Elsewhere, nothing is measured.
mod memory {
    use std::sync::Mutex;

    /// The workload running with its resident memory at the start, and each workload's
    /// largest rise over its start so far (KiB).
    struct Peaks {
        running: Option<(&'static str, u64)>,
        each: Vec<(&'static str, u64, u64)>,
    }

    static PEAKS: Mutex<Peaks> = Mutex::new(Peaks { running: None, each: Vec::new() });

    fn status_kib(field: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Ends the workload running, if any, and begins `workload`.
    pub fn begin(workload: &'static str) {
        end();
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        if let Some(start) = status_kib("VmRSS:") {
            PEAKS.lock().expect("peaks").running = Some((workload, start));
        }
    }

    /// Ends the workload running: its rise is kept if it is the largest yet.
    pub fn end() {
        let mut peaks = PEAKS.lock().expect("peaks");
        let (Some((workload, start)), Some(peak)) = (peaks.running.take(), status_kib("VmHWM:")) else {
            return;
        };
        let rise = peak.saturating_sub(start);
        match peaks.each.iter_mut().find(|(name, _, _)| *name == workload) {
            Some((_, kept_start, kept_rise)) if rise > *kept_rise => {
                (*kept_start, *kept_rise) = (start, rise)
            }
            Some(_) => {}
            None => peaks.each.push((workload, start, rise)),
        }
    }

    /// `W1 +123 MiB over 45 MiB, ..`: each workload's largest rise over its start.
    pub fn report() -> String {
        let peaks = PEAKS.lock().expect("peaks");
        let each: Vec<String> = peaks
            .each
            .iter()
            .map(|(name, start, rise)| format!("{name} +{} MiB over {} MiB", rise / 1024, start / 1024))
            .collect();
        each.join(", ")
    }
}

/// The page cache of Insula, raw redb and SQLite, in bytes: `--cache MIB`, or 1 GiB
/// (redb's default).
pub fn cache_bytes() -> usize {
    static CACHE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CACHE.get_or_init(|| {
        let args: Vec<String> = std::env::args().collect();
        let mib = args.iter().position(|arg| arg == "--cache").and_then(|at| args.get(at + 1)?.parse().ok());
        mib.unwrap_or(1024) << 20
    })
}

/// The thread counts of W8.
const W8_THREADS: [u64; 4] = [1, 2, 4, 8];

/// Runs `commit(message)` for `commits` messages on each of `threads` threads at once,
/// thread `t` taking the messages from `first + t * commits`; every commit's latency.
pub fn on_threads(threads: u64, commits: u64, first: u64, commit: impl Fn(&Plain) + Sync) -> Vec<Duration> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let commit = &commit;
                scope.spawn(move || {
                    (0..commits)
                        .map(|i| {
                            let message = plain(first + t * commits + i);
                            let start = Instant::now();
                            commit(&message);
                            start.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a committer")).collect()
    })
}

/// Opens a fresh contender in a directory.
type Opener = dyn Fn(&Path) -> Box<dyn Contender>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One contender's figures over the repetitions run so far.
#[derive(Default)]
struct Samples {
    name: &'static str,
    w1: Vec<f64>,
    w2_50: Vec<f64>,
    w2_99: Vec<f64>,
    w2r_50: Vec<f64>,
    w2r_99: Vec<f64>,
    w3: Vec<f64>,
    w4: Vec<f64>,
    w5: Vec<f64>,
    w10: Vec<f64>,
    w11: Vec<f64>,
    w6_50: Vec<f64>,
    w6_99: Vec<f64>,
    w6_visible: Option<bool>,
    size: u64,
    w7: Vec<f64>,
    /// W8, by thread count: commits per second, and p50 and p99 latency.
    w8: [[Vec<f64>; 3]; W8_THREADS.len()],
    /// W9: p50 of an awaited write, of a write in `spawn_blocking`, of an awaited get,
    /// of a get in `spawn_blocking`; p50 and p99 of a watcher stream's latency.
    w9: [Vec<f64>; 6],
}

/// The contenders of one repetition, each open in a fresh directory, with their samples.
struct Round<'s> {
    dbs: Vec<Box<dyn Contender>>,
    samples: &'s mut [Samples],
    /// The contender that goes first in each turn. It changes with each repetition: the
    /// first one after a pause (opening, the previous repetition's cleanup and the
    /// kernel's write-back of its files) is not always the same.
    first: usize,
    /// Dropped after the databases.
    _dirs: Vec<tempfile::TempDir>,
}

impl Round<'_> {
    /// Times `work` once for each contender in turn, starting with contender `first`,
    /// and returns each one's duration, in the contenders' order.
    fn turn(&mut self, mut work: impl FnMut(&mut dyn Contender)) -> Vec<Duration> {
        let count = self.dbs.len();
        let mut times = vec![Duration::ZERO; count];
        for k in (self.first..count).chain(0..self.first) {
            let start = Instant::now();
            work(self.dbs[k].as_mut());
            times[k] = start.elapsed();
        }
        times
    }

    /// Runs the workloads once on every contender. The contenders take turns at the grain
    /// of one sample (a commit, a chunk of gets, a query, a scan), so that a change in the
    /// machine's speed falls on all of them alike. `only` limits W2–W7 to one workload (W1
    /// always runs: it fills the databases).
    fn run(&mut self, n: u64, messages: &[Plain], ids: &[u64], only: Option<&str>) {
        let runs = |workload: &'static str| {
            let runs = only.is_none_or(|only| only.split(',').any(|only| only == workload));
            if runs {
                memory::begin(workload);
            }
            runs
        };
        memory::begin("W1");
        for db in &mut self.dbs {
            db.stage(messages);
        }
        for (k, elapsed) in self.turn(|db| db.insert_staged()).into_iter().enumerate() {
            self.samples[k].w1.push(elapsed.as_secs_f64());
            self.samples[k].size = self.dbs[k].file_size();
        }
        if runs("W2") {
            let mut latencies = vec![Vec::new(); self.dbs.len()];
            for i in 0..1000 {
                let message = plain(n + i);
                for (k, elapsed) in self.turn(|db| db.insert_one(&message)).into_iter().enumerate() {
                    latencies[k].push(elapsed);
                }
            }
            for (samples, mut latencies) in self.samples.iter_mut().zip(latencies) {
                latencies.sort();
                samples.w2_50.push(percentile(&latencies, 0.5).as_secs_f64());
                samples.w2_99.push(percentile(&latencies, 0.99).as_secs_f64());
            }
        }
        // Before W2r, which leaves SQLite's commits relaxed.
        if runs("W8") {
            let commits = w8_commits();
            for (slot, &threads) in W8_THREADS.iter().enumerate() {
                let first = n + 10_000 + slot as u64 * 10_000;
                let count = self.dbs.len();
                for k in (self.first..count).chain(0..self.first) {
                    let start = Instant::now();
                    let latencies = self.dbs[k].concurrent_commits(threads, commits, first);
                    let elapsed = start.elapsed().as_secs_f64();
                    if let Some(mut latencies) = latencies {
                        latencies.sort();
                        let [rate, p50, p99] = &mut self.samples[k].w8[slot];
                        rate.push(latencies.len() as f64 / elapsed);
                        p50.push(percentile(&latencies, 0.5).as_secs_f64());
                        p99.push(percentile(&latencies, 0.99).as_secs_f64());
                    }
                }
            }
        }
        if runs("W9") {
            for (db, samples) in self.dbs.iter_mut().zip(self.samples.iter_mut()) {
                if let Some(latencies) = db.async_latencies(1000, n + 60_000) {
                    let p50 = |sorted: &[Duration]| percentile(sorted, 0.5).as_secs_f64();
                    let figures = [
                        p50(&latencies.write_async),
                        p50(&latencies.write_blocking),
                        p50(&latencies.read_async),
                        p50(&latencies.read_blocking),
                        p50(&latencies.stream),
                        percentile(&latencies.stream, 0.99).as_secs_f64(),
                    ];
                    for (samples, figure) in samples.w9.iter_mut().zip(figures) {
                        samples.push(figure);
                    }
                }
            }
        }
        if runs("W2r") {
            let mut latencies = vec![Vec::new(); self.dbs.len()];
            for i in 0..1000 {
                let message = plain(n + 1000 + i);
                for (k, elapsed) in self.turn(|db| db.insert_one_relaxed(&message)).into_iter().enumerate() {
                    latencies[k].push(elapsed);
                }
            }
            for ((samples, mut latencies), db) in self.samples.iter_mut().zip(latencies).zip(&self.dbs) {
                if db.relaxes() {
                    latencies.sort();
                    samples.w2r_50.push(percentile(&latencies, 0.5).as_secs_f64());
                    samples.w2r_99.push(percentile(&latencies, 0.99).as_secs_f64());
                }
            }
        }
        if runs("W3") {
            let mut totals = vec![Duration::ZERO; self.dbs.len()];
            for chunk in ids.chunks(1000) {
                let times = self.turn(|db| {
                    for &id in chunk {
                        assert!(db.get(id).is_some(), "{}: message {id}", db.name());
                    }
                });
                totals.iter_mut().zip(times).for_each(|(total, time)| *total += time);
            }
            self.push(totals, |samples| &mut samples.w3);
        }
        if runs("W4") {
            let mut totals = vec![Duration::ZERO; self.dbs.len()];
            for q in 0..1000u64 {
                let author = format!("author-{:02}", q % 100);
                let times = self.turn(|db| {
                    let hits = db.by_author(&author).len();
                    assert!(hits * 100 >= n as usize / 2, "{}: {hits} hits for {author}", db.name());
                });
                totals.iter_mut().zip(times).for_each(|(total, time)| *total += time);
            }
            self.push(totals, |samples| &mut samples.w4);
        }
        if runs("W5") {
            // A scan is short: each contender scans five times, in turns, and its median
            // is the repetition's sample.
            let mut scans = vec![Vec::new(); self.dbs.len()];
            for _ in 0..5 {
                let times = self.turn(|db| assert!(db.count_likes_over(899) > 0, "{}: no hits", db.name()));
                scans.iter_mut().zip(times).for_each(|(scans, time)| scans.push(time.as_secs_f64()));
            }
            for (samples, scans) in self.samples.iter_mut().zip(scans) {
                samples.w5.push(median(scans));
            }
        }
        if runs("W10") {
            let users: Vec<(u64, String)> =
                (0..(n / 10).max(1)).map(|i| (i + 1, insula_bench::email(i))).collect();
            let able: Vec<bool> = self.dbs.iter_mut().map(|db| db.stage_users(&users)).collect();
            let mut totals = vec![Duration::ZERO; self.dbs.len()];
            for q in 0..1000u64 {
                let (id, email) = &users[(q.wrapping_mul(0x9E37_79B9) % users.len() as u64) as usize];
                let asked = if q % 2 == 0 { email.to_lowercase() } else { email.to_uppercase() };
                let times = self.turn(|db| {
                    // A peer without the index finds nothing here, and is not counted.
                    let found = db.users_by_email(&asked);
                    assert!(found.is_empty() || found == [*id], "{}: {found:?} for {asked}", db.name());
                });
                totals.iter_mut().zip(times).for_each(|(total, time)| *total += time);
            }
            for (k, able) in able.into_iter().enumerate() {
                if able {
                    let (id, email) = &users[0];
                    assert_eq!(
                        self.dbs[k].users_by_email(&email.to_uppercase()),
                        [*id],
                        "{}",
                        self.dbs[k].name()
                    );
                    self.samples[k].w10.push(totals[k].as_secs_f64());
                }
            }
        }
        if runs("W11") {
            // Five selections each, in turns, as W5's scans; the median is the sample.
            let mut runs = vec![Vec::new(); self.dbs.len()];
            for _ in 0..5 {
                let times = self.turn(|db| {
                    assert!(!db.authors_with_likes_over(899).is_empty(), "{}: no hits", db.name())
                });
                runs.iter_mut().zip(times).for_each(|(runs, time)| runs.push(time.as_secs_f64()));
            }
            for (samples, runs) in self.samples.iter_mut().zip(runs) {
                samples.w11.push(median(runs));
            }
        }
        if runs("W6") {
            for (db, samples) in self.dbs.iter_mut().zip(self.samples.iter_mut()) {
                if let Some((mut latencies, visible)) = db.watch_latency(1000, n + 3000) {
                    latencies.sort();
                    samples.w6_50.push(percentile(&latencies, 0.5).as_secs_f64());
                    samples.w6_99.push(percentile(&latencies, 0.99).as_secs_f64());
                    samples.w6_visible = Some(samples.w6_visible.unwrap_or(true) && visible);
                }
            }
        }
        if runs("W7") {
            for (db, samples) in self.dbs.iter_mut().zip(self.samples.iter_mut()) {
                if let Some(open) = db.reopen_changed() {
                    samples.w7.push(open.as_secs_f64());
                }
            }
        }
        memory::end();
    }

    fn push(&mut self, totals: Vec<Duration>, figure: impl Fn(&mut Samples) -> &mut Vec<f64>) {
        for (samples, total) in self.samples.iter_mut().zip(totals) {
            figure(samples).push(total.as_secs_f64());
        }
    }
}

impl Samples {
    /// The figures, each with its samples.
    fn figures(self) -> Vec<Figure> {
        let name = self.name;
        let mut figures = vec![
            Figure::new(name, "W1 insert N, one txn (s)", self.w1, false),
            Figure::new(name, "W2 one-object commit p50 (s)", self.w2_50, false),
            Figure::new(name, "W2 one-object commit p99 (s)", self.w2_99, false),
            Figure::new(name, "W2r one-object relaxed commit p50 (s)", self.w2r_50, false),
            Figure::new(name, "W2r one-object relaxed commit p99 (s)", self.w2r_99, false),
            Figure::new(name, "W3 N random gets (s)", self.w3, false),
            Figure::new(name, "W4 1000 author queries (s)", self.w4, false),
            Figure::new(name, "W5 scan likes > 899 (s)", self.w5, false),
            Figure::new(name, "W10 1000 email lookups ignoring case (s)", self.w10, false),
            Figure::new(name, "W11 select author where likes > 899 (s)", self.w11, false),
            Figure::new(name, "W6 watcher latency p50 (s)", self.w6_50, false),
            Figure::new(name, "W6 watcher latency p99 (s)", self.w6_99, false),
            Figure::new(
                name,
                "W6 commit visible on receipt",
                self.w6_visible.map(|visible| f64::from(u8::from(visible))).into_iter().collect(),
                true,
            ),
            Figure::new(name, "file size after W1 (bytes)", vec![self.size as f64], false),
            Figure::new(name, "W7 open after a compatible change (s)", self.w7, false),
        ];
        let [write_async, write_blocking, read_async, read_blocking, stream_50, stream_99] = self.w9;
        figures.extend([
            Figure::new(name, "W9 write_txn().await p50 (s)", write_async, false),
            Figure::new(name, "W9 spawn_blocking(write_txn_sync) p50 (s)", write_blocking, false),
            Figure::new(name, "W9 read_txn().await get p50 (s)", read_async, false),
            Figure::new(name, "W9 spawn_blocking(read_txn_sync) get p50 (s)", read_blocking, false),
            Figure::new(name, "W9 watcher stream latency p50 (s)", stream_50, false),
            Figure::new(name, "W9 watcher stream latency p99 (s)", stream_99, false),
        ]);
        for (&threads, [rate, p50, p99]) in W8_THREADS.iter().zip(self.w8) {
            let label = |what: &str| -> &'static str { format!("W8 {threads} threads, {what}").leak() };
            figures.push(Figure::new(name, label("commits/s"), rate, false).higher_is_better());
            figures.push(Figure::new(name, label("commit p50 (s)"), p50, false));
            figures.push(Figure::new(name, label("commit p99 (s)"), p99, false));
        }
        figures
    }
}

/// W8's commits per thread: `INSULA_W8_COMMITS`, or 1,000.
fn w8_commits() -> u64 {
    std::env::var("INSULA_W8_COMMITS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = match args.iter().position(|arg| arg == "--scale") {
        Some(at) => args.get(at + 1).and_then(|n| n.parse().ok()).expect("--scale N"),
        None => 100_000,
    };
    let repetitions: usize = args
        .iter()
        .position(|arg| arg == "--repetitions")
        .and_then(|at| args.get(at + 1)?.parse().ok())
        .unwrap_or(5);
    println!(
        "N = {n}, {repetitions} repetitions, medians; ratios are peer / Insula (above 1: Insula faster or \
         smaller), the median of the repetitions' ratios"
    );
    let contenders: Vec<(&str, Box<Opener>)> = vec![
        ("insula", Box::new(|dir| Box::new(insula_db::Insula::open(dir)))),
        ("native_db", Box::new(|dir| Box::new(native::Native::open(dir)))),
        ("raw", Box::new(|dir| Box::new(raw::Raw::open(dir)))),
        ("sqlite", Box::new(|dir| Box::new(sqlite::Sqlite::open(dir)))),
    ];
    // `--only NAME[,NAME..]` runs these contenders (insula, native_db, raw or sqlite).
    let only = args.iter().position(|arg| arg == "--only").and_then(|at| args.get(at + 1));
    // `--workload W4[,W5..]` runs W1 (which fills the database) and these workloads.
    let workload = args.iter().position(|arg| arg == "--workload").and_then(|at| args.get(at + 1));
    let contenders: Vec<&(&str, Box<Opener>)> = contenders
        .iter()
        .filter(|(name, _)| only.is_none_or(|only| only.split(',').any(|only| only == *name)))
        .collect();
    let messages: Vec<Plain> = (0..n).map(plain).collect();
    let ids: Vec<u64> = (0..n).map(|i| (i.wrapping_mul(0x9E37_79B9) % n) + 1).collect();
    let mut samples: Vec<Samples> = contenders.iter().map(|_| Samples::default()).collect();
    for repetition in 0..repetitions {
        let dirs: Vec<tempfile::TempDir> =
            contenders.iter().map(|_| tempfile::tempdir().expect("temp dir")).collect();
        let dbs: Vec<Box<dyn Contender>> =
            contenders.iter().zip(&dirs).map(|((_, make), dir)| make(dir.path())).collect();
        for (samples, db) in samples.iter_mut().zip(&dbs) {
            samples.name = db.name();
        }
        let first = repetition % contenders.len();
        let mut round = Round { dbs, samples: &mut samples, first, _dirs: dirs };
        round.run(n, &messages, &ids, workload.map(String::as_str));
    }
    let mut report = Report::default();
    for samples in samples {
        report.figures.extend(samples.figures());
    }
    report.print();
    println!(
        "\nresident memory of the process, its largest rise in each workload (all contenders run): {}",
        memory::report()
    );
    let json = report.json(n, repetitions);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench.json");
    if let Err(error) = std::fs::write(&path, json) {
        eprintln!("could not write {}: {error}", path.display());
    } else {
        println!("JSON: {}", path.display());
    }
}
