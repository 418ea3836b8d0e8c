use insula::prelude::*;

#[derive(Collection)]
pub struct Room {
    #[id]
    pub id: Id,
    #[field(default = "ten")]
    pub seats: u32,
}

fn main() {}
