//! `cargo xtask schema-check` as a user runs it: every verdict and every flag.

use insula::prelude::*;
use std::path::Path;
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().expect("xtask runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn check(lock: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["schema-check", "--lock", lock.to_str().unwrap()];
    args.extend_from_slice(extra);
    xtask(&args)
}

#[test]
fn bless_then_no_drift_then_drift_with_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("schema.lock");

    let missing = check(&lock, &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stdout(&missing).contains("Message: collection added [compatible]"), "{}", stdout(&missing));
    assert!(stdout(&missing).contains("run `cargo xtask schema-check --bless`"));

    let blessed = check(&lock, &["--bless"]);
    assert_eq!(blessed.status.code(), Some(0), "{}", stdout(&blessed));
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(text.starts_with(insula::schema::LOCK_HEADER), "{text}");

    let clean = check(&lock, &[]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(stdout(&clean).contains("no drift, 1 collection(s)"));

    // Pretend the lock was written by an older program: `likes` was an i64, there was a
    // `score` field and no index on `author`, and `content` was called `body`.
    let older: String = text
        .replace("field likes: u32", "field likes: i64\nfield score: f64")
        .replace("field content: string", "field body: string")
        .replace("index author\n", "")
        .lines()
        .map(|line| {
            if line.starts_with("hash ") {
                "hash 0x0000000000000001\n".to_owned()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    std::fs::write(&lock, older).unwrap();
    let drifted = check(&lock, &[]);
    assert_eq!(drifted.status.code(), Some(1));
    let out = stdout(&drifted);
    assert!(
        out.contains("Message: field `likes` changed from `likes: i64` to `likes: u32` [breaking]"),
        "{out}"
    );
    assert!(
        out.contains("Message: field `score: f64` removed, dropping its stored values [compatible]"),
        "{out}"
    );
    assert!(
        out.contains(
            "Message: field `body: string` removed and `content: string` added, dropping the stored values of `body`; \
             if it was renamed, keep them with `#[field(name = \"body\")]` on `content` [compatible]"
        ),
        "{out}"
    );
    assert!(out.contains("Message: index `author` added [compatible]"), "{out}");
    assert!(out.contains("4 difference(s)"), "{out}");
    assert!(out.contains(", 1 breaking (0 migrated by the code);"), "{out}");
}

#[test]
fn the_committed_lock_has_no_drift() {
    let output = xtask(&["schema-check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

mod older {
    use insula::prelude::*;

    /// `Message` without `reply_to` and without its index.
    #[derive(Collection, Debug, Default)]
    #[collection(name = "Message")]
    pub struct Message {
        #[id]
        pub id: Id,
        pub author: String,
        pub content: String,
        pub created_at: i64,
        pub likes: u32,
        pub tags: Vec<String>,
    }
}

mod incompatible {
    use insula::prelude::*;

    #[derive(Collection, Debug, Default)]
    #[collection(name = "Message")]
    pub struct Message {
        #[id]
        pub id: Id,
        pub author: u64,
    }
}

#[test]
fn db_says_what_opening_a_database_would_do_without_changing_it() {
    let dir = tempfile::tempdir().unwrap();
    let same = {
        let db = insula_workspace::model::builder().name("same").open(dir.path()).unwrap();
        db.path().to_owned()
    };
    let output = xtask(&["schema-check", "--db", same.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "Message: nothing to do\n");

    let old = {
        use older::MessageAccessor;
        let db = Db::builder().name("old").collection::<older::Message>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.messages().put(&mut older::Message::default())).unwrap();
        db.path().to_owned()
    };
    let before = std::fs::read(&old).unwrap();
    let output = xtask(&["schema-check", "--db", old.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = stdout(&output);
    assert!(out.starts_with("Message: migrate:\n"), "{out}");
    assert!(out.contains("  field `reply_to: u64?` added [compatible]"), "{out}");
    assert!(out.contains("  index `author` added [compatible]"), "{out}");
    assert!(std::fs::read(&old).unwrap() == before, "--db changes nothing");

    let refused = {
        let db =
            Db::builder().name("refused").collection::<incompatible::Message>().open(dir.path()).unwrap();
        db.path().to_owned()
    };
    let output = xtask(&["schema-check", "--db", refused.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.starts_with("Message: refuse:\n"), "{out}");
    assert!(
        out.contains("field `author` changed from `author: u64` to `author: string` [breaking]"),
        "{out}"
    );
}

#[test]
fn help_describes_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let help = check(&dir.path().join("schema.lock"), &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    for option in ["--bless", "--db FILE", "--lock FILE"] {
        assert!(stdout(&help).contains(option), "{}", stdout(&help));
    }
}
