use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    pub scores: Vec<Option<u32>>,
}

fn main() {}
