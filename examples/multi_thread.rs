//! The recipe Insula started from: one named instance shared by every thread.
//!
//! The main thread opens the instance `myInstance` and watches its messages; a worker
//! thread opens the same name, which gives it the same instance, and inserts 10,000
//! messages in one write transaction. The main thread hears of the commit, then of the
//! worker's end. Last, a thread that asks for the instance with another schema is
//! refused, with an error that says why.
//!
//! Run with `cargo run --example multi_thread`; the database goes to `./data/`.

use insula::prelude::*;
use std::time::Duration;

// The collection lives in `src/model.rs`, where `cargo xtask schema-check` finds it:
//
// #[derive(Collection, Debug, Clone, Default, PartialEq)]
// pub struct Message {
//     #[id]
//     pub id: Id,
//     #[index]
//     pub author: String,
//     pub content: String,
//     pub created_at: i64,
//     pub likes: u32,
//     pub tags: Vec<String>,
//     pub reply_to: Option<Id>,
// }
use insula_workspace::model::{Message, MessageAccessor};

/// The same collection as a different build of the program might declare it.
mod newer {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    pub struct Message {
        #[id]
        pub id: Id,
        #[index]
        pub author: String,
        pub content: String,
        pub created_at: i64,
        pub likes: i32,
        pub tags: Vec<String>,
        pub reply_to: Option<Id>,
        pub edited: bool,
    }
}

const DIR: &str = "data";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::builder().name("myInstance").collection::<Message>().open(DIR)?;
    // Start from an empty collection, so that the counts below are this run's own.
    db.write_txn_sync(|txn| txn.messages().clear())?;
    let changes = db.messages().watch_lazy();

    let worker = std::thread::spawn(|| -> insula::Result<usize> {
        // Same name, same schemas: the same instance comes back.
        let db = Db::builder().name("myInstance").collection::<Message>().open(DIR)?;
        let mut batch: Vec<Message> = (0..10_000)
            .map(|i| Message {
                author: format!("author {}", i % 100),
                content: format!("Message {i}"),
                created_at: 1_700_000_000 + i,
                ..Default::default()
            })
            .collect();
        db.write_txn_sync(|txn| txn.messages().put_all(&mut batch))?; // ids written back
        Ok(batch.len())
    });

    changes.recv_timeout(Duration::from_secs(30))?;
    println!("the messages changed!");
    let written = worker.join().expect("the worker does not panic")?;
    println!("the worker finished: it wrote {written} messages");
    println!("the collection holds {} messages", db.messages().count()?);

    // Another schema under the same name is refused, not silently served.
    let refused =
        std::thread::spawn(|| Db::builder().name("myInstance").collection::<newer::Message>().open(DIR))
            .join()
            .expect("the thread does not panic");
    match refused {
        Err(error) => println!("a thread with another schema was refused:\n  {error}"),
        Ok(_) => return Err("another schema must not open the same instance".into()),
    }
    Ok(())
}
