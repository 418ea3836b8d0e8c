use insula::prelude::*;

#[derive(Collection)]
pub struct Message<T> {
    #[id]
    pub id: Id,
    pub payload: T,
}

fn main() {}
