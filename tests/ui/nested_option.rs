use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    pub maybe: Option<Option<u32>>,
}

fn main() {}
