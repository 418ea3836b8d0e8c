//! Reading every field of a view allocates nothing: a counting global allocator proves
//! it.
//!
//! The allocator counts every thread of the process, so this binary has no test harness
//! (`harness = false` in Cargo.toml): libtest's own threads allocated while a test ran
//! (4 allocations, 900 bytes, in about one full run of 20), which failed it. Here `main`
//! is the only thread.

#[path = "it/common.rs"]
mod common;

use common::{Address, Everything, Mood};
use insula::Collection;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn sample() -> Everything {
    let address = Address { street: "Main".into(), number: 7, zip: Some(1000), lines: vec!["c/o".into()] };
    Everything {
        id: 3,
        text: "hello".into(),
        bytes: vec![1, 2],
        texts: vec!["a".into(), "bc".into()],
        doubles: vec![1.5],
        maybe_text: Some("maybe".into()),
        maybe_address: Some(address.clone()),
        moods: vec![Mood::Sad, Mood::Neutral],
        address: address.clone(),
        addresses: vec![address.clone(), address],
        ..Default::default()
    }
}

/// The counter is process-wide, so the measurements run one after the other on the only
/// thread. A failed check panics, which fails the binary; the last line is the count.
fn main() {
    let checks: [(&str, fn()); 2] = [
        (
            "making_a_view_and_reading_every_field_allocates_nothing",
            making_a_view_and_reading_every_field_allocates_nothing,
        ),
        ("encoding_into_a_reused_buffer_allocates_nothing", encoding_into_a_reused_buffer_allocates_nothing),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    println!("{} passed, 0 failed", checks.len());
}

fn making_a_view_and_reading_every_field_allocates_nothing() {
    let mut record = Vec::new();
    sample().encode(&mut record).unwrap();

    let region = Region::new(GLOBAL);
    let view = Everything::view(3, &record).unwrap();
    black_box((view.id(), view.flag(), view.byte(), view.small(), view.medium(), view.large()));
    black_box((view.tiny(), view.short(), view.int(), view.long(), view.single(), view.double()));
    black_box((view.text(), view.bytes(), view.maybe_int(), view.maybe_text(), view.maybe_bytes()));
    black_box((view.mood(), view.maybe_mood()));
    for list_len in [
        view.flags().iter().count(),
        view.shorts().iter().count(),
        view.words().iter().count(),
        view.longs().iter().count(),
        view.signed_bytes().iter().count(),
        view.signed_shorts().iter().count(),
        view.ints().iter().count(),
        view.signed_longs().iter().count(),
        view.singles().iter().count(),
        view.moods().iter().count(),
    ] {
        black_box(list_len);
    }
    let texts: usize = view.texts().iter().map(str::len).sum();
    let doubles: f64 = view.doubles().iter().sum();
    let maybe_list = view.maybe_list().map(|list| list.len());
    let address = view.address();
    let nested = (address.street(), address.number(), address.zip(), address.lines().iter().count());
    let streets: usize = view.addresses().iter().map(|a| a.street().len() + a.lines().len()).sum();
    let maybe_street = view.maybe_address().map(|a| a.street());
    black_box((texts, doubles, maybe_list, nested, streets, maybe_street));
    let stats = region.change();

    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
    // The reads saw the data, so the measurement covered real work.
    assert_eq!((texts, doubles, streets, maybe_street), (3, 1.5, 10, Some("Main")));
}

fn encoding_into_a_reused_buffer_allocates_nothing() {
    let object = sample();
    let mut record = Vec::new();
    object.encode(&mut record).unwrap();

    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        object.encode(&mut record).unwrap();
    }
    let stats = region.change();
    assert_eq!(stats.allocations + stats.reallocations, 0, "{stats:?}");
}
