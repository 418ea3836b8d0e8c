use insula::prelude::*;

// A struct may hold itself, but two structs may not hold each other: the schema names
// only the struct around it (`self`), and each of these would need the other's schema
// inside its own.
#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Question {
    pub text: String,
    pub answer: Option<Box<Answer>>,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub text: String,
    pub follow_up: Option<Box<Question>>,
}

fn main() {}
