use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index(case_insensitive)]
    pub likes: u32,
}

fn main() {}
