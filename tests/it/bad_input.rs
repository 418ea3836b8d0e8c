//! Error paths of the public API not covered by the suites of their own features
//! (instances.rs: names, a directory that is a file, mismatches, incompatible schemas;
//! transactions.rs: nesting, the last id; objects.rs: unique violations; watchers.rs: a
//! closed instance).

use insula::prelude::*;
use insula::{Error, MAX_RECORD_LEN};

#[derive(Collection, Debug, Default)]
pub struct Blob {
    #[id]
    pub id: Id,
    pub bytes: Vec<u8>,
}

#[test]
fn an_object_over_the_size_limit_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("huge").collection::<Blob>().open(dir.path()).unwrap();
    let mut blob = Blob { id: 0, bytes: vec![0; MAX_RECORD_LEN] };
    let result = db.write_txn_sync(|txn| txn.blobs().put(&mut blob));
    let Err(error @ Error::TooLarge { collection: "Blob", len }) = result else { panic!("{result:?}") };
    assert!(len > MAX_RECORD_LEN);
    assert!(error.to_string().contains("over the limit"), "{error}");
    assert_eq!(blob.id, 0, "no id was assigned");
    drop(blob);
    assert_eq!(db.blobs().count().unwrap(), 0);
    let mut small = Blob { id: 0, bytes: vec![1; 10] };
    db.write_txn_sync(|txn| txn.blobs().put(&mut small)).unwrap();
    assert_eq!(small.id, 1, "the refused object consumed no id");
}

#[test]
fn a_directory_that_cannot_be_created_is_an_io_error() {
    // `/proc` refuses new directories, even to root.
    let result = Db::builder().name("nowhere").collection::<Blob>().open("/proc/insula-cannot-be-here/data");
    let Err(error @ Error::Io { .. }) = result else { panic!("{result:?}") };
    assert!(error.to_string().starts_with("/proc/insula-cannot-be-here/data"), "{error}");
    assert!(std::error::Error::source(&error).is_some(), "the I/O error is the source");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("garbage.insula"), b"this is not a redb file at all, just some text")
        .unwrap();
    let result = Db::builder().name("garbage").collection::<Blob>().open(dir.path());
    let Err(error @ Error::NotADatabase { .. }) = result else { panic!("{result:?}") };
    let message = error.to_string();
    assert!(message.contains("garbage.insula: not a database file"), "{message}");
    assert!(message.contains("another directory"), "the message says what to do: {message}");
}

#[test]
fn an_empty_directory_path_says_so() {
    let result = Db::builder().name("empty_path").collection::<Blob>().open("");
    let Err(error @ Error::InvalidDirectory { .. }) = result else { panic!("{result:?}") };
    assert!(error.to_string().contains("the path is empty; pass \".\""), "{error}");
}

#[test]
fn a_file_of_another_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder().name("future").collection::<Blob>().open(dir.path()).unwrap();
        db.path().to_owned()
    };
    {
        let raw = redb::Database::open(&path).unwrap();
        let txn = raw.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<&str, u64>::new("insula:meta"))
            .unwrap()
            .insert("format", 3)
            .unwrap();
        txn.commit().unwrap();
    }
    let result = Db::builder().name("future").collection::<Blob>().open(dir.path());
    let Err(error @ Error::CorruptedFile { .. }) = result else { panic!("{result:?}") };
    assert!(error.to_string().contains("format version 3, this build reads 2"), "{error}");
}
