use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index(composite(created))]
    pub author: String,
    pub created_at: i64,
}

fn main() {}
