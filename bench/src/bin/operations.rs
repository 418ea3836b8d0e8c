//! The figures of the operations: at N messages (1,000,000 unless `--scale N`), the time
//! and sizes of `copy_to` and of `compact` (after deleting every second message); JSON
//! export and import in objects/s, against SQLite writing the same rows as JSON
//! (`json_object`, what its shell's `.mode json` does) and a serde_json round trip of
//! the same objects; and the peak memory of the process. One run; times on this machine
//! move by 20-50% between runs, sizes do not.
//!
//! `cargo run --release -p insula-bench --bin operations -- --scale 1000000`

use insula::prelude::*;
use insula_bench::{Message, MessageAccessor, Plain, message, plain};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Times `work`, printing `what` with objects per second.
fn timed<T>(what: &str, n: u64, work: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = work();
    let elapsed = start.elapsed();
    println!("{what}: {:.2} s, {:.0} objects/s", elapsed.as_secs_f64(), n as f64 / elapsed.as_secs_f64());
    (value, elapsed)
}

/// JSON export and import of `n` messages of `db`, and the peers' figures.
fn json(db: &Db, dir: &Path, n: u64) -> insula::Result<()> {
    let file = dir.join("messages.ndjson");
    let (count, export) = timed("insula export_ndjson", n, || -> insula::Result<u64> {
        let out = std::fs::File::create(&file).expect("a file");
        db.messages().query().export_ndjson(out)
    });
    assert_eq!(count?, n);
    let bytes = std::fs::metadata(&file).expect("the export").len();
    println!("  {:.1} MiB of NDJSON", mib(bytes));
    let target = Db::builder().name("imported").collection::<Message>().open(dir)?;
    let (count, import) = timed("insula import_json", n, || {
        let input = std::fs::File::open(&file).expect("the export");
        target.write_txn_sync(|txn| txn.messages().import_json(input))
    });
    assert_eq!(count?, n);

    // SQLite: the same rows, written as JSON by SQLite itself.
    let sqlite = rusqlite::Connection::open(dir.join("sqlite.db")).expect("opens");
    sqlite
        .execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE messages (id INTEGER PRIMARY KEY, author TEXT NOT NULL, \
             content TEXT NOT NULL, created_at INTEGER NOT NULL, likes INTEGER NOT NULL, tags TEXT NOT NULL);",
        )
        .expect("creates");
    {
        let txn = sqlite.unchecked_transaction().expect("begins");
        let mut insert =
            txn.prepare("INSERT INTO messages VALUES (?1, ?2, ?3, ?4, ?5, ?6)").expect("prepares");
        for i in 0..n {
            let m = message(i);
            let tags = serde_json::to_string(&m.tags).expect("tags");
            insert
                .execute(rusqlite::params![m.id as i64, m.author, m.content, m.created_at, m.likes, tags])
                .expect("inserts");
        }
        drop(insert);
        txn.commit().expect("commits");
    }
    let ((), sqlite_export) = timed("SQLite json_object export", n, || {
        let mut out = BufWriter::new(std::fs::File::create(dir.join("sqlite.ndjson")).expect("a file"));
        let mut select = sqlite
            .prepare(
                "SELECT json_object('id', id, 'author', author, 'content', content, 'created_at', created_at, \
                 'likes', likes, 'tags', json(tags)) FROM messages ORDER BY id",
            )
            .expect("prepares");
        let mut rows = select.query([]).expect("queries");
        while let Some(row) = rows.next().expect("a row") {
            let line: String = row.get(0).expect("json");
            out.write_all(line.as_bytes()).expect("writes");
            out.write_all(b"\n").expect("writes");
        }
        out.flush().expect("flushes");
    });

    // serde_json: the objects in memory, written and read back.
    let plain: Vec<Plain> = (0..n).map(plain).collect();
    let serde_file = dir.join("serde.ndjson");
    let ((), serde_write) = timed("serde_json write", n, || {
        let mut out = BufWriter::new(std::fs::File::create(&serde_file).expect("a file"));
        for object in &plain {
            serde_json::to_writer(&mut out, object).expect("writes");
            out.write_all(b"\n").expect("writes");
        }
        out.flush().expect("flushes");
    });
    drop(plain);
    let (read, serde_read) = timed("serde_json read", n, || {
        let input = BufReader::new(std::fs::File::open(&serde_file).expect("the file"));
        let mut read = Vec::with_capacity(n as usize);
        for line in input.lines() {
            read.push(serde_json::from_str::<Plain>(&line.expect("a line")).expect("an object"));
        }
        read.len()
    });
    assert_eq!(read as u64, n);
    println!(
        "ratios (peer time / insula time): export vs SQLite {:.2}x, vs serde_json write {:.2}x; import vs serde_json read {:.2}x",
        sqlite_export.as_secs_f64() / export.as_secs_f64(),
        serde_write.as_secs_f64() / export.as_secs_f64(),
        serde_read.as_secs_f64() / import.as_secs_f64(),
    );
    Ok(())
}

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
    if args.iter().any(|arg| arg == "--migration") {
        return migration(n);
    }
    // `--fill DIR`: only write `DIR/operations.insula` with N messages, for the CLI's figures.
    if let Some(dir) = args.iter().position(|arg| arg == "--fill").and_then(|at| args.get(at + 1)) {
        let db = Db::builder().name("operations").collection::<Message>().open(dir)?;
        for chunk in (0..n).collect::<Vec<u64>>().chunks(100_000) {
            let mut batch: Vec<Message> = chunk.iter().map(|&i| Message { id: 0, ..message(i) }).collect();
            db.write_txn_sync(|txn| txn.messages().put_all(&mut batch))?;
        }
        println!("{}", db.path().display());
        return Ok(());
    }
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

    json(&db, dir.path(), n)?;

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

/// `--migration`: a file of `n` messages reopened unchanged, then migrated by a
/// conversion (`likes: u32` to `String`); the time of each, and the process's peak
/// memory, which the migration alone sets here.
fn migration(n: u64) -> insula::Result<()> {
    use insula_bench::versions::retyped;
    let dir = tempfile::tempdir().expect("a temporary directory");
    {
        let db = Db::builder().name("migration").collection::<Message>().open(dir.path())?;
        for chunk in (0..n).collect::<Vec<u64>>().chunks(100_000) {
            let mut batch: Vec<Message> = chunk.iter().map(|&i| Message { id: 0, ..message(i) }).collect();
            db.write_txn_sync(|txn| txn.messages().put_all(&mut batch))?;
        }
    }
    let before = peak_mib().unwrap_or(0.0);
    for _ in 0..3 {
        let start = Instant::now();
        let db = Db::builder().name("migration").collection::<Message>().open(dir.path())?;
        println!("open of the unchanged file: {:.2} ms", start.elapsed().as_secs_f64() * 1000.0);
        drop(db);
    }
    let start = Instant::now();
    let db = Db::builder()
        .name("migration")
        .collection::<retyped::Message>()
        .migrate(retyped::from_v1)
        .open(dir.path())?;
    let elapsed = start.elapsed();
    println!(
        "migration of {n} objects: {:.2} s, {:.0} objects/s (each converted twice: read-only first, then for good)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(db.collection::<retyped::Message>().count()?, n);
    if let Some(peak) = peak_mib() {
        println!("peak memory: {before:.0} MiB before the migration, {peak:.0} MiB after");
    }
    Ok(())
}
