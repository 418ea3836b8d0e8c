use insula::prelude::*;

#[derive(Collection)]
pub struct User {
    #[id]
    pub id: Id,
    #[index(replace)]
    pub email: String,
}

fn main() {}
