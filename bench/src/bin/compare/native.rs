//! native_db, with its derive, a secondary key on `author`, and its watch.

use super::{Contender, Plain};
use native_db::*;
use native_model::{Model, native_model};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[native_model(id = 1, version = 1)]
#[native_db]
pub struct NativeMessage {
    #[primary_key]
    pub id: u64,
    #[secondary_key]
    pub author: String,
    pub content: String,
    pub created_at: i64,
    pub likes: u32,
    pub tags: Vec<String>,
}

pub struct Native {
    db: Database<'static>,
    staged: Vec<NativeMessage>,
    path: PathBuf,
}

fn to_native(plain: &Plain) -> NativeMessage {
    NativeMessage {
        id: plain.id,
        author: plain.author.clone(),
        content: plain.content.clone(),
        created_at: plain.created_at,
        likes: plain.likes,
        tags: plain.tags.clone(),
    }
}

fn to_plain(message: NativeMessage) -> Plain {
    Plain {
        id: message.id,
        author: message.author,
        content: message.content,
        created_at: message.created_at,
        likes: message.likes,
        tags: message.tags,
    }
}

impl Native {
    pub fn open(dir: &Path) -> Self {
        // The database borrows its models for its whole life.
        let models: &'static mut Models = Box::leak(Box::new(Models::new()));
        models.define::<NativeMessage>().expect("defines");
        let path = dir.join("native.redb");
        let db = Builder::new().create(models, &path).expect("opens");
        Native { db, staged: Vec::new(), path }
    }
}

impl Contender for Native {
    fn name(&self) -> &'static str {
        "native_db"
    }

    fn stage(&mut self, messages: &[Plain]) {
        self.staged = messages.iter().map(to_native).collect();
    }

    fn insert_staged(&mut self) {
        let rw = self.db.rw_transaction().expect("begins");
        for message in std::mem::take(&mut self.staged) {
            rw.insert(message).expect("inserts");
        }
        rw.commit().expect("commits");
    }

    fn insert_one(&mut self, message: &Plain) {
        let rw = self.db.rw_transaction().expect("begins");
        rw.insert(to_native(message)).expect("inserts");
        rw.commit().expect("commits");
    }

    /// native_db's transactions are always durable.
    fn insert_one_relaxed(&mut self, message: &Plain) {
        self.insert_one(message);
    }

    fn relaxes(&self) -> bool {
        false
    }

    fn get(&self, id: u64) -> Option<Plain> {
        let r = self.db.r_transaction().expect("begins");
        r.get().primary::<NativeMessage>(id).expect("reads").map(to_plain)
    }

    fn by_author(&self, author: &str) -> Vec<Plain> {
        let r = self.db.r_transaction().expect("begins");
        let scan = r.scan().secondary::<NativeMessage>(NativeMessageKey::author).expect("scans");
        let author = author.to_owned();
        let found = scan.range(author.clone()..=author).expect("ranges");
        found.map(|item| to_plain(item.expect("decodes"))).collect()
    }

    fn count_likes_over(&self, likes: u32) -> usize {
        let r = self.db.r_transaction().expect("begins");
        let scan = r.scan().primary::<NativeMessage>().expect("scans");
        scan.all().expect("iterates").filter(|item| item.as_ref().expect("decodes").likes > likes).count()
    }

    fn authors_with_likes_over(&self, likes: u32) -> Vec<String> {
        let r = self.db.r_transaction().expect("begins");
        let scan = r.scan().primary::<NativeMessage>().expect("scans");
        let all = scan.all().expect("iterates").map(|item| item.expect("decodes"));
        all.filter(|message| message.likes > likes).map(|message| message.author).collect()
    }

    fn watch_latency(&mut self, commits: u64, first_id: u64) -> Option<(Vec<Duration>, bool)> {
        let (events, _id) = self.db.watch().scan().primary().all::<NativeMessage>().expect("watches");
        let (received, receipts) = mpsc::channel();
        let consumer = std::thread::spawn(move || {
            for _ in 0..commits {
                events.recv().expect("event");
                received.send(Instant::now()).expect("main waits");
            }
        });
        let mut latencies = Vec::new();
        let mut all_visible = true;
        for i in 0..commits {
            let mut message = to_native(&super::plain(first_id + i - 1));
            message.id = first_id + i;
            let rw = self.db.rw_transaction().expect("begins");
            rw.insert(message).expect("inserts");
            rw.commit().expect("commits");
            let returned = Instant::now();
            let at = receipts.recv().expect("consumer runs");
            latencies.push(at.saturating_duration_since(returned));
            let r = self.db.r_transaction().expect("begins");
            all_visible &= r.get().primary::<NativeMessage>(first_id + i).expect("reads").is_some();
        }
        consumer.join().expect("consumer ends");
        Some((latencies, all_visible))
    }

    fn file_size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    fn reopen_changed(&mut self) -> Option<Duration> {
        None
    }
}
