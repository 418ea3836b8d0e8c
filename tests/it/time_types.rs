//! `SystemTime` and `Duration` as fields: stored exactly on both sides of the epoch,
//! indexed and sorted in time order, queried, and written and read as JSON and by the
//! dynamic reader in RFC 3339 and ISO 8601.

use crate::common::proptest_config;
use insula::dynamic::{AnyValue, Filter, Reader};
use insula::prelude::*;
use proptest::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Collection, Debug, Clone, PartialEq)]
pub struct Event {
    #[id]
    pub id: Id,
    #[index]
    pub at: SystemTime,
    pub took: Duration,
    pub ended: Option<SystemTime>,
    pub laps: Vec<Duration>,
}

impl Default for Event {
    fn default() -> Self {
        Event { id: 0, at: UNIX_EPOCH, took: Duration::ZERO, ended: None, laps: Vec::new() }
    }
}

/// `seconds` after the epoch (before it when negative) and `nanos`.
fn time(seconds: i64, nanos: u32) -> SystemTime {
    let whole = if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    };
    whole + Duration::from_nanos(u64::from(nanos))
}

fn events() -> Vec<Event> {
    vec![
        Event {
            at: time(1_714_566_600, 250_000_000),
            took: Duration::new(90, 500_000_000),
            ..Default::default()
        },
        Event {
            at: time(-1, 999_999_999),
            took: Duration::from_nanos(1),
            ended: Some(time(0, 0)),
            ..Default::default()
        },
        Event {
            at: time(-86_400 * 365 * 100, 0),
            laps: vec![Duration::from_secs(3), Duration::ZERO],
            ..Default::default()
        },
        Event { at: time(0, 1), took: Duration::new(u64::MAX, 999_999_999), ..Default::default() },
        Event {
            at: time(1_714_566_600, 250_000_001),
            ended: Some(time(1_714_570_000, 0)),
            ..Default::default()
        },
    ]
}

fn open(dir: &tempfile::TempDir, name: &str) -> (Db, Vec<Event>) {
    let db = Db::builder().name(name).collection::<Event>().open(dir.path()).unwrap();
    let mut events = events();
    db.write_txn_sync(|txn| txn.events().put_all(&mut events)).unwrap();
    (db, events)
}

#[test]
fn times_are_stored_exactly_and_indexed_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let (db, events) = open(&dir, "time-order");
    for event in &events {
        assert_eq!(db.events().get(event.id).unwrap().as_ref(), Some(event));
    }
    // Sorted through the index, and by a sort of the matches: the same, in time order.
    let by_index = db.events().query().sort_by(Event::AT.asc()).ids().unwrap();
    assert_eq!(by_index, [3, 2, 4, 1, 5]);
    let took = db.events().query().sort_by(Event::TOOK.desc()).ids().unwrap();
    assert_eq!(took, [4, 1, 2, 3, 5]);
    let since = db.events().query().filter(Event::AT.ge(UNIX_EPOCH));
    assert!(since.explain().unwrap().starts_with("index `at` (range on at"));
    assert_eq!(since.ids().unwrap(), [1, 4, 5]);
    let around = Event::AT.between(time(-1, 0), time(0, 1));
    assert_eq!(db.events().query().filter(around).ids().unwrap(), [2, 4]);
    assert_eq!(db.events().query().filter(Event::ENDED.is_some()).ids().unwrap(), [2, 5]);
    assert_eq!(db.events().query().filter(Event::LAPS.contains(Duration::ZERO)).ids().unwrap(), [3]);
    assert_eq!(db.events().query().max(Event::AT).unwrap(), Some(time(1_714_566_600, 250_000_001)));
    db.events().verify().unwrap();
}

#[test]
fn json_and_the_dynamic_reader_write_rfc_3339_and_iso_8601() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = open(&dir, "time-json");
    let mut out = Vec::new();
    db.events().query().filter(Event::ID.le(2)).export_ndjson(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "{\"id\":1,\"at\":\"2024-05-01T12:30:00.25Z\",\"ended\":null,\"laps\":[],\"took\":\"PT90.5S\"}\n\
         {\"id\":2,\"at\":\"1969-12-31T23:59:59.999999999Z\",\"ended\":\"1970-01-01T00:00:00Z\",\"laps\":[],\"took\":\"PT0.000000001S\"}\n"
    );
    // Read back into another file: the same objects, to the nanosecond; an offset is
    // taken, a date alone is refused.
    let other = Db::builder().name("time-json-back").collection::<Event>().open(dir.path()).unwrap();
    other.write_txn_sync(|txn| txn.events().import_json(text.as_bytes())).unwrap();
    for id in [1, 2] {
        assert_eq!(other.events().get(id).unwrap(), db.events().get(id).unwrap());
    }
    let shifted = "{\"id\":9,\"at\":\"2024-05-01T14:30:00.25+02:00\",\"took\":\"PT1S\",\"ended\":null,\"laps\":[\"PT2S\"]}";
    other.write_txn_sync(|txn| txn.events().import_json(shifted.as_bytes())).unwrap();
    assert_eq!(other.events().get(9).unwrap().unwrap().at, time(1_714_566_600, 250_000_000));
    let bad = "{\"id\":10,\"at\":\"2024-05-01\",\"took\":\"PT1S\",\"ended\":null,\"laps\":[]}";
    let error = other.write_txn_sync(|txn| txn.events().import_json(bad.as_bytes())).unwrap_err();
    assert!(error.to_string().contains("an RFC 3339 time"), "{error}");
    drop((db, other));

    // The dynamic reader, and the filter language's comparisons with text.
    let reader = Reader::open(dir.path().join("time-json.insula")).unwrap();
    let snapshot = reader.read().unwrap();
    let first = snapshot.get("Event", 1).unwrap().unwrap();
    assert_eq!(first.get("at"), Some(&AnyValue::Timestamp(time(1_714_566_600, 250_000_000))));
    assert_eq!(first.get("took").unwrap().to_string(), "PT90.5S");
    let ids = |filter: &str| -> Vec<Id> {
        let filter = Filter::parse(filter).unwrap();
        snapshot.query("Event", &filter).unwrap().map(|object| object.unwrap().id).collect()
    };
    assert_eq!(ids(r#"at >= "1970-01-01T00:00:00Z""#), [1, 4, 5]);
    // Unbound, a filter reads the text at each comparison.
    assert!(Filter::parse(r#"at > "2024-05-01T12:29:59Z" and took = "PT90.5S""#).unwrap().matches(&first));
    assert_eq!(ids(r#"took > "PT60S" and at < "2024-05-01T12:30:00.250000001Z""#), [1, 4]);
    let refused = snapshot.query("Event", &Filter::parse(r#"at > "yesterday""#).unwrap()).err();
    assert!(refused.is_some_and(|error| error.to_string().contains("RFC 3339")));
}

proptest! {
    #![proptest_config(proptest_config(64))]

    /// Keys sort as the times do, so an index agrees with a sort of the values.
    #[test]
    fn keys_sort_in_time_order(times in prop::collection::vec((-(1i64 << 40)..(1i64 << 40), 0u32..1_000_000_000), 2..40)) {
        let db = Db::builder().collection::<Event>().open_in_memory().unwrap();
        let mut events: Vec<Event> = times
            .iter()
            .map(|&(seconds, nanos)| Event { at: time(seconds, nanos), took: Duration::new(seconds.unsigned_abs() % 3, nanos), ..Default::default() })
            .collect();
        db.write_txn_sync(|txn| txn.events().put_all(&mut events)).unwrap();
        let mut expected = events.clone();
        expected.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let by_index = db.events().query().sort_by(Event::AT.asc()).find_all().unwrap();
        prop_assert_eq!(&by_index, &expected);
        expected.sort_by(|a, b| a.took.cmp(&b.took).then(a.id.cmp(&b.id)));
        prop_assert_eq!(db.events().query().sort_by(Event::TOOK.asc()).find_all().unwrap(), expected);
        let middle = time(times[0].0, times[0].1);
        let later: Vec<Id> = events.iter().filter(|event| event.at > middle).map(|event| event.id).collect();
        prop_assert_eq!(db.events().query().filter(Event::AT.gt(middle)).ids().unwrap(), later);
    }
}

/// The same instant in each crate's type, behind insula's `chrono`, `time` and `jiff`
/// features.
#[derive(Collection, Debug, Clone, PartialEq)]
pub struct Stamp {
    #[id]
    pub id: Id,
    #[index]
    pub chrono: chrono::DateTime<chrono::Utc>,
    pub naive: chrono::NaiveDateTime,
    #[index]
    pub time: time::OffsetDateTime,
    #[index]
    pub jiff: jiff::Timestamp,
    #[index]
    pub day: chrono::NaiveDate,
    pub date: time::Date,
    #[index]
    pub uuid: uuid::Uuid,
}

fn stamp(seconds: i64, nanos: u32) -> Stamp {
    let chrono = chrono::DateTime::from_timestamp(seconds, nanos).unwrap();
    let nanos_since = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
    Stamp {
        id: 0,
        chrono,
        naive: chrono.naive_utc(),
        time: time::OffsetDateTime::from_unix_timestamp_nanos(nanos_since).unwrap(),
        jiff: jiff::Timestamp::from_nanosecond(nanos_since).unwrap(),
        day: chrono.date_naive(),
        date: time::OffsetDateTime::from_unix_timestamp_nanos(nanos_since).unwrap().date(),
        // The time first, as in a UUID of version 7, so the UUIDs sort by it.
        uuid: uuid::Uuid::from_u64_pair((seconds as u64) ^ (1 << 63), u64::from(nanos)),
    }
}

#[test]
fn chrono_time_and_jiff_instants_are_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("time-crates").collection::<Stamp>().open(dir.path()).unwrap();
    let instants = [(1_714_566_600, 250_000_000), (-1, 999_999_999), (-62_135_596_800, 0), (0, 1)];
    let mut entries: Vec<Stamp> = instants.iter().map(|&(seconds, nanos)| stamp(seconds, nanos)).collect();
    db.write_txn_sync(|txn| txn.stamps().put_all(&mut entries)).unwrap();
    for entry in &entries {
        assert_eq!(db.stamps().get(entry.id).unwrap().as_ref(), Some(entry));
    }
    // Each crate's index sorts in time order, the same order.
    let earliest_first = [3, 2, 4, 1];
    assert_eq!(db.stamps().query().sort_by(Stamp::CHRONO.asc()).ids().unwrap(), earliest_first);
    assert_eq!(db.stamps().query().sort_by(Stamp::TIME.asc()).ids().unwrap(), earliest_first);
    assert_eq!(db.stamps().query().sort_by(Stamp::JIFF.asc()).ids().unwrap(), earliest_first);
    let epoch = jiff::Timestamp::UNIX_EPOCH;
    assert_eq!(db.stamps().query().filter(Stamp::JIFF.lt(epoch)).ids().unwrap(), [2, 3]);
    assert_eq!(db.stamps().query().sort_by(Stamp::DAY.asc()).ids().unwrap(), [3, 2, 4, 1]);
    assert_eq!(db.stamps().query().sort_by(Stamp::DATE.desc()).ids().unwrap(), [1, 4, 2, 3]);
    assert_eq!(db.stamps().query().sort_by(Stamp::UUID.asc()).ids().unwrap(), earliest_first);
    let day = chrono::NaiveDate::from_ymd_opt(1969, 12, 31).unwrap();
    let on_day = db.stamps().query().filter(Stamp::DAY.eq(day));
    assert!(on_day.explain().unwrap().starts_with("index `day`"));
    assert_eq!(on_day.ids().unwrap(), [2]);
    let uuid = entries_uuid(&entries, 2);
    assert_eq!(db.stamps().query().filter(Stamp::UUID.eq(uuid)).ids().unwrap(), [2]);
    // An offset is not kept: the instant comes back in UTC.
    let mut shifted = stamp(0, 0);
    shifted.time = shifted.time.to_offset(time::macros::offset!(+2));
    db.write_txn_sync(|txn| txn.stamps().put(&mut shifted)).unwrap();
    let back = db.stamps().get(shifted.id).unwrap().unwrap();
    assert_eq!((back.time, back.time.offset()), (shifted.time, time::UtcOffset::UTC));
    drop(db);
    // The dynamic reader sees them all as the same timestamp.
    let reader = Reader::open(dir.path().join("time-crates.insula")).unwrap();
    let snapshot = reader.read().unwrap();
    let first = snapshot.get("Stamp", 1).unwrap().unwrap();
    let expected = AnyValue::Timestamp(time(1_714_566_600, 250_000_000));
    for field in ["chrono", "naive", "time", "jiff"] {
        assert_eq!(first.get(field), Some(&expected), "{field}");
    }
    assert_eq!(first.get("day"), Some(&AnyValue::Date(19_844)));
    assert_eq!(first.get("date").map(ToString::to_string).as_deref(), Some("2024-05-01"));
    let mut json = Vec::new();
    snapshot
        .export_ndjson("Stamp", Some(&Filter::parse(r#"day = "1969-12-31""#).unwrap()), &mut json)
        .unwrap();
    let json = String::from_utf8(json).unwrap();
    assert!(json.contains("\"date\":\"1969-12-31\",\"day\":\"1969-12-31\""), "{json}");
    assert!(json.contains("\"uuid\":\"7fffffff-ffff-ffff-0000-00003b9ac9ff\""), "{json}");
    let refused = snapshot.query("Stamp", &Filter::parse(r#"day > "May 1st""#).unwrap()).err();
    assert!(refused.is_some_and(|error| error.to_string().contains("2024-05-01")));
}

/// The UUID of object `id` among `entries`.
fn entries_uuid(entries: &[Stamp], id: Id) -> uuid::Uuid {
    entries.iter().find(|entry| entry.id == id).map(|entry| entry.uuid).unwrap()
}

/// A fixed array of bytes, read in place.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Key {
    #[id]
    pub id: Id,
    #[index(unique)]
    pub hash: [u8; 32],
    pub tag: Option<[u8; 4]>,
    pub parts: Vec<[u8; 2]>,
}

#[test]
fn fixed_arrays_of_bytes_are_stored_in_place_and_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("arrays").collection::<Key>().open(dir.path()).unwrap();
    let hash = |seed: u8| std::array::from_fn::<u8, 32, _>(|at| seed.wrapping_mul(31).wrapping_add(at as u8));
    let mut keys = vec![
        Key { hash: hash(3), tag: Some(*b"abcd"), parts: vec![[0, 1], [2, 3]], ..Default::default() },
        Key { hash: hash(1), tag: None, ..Default::default() },
        Key { hash: hash(2), tag: Some([0; 4]), parts: vec![[9, 9]], ..Default::default() },
    ];
    db.write_txn_sync(|txn| txn.keys().put_all(&mut keys)).unwrap();
    for key in &keys {
        assert_eq!(db.keys().get(key.id).unwrap().as_ref(), Some(key));
    }
    assert_eq!(db.keys().get_by(Key::HASH, &hash(2)).unwrap().map(|key| key.id), Some(3));
    let view = db.read_txn_sync(|txn| txn.keys().with_view(1, |view| *view.tag().unwrap())).unwrap();
    assert_eq!(view, Some(*b"abcd"));
    let sorted = db.keys().query().sort_by(Key::HASH.asc()).ids().unwrap();
    let mut expected = keys.clone();
    expected.sort_by_key(|key| key.hash);
    assert_eq!(sorted, expected.iter().map(|key| key.id).collect::<Vec<_>>());
    assert_eq!(db.keys().query().filter(Key::PARTS.contains(&[9, 9])).ids().unwrap(), [3]);
    let duplicate = db.write_txn_sync(|txn| txn.keys().put(&mut Key { hash: hash(1), ..Default::default() }));
    assert!(matches!(duplicate, Err(insula::Error::UniqueViolation { .. })), "{duplicate:?}");
    // JSON: an array of numbers, its length checked on the way in.
    let mut out = Vec::new();
    db.keys().query().filter(Key::ID.eq(3)).export_ndjson(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"tag\":[0,0,0,0]"), "{text}");
    let short = "{\"id\":9,\"hash\":[1,2,3],\"tag\":null,\"parts\":[]}";
    let error = db.write_txn_sync(|txn| txn.keys().import_json(short.as_bytes())).unwrap_err();
    assert!(error.to_string().contains("an array of 32 bytes"), "{error}");
    drop(db);
    let reader = Reader::open(dir.path().join("arrays.insula")).unwrap();
    let schema = reader.collections().unwrap();
    assert!(schema[0].fields.iter().any(|field| field.ty.to_string() == "bytes[32]"), "{schema:?}");
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Seat {
    pub row: u8,
    pub name: String,
}

/// Lists whose elements may be absent.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    #[id]
    pub id: Id,
    #[index]
    pub scores: Vec<Option<u32>>,
    pub labels: Vec<Option<String>>,
    pub seats: Vec<Option<Seat>>,
    pub maybe: Option<Vec<Option<i8>>>,
}

#[test]
fn lists_of_options_keep_their_nones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("options-in-lists").collection::<Sheet>().open(dir.path()).unwrap();
    let seat = |row, name: &str| Some(Seat { row, name: name.into() });
    let mut sheets = vec![
        Sheet {
            scores: vec![Some(3), None, Some(0)],
            labels: vec![None, Some("a".into())],
            seats: vec![seat(1, "ada"), None],
            maybe: Some(vec![None, Some(-1)]),
            ..Default::default()
        },
        Sheet {
            scores: vec![None],
            labels: vec![],
            seats: vec![None, None],
            maybe: None,
            ..Default::default()
        },
        Sheet {
            scores: vec![Some(7)],
            seats: vec![seat(2, "bob")],
            maybe: Some(vec![]),
            ..Default::default()
        },
    ];
    db.write_txn_sync(|txn| txn.sheets().put_all(&mut sheets)).unwrap();
    for sheet in &sheets {
        assert_eq!(db.sheets().get(sheet.id).unwrap().as_ref(), Some(sheet));
    }
    // Through the list's index: a `None` element is a key of its own.
    let with_none = db.sheets().query().filter(Sheet::SCORES.contains(None));
    assert!(with_none.explain().unwrap().starts_with("index `scores`"));
    assert_eq!(with_none.ids().unwrap(), [1, 2]);
    assert_eq!(db.sheets().query().filter(Sheet::SCORES.contains(Some(7))).ids().unwrap(), [3]);
    assert_eq!(db.sheets().query().filter(Sheet::SCORES.element().ge(Some(3))).ids().unwrap(), [1, 3]);
    let views =
        db.read_txn_sync(|txn| txn.sheets().with_view(1, |view| view.scores().iter().collect::<Vec<_>>()));
    assert_eq!(views.unwrap(), Some(vec![Some(3), None, Some(0)]));
    db.sheets().verify().unwrap();
    // JSON: `null` elements, both ways.
    let mut out = Vec::new();
    db.sheets().query().filter(Sheet::ID.eq(1)).export_ndjson(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"scores\":[3,null,0]"), "{text}");
    assert!(text.contains("\"seats\":[{\"name\":\"ada\",\"row\":1},null]"), "{text}");
    assert!(text.contains("\"maybe\":[null,-1]"), "{text}");
    let copy = Db::builder().name("options-in-lists-copy").collection::<Sheet>().open(dir.path()).unwrap();
    copy.write_txn_sync(|txn| txn.sheets().import_json(text.as_bytes())).unwrap();
    assert_eq!(copy.sheets().get(1).unwrap().as_ref(), Some(&sheets[0]));
    copy.sheets().verify().unwrap();
    drop((db, copy));
    // The dynamic reader, and the stored type's text.
    let reader = Reader::open(dir.path().join("options-in-lists.insula")).unwrap();
    let schema = &reader.collections().unwrap()[0];
    let scores = schema.fields.iter().find(|field| field.name == "scores").unwrap();
    assert_eq!(scores.ty.to_string(), "list<u32?>");
    let snapshot = reader.read().unwrap();
    let first = snapshot.get("Sheet", 1).unwrap().unwrap();
    assert_eq!(
        first.get("scores"),
        Some(&AnyValue::List(vec![AnyValue::U32(3), AnyValue::Null, AnyValue::U32(0)]))
    );
    // The dynamic reader's own index keys agree with the typed ones.
    snapshot.verify("Sheet").unwrap();
    let filter = Filter::parse("scores contains none").unwrap();
    let ids: Vec<Id> = snapshot.query("Sheet", &filter).unwrap().map(|object| object.unwrap().id).collect();
    assert_eq!(ids, [1, 2]);
}
