//! The generated code names everything by absolute path: it compiles without the
//! prelude, and with `Result`, `Ok`, `Some`, `Option`, `Vec` and `String` shadowed.

#![no_implicit_prelude]
#![allow(dead_code)]

extern crate insula;
extern crate std;

mod shadowing {
    // Names a careless expansion would pick up instead of the real ones.
    pub(crate) struct Result;
    pub(crate) struct Ok;
    pub(crate) struct Some;
    pub(crate) struct None;
    pub(crate) struct Option;
    pub(crate) struct Vec;
    pub(crate) struct String;
    pub(crate) struct Default;
    pub(crate) trait Value {}
    pub(crate) trait Collection {}
    pub(crate) mod core {}
}

mod model {
    // Unused by this module's own code: it is there for the expansions to trip over.
    #[allow(unused_imports)]
    use super::shadowing::*;
    use ::insula::{Embedded, Enumerated, Id};
    use ::std::string::String as Text;
    use ::std::vec::Vec as List;

    #[derive(Enumerated, Clone, Copy, Debug, PartialEq)]
    pub(crate) enum Kind {
        A,
        B,
    }

    #[derive(Embedded, Debug, PartialEq)]
    pub(crate) struct Part {
        pub(crate) name: Text,
    }

    #[derive(::insula::Collection, Debug, PartialEq)]
    pub(crate) struct Thing {
        #[id]
        pub(crate) id: Id,
        #[index(unique)]
        pub(crate) name: Text,
        pub(crate) parts: List<Part>,
        pub(crate) kind: ::std::option::Option<Kind>,
        #[index(composite(kind))]
        pub(crate) rank: u32,
        #[field(ignore)]
        pub(crate) scratch: u32,
    }

    #[test]
    fn generated_code_ignores_what_is_in_scope() {
        let thing = Thing {
            id: 2,
            name: ::std::borrow::ToOwned::to_owned("x"),
            parts: ::std::vec![Part { name: ::std::borrow::ToOwned::to_owned("p") }],
            kind: ::std::option::Option::Some(Kind::B),
            rank: 4,
            scratch: 9,
        };
        let mut record = List::new();
        ::insula::Collection::encode(&thing, &mut record).unwrap();
        let decoded = <Thing as ::insula::Collection>::decode(2, &record).unwrap();
        ::std::assert_eq!(decoded.kind, ::std::option::Option::Some(Kind::B));
        ::std::assert_eq!(decoded.parts, thing.parts);
        ::std::assert_eq!(decoded.scratch, 0);
        ::std::assert_eq!(Thing::NAME.name(), "name");
        // The keys of the unique index and of the composite one, appended to one list.
        let mut keys = List::new();
        <Thing as ::insula::Collection>::object_index_keys(&thing, 0, &mut keys);
        <Thing as ::insula::Collection>::object_index_keys(&thing, 1, &mut keys);
        ::std::assert_eq!(keys.len(), 2);
    }
}
