//! Parsing of Insula's attributes. Every mistake is recorded in the [`Ctxt`] on the span
//! of the offending tokens, and parsing goes on, so that all mistakes are reported.

use crate::ctxt::Ctxt;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Ident, LitStr, Meta, Path};

/// The attributes of one field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `#[id]`, with the attribute's path for error spans.
    pub(crate) id: Option<Path>,
    /// `#[field(ignore)]`: not stored. (`#[ignore]` is a built-in attribute that
    /// derives may no longer claim as a helper.)
    pub(crate) ignore: Option<Path>,
    /// `#[field(name = "..")]`.
    pub(crate) name: Option<LitStr>,
    /// `#[field(default = <expr>)]`, with the option's path for error spans.
    pub(crate) default: Option<(Path, Expr)>,
    /// Each `#[index(..)]`.
    pub(crate) indexes: Vec<IndexAttr>,
}

/// One `#[index(..)]` attribute.
pub(crate) struct IndexAttr {
    /// The attribute's path, for error spans.
    pub(crate) path: Path,
    pub(crate) unique: Option<Path>,
    pub(crate) replace: Option<Path>,
    pub(crate) case_insensitive: Option<Path>,
    /// The other fields of a composite index, in order.
    pub(crate) composite: Vec<Ident>,
}

/// The attributes of the struct or enum.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    /// `#[collection(name = "..")]`.
    pub(crate) name: Option<LitStr>,
    /// `#[collection(accessor = "..")]`.
    pub(crate) accessor: Option<LitStr>,
}

/// Stores `value` in `slot`, or records a duplicate at `span_of`.
fn set_once<T, S: quote::ToTokens>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, span_of: S, what: &str) {
    if slot.is_some() {
        cx.error_spanned_by(span_of, format!("duplicate {what}"));
    } else {
        *slot = Some(value);
    }
}

/// Reads `= "string"` after an option key.
fn string_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let value: LitStr = meta.value()?.parse()?;
    if value.value().is_empty() {
        return Err(syn::Error::new(value.span(), "the name must not be empty"));
    }
    Ok(value)
}

/// Parses `#[attr(key, key = "..", ..)]`, calling `option` for each key; a bare
/// `#[attr]` calls nothing. A parse error is recorded and the rest is skipped.
fn parse_options(
    cx: &mut Ctxt,
    attr: &Attribute,
    mut option: impl FnMut(&mut Ctxt, &ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::List(list) => {
            let mut errors = Ctxt::default();
            let parsed = list.parse_nested_meta(|meta| option(&mut errors, &meta));
            if let Err(error) = errors.check() {
                cx.syn_error(error);
            }
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        Meta::NameValue(value) => {
            cx.error_spanned_by(value, "expected `#[attr]` or `#[attr(..)]`, not `#[attr = ..]`")
        }
    }
}

/// Refuses arguments on a marker attribute such as `#[id]`.
fn expect_marker(cx: &mut Ctxt, attr: &Attribute) -> bool {
    if let Meta::Path(_) = attr.meta {
        true
    } else {
        let name = attr.path().get_ident().map(Ident::to_string).unwrap_or_default();
        cx.error_spanned_by(&attr.meta, format!("`#[{name}]` takes no arguments"));
        false
    }
}

/// Reads the attributes of a field: `#[id]`, `#[field(..)]`, `#[index(..)]`.
pub(crate) fn field_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("id") {
            if expect_marker(cx, attr) {
                set_once(cx, &mut out.id, path.clone(), attr, "`#[id]`");
            }
        } else if path.is_ident("field") {
            let (mut name, mut ignore, mut default) =
                (out.name.take(), out.ignore.take(), out.default.take());
            parse_options(cx, attr, |cx, meta| {
                if meta.path.is_ident("name") {
                    let value = string_value(meta)?;
                    set_once(cx, &mut name, value, &meta.path, "field option `name`");
                    Ok(())
                } else if meta.path.is_ident("ignore") {
                    set_once(cx, &mut ignore, meta.path.clone(), &meta.path, "field option `ignore`");
                    Ok(())
                } else if meta.path.is_ident("default") {
                    let value: Expr = meta.value()?.parse()?;
                    set_once(
                        cx,
                        &mut default,
                        (meta.path.clone(), value),
                        &meta.path,
                        "field option `default`",
                    );
                    Ok(())
                } else {
                    Err(meta.error(format!(
                        "unknown field option `{}`; expected `name = \"..\"`, `default = <expr>` or `ignore`",
                        path_text(&meta.path)
                    )))
                }
            });
            (out.name, out.ignore, out.default) = (name, ignore, default);
        } else if path.is_ident("index") {
            out.indexes.push(index_attr(cx, attr));
        }
    }
    out
}

fn index_attr(cx: &mut Ctxt, attr: &Attribute) -> IndexAttr {
    let mut index = IndexAttr {
        path: attr.path().clone(),
        unique: None,
        replace: None,
        case_insensitive: None,
        composite: Vec::new(),
    };
    let mut composite: Option<Vec<Ident>> = None;
    parse_options(cx, attr, |cx, meta| {
        let key = &meta.path;
        if key.is_ident("unique") {
            set_once(cx, &mut index.unique, key.clone(), key, "index option `unique`");
        } else if key.is_ident("replace") {
            set_once(cx, &mut index.replace, key.clone(), key, "index option `replace`");
        } else if key.is_ident("case_insensitive") {
            set_once(cx, &mut index.case_insensitive, key.clone(), key, "index option `case_insensitive`");
        } else if key.is_ident("composite") {
            let mut fields = Vec::new();
            meta.parse_nested_meta(|field| {
                match field.path.get_ident() {
                    Some(ident) => fields.push(ident.clone()),
                    None => return Err(field.error("expected a field name")),
                }
                Ok(())
            })?;
            if fields.is_empty() {
                return Err(meta.error("`composite(..)` names the other fields of the index"));
            }
            set_once(cx, &mut composite, fields, key, "index option `composite`");
        } else {
            return Err(meta.error(format!(
                "unknown index option `{}`; expected `unique`, `replace`, `case_insensitive` \
                 or `composite(field, ..)`",
                path_text(key)
            )));
        }
        Ok(())
    });
    index.composite = composite.unwrap_or_default();
    index
}

/// Reads `#[collection(name = "..", accessor = "..")]`.
pub(crate) fn container_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("collection")) {
        if let Meta::Path(path) = &attr.meta {
            cx.error_spanned_by(
                path,
                "expected `#[collection(name = \"..\")]` or `#[collection(accessor = \"..\")]`",
            );
            continue;
        }
        parse_options(cx, attr, |cx, meta| {
            if meta.path.is_ident("name") {
                let value = string_value(meta)?;
                set_once(cx, &mut out.name, value, &meta.path, "collection option `name`");
            } else if meta.path.is_ident("accessor") {
                let value = string_value(meta)?;
                if syn::parse_str::<Ident>(&value.value()).is_err() {
                    return Err(syn::Error::new(value.span(), "the accessor must be a Rust identifier"));
                }
                set_once(cx, &mut out.accessor, value, &meta.path, "collection option `accessor`");
            } else {
                return Err(meta.error(format!(
                    "unknown collection option `{}`; expected `name = \"..\"` or `accessor = \"..\"`",
                    path_text(&meta.path)
                )));
            }
            Ok(())
        });
    }
    out
}

/// Reads `#[variant(name = "..")]` on an enum variant.
pub(crate) fn variant_name(cx: &mut Ctxt, attrs: &[Attribute]) -> Option<LitStr> {
    let mut name = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("variant")) {
        parse_options(cx, attr, |cx, meta| {
            if meta.path.is_ident("name") {
                let value = string_value(meta)?;
                set_once(cx, &mut name, value, &meta.path, "variant option `name`");
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown variant option `{}`; expected `name = \"..\"`",
                    path_text(&meta.path)
                )))
            }
        });
    }
    name
}

fn path_text(path: &Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}
