//! Migrations for breaking changes: conversions registered with `DbBuilder::migrate`,
//! run on open over every object, chained across versions, and refused whole, with the
//! file byte for byte as it was, when a conversion fails, panics or breaks a unique index.

use insula::prelude::*;
use insula::{Action, Error};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

mod v0 {
    use insula::prelude::*;

    /// The first version: no `tag` yet.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Item")]
    pub struct Item {
        #[id]
        pub id: Id,
        pub price: u32,
    }
}

mod v1 {
    use insula::prelude::*;

    /// `tag` added (a compatible change: v0 records stay in their layout).
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Item")]
    pub struct Item {
        #[id]
        pub id: Id,
        pub price: u32,
        #[index]
        pub tag: String,
    }
}

mod v2 {
    use insula::prelude::*;

    /// `price` retyped: a breaking change.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Item")]
    pub struct Item {
        #[id]
        pub id: Id,
        pub price: String,
        #[index]
        pub tag: String,
    }
}

mod v3 {
    use insula::prelude::*;

    /// `tag` becomes a unique `label`, `price` cents again.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Item")]
    pub struct Item {
        #[id]
        pub id: Id,
        pub cents: u64,
        #[index(unique)]
        pub label: String,
    }
}

fn to_v2(old: v1::Item) -> Result<v2::Item, String> {
    Ok(v2::Item { id: old.id, price: format!("{}.{:02}", old.price / 100, old.price % 100), tag: old.tag })
}

fn to_v3(old: v2::Item) -> Result<v3::Item, String> {
    let (units, cents) = old.price.split_once('.').ok_or("no decimal point")?;
    let cents = units.parse::<u64>().map_err(|error| error.to_string())? * 100
        + cents.parse::<u64>().map_err(|error| error.to_string())?;
    Ok(v3::Item { id: old.id, cents, label: format!("{}-{}", old.tag, old.id) })
}

/// A file `name.insula` at v1 holding 1,000 items, the first 300 written by v0 (so in
/// its older layout, with no tag); returns the directory and the file's path.
fn v1_file(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::builder().name(name).collection::<v0::Item>().open(dir.path()).unwrap();
        let mut items: Vec<v0::Item> = (0..300).map(|i| v0::Item { id: 0, price: i * 7 }).collect();
        db.write_txn_sync(|txn| txn.collection::<v0::Item>().put_all(&mut items)).unwrap();
    }
    let db = Db::builder().name(name).collection::<v1::Item>().open(dir.path()).unwrap();
    let mut items: Vec<v1::Item> =
        (300..1_000).map(|i| v1::Item { id: 0, price: i * 7, tag: format!("t{}", i % 10) }).collect();
    db.write_txn_sync(|txn| txn.collection::<v1::Item>().put_all(&mut items)).unwrap();
    let path = db.path().to_owned();
    (dir, path)
}

#[test]
fn every_object_is_converted_on_open_with_its_id_and_indexes() {
    let (dir, path) = v1_file("migrate-one");
    let builder = || Db::builder().name("migrate-one").collection::<v2::Item>();
    // Without the migration, the change is refused as before.
    let refused = builder().open(dir.path());
    assert!(matches!(refused, Err(Error::SchemaIncompatible { .. })), "{refused:?}");
    // With it, the dry run says what will happen, and by what.
    let plan = builder().migrate(to_v2).plan(&path).unwrap();
    let Action::Convert { changes, by } = &plan[0].1 else { panic!("{plan:?}") };
    assert_eq!(by.len(), 1);
    assert!(by[0].ends_with("migrations::to_v2`") && by[0].contains("v1::Item` -> `"), "{by:?}");
    assert_eq!(
        changes[0].to_string(),
        "field `price` changed from `price: u32` to `price: string` [breaking]"
    );
    assert!(plan[0].1.to_string().starts_with("migrated by `"), "{}", plan[0].1);

    let reports = Arc::new(AtomicU64::new(0));
    let last = Arc::clone(&reports);
    let db = builder()
        .migrate(to_v2)
        .on_progress(move |progress| {
            assert_eq!(
                (progress.collection.as_str(), progress.index.as_str(), progress.total),
                ("Item", "objects", 1_000)
            );
            last.store(progress.done, Ordering::Relaxed);
        })
        .open(dir.path())
        .unwrap();
    assert_eq!(reports.load(Ordering::Relaxed), 1_000, "progress reached the end");
    let items = db.collection::<v2::Item>().all().unwrap();
    assert_eq!(items.len(), 1_000);
    assert_eq!(
        items[0],
        v2::Item { id: 1, price: "0.00".into(), tag: String::new() },
        "a v0 record, tag defaulted"
    );
    assert_eq!(items[999], v2::Item { id: 1_000, price: "69.93".into(), tag: "t9".into() });
    assert_eq!(db.collection::<v2::Item>().query().filter(v2::Item::TAG.eq("t3")).count().unwrap(), 70);
    db.collection::<v2::Item>().verify().unwrap();
    // New objects continue the ids.
    let mut item = v2::Item { id: 0, price: "1.00".into(), tag: "new".into() };
    db.write_txn_sync(|txn| txn.collection::<v2::Item>().put(&mut item)).unwrap();
    assert_eq!(item.id, 1_001);
    drop(db);
    // Done once: the file is at v2 now.
    assert_eq!(builder().migrate(to_v2).plan(&path).unwrap()[0].1, Action::Nothing);
    assert_eq!(builder().plan(&path).unwrap()[0].1, Action::Nothing);
}

#[test]
fn migrations_chain_from_whatever_version_the_file_has() {
    let (dir, path) = v1_file("migrate-chain");
    let builder =
        || Db::builder().name("migrate-chain").collection::<v3::Item>().migrate(to_v3).migrate(to_v2);
    let plan = builder().plan(&path).unwrap();
    let Action::Convert { by, .. } = &plan[0].1 else { panic!("{plan:?}") };
    assert_eq!(by.len(), 2, "{by:?}");
    assert!(by[0].contains("to_v2") && by[1].contains("to_v3"), "{by:?}");
    let db = builder().open(dir.path()).unwrap();
    let items = db.collection::<v3::Item>().all().unwrap();
    assert_eq!(items[999], v3::Item { id: 1_000, cents: 6_993, label: "t9-1000".into() });
    assert_eq!(
        db.collection::<v3::Item>().get_by(v3::Item::LABEL, "-10").unwrap().map(|item| item.id),
        Some(10)
    );
    db.collection::<v3::Item>().verify().unwrap();
    drop(db);

    // A file at v2 takes only the second step.
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::builder().name("migrate-chain-2").collection::<v2::Item>().open(dir.path()).unwrap();
        let mut item = v2::Item { id: 0, price: "3.05".into(), tag: "x".into() };
        db.write_txn_sync(|txn| txn.collection::<v2::Item>().put(&mut item)).unwrap();
    }
    let db = Db::builder()
        .name("migrate-chain-2")
        .collection::<v3::Item>()
        .migrate(to_v2)
        .migrate(to_v3)
        .open(dir.path())
        .unwrap();
    assert_eq!(db.collection::<v3::Item>().get(1).unwrap().unwrap().cents, 305);
}

/// Opens the v1 file with a migration to v2 that `convert` does, and checks that the
/// open fails naming object `id` and leaves the file as it was; returns the error.
fn refused(
    name: &str,
    convert: impl Fn(v1::Item) -> Result<v2::Item, String> + Send + Sync + 'static,
) -> Error {
    let (dir, path) = v1_file(name);
    let before = std::fs::read(&path).unwrap();
    let error =
        Db::builder().name(name).collection::<v2::Item>().migrate(convert).open(dir.path()).unwrap_err();
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused migration changed the file");
    assert!(Db::instance(name).is_none());
    // The file still opens at v1, whole.
    let db = Db::builder().name(name).collection::<v1::Item>().open(dir.path()).unwrap();
    assert_eq!(db.collection::<v1::Item>().count().unwrap(), 1_000);
    error
}

#[test]
fn a_conversion_that_fails_half_way_leaves_the_file_as_it_was() {
    let error =
        refused(
            "migrate-error",
            |old| if old.id == 500 { Err("no price for 500".into()) } else { to_v2(old) },
        );
    let Error::MigrationFailed { collection, id, step, reason, .. } = &error else { panic!("{error:?}") };
    assert_eq!((collection.as_str(), *id), ("Item", 500));
    assert!(step.contains("v1::Item` -> `") && step.contains("v2::Item` by `"), "{step}");
    assert_eq!(reason, "the conversion returned an error: no price for 500");
    assert!(error.to_string().contains("failed at object 500"), "{error}");
    assert!(error.to_string().ends_with("the file was left as it was"), "{error}");
}

#[test]
fn a_conversion_that_panics_half_way_leaves_the_file_as_it_was() {
    let error = refused("migrate-panic", |old| {
        assert!(old.id != 700, "object 700 is not convertible");
        to_v2(old)
    });
    let Error::MigrationFailed { id, reason, .. } = &error else { panic!("{error:?}") };
    assert_eq!(*id, 700);
    assert_eq!(reason, "the conversion panicked: object 700 is not convertible");
}

#[test]
fn converted_objects_that_share_a_unique_key_leave_the_file_as_it_was() {
    let (dir, path) = v1_file("migrate-unique");
    let before = std::fs::read(&path).unwrap();
    // Labels from the tag alone: ten objects share each.
    let shared =
        |old: v2::Item| -> Result<v3::Item, String> { Ok(v3::Item { id: old.id, cents: 0, label: old.tag }) };
    let error = Db::builder()
        .name("migrate-unique")
        .collection::<v3::Item>()
        .migrate(to_v2)
        .migrate(shared)
        .open(dir.path())
        .unwrap_err();
    let Error::MigrationFailed { id, step, reason, .. } = &error else { panic!("{error:?}") };
    assert_eq!(step, "unique index `label`");
    // Objects 1..=300 (v0) all convert to the empty label: 2 is the first to share it.
    assert_eq!((*id, reason.as_str()), (2, "object 1 converts to the same key"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_lock_check_marks_a_breaking_change_that_a_migration_converts() {
    use insula::schema::{SchemaDef, check_lock, check_lock_with, lock_text};

    let lock = lock_text(&[SchemaDef::from(&v1::Item::SCHEMA)]);
    let code = [SchemaDef::from(&v2::Item::SCHEMA)];
    let plain = check_lock(&lock, &code).unwrap();
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].migrated_by, None);
    assert!(plain[0].to_string().ends_with("[breaking]"), "{}", plain[0]);

    let migrations = Db::builder().collection::<v2::Item>().migrate(to_v2).migrations();
    let drift = check_lock_with(&lock, &code, &migrations).unwrap();
    assert_eq!(drift.len(), 1);
    let text = drift[0].to_string();
    assert!(
        text.starts_with(
            "Item: field `price` changed from `price: u32` to `price: string` [breaking, migrated by `"
        ),
        "{text}"
    );
    assert!(text.ends_with("migrations::to_v2`]"), "{text}");
    // A migration from another version converts nothing of this lock's.
    let unrelated = Db::builder().collection::<v3::Item>().migrate(to_v3).migrations();
    assert_eq!(check_lock_with(&lock, &code, &unrelated).unwrap()[0].migrated_by, None);
}
