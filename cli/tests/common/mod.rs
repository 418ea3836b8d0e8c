//! What the command line's and the inspector's suites share: the collection they store,
//! a file of it, a minimal HTTP client, and the `insula inspect` process.

#![allow(dead_code)]

use insula::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
pub enum Mood {
    #[default]
    Happy,
    Sad,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub age: Option<u8>,
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index]
    pub author: String,
    pub content: String,
    pub likes: u32,
    pub tags: Vec<String>,
    pub reply_to: Option<Id>,
    pub mood: Mood,
    pub profile: Profile,
}

/// Message number `i` of the fixtures.
pub fn message(i: usize) -> Message {
    Message {
        author: ["ada", "bob", "cyd"][i % 3].into(),
        content: format!("message {i}"),
        likes: (i as u32 * 7) % 50,
        tags: if i.is_multiple_of(3) { vec!["rust".into()] } else { vec![] },
        reply_to: (i % 4 == 1).then(|| i as u64 - 1),
        mood: if i % 5 == 4 { Mood::Sad } else { Mood::Happy },
        profile: Profile { name: format!("P{i}"), age: i.is_multiple_of(2).then_some(i as u8) },
        ..Default::default()
    }
}

/// Opens instance `name` in `dir` with `count` messages.
pub fn open(name: &str, dir: &Path, count: usize) -> Db {
    let db = Db::builder().name(name).collection::<Message>().open(dir).unwrap();
    let mut messages: Vec<Message> = (0..count).map(message).collect();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut messages)).unwrap();
    db
}

/// A closed file `<name>.insula` in a new directory, with `count` messages.
pub fn file(name: &str, count: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = open(name, dir.path(), count);
    let path = db.path().to_owned();
    (dir, path)
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("{error}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// Sends one request to `address` (`host:port`) and reads the answer; the token goes in
/// the header when given. Times out rather than hangs.
pub fn request(address: &str, method: &str, target: &str, token: Option<&str>, body: &str) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let token = token.map(|token| format!("X-Insula-Token: {token}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\n{token}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':').unwrap();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    Answer { status, headers, body: String::from_utf8(body).unwrap() }
}

/// `s` percent-encoded for a query.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// `insula inspect` running on a file; killed when dropped.
pub struct Inspect {
    pub child: Child,
    pub url: String,
    pub address: String,
    pub token: String,
}

impl Inspect {
    /// Starts `insula inspect FILE` with `args` and reads the URL it prints (within 30 s).
    pub fn start(path: &Path, args: &[&str]) -> Inspect {
        let mut child = Command::new(env!("CARGO_BIN_EXE_insula"))
            .arg("inspect")
            .arg(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = send.send(line);
            }
            // Keep reading, so the process never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match receive.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let mut error = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut error);
                panic!("`insula inspect` printed no URL within 30 s: {error}");
            }
        };
        let url = line.split_whitespace().find(|word| word.starts_with("http://")).unwrap().to_owned();
        let rest = url.strip_prefix("http://").unwrap();
        let (address, query) = rest.split_once('/').unwrap();
        let (address, token) = (address.to_owned(), query.split_once("token=").unwrap().1.to_owned());
        Inspect { child, url, address, token }
    }

    /// Ends the process with SIGINT (as Ctrl-C does) and waits for it, at most 30 s;
    /// returns its stdout's exit status.
    pub fn interrupt(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-INT").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "`insula inspect` did not stop within 30 s of Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Inspect {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
