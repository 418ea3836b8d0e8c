//! A helper of the integration tests: opens the instance `held` in the directory given
//! as the first argument, says `ready` on stdout, and keeps it open until its stdin
//! closes. Tests run it as a second process that holds the database file. With a second
//! argument `read-only`, it opens the existing file read-only and writes nothing.

use insula::prelude::*;
use std::io::{BufRead, Write};

#[derive(Collection, Debug, Default)]
struct Note {
    #[id]
    id: Id,
    text: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: hold_instance DIR [read-only]")?;
    let builder = Db::builder().name("held").collection::<Note>();
    if std::env::args().nth(2).as_deref() == Some("read-only") {
        let db = builder.read_only().open(dir)?;
        println!("ready {}", db.notes().count()?);
        std::io::stdout().flush()?;
        return hold();
    }
    let db = builder.open(dir)?;
    db.write_txn_sync(|txn| txn.notes().put(&mut Note { id: 0, text: "held".into() }))?;
    println!("ready");
    std::io::stdout().flush()?;
    hold()
}

/// Holds the file until the parent closes our stdin.
fn hold() -> Result<(), Box<dyn std::error::Error>> {
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    Ok(())
}
