//! The codec on the six-field benchmark `Message`: encode and decode throughput, and the
//! cost of reading one field through a view. Run with `cargo bench -p insula-bench`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use insula::Collection;
use insula_bench::{Message, message};
use std::hint::black_box;

const BATCH: u64 = 1_000;

fn records() -> Vec<(u64, Vec<u8>)> {
    (0..BATCH)
        .map(|i| {
            let mut record = Vec::new();
            message(i).encode(&mut record).expect("encodes");
            (i + 1, record)
        })
        .collect()
}

fn codec(c: &mut Criterion) {
    let messages: Vec<Message> = (0..BATCH).map(message).collect();
    let records = records();
    let bytes: usize = records.iter().map(|(_, record)| record.len()).sum();
    println!("average record: {} bytes", bytes / records.len());

    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("encode", |b| {
        let mut buffer = Vec::with_capacity(256);
        b.iter(|| {
            for message in &messages {
                message.encode(&mut buffer).expect("encodes");
                black_box(&buffer);
            }
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            for (id, record) in &records {
                black_box(Message::decode(*id, record).expect("decodes"));
            }
        })
    });
    group.bench_function("view+likes", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for (id, record) in &records {
                sum += u64::from(Message::view(*id, record).expect("valid").likes());
            }
            black_box(sum)
        })
    });
    group.finish();

    // One accessor on a view that already exists: what a query pays per condition.
    let view = Message::view(1, &records[0].1).expect("valid");
    c.bench_function("view field read (likes)", |b| {
        b.iter_batched(|| view, |view| black_box(view.likes()), BatchSize::SmallInput)
    });
    c.bench_function("view field read (author)", |b| {
        b.iter_batched(|| view, |view| black_box(view.author().len()), BatchSize::SmallInput)
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
