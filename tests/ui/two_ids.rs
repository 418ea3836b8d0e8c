use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[id]
    pub other: Id,
}

fn main() {}
