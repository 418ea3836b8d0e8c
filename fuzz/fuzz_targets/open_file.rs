//! Arbitrary bytes as a database file: opening and reading it give errors or values,
//! never a panic. `cargo run --bin seed` first puts a valid file into the corpus.

#![no_main]

use insula::prelude::*;
use insula_fuzz::{Note, NoteAccessor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // redb may panic on a damaged file, and Insula turns that panic into an error; the
    // fuzzer's panic hook would count it as a crash before Insula can. A panic that gets
    // out of Insula still ends the run, through libFuzzer's own catch.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("fuzz.insula"), data).expect("writes");
    if let Ok(db) = Db::builder().name("fuzz").collection::<Note>().open(dir.path()) {
        let _ = db.notes().all();
        let _ = db.notes().query().filter(Note::TITLE.eq("a")).find_all();
        let _ = db.notes().verify();
        let _ = db.write_txn_sync(|txn| txn.notes().put(&mut Note::default()));
    }
});
