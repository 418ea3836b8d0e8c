//! Raw redb with a hand-written little-endian codec: a `u64 -> bytes` table and an
//! `(author, id)` index table. The floor of any layer on redb.

use super::{Contender, Plain};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::{Path, PathBuf};
use std::time::Duration;

const MESSAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("messages");
const BY_AUTHOR: TableDefinition<(&str, u64), ()> = TableDefinition::new("by_author");

pub struct Raw {
    db: Database,
    staged: Vec<Plain>,
    path: PathBuf,
}

/// likes (4) | created_at (8) | author | content | tags, each string `u32 len + bytes`,
/// tags preceded by their count.
fn encode(message: &Plain, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&message.likes.to_le_bytes());
    out.extend_from_slice(&message.created_at.to_le_bytes());
    let string = |s: &str, out: &mut Vec<u8>| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    string(&message.author, out);
    string(&message.content, out);
    out.extend_from_slice(&(message.tags.len() as u32).to_le_bytes());
    for tag in &message.tags {
        string(tag, out);
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn decode(id: u64, bytes: &[u8]) -> Plain {
    let likes = u32_at(bytes, 0);
    let created_at = i64::from_le_bytes(bytes[4..12].try_into().expect("8 bytes"));
    let mut at = 12;
    let string = |at: &mut usize| {
        let len = u32_at(bytes, *at) as usize;
        let text = String::from_utf8(bytes[*at + 4..*at + 4 + len].to_vec()).expect("utf-8");
        *at += 4 + len;
        text
    };
    let author = string(&mut at);
    let content = string(&mut at);
    let count = u32_at(bytes, at);
    at += 4;
    let tags = (0..count).map(|_| string(&mut at)).collect();
    Plain { id, author, content, created_at, likes, tags }
}

impl Raw {
    pub fn open(dir: &Path) -> Self {
        let path = dir.join("raw.redb");
        let db = Database::builder().set_cache_size(super::cache_bytes()).create(&path).expect("opens");
        let txn = db.begin_write().expect("begins");
        txn.open_table(MESSAGES).expect("creates");
        txn.open_table(BY_AUTHOR).expect("creates");
        txn.commit().expect("commits");
        Raw { db, staged: Vec::new(), path }
    }

    fn write(&self, messages: &[Plain]) {
        self.write_with(messages, redb::Durability::Immediate);
    }

    fn write_with(&self, messages: &[Plain], durability: redb::Durability) {
        let mut txn = self.db.begin_write().expect("begins");
        txn.set_durability(durability).expect("sets the durability");
        {
            let mut table = txn.open_table(MESSAGES).expect("opens");
            let mut index = txn.open_table(BY_AUTHOR).expect("opens");
            let mut buffer = Vec::with_capacity(128);
            for message in messages {
                encode(message, &mut buffer);
                table.insert(message.id, buffer.as_slice()).expect("inserts");
                index.insert((message.author.as_str(), message.id), ()).expect("indexes");
            }
        }
        txn.commit().expect("commits");
    }
}

impl Contender for Raw {
    fn name(&self) -> &'static str {
        "raw redb"
    }

    fn stage(&mut self, messages: &[Plain]) {
        self.staged = messages.to_vec();
    }

    fn insert_staged(&mut self) {
        // The staged messages stay staged, so that freeing them is not timed.
        self.write(&self.staged);
    }

    fn concurrent_commits(&mut self, threads: u64, commits: u64, first: u64) -> Option<Vec<Duration>> {
        let raw = &*self;
        Some(super::on_threads(threads, commits, first, |message| raw.write(std::slice::from_ref(message))))
    }

    fn insert_one(&mut self, message: &Plain) {
        self.write(std::slice::from_ref(message));
    }

    fn insert_one_relaxed(&mut self, message: &Plain) {
        self.write_with(std::slice::from_ref(message), redb::Durability::None);
    }

    fn get(&self, id: u64) -> Option<Plain> {
        let txn = self.db.begin_read().expect("begins");
        let table = txn.open_table(MESSAGES).expect("opens");
        table.get(id).expect("reads").map(|bytes| decode(id, bytes.value()))
    }

    fn by_author(&self, author: &str) -> Vec<Plain> {
        let txn = self.db.begin_read().expect("begins");
        let table = txn.open_table(MESSAGES).expect("opens");
        let index = txn.open_table(BY_AUTHOR).expect("opens");
        index
            .range((author, 0)..=(author, u64::MAX))
            .expect("ranges")
            .map(|entry| {
                let id = entry.expect("reads").0.value().1;
                decode(id, table.get(id).expect("reads").expect("present").value())
            })
            .collect()
    }

    fn count_likes_over(&self, likes: u32) -> usize {
        let txn = self.db.begin_read().expect("begins");
        let table = txn.open_table(MESSAGES).expect("opens");
        table
            .iter()
            .expect("iterates")
            .filter(|entry| u32_at(entry.as_ref().expect("reads").1.value(), 0) > likes)
            .count()
    }

    /// Reads the author in place from each record whose likes pass: the least a layer
    /// can do.
    fn authors_with_likes_over(&self, likes: u32) -> Vec<String> {
        let txn = self.db.begin_read().expect("begins");
        let table = txn.open_table(MESSAGES).expect("opens");
        let mut authors = Vec::new();
        for entry in table.iter().expect("iterates") {
            let (_, record) = entry.expect("reads");
            let bytes = record.value();
            if u32_at(bytes, 0) > likes {
                let len = u32_at(bytes, 12) as usize;
                authors.push(String::from_utf8(bytes[16..16 + len].to_vec()).expect("utf-8"));
            }
        }
        authors
    }

    fn watch_latency(&mut self, _: u64, _: u64) -> Option<(Vec<Duration>, bool)> {
        None
    }

    fn file_size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    fn reopen_changed(&mut self) -> Option<Duration> {
        None
    }
}
