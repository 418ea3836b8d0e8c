//! Widening a number field is compatible: `u8` to `u16` to `u64`, `i8` to `i64`, an
//! unsigned type into a wider signed one, `f32` to `f64`, each perhaps made optional at
//! once. Old records are read through their own layout, widened as they are read, and
//! never rewritten; indexes on a widened field are built anew. Narrowing and changes of
//! sign stay breaking (the change table has those rows).

use insula::dynamic::{AnyValue, Reader};
use insula::prelude::*;
use insula::schema::{Change, SchemaDef, classify};
use std::path::Path;

/// Each module is one version of the collection `Reading`.
mod v1 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Reading")]
    pub struct Reading {
        #[id]
        pub id: Id,
        #[index]
        pub small: u8,
        pub signed: i8,
        pub ratio: f32,
        pub count: u32,
        pub maybe: Option<u16>,
        pub kept: u16,
    }
}

mod v2 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Reading")]
    pub struct Reading {
        #[id]
        pub id: Id,
        #[index]
        pub small: u16,
        pub signed: i16,
        pub ratio: f32,
        pub count: u32,
        pub maybe: Option<u32>,
        pub kept: u16,
    }
}

mod v3 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Reading")]
    pub struct Reading {
        #[id]
        pub id: Id,
        #[index]
        pub small: u64,
        pub signed: i64,
        pub ratio: f64,
        pub count: Option<i64>,
        pub maybe: Option<u64>,
        pub kept: u16,
    }
}

/// The v1 objects: each field's extremes and some values between.
fn v1_readings() -> Vec<v1::Reading> {
    let smalls = [0u8, 1, 127, 128, 200, 255];
    let signs = [i8::MIN, -1, 0, 1, 100, i8::MAX];
    let ratios = [0.1f32, -2.5, f32::MAX, f32::MIN_POSITIVE, 1e-40, 3.0];
    (0..6)
        .map(|i| v1::Reading {
            id: 0,
            small: smalls[i],
            signed: signs[i],
            ratio: ratios[i],
            count: u32::MAX - i as u32,
            maybe: (i % 2 == 0).then_some(u16::MAX - i as u16),
            kept: 7 * i as u16,
        })
        .collect()
}

/// A v1 object as v3 must read it.
fn as_v3(old: &v1::Reading) -> v3::Reading {
    v3::Reading {
        id: old.id,
        small: old.small.into(),
        signed: old.signed.into(),
        ratio: old.ratio.into(),
        count: Some(old.count.into()),
        maybe: old.maybe.map(u64::from),
        kept: old.kept,
    }
}

#[test]
fn the_classifier_calls_widening_compatible_and_narrowing_or_a_sign_change_breaking() {
    let v1 = SchemaDef::from(&v1::Reading::SCHEMA);
    let v3 = SchemaDef::from(&v3::Reading::SCHEMA);
    let changes = classify(&v1, &v3);
    let widened: Vec<&str> = changes
        .iter()
        .map(|change| match change {
            Change::NumberWidened { old, .. } => old.name.as_str(),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(widened, ["count", "maybe", "ratio", "signed", "small"]);
    assert_eq!(
        changes[0].to_string(),
        "field `count` widened from `count: u32` to `count: i64?`; stored values read as they are [compatible]"
    );
    // Back the other way, every one of them narrows.
    assert!(classify(&v3, &v1).iter().all(|change| matches!(change, Change::FieldTypeChanged { .. })));

    use insula::schema::StoredType::{self, *};
    let widens = |from: StoredType, to: StoredType| from.widens_to(&to);
    for (from, to) in [(U8, U16), (U8, U64), (U16, U32), (U32, U64), (I8, I16), (I8, I64), (I32, I64)] {
        assert!(widens(from.clone(), to.clone()), "{from} to {to}");
    }
    for (from, to) in [(U8, I16), (U16, I32), (U32, I64), (F32, F64)] {
        assert!(widens(from.clone(), to.clone()), "{from} to {to}");
    }
    for (from, to) in [
        (U16, U8),
        (U8, I8),
        (U32, I32),
        (I8, U16),
        (I64, U64),
        (F64, F32),
        (U32, F64),
        (I32, F64),
        (U8, U8),
        (Bool, U8),
    ] {
        assert!(!widens(from.clone(), to.clone()), "{from} to {to}");
    }
}

/// Writes the v1 objects, then lets v2 read two of them and write one of its own (id 7).
/// Returns v1's objects and v2's.
fn v1_then_v2(dir: &Path, name: &str) -> (Vec<v1::Reading>, v2::Reading) {
    let mut old = v1_readings();
    {
        use v1::ReadingAccessor;
        let db = Db::builder().name(name).collection::<v1::Reading>().open(dir).unwrap();
        db.write_txn_sync(|txn| txn.readings().put_all(&mut old)).unwrap();
    }
    let mut middle = v2::Reading { small: 300, signed: -300, maybe: Some(70_000), ..Default::default() };
    {
        use v2::ReadingAccessor;
        let db = Db::builder().name(name).collection::<v2::Reading>().open(dir).unwrap();
        assert_eq!(db.readings().get(6).unwrap().unwrap().small, 255);
        assert_eq!(db.readings().get(1).unwrap().unwrap().signed, -128);
        db.write_txn_sync(|txn| txn.readings().put(&mut middle)).unwrap();
    }
    (old, middle)
}

#[test]
fn old_records_read_widened_everywhere_without_being_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let name = "widening";
    let path = dir.path().join(format!("{name}.insula"));
    let (old, middle) = v1_then_v2(dir.path(), name);
    let written_by_v1 = crate::common::raw_records(&path, "Reading");
    assert_eq!(written_by_v1.len(), 7);

    use v3::{Reading, ReadingAccessor};
    let db = Db::builder().name(name).collection::<Reading>().open(dir.path()).unwrap();
    let mut expected: Vec<Reading> = old.iter().map(as_v3).collect();
    expected.push(Reading {
        id: middle.id,
        small: 300,
        signed: -300,
        count: Some(0),
        maybe: Some(70_000),
        ..Default::default()
    });
    let mut newest = Reading { small: u64::MAX, signed: i64::MIN, count: None, ..Default::default() };
    db.write_txn_sync(|txn| txn.readings().put(&mut newest)).unwrap();
    expected.push(newest.clone());

    // Decoded whole, one by one and all at once.
    for reading in &expected {
        assert_eq!(db.readings().get(reading.id).unwrap().as_ref(), Some(reading));
    }
    assert_eq!(db.readings().query().find_all().unwrap(), expected);
    // Through views, in conditions on the record and on the rebuilt index, and sorted.
    let signed_by_view: Vec<i64> = db
        .readings()
        .query()
        .filter_view(|view| view.signed() < 0 && view.ratio() < 1.0)
        .find_all()
        .unwrap()
        .iter()
        .map(|reading| reading.signed)
        .collect();
    assert_eq!(signed_by_view, [-128, -1, -300, i64::MIN]);
    let by_record = |condition: insula::Condition<Reading>| -> Vec<Id> {
        db.readings().query().filter(condition).find_all().unwrap().iter().map(|reading| reading.id).collect()
    };
    assert_eq!(by_record(Reading::SIGNED.eq(-1)), [2]);
    assert_eq!(by_record(Reading::RATIO.eq(f64::from(0.1f32))), [1]);
    assert_eq!(by_record(Reading::COUNT.eq(Some(i64::from(u32::MAX)))), [1]);
    assert_eq!(by_record(Reading::MAYBE.eq(None)), [2, 4, 6, 8]);
    assert_eq!(by_record(Reading::MAYBE.gt(Some(65_533))), [1, 7]);
    let indexed = db.readings().query().filter(Reading::SMALL.between(128, 300));
    assert!(indexed.explain().unwrap().starts_with("index `small`"), "{}", indexed.explain().unwrap());
    let ids: Vec<Id> = indexed.find_all().unwrap().iter().map(|reading| reading.id).collect();
    assert_eq!(ids, [4, 5, 6, 7]);
    let sorted: Vec<i64> = db
        .readings()
        .query()
        .sort_by(Reading::SIGNED.desc())
        .find_all()
        .unwrap()
        .iter()
        .map(|r| r.signed)
        .collect();
    assert_eq!(sorted, [127, 100, 1, 0, -1, -128, -300, i64::MIN]);
    db.readings().verify().unwrap();
    drop(db);
    assert_eq!(
        crate::common::raw_records(&path, "Reading")[..7],
        written_by_v1[..],
        "widening rewrote records"
    );

    // The dynamic reader reads them widened too, from the file alone.
    let snapshot = Reader::open(&path).unwrap().read().unwrap();
    for reading in &expected {
        let object = snapshot.get("Reading", reading.id).unwrap().unwrap();
        assert_eq!(object.get("small"), Some(&AnyValue::U64(reading.small)));
        assert_eq!(object.get("signed"), Some(&AnyValue::I64(reading.signed)));
        assert_eq!(object.get("ratio"), Some(&AnyValue::F64(reading.ratio)));
        let count = reading.count.map_or(AnyValue::Null, AnyValue::I64);
        assert_eq!(object.get("count"), Some(&count));
        let maybe = reading.maybe.map_or(AnyValue::Null, AnyValue::U64);
        assert_eq!(object.get("maybe"), Some(&maybe));
    }
    snapshot.verify("Reading").unwrap();
}
