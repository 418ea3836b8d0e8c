//! Open time of a database of 1M messages, before and after a compatible schema change.
//! Run with `cargo bench -p insula-bench --bench evolution` (`-- --objects N` for
//! another size).

use insula::prelude::*;
use insula_bench::{Message, MessageAccessor, message};
use std::time::{Duration, Instant};

use insula_bench::versions::{with_field, with_index};

fn timed<T>(what: &str, open: impl FnOnce() -> insula::Result<T>) -> (T, Duration) {
    let start = Instant::now();
    let opened = open().unwrap_or_else(|error| panic!("{what}: {error}"));
    let elapsed = start.elapsed();
    println!("{what}: {elapsed:?}");
    (opened, elapsed)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|arg| arg == "--bench") {
        return;
    }
    let objects: u64 = args
        .iter()
        .position(|arg| arg == "--objects")
        .and_then(|at| args.get(at + 1))
        .and_then(|count| count.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let db = Db::builder().name("evolve").collection::<Message>().open(dir.path()).expect("opens");
        for start in (0..objects).step_by(100_000) {
            let mut batch: Vec<Message> =
                (start..(start + 100_000).min(objects)).map(|i| Message { id: 0, ..message(i) }).collect();
            db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).expect("writes");
        }
    }
    println!("{objects} messages written");
    let path = dir.path();
    let open = |builder: insula::DbBuilder| move || builder.name("evolve").open(path);
    let (db, _) = timed("open, same schema", open(Db::builder().collection::<Message>()));
    drop(db);
    let (db, _) =
        timed("open, a field added (migration)", open(Db::builder().collection::<with_field::Message>()));
    drop(db);
    let (db, _) = timed("open again, field added", open(Db::builder().collection::<with_field::Message>()));
    drop(db);
    let (db, _) = timed(
        "open, an index added (migration with back-fill)",
        open(Db::builder().collection::<with_index::Message>()),
    );
    drop(db);
    let (db, _) = timed("open again, index added", open(Db::builder().collection::<with_index::Message>()));
    drop(db);
}
