use insula::prelude::*;

// A list of itself: a schema names the struct around it only as `Option<Box<Self>>`.
#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub label: String,
    pub children: Vec<Node>,
}

// A `Box` that is always there never ends.
#[derive(Embedded, Debug, Clone, PartialEq)]
pub struct Endless {
    pub next: Box<Self>,
}

// A collection cannot be embedded in itself.
#[derive(Collection, Debug, Default)]
pub struct Folder {
    #[id]
    pub id: Id,
    pub parent: Option<Box<Folder>>,
}

fn main() {}
