//! Damaged database files: random bytes flipped and random truncations across a valid
//! file. Each open, and each read after it, gives an error or the truth: never a wrong
//! value, never a panic, never a hang; a write and the close after it give an error at
//! worst, never an abort. Records and schema texts carry checks, so damage to them is an
//! error; damage to redb's own pages can hide objects (a read finds fewer), and with
//! `check_integrity(true)` it fails the open instead. Two files the fuzzer found are
//! kept in `tests/fixtures/`.

use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};
use redb::ReadableTable;
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

/// What one damaged file gave.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    /// The file opened.
    opened: bool,
    /// How many objects read back exactly as written, by `get`.
    truthful: usize,
}

/// Everything a reader can ask of the damaged file; each answer must be an error or
/// the truth. A file that passed the integrity check on open must give the truth, whole:
/// every page it reads is as redb wrote it.
fn read_everything(dir: &Path, name: &str, expected: &[Message], integrity: bool) -> Result<Outcome, String> {
    let db = match Db::builder().name(name).collection::<Message>().check_integrity(integrity).open(dir) {
        Ok(db) => db,
        Err(_) => return Ok(Outcome::default()),
    };
    let mut outcome = Outcome { opened: true, truthful: 0 };
    let check = |found: Option<Message>, id: u64| -> Result<(), String> {
        match found {
            Some(found) if id == 0 || expected.get(id as usize - 1) != Some(&found) => {
                Err(format!("object {id} reads wrong: {found:?}"))
            }
            _ => Ok(()),
        }
    };
    for id in 1..=expected.len() as u64 {
        match db.messages().get(id) {
            Ok(Some(found)) => {
                check(Some(found), id)?;
                outcome.truthful += 1;
            }
            Ok(None) if integrity => return Err(format!("object {id} is missing from a checked file")),
            Err(error) if integrity => return Err(format!("object {id} of a checked file: {error}")),
            Ok(None) | Err(_) => {}
        }
    }
    match db.messages().all() {
        Ok(all) => {
            if integrity && all != expected {
                return Err(format!(
                    "a checked file lists {} objects, not the {} written",
                    all.len(),
                    expected.len()
                ));
            }
            for found in all {
                check(Some(found.clone()), found.id)?;
            }
        }
        Err(error) if integrity => return Err(format!("listing a checked file: {error}")),
        Err(_) => {}
    }
    match db.messages().query().filter(Message::AUTHOR.eq("author3")).find_all() {
        Ok(found) => {
            for message in &found {
                if message.author != "author3" {
                    return Err(format!("a query returned {message:?}"));
                }
                check(Some(message.clone()), message.id)?;
            }
            let wanted = expected.iter().filter(|message| message.author == "author3").count();
            if integrity && found.len() != wanted {
                return Err(format!("a query on a checked file found {} of {wanted}", found.len()));
            }
        }
        Err(error) if integrity => return Err(format!("a query on a checked file: {error}")),
        Err(_) => {}
    }
    let verified = db.messages().verify();
    if integrity && let Err(error) = verified {
        return Err(format!("verify on a checked file: {error}"));
    }
    // A write and the close that follows it run on every file that opened: on a damaged
    // one they may be errors (which a drop swallows), never an abort; a checked file
    // takes the write.
    let written = db.write_txn_sync(|txn| txn.messages().put(&mut Message::default()));
    if integrity && let Err(error) = written {
        return Err(format!("a write into a checked file: {error}"));
    }
    drop(db);
    Ok(outcome)
}

/// Runs one damaged case on its own thread, turning a hang into a failure.
fn run_case(
    case: u64,
    original: &[u8],
    expected: &[Message],
    integrity: bool,
    damage: impl FnOnce(&mut Vec<u8>),
) -> Outcome {
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
            Ok(Ok(outcome)) => outcome,
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
    // How many files opened, and how many objects read back whole, without the check
    // and with it.
    let mut opened = [0usize; 2];
    let mut truthful = [0usize; 2];
    let mut refused_only_when_checked = 0;
    for case in 0..cases {
        let len = original.len() as u64;
        let mut outcomes = [Outcome::default(); 2];
        for integrity in [false, true] {
            let outcome = if case % 3 == 2 {
                let cut = Rng(case + 1).below(len) as usize;
                run_case(case, &original, &expected, integrity, |bytes| bytes.truncate(cut))
            } else {
                let mut local = Rng(case + 1);
                let flips: Vec<(usize, u8)> = (0..1 + local.below(8))
                    .map(|_| (local.below(len) as usize, 1 + local.below(255) as u8))
                    .collect();
                run_case(case, &original, &expected, integrity, |bytes| {
                    for (at, mask) in flips {
                        bytes[at] ^= mask;
                    }
                })
            };
            outcomes[usize::from(integrity)] = outcome;
            opened[usize::from(integrity)] += usize::from(outcome.opened);
            truthful[usize::from(integrity)] += outcome.truthful;
        }
        assert!(
            outcomes[0].opened || !outcomes[1].opened,
            "case {case}: the checked open took a file the plain open refused"
        );
        refused_only_when_checked += usize::from(outcomes[0].opened && !outcomes[1].opened);
    }
    eprintln!(
        "{cases} damaged files: {} opened without the integrity check ({} objects read whole), {} with it ({} objects)",
        opened[0], truthful[0], opened[1], truthful[1]
    );
    // The suite reads: most damage lands where a plain open does not look.
    assert!(opened[0] * 2 > cases as usize, "only {} of {cases} damaged files opened", opened[0]);
    assert!(truthful[0] > 0, "no object was ever read back");
    // The check finds damage the plain open does not.
    assert!(refused_only_when_checked > 0, "the integrity check refused no file the plain open took");
}

#[test]
fn arbitrary_files_are_refused_without_a_panic() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    for case in 0..200u64 {
        let len = rng.below(16 * 4096) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let outcome = run_case(10_000 + case, &bytes, &[], false, |_| {});
        assert!(!outcome.opened || len == 0, "case {case}: {len} arbitrary bytes opened as a database");
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
            assert_eq!(reason, "the schema of `Note`: the stored text fails its check");
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

/// A stored schema text changed so that it still parses, as another schema: its check
/// refuses it, where the text alone would read as a `Note` whose `stars` are `u16`.
#[test]
fn a_stored_schema_text_that_still_parses_is_refused_by_its_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder().name("reworded").collection::<Note>().open(dir.path()).unwrap();
        db.path().to_owned()
    };
    {
        let raw = redb::Database::open(&path).unwrap();
        let txn = raw.begin_write().unwrap();
        {
            let mut schemas =
                txn.open_table(redb::TableDefinition::<&str, &str>::new("insula:schemas")).unwrap();
            let text = schemas.get("Note").unwrap().unwrap().value().to_owned();
            assert!(text.contains("field stars: u32\n"), "{text}");
            let reworded = text.replace("field stars: u32\n", "field stars: u16\n");
            schemas.insert("Note", reworded.as_str()).unwrap();
        }
        txn.commit().unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    match Db::builder().name("reworded").collection::<Note>().open(dir.path()) {
        Err(insula::Error::CorruptedFile { reason, .. }) => {
            assert_eq!(reason, "the schema of `Note`: the stored text fails its check");
        }
        other => panic!("expected the check to refuse the reworded schema, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused file is left as it was");
}
