use insula::prelude::*;
use std::collections::HashMap;

#[derive(Collection)]
pub struct Message {
    #[id]
    pub id: Id,
    pub counts: HashMap<String, u32>,
}

fn main() {}
