//! SQLite through rusqlite (bundled): WAL, `synchronous=FULL`, prepared statements, an
//! index on `author`, and a page cache as large as redb's default (1 GiB).

use super::{Contender, Plain};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Sqlite {
    connection: Option<Connection>,
    staged: Vec<Plain>,
    path: PathBuf,
    /// Whether `synchronous=NORMAL` is set (for W2r).
    relaxed: bool,
}

const TAG_SEPARATOR: char = '\u{1f}';

fn connect(path: &Path) -> Connection {
    let connection = Connection::open(path).expect("opens");
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-{};",
            super::cache_bytes() >> 10
        ))
        .expect("configures");
    connection
}

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Plain> {
    let tags: String = row.get(5)?;
    Ok(Plain {
        id: row.get::<_, i64>(0)? as u64,
        author: row.get(1)?,
        content: row.get(2)?,
        created_at: row.get(3)?,
        likes: row.get(4)?,
        tags: if tags.is_empty() {
            Vec::new()
        } else {
            tags.split(TAG_SEPARATOR).map(str::to_owned).collect()
        },
    })
}

impl Sqlite {
    pub fn open(dir: &Path) -> Self {
        let path = dir.join("sqlite.db");
        let connection = connect(&path);
        connection
            .execute_batch(
                "CREATE TABLE messages (id INTEGER PRIMARY KEY, author TEXT NOT NULL, content TEXT NOT NULL,
                 created_at INTEGER NOT NULL, likes INTEGER NOT NULL, tags TEXT NOT NULL);
                 CREATE INDEX messages_author ON messages(author);
                 CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE);
                 CREATE INDEX users_email ON users(email);",
            )
            .expect("creates");
        Sqlite { connection: Some(connection), staged: Vec::new(), path, relaxed: false }
    }

    fn connection(&self) -> &Connection {
        self.connection.as_ref().expect("open")
    }

    fn write(connection: &mut Connection, messages: &[Plain]) {
        let txn = connection.transaction().expect("begins");
        {
            let mut insert = txn
                .prepare_cached("INSERT INTO messages (id, author, content, created_at, likes, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .expect("prepares");
            for m in messages {
                let tags = m.tags.join(&TAG_SEPARATOR.to_string());
                insert
                    .execute(params![m.id as i64, m.author, m.content, m.created_at, m.likes, tags])
                    .expect("inserts");
            }
        }
        txn.commit().expect("commits");
    }
}

impl Contender for Sqlite {
    fn name(&self) -> &'static str {
        "SQLite"
    }

    fn stage(&mut self, messages: &[Plain]) {
        self.staged = messages.to_vec();
    }

    fn insert_staged(&mut self) {
        // The staged messages stay staged, so that freeing them is not timed.
        Self::write(self.connection.as_mut().expect("open"), &self.staged);
    }

    /// The threads share the one connection, each commit under a lock: SQLite has one
    /// writer at a time, and a second connection would wait in SQLite's busy handler,
    /// which sleeps for milliseconds.
    fn concurrent_commits(&mut self, threads: u64, commits: u64, first: u64) -> Option<Vec<Duration>> {
        let connection = std::sync::Mutex::new(self.connection.as_mut().expect("open"));
        Some(super::on_threads(threads, commits, first, |message| {
            let mut connection = connection.lock().expect("a committer");
            Self::write(&mut connection, std::slice::from_ref(message));
        }))
    }

    fn insert_one(&mut self, message: &Plain) {
        Self::write(self.connection.as_mut().expect("open"), std::slice::from_ref(message));
    }

    /// WAL with `synchronous=NORMAL`: a commit does not wait for the disk; set here and
    /// left so, since the later workloads only read.
    fn insert_one_relaxed(&mut self, message: &Plain) {
        let connection = self.connection.as_mut().expect("open");
        if !self.relaxed {
            connection.execute_batch("PRAGMA synchronous=NORMAL;").expect("relaxes");
            self.relaxed = true;
        }
        Self::write(connection, std::slice::from_ref(message));
    }

    fn get(&self, id: u64) -> Option<Plain> {
        let mut select = self
            .connection()
            .prepare_cached("SELECT id, author, content, created_at, likes, tags FROM messages WHERE id = ?1")
            .expect("prepares");
        let mut rows = select.query_map([id as i64], row).expect("queries");
        rows.next().map(|row| row.expect("reads"))
    }

    fn by_author(&self, author: &str) -> Vec<Plain> {
        let mut select = self
            .connection()
            .prepare_cached(
                "SELECT id, author, content, created_at, likes, tags FROM messages WHERE author = ?1",
            )
            .expect("prepares");
        select.query_map([author], row).expect("queries").map(|row| row.expect("reads")).collect()
    }

    fn count_likes_over(&self, likes: u32) -> usize {
        let mut count = self
            .connection()
            .prepare_cached("SELECT COUNT(*) FROM messages WHERE likes > ?1")
            .expect("prepares");
        count.query_row([likes], |row| row.get::<_, i64>(0)).expect("counts") as usize
    }

    fn stage_users(&mut self, users: &[(u64, String)]) -> bool {
        let txn = self.connection.as_mut().expect("open").transaction().expect("begins");
        {
            let mut insert =
                txn.prepare_cached("INSERT INTO users (id, email) VALUES (?1, ?2)").expect("prepares");
            for (id, email) in users {
                insert.execute(params![*id as i64, email]).expect("inserts");
            }
        }
        txn.commit().expect("commits");
        true
    }

    /// The column's `COLLATE NOCASE` makes `=` ignore case, and its index serves it.
    fn users_by_email(&self, email: &str) -> Vec<u64> {
        let mut select = self
            .connection()
            .prepare_cached("SELECT id, email FROM users WHERE email = ?1")
            .expect("prepares");
        let rows = select.query_map([email], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)));
        rows.expect("queries").map(|row| row.expect("reads").0 as u64).collect()
    }

    fn authors_with_likes_over(&self, likes: u32) -> Vec<String> {
        let mut select = self
            .connection()
            .prepare_cached("SELECT author FROM messages WHERE likes > ?1")
            .expect("prepares");
        select.query_map([likes], |row| row.get(0)).expect("queries").map(|row| row.expect("reads")).collect()
    }

    fn watch_latency(&mut self, _: u64, _: u64) -> Option<(Vec<Duration>, bool)> {
        None
    }

    fn file_size(&self) -> u64 {
        let _ = self.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        let wal = self.path.with_extension("db-wal");
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    fn reopen_changed(&mut self) -> Option<Duration> {
        drop(self.connection.take());
        let start = Instant::now();
        let connection = connect(&self.path);
        connection
            .execute_batch("ALTER TABLE messages ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;")
            .expect("alters");
        let elapsed = start.elapsed();
        self.connection = Some(connection);
        Some(elapsed)
    }
}
