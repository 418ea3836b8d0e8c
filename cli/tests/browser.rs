//! The inspector's page in a real headless Chromium, driven over WebDriver
//! (chromedriver): the collections, sorting, the filter builder and the filter
//! language, an object's JSON, an edit that reaches the file, and a count that rises
//! while another thread writes, in the app (`Db::serve_inspector`) and offline
//! (`insula inspect` as a process). Screenshots of the main views go to
//! `target/inspector-screenshots/`.
//!
//! Without `chromium` and `chromedriver` the tests say they are skipped and pass, unless
//! `INSULA_REQUIRE_BROWSER=1` (CI sets it), which makes them fail instead.

mod common;

use common::{Inspect, Message, MessageAccessor, encode, file, open, request};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long any wait for the page may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// Whether the browser is there; says why not and whether to fail.
fn browser_available() -> bool {
    let found = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
    };
    if found("chromium") && found("chromedriver") {
        return true;
    }
    if std::env::var("INSULA_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!(
            "INSULA_REQUIRE_BROWSER=1 but `chromium` or `chromedriver` is not on PATH (apt-get install chromium chromium-driver)"
        );
    }
    eprintln!(
        "skipped: `chromium` and `chromedriver` are not installed (apt-get install chromium chromium-driver)"
    );
    false
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/inspector-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One HTTP exchange with chromedriver: a JSON body in, the JSON `value` out.
fn wire(address: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE * 2)).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut length = None;
    reader.read_line(&mut line).unwrap();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut bytes = Vec::new();
    match length {
        Some(length) => {
            bytes.resize(length, 0);
            reader.read_exact(&mut bytes).unwrap();
        }
        None => {
            reader.read_to_end(&mut bytes).unwrap();
        }
    }
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if answer["value"]["error"].is_string() {
        panic!("WebDriver {method} {path}: {}", answer["value"]);
    }
    answer["value"].clone()
}

/// A headless Chromium session over chromedriver; both end when dropped.
struct Browser {
    driver: Child,
    address: String,
    session: String,
}

impl Browser {
    fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let address = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(&address).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut browser = Browser { driver, address, session: String::new() };
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,900"],
            },
        }}});
        let session = wire(&browser.address, "POST", "/session", Some(&capabilities));
        browser.session = session["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        wire(&self.address, method, &format!("/session/{}{path}", self.session), body.as_ref())
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn run(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// Waits until `condition` (a JS expression) is true; fails after [`PATIENCE`].
    fn wait(&self, what: &str, condition: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.run(&format!("return !!({condition});")) == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}: `{condition}`");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn element(&self, css: &str) -> String {
        let found = self.call("POST", "/element", Some(json!({ "using": "css selector", "value": css })));
        found.as_object().unwrap().values().next().unwrap().as_str().unwrap().to_owned()
    }

    /// A real click on the element `css` selects.
    fn click(&self, css: &str) {
        let element = self.element(css);
        self.call("POST", &format!("/element/{element}/click"), Some(json!({})));
    }

    /// Types `text` into the element `css` selects, after clearing it.
    fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.call("POST", &format!("/element/{element}/clear"), Some(json!({})));
        self.call("POST", &format!("/element/{element}/value"), Some(json!({ "text": text })));
    }

    fn text(&self, css: &str) -> String {
        let element = self.element(css);
        self.call("GET", &format!("/element/{element}/text"), None).as_str().unwrap().to_owned()
    }

    /// Picks `value` in the `<select>` `css` selects, as a person would.
    fn choose(&self, css: &str, value: &str) {
        self.run(&format!(
            "const s = document.querySelector({css:?}); s.value = {value:?}; s.dispatchEvent(new Event('change'));"
        ));
    }

    fn screenshot(&self, name: &str) {
        let png = decode_base64(self.call("GET", "/screenshot", None).as_str().unwrap());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
    }

    /// The cells of column `field` in the table, top to bottom.
    fn column(&self, field: &str) -> Vec<String> {
        let script = format!(
            "const at = [...document.querySelectorAll('#objects thead th')].findIndex(th => th.dataset.field === {field:?});
             return [...document.querySelectorAll('#objects tbody tr')].filter(tr => tr.dataset.id).map(tr => tr.cells[at].textContent);"
        );
        self.run(&script).as_array().unwrap().iter().map(|cell| cell.as_str().unwrap().to_owned()).collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = std::panic::catch_unwind(|| {
                wire(&self.address, "DELETE", &format!("/session/{}", self.session), None)
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |byte: u8| -> u32 {
        match byte {
            b'A'..=b'Z' => u32::from(byte - b'A'),
            b'a'..=b'z' => u32::from(byte - b'a') + 26,
            b'0'..=b'9' => u32::from(byte - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {byte}"),
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|byte| !byte.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|byte| *byte != b'=').collect();
        let mut word = 0u32;
        for (at, byte) in data.iter().enumerate() {
            word |= value(*byte) << (18 - 6 * at);
        }
        for at in 0..data.len().saturating_sub(1) {
            out.push((word >> (16 - 8 * at)) as u8);
        }
    }
    out
}

fn numbers(cells: &[String]) -> Vec<i64> {
    cells.iter().map(|cell| cell.parse().unwrap()).collect()
}

/// The walk both modes take; `prefix` names the screenshots, `write` adds one message
/// by another thread's route (the app, or the inspector's import), and `edited` tells
/// whether the edit of object 2 reached the data.
fn walk(url: &str, prefix: &str, write: Arc<dyn Fn() + Send + Sync>) -> Browser {
    let browser = Browser::start();
    browser.go(url);
    browser.wait("the collections", "document.querySelector('#collections li[data-name=Message]')");
    browser.wait("the first rows", "document.querySelectorAll('#objects tbody tr[data-id]').length > 0");
    assert!(browser.text("#collections").contains("Message"));
    let count: u64 = browser.text("#count-Message").replace(',', "").parse().unwrap();
    assert_eq!(count, 30);
    assert_eq!(browser.column("id").len(), 30);
    browser.screenshot(&format!("{prefix}-objects"));

    // Sort by clicking a header, twice.
    browser.click("#objects th[data-field=likes]");
    browser
        .wait("sorted by likes", "document.querySelector('#objects th.sorted')?.dataset.field === 'likes'");
    let likes = numbers(&browser.column("likes"));
    assert!(likes.is_sorted(), "{likes:?}");
    browser.click("#objects th[data-field=likes]");
    browser.wait("sorted down", "document.querySelector('#objects th.sorted')?.textContent.includes('▼')");
    let likes = numbers(&browser.column("likes"));
    assert!(likes.iter().rev().is_sorted(), "{likes:?}");

    // The builder: a string field offers string conditions.
    browser.choose("#fb-field", "author");
    let operators = browser.run("return [...document.querySelectorAll('#fb-op option')].map(o => o.value);");
    assert!(operators.as_array().unwrap().contains(&json!("starts_with")), "{operators}");
    browser.choose("#fb-field", "likes");
    let operators = browser.run("return [...document.querySelectorAll('#fb-op option')].map(o => o.value);");
    assert!(operators.as_array().unwrap().contains(&json!(">=")), "{operators}");
    assert!(!operators.as_array().unwrap().contains(&json!("starts_with")), "{operators}");
    browser.choose("#fb-field", "reply_to");
    let operators = browser.run("return [...document.querySelectorAll('#fb-op option')].map(o => o.value);");
    assert!(operators.as_array().unwrap().contains(&json!("is none")), "{operators}");
    browser.choose("#fb-field", "author");
    browser.choose("#fb-op", "=");
    browser.type_into("#fb-value", "ada");
    browser.click("#fb-add");
    browser.wait(
        "the filtered rows",
        "[...document.querySelectorAll('#objects tbody tr[data-id]')].length === 10",
    );
    assert!(browser.column("author").iter().all(|author| author == "ada"));
    assert_eq!(
        browser.run("return document.getElementById('filter-text').value;"),
        json!("author = \"ada\"")
    );
    // The language, typed; an error says where.
    browser.type_into("#filter-text", "likes >> 3");
    browser.click("#apply-filter");
    browser.wait("the filter error", "!document.getElementById('filter-error').hidden");
    assert!(browser.text("#filter-error").contains("column 8"), "{}", browser.text("#filter-error"));
    browser.type_into("#filter-text", "author = \"ada\" and likes >= 20");
    browser.click("#apply-filter");
    browser.wait("the second filter", "document.getElementById('filter-error').hidden");
    let likes = numbers(&browser.column("likes"));
    assert!(!likes.is_empty() && likes.iter().all(|likes| *likes >= 20), "{likes:?}");
    browser.screenshot(&format!("{prefix}-filter"));
    browser.click("#clear-filter");
    browser.wait("every row again", "document.querySelectorAll('#objects tbody tr[data-id]').length === 30");

    // One object: its JSON, nested values included; an edit.
    browser.click("#objects tbody tr[data-id='2']");
    browser.wait("the object", "!document.getElementById('detail').hidden && document.getElementById('detail-json').value.includes('profile')");
    let shown: Value = serde_json::from_str(
        browser.run("return document.getElementById('detail-json').value;").as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(shown["profile"]["name"], "P1");
    browser.run("document.querySelector('main').scrollTop = 0;");
    browser.screenshot(&format!("{prefix}-object"));
    let mut edited = shown.clone();
    edited["content"] = "edited in the browser".into();
    browser.run(&format!(
        "document.getElementById('detail-json').value = {:?};",
        serde_json::to_string_pretty(&edited).unwrap()
    ));
    browser.click("#save-object");
    browser.wait("the edit in the table", "[...document.querySelectorAll('#objects tbody td')].some(td => td.textContent === 'edited in the browser')");

    // A field edited in its cell.
    browser.run(
        "document.querySelector(\"#objects tbody tr[data-id='3'] td[data-field=likes]\").dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));",
    );
    browser.wait("the cell's input", "document.querySelector('.cell-input')");
    browser.type_into(".cell-input", "777\u{E007}");
    browser.wait(
        "the edited cell",
        "document.querySelector(\"#objects tbody tr[data-id='3'] td[data-field=likes]\")?.textContent === '777'",
    );

    // Live: a filter being typed survives the refresh a commit brings.
    browser.type_into("#filter-text", "likes > 4");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let deadline = Instant::now() + PATIENCE;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                write();
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    browser.wait(
        "the count to rise",
        "Number(document.getElementById('count-Message').textContent.replace(/,/g, '')) >= 33",
    );
    browser.wait("the new rows", "document.querySelectorAll('#objects tbody tr[data-id]').length >= 33");
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(browser.run("return document.getElementById('filter-text').value;"), json!("likes > 4"));
    browser.click("#close-detail");
    browser.screenshot(&format!("{prefix}-live"));

    // The schema, with its index; verify.
    browser.click(".tabs button[data-tab=schema]");
    browser
        .wait("the schema", "document.querySelector('#schema-indexes tbody').textContent.includes('author')");
    browser.screenshot(&format!("{prefix}-schema"));
    browser.click("#verify");
    browser.wait(
        "the verification",
        "document.getElementById('verify-result').textContent.includes('checks out')",
    );
    browser
}

#[test]
fn in_app_page() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = open("browser-in-app", dir.path(), 30);
    let inspector = db.serve_inspector("127.0.0.1:0").unwrap();
    let app = db.clone();
    let write: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        let mut message = Message { author: "live".into(), likes: 3, ..Default::default() };
        app.write_txn_sync(|txn| txn.messages().put(&mut message)).unwrap();
    });
    drop(walk(&inspector.url(), "in-app", write));
    // The edits reached the app's data.
    assert_eq!(db.messages().get(2).unwrap().unwrap().content, "edited in the browser");
    assert_eq!(db.messages().get(3).unwrap().unwrap().likes, 777);
}

#[test]
fn offline_page() {
    if !browser_available() {
        return;
    }
    let (_dir, path) = file("browser-offline", 30);
    let inspect = Inspect::start(&path, &[]);
    // The file is the process's: another thread writes through the inspector's import.
    let (address, token) = (inspect.address.clone(), inspect.token.clone());
    let write: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        let body = "{\"author\": \"live\", \"likes\": 3}";
        let answer = request(&address, "POST", "/api/collections/Message/import", Some(&token), body);
        assert_eq!(answer.status, 200, "{}", answer.body);
    });
    // The page stays open, its change feed waiting, while the process gets Ctrl-C.
    let browser = walk(&inspect.url, "offline", write);
    let filter = encode("author = \"live\"");
    let live = request(
        &inspect.address,
        "GET",
        &format!("/api/collections/Message/objects?filter={filter}"),
        Some(&inspect.token),
        "",
    );
    assert!(live.json()["objects"].as_array().unwrap().len() >= 3);
    assert!(inspect.interrupt().success());
    drop(browser);
    // The edit is in the file, read back through the runtime (a file not closed cleanly
    // would need a repair first).
    let snapshot = insula::dynamic::Reader::open(&path).unwrap().read().unwrap();
    let object = snapshot.get("Message", 2).unwrap().unwrap();
    assert_eq!(object.get("content"), Some(&insula::dynamic::AnyValue::from("edited in the browser")));
    let object = snapshot.get("Message", 3).unwrap().unwrap();
    assert_eq!(object.get("likes"), Some(&insula::dynamic::AnyValue::U32(777)));
}
