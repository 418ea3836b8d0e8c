use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index(composite(tags))]
    pub author: String,
    pub tags: Vec<String>,
}

fn main() {}
