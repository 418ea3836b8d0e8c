//! The dynamic reader (`insula::dynamic`): a file read without the app's types gives,
//! object by object and field by field, what the typed API reads; records of older
//! layouts included; damaged records are errors in both; dynamic conditions select the
//! objects typed queries select.

use crate::common::{Address, Everything, Mood, everything, proptest_config};
use insula::dynamic::{AnyValue, Filter, Object, PageRequest, Reader};
use insula::prelude::*;
use insula::{Condition as TypedCondition, Error};
use insula_workspace::model::Message;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A process-wide unique instance name for each use (proptest cases included).
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("dynamic-{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Stores `objects` (ids kept) in the file of instance `name` in `dir`, closes it, and
/// returns its path.
fn write_everything(dir: &Path, name: &str, objects: &[Everything]) -> PathBuf {
    let db = Db::builder().name(name).collection::<Everything>().open(dir).unwrap();
    let mut objects = objects.to_vec();
    db.write_txn_sync(|txn| txn.collection::<Everything>().put_all(&mut objects)).unwrap();
    db.path().to_owned()
}

/// Objects with distinct, nonzero ids (a zero id would be assigned on `put`).
fn distinct(objects: Vec<Everything>) -> Vec<Everything> {
    let by_id: BTreeMap<Id, Everything> = objects
        .into_iter()
        .map(|object| (object.id.max(1), Everything { id: object.id.max(1), ..object }))
        .collect();
    by_id.into_values().collect()
}

fn mood(mood: Mood) -> AnyValue {
    AnyValue::Enum(
        match mood {
            Mood::Happy => "Happy",
            Mood::Neutral => "meh",
            Mood::Sad => "Sad",
        }
        .into(),
    )
}

fn list<T>(items: &[T], value: impl Fn(&T) -> AnyValue) -> AnyValue {
    AnyValue::List(items.iter().map(value).collect())
}

fn texts(items: &[String]) -> AnyValue {
    list(items, |text| AnyValue::from(text.as_str()))
}

/// Sorts fields into slot order: byte-wise by stored name (`runtime/FORMAT.md`).
fn slot_order(mut fields: Vec<(&str, AnyValue)>) -> Vec<(String, AnyValue)> {
    fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    fields.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

fn address(address: &Address) -> AnyValue {
    AnyValue::Embedded(slot_order(vec![
        ("street", AnyValue::from(address.street.as_str())),
        ("number", AnyValue::U16(address.number)),
        ("zip", AnyValue::from(address.zip)),
        ("lines", texts(&address.lines)),
    ]))
}

/// The object the dynamic reader should give for `object`, written field by field from
/// the struct (not through the codec).
fn expected(object: &Everything) -> Object {
    let o = object;
    Object {
        id: o.id,
        fields: slot_order(vec![
            ("flag", AnyValue::Bool(o.flag)),
            ("byte", AnyValue::U8(o.byte)),
            ("small", AnyValue::U16(o.small)),
            ("medium", AnyValue::U32(o.medium)),
            ("large", AnyValue::U64(o.large)),
            ("tiny", AnyValue::I8(o.tiny)),
            ("short", AnyValue::I16(o.short)),
            ("int", AnyValue::I32(o.int)),
            ("long", AnyValue::I64(o.long)),
            ("single", AnyValue::F32(o.single)),
            ("double", AnyValue::F64(o.double)),
            ("text", AnyValue::from(o.text.as_str())),
            ("bytes", AnyValue::Bytes(o.bytes.clone())),
            ("flags", list(&o.flags, |v| AnyValue::Bool(*v))),
            ("shorts", list(&o.shorts, |v| AnyValue::U16(*v))),
            ("words", list(&o.words, |v| AnyValue::U32(*v))),
            ("longs", list(&o.longs, |v| AnyValue::U64(*v))),
            ("signed_bytes", list(&o.signed_bytes, |v| AnyValue::I8(*v))),
            ("signed_shorts", list(&o.signed_shorts, |v| AnyValue::I16(*v))),
            ("ints", list(&o.ints, |v| AnyValue::I32(*v))),
            ("signed_longs", list(&o.signed_longs, |v| AnyValue::I64(*v))),
            ("singles", list(&o.singles, |v| AnyValue::F32(*v))),
            ("doubles", list(&o.doubles, |v| AnyValue::F64(*v))),
            ("texts", texts(&o.texts)),
            ("maybe_int", AnyValue::from(o.maybe_int)),
            ("maybe_text", AnyValue::from(o.maybe_text.clone())),
            ("maybe_bytes", AnyValue::from(o.maybe_bytes.clone())),
            (
                "maybe_list",
                o.maybe_list.as_ref().map_or(AnyValue::Null, |words| list(words, |v| AnyValue::U32(*v))),
            ),
            ("maybe_mood", o.maybe_mood.map_or(AnyValue::Null, mood)),
            ("maybe_address", o.maybe_address.as_ref().map_or(AnyValue::Null, address)),
            ("mood", mood(o.mood)),
            ("moods", list(&o.moods, |v| mood(*v))),
            ("address", address(&o.address)),
            ("addresses", list(&o.addresses, address)),
        ]),
    }
}

/// Compares field by field, so that a failure names the field.
fn assert_same(found: &Object, wanted: &Object) {
    assert_eq!(found.id, wanted.id);
    let names = |object: &Object| object.fields.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    assert_eq!(names(found), names(wanted), "the fields of object {}", wanted.id);
    for ((name, value), (_, wanted_value)) in found.fields.iter().zip(&wanted.fields) {
        assert_eq!(value, wanted_value, "field `{name}` of object {}", found.id);
    }
}

proptest! {
    #![proptest_config(proptest_config(24))]

    /// Every object the typed API reads, the dynamic reader reads as the same values,
    /// by `get` and by `records` (in id order).
    #[test]
    fn dynamic_and_typed_reads_agree(objects in prop::collection::vec(everything(), 1..6)) {
        let objects = distinct(objects);
        let dir = tempfile::tempdir().unwrap();
        let name = unique("agree");
        let path = write_everything(dir.path(), &name, &objects);
        let reader = Reader::open(&path).unwrap();
        let snapshot = reader.read().unwrap();
        prop_assert_eq!(snapshot.count("Everything").unwrap(), objects.len() as u64);
        let listed: Vec<Object> = snapshot.records("Everything").unwrap().map(Result::unwrap).collect();
        prop_assert_eq!(listed.len(), objects.len());
        for (object, found) in objects.iter().zip(&listed) {
            assert_same(found, &expected(object));
            assert_same(&snapshot.get("Everything", object.id).unwrap().unwrap(), &expected(object));
        }
        drop(snapshot);
        drop(reader);
        // The typed API reads what was written, so the two agree.
        let db = Db::builder().name(&name).collection::<Everything>().open(dir.path()).unwrap();
        prop_assert_eq!(db.collection::<Everything>().all().unwrap(), objects);
    }
}

#[test]
fn reading_a_file_never_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let objects: Vec<Everything> = (1..=3).map(|id| Everything { id, ..Default::default() }).collect();
    let path = write_everything(dir.path(), &unique("unchanged"), &objects);
    let before = std::fs::read(&path).unwrap();
    {
        let reader = Reader::open(&path).unwrap();
        let snapshot = reader.read().unwrap();
        assert_eq!(snapshot.records("Everything").unwrap().filter(Result::is_ok).count(), 3);
        assert_eq!(snapshot.query("Everything", &Filter::ge("id", 2)).unwrap().count(), 2);
    }
    assert!(std::fs::read(&path).unwrap() == before, "the file changed");
}

#[test]
fn an_in_memory_instance_and_a_read_only_one_read_through_the_instance() {
    let memory = Db::builder().collection::<Everything>().open_in_memory().unwrap();
    let mut object = Everything { text: "in memory".into(), ..Default::default() };
    memory.write_txn_sync(|txn| txn.collection::<Everything>().put(&mut object)).unwrap();
    let snapshot = Reader::of(&memory).read().unwrap();
    assert_same(&snapshot.get("Everything", object.id).unwrap().unwrap(), &expected(&object));

    let dir = tempfile::tempdir().unwrap();
    let name = unique("read-only");
    write_everything(dir.path(), &name, std::slice::from_ref(&object));
    let read_only =
        Db::builder().name(&name).collection::<Everything>().read_only().open(dir.path()).unwrap();
    let snapshot = Reader::of(&read_only).read().unwrap();
    assert_same(&snapshot.get("Everything", object.id).unwrap().unwrap(), &expected(&object));
}

#[test]
fn the_schemas_are_listed_sorted_with_every_collection_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique("list");
    {
        let db = Db::builder()
            .name(&name)
            .collection::<Everything>()
            .collection::<Message>()
            .open(dir.path())
            .unwrap();
        let mut message = Message { author: "ada".into(), likes: 3, ..Default::default() };
        db.write_txn_sync(|txn| txn.collection::<Message>().put(&mut message)).unwrap();
    }
    // Opened with one of the two: a reader of the live instance still sees both.
    let db = Db::builder().name(&name).collection::<Everything>().open(dir.path()).unwrap();
    let reader = Reader::of(&db);
    let schemas = reader.collections().unwrap();
    let names: Vec<&str> = schemas.iter().map(|schema| schema.name.as_str()).collect();
    assert_eq!(names, ["Everything", "Message"]);
    assert_eq!(schemas[0], insula::schema::SchemaDef::from(&<Everything as Collection>::SCHEMA));
    let snapshot = reader.read().unwrap();
    let message = snapshot.get("Message", 1).unwrap().unwrap();
    assert_eq!(message.get("author"), Some(&AnyValue::from("ada")));
    assert_eq!(message.get("reply_to"), Some(&AnyValue::Null));
    assert_eq!(message.get("likes"), Some(&AnyValue::U32(3)));
    // A snapshot does not see later commits; a new one does.
    let mut object = Everything { id: 5, ..Default::default() };
    db.write_txn_sync(|txn| txn.collection::<Everything>().put(&mut object)).unwrap();
    assert_eq!(snapshot.count("Everything").unwrap(), 0);
    assert_eq!(reader.read().unwrap().count("Everything").unwrap(), 1);
    // An unknown collection is an error that lists the stored ones.
    let error = snapshot.count("Messages").unwrap_err();
    assert!(
        matches!(&error, Error::NoSuchCollection { collection, .. } if collection == "Messages"),
        "{error:?}"
    );
    assert!(error.to_string().contains("Everything, Message"), "{error}");
    // The file is held by the instance: a second open of it is refused, not a hang.
    let held = Reader::open(db.path()).unwrap_err();
    assert!(matches!(held, Error::AlreadyOpen { .. }), "{held:?}");
}

mod v1 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub(crate) struct Note {
        #[id]
        pub(crate) id: Id,
        pub(crate) title: String,
        pub(crate) obsolete: Vec<u32>,
        pub(crate) stars: u32,
        pub(crate) pinned: bool,
    }
}

mod v2 {
    use insula::prelude::*;

    #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
    pub(crate) enum Color {
        #[default]
        Red,
        Blue,
    }

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub(crate) struct Place {
        pub(crate) name: String,
        pub(crate) floor: i8,
    }

    /// `obsolete` dropped; `stars` widened to `Option`; `tags`, `place`, `color`,
    /// `due` and `rank` added.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub(crate) struct Note {
        #[id]
        pub(crate) id: Id,
        pub(crate) pinned: bool,
        pub(crate) tags: Vec<String>,
        pub(crate) place: Place,
        pub(crate) stars: Option<u32>,
        pub(crate) title: String,
        pub(crate) color: Color,
        pub(crate) due: Option<i64>,
        pub(crate) rank: i64,
    }
}

fn note_v2(note: &v2::Note) -> Object {
    let place = AnyValue::Embedded(slot_order(vec![
        ("name", AnyValue::from(note.place.name.as_str())),
        ("floor", AnyValue::I8(note.place.floor)),
    ]));
    let color = AnyValue::Enum(format!("{:?}", note.color));
    Object {
        id: note.id,
        fields: slot_order(vec![
            ("pinned", AnyValue::Bool(note.pinned)),
            ("tags", texts(&note.tags)),
            ("place", place),
            ("stars", AnyValue::from(note.stars)),
            ("title", AnyValue::from(note.title.as_str())),
            ("color", color),
            ("due", AnyValue::from(note.due)),
            ("rank", AnyValue::I64(note.rank)),
        ]),
    }
}

#[test]
fn records_of_an_older_layout_read_as_the_typed_api_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique("layouts");
    {
        let db = Db::builder().name(&name).collection::<v1::Note>().open(dir.path()).unwrap();
        let mut old: Vec<v1::Note> = (1..=3)
            .map(|i| v1::Note {
                title: format!("old {i}"),
                obsolete: vec![i],
                stars: i * 10,
                pinned: i == 2,
                ..Default::default()
            })
            .collect();
        db.write_txn_sync(|txn| txn.collection::<v1::Note>().put_all(&mut old)).unwrap();
    }
    let db = Db::builder().name(&name).collection::<v2::Note>().open(dir.path()).unwrap();
    let mut new = vec![
        v2::Note {
            title: "new".into(),
            tags: vec!["a".into()],
            place: v2::Place { name: "attic".into(), floor: -1 },
            stars: None,
            color: v2::Color::Blue,
            due: Some(-7),
            rank: 9,
            ..Default::default()
        },
        // Replaces an old record with one in the new layout.
        v2::Note { id: 2, title: "rewritten".into(), stars: Some(1), ..Default::default() },
    ];
    db.write_txn_sync(|txn| txn.collection::<v2::Note>().put_all(&mut new)).unwrap();
    let typed = db.collection::<v2::Note>().all().unwrap();
    assert_eq!(typed.len(), 4);
    // The old records read with the new fields at their defaults, `stars` as `Some`.
    assert_eq!(typed[0], v2::Note { id: 1, title: "old 1".into(), stars: Some(10), ..Default::default() });
    let path = db.path().to_owned();
    {
        let snapshot = Reader::of(&db).read().unwrap();
        let dynamic: Vec<Object> = snapshot.records("Note").unwrap().map(Result::unwrap).collect();
        assert_eq!(dynamic.len(), typed.len());
        for (found, note) in dynamic.iter().zip(&typed) {
            assert_same(found, &note_v2(note));
        }
        assert_eq!(dynamic[0].get("obsolete"), None, "a dropped field is not shown");
        assert_eq!(
            dynamic[0].get("color"),
            Some(&AnyValue::Enum("Red".into())),
            "an added enum: its first variant"
        );
    }
    drop(db);
    // The same from the closed file.
    let snapshot = Reader::open(&path).unwrap().read().unwrap();
    for note in &typed {
        assert_same(&snapshot.get("Note", note.id).unwrap().unwrap(), &note_v2(note));
    }
}

/// The stored bytes of object `id` holding `record`: the record and its check, computed
/// from `runtime/FORMAT.md`.
fn sealed(id: Id, record: &[u8]) -> Vec<u8> {
    let hash = xxhash_rust::xxh3::xxh3_64_with_seed(record, id);
    let mut stored = record.to_vec();
    stored.extend_from_slice(&((hash ^ (hash >> 32)) as u32).to_le_bytes());
    stored
}

/// Writes raw stored bytes under ids, behind Insula's back.
fn put_raw(path: &Path, table: &str, records: &[(Id, Vec<u8>)]) {
    let raw = redb::Database::open(path).unwrap();
    let txn = raw.begin_write().unwrap();
    {
        let mut table = txn.open_table(redb::TableDefinition::<u64, &[u8]>::new(table)).unwrap();
        for (id, bytes) in records {
            table.insert(*id, bytes.as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
}

#[test]
fn a_damaged_record_is_an_error_and_the_others_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let objects: Vec<Everything> =
        (1..=4).map(|id| Everything { id, text: format!("object {id}"), ..Default::default() }).collect();
    let path = write_everything(dir.path(), &unique("damaged"), &objects);
    let mut stored = Vec::new();
    objects[2].encode(&mut stored).unwrap();
    let flipped = stored.len() / 2;
    stored[flipped] ^= 0x10;
    put_raw(&path, "insula:c:Everything", &[(3, stored)]);

    let snapshot = Reader::open(&path).unwrap().read().unwrap();
    let error = snapshot.get("Everything", 3).unwrap_err();
    assert!(matches!(error, Error::CorruptedFile { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`Everything`, object 3") && message.contains("check"), "{message}");
    let all: Vec<Result<Object, Error>> = snapshot.records("Everything").unwrap().collect();
    assert_eq!(all.len(), 4);
    assert!(all[2].is_err());
    for (found, object) in [(&all[0], &objects[0]), (&all[1], &objects[1]), (&all[3], &objects[3])] {
        assert_same(found.as_ref().unwrap(), &expected(object));
    }
}

proptest! {
    #![proptest_config(proptest_config(12))]

    /// Damage behind a matching check reaches the field readers of both codecs: each
    /// record gives the same values in both, or an error in both.
    #[test]
    fn damage_behind_a_valid_check_gives_the_same_answer_in_both(
        object in everything(),
        damages in prop::collection::vec(
            (prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), any::<prop::sample::Index>()),
            1..12,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let object = Everything { id: 1, ..object };
        let name = unique("damage");
        let path = write_everything(dir.path(), &name, std::slice::from_ref(&object));
        let mut stored = Vec::new();
        object.encode(&mut stored).unwrap();
        let record = &stored[..stored.len() - 4];
        let mut raw = Vec::new();
        for (number, (flips, cut)) in damages.iter().enumerate() {
            let mut damaged = record.to_vec();
            for (at, byte) in flips {
                // Past the tag, so that the damage reaches the fields.
                let at = 4 + at.index(damaged.len() - 4);
                damaged[at] ^= byte | 1;
            }
            // Every third one cut short too.
            if number % 3 == 2 {
                damaged.truncate(cut.index(damaged.len()));
            }
            let id = number as Id + 2;
            raw.push((id, sealed(id, &damaged)));
        }
        put_raw(&path, "insula:c:Everything", &raw);

        let dynamic: Vec<Result<Object, Error>> = {
            let reader = Reader::open(&path).unwrap();
            let snapshot = reader.read().unwrap();
            raw.iter().map(|(id, _)| snapshot.get("Everything", *id).map(Option::unwrap)).collect()
        };
        let db = Db::builder().name(&name).collection::<Everything>().open(dir.path()).unwrap();
        for ((id, _), dynamic) in raw.iter().zip(dynamic) {
            match (db.collection::<Everything>().get(*id), dynamic) {
                (Ok(Some(typed)), Ok(found)) => assert_same(&found, &expected(&typed)),
                (Err(Error::Corrupted { .. }), Err(Error::CorruptedFile { .. })) => {}
                (typed, dynamic) => panic!("object {id}: typed {typed:?}, dynamic {dynamic:?}"),
            }
        }
    }
}

/// One condition, typed and dynamic, from the values of `o` (so that some objects
/// match).
fn condition_pairs(o: &Everything) -> Vec<(TypedCondition<Everything>, Filter)> {
    let prefix: String = o.text.chars().take(1).collect();
    let word = o.words.first().copied().unwrap_or(7);
    let text = o.texts.first().cloned().unwrap_or_default();
    vec![
        // Another width: an i64 condition against a u32 field.
        (Everything::MEDIUM.gt(o.medium), Filter::gt("medium", i64::from(o.medium))),
        (Everything::MEDIUM.le(o.medium), Filter::le("medium", o.medium)),
        (
            Everything::LONG.between(o.long.min(0), o.long.max(0)),
            Filter::between("long", o.long.min(0), o.long.max(0)),
        ),
        (Everything::SMALL.ne(o.small), Filter::ne("small", u64::from(o.small))),
        (Everything::TINY.lt(o.tiny), Filter::lt("tiny", o.tiny)),
        (Everything::DOUBLE.ge(0.0), Filter::ge("double", 0i32)),
        (Everything::SINGLE.lt(o.single), Filter::lt("single", o.single)),
        (Everything::FLAG.eq(true), Filter::eq("flag", true)),
        (Everything::TEXT.starts_with(&prefix), Filter::starts_with("text", &prefix)),
        (Everything::TEXT.ends_with(&prefix), Filter::ends_with("text", &prefix)),
        (Everything::TEXT.contains(&prefix), Filter::contains("text", prefix.as_str())),
        (Everything::TEXTS.contains(&text), Filter::contains("texts", text.as_str())),
        (Everything::WORDS.contains(word), Filter::contains("words", i64::from(word))),
        (Everything::MAYBE_INT.is_none(), Filter::is_none("maybe_int")),
        (Everything::MAYBE_INT.gt(Some(0)), Filter::gt("maybe_int", 0)),
        (Everything::MAYBE_TEXT.eq(None), Filter::eq("maybe_text", AnyValue::Null)),
        (Everything::MOOD.eq(Mood::Neutral), Filter::eq("mood", "meh")),
        (Everything::MOOD.gt(Mood::Happy), Filter::gt("mood", AnyValue::Enum("Happy".into()))),
        (
            Everything::MAYBE_MOOD.any_of([Some(Mood::Sad), None]),
            Filter::any_of("maybe_mood", [AnyValue::Enum("Sad".into()), AnyValue::Null]),
        ),
        (Everything::BYTES.eq(&o.bytes), Filter::eq("bytes", o.bytes.clone())),
        (Everything::ID.ge(o.id), Filter::ge("id", o.id)),
        (Everything::ID.any_of([o.id, 1]), Filter::any_of("id", [o.id, 1])),
        (
            Everything::FLAG.eq(false).or(Everything::MEDIUM.lt(o.medium).not()),
            Filter::eq("flag", false).or(Filter::lt("medium", o.medium).not()),
        ),
        (
            Everything::INT.ge(0).and(Everything::MAYBE_INT.is_some()),
            Filter::ge("int", 0).and(Filter::is_none("maybe_int").not()),
        ),
        (
            Everything::FLAG.eq(true).xor(Everything::INT.ge(0)),
            Filter::eq("flag", true).xor(Filter::ge("int", 0)),
        ),
        (
            Everything::FLAG.eq(true).xor(Everything::INT.ge(0)),
            Filter::parse("flag = true xor int >= 0").unwrap(),
        ),
    ]
}

proptest! {
    #![proptest_config(proptest_config(16))]

    /// Each dynamic condition selects the ids its typed twin selects.
    #[test]
    fn dynamic_conditions_select_what_typed_queries_select(objects in prop::collection::vec(everything(), 1..12)) {
        let objects = distinct(objects);
        let dir = tempfile::tempdir().unwrap();
        let name = unique("conditions");
        let path = write_everything(dir.path(), &name, &objects);
        let db = Db::builder().name(&name).collection::<Everything>().open(dir.path()).unwrap();
        prop_assert_eq!(db.path(), path.as_path());
        let reader = Reader::of(&db);
        let snapshot = reader.read().unwrap();
        for pattern in [&objects[0], &objects[objects.len() / 2]] {
            for (typed, dynamic) in condition_pairs(pattern) {
                let wanted = db.collection::<Everything>().query().filter(typed).ids().unwrap();
                let found: Vec<Id> = snapshot
                    .query("Everything", &dynamic)
                    .unwrap()
                    .map(|object| object.unwrap().id)
                    .collect();
                prop_assert_eq!(found, wanted, "{}", dynamic);
            }
        }
        // Paths into embedded structs, against the objects themselves.
        let number = objects[0].address.number;
        let found: Vec<Id> = snapshot
            .query("Everything", &Filter::ge("address.number", number).and(Filter::is_none("maybe_address.zip")))
            .unwrap()
            .map(|object| object.unwrap().id)
            .collect();
        let wanted: Vec<Id> = objects
            .iter()
            .filter(|o| o.address.number >= number && o.maybe_address.as_ref().and_then(|a| a.zip).is_none())
            .map(|o| o.id)
            .collect();
        prop_assert_eq!(found, wanted);
    }
}

#[test]
fn a_condition_that_cannot_match_is_an_error_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        write_everything(dir.path(), &unique("refused"), &[Everything { id: 1, ..Default::default() }]);
    let snapshot = Reader::open(&path).unwrap().read().unwrap();
    let refused = |condition: Filter, field: &str, words: &str| {
        let error = snapshot.query("Everything", &condition).unwrap_err();
        match &error {
            Error::InvalidFilter { collection, field: named, .. } => {
                assert_eq!((collection.as_str(), named.as_str()), ("Everything", field), "{error}");
            }
            other => panic!("{condition}: {other:?}"),
        }
        assert!(error.to_string().contains(words), "{error}");
    };
    refused(Filter::eq("medum", 3), "medum", "no field `medum`");
    refused(Filter::eq("address.stret", "x"), "address.stret", "no field `stret`");
    refused(Filter::eq("medium", "three"), "medium", "never equals");
    refused(Filter::gt("text", 3), "text", "never equals");
    refused(Filter::eq("mood", "glad"), "mood", "no variant \"glad\"");
    refused(Filter::is_none("medium"), "medium", "never `None`");
    refused(Filter::starts_with("medium", "1"), "medium", "no text");
    refused(Filter::eq("words", 1), "words", "use `contains`");
    refused(Filter::contains("words", "one"), "words", "never equals");
    refused(Filter::eq("addresses.street", "x"), "addresses.street", "cannot go into a list");
    refused(Filter::eq("address", "x"), "address", "field by field");
    refused(Filter::eq("flag", true).and(Filter::lt("text.len", 3)), "text.len", "has no fields");
    // The same conditions, well typed, are accepted.
    assert_eq!(snapshot.query("Everything", &Filter::eq("medium", 0u8)).unwrap().count(), 1);
    assert_eq!(snapshot.query("Everything", &Filter::eq("address.street", "")).unwrap().count(), 1);
}

#[test]
fn a_file_that_needs_a_repair_is_refused_read_only_with_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.insula");
    let db = Db::builder().name(unique("repair")).collection::<Everything>().open(dir.path()).unwrap();
    let mut object = Everything { id: 1, ..Default::default() };
    db.write_txn_sync(|txn| txn.collection::<Everything>().put(&mut object)).unwrap();
    // A copy taken while the file is open is a file that was not closed cleanly.
    std::fs::copy(db.path(), &copy).unwrap();
    drop(db);
    let error = Reader::open(&copy).unwrap_err();
    assert!(matches!(&error, Error::NeedsRepair { path } if path == &copy), "{error:?}");
    assert!(error.to_string().contains("open it once for writing"), "{error}");
    // The writable open repairs it; then it reads.
    drop(redb::Database::create(&copy).unwrap());
    let snapshot = Reader::open(&copy).unwrap().read().unwrap();
    assert_same(&snapshot.get("Everything", 1).unwrap().unwrap(), &expected(&object));
}

proptest! {
    #![proptest_config(proptest_config(16))]

    /// Following the cursors from page to page gives every object once, in the order of
    /// a full sort (by value, then id), whatever the page's length.
    #[test]
    fn pages_by_key_follow_the_full_sort(
        objects in prop::collection::vec(everything(), 1..14),
        limit in 1usize..5,
        descending: bool,
    ) {
        let objects = distinct(objects);
        let dir = tempfile::tempdir().unwrap();
        let path = write_everything(dir.path(), &unique("pages"), &objects);
        let snapshot = Reader::open(&path).unwrap().read().unwrap();
        let all: Vec<Object> = snapshot.records("Everything").unwrap().map(Result::unwrap).collect();
        for field in ["id", "single", "double", "text", "maybe_int", "address.number", "mood"] {
            let mut wanted = all.clone();
            let value = |object: &Object| match field {
                "id" => AnyValue::U64(object.id),
                path => object.path(path).cloned().unwrap_or(AnyValue::Null),
            };
            wanted.sort_by(|a, b| {
                let order = value(a).compare(&value(b)).unwrap().then(a.id.cmp(&b.id));
                if descending { order.reverse() } else { order }
            });
            let wanted: Vec<Id> = wanted.iter().map(|object| object.id).collect();
            let mut found = Vec::new();
            let mut request = PageRequest::new(limit).sort(field, descending);
            loop {
                let page = snapshot.page("Everything", &request).unwrap();
                prop_assert!(page.objects.len() <= limit);
                found.extend(page.objects.iter().map(|object| object.id));
                match page.next {
                    Some(cursor) => request = request.after(cursor),
                    None => break,
                }
                prop_assert!(found.len() <= wanted.len(), "{field}: {found:?}");
            }
            prop_assert_eq!(&found, &wanted, "{}", field);
        }
    }
}

proptest! {
    #![proptest_config(proptest_config(16))]

    /// Sorted by a field with an index of its own, pages are ranges of the index, and
    /// give what a full sort gives, a page at a time, whatever the page's length.
    #[test]
    fn pages_sorted_by_an_indexed_field_follow_the_full_sort(
        authors in prop::collection::vec("[a-c]{0,2}", 1..30),
        limit in 1usize..6,
        descending: bool,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let name = unique("index-pages");
        let db = Db::builder().name(&name).collection::<Message>().open(dir.path()).unwrap();
        let mut messages: Vec<Message> =
            authors.iter().map(|author| Message { author: author.clone(), ..Default::default() }).collect();
        db.write_txn_sync(|txn| txn.collection::<Message>().put_all(&mut messages)).unwrap();
        let mut wanted: Vec<(String, Id)> = messages.iter().map(|m| (m.author.clone(), m.id)).collect();
        wanted.sort();
        if descending {
            wanted.reverse();
        }
        let wanted: Vec<Id> = wanted.into_iter().map(|(_, id)| id).collect();
        let reader = Reader::of(&db);
        let mut found = Vec::new();
        let mut request = PageRequest::new(limit).sort("author", descending);
        loop {
            // A snapshot a page, as the inspector reads.
            let page = reader.read().unwrap().page("Message", &request).unwrap();
            found.extend(page.objects.iter().map(|object| object.id));
            match page.next {
                Some(cursor) => request = request.after(cursor),
                None => break,
            }
            prop_assert!(found.len() <= wanted.len(), "{:?}", found);
        }
        prop_assert_eq!(found, wanted);
    }
}

#[test]
fn a_writable_file_reader_deletes_and_imports_keeping_the_indexes_and_tells_its_watchers() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique("writes");
    let db = Db::builder().name(&name).collection::<Message>().open(dir.path()).unwrap();
    let mut messages: Vec<Message> = (0..20)
        .map(|i| Message { author: ["ada", "bob"][i % 2].into(), likes: i as u32, ..Default::default() })
        .collect();
    db.write_txn_sync(|txn| txn.collection::<Message>().put_all(&mut messages)).unwrap();
    let path = db.path().to_owned();
    drop(db);

    let reader = Reader::open_writable(&path).unwrap();
    assert!(reader.is_writable());
    let changes = reader.watch();
    assert!(reader.delete("Message", 2).unwrap());
    assert!(!reader.delete("Message", 2).unwrap());
    changes.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    let bob = Filter::eq("author", "bob").and(Filter::lt("likes", 10u32));
    assert_eq!(reader.delete_where("Message", Some(&bob)).unwrap(), 4); // 4, 6, 8, 10 (2 went)
    let imported = reader
        .import_json(
            "Message",
            "{\"id\": 1, \"author\": \"cyd\"}\n{\"author\": \"dee\"}".as_bytes(),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(imported, 2);
    let refused = reader.delete("Nope", 1).unwrap_err();
    assert!(matches!(refused, Error::NoSuchCollection { .. }), "{refused}");
    let snapshot = reader.read().unwrap();
    snapshot.verify("Message").unwrap();
    assert_eq!(snapshot.count("Message").unwrap(), 20 - 5 + 1);
    assert_eq!(snapshot.get("Message", 1).unwrap().unwrap().get("author"), Some(&AnyValue::from("cyd")));
    drop(snapshot);
    drop(reader);

    // A read-only reader refuses, and says why.
    let reader = Reader::open(&path).unwrap();
    assert!(!reader.is_writable());
    let refused = reader.delete("Message", 1).unwrap_err();
    assert!(matches!(refused, Error::ReadOnly { .. }), "{refused}");
    assert!(refused.to_string().contains("read-only"), "{refused}");
    drop(reader);

    // The app sees it all, its index included.
    let db = Db::builder().name(&name).collection::<Message>().open(dir.path()).unwrap();
    let bobs = db.collection::<Message>().query().filter(Message::AUTHOR.eq("bob")).ids().unwrap();
    assert_eq!(bobs, [12, 14, 16, 18, 20]);
    db.collection::<Message>().verify().unwrap();
}

#[test]
fn a_reader_of_an_instance_writes_through_it_and_its_watchers_hear() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name(unique("instance-writes")).collection::<Message>().open(dir.path()).unwrap();
    let mut message = Message { author: "ada".into(), ..Default::default() };
    db.write_txn_sync(|txn| txn.collection::<Message>().put(&mut message)).unwrap();
    let typed = db.collection::<Message>().watch_lazy();
    let reader = Reader::of(&db);
    let any = reader.watch();
    assert!(reader.delete("Message", message.id).unwrap());
    typed.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    any.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!(db.collection::<Message>().count().unwrap(), 0);
    // The app's own commits reach the reader's watcher too.
    db.write_txn_sync(|txn| txn.collection::<Message>().put(&mut Message::default())).unwrap();
    any.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
}
