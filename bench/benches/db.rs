//! The database on the six-field benchmark `Message`: `put_all` of 100k messages in one
//! durable transaction, and 100k random `get`s by id. Run with
//! `cargo bench -p insula-bench --bench db`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use insula::prelude::*;
use insula_bench::{Message, MessageAccessor, message};
use std::hint::black_box;

const N: u64 = 100_000;

fn fresh_db(dir: &tempfile::TempDir, run: &mut u64) -> Db {
    *run += 1;
    Db::builder().name(format!("bench{run}")).collection::<Message>().open(dir.path()).expect("opens")
}

fn messages() -> Vec<Message> {
    (0..N).map(|i| Message { id: 0, ..message(i) }).collect()
}

fn db(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut run = 0;
    let mut group = c.benchmark_group("db");
    group.sample_size(10);

    group.bench_function("put_all 100k", |b| {
        b.iter_batched(
            || (fresh_db(&dir, &mut run), messages()),
            |(db, mut batch)| {
                db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).expect("writes");
                db
            },
            BatchSize::PerIteration,
        )
    });

    let db = fresh_db(&dir, &mut run);
    let mut batch = messages();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).expect("writes");
    // A fixed pseudo-random order of every id.
    let ids: Vec<Id> = (0..N).map(|i| (i.wrapping_mul(0x9E37_79B9) % N) + 1).collect();
    group.bench_function("100k random gets", |b| {
        b.iter(|| {
            db.read_txn_sync(|txn| {
                let messages = txn.messages();
                for &id in &ids {
                    black_box(messages.get(id)?);
                }
                Ok::<_, insula::Error>(())
            })
            .expect("reads")
        })
    });

    // Queries on the same 100k messages: an equality on the indexed `author` (one of
    // 100, so about 1,000 hits, every hit decoded) and a scan counting `likes > 899`.
    let by_author = db.messages().query().filter(Message::AUTHOR.eq("author-42"));
    let scan = db.messages().query().filter(Message::LIKES.gt(899));
    println!("equality query plan: {}", by_author.explain().expect("plans"));
    println!("equality query hits: {}", by_author.count().expect("counts"));
    println!("filtered scan plan: {}", scan.explain().expect("plans"));
    println!("filtered scan hits: {}", scan.count().expect("counts"));
    group.bench_function("query author == (1k hits, decoded)", |b| {
        b.iter(|| black_box(by_author.find_all().expect("runs")))
    });
    group.bench_function("scan count likes > 899", |b| b.iter(|| black_box(scan.count().expect("runs"))));
    group.finish();
}

criterion_group!(benches, db);
criterion_main!(benches);
