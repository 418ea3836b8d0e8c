//! The examples run as a user runs them, in a directory of their own, and say what they
//! should. `cargo test` builds them beside the test binaries.

use crate::common::with_watchdog;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The built example `name`: `target/<profile>/examples/<name>`, beside `deps/`, which
/// holds this test binary.
fn example(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().unwrap();
    let profile_dir = test_binary.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join(name)
}

/// Runs example `name` in a fresh directory, twice (the second run finds the first's
/// data directory), and returns the output of each run.
fn run_twice(name: &str) -> [String; 2] {
    let program = example(name);
    assert!(program.exists(), "{} is built by `cargo test`", program.display());
    with_watchdog(Duration::from_secs(120), move || {
        let dir = tempfile::tempdir().unwrap();
        [0, 1].map(|_| {
            let output = Command::new(&program).current_dir(dir.path()).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
            assert!(dir.path().join("data").is_dir(), "the example made its data directory");
            stdout
        })
    })
}

#[test]
fn the_main_example_shares_one_instance_across_threads_and_refuses_other_schemas() {
    for output in run_twice("multi_thread") {
        for line in [
            "the messages changed!",
            "the worker finished: it wrote 10000 messages",
            "the collection holds 10000 messages",
            "a thread with another schema was refused:",
            "field `likes` changed from `likes: u32` to `likes: i32` [breaking]",
        ] {
            assert!(output.contains(line), "missing {line:?} in:\n{output}");
        }
    }
}

#[test]
fn the_quickstart_writes_and_reads_back() {
    let [first, second] = run_twice("quickstart");
    assert!(first.contains("stored ids [1, 2, 3]"), "{first}");
    assert!(first.contains("#1 by ada: \"message number 1\""), "{first}");
    assert!(first.contains("has 30 likes (read in place)"), "{first}");
    assert!(first.contains("3 messages in the collection"), "{first}");
    assert!(second.contains("stored ids [4, 5, 6]"), "the second run adds to the first's file: {second}");
    assert!(second.contains("6 messages in the collection"), "{second}");
}

#[test]
fn the_async_example_streams_a_query_while_tasks_write() {
    for output in run_twice("async_app") {
        for line in [
            "ada has 20 messages; the newest: ada's message 20",
            "the stream saw ada's 20 messages in",
            "3 writers wrote 60 messages",
        ] {
            assert!(output.contains(line), "missing {line:?} in:\n{output}");
        }
    }
}
