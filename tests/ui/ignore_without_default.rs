use insula::prelude::*;

pub struct Connection;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[field(ignore)]
    pub connection: Connection,
}

fn main() {}
