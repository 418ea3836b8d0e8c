//! Operations on an instance's file: read-only and in-memory instances, durability,
//! backups, compaction and statistics, with real files and, where a crash matters, real
//! processes.

use crate::common::{QUICK, with_watchdog};
use insula::prelude::*;
use insula::{Durability, Error};
use insula_workspace::model::{Message, MessageAccessor};
use insula_workspace::testing::{BATCH, Entry, EntryAccessor};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
#[collection(name = "Message")]
struct MessageWithMood {
    #[id]
    id: Id,
    #[index]
    author: String,
    content: String,
    created_at: i64,
    likes: u32,
    tags: Vec<String>,
    reply_to: Option<Id>,
    mood: String,
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Draft {
    #[id]
    id: Id,
    #[index(unique)]
    title: String,
}

fn messages(count: usize) -> Vec<Message> {
    (0..count)
        .map(|i| Message {
            author: format!("author {}", i % 7),
            content: format!("message {i} {}", "x".repeat(i % 50)),
            likes: (i % 1000) as u32,
            tags: vec![format!("tag {}", i % 3), "all".into()],
            ..Default::default()
        })
        .collect()
}

/// Opens `name` in `dir` with `Message`, writes `count` messages, and closes it.
fn write_file(dir: &Path, name: &str, count: usize) {
    let db = Db::builder().name(name).collection::<Message>().open(dir).unwrap();
    let mut batch = messages(count);
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
}

#[test]
fn a_read_only_instance_reads_everything_and_changes_no_byte_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "ops-ro", 300);
    let path = dir.path().join("ops-ro.insula");
    let before = std::fs::read(&path).unwrap();

    let db = Db::builder().name("ops-ro").collection::<Message>().read_only().open(dir.path()).unwrap();
    assert_eq!(db.messages().count().unwrap(), 300);
    let by_author = db.messages().query().filter(Message::AUTHOR.eq("author 3")).count().unwrap();
    assert_eq!(by_author, (0..300).filter(|i| i % 7 == 3).count());
    db.read_txn_sync(|txn| {
        assert_eq!(txn.messages().get(5)?.unwrap().likes, 4);
        Ok(())
    })
    .unwrap();
    db.messages().verify().unwrap();

    // Every write is refused, and says so.
    let write = db.write_txn_sync(|txn| txn.messages().put(&mut Message::default()));
    let Err(Error::ReadOnly { instance, what }) = &write else { panic!("{write:?}") };
    assert_eq!((instance.as_str(), what.as_str()), ("ops-ro", "run a write transaction"));
    assert!(write.unwrap_err().to_string().contains("is read-only"));
    assert!(matches!(db.compact(), Err(Error::ReadOnly { .. })));
    db.flush().unwrap(); // nothing to make durable
    let stats = db.stats().unwrap();
    assert_eq!((stats.file_bytes, stats.free_bytes), (before.len() as u64, None));
    assert_eq!(stats.collections[0].objects, 300);

    // The same name cannot be had for writing in this process meanwhile.
    let writable = Db::builder().name("ops-ro").collection::<Message>().open(dir.path());
    assert!(matches!(writable, Err(Error::AccessMismatch { read_only: true, .. })), "{writable:?}");
    // A second read-only open is the same instance.
    let again = Db::builder().name("ops-ro").collection::<Message>().read_only().open(dir.path()).unwrap();
    assert_eq!(again.messages().count().unwrap(), 300);
    drop((db, again));
    assert_eq!(std::fs::read(&path).unwrap(), before, "a read-only instance wrote to the file");
}

#[cfg(unix)]
#[test]
fn a_file_without_write_permission_opens_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "ops-0444", 10);
    let path = dir.path().join("ops-0444.insula");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let db = Db::builder().name("ops-0444").collection::<Message>().read_only().open(dir.path()).unwrap();
    assert_eq!(db.messages().count().unwrap(), 10);
}

#[test]
fn a_read_only_open_refuses_a_file_that_would_need_a_write() {
    let dir = tempfile::tempdir().unwrap();

    // No file: nothing is created, not even the directory; the dry run says the file
    // would be created.
    let missing = dir.path().join("nowhere");
    let plan =
        Db::builder().name("ops-ro-missing").collection::<Message>().plan(missing.join("x.insula")).unwrap();
    assert_eq!(plan, [("Message".to_owned(), insula::Action::Create)]);
    let result = Db::builder().name("ops-ro-missing").collection::<Message>().read_only().open(&missing);
    assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
    assert!(!missing.exists());

    write_file(dir.path(), "ops-ro-refuse", 5);
    let path = dir.path().join("ops-ro-refuse.insula");
    let before = std::fs::read(&path).unwrap();
    // A schema change would migrate.
    let result =
        Db::builder().name("ops-ro-refuse").collection::<MessageWithMood>().read_only().open(dir.path());
    let Err(Error::ReadOnly { what, .. }) = &result else { panic!("{result:?}") };
    assert!(what.contains("collection `Message`") && what.contains("field `mood: string` added"), "{what}");
    // A collection the file lacks would be created.
    let result = Db::builder()
        .name("ops-ro-refuse")
        .collection::<Message>()
        .collection::<Draft>()
        .read_only()
        .open(dir.path());
    let Err(Error::ReadOnly { what, .. }) = &result else { panic!("{result:?}") };
    assert!(what.contains("collection `Draft`") && what.contains("create the collection"), "{what}");
    assert!(Db::instance("ops-ro-refuse").is_none(), "a refused open registers nothing");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_file_left_by_a_killed_writer_has_a_dry_run_verdict_and_needs_a_writable_open_first() {
    let dir = crashed("killed");

    // The dry run gives its verdict on the file, repairing a copy in memory: the file
    // is not touched.
    let path = dir.path().join("killed.insula");
    let before = std::fs::read(&path).unwrap();
    let plan = Db::builder().name("killed").collection::<Entry>().plan(&path).unwrap();
    assert_eq!(plan, [("Entry".to_owned(), insula::Action::Nothing)]);
    let plan = Db::builder().name("killed").collection::<Entry>().collection::<Draft>().plan(&path).unwrap();
    assert_eq!(plan[0], ("Draft".to_owned(), insula::Action::Create));
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let read_only = || Db::builder().name("killed").collection::<Entry>().read_only().open(dir.path());
    let result = read_only();
    let Err(error @ Error::NeedsRepair { .. }) = &result else { panic!("{result:?}") };
    assert!(error.to_string().contains("open it once for writing"), "{error}");
    // A writable open repairs it; then it opens read-only with every commit.
    let count = Db::builder()
        .name("killed")
        .collection::<Entry>()
        .open(dir.path())
        .unwrap()
        .entries()
        .count()
        .unwrap();
    assert!(count >= u64::from(BATCH));
    assert_eq!(read_only().unwrap().entries().count().unwrap(), count);
}

/// Starts `hold_instance` on `dir` with `args` and waits for its first line.
fn hold(dir: &Path, args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hold_instance"))
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (ready, _) = first_line(child.stdout.take().unwrap());
    (child, ready.trim().to_owned())
}

/// The first line a helper process prints, under a watchdog: a helper that hangs
/// fails the test instead of the suite. The rest of its output comes back unread: while
/// it is held, the helper's later lines do not meet a closed pipe.
fn first_line(stdout: std::process::ChildStdout) -> (String, BufReader<std::process::ChildStdout>) {
    with_watchdog(QUICK, move || {
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        stdout.read_line(&mut line).unwrap();
        (line, stdout)
    })
}

#[derive(Collection, Debug, Default)]
#[collection(name = "Note")]
struct HeldNote {
    #[id]
    id: Id,
    text: String,
}

#[test]
fn read_only_instances_in_two_processes_share_a_file_and_exclude_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, ready) = hold(dir.path(), &[]);
    assert_eq!(ready, "ready");
    drop(writer.stdin.take());
    assert!(writer.wait().unwrap().success());

    let (mut reader, ready) = hold(dir.path(), &["read-only"]);
    assert_eq!(ready, "ready 1");
    let builder = || Db::builder().name("held").collection::<HeldNote>();
    let db = builder().read_only().open(dir.path()).unwrap();
    assert_eq!(db.held_notes().get(1).unwrap().unwrap().text, "held");
    drop(db);
    // A writer is excluded while another process reads, and told why.
    let result = builder().open(dir.path());
    let Err(error @ Error::AlreadyOpen { .. }) = &result else { panic!("{result:?}") };
    assert!(error.to_string().contains("in use by another process"));
    drop(reader.stdin.take());
    assert!(reader.wait().unwrap().success());
    builder().open(dir.path()).unwrap();
}

#[test]
fn in_memory_instances_are_private_and_keep_every_rule() {
    let first =
        Db::builder().name("ops-mem").collection::<Message>().collection::<Draft>().open_in_memory().unwrap();
    let second = Db::builder().name("ops-mem").collection::<Message>().open_in_memory().unwrap();
    assert_eq!(first.path(), Path::new(":memory:"));
    assert!(Db::instance("ops-mem").is_none(), "an in-memory instance is not in the registry");

    let changes = first.messages().watch_lazy();
    let mut batch = messages(50);
    first.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    with_watchdog(QUICK, move || changes.recv_timeout(QUICK).unwrap());
    assert_eq!((first.messages().count().unwrap(), second.messages().count().unwrap()), (50, 0));
    assert_eq!(first.messages().query().filter(Message::AUTHOR.eq("author 1")).count().unwrap(), 7);
    // Unique indexes, aborts and nested writes behave as on a file.
    first.write_txn_sync(|txn| txn.drafts().put(&mut Draft { id: 0, title: "a".into() })).unwrap();
    let clash = first.write_txn_sync(|txn| txn.drafts().put(&mut Draft { id: 0, title: "a".into() }));
    assert!(matches!(clash, Err(Error::UniqueViolation { .. })), "{clash:?}");
    let nested = first.write_txn_sync(|_| first.write_txn_sync(|_| Ok(())));
    assert!(matches!(nested, Err(Error::NestedTransaction { .. })), "{nested:?}");

    // A file instance of the same name is another instance, and the in-memory one's
    // close does not take its name from the registry.
    let dir = tempfile::tempdir().unwrap();
    let on_file = Db::builder().name("ops-mem").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(on_file.messages().count().unwrap(), 0);
    drop((first, second));
    assert!(Db::instance("ops-mem").is_some());
    drop(on_file);

    // Read-only has nothing to read in memory.
    let result = Db::builder().name("ops-mem").collection::<Message>().read_only().open_in_memory();
    assert!(matches!(result, Err(Error::ReadOnly { .. })), "{result:?}");
}

#[test]
fn an_in_memory_instance_copies_to_a_file_that_opens() {
    let db = Db::builder().name("ops-mem-copy").collection::<Message>().open_in_memory().unwrap();
    let mut batch = messages(120);
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    db.write_txn_sync(|txn| txn.messages().delete_all(&[1, 2, 3])).unwrap();
    let stats = db.stats().unwrap();
    let tables = stats.collections[0].record_bytes + stats.collections[0].indexes[0].bytes;
    // In memory, the size is that of the pages in use: at least the tables' pages.
    assert!(stats.file_bytes >= tables && stats.free_bytes.is_none(), "{stats:?}");
    let compaction = db.compact().unwrap();
    assert!(compaction.bytes_after <= compaction.bytes_before, "{compaction:?}");
    assert!(compaction.bytes_before >= tables && compaction.bytes_after >= tables, "{compaction:?}");

    let dir = tempfile::tempdir().unwrap();
    db.copy_to(dir.path().join("ops-mem-copied.insula")).unwrap();
    let copy = Db::builder().name("ops-mem-copied").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(copy.messages().all().unwrap(), db.messages().all().unwrap());
    copy.messages().verify().unwrap();
}

#[test]
fn relaxed_commits_are_seen_at_once_and_a_transaction_can_choose_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder()
        .name("ops-relaxed")
        .collection::<Message>()
        .durability(Durability::Relaxed)
        .open(dir.path())
        .unwrap();
    let watcher = db.messages().watch_lazy();
    for i in 0..20 {
        let mut message = Message { likes: i, ..Default::default() };
        db.write_txn_sync(|txn| txn.messages().put(&mut message)).unwrap();
        assert_eq!(
            db.messages().get(message.id).unwrap().unwrap().likes,
            i,
            "a relaxed commit is seen at once"
        );
    }
    with_watchdog(QUICK, move || watcher.recv_timeout(QUICK).unwrap());
    db.write_txn_sync(|txn| {
        txn.set_durability(Durability::Immediate);
        txn.messages().put(&mut Message::default())
    })
    .unwrap();
    db.flush().unwrap();
    let nested = db.write_txn_sync(|_| db.flush());
    assert!(matches!(nested, Err(Error::NestedTransaction { .. })), "{nested:?}");
    drop(db);
    // Closing the instance makes relaxed commits durable too.
    let db = Db::builder().name("ops-relaxed").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(db.messages().count().unwrap(), 21);
}

/// The batches of entries in `db`, checked whole and without gaps; returns how many.
fn whole_batches(db: &Db, what: &str) -> u64 {
    let entries = db.entries().all().unwrap();
    let mut batches: BTreeMap<u64, u32> = BTreeMap::new();
    for entry in &entries {
        *batches.entry(entry.batch).or_default() += 1;
    }
    for (batch, size) in &batches {
        assert_eq!(*size, BATCH, "{what}: batch {batch} is partial");
    }
    assert_eq!(
        batches.keys().copied().collect::<Vec<_>>(),
        (0..batches.len() as u64).collect::<Vec<_>>(),
        "{what}"
    );
    db.entries().verify().unwrap_or_else(|error| panic!("{what}: {error}"));
    batches.len() as u64
}

#[test]
fn copies_taken_while_another_thread_writes_are_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let db =
        Db::builder().name("ops-copy").collection::<Entry>().collection::<Draft>().open(dir.path()).unwrap();
    db.write_txn_sync(|txn| txn.drafts().put(&mut Draft { id: 0, title: "kept".into() })).unwrap();
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            for next in 0..150u64 {
                let mut batch: Vec<Entry> = (0..BATCH)
                    .map(|seq| Entry { id: 0, batch: next, seq, label: format!("{next}.{seq}") })
                    .collect();
                db.write_txn_sync(|txn| txn.entries().put_all(&mut batch)).unwrap();
            }
        })
    };
    let backups = tempfile::tempdir().unwrap();
    let mut sizes = Vec::new();
    for copy in 0..6 {
        let bytes = db.copy_to(backups.path().join(format!("copy{copy}.insula"))).unwrap();
        sizes.push(bytes);
    }
    with_watchdog(Duration::from_secs(120), move || writer.join().unwrap());
    for copy in 0..6 {
        let name = format!("copy{copy}");
        // Opened with only one of the two collections: the other was copied too.
        let copied =
            Db::builder().name(&name).collection::<Entry>().read_only().open(backups.path()).unwrap();
        whole_batches(&copied, &name);
        drop(copied);
        let copied =
            Db::builder().name(&name).collection::<Draft>().read_only().open(backups.path()).unwrap();
        assert_eq!(copied.drafts().get(1).unwrap().unwrap().title, "kept");
    }
    // The last copy, taken now, holds everything; its size is what `copy_to` said.
    let bytes = db.copy_to(backups.path().join("last.insula")).unwrap();
    assert_eq!(bytes, std::fs::metadata(backups.path().join("last.insula")).unwrap().len());
    let last = Db::builder().name("last").collection::<Entry>().read_only().open(backups.path()).unwrap();
    assert_eq!(whole_batches(&last, "last"), 150);
    // The copy's id counter came along: the next id follows the copied ones.
    drop(last);
    let last = Db::builder().name("last").collection::<Entry>().open(backups.path()).unwrap();
    let mut entry = Entry::default();
    last.write_txn_sync(|txn| txn.entries().put(&mut entry)).unwrap();
    assert_eq!(entry.id, 150 * u64::from(BATCH) + 1);

    // A copy never replaces a file.
    let again = db.copy_to(backups.path().join("last.insula"));
    assert!(
        matches!(&again, Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists),
        "{again:?}"
    );
}

#[test]
fn a_backup_killed_half_way_leaves_no_file_and_finished_ones_are_whole() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let mut checked = 0;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for kill in 0..6 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
            .args([dir.path().as_os_str(), "backup".as_ref()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // The pipe comes back open and stays so until the writer is dead: a line that met
        // a closed pipe would stop the writer before the kill, not in the middle of a copy.
        let (reported, _lines) = with_watchdog(QUICK, move || {
            let mut reported = Vec::new();
            for line in lines.by_ref() {
                if let Some(copy) = line.unwrap().strip_prefix("backup ") {
                    reported.push(copy.to_owned());
                    if reported.len() >= 2 {
                        break;
                    }
                }
            }
            (reported, lines)
        });
        std::thread::sleep(Duration::from_micros(seed % 20_000));
        child.kill().unwrap();
        child.wait().unwrap();

        let mut names = Vec::new();
        for file in std::fs::read_dir(&backups).unwrap() {
            let name = file.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".insula").filter(|_| !name.starts_with('.')) {
                names.push(stem.to_owned());
            }
        }
        for name in &reported {
            assert!(names.contains(name), "kill {kill}: reported backup {name} is missing");
        }
        for name in &names {
            let copy = Db::builder().name(name).collection::<Entry>().read_only().open(&backups).unwrap();
            whole_batches(&copy, &format!("kill {kill}: backup {name}"));
            checked += 1;
        }
        std::fs::remove_dir_all(&backups).unwrap();
    }
    assert!(checked >= 12, "{checked} backups checked");
}

#[test]
fn compaction_gives_back_free_space_and_keeps_every_object() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("ops-compact").collection::<Message>().open(dir.path()).unwrap();
    let mut batch = messages(4_000);
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    let ids: Vec<Id> = batch.iter().map(|message| message.id).filter(|id| id % 4 != 0).collect();
    db.write_txn_sync(|txn| txn.messages().delete_all(&ids)).unwrap();
    let kept = db.messages().all().unwrap();
    let stats = db.stats().unwrap();
    assert!(stats.free_bytes.unwrap() > stats.file_bytes / 3, "{stats:?}");

    // A read transaction open on another thread holds pages the compaction would move.
    let (started, wait) = std::sync::mpsc::channel();
    let (finish, done) = std::sync::mpsc::channel::<()>();
    let reader = {
        let db = db.clone();
        std::thread::spawn(move || {
            db.read_txn_sync(|txn| {
                started.send(()).unwrap();
                done.recv().unwrap();
                txn.messages().count()
            })
        })
    };
    wait.recv_timeout(QUICK).unwrap();
    let busy = db.compact();
    assert!(matches!(busy, Err(Error::Busy { .. })), "{busy:?}");
    finish.send(()).unwrap();
    assert_eq!(with_watchdog(QUICK, move || reader.join().unwrap()).unwrap(), 1_000);

    let nested = db.write_txn_sync(|_| db.compact().map(drop));
    assert!(matches!(nested, Err(Error::NestedTransaction { .. })), "{nested:?}");
    // Compacted in place, the file is about as small as a fresh copy of what it holds:
    // the pages that deletes left part empty are packed again.
    let copies = tempfile::tempdir().unwrap();
    let copy = db.copy_to(copies.path().join("copy.insula")).unwrap();
    let compaction = db.compact().unwrap();
    assert_eq!(compaction.bytes_before, stats.file_bytes);
    assert!(compaction.bytes_after <= copy + copy / 4, "{compaction:?}, a copy takes {copy}");
    assert_eq!(compaction.bytes_after, std::fs::metadata(db.path()).unwrap().len());
    assert_eq!(db.messages().all().unwrap(), kept);
    db.messages().verify().unwrap();
    let mut more = messages(10);
    db.write_txn_sync(|txn| txn.messages().put_all(&mut more)).unwrap();
    assert_eq!(db.messages().count().unwrap(), 1_010);
}

#[test]
fn a_file_compacts_on_open_only_past_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops-compact-open.insula");
    {
        let db = Db::builder().name("ops-compact-open").collection::<Message>().open(dir.path()).unwrap();
        let mut batch = messages(3_000);
        db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
        db.write_txn_sync(|txn| txn.messages().query().filter(Message::LIKES.ge(100)).delete_all().map(drop))
            .unwrap();
    }
    let size = || std::fs::metadata(&path).unwrap().len();
    let before = size();
    let builder = || Db::builder().name("ops-compact-open").collection::<Message>();
    drop(builder().compact_on_open(before).open(dir.path()).unwrap());
    assert!(size() >= before * 9 / 10, "compacted below the threshold: {} of {before}", size());
    let db = builder().compact_on_open(before / 4).open(dir.path()).unwrap();
    assert!(size() < before / 2, "not compacted: {} of {before}", size());
    assert_eq!(db.messages().count().unwrap(), 300);
}

#[test]
fn statistics_count_every_collection_and_index_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::builder().name("ops-stats").collection::<Draft>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.drafts().put(&mut Draft { id: 0, title: "only".into() })).unwrap();
    }
    let db = Db::builder().name("ops-stats").collection::<Message>().open(dir.path()).unwrap();
    let mut batch = messages(500);
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    let stats = db.stats().unwrap();
    assert_eq!(stats.file_bytes, std::fs::metadata(db.path()).unwrap().len());
    // What is not free holds at least every table's pages.
    let tables: u64 = stats
        .collections
        .iter()
        .map(|collection| {
            collection.record_bytes + collection.indexes.iter().map(|index| index.bytes).sum::<u64>()
        })
        .sum();
    assert!(stats.file_bytes - stats.free_bytes.unwrap() >= tables, "{stats:?}");
    // Without the types: the same collections, and free space estimated from the tables'
    // pages, which counts redb's bookkeeping as free: at least the exact figure.
    let estimate = insula::dynamic::Reader::of(&db).read().unwrap().stats().unwrap();
    assert_eq!((&estimate.collections, estimate.file_bytes), (&stats.collections, stats.file_bytes));
    let free = estimate.free_bytes.unwrap();
    assert!(
        free >= stats.free_bytes.unwrap() && stats.file_bytes - free >= tables,
        "{estimate:?} against {stats:?}"
    );
    let names: Vec<&str> = stats.collections.iter().map(|collection| collection.name.as_str()).collect();
    assert_eq!(names, ["Draft", "Message"], "a collection this instance did not open is counted too");
    let draft = &stats.collections[0];
    assert_eq!((draft.objects, draft.indexes[0].name.as_str(), draft.indexes[0].unique), (1, "title", true));
    let message = &stats.collections[1];
    assert_eq!(message.objects, 500);
    assert_eq!(message.indexes.len(), 1);
    assert_eq!((message.indexes[0].name.as_str(), message.indexes[0].entries), ("author", 500));
    assert!(message.record_bytes > 500 * 30, "{message:?}");
    assert!(message.indexes[0].bytes > 0 && message.indexes[0].bytes < message.record_bytes, "{message:?}");
    // Bytes of whole pages: stored, bookkeeping and unused bytes add up to pages of 4 KiB.
    assert_eq!((message.record_bytes % 4096, message.indexes[0].bytes % 4096), (0, 0), "{message:?}");
}

/// `Draft` under another Rust name: the stored name keeps the data.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
#[collection(name = "Draft")]
struct RenamedDraft {
    #[id]
    id: Id,
    #[index(unique)]
    title: String,
}

#[test]
fn a_collection_is_deleted_only_when_dropped_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let name = "ops-drop";
    {
        let db =
            Db::builder().name(name).collection::<Message>().collection::<Draft>().open(dir.path()).unwrap();
        let mut drafts = vec![Draft { id: 0, title: "a".into() }, Draft { id: 0, title: "b".into() }];
        db.write_txn_sync(|txn| txn.drafts().put_all(&mut drafts)).unwrap();
        db.write_txn_sync(|txn| txn.messages().put(&mut Message::default())).unwrap();
    }
    // Renaming the struct while the stored name stays keeps the data.
    {
        let db = Db::builder().name(name).collection::<RenamedDraft>().open(dir.path()).unwrap();
        assert_eq!(db.renamed_drafts().get(2).unwrap().unwrap().title, "b");
    }
    // Left out of `open`, a collection stays.
    drop(Db::builder().name(name).collection::<Message>().open(dir.path()).unwrap());
    let path = dir.path().join(format!("{name}.insula"));
    let before = std::fs::read(&path).unwrap();
    let builder = || Db::builder().name(name).collection::<Message>();
    let plan = builder().drop_collection("Draft").drop_collection("Ghost").plan(&path).unwrap();
    assert_eq!(
        plan,
        [
            ("Message".to_owned(), insula::Action::Nothing),
            ("Draft".to_owned(), insula::Action::Drop),
            ("Ghost".to_owned(), insula::Action::Nothing),
        ]
    );
    assert_eq!(plan[1].1.to_string(), "drop the collection: delete its objects, indexes and schema");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the dry run wrote");

    // Both opened and dropped: refused, before anything is written.
    let both = Db::builder().name(name).collection::<Draft>().drop_collection("Draft").open(dir.path());
    assert!(
        matches!(&both, Err(Error::DroppedAndOpened { collection, .. }) if collection == "Draft"),
        "{both:?}"
    );
    // A read-only instance cannot drop.
    let read_only = builder().drop_collection("Draft").read_only().open(dir.path());
    assert!(
        matches!(&read_only, Err(Error::ReadOnly { what, .. }) if what.contains("`Draft`")),
        "{read_only:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let db = builder().drop_collection("Draft").open(dir.path()).unwrap();
    assert_eq!(db.messages().count().unwrap(), 1);
    let names: Vec<String> =
        db.stats().unwrap().collections.into_iter().map(|collection| collection.name).collect();
    assert_eq!(names, ["Message"]);
    drop(db);
    {
        let database = redb::Database::open(&path).unwrap();
        let read = redb::ReadableDatabase::begin_read(&database).unwrap();
        let tables: Vec<String> =
            read.list_tables().unwrap().map(|table| redb::TableHandle::name(&table).to_owned()).collect();
        assert!(tables.iter().all(|table| !table.contains("Draft")), "{tables:?}");
    }
    // Dropped is dropped: a later open of `Draft` starts it afresh, ids from 1.
    let db =
        Db::builder().name(name).collection::<Draft>().drop_collection("Ghost").open(dir.path()).unwrap();
    assert_eq!(db.drafts().count().unwrap(), 0);
    let mut draft = Draft { id: 0, title: "a".into() };
    db.write_txn_sync(|txn| txn.drafts().put(&mut draft)).unwrap();
    assert_eq!(draft.id, 1);
}

#[test]
fn compacting_a_file_that_is_not_insulas_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.redb");
    {
        let database = redb::Database::create(&path).unwrap();
        let txn = database.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<u64, u64>::new("mine")).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let error = insula::dynamic::compact(&path).unwrap_err();
    assert!(matches!(&error, Error::NotADatabase { .. }), "{error:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

mod entry_v2 {
    use insula::prelude::*;

    /// `Entry` of the crash suite with `seq` as text and a unique, replacing label.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Entry", accessor = "entries_v2")]
    pub struct Entry {
        #[id]
        pub id: Id,
        #[index]
        pub batch: u64,
        pub seq: String,
        #[index(unique, replace)]
        pub label: String,
    }
}

/// A file left by a killed writer is repaired by the writable open, which then checks
/// the conversions before writing: a failing one, or converted objects that share a
/// unique key (even a replacing one), refuse the open and lose nothing.
/// A directory with the file of instance `name`, left by a writer killed after its first
/// commit: it needs a repair.
fn crashed(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
        .args([dir.path().as_os_str(), name.as_ref()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The pipe stays open until the writer is dead: a writer whose next line met a
    // closed pipe would stop with an error and close the file cleanly first.
    let (first, _rest) = first_line(child.stdout.take().unwrap());
    assert_eq!(first.trim().parse::<u64>().ok(), Some(0), "the writer's first line: {first:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    let read_only = Db::builder().name(name).collection::<Entry>().read_only().open(dir.path());
    assert!(matches!(read_only, Err(Error::NeedsRepair { .. })), "{read_only:?}");
    dir
}

#[test]
fn a_migration_of_a_file_left_by_a_crash_is_checked_before_it_writes() {
    type Convert = fn(Entry) -> Result<entry_v2::Entry, String>;
    let failing: Convert = |old| {
        if old.id == 3 {
            return Err("no".into());
        }
        Ok(entry_v2::Entry { id: old.id, batch: old.batch, seq: old.seq.to_string(), label: old.label })
    };
    let colliding: Convert = |old| {
        Ok(entry_v2::Entry { id: old.id, batch: old.batch, seq: old.seq.to_string(), label: "same".into() })
    };
    for (case, convert) in [("failing", failing), ("colliding", colliding)] {
        let name = format!("migrate-crash-{case}");
        let dir = crashed(&name);
        let error =
            Db::builder().name(&name).collection::<entry_v2::Entry>().migrate(convert).open(dir.path());
        let Err(Error::MigrationFailed { id, step, .. }) = &error else { panic!("{case}: {error:?}") };
        match case {
            "failing" => assert_eq!(*id, 3),
            _ => assert_eq!(step, "unique index `label`"),
        }
        let db = Db::builder().name(&name).collection::<Entry>().open(dir.path()).unwrap();
        let count = db.entries().count().unwrap();
        assert!(count >= u64::from(BATCH) && count % u64::from(BATCH) == 0, "{case}: {count}");
        db.entries().verify().unwrap();
    }
}
