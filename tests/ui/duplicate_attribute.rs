use insula::prelude::*;

#[derive(Collection)]
#[collection(name = "messages")]
#[collection(name = "posts")]
pub struct Message {
    #[id]
    pub id: Id,
}

fn main() {}
