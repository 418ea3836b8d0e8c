//! A helper of the integration tests: opens the instance `held` in the directory given
//! as the first argument, says `ready` on stdout, and keeps it open until its stdin
//! closes. Tests run it as a second process that holds the database file.

use insula::prelude::*;
use std::io::{BufRead, Write};

#[derive(Collection, Debug, Default)]
struct Note {
    #[id]
    id: Id,
    text: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: hold_instance DIR")?;
    let db = Db::builder().name("held").collection::<Note>().open(dir)?;
    db.write_txn_sync(|txn| txn.notes().put(&mut Note { id: 0, text: "held".into() }))?;
    println!("ready");
    std::io::stdout().flush()?;
    // Hold the file until the parent closes our stdin.
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    Ok(())
}
