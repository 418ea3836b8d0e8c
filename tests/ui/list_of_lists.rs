use insula::prelude::*;

#[derive(Collection, Debug, Default)]
pub struct Grid {
    #[id]
    pub id: Id,
    pub rows: Vec<Vec<u32>>,
}

fn main() {}
