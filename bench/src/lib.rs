//! The data the benchmarks share: the six-field `Message` of the benchmark workloads,
//! generated deterministically.

#![forbid(unsafe_code)]

use insula::prelude::*;

/// The benchmark object.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// The id.
    #[id]
    pub id: Id,
    /// One of 100 authors.
    #[index]
    pub author: String,
    /// About 40 bytes of text.
    pub content: String,
    /// A timestamp.
    pub created_at: i64,
    /// 0..1000.
    pub likes: u32,
    /// Zero to three short tags.
    pub tags: Vec<String>,
}

/// A user of W10, whose email a case-insensitive index covers.
#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct User {
    /// The id.
    #[id]
    pub id: Id,
    /// `First.Last<n>@Example.com`, in mixed case.
    #[index(case_insensitive)]
    pub email: String,
}

/// User number `i`'s email, as stored: mixed case.
pub fn email(i: u64) -> String {
    const FIRST: [&str; 8] = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"];
    const LAST: [&str; 8] =
        ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"];
    format!("{}.{}{i}@Example.com", FIRST[(i % 8) as usize], LAST[(i / 8 % 8) as usize])
}

/// Message number `i`, the same in every run.
pub fn message(i: u64) -> Message {
    // A small multiplicative hash spreads the values without a random number generator.
    let mixed = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Message {
        id: i + 1,
        author: format!("author-{:02}", mixed % 100),
        content: format!("message {i:08} says hello to everyone here"),
        created_at: 1_700_000_000 + i as i64,
        likes: ((mixed >> 16) % 1000) as u32,
        tags: (0..(mixed >> 32) % 4).map(|t| format!("tag{t}")).collect(),
    }
}

/// A plain message, as every peer stores it (serde derives it, for the peers that need
/// serde).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plain {
    /// The id.
    pub id: u64,
    /// One of 100 authors.
    pub author: String,
    /// About 40 bytes of text.
    pub content: String,
    /// A timestamp.
    pub created_at: i64,
    /// 0..1000.
    pub likes: u32,
    /// Zero to three short tags.
    pub tags: Vec<String>,
}

/// Message number `i` as a [`Plain`].
pub fn plain(i: u64) -> Plain {
    let m = message(i);
    Plain {
        id: m.id,
        author: m.author,
        content: m.content,
        created_at: m.created_at,
        likes: m.likes,
        tags: m.tags,
    }
}

/// `Message` as later versions of a program declare it, for the schema-change
/// workloads.
pub mod versions {
    /// One field added.
    pub mod with_field {
        use insula::prelude::*;

        /// `Message` with `edited`.
        #[derive(Collection, Debug, Clone, Default)]
        #[collection(name = "Message")]
        pub struct Message {
            /// The id.
            #[id]
            pub id: Id,
            /// One of 100 authors.
            #[index]
            pub author: String,
            /// About 40 bytes of text.
            pub content: String,
            /// A timestamp.
            pub created_at: i64,
            /// 0..1000.
            pub likes: u32,
            /// Zero to three short tags.
            pub tags: Vec<String>,
            /// The added field.
            pub edited: bool,
        }
    }

    /// One field and one index added.
    pub mod with_index {
        use insula::prelude::*;

        /// `Message` with `edited` and an index on `likes`.
        #[derive(Collection, Debug, Clone, Default)]
        #[collection(name = "Message")]
        pub struct Message {
            /// The id.
            #[id]
            pub id: Id,
            /// One of 100 authors.
            #[index]
            pub author: String,
            /// About 40 bytes of text.
            pub content: String,
            /// A timestamp.
            pub created_at: i64,
            /// 0..1000, now indexed.
            #[index]
            pub likes: u32,
            /// Zero to three short tags.
            pub tags: Vec<String>,
            /// The added field.
            pub edited: bool,
        }
    }

    /// `likes` retyped to a string: a breaking change, migrated by a conversion.
    pub mod retyped {
        use insula::prelude::*;

        /// `Message` with `likes` as text.
        #[derive(Collection, Debug, Clone, Default)]
        #[collection(name = "Message")]
        pub struct Message {
            /// The id.
            #[id]
            pub id: Id,
            /// One of 100 authors.
            #[index]
            pub author: String,
            /// About 40 bytes of text.
            pub content: String,
            /// A timestamp.
            pub created_at: i64,
            /// 0..1000, as text.
            pub likes: String,
            /// Zero to three short tags.
            pub tags: Vec<String>,
        }

        /// The conversion from the first version.
        pub fn from_v1(old: crate::Message) -> Result<Message, std::convert::Infallible> {
            Ok(Message {
                id: old.id,
                author: old.author,
                content: old.content,
                created_at: old.created_at,
                likes: old.likes.to_string(),
                tags: old.tags,
            })
        }
    }
}
