//! An async app on tokio: three tasks write messages while another task streams a
//! query's results.
//!
//! Each writer awaits `db.write_txn(..)`, whose closure runs on a thread of Insula's own,
//! so the runtime's threads never wait for the disk. The reader awaits the query's
//! watcher as a `Stream`: each item is the query's newest results, and while it is busy
//! printing, newer commits coalesce into one item instead of queueing up.
//!
//! Run with `cargo run --example async_app`; the database goes to `./data/`.

use futures::StreamExt;
use insula::prelude::*;
use insula_workspace::model::{Message, MessageAccessor};

const DIR: &str = "data";
const AUTHORS: [&str; 3] = ["ada", "grace", "linus"];
const PER_AUTHOR: usize = 20;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::builder().name("asyncApp").collection::<Message>().open(DIR)?;
    // Start from an empty collection, so that the counts below are this run's own.
    db.write_txn(|txn| txn.messages().clear()).await?;

    // ada's messages, newest first: the stream yields the query's results after each
    // commit that changed them, starting with the current ones.
    let mut adas = db
        .messages()
        .query()
        .filter(Message::AUTHOR.eq("ada"))
        .sort_by(Message::CREATED_AT.desc())
        .watch()
        .fire_immediately();
    let reader = tokio::spawn(async move {
        let mut updates = 0;
        while let Some(messages) = adas.next().await {
            updates += 1;
            let newest = messages.first().map_or("(none)", |message| message.content.as_str());
            println!("ada has {} messages; the newest: {newest}", messages.len());
            if messages.len() == PER_AUTHOR {
                break;
            }
            // A slow consumer: the commits meanwhile arrive as one update, the newest.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        updates
    });

    let writers: Vec<_> = AUTHORS
        .into_iter()
        .map(|author| {
            let db = db.clone();
            tokio::spawn(async move {
                for number in 1..=PER_AUTHOR {
                    // One durable transaction per message; the closure owns its data.
                    db.write_txn(move |txn| {
                        let mut message = Message {
                            author: author.to_owned(),
                            content: format!("{author}'s message {number}"),
                            created_at: number as i64,
                            ..Default::default()
                        };
                        txn.messages().put(&mut message)
                    })
                    .await?;
                }
                Ok::<_, insula::Error>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    let updates = reader.await?;
    println!("the stream saw ada's {PER_AUTHOR} messages in {updates} updates");

    let total = db.read_txn(|txn| txn.messages().count()).await?;
    println!("{} writers wrote {total} messages", AUTHORS.len());
    Ok(())
}
