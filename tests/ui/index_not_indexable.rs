use insula::prelude::*;

#[derive(Embedded)]
pub struct Address {
    pub street: String,
}

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index]
    pub address: Address,
}

fn main() {}
