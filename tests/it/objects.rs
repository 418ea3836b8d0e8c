//! Objects: get, put, delete, iteration and views, with secondary index tables kept
//! exact by every write.

use crate::common;

use common::*;
use insula::Error;
use insula::prelude::*;
use redb::{ReadableDatabase, ReadableTable};

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct User {
    #[id]
    pub id: Id,
    #[index(unique)]
    pub email: String,
    #[index(unique, replace)]
    pub handle: String,
    #[index]
    pub tags: Vec<String>,
    #[index(composite(age))]
    pub city: String,
    pub age: u32,
}

fn user(email: &str, handle: &str, tags: &[&str]) -> User {
    User {
        email: email.into(),
        handle: handle.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        city: "Oslo".into(),
        age: 30,
        ..Default::default()
    }
}

fn open(dir: &tempfile::TempDir, name: &str) -> Db {
    Db::builder().name(name).collection::<User>().collection::<Message>().open(dir.path()).unwrap()
}

/// Every entry of every index table of `User`, read from the file with raw redb:
/// `(table, key bytes, id)`, sorted.
fn index_entries(path: &std::path::Path) -> Vec<(String, Vec<u8>, Id)> {
    let raw = redb::Database::open(path).unwrap();
    let txn = raw.begin_read().unwrap();
    let mut entries = Vec::new();
    for handle in txn.list_tables().unwrap() {
        let name = redb::TableHandle::name(&handle).to_owned();
        if !name.starts_with("insula:i:User:") {
            continue;
        }
        if name.contains(" unique") {
            let table = txn.open_table(redb::TableDefinition::<&[u8], u64>::new(&name)).unwrap();
            for entry in table.iter().unwrap() {
                let (key, id) = entry.unwrap();
                entries.push((name.clone(), key.value().to_vec(), id.value()));
            }
        } else {
            let table = txn.open_table(redb::TableDefinition::<&[u8], ()>::new(&name)).unwrap();
            for entry in table.iter().unwrap() {
                let (key, _) = entry.unwrap();
                let key = key.value();
                let (key, id) = key.split_at(key.len() - 8);
                entries.push((name.clone(), key.to_vec(), u64::from_be_bytes(id.try_into().unwrap())));
            }
        }
    }
    entries.sort();
    entries
}

/// The index entries the objects should have, computed from scratch with a second,
/// fresh database holding exactly `users`, opened under `name`: a name of the calling
/// test's own, since tests run in parallel and instance names are process-wide.
fn expected_entries(name: &str, users: &[User]) -> Vec<(String, Vec<u8>, Id)> {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder().name(name).collection::<User>().open(dir.path()).unwrap();
        let mut users = users.to_vec();
        db.write_txn_sync(|txn| txn.users().put_all(&mut users)).unwrap();
        db.path().to_owned()
    };
    index_entries(&path)
}

#[test]
fn get_put_delete_and_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "crud");
    let mut users = vec![user("a@x", "a", &["x"]), user("b@x", "b", &[]), user("c@x", "c", &["y", "z"])];
    db.write_txn_sync(|txn| txn.users().put_all(&mut users)).unwrap();

    assert_eq!(db.users().get(2).unwrap().as_ref(), Some(&users[1]));
    assert_eq!(
        db.users().get_all(&[3, 9, 1]).unwrap(),
        [Some(users[2].clone()), None, Some(users[0].clone())]
    );
    assert_eq!(db.users().count().unwrap(), 3);
    assert_eq!(db.users().all().unwrap(), users);

    let (deleted, missing, many) = db
        .write_txn_sync(|txn| {
            let users = txn.users();
            Ok::<_, Error>((users.delete(2)?, users.delete(2)?, users.delete_all(&[1, 3, 7])?))
        })
        .unwrap();
    assert_eq!((deleted, missing, many), (true, false, 2));
    assert_eq!(db.users().count().unwrap(), 0);
    drop(db);
    assert!(index_entries(&dir.path().join("crud.insula")).is_empty(), "deletes remove index entries");
}

#[test]
fn views_read_in_place_in_both_kinds_of_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "views");
    let mut alice = user("a@x", "alice", &["admin", "ops"]);
    let handle = db
        .write_txn_sync(|txn| {
            txn.users().put(&mut alice)?;
            txn.users().with_view(alice.id, |view| view.handle().to_owned())
        })
        .unwrap();
    assert_eq!(handle.as_deref(), Some("alice"));
    let tags = db
        .read_txn_sync(|txn| {
            let users = txn.users();
            assert!(users.with_view(99, |_| ())?.is_none());
            users.with_view(1, |view| view.tags().iter().collect::<Vec<_>>().join(","))
        })
        .unwrap();
    assert_eq!(tags.as_deref(), Some("admin,ops"));
    let iterated: Vec<User> = db.read_txn_sync(|txn| txn.users().iter()?.collect::<Result<_, _>>()).unwrap();
    assert_eq!(iterated, [alice]);
}

#[test]
fn index_entries_follow_puts_replacements_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = open(&dir, "entries");
        let mut users =
            vec![user("a@x", "a", &["x", "y", "x"]), user("b@x", "b", &["y"]), user("c@x", "c", &[])];
        db.write_txn_sync(|txn| txn.users().put_all(&mut users)).unwrap();
        // Replace one (its old entries must go), delete one.
        let mut changed = User { city: "Bergen".into(), age: 41, ..user("a2@x", "a2", &["z"]) };
        changed.id = 1;
        db.write_txn_sync(|txn| {
            txn.users().put(&mut changed)?;
            txn.users().delete(3)
        })
        .unwrap();
        db.path().to_owned()
    };
    let survivors = {
        let db = open(&dir, "entries");
        db.users().all().unwrap()
    };
    assert_eq!(survivors.len(), 2);
    assert_eq!(index_entries(&path), expected_entries("entries_expected", &survivors));
}

#[test]
fn a_unique_violation_names_the_index_and_value_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "unique");
    db.write_txn_sync(|txn| txn.users().put(&mut user("taken@x", "first", &[]))).unwrap();
    let before = index_entries_of(&db);

    let result = db.write_txn_sync(|txn| {
        txn.messages().put(&mut Message::default())?;
        txn.users().put(&mut user("taken@x", "second", &["t"]))
    });
    let Err(error) = result else { panic!("{result:?}") };
    assert!(
        matches!(&error, Error::UniqueViolation { collection, index, value, existing: 1, .. } if collection == "User" && index == "email" && value == "\"taken@x\""),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("unique index `email` already holds \"taken@x\" for object 1"),
        "{error}"
    );
    assert_eq!(db.users().count().unwrap(), 1);
    assert_eq!(db.messages().count().unwrap(), 0, "the whole transaction was aborted");
    assert_eq!(index_entries_of(&db), before);

    // Inside a transaction that goes on, the failed put left nothing behind either.
    db.write_txn_sync(|txn| {
        let users = txn.users();
        assert!(users.put(&mut user("taken@x", "third", &["t"])).is_err());
        users.put(&mut user("free@x", "fourth", &[]))
    })
    .unwrap();
    drop(db);
    let db = open(&dir, "unique");
    let all = db.users().all().unwrap();
    assert_eq!(all.iter().map(|u| u.handle.as_str()).collect::<Vec<_>>(), ["first", "fourth"]);
    drop(db);
    assert_eq!(index_entries(&dir.path().join("unique.insula")), expected_entries("unique_expected", &all));
}

#[test]
fn a_unique_replace_index_replaces_the_other_object() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "replace");
    let mut first = user("one@x", "same", &["a"]);
    db.write_txn_sync(|txn| txn.users().put(&mut first)).unwrap();
    let mut second = user("two@x", "same", &["b"]);
    db.write_txn_sync(|txn| txn.users().put(&mut second)).unwrap();
    assert_eq!(second.id, 2);
    let all = db.users().all().unwrap();
    assert_eq!(all, [second], "the object holding the handle was replaced");
    drop(db);
    assert_eq!(index_entries(&dir.path().join("replace.insula")), expected_entries("replace_expected", &all));
}

fn index_entries_of(db: &Db) -> Vec<(String, Vec<u8>, Id)> {
    // Read through a copy of the file: the instance holds the file's lock.
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("copy.insula");
    std::fs::copy(db.path(), &path).unwrap();
    index_entries(&path)
}

/// `put_by` replaces the object that holds the key and keeps its id (Isar's
/// `putByEmail`), where `unique, replace` would give the newcomer a new id; the indexes
/// follow; a field without a unique index of its own is refused.
#[test]
fn put_by_a_unique_field_replaces_the_holder_and_keeps_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "put_by");
    let mut ada = user("ada@example.com", "ada", &["admin"]);
    let mut bob = user("bob@example.com", "bob", &[]);
    db.write_txn_sync(|txn| txn.users().put_all(&mut [ada.clone(), bob.clone()]).map(drop)).unwrap();
    ada.id = 1;
    bob.id = 2;

    // A new object with ada's email and another handle and tags takes ada's id.
    let mut again = user("ada@example.com", "ada2", &["editor"]);
    let id = db.write_txn_sync(|txn| txn.users().put_by(User::EMAIL, &mut again)).unwrap();
    assert_eq!((id, again.id), (1, 1));
    assert_eq!(db.users().count().unwrap(), 2);
    assert_eq!(db.users().get(1).unwrap().unwrap().handle, "ada2");
    assert!(db.users().get_by(User::HANDLE, "ada").unwrap().is_none(), "the old handle's entry went");
    assert_eq!(db.users().query().filter(User::TAGS.contains("admin")).count().unwrap(), 0);
    assert_eq!(db.users().query().filter(User::TAGS.contains("editor")).ids().unwrap(), [1]);

    // An email no one holds: a new object, with the next id.
    let mut cy = user("cy@example.com", "cy", &[]);
    assert_eq!(db.write_txn_sync(|txn| txn.users().put_by(User::EMAIL, &mut cy)).unwrap(), 3);
    db.users().verify().unwrap();

    // A field without a unique index of its own.
    let refused =
        db.write_txn_sync(|txn| txn.users().put_by(User::CITY, &mut user("d@example.com", "d", &[])));
    assert!(matches!(&refused, Err(Error::InvalidFilter { field, .. }) if field == "city"), "{refused:?}");
    assert_eq!(db.users().count().unwrap(), 3);
}
