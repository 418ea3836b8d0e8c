//! Quickstart: define a collection, encode objects into records in a data directory,
//! and read them back through zero-copy views.
//!
//! Run with `cargo run --example quickstart`; it writes to `./data/quickstart`.

use insula::prelude::*;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index]
    pub author: String,
    pub content: String,
    pub created_at: i64,
    pub likes: u32,
    pub tags: Vec<String>,
    pub reply_to: Option<Id>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new("data/quickstart");
    std::fs::create_dir_all(dir)?;

    let schema = Message::SCHEMA;
    println!("collection {} has schema hash {:#018x}", schema.name(), schema.hash());

    let mut record = Vec::new();
    for id in 1..=3u64 {
        let message = Message {
            id,
            author: "ada".into(),
            content: format!("message number {id}"),
            likes: id as u32 * 10,
            tags: vec!["hello".into()],
            ..Default::default()
        };
        message.encode(&mut record)?;
        std::fs::write(dir.join(format!("{id}.record")), &record)?;
    }

    for id in 1..=3u64 {
        let bytes = std::fs::read(dir.join(format!("{id}.record")))?;
        let view = Message::view(id, &bytes)?;
        println!(
            "#{} by {}: {:?}, {} likes, tags {:?} ({} bytes)",
            view.id(),
            view.author(),
            view.content(),
            view.likes(),
            view.tags(),
            bytes.len()
        );
    }
    Ok(())
}
