use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: String,
}

fn main() {}
