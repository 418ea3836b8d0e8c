//! A database file held by another process is `Error::AlreadyOpen`: no panic, no hang.

use insula::Error;
use insula::prelude::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Collection, Debug, Default)]
struct Note {
    #[id]
    id: Id,
    text: String,
}

/// Opens the instance the helper process holds, on another thread, failing the test
/// instead of hanging if the open does not return.
fn open_with_deadline(dir: &std::path::Path) -> insula::Result<Db> {
    let (sender, receiver) = mpsc::channel();
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(Db::builder().name("held").collection::<Note>().open(&dir));
    });
    receiver.recv_timeout(Duration::from_secs(20)).expect("open returned instead of hanging")
}

#[test]
fn a_file_held_by_another_process_is_already_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hold_instance"))
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "ready");

    let result = open_with_deadline(dir.path());
    let Err(Error::AlreadyOpen { path, holder }) = &result else { panic!("{result:?}") };
    assert!(path.ends_with("held.insula"));
    // The message names the process that holds the file (Linux says which).
    #[cfg(target_os = "linux")]
    assert_eq!(holder.as_deref(), Some(format!("process {} (hold_instance)", child.id()).as_str()));
    #[cfg(not(target_os = "linux"))]
    let _ = holder;
    assert!(result.unwrap_err().to_string().contains("in use by another process"));
    assert!(Db::instance("held").is_none(), "a failed open registers nothing");

    // Once the other process lets go, the file opens, with its data.
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let db = open_with_deadline(dir.path()).unwrap();
    assert_eq!(db.notes().get(1).unwrap().unwrap().text, "held");
}
