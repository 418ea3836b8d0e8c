//! Damaged database files: random bytes flipped and random truncations across a valid
//! file. Each open, and each read after it, gives an error or the truth: never a wrong
//! value, never a panic, never a hang; a write and the close after it give an error at
//! worst, never an abort. Records and schema texts carry checks, so damage to them is an
//! error; damage to redb's own pages can hide objects (a read finds fewer), and with
//! `check_integrity(true)` it fails the open instead. Two files the fuzzer found are
//! kept in `tests/fixtures/`.

use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// A small deterministic generator, so that a failure can be replayed by its case
/// number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn messages() -> Vec<Message> {
    (0..300)
        .map(|i| Message {
            author: format!("author{}", i % 7),
            content: format!("content {i}"),
            likes: i,
            tags: vec![format!("t{}", i % 3)],
            ..Default::default()
        })
        .collect()
}

/// Everything a reader can ask of the damaged file; each answer must be an error or
/// the truth.
fn read_everything(dir: &Path, name: &str, expected: &[Message], integrity: bool) -> Result<(), String> {
    let db = match Db::builder().name(name).collection::<Message>().check_integrity(integrity).open(dir) {
        Ok(db) => db,
        Err(_) => return Ok(()),
    };
    let check = |found: Option<Message>, id: u64| -> Result<(), String> {
        match found {
            Some(found) if id == 0 || expected.get(id as usize - 1) != Some(&found) => {
                Err(format!("object {id} reads wrong: {found:?}"))
            }
            _ => Ok(()),
        }
    };
    for id in 1..=expected.len() as u64 {
        if let Ok(found) = db.messages().get(id) {
            check(found, id)?;
        }
    }
    if let Ok(all) = db.messages().all() {
        for found in all {
            check(Some(found.clone()), found.id)?;
        }
    }
    if let Ok(found) = db.messages().query().filter(Message::AUTHOR.eq("author3")).find_all() {
        for message in found {
            if message.author != "author3" {
                return Err(format!("a query returned {message:?}"));
            }
            check(Some(message.clone()), message.id)?;
        }
    }
    let _ = db.messages().verify();
    // A write and the close that follows it run on every file that opened: on a damaged
    // one they are errors (which a drop swallows), never an abort.
    let _ = db.write_txn_sync(|txn| txn.messages().put(&mut Message::default()));
    drop(db);
    Ok(())
}

/// Runs one damaged case on its own thread, turning a hang into a failure.
fn run_case(
    case: u64,
    original: &[u8],
    expected: &[Message],
    integrity: bool,
    damage: impl FnOnce(&mut Vec<u8>),
) {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = original.to_vec();
    damage(&mut bytes);
    let name = format!("damaged{case}{}", if integrity { "checked" } else { "" });
    std::fs::write(dir.path().join(format!("{name}.insula")), &bytes).unwrap();
    let (done, finished) = mpsc::channel();
    let expected = expected.to_vec();
    let path = dir.path().to_owned();
    let worker = std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| read_everything(&path, &name, &expected, integrity));
        let _ = done.send(());
        outcome
    });
    match finished.recv_timeout(Duration::from_secs(30)) {
        Ok(()) => match worker.join().unwrap() {
            Ok(Ok(())) => {}
            Ok(Err(wrong)) => panic!("case {case}: wrong data: {wrong}"),
            Err(_) => panic!("case {case}: a panic"),
        },
        Err(_) => panic!("case {case}: hung"),
    }
}

#[test]
fn flipped_bytes_and_truncations_give_errors_or_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let expected = messages();
    let original = {
        let db = Db::builder().name("pristine").collection::<Message>().open(dir.path()).unwrap();
        let mut batch = expected.clone();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
        let path = db.path().to_owned();
        drop(db);
        std::fs::read(path).unwrap()
    };
    let expected: Vec<Message> =
        expected.into_iter().enumerate().map(|(i, m)| Message { id: i as u64 + 1, ..m }).collect();
    let cases: u64 = std::env::var("INSULA_DAMAGE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    for case in 0..cases {
        let len = original.len() as u64;
        for integrity in [false, true] {
            if case % 3 == 2 {
                let cut = Rng(case + 1).below(len) as usize;
                run_case(case, &original, &expected, integrity, |bytes| bytes.truncate(cut));
            } else {
                let mut local = Rng(case + 1);
                let flips: Vec<(usize, u8)> = (0..1 + local.below(8))
                    .map(|_| (local.below(len) as usize, 1 + local.below(255) as u8))
                    .collect();
                run_case(case, &original, &expected, integrity, |bytes| {
                    for (at, mask) in flips {
                        bytes[at] ^= mask;
                    }
                });
            }
        }
    }
    eprintln!("{cases} damaged files tried, each with and without the integrity check");
}

#[test]
fn arbitrary_files_are_refused_without_a_panic() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    for case in 0..200u64 {
        let len = rng.below(16 * 4096) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        run_case(10_000 + case, &bytes, &[], false, |_| {});
    }
}

/// The collection of the files the `open_file` fuzzer makes (`fuzz/src/lib.rs`).
#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Note {
    #[id]
    id: Id,
    #[index]
    title: String,
    stars: u32,
}

/// A file the `open_file` fuzzer made from a valid one: it needs recovery, and its
/// stored schema of `Note` fails its check. The open is refused for that reason, and
/// closing the file, where redb panics on this damage, neither replaces the error nor
/// loses it.
#[test]
fn a_refused_file_says_what_is_damaged_even_when_closing_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/damaged_schema_needs_recovery.bin");
    std::fs::copy(fixture, dir.path().join("refused.insula")).unwrap();
    match Db::builder().name("refused").collection::<Note>().open(dir.path()) {
        Err(insula::Error::CorruptedFile { reason, .. }) => {
            assert!(reason.starts_with("the schema of `Note`"), "{reason}");
        }
        other => panic!("expected the damaged schema to refuse the file, got {other:?}"),
    }
}

/// A file the `open_file` fuzzer made from a valid one, whose allocator state is damaged:
/// it opens and reads, and the first write panics inside redb while a table is open. The
/// write is an error, and neither that table's drop, nor the transaction's, nor closing the
/// file, which all panic again, takes the process down.
#[test]
fn a_write_into_a_damaged_allocator_is_an_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/damaged_allocator.bin");
    std::fs::copy(fixture, dir.path().join("allocator.insula")).unwrap();
    let db = Db::builder().name("allocator").collection::<Note>().open(dir.path()).unwrap();
    assert_eq!(db.notes().all().unwrap().len(), 37);
    // The caller panics after the failed put: the unwinding passes through the
    // transaction and its tables, whose drops panic too.
    let mut written = None;
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = db.write_txn_sync(|txn| -> insula::Result<()> {
            written = Some(txn.notes().put(&mut Note::default()));
            panic!("the caller gives up");
        });
    }));
    assert!(unwound.is_err());
    assert!(matches!(written, Some(Err(insula::Error::CorruptedFile { .. }))), "{written:?}");
    // The instance still answers, with an error.
    let again = db.write_txn_sync(|txn| txn.notes().put(&mut Note::default()));
    assert!(matches!(again, Err(insula::Error::CorruptedFile { .. })), "{again:?}");
    drop(db);
}
