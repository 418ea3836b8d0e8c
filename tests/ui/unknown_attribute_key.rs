use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index(uniqe)]
    pub author: String,
}

fn main() {}
