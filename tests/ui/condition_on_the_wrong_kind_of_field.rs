use insula::prelude::*;

#[derive(Collection, Debug, Default)]
pub struct Message {
    #[id]
    pub id: Id,
    pub likes: u32,
    pub author: String,
    pub tags: Vec<String>,
}

fn main() {
    // Case is a property of text: a number has no `ignore_case`.
    let _ = Message::LIKES.ignore_case();
    // A string is not a list of elements.
    let _ = Message::AUTHOR.element();
    // An epsilon is for floats.
    let _ = Message::LIKES.eq_within(10, 1);
    // A list's elements are strings here, compared with strings.
    let _ = Message::TAGS.element().gt(3);
}
