//! `#[derive(Enumerated)]`: a fieldless enum stored as the tag of its variant's name.

use crate::attr;
use crate::ctxt::Ctxt;
use crate::fallback;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "`#[derive(Enumerated)]` does not support generic enums");
    }
    let mut variants = Vec::new();
    match &input.data {
        Data::Enum(data) => {
            if data.variants.is_empty() {
                cx.error_spanned_by(ident, "`#[derive(Enumerated)]` needs at least one variant");
            }
            let mut seen = std::collections::HashMap::new();
            for variant in &data.variants {
                if !matches!(variant.fields, Fields::Unit) {
                    cx.error_spanned_by(
                        &variant.fields,
                        "`#[derive(Enumerated)]` stores fieldless variants only",
                    );
                }
                let renamed = attr::variant_name(&mut cx, &variant.attrs);
                let stored = renamed.as_ref().map_or_else(|| variant.ident.to_string(), syn::LitStr::value);
                if let Some(first) = seen.insert(stored.clone(), variant.ident.clone()) {
                    cx.error_spanned_by(
                        &variant.ident,
                        format!("`{first}` and `{}` are both stored as `{stored}`", variant.ident),
                    );
                }
                variants.push((&variant.ident, stored));
            }
        }
        _ => cx.error_spanned_by(ident, "`#[derive(Enumerated)]` needs a fieldless enum"),
    }
    if let Err(errors) = cx.check() {
        return fallback::enumerated(input, errors);
    }

    let rust_name = ident.to_string();
    let names: Vec<_> = variants.iter().map(|(_, stored)| stored).collect();
    let idents: Vec<_> = variants.iter().map(|(ident, _)| *ident).collect();
    let first = idents[0];
    let tags: Vec<_> = names.iter().map(|name| quote!(::insula::__private_0_1::variant_tag(#name))).collect();
    let consts: Vec<_> = (0..idents.len()).map(|i| quote::format_ident!("__TAG_{}", i)).collect();

    quote! {
        const _: () = {
            #(const #consts: u32 = #tags;)*
            const _: () = ::insula::__private_0_1::assert_distinct_tags(&[#(#consts),*]);
            const __SCHEMA: ::insula::__private_0_1::EnumSchema<'static> =
                ::insula::__private_0_1::EnumSchema { name: #rust_name, variants: &[#(#names),*] };

            #[automatically_derived]
            impl ::insula::Enumerated for #ident {
                const VARIANTS: &'static [&'static str] = &[#(#names),*];
            }

            #[automatically_derived]
            impl ::insula::value::Value for #ident {
                const TYPE: ::insula::schema::ValueType<'static> = ::insula::schema::ValueType::Enum(&__SCHEMA);
                type View<'a> = #ident;

                #[inline]
                fn encode(&self, out: &mut ::insula::__private_0_1::Vec<u8>, slot: usize, _record: usize) {
                    let tag = match self {
                        #(#ident::#idents => #consts,)*
                    };
                    ::insula::__private_0_1::write_u32(out, slot, tag);
                }

                #[inline]
                fn read<'a>(
                    slot: &'a [u8],
                    _record: &'a [u8],
                ) -> ::core::result::Result<#ident, ::insula::__private_0_1::Corrupt> {
                    match ::insula::__private_0_1::read_u32(slot)? {
                        #(#consts => ::core::result::Result::Ok(#ident::#idents),)*
                        _ => ::core::result::Result::Err(::insula::__private_0_1::Corrupt(
                            "an enum value names no variant",
                        )),
                    }
                }

                fn default_view<'a>() -> Self::View<'a> {
                    #ident::#first
                }

                #[inline]
                fn from_view(view: #ident) -> Self {
                    view
                }
            }

            impl ::insula::value::Required for #ident {}
            impl ::insula::value::Element for #ident {}
            /// Enums are indexed by their variant's stored name.
            impl ::insula::value::KeyPart for #ident {
                fn write_key(view: #ident, mode: ::insula::__private_0_1::KeyMode, out: &mut ::insula::__private_0_1::Vec<u8>) {
                    let name: &str = match view {
                        #(#ident::#idents => #names,)*
                    };
                    ::insula::__private_0_1::write_bytes_key(name.as_bytes(), mode, out);
                }

                fn compare(a: #ident, b: #ident) -> ::core::cmp::Ordering {
                    let name = |view: #ident| -> &'static str {
                        match view {
                            #(#ident::#idents => #names,)*
                        }
                    };
                    ::core::cmp::Ord::cmp(name(a).as_bytes(), name(b).as_bytes())
                }

                fn as_view(&self) -> #ident {
                    *self
                }
            }

            impl ::insula::value::Indexable for #ident {
                fn index_keys(
                    view: #ident,
                    _: bool,
                    keys: &mut ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>>,
                ) {
                    let mut key = ::insula::__private_0_1::Vec::new();
                    <#ident as ::insula::value::KeyPart>::write_key(view, ::insula::__private_0_1::KeyMode::Index { case_insensitive: false }, &mut key);
                    keys.push(key);
                }

                fn value_index_keys(
                    value: &Self,
                    case_insensitive: bool,
                    keys: &mut ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>>,
                ) {
                    <#ident as ::insula::value::Indexable>::index_keys(*value, case_insensitive, keys);
                }
            }
        };
    }
}
