//! A helper of the crash suite: commits numbered batches of entries to the instance
//! `crash` in the directory given as the first argument, one transaction each, and
//! prints each batch's number once its commit has returned. It runs until killed.
//!
//! With a second argument `relaxed`, the instance is `relaxed`, its commits are `Durability::Relaxed`, and after
//! every eighth batch it flushes and prints `durable N`: batches up to `N` are on disk.
//! With `group`, the instance is `group`, and four threads commit batches at once (their
//! durable commits share flushes), each batch printed once its commit has returned.
//! With `backup`, the instance is `backup`, and a second thread copies it again and again
//! to `DIR/backups/<k>.insula`, printing `backup k` as each copy returns. Any other
//! second argument names the instance.

use insula::Durability;
use insula::prelude::*;
use insula_workspace::testing::{BATCH, Entry, EntryAccessor};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: crash_writer DIR [relaxed]")?;
    let mode = std::env::args().nth(2);
    let relaxed = mode.as_deref() == Some("relaxed");
    let durability = if relaxed { Durability::Relaxed } else { Durability::Immediate };
    let name = mode.as_deref().unwrap_or("crash");
    let db = Db::builder().name(name).collection::<Entry>().durability(durability).open(&dir)?;
    if mode.as_deref() == Some("backup") {
        let backups = std::path::Path::new(&dir).join("backups");
        std::fs::create_dir_all(&backups)?;
        let db = db.clone();
        std::thread::spawn(move || -> insula::Result<()> {
            for copy in 0.. {
                db.copy_to(backups.join(format!("{copy}.insula")))?;
                println!("backup {copy}");
            }
            Ok(())
        });
    }
    let mut next = db.entries().query().max(Entry::BATCH)?.map_or(0, |last| last + 1);
    if mode.as_deref() == Some("group") {
        return group(&db, next);
    }
    let mut out = std::io::stdout();
    loop {
        let mut batch: Vec<Entry> = (0..BATCH)
            .map(|seq| Entry { id: 0, batch: next, seq, label: format!("batch {next} entry {seq}") })
            .collect();
        db.write_txn_sync(|txn| txn.entries().put_all(&mut batch))?;
        writeln!(out, "{next}")?;
        if relaxed && next % 8 == 7 {
            db.flush()?;
            writeln!(out, "durable {next}")?;
        }
        out.flush()?;
        next += 1;
    }
}

/// Four threads commit batches numbered from `first` on, at once, until killed.
fn group(db: &Db, first: u64) -> Result<(), Box<dyn std::error::Error>> {
    let next = std::sync::atomic::AtomicU64::new(first);
    let out = std::sync::Mutex::new(std::io::stdout());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| -> insula::Result<()> {
                loop {
                    let batch = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let mut entries: Vec<Entry> = (0..BATCH)
                        .map(|seq| Entry { id: 0, batch, seq, label: format!("batch {batch} entry {seq}") })
                        .collect();
                    db.write_txn_sync(|txn| txn.entries().put_all(&mut entries))?;
                    let mut out = out.lock().expect("stdout");
                    writeln!(out, "{batch}").and_then(|()| out.flush()).expect("the parent reads");
                }
            });
        }
    });
    Ok(())
}
