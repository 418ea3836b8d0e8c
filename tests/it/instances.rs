//! Named instances: one per name in the process, refused to callers that expect other
//! schemas or another directory, closed when the last handle drops, and checked against
//! the schemas the file records.

use crate::common;

use common::*;
use insula::Error;
use insula::prelude::*;
use insula::schema::{Change, CollectionDiff, StoredType};
use std::sync::{Arc, Barrier};

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Post {
    #[id]
    pub id: Id,
    pub title: String,
}

/// `Message` as another build of the program might have it.
mod other_message {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    pub struct Message {
        #[id]
        pub id: Id,
        #[index]
        pub author: String,
        pub content: String,
        pub created_at: i64,
        pub likes: i32,
        pub tags: Vec<String>,
        pub reply_to: Option<Id>,
    }
}

fn message(content: &str) -> Message {
    Message { author: "ada".into(), content: content.into(), ..Default::default() }
}

#[test]
fn the_same_name_gives_the_same_instance() {
    let dir = tempfile::tempdir().unwrap();
    let first = Db::builder().name("same").collection::<Message>().open(dir.path()).unwrap();
    let second = Db::builder().name("same").collection::<Message>().open(dir.path()).unwrap();
    first.write_txn_sync(|txn| txn.messages().put(&mut message("hi"))).unwrap();
    assert_eq!(second.messages().count().unwrap(), 1);
    // One instance: a write through one handle inside a write through the other is
    // nested, which two separate instances could not detect (they would deadlock on the
    // file, which the watchdog turns into a failure).
    let (outer, inner) = (first.clone(), second.clone());
    let nested = with_watchdog(QUICK, move || outer.write_txn_sync(|_| inner.write_txn_sync(|_| Ok(()))));
    assert!(
        matches!(nested, Err(Error::NestedTransaction { ref instance }) if instance == "same"),
        "{nested:?}"
    );
    assert_eq!(first.path(), dir.path().canonicalize().unwrap().join("same.insula"));
}

#[test]
fn the_order_of_collections_does_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let a =
        Db::builder().name("order").collection::<Message>().collection::<Post>().open(dir.path()).unwrap();
    let b =
        Db::builder().name("order").collection::<Post>().collection::<Message>().open(dir.path()).unwrap();
    // The same instance: a write through one is there through the other at once, and
    // the instance is one file.
    a.write_txn_sync(|txn| txn.posts().put(&mut Post::default())).unwrap();
    assert_eq!(b.posts().count().unwrap(), 1);
    assert_eq!(a.path(), b.path());
    assert_eq!(Db::instance("order").map(|db| db.path().to_owned()), Some(a.path().to_owned()));
}

#[test]
fn eight_threads_opening_one_name_share_one_instance() {
    with_watchdog(QUICK, || {
        let dir = tempfile::tempdir().unwrap();
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (barrier, dir) = (barrier.clone(), dir.path().to_owned());
                std::thread::spawn(move || {
                    barrier.wait();
                    // A second instance would have to open the file again, which redb
                    // refuses while the first holds it; every open succeeding shows one.
                    let db = Db::builder().name("crowd").collection::<Message>().open(&dir).unwrap();
                    db.write_txn_sync(|txn| txn.messages().put(&mut message(&format!("from {i}")))).unwrap();
                    db
                })
            })
            .collect();
        let handles: Vec<Db> = threads.into_iter().map(|thread| thread.join().unwrap()).collect();
        for db in &handles {
            assert_eq!(db.messages().count().unwrap(), 8);
        }
    });
}

#[test]
fn other_schemas_are_a_mismatch_that_names_each_difference() {
    let dir = tempfile::tempdir().unwrap();
    let _db =
        Db::builder().name("mismatch").collection::<Message>().collection::<Post>().open(dir.path()).unwrap();

    let changed = Db::builder().name("mismatch").collection::<other_message::Message>().open(dir.path());
    let Err(Error::SchemaMismatch { instance, differences }) = changed else { panic!("{changed:?}") };
    assert_eq!(instance, "mismatch");
    assert_eq!(differences.len(), 2, "{differences:?}");
    assert!(differences.contains(&CollectionDiff::Missing("Post".into())));
    let changes = differences
        .iter()
        .find_map(|diff| match diff {
            CollectionDiff::Changed { collection, changes } if collection == "Message" => Some(changes),
            _ => None,
        })
        .unwrap();
    assert!(
        matches!(&changes[..], [Change::FieldTypeChanged { old, new }] if old.name == "likes" && new.ty == StoredType::I32)
    );

    let extra = Db::builder()
        .name("mismatch")
        .collection::<Message>()
        .collection::<Post>()
        .collection::<common::Everything>()
        .open(dir.path());
    let Err(error @ Error::SchemaMismatch { .. }) = extra else { panic!("{extra:?}") };
    let message = error.to_string();
    assert!(message.contains("collection `Everything` was asked for but is not open"), "{message}");
}

#[test]
fn another_directory_is_its_own_error() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _db = Db::builder().name("placed").collection::<Message>().open(a.path()).unwrap();
    let other = Db::builder().name("placed").collection::<Message>().open(b.path());
    assert!(
        matches!(other, Err(Error::DirectoryMismatch { ref instance, .. }) if instance == "placed"),
        "{other:?}"
    );
}

#[test]
fn an_instance_closes_with_its_last_handle_and_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("reopen").collection::<Message>().open(dir.path()).unwrap();
    db.write_txn_sync(|txn| txn.messages().put(&mut message("kept"))).unwrap();
    let clone = Db::instance("reopen").expect("open");
    drop(db);
    assert!(Db::instance("reopen").is_some(), "a clone still holds it");
    drop(clone);
    assert!(Db::instance("reopen").is_none());

    // The file is closed: another schema set may open it now, and the data is there.
    let db = Db::builder().name("reopen").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(db.messages().get(1).unwrap().unwrap().content, "kept");
}

#[test]
fn opening_and_dropping_in_a_loop_from_many_threads() {
    with_watchdog(QUICK, || {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let dir = dir.path().to_owned();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let db = Db::builder().name("churn").collection::<Message>().open(&dir).unwrap();
                        db.messages().count().unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    });
}

#[test]
fn names_that_cannot_be_file_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["", ".hidden", "a/b", "..", "with space", "ü", &"x".repeat(65)] {
        let result = Db::builder().name(name).collection::<Message>().open(dir.path());
        assert!(matches!(result, Err(Error::InvalidName { .. })), "{name:?}: {result:?}");
    }
    let db = Db::builder().collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(db.name(), "default");
    assert!(db.path().ends_with("default.insula"));
}

#[test]
fn the_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c");
    let db = Db::builder().name("nested_dir").collection::<Message>().open(&nested).unwrap();
    assert!(db.path().starts_with(nested.canonicalize().unwrap()));
}

#[test]
fn a_directory_that_is_a_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"not a directory").unwrap();
    let result = Db::builder().name("onfile").collection::<Message>().open(&file);
    assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
}

#[test]
fn a_changed_schema_in_the_file_is_refused_and_the_file_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder().name("evolve").collection::<Message>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.messages().put(&mut message("old"))).unwrap();
        db.path().to_owned()
    };
    let before = std::fs::read(&path).unwrap();

    let result = Db::builder().name("evolve").collection::<other_message::Message>().open(dir.path());
    let Err(error @ Error::SchemaIncompatible { .. }) = result else { panic!("{result:?}") };
    let text = error.to_string();
    assert!(text.contains("collection `Message`"), "{text}");
    assert!(text.contains("field `likes` changed from `likes: u32` to `likes: i32` [breaking]"), "{text}");
    assert!(std::fs::read(&path).unwrap() == before, "the file must be byte-identical");
    assert!(Db::instance("evolve").is_none());

    let db = Db::builder().name("evolve").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(db.messages().get(1).unwrap().unwrap().content, "old");
}

#[test]
fn collections_left_out_of_open_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::builder()
            .name("partial")
            .collection::<Message>()
            .collection::<Post>()
            .open(dir.path())
            .unwrap();
        db.write_txn_sync(|txn| txn.posts().put(&mut Post { id: 0, title: "kept".into() })).unwrap();
    }
    {
        let db = Db::builder().name("partial").collection::<Message>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.messages().put(&mut message("m"))).unwrap();
        let unknown = db.posts().count();
        assert!(matches!(unknown, Err(Error::UnknownCollection { collection: "Post", .. })), "{unknown:?}");
    }
    let db =
        Db::builder().name("partial").collection::<Message>().collection::<Post>().open(dir.path()).unwrap();
    assert_eq!(db.posts().get(1).unwrap().unwrap().title, "kept");
    assert_eq!(db.messages().count().unwrap(), 1);
}

#[test]
fn reopening_with_identical_schemas_reads_no_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder().name("fast").collection::<Message>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.messages().put(&mut message("fine"))).unwrap();
        db.path().to_owned()
    };
    // Damage the stored record behind Insula's back.
    {
        let raw = redb::Database::open(&path).unwrap();
        let txn = raw.begin_write().unwrap();
        let table_def: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("insula:c:Message");
        txn.open_table(table_def).unwrap().insert(2, [0xff, 0xff, 0xff, 0xff, 1].as_slice()).unwrap();
        txn.commit().unwrap();
    }
    // Opening does not look at records, so it succeeds; reading the damaged one fails.
    let db = Db::builder().name("fast").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(db.messages().get(1).unwrap().unwrap().content, "fine");
    let damaged = db.messages().get(2);
    assert!(matches!(damaged, Err(Error::Corrupted { collection: "Message", .. })), "{damaged:?}");
}
