//! The derives of Insula. Use them through the `insula` crate, which re-exports them:
//! `use insula::prelude::*;`.
//!
//! Each derive runs in four steps: `model` reads the input and its attributes,
//! `check` finds every mistake (each on its own span), and `expand` generates code
//! that names the runtime only through `::insula::__private_0_1`. When a step finds errors,
//! `fallback` emits them with stub impls, so the user sees those errors and no cascade.

#![forbid(unsafe_code)]

mod attr;
mod case;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod model;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Stores a struct as a collection: generates its schema, codec, view type and field
/// handles. See the `insula` crate for the attributes.
#[proc_macro_derive(Collection, attributes(id, index, collection, field))]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::collection::derive(&input).into()
}

/// Stores a struct inside a collection's objects, as a nested record.
#[proc_macro_derive(Embedded, attributes(field))]
pub fn derive_embedded(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::embedded::derive(&input).into()
}

/// Stores a fieldless enum by the name of its variant.
#[proc_macro_derive(Enumerated, attributes(variant))]
pub fn derive_enumerated(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::enumerated::derive(&input).into()
}
