use insula::prelude::*;

#[derive(Collection)]
pub enum Message {
    Text(String),
    Empty,
}

fn main() {}
