//! JSON export and import: every stored type round-trips exactly, typed and dynamic
//! exports agree byte for byte, and bad input is refused with its line and column and
//! leaves nothing behind when the transaction's closure returns the error.

use crate::common::{Everything, Mood, QUICK, everything, proptest_config, with_watchdog};
use insula::dynamic::{Filter, Reader};
use insula::json::Import;
use insula::prelude::*;
use insula::{Error, Result};
use insula_workspace::model::{Message, MessageAccessor};
use proptest::prelude::*;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Account {
    #[id]
    id: Id,
    #[index(unique)]
    email: String,
    balance: u64,
    ratio: Option<f32>,
}

fn in_memory<C: Collection>() -> Db {
    Db::builder().collection::<C>().open_in_memory().unwrap()
}

fn export<C: Collection>(db: &Db, lines: bool) -> String {
    let mut out = Vec::new();
    let query = db.collection::<C>().query();
    if lines { query.export_ndjson(&mut out) } else { query.export_json(&mut out) }.unwrap();
    String::from_utf8(out).unwrap()
}

fn import<C: Collection>(db: &Db, input: &str) -> Result<u64> {
    db.write_txn_sync(|txn| txn.collection::<C>().import_json(input.as_bytes()))
}

proptest! {
    #![proptest_config(proptest_config(64))]

    /// Export, import into an empty instance, export again: the same objects and the same
    /// text, in both forms, and the dynamic reader's export is that text too.
    #[test]
    fn every_stored_type_round_trips_exactly(objects in prop::collection::vec(everything(), 0..6), lines in any::<bool>()) {
        let source = in_memory::<Everything>();
        let mut objects = objects;
        for object in &mut objects {
            object.id = 0;
        }
        source.write_txn_sync(|txn| txn.collection::<Everything>().put_all(&mut objects)).unwrap();
        let text = export::<Everything>(&source, lines);

        let target = in_memory::<Everything>();
        prop_assert_eq!(import::<Everything>(&target, &text).unwrap(), objects.len() as u64);
        let imported = target.collection::<Everything>().all().unwrap();
        prop_assert_eq!(&imported, &objects);
        prop_assert_eq!(export::<Everything>(&target, lines), text.clone());

        let mut dynamic = Vec::new();
        let snapshot = Reader::of(&source).read().unwrap();
        if lines {
            snapshot.export_ndjson("Everything", None, &mut dynamic).unwrap();
        } else {
            snapshot.export_json("Everything", None, &mut dynamic).unwrap();
        }
        prop_assert_eq!(String::from_utf8(dynamic).unwrap(), text);
    }
}

#[test]
fn extreme_numbers_keep_every_bit() {
    let db = in_memory::<Everything>();
    let mut object = Everything {
        large: u64::MAX,
        long: i64::MIN,
        single: f32::MIN_POSITIVE / 8.0,
        double: -0.0,
        doubles: vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.1, 1e300, 5e-324],
        singles: vec![f32::MAX, -f32::MIN_POSITIVE, 16_777_217.0],
        ..Default::default()
    };
    db.write_txn_sync(|txn| txn.collection::<Everything>().put(&mut object)).unwrap();
    let text = export::<Everything>(&db, true);
    assert!(text.contains(r#""large":18446744073709551615"#), "{text}");
    assert!(text.contains(r#""doubles":["NaN","Infinity","-Infinity",0.1,1e300,5e-324]"#), "{text}");
    let copy = in_memory::<Everything>();
    import::<Everything>(&copy, &text).unwrap();
    let back = copy.collection::<Everything>().get(object.id).unwrap().unwrap();
    assert_eq!(back.large, u64::MAX);
    assert_eq!(back.long, i64::MIN);
    assert_eq!(back.single.to_bits(), object.single.to_bits());
    assert_eq!(back.double.to_bits(), (-0.0f64).to_bits());
    assert!(back.doubles[0].is_nan());
    assert_eq!(
        back.doubles[1..].iter().map(|d| d.to_bits()).collect::<Vec<_>>(),
        object.doubles[1..].iter().map(|d| d.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(
        back.singles.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
        object.singles.iter().map(|s| s.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn an_import_keeps_given_ids_assigns_the_rest_and_replaces_by_id() {
    let db = in_memory::<Message>();
    let watcher = db.messages().watch_lazy();
    let count = import::<Message>(
        &db,
        r#"[
            {"id": 10, "author": "ada", "content": "kept id", "created_at": 1, "likes": 3, "tags": ["a"], "reply_to": null},
            {"author": "bob"},
            {"id": 0, "author": "cy", "reply_to": 10}
        ]"#,
    )
    .unwrap();
    assert_eq!(count, 3);
    with_watchdog(QUICK, move || watcher.recv_timeout(QUICK).unwrap());
    let all = db.messages().all().unwrap();
    assert_eq!(all.iter().map(|message| message.id).collect::<Vec<_>>(), [10, 11, 12]);
    assert_eq!(all[0].tags, ["a"]);
    // Missing fields take their defaults.
    assert_eq!(all[1], Message { id: 11, author: "bob".into(), ..Default::default() });
    assert_eq!(all[2].reply_to, Some(10));
    // An object under a taken id replaces it, and its index entries with it.
    import::<Message>(&db, "{\"id\": 10, \"author\": \"zed\"}\n").unwrap();
    assert_eq!(db.messages().get(10).unwrap().unwrap().author, "zed");
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("ada")).count().unwrap(), 0);
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("zed")).ids().unwrap(), [10]);
    // Empty input imports nothing.
    assert_eq!(import::<Message>(&db, "  \n").unwrap(), 0);
    assert_eq!(import::<Message>(&db, "[]").unwrap(), 0);
}

/// The error of importing `input` into a fresh `Message` collection, which stays empty.
fn refused(input: &str) -> Error {
    let db = in_memory::<Message>();
    let error = import::<Message>(&db, input).unwrap_err();
    assert_eq!(db.messages().count().unwrap(), 0, "{input}: a refused import left objects");
    error
}

fn position(error: &Error) -> (usize, usize, String) {
    match error {
        Error::Json { line, column, reason } => (*line, *column, reason.clone()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_input_is_refused_with_its_line_and_column() {
    let array = "[\n  {\"author\": \"ada\"},\n  {\"author\": \"bob\", \"likes\": -1}\n]";
    let error = refused(array);
    assert_eq!(position(&error), (3, 32, "field `likes`: -1 is out of range for `u32`".to_owned()));
    assert_eq!(
        error.to_string(),
        "JSON input, line 3, column 32: field `likes`: -1 is out of range for `u32`"
    );

    let lines = "{\"author\": \"ada\"}\n\n{\"author\": \"bob\", \"colour\": 1}\n";
    let (line, column, reason) = position(&refused(lines));
    assert_eq!((line, column), (3, 26));
    assert!(reason.starts_with("unknown key `colour`; the keys are: id, author, content"), "{reason}");

    let (line, _, reason) = position(&refused("[{\"author\": null}]"));
    assert_eq!(line, 1);
    assert!(reason.contains("invalid type: null, expected a string for field `author`"), "{reason}");
    let (_, _, reason) = position(&refused("[{\"author\": \"a\", \"author\": \"b\"}]"));
    assert_eq!(reason, "field `author` is given twice");
    let (_, _, reason) = position(&refused("[{\"tags\": [\"a\", 2]}]"));
    assert!(reason.contains("expected a string for field `tags`"), "{reason}");
    let (line, _, reason) = position(&refused("[{\"author\": \"a\"}"));
    assert_eq!(line, 1);
    assert!(reason.contains("EOF"), "{reason}");
    let (_, _, reason) = position(&refused("{\"author\": \"a\"} trailing"));
    assert!(reason.contains("trailing"), "{reason}");
    let (_, _, reason) = position(&refused("[{\"likes\": 1.5}]"));
    assert!(reason.contains("expected an integer for `u32` for field `likes`"), "{reason}");
}

#[test]
fn enums_embedded_structs_and_unknown_keys() {
    let db = in_memory::<Everything>();
    let input = r#"{"id": 3, "mood": "meh", "maybe_mood": null, "address": {"street": "Main", "number": 7}, "extra": [1, {"x": 2}]}"#;
    let refused = import::<Everything>(&db, input).unwrap_err();
    assert!(refused.to_string().contains("unknown key `extra`"), "{refused}");
    let ignoring = Import::new().ignore_unknown_keys(true);
    db.write_txn_sync(|txn| txn.collection::<Everything>().import_json_with(input.as_bytes(), &ignoring))
        .unwrap();
    let object = db.collection::<Everything>().get(3).unwrap().unwrap();
    assert_eq!(object.mood, Mood::Neutral);
    assert_eq!(
        (object.address.street.as_str(), object.address.number, object.address.zip),
        ("Main", 7, None)
    );

    let bad_variant = import::<Everything>(&db, r#"{"mood": "Angry"}"#).unwrap_err();
    let (_, _, reason) = position(&bad_variant);
    assert!(
        reason.contains(r#"expected one of the variants "Happy", "meh", "Sad" for field `mood`"#),
        "{reason}"
    );
}

#[test]
fn a_failed_import_rolls_back_with_its_transaction() {
    let db = in_memory::<Account>();
    db.write_txn_sync(|txn| {
        txn.accounts().put(&mut Account { email: "taken@x".into(), ..Default::default() })
    })
    .unwrap();
    let watcher = db.accounts().watch_lazy();
    // Two thousand good objects, then one whose unique key is taken.
    let mut input = String::new();
    for i in 0..2_000 {
        input.push_str(&format!("{{\"email\": \"user{i}@x\", \"balance\": {i}}}\n"));
    }
    input.push_str("{\"email\": \"taken@x\"}\n");
    let result = db.write_txn_sync(|txn| txn.accounts().import_json(input.as_bytes()));
    assert!(matches!(result, Err(Error::UniqueViolation { .. })), "{result:?}");
    assert_eq!(db.accounts().count().unwrap(), 1, "the import was rolled back");
    assert!(watcher.try_recv().is_err(), "an aborted import fires no watcher");
    // The same input without the clash goes in whole.
    let input = input.replace("taken@x", "new@x");
    assert_eq!(db.write_txn_sync(|txn| txn.accounts().import_json(input.as_bytes())).unwrap(), 2_001);
    assert_eq!(db.accounts().count().unwrap(), 2_002);
}

/// A writer that fails once `limit` bytes are written.
struct Failing {
    written: usize,
    limit: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.written + bytes.len() > self.limit {
            return Err(std::io::Error::other("disk full"));
        }
        self.written += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn exports_stream_and_report_a_failing_writer() {
    let db = in_memory::<Message>();
    let mut batch: Vec<Message> = (0..5_000)
        .map(|i| Message { author: format!("a{}", i % 10), likes: i, ..Default::default() })
        .collect();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    let error = db.messages().query().export_json(Failing { written: 0, limit: 100_000 }).unwrap_err();
    assert!(matches!(&error, Error::Output { source } if source.to_string() == "disk full"), "{error:?}");

    // A filtered, sorted, limited export writes exactly the query's results.
    let mut out = Vec::new();
    let query =
        db.messages().query().filter(Message::AUTHOR.eq("a3")).sort_by(Message::LIKES.desc()).limit(2);
    assert_eq!(query.export_ndjson(&mut out).unwrap(), 2);
    let text = String::from_utf8(out).unwrap();
    let ids: Vec<&str> = text.lines().map(|line| &line[6..line.find(',').unwrap()]).collect();
    let expected: Vec<String> = query.ids().unwrap().iter().map(Id::to_string).collect();
    assert_eq!(ids, expected);

    // The dynamic export of a filter gives the typed export of the same condition.
    let mut typed = Vec::new();
    db.messages().query().filter(Message::LIKES.gt(4_990)).export_json(&mut typed).unwrap();
    let mut dynamic = Vec::new();
    Reader::of(&db)
        .read()
        .unwrap()
        .export_json("Message", Some(&Filter::gt("likes", 4_990u32)), &mut dynamic)
        .unwrap();
    assert_eq!(String::from_utf8(dynamic).unwrap(), String::from_utf8(typed).unwrap());
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Indexed {
    #[id]
    id: Id,
    #[index(case_insensitive)]
    name: String,
    #[index]
    tags: Vec<String>,
    #[index]
    score: Option<i32>,
    #[index(composite(score))]
    mood: Mood,
    #[index(unique)]
    code: u64,
    #[index]
    weight: f64,
    blob: Vec<u8>,
    place: crate::common::Address,
}

fn indexed() -> impl Strategy<Value = Indexed> {
    let name = prop_oneof![Just("Ada".to_owned()), Just("ada".to_owned()), "[a-zA-Zé]{0,4}", ".{300}"];
    (
        name,
        prop::collection::vec(prop_oneof![Just("x".to_owned()), Just("y".to_owned()), "[a-z]{0,2}"], 0..4),
        any::<Option<i32>>(),
        crate::common::mood(),
        crate::common::float64(),
        prop::collection::vec(any::<u8>(), 0..4),
        crate::common::address(),
    )
        .prop_map(|(name, tags, score, mood, weight, blob, place)| Indexed {
            id: 0,
            name,
            tags,
            score,
            mood,
            code: 0,
            weight,
            blob,
            place,
        })
}

proptest! {
    #![proptest_config(proptest_config(48))]

    /// The same input imported without the types into a file and with them into
    /// another: the same objects, and indexes that agree with them entry for entry
    /// (`verify` rebuilds every key with the typed code and compares the tables).
    #[test]
    fn an_import_without_the_types_writes_what_the_typed_one_writes(
        objects in prop::collection::vec(indexed(), 0..12),
        replace in prop::collection::vec((0usize..12, indexed()), 0..4),
    ) {
        let mut lines = String::new();
        let mut objects = objects;
        for (at, object) in objects.iter_mut().enumerate() {
            object.code = at as u64;
        }
        let mut source = in_memory::<Indexed>();
        source.write_txn_sync(|txn| txn.indexeds().put_all(&mut objects)).unwrap();
        let mut out = Vec::new();
        source.indexeds().query().export_ndjson(&mut out).unwrap();
        lines.push_str(&String::from_utf8(out).unwrap());
        // Then objects that replace some of the first ones by id (their old index entries
        // must go), with codes of their own.
        for (number, (at, mut object)) in replace.into_iter().enumerate() {
            object.id = at as u64 + 1;
            object.code = 1_000 + number as u64;
            source = in_memory::<Indexed>();
            source.write_txn_sync(|txn| txn.indexeds().put(&mut object)).unwrap();
            let mut out = Vec::new();
            source.indexeds().query().export_ndjson(&mut out).unwrap();
            lines.push_str(&String::from_utf8(out).unwrap());
        }

        let typed = in_memory::<Indexed>();
        let typed_count = import::<Indexed>(&typed, &lines).unwrap();

        let dir = tempfile::tempdir().unwrap();
        drop(Db::builder().name("json-untyped").collection::<Indexed>().open(dir.path()).unwrap());
        let path = dir.path().join("json-untyped.insula");
        let untyped_count = insula::dynamic::import_json(&path, "Indexed", lines.as_bytes(), &Import::new()).unwrap();
        prop_assert_eq!(untyped_count, typed_count);

        Reader::open(&path).unwrap().read().unwrap().verify("Indexed").unwrap();
        let untyped = Db::builder().name("json-untyped").collection::<Indexed>().open(dir.path()).unwrap();
        untyped.indexeds().verify().unwrap();
        typed.indexeds().verify().unwrap();
        prop_assert_eq!(export::<Indexed>(&untyped, true), export::<Indexed>(&typed, true));
        for name in ["ADA", "x", ""] {
            let query = |db: &Db| db.indexeds().query().filter(Indexed::NAME.eq(name)).ids().unwrap();
            prop_assert_eq!(query(&untyped), query(&typed));
        }
        // Byte for byte: the records the untyped import encoded are the typed encoder's.
        let copies = tempfile::tempdir().unwrap();
        let typed_file = copies.path().join("typed.insula");
        typed.copy_to(&typed_file).unwrap();
        drop(untyped);
        prop_assert_eq!(records(&typed_file), records(&path));
    }
}

/// Every stored record of `Indexed` in the file at `path`, read with redb alone.
fn records(path: &std::path::Path) -> Vec<(u64, Vec<u8>)> {
    let database = redb::Database::builder().open_read_only(path).unwrap();
    let read = redb::ReadableDatabase::begin_read(&database).unwrap();
    let table = read.open_table(redb::TableDefinition::<u64, &[u8]>::new("insula:c:Indexed")).unwrap();
    redb::ReadableTable::iter(&table)
        .unwrap()
        .map(|entry| entry.map(|(id, record)| (id.value(), record.value().to_vec())).unwrap())
        .collect()
}

#[test]
fn an_import_without_the_types_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::builder().name("json-untyped-refused").collection::<Account>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| {
            txn.accounts().put(&mut Account { email: "taken@x".into(), ..Default::default() })
        })
        .unwrap();
    }
    let path = dir.path().join("json-untyped-refused.insula");
    let contents = || {
        let snapshot = Reader::open(&path).unwrap().read().unwrap();
        let mut out = Vec::new();
        snapshot.export_ndjson("Account", None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let before = contents();
    let import =
        |input: &str| insula::dynamic::import_json(&path, "Account", input.as_bytes(), &Import::new());

    let clash = import("{\"email\": \"a@x\"}\n{\"email\": \"taken@x\"}\n").unwrap_err();
    let Error::UniqueViolation { collection, value, existing: 1, .. } = &clash else { panic!("{clash:?}") };
    assert_eq!((collection.as_str(), value.as_str()), ("Account", "\"taken@x\""));
    let (line, column, reason) =
        position(&import("{\"email\": \"b@x\"}\n{\"email\": \"c@x\", \"balance\": \"much\"}\n").unwrap_err());
    assert_eq!((line, column), (2, 34), "{reason}");
    assert_eq!(reason, "invalid type: string \"much\", expected an integer for `u64` for field `balance`");
    let missing = insula::dynamic::import_json(&path, "Acount", "{}".as_bytes(), &Import::new()).unwrap_err();
    assert!(missing.to_string().contains("no collection `Acount`; it holds: Account"), "{missing}");
    // redb writes as it closes, so the bytes move; what the file holds does not.
    assert_eq!(contents(), before, "a refused import left objects behind");

    // While an instance holds the file, the import is refused as for any second opener.
    let db = Db::builder().name("json-untyped-refused").collection::<Account>().open(dir.path()).unwrap();
    assert!(matches!(import("{\"email\": \"d@x\"}"), Err(Error::AlreadyOpen { .. })));
    assert_eq!(db.accounts().count().unwrap(), 1);
}

#[test]
fn verify_without_the_types_finds_what_verify_with_them_finds() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = Db::builder().name("json-verify").collection::<Indexed>().open(dir.path()).unwrap();
        let mut objects: Vec<Indexed> = (0..50)
            .map(|i| Indexed {
                name: format!("N{i}"),
                tags: vec!["t".into(), format!("{i}")],
                code: i,
                ..Default::default()
            })
            .collect();
        db.write_txn_sync(|txn| txn.indexeds().put_all(&mut objects)).unwrap();
        db.path().to_owned()
    };
    Reader::open(&path).unwrap().read().unwrap().verify("Indexed").unwrap();
    // One entry of the unique index on `code` goes missing, through redb itself.
    {
        let database = redb::Database::open(&path).unwrap();
        let txn = database.begin_write().unwrap();
        let mut table =
            txn.open_table(redb::TableDefinition::<&[u8], u64>::new("insula:i:Indexed:code unique")).unwrap();
        let key = 7u64.to_be_bytes();
        assert_eq!(table.remove(key.as_slice()).unwrap().map(|id| id.value()), Some(8));
        drop(table);
        txn.commit().unwrap();
    }
    let dynamic = Reader::open(&path).unwrap().read().unwrap().verify("Indexed").unwrap_err();
    let Error::IndexInconsistent { collection, index, detail } = &dynamic else { panic!("{dynamic:?}") };
    assert_eq!((collection.as_str(), index.as_str()), ("Indexed", "code"));
    assert!(detail.starts_with("object 8 lacks its entry"), "{detail}");
    let typed = Db::builder()
        .name("json-verify")
        .collection::<Indexed>()
        .open(dir.path())
        .unwrap()
        .indexeds()
        .verify()
        .unwrap_err();
    assert_eq!(typed.to_string(), dynamic.to_string());
}

/// Input that arrives in pieces, as from a pipe.
struct Pieces(std::collections::VecDeque<&'static str>);

impl std::io::Read for Pieces {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let Some(piece) = self.0.pop_front() else { return Ok(0) };
        buffer[..piece.len()].copy_from_slice(piece.as_bytes());
        Ok(piece.len())
    }
}

#[test]
fn positions_count_the_blank_lines_that_arrived_alone() {
    let db = in_memory::<Message>();
    let import = |pieces: &[&'static str]| {
        let input = Pieces(pieces.iter().copied().collect());
        db.write_txn_sync(|txn| txn.messages().import_json(input)).unwrap_err()
    };
    let (line, _, _) = position(&import(&["\n", "{\"author\": 5}\n"]));
    assert_eq!(line, 2);
    let (line, _, _) = position(&import(&["\n\n", "[\n{\"author\": 5}]"]));
    assert_eq!(line, 4);
}
