use insula::prelude::*;

#[derive(Collection)]
pub struct Message {
    pub author: String,
}

fn main() {}
