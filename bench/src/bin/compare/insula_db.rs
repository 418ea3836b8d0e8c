//! Insula.

use super::{Contender, Plain};
use insula::prelude::*;
use insula_bench::{Message, MessageAccessor, User, UserAccessor};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use insula_bench::versions::with_field as changed;

pub struct Insula {
    db: Option<Db>,
    staged: Vec<Message>,
    dir: PathBuf,
}

fn to_message(plain: &Plain) -> Message {
    Message {
        id: plain.id,
        author: plain.author.clone(),
        content: plain.content.clone(),
        created_at: plain.created_at,
        likes: plain.likes,
        tags: plain.tags.clone(),
    }
}

fn to_plain(message: Message) -> Plain {
    Plain {
        id: message.id,
        author: message.author,
        content: message.content,
        created_at: message.created_at,
        likes: message.likes,
        tags: message.tags,
    }
}

impl Insula {
    pub fn open(dir: &Path) -> Self {
        let db = Db::builder()
            .name("bench")
            .collection::<Message>()
            .collection::<User>()
            .cache_size(super::cache_bytes())
            .open(dir)
            .expect("opens");
        Insula { db: Some(db), staged: Vec::new(), dir: dir.to_owned() }
    }

    fn db(&self) -> &Db {
        self.db.as_ref().expect("open")
    }
}

impl Contender for Insula {
    fn name(&self) -> &'static str {
        "insula"
    }

    fn stage(&mut self, messages: &[Plain]) {
        self.staged = messages.iter().map(to_message).collect();
    }

    fn insert_staged(&mut self) {
        // The staged objects stay staged, so that freeing them is not timed.
        let (db, staged) = (self.db.as_ref().expect("open"), &mut self.staged);
        db.write_txn_sync(|txn| txn.messages().put_all(staged)).expect("writes");
    }

    fn insert_one(&mut self, message: &Plain) {
        let mut message = to_message(message);
        self.db().write_txn_sync(|txn| txn.messages().put(&mut message)).expect("writes");
    }

    fn insert_one_relaxed(&mut self, message: &Plain) {
        let mut message = to_message(message);
        self.db()
            .write_txn_sync(|txn| {
                txn.set_durability(insula::Durability::Relaxed);
                txn.messages().put(&mut message)
            })
            .expect("writes");
    }

    fn get(&self, id: u64) -> Option<Plain> {
        self.db().messages().get(id).expect("reads").map(to_plain)
    }

    fn by_author(&self, author: &str) -> Vec<Plain> {
        let found =
            self.db().messages().query().filter(Message::AUTHOR.eq(author)).find_all().expect("queries");
        found.into_iter().map(to_plain).collect()
    }

    fn count_likes_over(&self, likes: u32) -> usize {
        self.db().messages().query().filter(Message::LIKES.gt(likes)).count().expect("scans")
    }

    fn stage_users(&mut self, users: &[(u64, String)]) -> bool {
        let mut users: Vec<User> =
            users.iter().map(|(id, email)| User { id: *id, email: email.clone() }).collect();
        self.db().write_txn_sync(|txn| txn.users().put_all(&mut users)).expect("writes");
        true
    }

    fn users_by_email(&self, email: &str) -> Vec<u64> {
        let found = self.db().users().query().filter(User::EMAIL.ignore_case().eq(email)).find_all();
        found.expect("queries").into_iter().map(|user| user.id).collect()
    }

    fn authors_with_likes_over(&self, likes: u32) -> Vec<String> {
        let query = self.db().messages().query().filter(Message::LIKES.gt(likes));
        query.select(Message::AUTHOR).find_all().expect("selects")
    }

    fn watch_latency(&mut self, commits: u64, first_id: u64) -> Option<(Vec<Duration>, bool)> {
        let db = self.db().clone();
        let watcher = db.messages().watch_lazy();
        let (received, receipts) = mpsc::channel();
        let reader = db.clone();
        let consumer = std::thread::spawn(move || {
            for i in 0..commits {
                watcher.recv().expect("open");
                let at = Instant::now();
                let visible = reader.messages().get(first_id + i).expect("reads").is_some();
                received.send((at, visible)).expect("main waits");
            }
        });
        let mut latencies = Vec::new();
        let mut all_visible = true;
        for i in 0..commits {
            let mut message = to_message(&super::plain(first_id + i - 1));
            message.id = first_id + i;
            db.write_txn_sync(|txn| txn.messages().put(&mut message)).expect("writes");
            let returned = Instant::now();
            let (at, visible) = receipts.recv().expect("consumer runs");
            latencies.push(at.saturating_duration_since(returned));
            all_visible &= visible;
        }
        consumer.join().expect("consumer ends");
        Some((latencies, all_visible))
    }

    fn file_size(&self) -> u64 {
        std::fs::metadata(self.db().path()).map(|m| m.len()).unwrap_or(0)
    }

    fn concurrent_commits(&mut self, threads: u64, commits: u64, first: u64) -> Option<Vec<Duration>> {
        let db = self.db();
        Some(super::on_threads(threads, commits, first, |message| {
            let mut message = to_message(message);
            db.write_txn_sync(|txn| txn.messages().put(&mut message)).expect("writes");
        }))
    }

    fn async_latencies(&mut self, commits: u64, first: u64) -> Option<super::AsyncLatencies> {
        use futures::StreamExt;
        let db = self.db().clone();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().expect("tokio");
        let mut out = super::AsyncLatencies::default();
        runtime.block_on(async {
            for i in 0..commits {
                // Turns: the awaited form, then the sync form in `spawn_blocking`.
                let mut message = to_message(&super::plain(first + 2 * i));
                let start = Instant::now();
                db.write_txn(move |txn| txn.messages().put(&mut message)).await.expect("writes");
                out.write_async.push(start.elapsed());
                let mut message = to_message(&super::plain(first + 2 * i + 1));
                let blocking = db.clone();
                let start = Instant::now();
                tokio::task::spawn_blocking(move || {
                    blocking.write_txn_sync(|txn| txn.messages().put(&mut message))
                })
                .await
                .expect("joins")
                .expect("writes");
                out.write_blocking.push(start.elapsed());

                let id = first + 2 * i + 1;
                let start = Instant::now();
                db.read_txn(move |txn| txn.messages().get(id)).await.expect("reads").expect("there");
                out.read_async.push(start.elapsed());
                let blocking = db.clone();
                let start = Instant::now();
                tokio::task::spawn_blocking(move || blocking.read_txn_sync(|txn| txn.messages().get(id)))
                    .await
                    .expect("joins")
                    .expect("reads")
                    .expect("there");
                out.read_blocking.push(start.elapsed());
            }
            // As W6, but a task awaits the stream: a thread commits, one commit at a
            // time, and waits for the task's receipt before the next.
            let mut stream = db.messages().watch_lazy();
            let (received, receipts) = std::sync::mpsc::channel();
            let consumer = tokio::spawn(async move {
                while stream.next().await.is_some() {
                    if received.send(Instant::now()).is_err() {
                        break;
                    }
                }
            });
            let writer = db.clone();
            let latencies = tokio::task::spawn_blocking(move || {
                (0..commits)
                    .map(|i| {
                        let mut message = to_message(&super::plain(first + 2 * commits + i));
                        writer.write_txn_sync(|txn| txn.messages().put(&mut message)).expect("writes");
                        let returned = Instant::now();
                        let at = receipts.recv().expect("the consumer runs");
                        at.saturating_duration_since(returned)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .expect("joins");
            out.stream = latencies;
            consumer.abort();
        });
        for latencies in [
            &mut out.write_async,
            &mut out.write_blocking,
            &mut out.read_async,
            &mut out.read_blocking,
            &mut out.stream,
        ] {
            latencies.sort();
        }
        Some(out)
    }

    fn reopen_changed(&mut self) -> Option<Duration> {
        drop(self.db.take());
        let start = Instant::now();
        let db = Db::builder()
            .name("bench")
            .collection::<changed::Message>()
            .cache_size(super::cache_bytes())
            .open(&self.dir)
            .expect("migrates");
        let elapsed = start.elapsed();
        drop(db);
        Some(elapsed)
    }
}
