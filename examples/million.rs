//! Writes a file of many messages, to measure the command line and the inspector on
//! (`cargo run --release --example million -- DIR [COUNT]`; a million by default).
//! Not a scenario of the README: a fixture for the figures in it.

use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: million DIR [COUNT]")?;
    let count: u64 = args.next().map(|count| count.parse()).transpose()?.unwrap_or(1_000_000);
    let db = Db::builder().name("million").collection::<Message>().open(&dir)?;
    let started = Instant::now();
    let mut written = 0;
    while written < count {
        let batch = (count - written).min(100_000);
        let mut messages: Vec<Message> = (written..written + batch)
            .map(|i| Message {
                author: format!("author{}", i % 1000),
                content: format!("message number {i}, with some text to make it a realistic size"),
                created_at: 1_700_000_000 + i as i64,
                likes: (i * 7919 % 10_000) as u32,
                tags: if i % 3 == 0 { vec!["rust".into(), "db".into()] } else { vec![] },
                reply_to: (i % 4 == 1).then(|| i - 1),
                ..Default::default()
            })
            .collect();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut messages))?;
        written += batch;
    }
    println!("{count} messages in {} ({:.1?})", db.path().display(), started.elapsed());
    Ok(())
}
