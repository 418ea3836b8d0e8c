use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index(replace)]
    pub author: String,
    #[field(name = "author")]
    pub writer: String,
    #[index(composite(missing))]
    pub likes: u32,
}

fn main() {}
