//! Fixtures shared by the integration tests: one collection with a field of every
//! supported type, strategies that make its objects, and the configuration of the
//! `proptest!` blocks.

#![allow(dead_code)]

use insula::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

#[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
pub enum Mood {
    #[default]
    Happy,
    #[variant(name = "meh")]
    Neutral,
    Sad,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub street: String,
    pub number: u16,
    pub zip: Option<u32>,
    pub lines: Vec<String>,
}

/// Every supported field type, once.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Everything {
    #[id]
    pub id: Id,
    pub flag: bool,
    pub byte: u8,
    pub small: u16,
    pub medium: u32,
    pub large: u64,
    pub tiny: i8,
    pub short: i16,
    pub int: i32,
    pub long: i64,
    pub single: f32,
    pub double: f64,
    pub text: String,
    pub bytes: Vec<u8>,
    pub flags: Vec<bool>,
    pub shorts: Vec<u16>,
    pub words: Vec<u32>,
    pub longs: Vec<u64>,
    pub signed_bytes: Vec<i8>,
    pub signed_shorts: Vec<i16>,
    pub ints: Vec<i32>,
    pub signed_longs: Vec<i64>,
    pub singles: Vec<f32>,
    pub doubles: Vec<f64>,
    pub texts: Vec<String>,
    pub maybe_int: Option<i32>,
    pub maybe_text: Option<String>,
    pub maybe_bytes: Option<Vec<u8>>,
    pub maybe_list: Option<Vec<u32>>,
    pub maybe_mood: Option<Mood>,
    pub maybe_address: Option<Address>,
    pub mood: Mood,
    pub moods: Vec<Mood>,
    pub address: Address,
    pub addresses: Vec<Address>,
    #[field(ignore)]
    pub cache: Vec<u8>,
}

/// The configuration of a `proptest!` block: `cases` cases, and failures kept beside the
/// test's source file, in `<file>.proptest-regressions`, where each run replays them
/// first. proptest's default would keep them in `tests/proptest-regressions/<file>.txt`
/// instead, since it looks up from the source file for a directory holding a `main.rs`,
/// and `tests/it/` holds one.
pub fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(cases)
    }
}

/// Floats that compare equal to themselves (NaN has its own test).
pub fn float32() -> impl Strategy<Value = f32> {
    prop::num::f32::NORMAL | prop::num::f32::SUBNORMAL | prop::num::f32::ZERO | prop::num::f32::INFINITE
}

pub fn float64() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO | prop::num::f64::INFINITE
}

pub fn mood() -> impl Strategy<Value = Mood> {
    prop_oneof![Just(Mood::Happy), Just(Mood::Neutral), Just(Mood::Sad)]
}

pub fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including multi-byte characters and the empty string.
    any::<String>()
}

fn list<T: std::fmt::Debug>(element: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(element, 0..6)
}

pub fn address() -> impl Strategy<Value = Address> {
    (text(), any::<u16>(), any::<Option<u32>>(), list(text()))
        .prop_map(|(street, number, zip, lines)| Address { street, number, zip, lines })
}

pub fn everything() -> impl Strategy<Value = Everything> {
    let scalars = (
        any::<u64>(),
        any::<bool>(),
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        any::<u64>(),
        any::<i8>(),
        any::<i16>(),
        any::<i32>(),
        any::<i64>(),
        float32(),
        float64(),
    );
    let lists = (
        text(),
        list(any::<u8>()),
        list(any::<bool>()),
        list(any::<u16>()),
        list(any::<u32>()),
        list(any::<u64>()),
        list(any::<i8>()),
        list(any::<i16>()),
        list(any::<i32>()),
        list(any::<i64>()),
        list(float32()),
        list(float64()),
    );
    let rest = (
        list(text()),
        any::<Option<i32>>(),
        prop::option::of(text()),
        prop::option::of(list(any::<u8>())),
        prop::option::of(list(any::<u32>())),
        prop::option::of(mood()),
        prop::option::of(address()),
        mood(),
        list(mood()),
        address(),
        list(address()),
    );
    (scalars, lists, rest).prop_map(|(s, l, r)| Everything {
        id: s.0,
        flag: s.1,
        byte: s.2,
        small: s.3,
        medium: s.4,
        large: s.5,
        tiny: s.6,
        short: s.7,
        int: s.8,
        long: s.9,
        single: s.10,
        double: s.11,
        text: l.0,
        bytes: l.1,
        flags: l.2,
        shorts: l.3,
        words: l.4,
        longs: l.5,
        signed_bytes: l.6,
        signed_shorts: l.7,
        ints: l.8,
        signed_longs: l.9,
        singles: l.10,
        doubles: l.11,
        texts: r.0,
        maybe_int: r.1,
        maybe_text: r.2,
        maybe_bytes: r.3,
        maybe_list: r.4,
        maybe_mood: r.5,
        maybe_address: r.6,
        mood: r.7,
        moods: r.8,
        address: r.9,
        addresses: r.10,
        cache: Vec::new(),
    })
}

/// The collection of `DESIGN.md`, as the workspace's model declares it.
#[allow(unused_imports)]
pub use insula_workspace::model::{Message, MessageAccessor};

/// Runs `test` on a thread of its own and fails, after `limit`, if it has not finished:
/// a deadlock or a hang fails this test with a message, and the suite goes on (the stuck
/// thread is left behind). A panic in `test` is this test's panic; its value is returned.
pub fn with_watchdog<T: Send + 'static>(
    limit: std::time::Duration,
    test: impl FnOnce() -> T + Send + 'static,
) -> T {
    use std::sync::mpsc::{self, RecvTimeoutError};
    let (done, finished) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let value = test();
        let _ = done.send(());
        value
    });
    match finished.recv_timeout(limit) {
        // Sent, or the thread ended without sending: it panicked, and the panic goes on.
        Ok(()) | Err(RecvTimeoutError::Disconnected) => {
            worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("deadlock or hang: the test did not finish within {limit:?}")
        }
    }
}

/// The bound [`with_watchdog`] gives a test that should take well under a second.
pub const QUICK: std::time::Duration = std::time::Duration::from_secs(30);

/// Every stored record of collection `name` (its records table, `insula:c:<name>`), raw,
/// read with redb behind Insula's back: what a test compares to see that nothing was
/// rewritten.
pub fn raw_records(path: &std::path::Path, name: &str) -> Vec<(Id, Vec<u8>)> {
    use redb::{ReadableDatabase, ReadableTable};
    let raw = redb::Database::open(path).unwrap();
    let txn = raw.begin_read().unwrap();
    let table =
        txn.open_table(redb::TableDefinition::<u64, &[u8]>::new(&format!("insula:c:{name}"))).unwrap();
    table
        .iter()
        .unwrap()
        .map(|entry| entry.map(|(id, record)| (id.value(), record.value().to_vec())).unwrap())
        .collect()
}
