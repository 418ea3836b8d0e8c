//! Every kind of schema change, one row each, with its verdict: the same from the lock
//! check (`check_lock`, what `cargo xtask schema-check` prints), from the dry run
//! (`plan`) and from `open`; a breaking change leaves the file byte for byte as it was.
//! Collections added, dropped and renamed, and the rename of an embedded struct with
//! other changes, have tests of their own (`operations`, `evolution`).
//!
//! The versions are written by a `macro_rules!`, which the derive must also serve: a
//! field's type then carries that macro's hygiene.

use insula::prelude::*;
use insula::schema::{SchemaDef, Verdict, check_lock, lock_text};
use insula::{Action, Error};

/// A version of the collection `Item`, in a module of its own, with `extra` items (an
/// embedded struct, an enum) beside it.
macro_rules! item {
    ($module:ident { $($field:tt)* } $($extra:item)*) => {
        // Each version is one row's; its view accessors go unused.
        #[allow(dead_code)]
        mod $module {
            #[allow(unused_imports)]
            use insula::prelude::*;

            #[derive(Collection, Debug, Clone, Default, PartialEq)]
            #[collection(name = "Item")]
            pub struct Item {
                #[id]
                pub id: Id,
                $($field)*
            }

            $($extra)*
        }
    };
}

item!(base { pub a: u32, pub b: String });
item!(added { pub a: u32, pub b: String, pub c: u64 });
item!(removed { pub a: u32 });
item!(renamed { pub a: u32, pub c: String });
item!(renamed_kept { pub a: u32, #[field(name = "b")] pub c: String });
item!(reordered { pub b: String, pub a: u32 });
item!(widened { pub a: u64, pub b: String });
item!(narrowed { pub a: u16, pub b: String });
item!(widened_signed { pub a: i64, pub b: String });
item!(widened_optional { pub a: Option<u64>, pub b: String });
item!(sign_changed { pub a: i32, pub b: String });
item!(retyped { pub a: String, pub b: String });
item!(optional { pub a: Option<u32>, pub b: String });
item!(indexed { #[index] pub a: u32, pub b: String });
item!(unique { #[index(unique)] pub a: u32, pub b: String });
item!(embedded { pub a: u32, pub p: P } #[derive(Embedded, Debug, Clone, Default, PartialEq)] pub struct P { pub x: u32 });
item!(embedded_changed { pub a: u32, pub p: P } #[derive(Embedded, Debug, Clone, Default, PartialEq)] pub struct P { pub x: u32, pub y: u32 });
item!(embedded_renamed { pub a: u32, pub p: Q } #[derive(Embedded, Debug, Clone, Default, PartialEq)] pub struct Q { pub x: u32 });
item!(kinds { pub a: u32, pub k: K } #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)] pub enum K { #[default] A, B });
item!(kind_added { pub a: u32, pub k: K } #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)] pub enum K { #[default] A, B, C });
item!(kind_removed { pub a: u32, pub k: K } #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)] pub enum K { #[default] A });
item!(kind_renamed { pub a: u32, pub k: K } #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)] pub enum K { #[default] A, C });

/// What every way of looking at a change must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// No change at all.
    Nothing,
    /// Applied on open.
    Compatible,
    /// Refused, the file left as it was.
    Breaking,
}

/// One row: the file is written by `Old` with `objects`, then checked and opened by `New`.
fn row<Old: Collection + Clone, New: Collection>(row: &str, objects: &[Old], expect: Expect) {
    // The lock check: a lock written from `Old`, the code at `New`.
    let drift =
        check_lock(&lock_text(&[SchemaDef::from(&Old::SCHEMA)]), &[SchemaDef::from(&New::SCHEMA)]).unwrap();
    let lock = match (drift.is_empty(), drift.iter().any(|line| line.verdict == Verdict::Breaking)) {
        (true, _) => Expect::Nothing,
        (false, false) => Expect::Compatible,
        (false, true) => Expect::Breaking,
    };

    let dir = tempfile::tempdir().unwrap();
    let name = format!("change-{row}");
    {
        let db = Db::builder().name(&name).collection::<Old>().open(dir.path()).unwrap();
        let mut objects = objects.to_vec();
        db.write_txn_sync(|txn| txn.collection::<Old>().put_all(&mut objects)).unwrap();
    }
    let path = dir.path().join(format!("{name}.insula"));
    let before = std::fs::read(&path).unwrap();
    let builder = || Db::builder().name(&name).collection::<New>();
    let plan = match builder().plan(&path) {
        Ok(plan) if plan[0].1 == Action::Nothing => Expect::Nothing,
        Ok(plan) if matches!(plan[0].1, Action::Migrate(_)) => Expect::Compatible,
        Ok(plan) => panic!("{row}: {plan:?}"),
        Err(Error::SchemaIncompatible { .. }) => Expect::Breaking,
        Err(error) => panic!("{row}: {error}"),
    };
    let open = match builder().open(dir.path()) {
        Ok(db) => {
            assert_eq!(db.collection::<New>().count().unwrap(), objects.len() as u64, "{row}: objects lost");
            db.collection::<New>().verify().unwrap();
            if plan == Expect::Nothing { Expect::Nothing } else { Expect::Compatible }
        }
        Err(Error::SchemaIncompatible { .. }) => {
            assert_eq!(std::fs::read(&path).unwrap(), before, "{row}: a refused open changed the file");
            Expect::Breaking
        }
        Err(error) => panic!("{row}: {error}"),
    };
    assert_eq!((plan, open), (expect, expect), "{row}: plan and open");
    assert_eq!(lock, expect, "{row}: the lock check: {drift:?}");
}

fn two<T: Default>(fill: impl Fn(&mut T, u32)) -> Vec<T> {
    (0..2)
        .map(|i| {
            let mut object = T::default();
            fill(&mut object, i);
            object
        })
        .collect()
}

#[test]
fn every_kind_of_change_has_one_verdict_everywhere() {
    let items = two(|item: &mut base::Item, i| {
        item.a = i;
        item.b = format!("b{i}");
    });
    row::<base::Item, base::Item>("unchanged", &items, Expect::Nothing);
    row::<base::Item, added::Item>("field-added", &items, Expect::Compatible);
    row::<base::Item, removed::Item>("field-removed", &items, Expect::Compatible);
    row::<base::Item, renamed::Item>("field-renamed", &items, Expect::Compatible);
    row::<base::Item, renamed_kept::Item>("field-renamed-kept", &items, Expect::Nothing);
    row::<base::Item, reordered::Item>("fields-reordered", &items, Expect::Nothing);
    row::<base::Item, widened::Item>("field-widened", &items, Expect::Compatible);
    row::<base::Item, widened_signed::Item>("field-widened-to-signed", &items, Expect::Compatible);
    row::<base::Item, widened_optional::Item>("field-widened-and-optional", &items, Expect::Compatible);
    row::<base::Item, narrowed::Item>("field-narrowed", &items, Expect::Breaking);
    row::<base::Item, sign_changed::Item>("field-sign-changed", &items, Expect::Breaking);
    row::<base::Item, retyped::Item>("field-retyped", &items, Expect::Breaking);
    row::<base::Item, optional::Item>("made-optional", &items, Expect::Compatible);
    let optional_items = two(|item: &mut optional::Item, i| item.a = Some(i));
    row::<optional::Item, base::Item>("made-required", &optional_items, Expect::Breaking);
    row::<base::Item, indexed::Item>("index-added", &items, Expect::Compatible);
    let indexed_items = two(|item: &mut indexed::Item, i| item.a = i);
    row::<indexed::Item, base::Item>("index-removed", &indexed_items, Expect::Compatible);
    row::<base::Item, unique::Item>("made-unique", &items, Expect::Compatible);
    let embedded_items = two(|item: &mut embedded::Item, i| item.p.x = i);
    row::<embedded::Item, embedded_changed::Item>("embedded-changed", &embedded_items, Expect::Breaking);
    row::<embedded::Item, embedded_renamed::Item>("embedded-renamed", &embedded_items, Expect::Nothing);
    let kind_items = two(|item: &mut kinds::Item, i| item.k = if i == 0 { kinds::K::A } else { kinds::K::B });
    row::<kinds::Item, kind_added::Item>("variant-added", &kind_items, Expect::Compatible);
    row::<kinds::Item, kind_removed::Item>("variant-removed", &kind_items, Expect::Breaking);
    row::<kinds::Item, kind_renamed::Item>("variant-renamed", &kind_items, Expect::Breaking);
}

/// A unique index over data that breaks it: only the data can tell, so the lock check
/// says what would refuse it, and `plan` and `open` refuse it, naming two objects.
#[test]
fn a_unique_index_over_shared_keys_is_refused_by_the_data() {
    let lock = check_lock(
        &lock_text(&[SchemaDef::from(&base::Item::SCHEMA)]),
        &[SchemaDef::from(&unique::Item::SCHEMA)],
    );
    let lock = lock.unwrap();
    assert_eq!(
        lock[0].to_string(),
        "Item: index `a unique` added (refused if existing objects share a key) [compatible]"
    );

    let dir = tempfile::tempdir().unwrap();
    {
        let db =
            Db::builder().name("change-unique-shared").collection::<base::Item>().open(dir.path()).unwrap();
        let mut items = two(|item: &mut base::Item, _| item.a = 5);
        db.write_txn_sync(|txn| txn.collection::<base::Item>().put_all(&mut items)).unwrap();
    }
    let path = dir.path().join("change-unique-shared.insula");
    let before = std::fs::read(&path).unwrap();
    let builder = || Db::builder().name("change-unique-shared").collection::<unique::Item>();
    for result in [builder().plan(&path).map(drop), builder().open(dir.path()).map(drop)] {
        let Err(error @ Error::SchemaIncompatible { .. }) = &result else { panic!("{result:?}") };
        assert!(error.to_string().contains("objects 1 and 2 share a key"), "{error}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
