use insula::prelude::*;

#[derive(Embedded, Default)]
pub struct Place {
    #[field(default = 1)]
    pub floor: u32,
}

#[derive(Collection)]
pub struct Room {
    #[id]
    #[field(default = 5)]
    pub id: Id,
    #[field(ignore, default = 2)]
    pub cached: u32,
    pub place: Place,
}

fn main() {}
