//! The schema hash: pinned for the example collections, moved by every change to what is
//! stored, and by nothing else.

use crate::common;

use insula::Collection;
use insula::schema::Schema;

/// Each module holds one version of the same collection, `Note`.
mod base {
    use insula::prelude::*;

    #[derive(Enumerated, Clone, Copy, Debug)]
    pub enum Color {
        Red,
        Green,
    }

    #[derive(Collection, Debug)]
    pub struct Note {
        #[id]
        pub id: Id,
        #[index]
        pub title: String,
        pub body: String,
        pub stars: u32,
        pub color: Color,
    }
}

/// Declarations that differ from `base` only in ways that must not move the hash.
mod same {
    pub mod reordered {
        use super::super::base::Color;
        use insula::prelude::*;

        #[derive(Collection, Debug)]
        pub struct Note {
            pub color: Color,
            pub stars: u32,
            pub body: String,
            #[index]
            pub title: String,
            #[id]
            pub id: Id,
        }
    }

    pub mod documented_private_renamed {
        use super::super::base::Color;
        use insula::prelude::*;

        /// Docs, another visibility, a Rust-side rename that keeps the stored name, an
        /// ignored field and more derives.
        #[derive(Collection, Debug, Clone)]
        #[collection(name = "Note")]
        pub(crate) struct RenamedNote {
            /// The key.
            #[id]
            pub(crate) id: Id,
            /// The title.
            #[index]
            #[field(name = "title")]
            heading: String,
            body: String,
            stars: u32,
            color: Color,
            #[field(ignore)]
            #[allow(dead_code)]
            cached: Option<String>,
        }
    }

    pub mod enum_reordered {
        use insula::prelude::*;

        #[derive(Enumerated, Clone, Copy, Debug)]
        pub enum Color {
            Green,
            Red,
        }

        #[derive(Collection, Debug)]
        pub struct Note {
            #[id]
            pub id: Id,
            #[index]
            pub title: String,
            pub body: String,
            pub stars: u32,
            pub color: Color,
        }
    }
}

/// One module per change that must move the hash.
macro_rules! changed {
    ($($module:ident { $($body:tt)* })*) => {
        mod changed {
            $(pub mod $module {
                #[allow(unused_imports)]
                use super::super::base::*;
                #[allow(unused_imports)]
                use insula::prelude::*;
                $($body)*
            })*
        }

        const CHANGED: &[(&str, Schema<'static>)] = &[
            $((stringify!($module), <changed::$module::Note as Collection>::SCHEMA),)*
        ];
    };
}

changed! {
    field_added {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: String, pub stars: u32, pub color: Color, pub pinned: bool }
    }
    field_removed {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub stars: u32, pub color: Color }
    }
    field_type_changed {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: String, pub stars: u64, pub color: Color }
    }
    field_made_optional {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: Option<String>, pub stars: u32, pub color: Color }
    }
    field_renamed {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub text: String, pub stars: u32, pub color: Color }
    }
    stored_name_changed {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, #[field(name = "content")] pub body: String, pub stars: u32, pub color: Color }
    }
    list_element_changed {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: Vec<String>, pub stars: u32, pub color: Color }
    }
    id_renamed {
        #[derive(Collection)]
        pub struct Note { #[id] pub key: Id, #[index] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    collection_renamed {
        #[derive(Collection)]
        #[collection(name = "Memo")]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    index_removed {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    index_added {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: String, #[index] pub stars: u32, pub color: Color }
    }
    index_made_unique {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index(unique)] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    index_made_replacing {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index(unique, replace)] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    index_made_case_insensitive {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index(case_insensitive)] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    index_made_composite {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index(composite(stars))] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    index_moved {
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, pub title: String, #[index] pub body: String, pub stars: u32, pub color: Color }
    }
    enum_variant_added {
        #[derive(Enumerated, Clone, Copy, Debug)]
        pub enum Color { Red, Green, Blue }
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
    enum_variant_renamed {
        #[derive(Enumerated, Clone, Copy, Debug)]
        pub enum Color { Red, #[variant(name = "Lime")] Green }
        #[derive(Collection)]
        pub struct Note { #[id] pub id: Id, #[index] pub title: String, pub body: String, pub stars: u32, pub color: Color }
    }
}

#[test]
fn declaration_order_docs_visibility_and_rust_names_do_not_move_the_hash() {
    let base = base::Note::SCHEMA;
    assert_eq!(same::reordered::Note::SCHEMA.hash(), base.hash());
    assert_eq!(same::reordered::Note::SCHEMA, base, "the derive sorts fields by stored name");
    assert_eq!(same::documented_private_renamed::RenamedNote::SCHEMA.hash(), base.hash());
    assert_eq!(same::enum_reordered::Note::SCHEMA.hash(), base.hash());
}

#[test]
fn every_change_to_what_is_stored_moves_the_hash() {
    let base = base::Note::SCHEMA.hash();
    for (change, schema) in CHANGED {
        assert_ne!(schema.hash(), base, "{change} must move the hash");
    }
    // And no two changes collide with each other.
    for (i, (a, schema_a)) in CHANGED.iter().enumerate() {
        for (b, schema_b) in &CHANGED[i + 1..] {
            assert_ne!(schema_a.hash(), schema_b.hash(), "{a} and {b}");
        }
    }
}

#[test]
fn indexes_do_not_move_the_layout_tag_but_fields_do() {
    let base = base::Note::SCHEMA.layout_tag();
    for (change, schema) in CHANGED {
        let layout_changes =
            !change.starts_with("index_") && *change != "collection_renamed" && *change != "id_renamed";
        assert_eq!(schema.layout_tag() != base, layout_changes, "{change}");
    }
}

/// The hashes of the example collections, pinned: they are part of the file format, so
/// a change here breaks every existing database and must be deliberate.
#[test]
fn golden_hashes() {
    // Evaluated by the compiler: the hash is a constant.
    const NOTE: u64 = <base::Note as Collection>::SCHEMA.hash();
    let pinned = [
        ("Note", NOTE, 0x9d68_4dbf_ee00_8452),
        ("Everything", common::Everything::SCHEMA.hash(), 0x28df_7634_39e5_bb0d),
        ("Message", common::Message::SCHEMA.hash(), 0x6a68_7dc7_cbdf_f23b),
    ];
    for (name, hash, pinned) in pinned {
        assert_eq!(hash, pinned, "{name}: {hash:#018x}");
    }
}
