//! Quickstart: open an instance, write objects in a transaction, read them back.
//!
//! Run with `cargo run --example quickstart`; the database goes to
//! `./data/quickstart.insula`.

use insula::prelude::*;

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The directory is created if it is missing.
    let db = Db::builder().name("quickstart").collection::<Message>().open("data")?;
    println!("opened {}", db.path().display());

    // Write: ids of 0 are assigned from the collection's counter and written back.
    let mut batch: Vec<Message> = (1..=3)
        .map(|i| Message {
            author: "ada".into(),
            content: format!("message number {i}"),
            likes: i * 10,
            tags: vec!["hello".into()],
            ..Default::default()
        })
        .collect();
    let ids = db.write_txn_sync(|txn| txn.messages().put_all(&mut batch))?;
    println!("stored ids {ids:?}");

    // Read: by id, all at once, or through a zero-copy view in a read transaction.
    let first = db.messages().get(ids[0])?.expect("just written");
    println!("#{} by {}: {:?}", first.id, first.author, first.content);
    let likes = db.read_txn_sync(|txn| txn.messages().with_view(ids[2], |view| view.likes()))?;
    println!("message #{} has {} likes (read in place)", ids[2], likes.unwrap_or_default());
    println!("{} messages in the collection", db.messages().count()?);
    Ok(())
}
