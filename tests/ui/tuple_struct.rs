use insula::prelude::*;

#[derive(Collection)]
pub struct Message(Id, String);

fn main() {}
