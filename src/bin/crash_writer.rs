//! A helper of the crash suite: commits numbered batches of entries to the instance
//! `crash` in the directory given as the first argument, one transaction each, and
//! prints each batch's number once its commit has returned. It runs until killed.

use insula::prelude::*;
use insula_workspace::testing::{BATCH, Entry, EntryAccessor};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: crash_writer DIR")?;
    let db = Db::builder().name("crash").collection::<Entry>().open(dir)?;
    let mut next = db.entries().query().max(Entry::BATCH)?.map_or(0, |last| last + 1);
    let mut out = std::io::stdout().lock();
    loop {
        let mut batch: Vec<Entry> = (0..BATCH)
            .map(|seq| Entry { id: 0, batch: next, seq, label: format!("batch {next} entry {seq}") })
            .collect();
        db.write_txn_sync(|txn| txn.entries().put_all(&mut batch))?;
        writeln!(out, "{next}")?;
        out.flush()?;
        next += 1;
    }
}
