use insula::prelude::*;

#[derive(Collection, Debug, Default)]
pub struct Message {
    #[id]
    pub id: Id,
    pub likes: u32,
}

fn main() {
    let _ = Message::LIKES.gt("ten");
}
