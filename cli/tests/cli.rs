//! The `insula` binary run on real files: every command's output and exit code, bad
//! input included.

use insula::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{Message, MessageAccessor, Mood, Profile};

/// A file `<name>.insula` in a new directory, with ten messages. Tests run in parallel
/// in one process, so each names its own instance.
fn file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name(name).collection::<Message>().open(dir.path()).unwrap();
    let mut messages: Vec<Message> = (0..10)
        .map(|i| Message {
            author: ["ada", "bob"][i % 2].into(),
            content: format!("message, \"{i}\""),
            likes: i as u32 * 10,
            tags: if i % 3 == 0 { vec!["rust".into()] } else { vec![] },
            reply_to: (i > 0).then_some(i as u64),
            mood: if i == 4 { Mood::Sad } else { Mood::Happy },
            profile: Profile { name: format!("P{i}"), age: (i % 2 == 0).then_some(i as u8) },
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut messages)).unwrap();
    let path = db.path().to_owned();
    (dir, path)
}

fn insula(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_insula"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let output = insula(args, None);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    // Progress is for a terminal: piped, stderr stays empty.
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Runs a command that must fail with exit code 1 and one line on stderr; returns it.
fn fails(args: &[&str], stdin: Option<&str>) -> String {
    let output = insula(args, stdin);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&output.stdout));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("insula: "), "{stderr}");
    stderr
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn info_shows_the_format_the_collections_their_sizes_and_schemas() {
    let (_dir, path) = file("info");
    let info = ok(&["info", arg(&path)]);
    assert!(info.contains("format: 2\n"), "{info}");
    assert!(info.contains("Message: 10 objects, records "), "{info}");
    assert!(info.contains("  index author: 10 entries, "), "{info}");
    assert!(info.contains("  field profile: embedded Profile {"), "{info}");
    assert!(info.contains("free: about "), "{info}");
    // `schema` prints what a lock file of the same collection holds.
    let schema = ok(&["schema", arg(&path)]);
    assert_eq!(schema, insula::schema::lock_text(&[insula::schema::SchemaDef::from(&Message::SCHEMA)]));
}

#[test]
fn export_filters_sorts_limits_and_writes_json_ndjson_and_csv() {
    let (_dir, path) = file("export");
    let json = ok(&[
        "export",
        arg(&path),
        "Message",
        "--where",
        "likes >= 50 and mood = Happy",
        "--sort",
        "-likes",
        "--limit",
        "2",
    ]);
    let ids: Vec<&str> = json
        .lines()
        .filter_map(|line| line.strip_prefix("{\"id\":"))
        .map(|rest| &rest[..rest.find(',').unwrap()])
        .collect();
    assert_eq!(ids, ["10", "9"], "{json}");
    assert!(json.starts_with("[\n") && json.ends_with("\n]\n"), "{json}");

    let ndjson =
        ok(&["export", arg(&path), "Message", "--format", "ndjson", "--where", "profile.age is none"]);
    assert_eq!(ndjson.lines().count(), 5, "{ndjson}");
    assert!(ndjson.lines().all(|line| line.contains("\"age\":null")), "{ndjson}");

    let csv = ok(&[
        "export",
        arg(&path),
        "Message",
        "--format",
        "csv",
        "--where",
        "tags contains \"rust\"",
        "--sort",
        "id",
    ]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "id,author,content,likes,mood,profile,reply_to,tags");
    assert_eq!(
        lines[1],
        "1,ada,\"message, \"\"0\"\"\",0,Happy,\"{\"\"age\"\":0,\"\"name\"\":\"\"P0\"\"}\",,\"[\"\"rust\"\"]\""
    );
    assert_eq!(lines.len(), 6, "4 rows, the header and the end: {csv}");
}

#[test]
fn query_prints_json_when_piped() {
    let (_dir, path) = file("query");
    let json = ok(&["query", arg(&path), "Message", "author = \"bob\" and likes < 40"]);
    assert_eq!(json.matches("\"author\":\"bob\"").count(), 2, "{json}");
    assert!(json.starts_with('['), "{json}");
}

#[test]
fn import_reads_a_file_or_stdin_and_refuses_bad_input_whole() {
    let (dir, path) = file("import");
    let input = dir.path().join("more.ndjson");
    std::fs::write(&input, "{\"author\": \"cy\", \"likes\": 7}\n{\"id\": 3, \"author\": \"dee\"}\n").unwrap();
    assert_eq!(ok(&["import", arg(&path), "Message", arg(&input)]), "imported 2 objects into Message\n");
    let output =
        insula(&["import", arg(&path), "Message"], Some("[{\"author\": \"eve\", \"mood\": \"Sad\"}]"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let error = fails(&["import", arg(&path), "Message"], Some("{\"author\": \"fay\"}\n{\"author\": 5}\n"));
    assert!(
        error.contains(
            "JSON input, line 2, column 12: invalid type: integer `5`, expected a string for field `author`"
        ),
        "{error}"
    );
    let error = fails(&["import", arg(&path), "Message"], Some("{\"author\": \"gus\", \"colour\": 1}"));
    assert!(error.contains("unknown key `colour`"), "{error}");
    let output = insula(
        &["import", arg(&path), "Message", "--ignore-unknown-keys"],
        Some("{\"author\": \"gus\", \"colour\": 1}"),
    );
    assert!(output.status.success());

    let db = Db::builder().name("import").collection::<Message>().open(dir.path()).unwrap();
    assert_eq!(
        db.messages().count().unwrap(),
        13,
        "10, then 2 (one replacing 3), then eve and gus; fay never"
    );
    assert_eq!(db.messages().get(3).unwrap().unwrap().author, "dee");
    assert!(db.messages().query().filter(Message::AUTHOR.eq("fay")).ids().unwrap().is_empty());
    db.messages().verify().unwrap();
}

#[test]
fn verify_compact_and_backup() {
    let (dir, path) = file("verify");
    assert_eq!(ok(&["verify", arg(&path)]), "Message: 10 objects, every record and index entry checks out\n");
    let copy = dir.path().join("copy.insula");
    let backup = ok(&["backup", arg(&path), arg(&copy)]);
    assert!(backup.starts_with(&format!("copied {} to {} (", path.display(), copy.display())), "{backup}");
    assert_eq!(ok(&["verify", arg(&copy)]), "Message: 10 objects, every record and index entry checks out\n");
    let compact = ok(&["compact", arg(&path)]);
    assert!(compact.starts_with("compacted "), "{compact}");
    assert_eq!(ok(&["verify", arg(&path)]), "Message: 10 objects, every record and index entry checks out\n");
    fails(&["backup", arg(&path), arg(&copy)], None);

    // An index entry removed behind the database's back fails verification.
    {
        let database = redb::Database::open(&path).unwrap();
        let txn = database.begin_write().unwrap();
        let mut table =
            txn.open_table(redb::TableDefinition::<&[u8], ()>::new("insula:i:Message:author")).unwrap();
        let first = redb::ReadableTable::first(&table).unwrap().map(|(key, _)| key.value().to_vec()).unwrap();
        table.remove(first.as_slice()).unwrap();
        drop(table);
        txn.commit().unwrap();
    }
    let output = insula(&["verify", arg(&path)], None);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("Message: collection `Message`: index `author`"), "{stdout}");
    assert!(String::from_utf8(output.stderr).unwrap().contains("1 collection(s) failed verification"));
}

#[test]
fn bad_files_collections_and_filters_fail_in_one_line() {
    let (dir, path) = file("bad");
    let not_a_database = dir.path().join("notes.txt");
    std::fs::write(&not_a_database, "hello, this is not a database file at all").unwrap();
    let error = fails(&["info", arg(&not_a_database)], None);
    assert!(error.contains("not a database file"), "{error}");
    let error = fails(&["info", arg(&dir.path().join("missing.insula"))], None);
    assert!(error.contains("No such file"), "{error}");
    let error = fails(&["export", arg(&path), "Mesage"], None);
    assert!(error.contains("no collection `Mesage`; it holds: Message"), "{error}");
    let error = fails(&["query", arg(&path), "Message", "likes >> 3"], None);
    assert_eq!(error, "insula: filter, column 8: expected a value, found `>`\n");
    let error = fails(&["query", arg(&path), "Message", "colour = 1"], None);
    assert!(error.contains("no field `colour`"), "{error}");
    let error = fails(&["export", arg(&path), "Message", "--sort", "colour"], None);
    assert!(error.contains("no field `colour` to sort by"), "{error}");
    // Usage errors are clap's: exit code 2.
    assert_eq!(insula(&["export"], None).status.code(), Some(2));
    for command in ["info", "schema", "export", "import", "query", "verify", "compact", "backup"] {
        let help = ok(&[command, "--help"]);
        assert!(help.contains("Usage: insula"), "{command}: {help}");
    }
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), long work shows its
/// progress on stderr, and clears it at the end.
#[test]
fn progress_shows_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script` on this machine: progress on a terminal is not tested");
        return;
    }
    let (dir, path) = file("progress");
    let command = format!(
        "{} export {} Message --format ndjson > {}",
        env!("CARGO_BIN_EXE_insula"),
        arg(&path),
        arg(&dir.path().join("out.ndjson"))
    );
    let output = Command::new("script").args(["-qec", &command, "/dev/null"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(terminal.contains("\rexporting: 1 of 10 objects (10%)"), "{terminal:?}");
    assert!(terminal.ends_with("\r\u{1b}[K"), "the line is cleared: {terminal:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap().lines().count(), 10);
}
