//! A file written by the code of 2026-12-01 (format 2) is kept in
//! `tests/fixtures/format-2.insula`, with the schema that wrote it (below). Every later
//! build must open it, read every object as written, and migrate it to a later schema:
//! the format may only change in ways that keep old files readable.
//!
//! `INSULA_WRITE_FIXTURE=1 cargo test --test it fixture_file` rewrites the fixture; do
//! that only with a new format version, keeping the old fixture and its test.

use insula::prelude::*;
use std::path::{Path, PathBuf};

mod written {
    use insula::prelude::*;

    #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
    pub enum Kind {
        #[default]
        Note,
        Task,
        #[variant(name = "done")]
        Done,
    }

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub struct Place {
        pub city: String,
        pub zip: Option<u32>,
    }

    /// The schema that wrote the fixture.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Record")]
    pub struct Record {
        #[id]
        pub id: Id,
        #[index(case_insensitive)]
        pub title: String,
        #[index]
        pub tags: Vec<String>,
        #[index(unique)]
        pub code: u64,
        pub score: f64,
        pub small: i8,
        pub flag: bool,
        pub blob: Vec<u8>,
        pub kind: Kind,
        pub place: Place,
        pub places: Vec<Place>,
        pub parent: Option<Id>,
    }

    /// The objects in the fixture.
    pub fn records() -> Vec<Record> {
        (1..=40u64)
            .map(|i| Record {
                id: i,
                title: format!("Record {i} é"),
                tags: (0..i % 4).map(|t| format!("tag{t}")).collect(),
                code: 1_000 + i,
                score: i as f64 / 3.0,
                small: -(i as i8),
                flag: i % 2 == 0,
                blob: vec![i as u8; (i % 5) as usize],
                kind: [Kind::Note, Kind::Task, Kind::Done][(i % 3) as usize],
                place: Place {
                    city: format!("City {}", i % 7),
                    zip: (i % 2 == 1).then_some(10_000 + i as u32),
                },
                places: (0..i % 3).map(|p| Place { city: format!("P{p}"), zip: None }).collect(),
                parent: (i > 1).then_some(i - 1),
            })
            .collect()
    }
}

mod later {
    use super::written::{Kind, Place};
    use insula::prelude::*;

    /// A later schema: a field and an index added, one field removed.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Record")]
    pub struct Record {
        #[id]
        pub id: Id,
        #[index(case_insensitive)]
        pub title: String,
        #[index]
        pub tags: Vec<String>,
        #[index(unique)]
        pub code: u64,
        #[index]
        pub score: f64,
        pub small: i8,
        pub flag: bool,
        pub kind: Kind,
        pub place: Place,
        pub places: Vec<Place>,
        pub parent: Option<Id>,
        pub added: String,
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-2.insula")
}

/// A copy of the fixture as `name.insula` in a new directory.
fn copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture(), dir.path().join(format!("{name}.insula"))).unwrap();
    dir
}

#[test]
fn the_format_2_fixture_opens_reads_and_migrates() {
    if std::env::var_os("INSULA_WRITE_FIXTURE").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::builder().name("fixture").collection::<written::Record>().open(dir.path()).unwrap();
        let mut records = written::records();
        db.write_txn_sync(|txn| txn.collection::<written::Record>().put_all(&mut records)).unwrap();
        drop(db);
        std::fs::copy(dir.path().join("fixture.insula"), fixture()).unwrap();
    }

    // As written: nothing to do, every object as it was, every index exact.
    let dir = copy("fixture-same");
    let builder = || Db::builder().name("fixture-same").collection::<written::Record>();
    assert_eq!(builder().plan(dir.path().join("fixture-same.insula")).unwrap()[0].1, insula::Action::Nothing);
    let db = builder().open(dir.path()).unwrap();
    assert_eq!(db.collection::<written::Record>().all().unwrap(), written::records());
    db.collection::<written::Record>().verify().unwrap();
    let by_title =
        db.collection::<written::Record>().query().filter(written::Record::TITLE.eq("Record 7 é")).ids();
    assert_eq!(by_title.unwrap(), [7]);
    assert_eq!(
        db.collection::<written::Record>().get_by(written::Record::CODE, 1_013).unwrap().map(|r| r.id),
        Some(13)
    );
    assert_eq!(insula::dynamic::Reader::of(&db).read().unwrap().count("Record").unwrap(), 40);
    drop(db);

    // With a later schema: migrated on open, old objects read the new field's default.
    let dir = copy("fixture-later");
    let db = Db::builder().name("fixture-later").collection::<later::Record>().open(dir.path()).unwrap();
    let records = db.collection::<later::Record>().all().unwrap();
    let old = written::records();
    assert_eq!(records.len(), 40);
    for (record, old) in records.iter().zip(&old) {
        assert_eq!(
            (record.id, &record.title, record.code, record.kind),
            (old.id, &old.title, old.code, old.kind)
        );
        assert_eq!((&record.place, &record.places, record.added.as_str()), (&old.place, &old.places, ""));
    }
    assert_eq!(
        db.collection::<later::Record>().query().filter(later::Record::SCORE.gt(13.0)).count().unwrap(),
        1
    );
    db.collection::<later::Record>().verify().unwrap();
}
