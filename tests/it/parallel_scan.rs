//! Scans split over threads: a query that no index serves and no limit stops, over at
//! least 16,384 objects, tests its records in parts on several threads at once. Its
//! results must be a plain scan's, in the same order, whatever the query asks; and while
//! writers commit, each scan reads one snapshot.

use crate::common::{QUICK, with_watchdog};
use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};
use std::time::{Duration, Instant};

/// Enough objects for a scan to split.
const OBJECTS: u64 = 30_000;

fn messages() -> Vec<Message> {
    (0..OBJECTS)
        .map(|i| Message {
            author: format!("author{}", i % 37),
            content: format!("message {i}"),
            created_at: (i * 7919 % 10_007) as i64,
            likes: (i * 31 % 1000) as u32,
            tags: if i % 3 == 0 { vec!["rust".into()] } else { Vec::new() },
            ..Default::default()
        })
        .collect()
}

/// Every query below, run on `db`: ids in the query's order, counts and a sum.
fn answers(db: &Db) -> Vec<String> {
    let messages = db.messages();
    let ids = |query: insula::Query<'_, Message, Db>| format!("{:?}", query.ids().unwrap());
    vec![
        ids(messages.query().filter(Message::LIKES.gt(899))),
        ids(messages.query().filter(Message::LIKES.gt(899)).sort_by(Message::ID.desc())),
        ids(messages.query().filter(Message::LIKES.lt(20)).sort_by(Message::CREATED_AT.desc())),
        ids(messages.query().filter(Message::LIKES.lt(50)).sort_by(Message::LIKES.asc()).offset(7)),
        ids(messages.query().filter(Message::LIKES.between(100, 120)).offset(11)),
        ids(messages.query().filter_view(|view| view.content().ends_with('7') && view.tags().len() == 1)),
        ids(messages.query().filter(Message::LIKES.gt(1000))),
        ids(messages.query().filter(Message::LIKES.gt(100)).distinct_by(Message::AUTHOR)),
        format!("{}", messages.query().count().unwrap()),
        format!("{}", messages.query().filter(Message::LIKES.gt(500)).count().unwrap()),
        format!("{}", messages.query().filter(Message::LIKES.gt(500)).offset(9000).count().unwrap()),
        format!("{:?}", messages.query().filter(Message::LIKES.gt(400)).sum(Message::LIKES).unwrap()),
        format!("{:?}", messages.query().filter(Message::LIKES.lt(3)).find_all().unwrap()),
    ]
}

/// What a plain scan in Rust says the first queries return.
fn expected(all: &[Message]) -> Vec<String> {
    let ids = |keep: &dyn Fn(&Message) -> bool| -> Vec<Id> {
        all.iter().filter(|message| keep(message)).map(|message| message.id).collect()
    };
    let mut by_created: Vec<&Message> = all.iter().filter(|message| message.likes < 20).collect();
    by_created.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    let mut by_likes: Vec<&Message> = all.iter().filter(|message| message.likes < 50).collect();
    by_likes.sort_by(|a, b| a.likes.cmp(&b.likes).then(a.id.cmp(&b.id)));
    vec![
        format!("{:?}", ids(&|m| m.likes > 899)),
        format!("{:?}", ids(&|m| m.likes > 899).into_iter().rev().collect::<Vec<_>>()),
        format!("{:?}", by_created.iter().map(|m| m.id).collect::<Vec<_>>()),
        format!("{:?}", by_likes.iter().skip(7).map(|m| m.id).collect::<Vec<_>>()),
        format!("{:?}", ids(&|m| (100..=120).contains(&m.likes)).into_iter().skip(11).collect::<Vec<_>>()),
        format!("{:?}", ids(&|m| m.content.ends_with('7') && m.tags.len() == 1)),
    ]
}

#[test]
fn a_split_scan_returns_what_a_plain_scan_returns_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = messages();
    let split = {
        let db =
            Db::builder().name("split").collection::<Message>().scan_threads(3).open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut all)).unwrap();
        // Some gaps in the ids, so that parts of equal id spans hold unequal counts.
        db.write_txn_sync(|txn| txn.messages().delete_all(&(1000..7000).collect::<Vec<_>>())).unwrap();
        let explained = db.messages().query().filter(Message::LIKES.gt(899)).explain().unwrap();
        assert!(explained.contains("split into 3 parts, each tested on a thread of its own"), "{explained}");
        let limited = db.messages().query().filter(Message::LIKES.gt(899)).limit(5).explain().unwrap();
        assert!(!limited.contains("split"), "a limit stops a scan early: {limited}");
        answers(&db)
    };
    all.retain(|message| !(1000..7000).contains(&message.id));
    assert_eq!(split[..6], expected(&all)[..]);
    assert_eq!(split[8], (OBJECTS - 6000).to_string());
    let distinct = split[7].matches(',').count() + 1;
    assert_eq!(distinct, 37, "one per author, not {distinct}");
    let one = Db::builder().name("split").collection::<Message>().scan_threads(1).open(dir.path()).unwrap();
    assert!(!one.messages().query().explain().unwrap().contains("split"));
    assert_eq!(split, answers(&one), "one thread and three agree");
}

/// Writers commit while scans split over threads; every scan equals a plain scan of
/// its own snapshot, read in the same transaction.
#[test]
fn split_scans_while_writers_commit_each_read_one_snapshot() {
    with_watchdog(QUICK, || {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::builder()
            .name("split-stress")
            .collection::<Message>()
            .scan_threads(4)
            .open(dir.path())
            .unwrap();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut messages())).unwrap();
        let until = Instant::now() + Duration::from_secs(2);
        std::thread::scope(|scope| {
            for writer in 0..2u64 {
                let db = db.clone();
                scope.spawn(move || {
                    let mut round = 0u64;
                    while Instant::now() < until {
                        round += 1;
                        db.write_txn_sync(|txn| {
                            let messages = txn.messages();
                            let mut batch: Vec<Message> = (0..50)
                                .map(|i| Message {
                                    likes: ((round * 13 + i) % 1000) as u32,
                                    ..Default::default()
                                })
                                .collect();
                            messages.put_all(&mut batch)?;
                            let gone: Vec<Id> =
                                (0..20).map(|i| 1 + (round * 97 + i * 31 + writer) % OBJECTS).collect();
                            messages.delete_all(&gone)?;
                            Ok(())
                        })
                        .unwrap();
                    }
                });
            }
            let mut scans = 0;
            while Instant::now() < until || scans < 5 {
                db.read_txn_sync(|txn| {
                    let messages = txn.messages();
                    let all = messages.all()?;
                    let plain: Vec<Id> = all.iter().filter(|m| m.likes > 700).map(|m| m.id).collect();
                    let split = messages.query().filter(Message::LIKES.gt(700)).ids()?;
                    assert_eq!(split, plain);
                    assert_eq!(messages.query().filter(Message::LIKES.gt(700)).count()?, plain.len());
                    Ok::<_, insula::Error>(())
                })
                .unwrap();
                scans += 1;
            }
        });
    });
}

/// A scan of a narrow id range does not split, however large the collection.
#[test]
fn a_narrow_id_range_is_scanned_on_one_thread() {
    let db = Db::builder().collection::<Message>().scan_threads(2).open_in_memory().unwrap();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut messages())).unwrap();
    let narrow = db.messages().query().filter(Message::ID.between(10, 20).and(Message::LIKES.gt(5)));
    assert!(!narrow.explain().unwrap().contains("split"), "{}", narrow.explain().unwrap());
    assert_eq!(narrow.count().unwrap(), 11 - narrow_misses());
    let wide = db.messages().query().filter(Message::ID.between(10, 20_000));
    assert!(wide.explain().unwrap().contains("split into 2 parts"), "{}", wide.explain().unwrap());
}

/// How many of the objects with ids 10..=20 have 5 likes or fewer.
fn narrow_misses() -> usize {
    messages()
        .iter()
        .enumerate()
        .filter(|(at, m)| (10..=20).contains(&(*at as u64 + 1)) && m.likes <= 5)
        .count()
}
