//! `#[derive(Collection)]`.

use super::{at, record};
use crate::attr::IndexAttr;
use crate::ctxt::Ctxt;
use crate::model::{Field, Record};
use crate::{check, fallback};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let record = Record::from_ast(&mut cx, input, "Collection");
    if let Some(record) = &record {
        check::collection(&mut cx, record);
    }
    match (cx.check(), record) {
        (Ok(()), Some(record)) => match record.id_field() {
            Some(id) => generate(&record, id),
            None => fallback::collection(
                input,
                syn::Error::new_spanned(input, "a collection needs an `#[id]` field"),
            ),
        },
        (Err(errors), _) => fallback::collection(input, errors),
        (Ok(()), None) => fallback::collection(input, syn::Error::new_spanned(input, "unsupported input")),
    }
}

fn generate(record: &Record<'_>, id: &Field<'_>) -> TokenStream {
    let ident = record.ident;
    let view = record::view_ident(record);
    let stored = record.stored_fields();
    let name = &record.name;
    let (id_ident, id_ty, id_name) = (id.ident, id.ty, &id.stored);

    let view_type = record::view_type(record, &stored, Some(id));
    let handles = record::field_handles(record, &stored, Some(id), &quote!(::insula::Collection));
    let fields = record::field_schemas(&stored, record.ident);
    let indexes = index_schemas(record);
    let index_checks = index_checks(record);
    let index_keys = index_keys(record, false);
    let object_index_keys = index_keys_fn(record, true);
    let index_values = index_values(record);
    let accessor = accessor_trait(record);
    let encode_fields = record::encode_fields(&stored);
    let read_fields = record::read_fields(&stored, &quote!(&corrupted));
    let from_view_fields = record::from_view_fields(record);
    let decode_fields = record::decode_fields(record, &stored, &quote!(&corrupted));
    let defaults = defaults(&stored);
    let id_to_u64 = quote_spanned!(at(id_ty)=> <#id_ty as ::insula::__private_0_1::IdType>::to_id);
    let id_from_u64 = quote_spanned!(at(id_ty)=> <#id_ty as ::insula::__private_0_1::IdType>::from_id);

    quote! {
        #view_type
        #handles
        #accessor

        const _: () = {
            const __FIELDS: &[::insula::schema::FieldSchema<'static>] = #fields;
            const __SCHEMA: ::insula::schema::Schema<'static> =
                ::insula::schema::Schema::new(#name, #id_name, __FIELDS, #indexes);
            const __LAYOUT: ::insula::__private_0_1::CurrentLayout<'static> =
                ::insula::__private_0_1::CurrentLayout::new(__SCHEMA.layout_tag(), __FIELDS);
            #index_checks

            #[automatically_derived]
            impl ::insula::Collection for #ident {
                const SCHEMA: ::insula::schema::Schema<'static> = __SCHEMA;
                const LAYOUT: ::insula::__private_0_1::CurrentLayout<'static> = __LAYOUT;
                type View<'a> = #view<'a>;

                #[inline]
                fn id(&self) -> ::insula::Id {
                    #id_to_u64(&self.#id_ident)
                }

                #[inline]
                fn set_id(&mut self, id: ::insula::Id) {
                    self.#id_ident = #id_from_u64(id);
                }

                fn encode_fields(&self, out: &mut ::insula::__private_0_1::Vec<u8>) {
                    #encode_fields
                }

                #defaults

                fn view_record<'a>(
                    id: ::insula::Id,
                    record: &'a [u8],
                    layouts: &'a ::insula::__private_0_1::Layouts,
                ) -> ::core::result::Result<#view<'a>, ::insula::Error> {
                    let corrupted = ::insula::__private_0_1::corrupted(#name);
                    let reader = ::insula::__private_0_1::RecordReader::open(record, &__LAYOUT, layouts)
                        .map_err(&corrupted)?;
                    ::core::result::Result::Ok(#view {
                        #id_ident: id,
                        #read_fields
                        __record: ::core::marker::PhantomData,
                    })
                }

                fn index_keys(view: &#view<'_>, index: usize) -> ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>> {
                    #index_keys
                }

                fn object_index_keys(&self, index: usize, keys: &mut ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>>) {
                    #object_index_keys
                }

                fn index_value(view: &#view<'_>, index: usize) -> ::insula::__private_0_1::String {
                    #index_values
                }

                fn from_view(view: #view<'_>) -> Self {
                    #ident {
                        #from_view_fields
                    }
                }

                fn decode_record(
                    id: ::insula::Id,
                    record: &[u8],
                    layouts: &::insula::__private_0_1::Layouts,
                ) -> ::core::result::Result<Self, ::insula::Error> {
                    let corrupted = ::insula::__private_0_1::corrupted(#name);
                    let reader = ::insula::__private_0_1::RecordReader::open(record, &__LAYOUT, layouts)
                        .map_err(&corrupted)?;
                    ::core::result::Result::Ok(#ident {
                        #decode_fields
                    })
                }
            }
        };
    }
}

/// `Collection::DEFAULTS` and `set_defaults`, for the fields with
/// `#[field(default = <expr>)]`; nothing (the trait's own) when none has one. Each
/// expression is checked against its field's type where it is written.
fn defaults(stored: &[&Field<'_>]) -> TokenStream {
    let defaulted: Vec<_> = stored
        .iter()
        .filter_map(|field| field.attrs.default.as_ref().map(|(_, expr)| (field, expr)))
        .collect();
    if defaulted.is_empty() {
        return TokenStream::new();
    }
    let names = defaulted.iter().map(|(field, _)| &field.stored);
    let sets = defaulted.iter().map(|(field, expr)| {
        let (ident, ty, name) = (field.ident, field.ty, &field.stored);
        let value = quote_spanned!(syn::spanned::Spanned::span(expr)=> let value: #ty = #expr;);
        quote! {
            if fields.contains(&#name) {
                #value
                self.#ident = value;
            }
        }
    });
    quote! {
        const DEFAULTS: &'static [&'static str] = &[#(#names),*];

        fn set_defaults(&mut self, fields: &[&str]) {
            #(#sets)*
        }
    }
}

/// `&[IndexSchema { .. }, ..]`, in declaration order.
fn index_schemas(record: &Record<'_>) -> TokenStream {
    let indexes = record.fields.iter().flat_map(|field| {
        field.indexes().iter().map(move |index| {
            let names = std::iter::once(field.stored.clone()).chain(index.composite.iter().map(|other| {
                record
                    .fields
                    .iter()
                    .find(|candidate| candidate.ident == other)
                    .map_or_else(|| other.to_string(), |target| target.stored.clone())
            }));
            let (unique, replace, case_insensitive) =
                (index.unique.is_some(), index.replace.is_some(), index.case_insensitive.is_some());
            quote! {
                ::insula::schema::IndexSchema {
                    fields: &[#(#names),*],
                    unique: #unique,
                    replace: #replace,
                    case_insensitive: #case_insensitive,
                }
            }
        })
    });
    quote!(&[#(#indexes),*])
}

/// The indexes in `Collection::index_keys` order, each with the fields it covers.
fn indexes<'r, 'a>(record: &'r Record<'a>) -> impl Iterator<Item = (&'r IndexAttr, Vec<&'r Field<'a>>)> {
    record.fields.iter().flat_map(move |field| {
        field.indexes().iter().map(move |index| {
            let others =
                index.composite.iter().filter_map(|other| record.fields.iter().find(|f| f.ident == other));
            (index, std::iter::once(field).chain(others).collect())
        })
    })
}

/// The body of `Collection::index_value`.
fn index_values(record: &Record<'_>) -> TokenStream {
    let arms = indexes(record).enumerate().map(|(number, (_, covered))| {
        let idents = covered.iter().map(|field| field.ident);
        quote! {
            #number => ::insula::__private_0_1::debug_values(&[#(&view.#idents as &dyn ::core::fmt::Debug),*]),
        }
    });
    quote! {
        match index {
            #(#arms)*
            _ => ::insula::__private_0_1::String::new(),
        }
    }
}

/// The trait that gives `messages()` on `Db` and on read and write transactions. It has
/// the struct's visibility, so importing the struct's module brings it.
fn accessor_trait(record: &Record<'_>) -> TokenStream {
    let (ident, vis, accessor) = (record.ident, record.vis, &record.accessor);
    let name = format_ident!("{}Accessor", ident);
    let doc = format!(
        "Gives `{accessor}()`, the handle of the [`{ident}`] collection, on `Db`, `ReadTxn` and `WriteTxn`."
    );
    let method_doc = format!("The [`{ident}`] collection.");
    quote! {
        #[doc = #doc]
        #vis trait #name: ::insula::Access {
            #[doc = #method_doc]
            fn #accessor(&self) -> <Self as ::insula::Access>::Handle<'_, #ident>;
        }

        #[automatically_derived]
        impl<S: ::insula::Access> #name for S {
            #[inline]
            fn #accessor(&self) -> <S as ::insula::Access>::Handle<'_, #ident> {
                <S as ::insula::Access>::collection::<#ident>(self)
            }
        }
    }
}

fn index_keys_fn(record: &Record<'_>, from_object: bool) -> TokenStream {
    index_keys(record, from_object)
}

/// The body of `Collection::index_keys` (from a view, returning the keys) or
/// `Collection::object_index_keys` (from `self`, appending them to `keys`): a `match` on
/// the index number, each arm gathering the keys of the index's fields and combining them.
fn index_keys(record: &Record<'_>, from_object: bool) -> TokenStream {
    let arms = indexes(record).enumerate().map(|(number, (index, covered))| {
        let case_insensitive = index.case_insensitive.is_some();
        // The call that pushes one field's keys onto `out` (a `&mut Vec<Vec<u8>>`).
        let call = |covered: &Field<'_>, out: TokenStream| {
            let (ident, ty) = (covered.ident, covered.ty);
            if from_object {
                quote_spanned!(at(ty)=> <#ty as ::insula::value::Indexable>::value_index_keys(&self.#ident, #case_insensitive, #out))
            } else {
                quote_spanned!(at(ty)=> <#ty as ::insula::value::Indexable>::index_keys(view.#ident, #case_insensitive, #out))
            }
        };
        let parts: Vec<TokenStream> = covered
            .iter()
            .map(|covered| {
                let call = call(covered, quote!(&mut keys));
                quote! {{
                    let mut keys = ::insula::__private_0_1::Vec::new();
                    #call;
                    keys
                }}
            })
            .collect();
        match (parts.as_slice(), from_object) {
            // One field: its keys are the index's keys, appended where the object's go.
            ([_], true) => {
                let call = call(covered[0], quote!(keys));
                quote!(#number => #call,)
            }
            ([single], false) => quote!(#number => #single,),
            (_, true) => quote! {
                #number => ::core::iter::Extend::extend(keys, ::insula::__private_0_1::combine_keys(::core::convert::From::from([#(#parts),*]))),
            },
            (_, false) => quote! {
                #number => ::insula::__private_0_1::combine_keys(::core::convert::From::from([#(#parts),*])),
            },
        }
    });
    let fallback =
        if from_object { quote!(_ => {}) } else { quote!(_ => ::insula::__private_0_1::Vec::new(),) };
    quote! {
        match index {
            #(#arms)*
            #fallback
        }
    }
}

/// Fails compilation, on the field's type, when a case-insensitive index covers a field
/// that is not a string. (A field that cannot be indexed at all fails in
/// `Collection::index_keys`, on its type too.)
fn index_checks(record: &Record<'_>) -> TokenStream {
    let checks = record
        .fields
        .iter()
        .filter(|field| field.indexes().iter().any(|index| index.case_insensitive.is_some()));
    let text = checks.map(|field| {
        let ty = field.ty;
        quote_spanned!(at(ty)=> const _: () = ::insula::__private_0_1::assert_text::<#ty>();)
    });
    let composite =
        indexes(record).filter(|(index, _)| !index.composite.is_empty()).flat_map(|(_, covered)| {
            covered.into_iter().map(|field| {
                let ty = field.ty;
                quote_spanned!(at(ty)=> const _: () = ::insula::__private_0_1::assert_composite_part::<#ty>();)
            })
        });
    quote!(#(#text)* #(#composite)*)
}
