use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    pub author: String,
    #[field(name = "author")]
    pub writer: String,
}

fn main() {}
