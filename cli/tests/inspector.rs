//! The web inspector's JSON endpoints: in the app (`Db::serve_inspector`) and offline
//! (`insula inspect FILE` run as a process), bad input included.

mod common;

use common::{Inspect, Message, MessageAccessor, encode, file, open, request};
use insula::prelude::*;
use serde_json::Value;
use std::time::{Duration, Instant};

fn ids(page: &Value) -> Vec<u64> {
    page["objects"].as_array().unwrap().iter().map(|object| object["id"].as_u64().unwrap()).collect()
}

/// Every page of `collection` sorted by `sort`, following the cursors; `between` runs
/// after each page.
fn all_pages(address: &str, token: &str, sort: &str, filter: &str, mut between: impl FnMut()) -> Vec<u64> {
    let mut seen = Vec::new();
    let mut after = String::new();
    for _ in 0..1000 {
        let target = format!(
            "/api/collections/Message/objects?limit=7&sort={}&filter={}{after}",
            encode(sort),
            encode(filter)
        );
        let answer = request(address, "GET", &target, Some(token), "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        let page = answer.json();
        seen.extend(ids(&page));
        if page["next"].is_null() {
            return seen;
        }
        after = format!(
            "&after_id={}&after_value={}",
            page["next"]["id"],
            encode(&page["next"]["value"].to_string())
        );
        between();
    }
    panic!("paging did not end");
}

#[test]
fn in_app_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let db = open("inspector-in-app", dir.path(), 40);
    let inspector = db.serve_inspector("127.0.0.1:0").unwrap();
    assert!(inspector.local_addr().ip().is_loopback());
    let address = inspector.local_addr().to_string();
    let token = inspector.token().to_owned();
    assert!(inspector.url().ends_with(&format!("/?token={token}")));
    let get = |target: &str| request(&address, "GET", target, Some(&token), "");

    // The token: none, or a wrong one, is refused, on the page and the API alike.
    assert_eq!(request(&address, "GET", "/api/info", None, "").status, 403);
    assert_eq!(
        request(&address, "GET", "/api/info", Some("0123456789abcdef0123456789abcdef"), "").status,
        403
    );
    assert_eq!(request(&address, "GET", "/", None, "").status, 403);
    let page = request(&address, "GET", &format!("/?token={token}"), None, "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<script src=\"app.js\">"));
    assert!(page.header("set-cookie").unwrap().contains(&token));
    assert_eq!(get("/app.js").status, 200);

    // The same figures as `insula info`.
    let info = get("/api/info").json();
    let stats = db.stats().unwrap();
    assert_eq!(info["collections"][0]["name"], "Message");
    assert_eq!(info["collections"][0]["objects"], 40);
    assert_eq!(info["collections"][0]["record_bytes"], stats.collections[0].record_bytes);
    assert_eq!(info["collections"][0]["indexes"][0]["entries"], 40);
    assert_eq!(info["read_only"], false);

    // The schema, with its index and the paths a filter can name.
    let schema = get("/api/collections/Message/schema").json();
    assert_eq!(schema["id"], "id");
    assert_eq!(schema["indexes"][0]["fields"][0], "author");
    let paths: Vec<&str> =
        schema["paths"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"profile.age"), "{paths:?}");

    // Bad input.
    let unknown = get("/api/collections/Nope/objects");
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].as_str().unwrap().contains("Nope"));
    let syntax = get(&format!("/api/collections/Message/objects?filter={}", encode("likes >> 3")));
    assert_eq!(syntax.status, 400);
    assert!(syntax.json()["error"].as_str().unwrap().contains("column 8"), "{}", syntax.body);
    let unknown_field = get(&format!("/api/collections/Message/objects?filter={}", encode("lykes > 3")));
    assert_eq!(unknown_field.status, 400);
    assert_eq!(get("/api/nothing").status, 404);
    assert_eq!(request(&address, "POST", "/api/info", Some(&token), "").status, 405);
    assert_eq!(request(&address, "POST", "/api/collections/Message/objects/1", Some(&token), "").status, 405);
    assert_eq!(get("/api/collections/Message/objects/999").status, 404);
    // A body over the limit is refused before it is read; a malformed request too.
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(
        &mut stream,
        format!("POST /api/collections/Message/import HTTP/1.1\r\nX-Insula-Token: {token}\r\nContent-Length: 300000000\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(&mut stream, b"GARBAGE\r\n\r\n").unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert_eq!(get("/api/collections/Message/objects/x").status, 400);

    // Pages by key: by id, then by a field both ways, with a filter.
    let first = get("/api/collections/Message/objects?limit=5").json();
    assert_eq!(ids(&first), [1, 2, 3, 4, 5]);
    assert_eq!(first["total"], 40);
    assert_eq!(all_pages(&address, &token, "", "", || {}), (1..=40).collect::<Vec<_>>());
    let all = db.messages().all().unwrap();
    // `author` has an index of its own, whose ranges the pages are; `likes` has none.
    for (sort, descending) in [("likes", false), ("-likes", true), ("author", false), ("-author", true)] {
        let mut expected = all.clone();
        expected.sort_by(|a, b| {
            let order = match sort.trim_start_matches('-') {
                "likes" => a.likes.cmp(&b.likes),
                _ => a.author.cmp(&b.author),
            }
            .then(a.id.cmp(&b.id));
            if descending { order.reverse() } else { order }
        });
        let expected: Vec<u64> = expected.iter().map(|m| m.id).collect();
        assert_eq!(all_pages(&address, &token, sort, "", || {}), expected, "{sort}");
    }
    let filtered = all_pages(&address, &token, "-id", "author = \"ada\" and likes > 10", || {});
    let mut expected: Vec<u64> =
        all.iter().filter(|m| m.author == "ada" && m.likes > 10).map(|m| m.id).collect();
    expected.reverse();
    assert_eq!(filtered, expected);

    // Sorted by a field and filtered: the pages read whole objects to filter them.
    let filtered = all_pages(&address, &token, "-likes", "mood = Happy", || {});
    let mut expected: Vec<&Message> = all.iter().filter(|m| m.mood == common::Mood::Happy).collect();
    expected.sort_by(|a, b| b.likes.cmp(&a.likes).then(b.id.cmp(&a.id)));
    assert_eq!(filtered, expected.iter().map(|m| m.id).collect::<Vec<_>>());
    // Sorted by a path into an embedded struct.
    let by_age = all_pages(&address, &token, "profile.age", "", || {});
    let mut expected = all.clone();
    expected.sort_by(|a, b| a.profile.age.cmp(&b.profile.age).then(a.id.cmp(&b.id)));
    assert_eq!(by_age, expected.iter().map(|m| m.id).collect::<Vec<_>>());

    // One object, nested values included.
    let object = get("/api/collections/Message/objects/3").json();
    assert_eq!(object["profile"]["name"], "P2");
    assert_eq!(object["mood"], "Happy");

    // Edit: the app reads the change; a bad edit is refused whole.
    let mut edited = object.clone();
    edited["content"] = "edited".into();
    edited["profile"]["age"] = 99.into();
    let put =
        request(&address, "PUT", "/api/collections/Message/objects/3", Some(&token), &edited.to_string());
    assert_eq!(put.status, 200, "{}", put.body);
    let stored = db.messages().get(3).unwrap().unwrap();
    assert_eq!((stored.content.as_str(), stored.profile.age), ("edited", Some(99)));
    let bad =
        request(&address, "PUT", "/api/collections/Message/objects/3", Some(&token), "{\"likes\": \"many\"}");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(db.messages().get(3).unwrap().unwrap(), stored);

    // A patch sets the fields it names and keeps the others exactly, an integer above
    // 2^53 (which a JavaScript number would round) included.
    let mut big = db.messages().get(5).unwrap().unwrap();
    big.reply_to = Some((1 << 60) + 1);
    db.write_txn_sync(|txn| txn.messages().put(&mut big)).unwrap();
    let patch =
        request(&address, "PATCH", "/api/collections/Message/objects/5", Some(&token), "{\"likes\": 3}");
    assert_eq!(patch.status, 200, "{}", patch.body);
    assert!(patch.body.contains("\"reply_to\":1152921504606846977"), "{}", patch.body);
    assert_eq!(db.messages().get(5).unwrap().unwrap(), Message { likes: 3, ..big });
    let missing = request(&address, "PATCH", "/api/collections/Message/objects/999", Some(&token), "{}");
    assert_eq!(missing.status, 404);

    // Delete one, then the results of a query; import.
    let deleted = request(&address, "DELETE", "/api/collections/Message/objects/3", Some(&token), "");
    assert_eq!(deleted.json()["deleted"], 1);
    assert_eq!(db.messages().get(3).unwrap(), None);
    let target = format!("/api/collections/Message/delete?filter={}", encode("author = \"bob\""));
    let deleted = request(&address, "POST", &target, Some(&token), "").json();
    assert_eq!(deleted["deleted"], 13);
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("bob")).count().unwrap(), 0);
    let imported = request(
        &address,
        "POST",
        "/api/collections/Message/import",
        Some(&token),
        "{\"author\": \"dee\", \"likes\": 5}\n{\"author\": \"dee\", \"likes\": 6}\n",
    );
    assert_eq!(imported.json()["imported"], 2, "{}", imported.body);
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("dee")).count().unwrap(), 2);

    // Export of the query, as CSV and JSON.
    let csv = get(&format!(
        "/api/collections/Message/export?format=csv&sort=-likes&filter={}",
        encode("author = \"dee\"")
    ));
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-disposition").unwrap().contains("Message.csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains(",dee,") && lines[1].contains(",6,"), "{}", csv.body);
    let json = get("/api/collections/Message/export?format=json").json();
    assert_eq!(json.as_array().unwrap().len() as u64, db.messages().count().unwrap());
    assert_eq!(get("/api/collections/Message/export?format=xml").status, 400);

    // Verify.
    let verified = request(&address, "POST", "/api/verify", Some(&token), "").json();
    assert_eq!(verified["ok"], true, "{verified}");

    // The change feed answers when the app commits (and not before).
    // The commits above reach the feed through a watcher, on another thread: wait until
    // the generation stops moving.
    let generation = || get("/api/info").json()["generation"].as_u64().unwrap();
    let mut since = generation();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = generation();
        if now == since {
            break;
        }
        since = now;
    }
    let (feed_address, feed_token) = (address.clone(), token.clone());
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        let answer =
            request(&feed_address, "GET", &format!("/api/changes?since={since}"), Some(&feed_token), "");
        (answer.json()["generation"].as_u64().unwrap(), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiting.is_finished(), "the feed answered before any commit");
    db.write_txn_sync(|txn| txn.messages().put(&mut Message { author: "eve".into(), ..Default::default() }))
        .unwrap();
    let (generation, took) = waiting.join().unwrap();
    assert!(generation > since);
    assert!(took < Duration::from_secs(10), "the feed took {took:?}");

    inspector.stop();
    assert!(std::net::TcpStream::connect(&address).is_err(), "still serving after stop");
}

#[test]
fn keyset_pages_stay_right_while_the_app_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = open("inspector-keyset", dir.path(), 60);
    let inspector = db.serve_inspector("127.0.0.1:0").unwrap();
    let address = inspector.local_addr().to_string();
    // Between pages, the app inserts objects (likes 0: first by likes) and deletes one
    // near the start: an offset would repeat or skip rows, a cursor does not. By
    // `likes` the pages come from a scan, by `author` from its index.
    let mut round = 0;
    for sort in ["likes", "author"] {
        let before: Vec<Message> = db.messages().all().unwrap();
        let seen = all_pages(&address, inspector.token(), sort, "", || {
            round += 1;
            db.write_txn_sync(|txn| {
                txn.messages().put(&mut Message {
                    author: format!("new{round}"),
                    likes: 0,
                    ..Default::default()
                })?;
                txn.messages().delete(round)?;
                Ok(())
            })
            .unwrap();
        });
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{sort}: a row came twice: {seen:?}");
        // Every object there from start to end was seen, in order.
        let after: Vec<Id> = db.messages().all().unwrap().iter().map(|m| m.id).collect();
        let mut expected: Vec<&Message> = before.iter().filter(|m| after.contains(&m.id)).collect();
        expected.sort_by(|a, b| match sort {
            "likes" => a.likes.cmp(&b.likes).then(a.id.cmp(&b.id)),
            _ => a.author.cmp(&b.author).then(a.id.cmp(&b.id)),
        });
        let kept: Vec<u64> = seen.iter().copied().filter(|id| expected.iter().any(|m| m.id == *id)).collect();
        assert_eq!(kept, expected.iter().map(|m| m.id).collect::<Vec<_>>(), "{sort}");
    }
}

#[test]
fn offline_inspect_edits_the_file_and_closes_it() {
    let (_dir, path) = file("inspector-offline", 25);
    let inspect = Inspect::start(&path, &[]);
    assert!(inspect.address.starts_with("127.0.0.1:"), "{}", inspect.url);
    let (address, token) = (inspect.address.clone(), inspect.token.clone());
    assert_eq!(request(&address, "GET", "/api/info", Some("wrong"), "").status, 403);
    let info = request(&address, "GET", "/api/info", Some(&token), "").json();
    assert_eq!(info["collections"][0]["objects"], 25);
    assert_eq!(info["read_only"], false);
    let syntax = request(
        &address,
        "GET",
        &format!("/api/collections/Message/objects?filter={}", encode("(likes")),
        Some(&token),
        "",
    );
    assert_eq!(syntax.status, 400);
    assert!(syntax.json()["error"].as_str().unwrap().contains("column"));

    let since = info["generation"].as_u64().unwrap();
    let put = request(
        &address,
        "PUT",
        "/api/collections/Message/objects/2",
        Some(&token),
        "{\"author\": \"zed\", \"content\": \"from the inspector\"}",
    );
    assert_eq!(put.status, 200, "{}", put.body);
    // Its own commits move the change feed on.
    let changes = request(&address, "GET", &format!("/api/changes?since={since}"), Some(&token), "").json();
    assert!(changes["generation"].as_u64().unwrap() > since);

    // Ctrl-C closes the file cleanly, even with a request half sent: a read-only open
    // needs no repair.
    let mut stalled = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(&mut stalled, b"GET /api/info HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(inspect.interrupt().success());
    let snapshot = insula::dynamic::Reader::open(&path).unwrap().read().unwrap();
    let object = snapshot.get("Message", 2).unwrap().unwrap();
    assert_eq!(object.get("author"), Some(&insula::dynamic::AnyValue::from("zed")));
    assert_eq!(snapshot.count("Message").unwrap(), 25);
}

#[test]
fn offline_read_only_refuses_writes() {
    let (_dir, path) = file("inspector-read-only", 5);
    let inspect = Inspect::start(&path, &["--read-only"]);
    let (address, token) = (inspect.address.clone(), inspect.token.clone());
    assert_eq!(request(&address, "GET", "/api/info", Some(&token), "").json()["read_only"], true);
    assert_writes_refused(&address, &token);
    // Reads still work.
    let page = request(&address, "GET", "/api/collections/Message/objects", Some(&token), "").json();
    assert_eq!(ids(&page), [1, 2, 3, 4, 5]);
    drop(inspect);
    let snapshot = insula::dynamic::Reader::open(&path).unwrap().read().unwrap();
    assert_eq!(snapshot.count("Message").unwrap(), 5);
    assert_eq!(
        snapshot.get("Message", 1).unwrap().unwrap().get("author"),
        Some(&insula::dynamic::AnyValue::from("ada"))
    );
}

#[test]
fn offline_inspect_refuses_other_addresses_unless_asked() {
    let (_dir, path) = file("inspector-bind", 1);
    let inspect = Inspect::start(&path, &["--bind", "127.0.0.2", "--port", "0"]);
    assert!(inspect.address.starts_with("127.0.0.2:"), "{}", inspect.url);
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_insula"))
        .args(["inspect", "/nonexistent/file.insula"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("insula: "));
}

#[test]
fn in_app_read_only_refuses_writes_the_instance_would_take() {
    let dir = tempfile::tempdir().unwrap();
    let db = open("inspector-in-app-read-only", dir.path(), 4);
    // The instance writes; the inspector alone says no.
    let reader = insula::dynamic::Reader::of(&db);
    assert!(reader.is_writable());
    let inspector = insula::inspector::Inspector::serve(reader, "127.0.0.1:0", true).unwrap();
    assert!(inspector.is_read_only());
    let address = inspector.local_addr().to_string();
    let token = inspector.token();
    assert_eq!(request(&address, "GET", "/api/info", Some(token), "").json()["read_only"], true);
    assert_writes_refused(&address, token);
    assert_eq!(db.messages().count().unwrap(), 4);
    assert_eq!(db.messages().get(1).unwrap().unwrap().author, "ada");
}

/// Every kind of write the inspector takes is refused with 403, saying it is read-only.
fn assert_writes_refused(address: &str, token: &str) {
    for (method, target, body) in [
        ("PUT", "/api/collections/Message/objects/1", "{\"author\": \"zed\"}"),
        ("PATCH", "/api/collections/Message/objects/1", "{\"author\": \"zed\"}"),
        ("DELETE", "/api/collections/Message/objects/1", ""),
        ("POST", "/api/collections/Message/delete", ""),
        ("POST", "/api/collections/Message/import", "{\"author\": \"zed\"}"),
    ] {
        let answer = request(address, method, target, Some(token), body);
        assert_eq!(answer.status, 403, "{method} {target}: {}", answer.body);
        assert!(answer.json()["error"].as_str().unwrap().contains("read-only"), "{}", answer.body);
    }
}
