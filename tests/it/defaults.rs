//! `#[field(default = <expr>)]`: a field added with a default reads the default in every
//! object stored before it existed, through every path (decoded, viewed, queried, its
//! index, the dynamic reader), because the migration that adds it stores those objects
//! anew with it. Objects stored later keep what they were given, and `Default` is
//! unchanged.

use insula::dynamic::{AnyValue, Reader};
use insula::prelude::*;
use insula::{Error, MigrationProgress};
use std::path::Path;
use std::sync::{Arc, Mutex};

mod v1 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Task")]
    pub struct Task {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        pub note: String,
    }
}

mod v2 {
    use insula::prelude::*;

    #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
    pub enum Priority {
        #[default]
        Low,
        Normal,
    }

    pub const NORMAL_EFFORT: u32 = 10;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Task")]
    pub struct Task {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        // `note` is removed, and these are added:
        #[field(default = NORMAL_EFFORT)]
        pub effort: u32,
        #[index]
        #[field(default = "inbox".to_owned())]
        pub list: String,
        #[field(default = Priority::Normal)]
        pub priority: Priority,
        #[field(default = Some(-1))]
        pub due: Option<i64>,
        #[field(default = vec!["new".to_owned()])]
        pub tags: Vec<String>,
        /// No default: old objects read `0`.
        pub done_count: u32,
    }
}

/// Writes `count` v1 tasks.
fn v1_file(dir: &Path, name: &str, count: u64) {
    use v1::TaskAccessor;
    let db = Db::builder().name(name).collection::<v1::Task>().open(dir).unwrap();
    let mut tasks: Vec<v1::Task> = (1..=count)
        .map(|i| v1::Task { id: 0, title: format!("task {i}"), note: format!("note {i}") })
        .collect();
    db.write_txn_sync(|txn| txn.tasks().put_all(&mut tasks)).unwrap();
}

#[test]
fn a_field_added_with_a_default_reads_it_in_old_objects_everywhere() {
    use v2::{Priority, Task, TaskAccessor};
    let dir = tempfile::tempdir().unwrap();
    let name = "defaults";
    // More than one batch of the migration's rewrite.
    let count = 5000;
    v1_file(dir.path(), name, count);
    let reports = Arc::new(Mutex::new(Vec::<MigrationProgress>::new()));
    let seen = reports.clone();
    let db = Db::builder()
        .name(name)
        .collection::<Task>()
        .on_progress(move |progress| seen.lock().unwrap().push(progress.clone()))
        .open(dir.path())
        .unwrap();
    let last = reports.lock().unwrap().iter().rfind(|report| report.index == "defaults").cloned();
    assert_eq!(last.map(|report| (report.done, report.total)), Some((count, count)));

    let expected = |id: Id| Task {
        id,
        title: format!("task {id}"),
        effort: 10,
        list: "inbox".to_owned(),
        priority: Priority::Normal,
        due: Some(-1),
        tags: vec!["new".to_owned()],
        done_count: 0,
    };
    let tasks = db.tasks();
    assert_eq!(tasks.get(1).unwrap(), Some(expected(1)));
    assert_eq!(tasks.get(count).unwrap(), Some(expected(count)));
    assert_eq!(tasks.query().find_all().unwrap(), (1..=count).map(expected).collect::<Vec<_>>());
    // Conditions on the records, the view, and the index on a defaulted field.
    assert_eq!(tasks.query().filter(Task::EFFORT.eq(10)).count().unwrap() as u64, count);
    assert_eq!(tasks.query().filter(Task::DUE.eq(Some(-1))).count().unwrap() as u64, count);
    assert_eq!(
        tasks.query().filter_view(|view| view.priority() == Priority::Normal).count().unwrap() as u64,
        count
    );
    let by_list = tasks.query().filter(Task::LIST.eq("inbox"));
    assert!(by_list.explain().unwrap().starts_with("index `list`"), "{}", by_list.explain().unwrap());
    assert_eq!(by_list.count().unwrap() as u64, count);
    tasks.verify().unwrap();

    // `Default` is unchanged, and a later object keeps what it was given.
    assert_eq!(Task::default().effort, 0);
    assert_eq!(Task::default().list, "");
    let mut later = Task { title: "later".into(), ..Default::default() };
    db.write_txn_sync(|txn| txn.tasks().put(&mut later)).unwrap();
    let path = db.path().to_owned();
    drop(db);

    // The next open has nothing to do: no record changes.
    let before = crate::common::raw_records(&path, "Task");
    let db = Db::builder().name(name).collection::<Task>().open(dir.path()).unwrap();
    assert_eq!(db.tasks().get(later.id).unwrap(), Some(later.clone()));
    assert_eq!(db.tasks().query().filter(Task::EFFORT.eq(0)).count().unwrap(), 1);
    drop(db);
    assert_eq!(crate::common::raw_records(&path, "Task"), before);

    // The file alone says the same.
    let snapshot = Reader::open(&path).unwrap().read().unwrap();
    let old = snapshot.get("Task", 1).unwrap().unwrap();
    assert_eq!(old.get("effort"), Some(&AnyValue::U32(10)));
    assert_eq!(old.get("list"), Some(&AnyValue::String("inbox".into())));
    assert_eq!(old.get("priority"), Some(&AnyValue::Enum("Normal".into())));
    assert_eq!(old.get("due"), Some(&AnyValue::I64(-1)));
    assert_eq!(old.get("done_count"), Some(&AnyValue::U32(0)));
    let new = snapshot.get("Task", later.id).unwrap().unwrap();
    assert_eq!(new.get("effort"), Some(&AnyValue::U32(0)));
    snapshot.verify("Task").unwrap();
}

mod unique_default {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Task")]
    pub struct Task {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        pub note: String,
        #[index(unique)]
        #[field(default = 7)]
        pub slot: u32,
    }
}

/// A default every old object would share, under a unique index: refused, the file
/// left as it was, as for any unique index over shared keys.
#[test]
fn a_default_under_a_unique_index_is_refused_when_objects_would_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let name = "unique-default";
    v1_file(dir.path(), name, 3);
    let path = dir.path().join(format!("{name}.insula"));
    let before = std::fs::read(&path).unwrap();
    let result = Db::builder().name(name).collection::<unique_default::Task>().open(dir.path());
    let Err(error @ Error::SchemaIncompatible { .. }) = &result else { panic!("{result:?}") };
    assert!(error.to_string().contains("share a key"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // With one object, it gets the default.
    let dir = tempfile::tempdir().unwrap();
    v1_file(dir.path(), name, 1);
    let db = Db::builder().name(name).collection::<unique_default::Task>().open(dir.path()).unwrap();
    let task = db.collection::<unique_default::Task>().get_by(unique_default::Task::SLOT, 7).unwrap();
    assert_eq!(task.map(|task| task.id), Some(1));
}
