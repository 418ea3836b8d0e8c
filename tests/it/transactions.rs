//! Synchronous transactions from any thread: commit on `Ok`, abort on `Err` or panic,
//! no deadlock on nesting, one snapshot per read, and ids that an aborted transaction
//! does not consume.

use crate::common;

use common::*;
use insula::Error;
use insula::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

fn open(dir: &tempfile::TempDir, name: &str) -> Db {
    Db::builder().name(name).collection::<Message>().open(dir.path()).unwrap()
}

fn message(content: &str) -> Message {
    Message { author: "ada".into(), content: content.into(), ..Default::default() }
}

/// A caller's own error type: closures may return it when it converts from ours.
#[derive(Debug)]
enum AppError {
    #[allow(dead_code, reason = "carried for the caller to inspect")]
    Db(Error),
    Rejected,
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        AppError::Db(error)
    }
}

#[test]
fn a_write_commits_on_ok_and_aborts_on_err() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "commit");
    db.write_txn_sync(|txn| txn.messages().put(&mut message("kept"))).unwrap();

    let result: Result<(), AppError> = db.write_txn_sync_with_error(|txn| {
        txn.messages().put(&mut message("dropped"))?;
        assert_eq!(txn.messages().count()?, 2, "the transaction sees its own write");
        Err(AppError::Rejected)
    });
    assert!(matches!(result, Err(AppError::Rejected)));
    assert_eq!(db.messages().count().unwrap(), 1);
    assert!(db.messages().get(2).unwrap().is_none());
}

#[test]
fn a_panicking_write_aborts_the_panic_goes_on_and_the_instance_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "panic");
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), Error> = db.write_txn_sync(|txn| {
            txn.messages().put(&mut message("lost"))?;
            panic!("boom");
        });
    }));
    let payload = panicked.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(db.messages().count().unwrap(), 0);

    // The instance works: writes commit, and the nesting guard was released.
    let mut next = message("after");
    db.write_txn_sync(|txn| txn.messages().put(&mut next)).unwrap();
    assert_eq!(next.id, 1, "the aborted transaction consumed no id");
}

#[test]
fn a_write_inside_a_write_on_the_same_thread_is_an_error_not_a_deadlock() {
    with_watchdog(QUICK, nested_write);
}

fn nested_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "nested");
    let outer = db.write_txn_sync(|txn| {
        txn.messages().put(&mut message("outer"))?;
        let inner = db.write_txn_sync(|txn| txn.messages().put(&mut message("inner")));
        assert!(
            matches!(inner, Err(Error::NestedTransaction { ref instance }) if instance == "nested"),
            "{inner:?}"
        );
        // Reads inside a write are fine.
        assert_eq!(db.messages().count()?, 0, "outside the transaction, nothing is committed yet");
        Ok::<_, Error>(())
    });
    outer.unwrap();
    assert_eq!(db.messages().count().unwrap(), 1);
}

#[test]
fn a_read_inside_a_read_reads_on() {
    with_watchdog(QUICK, || {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir, "nested-read");
        db.write_txn_sync(|txn| txn.messages().put(&mut message("one"))).unwrap();
        let counts = db
            .read_txn_sync(|outer| {
                let inner = db.read_txn_sync(|inner| inner.messages().count())?;
                Ok::<_, Error>((outer.messages().count()?, inner, db.messages().count()?))
            })
            .unwrap();
        assert_eq!(counts, (1, 1, 1));
    });
}

#[test]
fn writes_from_other_threads_wait_their_turn() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "turns");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    db.write_txn_sync(|txn| txn.messages().put(&mut message(&format!("{t}/{i}")))).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let all = db.messages().all().unwrap();
    assert_eq!(all.len(), 200);
    let ids: Vec<Id> = all.iter().map(|m| m.id).collect();
    assert_eq!(ids, (1..=200).collect::<Vec<_>>(), "every id once, in order");
}

#[test]
fn a_read_sees_one_snapshot_for_its_whole_life() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "snapshot");
    db.write_txn_sync(|txn| txn.messages().put(&mut message("v1"))).unwrap();

    let (began, begun) = mpsc::channel();
    let (wrote, written) = mpsc::channel();
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            begun.recv().unwrap();
            db.write_txn_sync(|txn| {
                let mut changed = txn.messages().get(1)?.unwrap();
                changed.content = "v2".into();
                txn.messages().put(&mut changed)?;
                txn.messages().put(&mut message("new"))
            })
            .unwrap();
            wrote.send(()).unwrap();
        })
    };
    db.read_txn_sync(|txn| {
        let messages = txn.messages();
        assert_eq!(messages.get(1)?.unwrap().content, "v1");
        began.send(()).unwrap();
        written.recv().unwrap();
        assert_eq!(messages.get(1)?.unwrap().content, "v1", "the commit is not visible in this snapshot");
        assert_eq!(txn.messages().count()?, 1);
        Ok::<_, Error>(())
    })
    .unwrap();
    writer.join().unwrap();
    assert_eq!(db.messages().get(1).unwrap().unwrap().content, "v2");
}

#[test]
fn ids_come_from_a_counter_kept_in_the_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "ids");
    let mut batch: Vec<Message> = (0..3).map(|i| message(&i.to_string())).collect();
    let ids = db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(batch.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 3], "ids written back");

    // An aborted transaction consumes none: the next id is the one it had taken.
    let mut aborted = message("aborted");
    let result = db.write_txn_sync(|txn| {
        txn.messages().put(&mut aborted)?;
        Err::<(), _>(Error::NestedTransaction { instance: "pretend".into() })
    });
    assert!(matches!(result, Err(Error::NestedTransaction { .. })), "{result:?}");
    assert_eq!(aborted.id, 4, "the aborted put had taken id 4");
    let mut after = message("after the abort");
    db.write_txn_sync(|txn| txn.messages().put(&mut after)).unwrap();
    assert_eq!(after.id, 4, "the aborted transaction's id is given again");
    // An explicit id inserts and moves the counter past it.
    let mut explicit = Message { id: 10, ..message("explicit") };
    let mut next = message("next");
    db.write_txn_sync(|txn| {
        txn.messages().put(&mut explicit)?;
        txn.messages().put(&mut next)
    })
    .unwrap();
    assert_eq!((explicit.id, next.id), (10, 11));

    // A put of an existing id replaces the object.
    let mut replacement = Message { id: 2, ..message("replaced") };
    db.write_txn_sync(|txn| txn.messages().put(&mut replacement)).unwrap();
    assert_eq!(db.messages().get(2).unwrap().unwrap().content, "replaced");
    assert_eq!(db.messages().count().unwrap(), 6);

    // The counter survives reopening.
    drop(db);
    let db = open(&dir, "ids");
    let mut later = message("later");
    db.write_txn_sync(|txn| txn.messages().put(&mut later)).unwrap();
    assert_eq!(later.id, 12);

    // Deleting the object with the largest id does not free that id: not in a later
    // transaction, not in the one that assigned it, not across a reopen.
    db.write_txn_sync(|txn| txn.messages().delete(12)).unwrap();
    let mut after_delete = message("after delete");
    db.write_txn_sync(|txn| txn.messages().put(&mut after_delete)).unwrap();
    assert_eq!(after_delete.id, 13);
    let mut short_lived = message("short-lived");
    db.write_txn_sync(|txn| {
        txn.messages().put(&mut short_lived)?;
        txn.messages().delete(short_lived.id)
    })
    .unwrap();
    assert_eq!(short_lived.id, 14);
    drop(db);
    let db = open(&dir, "ids");
    let mut reopened = message("reopened");
    db.write_txn_sync(|txn| txn.messages().put(&mut reopened)).unwrap();
    assert_eq!(reopened.id, 15);

    // `clear` removes everything and resets the counter.
    db.write_txn_sync(|txn| txn.messages().clear()).unwrap();
    assert_eq!(db.messages().count().unwrap(), 0);
    let mut first = message("first again");
    db.write_txn_sync(|txn| txn.messages().put(&mut first)).unwrap();
    assert_eq!(first.id, 1);
}

#[test]
fn the_last_id_is_reported_not_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "exhausted");
    let mut last = Message { id: u64::MAX, ..message("last") };
    db.write_txn_sync(|txn| txn.messages().put(&mut last)).unwrap();
    let result = db.write_txn_sync(|txn| txn.messages().put(&mut message("one too many")));
    assert!(
        matches!(&result, Err(Error::IdsExhausted { collection }) if collection == "Message"),
        "{result:?}"
    );
    assert_eq!(db.messages().count().unwrap(), 1);
}

mod unique_model {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    pub struct Account {
        #[id]
        pub id: Id,
        #[index(unique)]
        pub email: String,
    }
}

#[test]
fn a_failed_put_all_that_is_committed_anyway_keeps_its_ids() {
    use unique_model::{Account, AccountAccessor};
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("keeps_ids").collection::<Account>().open(dir.path()).unwrap();
    db.write_txn_sync(|txn| txn.accounts().put(&mut Account { id: 0, email: "taken".into() })).unwrap();
    db.write_txn_sync(|txn| {
        let mut batch =
            vec![Account { id: 0, email: "fresh".into() }, Account { id: 0, email: "taken".into() }];
        assert!(txn.accounts().put_all(&mut batch).is_err());
        // The caller carries on and commits what was stored.
        Ok::<_, Error>(())
    })
    .unwrap();
    let mut next = Account { id: 0, email: "next".into() };
    db.write_txn_sync(|txn| txn.accounts().put(&mut next)).unwrap();
    // Id 2 went to `fresh`, id 3 to the refused object: neither is handed out again.
    assert_eq!(next.id, 4);
    let emails: Vec<String> = db.accounts().all().unwrap().into_iter().map(|a| a.email).collect();
    assert_eq!(emails, ["taken", "fresh", "next"]);
    db.accounts().verify().unwrap();
}

/// Durable writers on several threads at once share flushes (group commit). Each
/// transaction stays whole on its own: those that return `Err` or panic leave nothing,
/// whatever the others around them do, and every writer returns.
#[test]
fn concurrent_durable_writers_keep_each_transaction_whole_whatever_the_others_do() {
    with_watchdog(QUICK, || {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir, "group-commit");
        let kept: Vec<Vec<String>> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..4)
                .map(|thread| {
                    let db = db.clone();
                    scope.spawn(move || {
                        let mut kept = Vec::new();
                        for i in 0..60 {
                            let content = format!("{thread}-{i}");
                            let result = catch_unwind(AssertUnwindSafe(|| {
                                db.write_txn_sync_with_error(|txn| {
                                    txn.messages().put(&mut message(&content))?;
                                    txn.messages().put(&mut message(&format!("{content} again")))?;
                                    match i % 5 {
                                        1 => Err(AppError::Rejected),
                                        3 => panic!("a writer panics"),
                                        _ => Ok(()),
                                    }
                                })
                            }));
                            if let Ok(Ok(())) = result {
                                kept.push(content);
                            }
                        }
                        kept
                    })
                })
                .collect();
            writers.into_iter().map(|writer| writer.join().unwrap()).collect()
        });
        let mut expected: Vec<String> =
            kept.iter().flatten().flat_map(|content| [content.clone(), format!("{content} again")]).collect();
        let mut stored: Vec<String> =
            db.messages().all().unwrap().into_iter().map(|message| message.content).collect();
        expected.sort();
        stored.sort();
        assert_eq!(kept.iter().map(Vec::len).sum::<usize>(), 4 * 36);
        assert_eq!(stored, expected);
        db.messages().verify().unwrap();
    });
}

/// `put_all` writes the entries of non-unique indexes sorted by key, gathered over the
/// batch: an object put twice in one batch leaves only its last keys, as two puts do.
#[test]
fn an_object_put_twice_in_one_batch_keeps_only_its_last_index_entries() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "twice-in-a-batch");
    let mut before = Message { id: 5, author: "zed".into(), ..message("before") };
    db.write_txn_sync(|txn| txn.messages().put(&mut before)).unwrap();
    let mut batch = vec![
        Message { id: 5, author: "bob".into(), ..message("first") },
        Message { id: 5, author: "ada".into(), ..message("second") },
        Message { author: "cy".into(), ..message("fresh") },
    ];
    let ids = db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    assert_eq!(ids, [5, 5, 6]);
    let by_author = |author: &str| -> Vec<Id> {
        let query = db.messages().query().filter(Message::AUTHOR.eq(author));
        assert!(query.explain().unwrap().starts_with("index `author`"), "{}", query.explain().unwrap());
        query.find_all().unwrap().iter().map(|message| message.id).collect()
    };
    assert_eq!(
        (by_author("ada"), by_author("bob"), by_author("zed"), by_author("cy")),
        (vec![5], vec![], vec![], vec![6])
    );
    db.messages().verify().unwrap();
}

/// `put_all` appends the records of ids above every stored one through redb's cursor,
/// and inserts its sorted index entries through one, in runs that end where an entry
/// already in the index lies between two new ones. Entries that interleave with old
/// ones, replace old ones, repeat within the batch or are already there, and records
/// that are held back and then replaced within the batch, leave the collection as puts
/// one by one leave it.
#[test]
fn a_batch_leaves_records_and_index_entries_as_single_puts_do() {
    let dir = tempfile::tempdir().unwrap();
    let (batched, single) = (open(&dir, "interleaved-batch"), open(&dir, "interleaved-single"));
    let author = |i: u64| format!("author-{:02}", i.wrapping_mul(0x9E37_79B9) % 13);
    let first: Vec<Message> =
        (0..300).map(|i| Message { author: author(2 * i), ..message(&format!("first {i}")) }).collect();
    // Fresh objects among the old keys, replacements that move to another key or keep
    // theirs, and one object put twice.
    let mut second: Vec<Message> =
        (0..300).map(|i| Message { author: author(2 * i + 1), ..message(&format!("fresh {i}")) }).collect();
    for id in (1..=300).step_by(7) {
        second.push(Message { id, author: author(id * 3), ..message("moved") });
        second.push(Message { id: id + 1, author: author(2 * (id + 1) - 2), ..message("kept") });
    }
    second.push(Message { id: 11, author: "author-00".into(), ..message("twice") });
    // The last stored object replaced, explicit ids above every stored one (held
    // back), a fresh one after them, an explicit id below them (a new object, written
    // at once), and replacements of records still held back.
    let third = vec![
        Message { id: 600, author: author(8), ..message("replaces the last stored") },
        Message { id: 1000, author: author(1), ..message("above") },
        Message { id: 1002, author: author(2), ..message("further above") },
        Message { author: author(3), ..message("fresh after them") },
        Message { id: 999, author: author(4), ..message("below them") },
        Message { id: 1002, author: author(5), ..message("replaces a held-back one") },
        Message { id: 1004, author: author(6), ..message("above again") },
        Message { id: 1004, author: author(7), ..message("replaces it at once") },
    ];
    for batch in [&first, &second, &third] {
        let mut objects = batch.clone();
        let ids = batched.write_txn_sync(|txn| txn.messages().put_all(&mut objects)).unwrap();
        let one_by_one = single
            .write_txn_sync(|txn| {
                batch
                    .iter()
                    .map(|object| txn.messages().put(&mut object.clone()))
                    .collect::<insula::Result<Vec<_>>>()
            })
            .unwrap();
        assert_eq!(ids, one_by_one);
    }
    for i in 0..13 {
        let author = format!("author-{i:02}");
        let ids = |db: &Db| db.messages().query().filter(Message::AUTHOR.eq(&author)).ids().unwrap();
        assert!(!ids(&single).is_empty(), "{author}");
        assert_eq!(ids(&batched), ids(&single), "{author}");
    }
    let all = |db: &Db| db.messages().query().find_all().unwrap();
    assert_eq!(all(&batched), all(&single));
    batched.messages().verify().unwrap();
}

/// A batch that fails half-way and is committed anyway leaves the objects stored before
/// the failure with their index entries, as one-by-one puts would.
#[test]
fn a_batch_that_fails_half_way_and_is_committed_anyway_keeps_its_indexes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "failed-batch");
    let mut batch = vec![
        Message { author: "ada".into(), ..message("fresh") },
        Message { id: u64::MAX, author: "max".into(), ..message("last") },
        Message { author: "bob".into(), ..message("one too many") },
    ];
    let failure = db.write_txn_sync(|txn| Ok(txn.messages().put_all(&mut batch).unwrap_err())).unwrap();
    assert!(matches!(failure, Error::IdsExhausted { .. }), "{failure:?}");
    assert_eq!(db.messages().count().unwrap(), 2);
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("max")).count().unwrap(), 1);
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("ada")).count().unwrap(), 1);
    db.messages().verify().unwrap();
}
