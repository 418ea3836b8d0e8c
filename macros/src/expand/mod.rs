//! Code generation. Generated code names the runtime only through
//! `::insula::__private_0_1` and fully qualified paths, so it compiles whatever the user has
//! in scope (tested under `#![no_implicit_prelude]`).

pub(crate) mod collection;
pub(crate) mod embedded;
pub(crate) mod enumerated;
mod record;

/// Where generated code about a field of type `ty` is: at the type, so that an error
/// about the type points at it, but resolving names as the derive's own code does. A
/// type written by a `macro_rules!` carries that macro's hygiene, under which the
/// derive's locals (`self`, `out`, `record`, `view`) would not be found.
pub(crate) fn at(ty: &impl syn::spanned::Spanned) -> proc_macro2::Span {
    proc_macro2::Span::call_site().located_at(ty.span())
}
