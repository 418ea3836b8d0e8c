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
    group.finish();
}

criterion_group!(benches, db);
criterion_main!(benches);
