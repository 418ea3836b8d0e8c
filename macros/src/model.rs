//! The model of a derive's input: what the code generators need, read from the syntax
//! tree and the attributes.

use crate::attr::{self, IndexAttr};
use crate::ctxt::Ctxt;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type, Visibility};

/// A struct deriving `Collection` or `Embedded`.
pub(crate) struct Record<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    /// The stored collection name (`#[collection(name)]`, or the struct's name).
    pub(crate) name: String,
    /// The accessor's name (`#[collection(accessor)]`, or snake case plus `s`).
    pub(crate) accessor: Ident,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field of the struct.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The stored name (`#[field(name)]`, or the Rust name without `r#`).
    pub(crate) stored: String,
    /// Where the stored name comes from, for error spans.
    pub(crate) stored_from: Option<LitStr>,
    pub(crate) attrs: attr::FieldAttrs,
}

/// How a field's type holds the struct it belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelfUse {
    /// It does not.
    None,
    /// As `Option<Box<Self>>`: a recursive embedded struct, whose schema names itself as
    /// `ValueType::Recursive`. (A `Box<Self>` that is not optional has no finite value.)
    Boxed,
    /// In any other way, which cannot be stored.
    Other,
}

impl Field<'_> {
    /// How this field's type holds `owner`, the struct being derived (by its name or as
    /// `Self`).
    pub(crate) fn self_use(&self, owner: &Ident) -> SelfUse {
        if !mentions(self.ty, owner) {
            return SelfUse::None;
        }
        let is_owner = |ty: &Type| single_ident(ty).is_some_and(|ident| ident == owner || ident == "Self");
        let boxed = |ty: &Type| generic_of(ty, "Box").is_some_and(is_owner);
        if generic_of(self.ty, "Option").is_some_and(boxed) { SelfUse::Boxed } else { SelfUse::Other }
    }

    /// Whether the field is kept in the record (neither the id nor ignored).
    pub(crate) fn is_stored(&self) -> bool {
        self.attrs.id.is_none() && self.attrs.ignore.is_none()
    }

    pub(crate) fn indexes(&self) -> &[IndexAttr] {
        &self.attrs.indexes
    }
}

impl<'a> Record<'a> {
    /// Reads a struct with named fields. Anything else is an error on the offending
    /// tokens; `what` names the derive in the message.
    pub(crate) fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput, what: &str) -> Option<Self> {
        if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
            cx.error_spanned_by(
                &input.generics,
                format!(
                    "`#[derive({what})]` does not support generic structs: a stored type has one fixed schema"
                ),
            );
        }
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        format!("`#[derive({what})]` needs a struct with named fields: stored fields are known by name"),
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                let hint = if what == "Collection" {
                    "; to store a fieldless enum as a field, use `#[derive(Enumerated)]`"
                } else {
                    ""
                };
                cx.error_spanned_by(
                    data.enum_token,
                    format!("`#[derive({what})]` needs a struct with named fields, not an enum{hint}"),
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    format!("`#[derive({what})]` needs a struct with named fields, not a union"),
                );
                return None;
            }
        };
        let container = attr::container_attrs(cx, &input.attrs);
        let name = container.name.as_ref().map_or_else(|| input.ident.to_string(), LitStr::value);
        let accessor = match &container.accessor {
            Some(lit) => Ident::new(&lit.value(), lit.span()),
            None => {
                let snake = crate::case::snake_case(&input.ident.to_string());
                Ident::new(&format!("{snake}s"), input.ident.span())
            }
        };
        let fields = fields
            .iter()
            .map(|field| {
                let ident = field.ident.as_ref().expect("named fields have names");
                let attrs = attr::field_attrs(cx, &field.attrs);
                let stored_from = attrs.name.clone();
                let stored = stored_from.as_ref().map_or_else(|| unraw(ident), LitStr::value);
                Field { ident, ty: &field.ty, stored, stored_from, attrs }
            })
            .collect();
        Some(Record { ident: &input.ident, vis: &input.vis, name, accessor, fields })
    }

    /// The stored fields, sorted by stored name: the order of their slots.
    pub(crate) fn stored_fields(&self) -> Vec<&Field<'a>> {
        let mut fields: Vec<_> = self.fields.iter().filter(|field| field.is_stored()).collect();
        fields.sort_by(|a, b| a.stored.cmp(&b.stored));
        fields
    }

    /// The `#[id]` field, if there is exactly one.
    pub(crate) fn id_field(&self) -> Option<&Field<'a>> {
        let mut ids = self.fields.iter().filter(|field| field.attrs.id.is_some());
        let id = ids.next()?;
        ids.next().is_none().then_some(id)
    }
}

/// `r#type` -> `type`.
pub(crate) fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
}

/// Whether `ty` names `owner` or `Self` anywhere in it.
fn mentions(ty: &Type, owner: &Ident) -> bool {
    fn walk(tokens: proc_macro2::TokenStream, owner: &Ident) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => ident == *owner || ident == "Self",
            proc_macro2::TokenTree::Group(group) => walk(group.stream(), owner),
            _ => false,
        })
    }
    walk(quote::ToTokens::to_token_stream(ty), owner)
}

/// The identifier a type is, when it is one plain name (`Node`, `Self`).
fn single_ident(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.get_ident(),
        _ => None,
    }
}

/// `T` when `ty` is `Wrapper<T>` (by the path's last segment: `Box`, `std::boxed::Box`).
fn generic_of<'t>(ty: &'t Type, wrapper: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}
