//! Arbitrary bytes as a record: a view or `Error::Corrupted`, never a panic; a view's
//! every field reads, and decoding agrees with it.

#![no_main]

use insula::prelude::*;
use libfuzzer_sys::fuzz_target;

#[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
pub enum Kind {
    #[default]
    A,
    B,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Part {
    pub name: String,
    pub size: Option<u32>,
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Record {
    #[id]
    pub id: Id,
    pub flag: bool,
    pub number: i64,
    pub ratio: f64,
    pub text: String,
    pub bytes: Vec<u8>,
    pub words: Vec<String>,
    pub values: Vec<u32>,
    pub maybe: Option<String>,
    pub kind: Kind,
    pub part: Part,
    pub parts: Vec<Part>,
}

fuzz_target!(|data: &[u8]| {
    // With a valid check, and behind a valid tag half the time, so the bytes reach the
    // fields; as they are, they must fail the check.
    let mut sealed = data.to_vec();
    insula::__private_0_1::seal(1, &mut sealed);
    let mut tagged: Vec<u8> = Record::SCHEMA.layout_tag().to_le_bytes().iter().chain(data).copied().collect();
    insula::__private_0_1::seal(1, &mut tagged);
    for bytes in [data, sealed.as_slice(), tagged.as_slice()] {
        let direct = Record::decode(1, bytes);
        assert_eq!(direct.is_ok(), Record::view(1, bytes).is_ok(), "decoding and the view disagree");
        if let Ok(view) = Record::view(1, bytes) {
            let _ = format!("{view:?}");
            let decoded = Record::from_view(view);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            direct.expect("the view reads").encode(&mut a).expect("encodes");
            decoded.encode(&mut b).expect("encodes");
            assert_eq!(a, b, "decoding and the view give different objects");
            let mut again = Vec::new();
            decoded.encode(&mut again).expect("a decoded record encodes");
            let round = Record::decode(1, &again).expect("its encoding decodes");
            assert_eq!(round.text, decoded.text);
        }
    }
});
