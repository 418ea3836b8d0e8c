//! The rules a derive's input must keep, beyond what parsing and rustc's type checks
//! catch. Each broken rule is one error on the tokens that break it.

use crate::ctxt::Ctxt;
use crate::model::{Record, SelfUse};
use std::collections::HashMap;

/// Checks a `#[derive(Collection)]` struct.
pub(crate) fn collection(cx: &mut Ctxt, record: &Record<'_>) {
    let ids: Vec<_> = record.fields.iter().filter(|field| field.attrs.id.is_some()).collect();
    match ids.as_slice() {
        [] => cx.error_spanned_by(
            record.ident,
            "a collection needs one `#[id]` field of type `insula::Id`; add `#[id] id: Id`",
        ),
        [_] => {}
        [_, rest @ ..] => {
            for extra in rest {
                cx.error_spanned_by(
                    &extra.attrs.id,
                    "a collection has exactly one `#[id]` field; this is a second one",
                );
            }
        }
    }
    for field in &record.fields {
        if field.attrs.id.is_some() {
            if let Some(ignore) = &field.attrs.ignore {
                cx.error_spanned_by(ignore, "the `#[id]` field cannot be ignored");
            }
            if let Some(index) = field.attrs.indexes.first() {
                cx.error_spanned_by(
                    &index.path,
                    "the `#[id]` field is the key already; it needs no `#[index]`",
                );
            }
            if let Some((default, _)) = &field.attrs.default {
                cx.error_spanned_by(default, "the `#[id]` field has no default: every object has an id");
            }
        }
    }
    check_fields(cx, record);
    check_indexes(cx, record);
    for field in record.fields.iter().filter(|field| field.is_stored()) {
        if field.self_use(record.ident) != SelfUse::None {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "a collection cannot hold itself; make the recursive part a struct that derives \
                     `Embedded` and holds itself as `Option<Box<{}>>`",
                    record.ident
                ),
            );
        }
    }
}

/// Checks a `#[derive(Embedded)]` struct.
pub(crate) fn embedded(cx: &mut Ctxt, record: &Record<'_>) {
    check_fields(cx, record);
    for field in record.fields.iter().filter(|field| field.is_stored()) {
        if field.self_use(record.ident) == SelfUse::Other {
            let ident = record.ident;
            cx.error_spanned_by(
                field.ty,
                format!(
                    "`{ident}` can hold itself only as `Option<Box<{ident}>>`: the schema names the \
                     struct around it there, and a value that always holds itself has no end"
                ),
            );
        }
    }
    for field in &record.fields {
        if let Some((default, _)) = &field.attrs.default {
            cx.error_spanned_by(
                default,
                "a field of an embedded struct has no default: a default fills a field added to a \
                 collection, and an embedded struct's fields cannot be added to stored objects",
            );
        }
    }
}

/// Ignored fields carry no storage attributes, and stored names are unique.
fn check_fields(cx: &mut Ctxt, record: &Record<'_>) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for field in &record.fields {
        if field.attrs.ignore.is_some() {
            if let Some(name) = &field.stored_from {
                cx.error_spanned_by(name, "an ignored field is not stored, so it has no stored name");
            }
            if let Some(index) = field.attrs.indexes.first() {
                cx.error_spanned_by(&index.path, "an ignored field is not stored, so it cannot be indexed");
            }
            if let Some((default, _)) = &field.attrs.default {
                cx.error_spanned_by(
                    default,
                    "an ignored field is not stored, so it has no stored default; `Default` gives its value",
                );
            }
            continue;
        }
        if let Some(first) = seen.insert(&field.stored, field.ident) {
            let message = format!(
                "two fields are stored as `{}`: `{first}` and `{}`; give one another name with `#[field(name = \"..\")]`",
                field.stored, field.ident
            );
            match &field.stored_from {
                Some(name) => cx.error_spanned_by(name, message),
                None => cx.error_spanned_by(field.ident, message),
            }
        }
    }
}

/// `replace` needs `unique`; a composite index names stored fields, each once.
fn check_indexes(cx: &mut Ctxt, record: &Record<'_>) {
    for field in &record.fields {
        for index in field.indexes() {
            if let (Some(replace), None) = (&index.replace, &index.unique) {
                cx.error_spanned_by(
                    replace,
                    "`replace` applies to unique indexes only; write `#[index(unique, replace)]`",
                );
            }
            let mut named = vec![field.ident];
            for other in &index.composite {
                match record.fields.iter().find(|candidate| candidate.ident == other) {
                    None => cx.error_spanned_by(
                        other,
                        format!(
                            "the composite index names `{other}`, which is not a field of `{}`",
                            record.ident
                        ),
                    ),
                    Some(target) if !target.is_stored() => cx.error_spanned_by(
                        other,
                        format!(
                            "the composite index names `{other}`, which is not stored (the id, or ignored)"
                        ),
                    ),
                    Some(_) if named.contains(&other) => {
                        cx.error_spanned_by(other, format!("the composite index names `{other}` twice"))
                    }
                    Some(_) => named.push(other),
                }
            }
        }
    }
}
