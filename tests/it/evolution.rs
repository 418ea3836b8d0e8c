//! Schema evolution on open: each kind of change, on a file written by the old struct
//! and opened with the new one. Compatible changes migrate in one transaction without
//! rewriting records; breaking ones are refused and leave the file byte for byte as it
//! was.

use insula::prelude::*;
use insula::schema::Change;
use insula::{Error, MigrationProgress};
use redb::ReadableDatabase;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Each module is one version of the collection `Note`.
mod v1 {
    use insula::prelude::*;

    #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
    pub enum Mood {
        #[default]
        Calm,
        Busy,
    }

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub struct Note {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        pub stars: u32,
        pub draft: bool,
        pub email: String,
        pub mood: Mood,
    }
}

fn v1_notes() -> Vec<v1::Note> {
    (1..=20)
        .map(|i| v1::Note {
            id: 0,
            title: format!("note {i}"),
            stars: i % 5,
            draft: i % 2 == 0,
            email: format!("user{}@example.com", i % 10),
            mood: if i % 3 == 0 { v1::Mood::Busy } else { v1::Mood::Calm },
        })
        .collect()
}

/// Writes the v1 notes to a fresh file and returns its directory and path.
fn v1_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    use v1::NoteAccessor;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name(name).collection::<v1::Note>().open(dir.path()).unwrap();
    let mut notes = v1_notes();
    db.write_txn_sync(|txn| txn.notes().put_all(&mut notes)).unwrap();
    let path = db.path().to_owned();
    drop(db);
    (dir, path)
}

fn tables(path: &Path) -> Vec<String> {
    let raw = redb::Database::open(path).unwrap();
    let txn = raw.begin_read().unwrap();
    txn.list_tables().unwrap().map(|table| redb::TableHandle::name(&table).to_owned()).collect()
}

mod added {
    use super::v1::Mood;
    use insula::prelude::*;

    /// A field added, one removed (`draft`), one widened to `Option`, and the rest
    /// declared in another order.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub struct Note {
        pub mood: Mood,
        pub pinned: bool,
        pub stars: Option<u32>,
        pub email: String,
        #[index]
        pub title: String,
        #[id]
        pub id: Id,
        pub tags: Vec<String>,
    }
}

#[test]
fn fields_added_removed_widened_and_reordered_migrate_without_rewriting_records() {
    use added::NoteAccessor;
    let (dir, path) = v1_file("fields");
    let before = crate::common::raw_records(&path, "Note");
    let db = Db::builder().name("fields").collection::<added::Note>().open(dir.path()).unwrap();
    let notes = db.notes().all().unwrap();
    assert_eq!(notes.len(), 20);
    for (note, old) in notes.iter().zip(v1_notes()) {
        assert_eq!(note.title, old.title, "data kept");
        assert_eq!(note.stars, Some(old.stars), "widened to Some");
        assert_eq!(note.mood, old.mood);
        assert!(!note.pinned && note.tags.is_empty(), "new fields read their defaults");
    }
    // Queries and index maintenance work across old and new records.
    let mut new = added::Note { title: "fresh".into(), pinned: true, stars: None, ..Default::default() };
    db.write_txn_sync(|txn| txn.notes().put(&mut new)).unwrap();
    assert_eq!(db.notes().query().filter(added::Note::STARS.is_none()).count().unwrap(), 1);
    assert_eq!(
        db.notes().query().filter(added::Note::TITLE.eq("note 3")).find_first().unwrap().unwrap().stars,
        Some(3)
    );
    // Equality reads old records through their layout: a string compared as stored
    // bytes, a widened field through its old, non-nullable slot.
    assert_eq!(db.notes().query().filter(added::Note::EMAIL.eq("user3@example.com")).count().unwrap(), 2);
    assert_eq!(db.notes().query().filter(added::Note::STARS.eq(Some(3))).count().unwrap(), 4);
    db.notes().verify().unwrap();
    drop(db);
    let after = crate::common::raw_records(&path, "Note");
    assert_eq!(&after[..20], &before[..], "old records were not rewritten");

    // And it opens again, with both layouts in the file.
    let db = Db::builder().name("fields").collection::<added::Note>().open(dir.path()).unwrap();
    assert_eq!(db.notes().count().unwrap(), 21);
}

mod indexed {
    use super::v1::Mood;
    use insula::prelude::*;

    /// `title`'s index removed; `stars` and (unique) `email` indexed; a renamed Rust
    /// field keeping its stored name.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub struct Note {
        #[id]
        pub id: Id,
        pub title: String,
        #[index]
        pub stars: u32,
        #[field(name = "draft")]
        pub is_draft: bool,
        #[index(unique)]
        pub email: String,
        pub mood: Mood,
    }
}

#[test]
fn an_added_unique_index_over_duplicates_is_refused_naming_two_objects() {
    let (dir, path) = v1_file("unique_dup");
    let before = std::fs::read(&path).unwrap();
    let result = Db::builder().name("unique_dup").collection::<indexed::Note>().open(dir.path());
    let Err(error) = result else { panic!("{result:?}") };
    let Error::SchemaIncompatible { changes, .. } = &error else { panic!("{error:?}") };
    assert!(
        changes
            .iter()
            .any(|change| matches!(change, Change::UniqueIndexViolated { first: 1, second: 11, .. })),
        "{changes:?}"
    );
    assert!(error.to_string().contains("objects 1 and 11 share a key"), "{error}");
    assert!(std::fs::read(&path).unwrap() == before, "the file is byte-identical");
}

#[test]
fn indexes_added_are_filled_and_removed_ones_dropped() {
    let (dir, path) = v1_file("indexes");
    // Make the emails unique first, with the old schema.
    {
        use v1::NoteAccessor;
        let db = Db::builder().name("indexes").collection::<v1::Note>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| {
            let notes = txn.notes();
            for mut note in notes.query().find_all()? {
                note.email = format!("user{}@example.com", note.id);
                notes.put(&mut note)?;
            }
            Ok::<_, Error>(())
        })
        .unwrap();
    }
    use_indexed(&dir, &path);
}

fn use_indexed(dir: &tempfile::TempDir, path: &Path) {
    use indexed::NoteAccessor;
    let reports = Arc::new(Mutex::new(Vec::<MigrationProgress>::new()));
    let seen = reports.clone();
    let db = Db::builder()
        .name("indexes")
        .collection::<indexed::Note>()
        .on_progress(move |progress| seen.lock().unwrap().push(progress.clone()))
        .open(dir.path())
        .unwrap();
    let reports = reports.lock().unwrap().clone();
    assert!(reports.iter().any(|p| p.index == "stars" && p.done == 20 && p.total == 20), "{reports:?}");
    assert!(reports.iter().any(|p| p.index == "email" && p.done == 20), "{reports:?}");

    let stars = db.notes().query().filter(indexed::Note::STARS.eq(2));
    assert!(stars.explain().unwrap().starts_with("index `stars`"), "{}", stars.explain().unwrap());
    assert_eq!(stars.count().unwrap(), 4);
    assert_eq!(db.notes().get_by(indexed::Note::EMAIL, "user7@example.com").unwrap().unwrap().id, 7);
    assert!(db.notes().get(2).unwrap().unwrap().is_draft, "the renamed field kept its data");
    db.notes().verify().unwrap();
    drop(db);
    let tables = tables(path);
    assert!(!tables.iter().any(|name| name == "insula:i:Note:title"), "{tables:?}");
    assert!(tables.iter().any(|name| name == "insula:i:Note:stars"), "{tables:?}");
}

mod more_moods {
    use insula::prelude::*;

    #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
    pub enum Mood {
        Happy,
        #[default]
        Calm,
        Busy,
    }

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub struct Note {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        pub stars: u32,
        pub draft: bool,
        pub email: String,
        pub mood: Mood,
    }
}

#[test]
fn an_enum_gaining_variants_is_compatible() {
    use more_moods::NoteAccessor;
    let (dir, _) = v1_file("moods");
    let db = Db::builder().name("moods").collection::<more_moods::Note>().open(dir.path()).unwrap();
    assert_eq!(db.notes().get(3).unwrap().unwrap().mood, more_moods::Mood::Busy);
    assert_eq!(db.notes().get(1).unwrap().unwrap().mood, more_moods::Mood::Calm);
}

mod retyped {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub struct Note {
        #[id]
        pub key: Id,
        #[index]
        pub title: String,
        pub stars: i32,
        pub draft: bool,
        pub email: String,
    }
}

#[test]
fn a_changed_type_or_id_is_refused_and_every_change_listed() {
    let (dir, path) = v1_file("retyped");
    let before = std::fs::read(&path).unwrap();
    let result = Db::builder().name("retyped").collection::<retyped::Note>().open(dir.path());
    let Err(Error::SchemaIncompatible { changes, .. }) = result else { panic!("{result:?}") };
    let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert!(text.contains(&"id field changed from `id` to `key` [breaking]".to_owned()), "{text:?}");
    assert!(
        text.contains(&"field `stars` changed from `stars: u32` to `stars: i32` [breaking]".to_owned()),
        "{text:?}"
    );
    assert!(
        text.iter().any(|change| change.starts_with("field `mood: enum Mood")),
        "every change, compatible too: {text:?}"
    );
    assert!(std::fs::read(&path).unwrap() == before, "the file is byte-identical");
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Tag {
    #[id]
    pub id: Id,
    pub label: String,
}

#[test]
fn a_collection_added_is_created_and_others_are_kept() {
    use v1::NoteAccessor;
    let (dir, _) = v1_file("grown");
    let db =
        Db::builder().name("grown").collection::<v1::Note>().collection::<Tag>().open(dir.path()).unwrap();
    assert_eq!(db.tags().count().unwrap(), 0);
    assert_eq!(db.notes().count().unwrap(), 20);
}

mod stars_indexed {
    use super::v1::Mood;
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub struct Note {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        #[index]
        pub stars: u32,
        pub draft: bool,
        pub email: String,
        pub mood: Mood,
    }
}

#[test]
fn a_failed_migration_leaves_the_old_file_usable() {
    let (dir, path) = v1_file("failing");
    // Damage one record: filling the new `stars` index must read it, and fails.
    {
        let raw = redb::Database::open(&path).unwrap();
        let txn = raw.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<u64, &[u8]>::new("insula:c:Note"))
            .unwrap()
            .insert(7, [0xde, 0xad].as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    // Only a non-unique index is added, so nothing is read before the write
    // transaction: the failure happens inside it, part-way through the back-fill.
    let result = Db::builder().name("failing").collection::<stars_indexed::Note>().open(dir.path());
    assert!(matches!(result, Err(Error::Corrupted { collection: "Note", .. })), "{result:?}");
    use v1::NoteAccessor;
    let db = Db::builder().name("failing").collection::<v1::Note>().open(dir.path()).unwrap();
    assert_eq!(db.notes().count().unwrap(), 20);
    assert_eq!(db.notes().get(3).unwrap().unwrap().title, "note 3");
    drop(db);
    assert!(
        !tables(&path).iter().any(|name| name == "insula:i:Note:stars"),
        "the aborted migration left nothing"
    );
}

mod widened_index {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Counter")]
    pub struct V1 {
        #[id]
        pub id: Id,
        #[index]
        pub value: u32,
        pub note: String,
    }

    /// `value` widened to `Option`, still indexed.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Counter")]
    pub struct V2 {
        #[id]
        pub id: Id,
        #[index]
        pub value: Option<u32>,
    }

    /// `note` added back, after V2 removed it.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Counter")]
    pub struct V3 {
        #[id]
        pub id: Id,
        #[index]
        pub value: Option<u32>,
        pub note: String,
    }
}

#[test]
fn a_widened_indexed_field_is_reindexed_and_a_readded_field_reads_its_default() {
    use widened_index::*;
    let dir = tempfile::tempdir().unwrap();
    {
        use widened_index::V1Accessor;
        let db = Db::builder().name("widened").collection::<V1>().open(dir.path()).unwrap();
        let mut rows: Vec<V1> =
            (0..10).map(|i| V1 { id: 0, value: i % 3, note: format!("old {i}") }).collect();
        db.write_txn_sync(|txn| txn.v1s().put_all(&mut rows)).unwrap();
    }
    {
        use widened_index::V2Accessor;
        let db = Db::builder().name("widened").collection::<V2>().open(dir.path()).unwrap();
        assert_eq!(
            db.v2s().query().filter(V2::VALUE.eq(Some(1))).count().unwrap(),
            3,
            "old objects are found"
        );
        db.v2s().verify().unwrap();
        let mut one = db.v2s().get(2).unwrap().unwrap();
        one.value = None;
        db.write_txn_sync(|txn| txn.v2s().put(&mut one)).unwrap();
        db.v2s().verify().unwrap();
    }
    use widened_index::V3Accessor;
    let db = Db::builder().name("widened").collection::<V3>().open(dir.path()).unwrap();
    assert_eq!(db.v3s().get(1).unwrap().unwrap().note, "", "a removed field's old values are gone");
    db.v3s().verify().unwrap();
}

#[test]
fn a_migration_holds_no_process_wide_lock() {
    let (dir, _) = v1_file("unlocked");
    let other = tempfile::tempdir().unwrap();
    let other_path = other.path().to_owned();
    let (done, finished) = std::sync::mpsc::channel();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    std::thread::spawn(move || {
        // The progress callback reaches the registry, for another name and for its own.
        let result = Db::builder()
            .name("unlocked")
            .collection::<stars_indexed::Note>()
            .on_progress(move |_| {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                assert!(
                    Db::instance("unlocked").is_none(),
                    "an instance that is still opening is not handed out"
                );
                let side = Db::builder().name("unlocked-side").collection::<Tag>().open(&other_path).unwrap();
                drop(side);
            })
            .open(dir.path());
        let _ = done.send(result.map(|_| ()));
    });
    let result = finished.recv_timeout(std::time::Duration::from_secs(30)).expect("no deadlock");
    result.unwrap();
    assert!(
        calls.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the callback ran, at the start and the end"
    );
}

/// Two versions of a collection that stores an embedded struct whose fields changed.
mod embedded_v1 {
    use insula::prelude::*;

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub struct Place {
        pub city: String,
    }

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Visit")]
    pub struct Visit {
        #[id]
        pub id: Id,
        pub place: Place,
    }
}

mod embedded_v2 {
    use insula::prelude::*;

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub struct Place {
        pub city: String,
        pub zip: u32,
    }

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Visit")]
    pub struct Visit {
        #[id]
        pub id: Id,
        pub place: Place,
    }
}

#[test]
fn an_embedded_structs_fields_changed_is_refused_as_breaking() {
    use embedded_v1::VisitAccessor;
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder()
            .name("embedded_change")
            .collection::<embedded_v1::Visit>()
            .open(dir.path())
            .unwrap();
        let mut visit =
            embedded_v1::Visit { place: embedded_v1::Place { city: "Oslo".into() }, ..Default::default() };
        db.write_txn_sync(|txn| txn.visits().put(&mut visit)).unwrap();
        db.path().to_owned()
    };
    let before = std::fs::read(&path).unwrap();
    let result = Db::builder().name("embedded_change").collection::<embedded_v2::Visit>().open(dir.path());
    let Err(Error::SchemaIncompatible { changes, .. }) = result else { panic!("{result:?}") };
    let [Change::FieldTypeChanged { old, new }] = &changes[..] else { panic!("{changes:?}") };
    assert_eq!(old.name, "place");
    assert_eq!(new.to_string(), "place: embedded Place { city: string, zip: u32 }");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is byte-identical");
}

mod renamed {
    pub mod v1 {
        use insula::prelude::*;

        #[derive(Collection, Debug, Clone, Default, PartialEq)]
        #[collection(name = "Post")]
        pub struct Post {
            #[id]
            pub id: Id,
            pub body: String,
            pub title: String,
        }
    }

    pub mod v2 {
        use insula::prelude::*;

        /// `body` renamed in Rust and in the file: its values go.
        #[derive(Collection, Debug, Clone, Default, PartialEq)]
        #[collection(name = "Post")]
        pub struct Post {
            #[id]
            pub id: Id,
            pub content: String,
            pub title: String,
        }
    }

    pub mod v2_kept {
        use insula::prelude::*;

        /// `body` renamed in Rust only: the stored name keeps the values.
        #[derive(Collection, Debug, Clone, Default, PartialEq)]
        #[collection(name = "Post")]
        pub struct Post {
            #[id]
            pub id: Id,
            #[field(name = "body")]
            pub content: String,
            pub title: String,
        }
    }
}

#[test]
fn a_removal_says_it_drops_values_and_a_likely_rename_shows_the_attribute_that_keeps_them() {
    use insula::schema::{Change, SchemaDef, classify};
    use renamed::{v1, v2, v2_kept};

    let dir = tempfile::tempdir().unwrap();
    let name = "evolution-rename";
    {
        let db = Db::builder().name(name).collection::<v1::Post>().open(dir.path()).unwrap();
        let mut post = v1::Post { id: 0, body: "kept?".into(), title: "t".into() };
        db.write_txn_sync(|txn| txn.collection::<v1::Post>().put(&mut post)).unwrap();
    }
    let path = dir.path().join(format!("{name}.insula"));
    let expected = "field `body: string` removed and `content: string` added, dropping the stored values of `body`; \
                    if it was renamed, keep them with `#[field(name = \"body\")]` on `content` [compatible]";
    // The dry run, the classifier the lock check uses, and the open say the same.
    let plan = Db::builder().name(name).collection::<v2::Post>().plan(&path).unwrap();
    let insula::Action::Migrate(changes) = &plan[0].1 else { panic!("{plan:?}") };
    assert_eq!(changes.iter().map(ToString::to_string).collect::<Vec<_>>(), [expected]);
    let classified = classify(&SchemaDef::from(&v1::Post::SCHEMA), &SchemaDef::from(&v2::Post::SCHEMA));
    assert_eq!(&classified, changes);
    assert!(
        matches!(&classified[0], Change::LooksRenamed { old, new } if old.name == "body" && new.name == "content")
    );

    // Kept by the stored name: nothing to do, and the value is there.
    let kept = Db::builder().name(name).collection::<v2_kept::Post>().plan(&path).unwrap();
    assert_eq!(kept[0].1, insula::Action::Nothing);
    {
        let db = Db::builder().name(name).collection::<v2_kept::Post>().open(dir.path()).unwrap();
        assert_eq!(db.collection::<v2_kept::Post>().get(1).unwrap().unwrap().content, "kept?");
    }
    // Renamed in the file too: the values are gone, as the verdict said.
    let db = Db::builder().name(name).collection::<v2::Post>().open(dir.path()).unwrap();
    let post = db.collection::<v2::Post>().get(1).unwrap().unwrap();
    assert_eq!((post.content.as_str(), post.title.as_str()), ("", "t"));

    // A plain removal says what it drops; two candidates of one type are no rename.
    let removal = classify(&SchemaDef::from(&v2::Post::SCHEMA), &SchemaDef::from(&v1::Post::SCHEMA));
    assert_eq!(removal.len(), 1, "{removal:?}");
    let ambiguous = classify(&SchemaDef::from(&v1::Post::SCHEMA), &SchemaDef::from(&Renamed2::SCHEMA));
    let words: Vec<String> = ambiguous.iter().map(ToString::to_string).collect();
    assert!(
        words.contains(&"field `body: string` removed, dropping its stored values [compatible]".to_owned()),
        "{words:?}"
    );
    assert!(words.iter().all(|word| !word.contains("renamed")), "{words:?}");
}

/// `body` gone and two strings added: which one it became is anyone's guess.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
#[collection(name = "Post")]
struct Renamed2 {
    #[id]
    id: Id,
    text: String,
    summary: String,
    title: String,
}

/// Versions of a collection whose embedded struct is renamed in Rust.
mod embedded_rename {
    pub mod v1 {
        use insula::prelude::*;

        #[derive(Embedded, Debug, Clone, Default, PartialEq)]
        pub struct Embedded1 {
            pub x: u32,
            pub label: String,
        }

        #[derive(Collection, Debug, Clone, Default, PartialEq)]
        #[collection(name = "Holder")]
        pub struct Holder {
            #[id]
            pub id: Id,
            pub inner: Embedded1,
        }
    }

    /// Only the embedded struct's Rust name changed.
    pub mod renamed {
        use insula::prelude::*;

        #[derive(Embedded, Debug, Clone, Default, PartialEq)]
        pub struct Embedded2 {
            pub x: u32,
            pub label: String,
        }

        #[derive(Collection, Debug, Clone, Default, PartialEq)]
        #[collection(name = "Holder")]
        pub struct Holder {
            #[id]
            pub id: Id,
            pub inner: Embedded2,
        }
    }

    /// The rename and an unrelated added field.
    pub mod renamed_and_added {
        use insula::prelude::*;

        #[derive(Embedded, Debug, Clone, Default, PartialEq)]
        pub struct Embedded2 {
            pub x: u32,
            pub label: String,
        }

        #[derive(Collection, Debug, Clone, Default, PartialEq)]
        #[collection(name = "Holder")]
        pub struct Holder {
            #[id]
            pub id: Id,
            pub inner: Embedded2,
            pub note: String,
        }
    }
}

/// One rule for embedded type names: the data decides. The hash leaves the Rust name
/// out, and so do the classifier and the check of the stored text, in all three cases.
#[test]
fn renaming_an_embedded_struct_is_no_change_whatever_comes_with_it() {
    use embedded_rename::{renamed, renamed_and_added, v1};
    use insula::schema::{Change, SchemaDef, classify};

    assert_eq!(v1::Holder::SCHEMA.hash(), renamed::Holder::SCHEMA.hash());
    let added =
        classify(&SchemaDef::from(&v1::Holder::SCHEMA), &SchemaDef::from(&renamed_and_added::Holder::SCHEMA));
    assert!(matches!(added.as_slice(), [Change::FieldAdded(field)] if field.name == "note"), "{added:?}");

    for (case, also_renamed_writes) in [("alone", false), ("then written", true)] {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("evolution-embedded-{}", also_renamed_writes);
        {
            let db = Db::builder().name(&name).collection::<v1::Holder>().open(dir.path()).unwrap();
            let mut holder = v1::Holder { id: 0, inner: v1::Embedded1 { x: 7, label: "one".into() } };
            db.write_txn_sync(|txn| txn.collection::<v1::Holder>().put(&mut holder)).unwrap();
        }
        let path = dir.path().join(format!("{name}.insula"));
        // The rename alone: nothing to do.
        let plan = Db::builder().name(&name).collection::<renamed::Holder>().plan(&path).unwrap();
        assert_eq!(plan[0].1, insula::Action::Nothing, "{case}");
        if also_renamed_writes {
            let db = Db::builder().name(&name).collection::<renamed::Holder>().open(dir.path()).unwrap();
            let mut holder =
                renamed::Holder { id: 0, inner: renamed::Embedded2 { x: 8, label: "two".into() } };
            db.write_txn_sync(|txn| txn.collection::<renamed::Holder>().put(&mut holder)).unwrap();
        }
        // The rename with an unrelated change: that change only.
        let plan = Db::builder().name(&name).collection::<renamed_and_added::Holder>().plan(&path).unwrap();
        let insula::Action::Migrate(changes) = &plan[0].1 else { panic!("{case}: {plan:?}") };
        assert_eq!(
            changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["field `note: string` added [compatible]"],
            "{case}"
        );
        let db =
            Db::builder().name(&name).collection::<renamed_and_added::Holder>().open(dir.path()).unwrap();
        let all = db.collection::<renamed_and_added::Holder>().all().unwrap();
        assert_eq!(all[0].inner, renamed_and_added::Embedded2 { x: 7, label: "one".into() }, "{case}");
        assert_eq!(all.len(), 1 + usize::from(also_renamed_writes), "{case}");
    }
}
