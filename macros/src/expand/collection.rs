//! `#[derive(Collection)]`.

use super::record;
use crate::case::screaming_case;
use crate::ctxt::Ctxt;
use crate::model::{Field, Record, unraw};
use crate::{check, fallback};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

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
    let handles = field_handles(record, &stored, id);
    let fields = record::field_schemas(&stored);
    let indexes = index_schemas(record);
    let index_checks = index_checks(record);
    let encode_fields = record::encode_fields(&stored);
    let read_fields = record::read_fields(&stored, &quote!(&corrupted));
    let from_view_fields = record::from_view_fields(record);
    let id_to_u64 = quote_spanned!(id_ty.span()=> <#id_ty as ::insula::__private::IdType>::to_id);
    let id_from_u64 = quote_spanned!(id_ty.span()=> <#id_ty as ::insula::__private::IdType>::from_id);

    quote! {
        #view_type
        #handles

        const _: () = {
            const __FIELDS: &[::insula::FieldSchema<'static>] = #fields;
            const __SCHEMA: ::insula::Schema<'static> =
                ::insula::Schema::new(#name, #id_name, __FIELDS, #indexes);
            const __LAYOUT: ::insula::__private::CurrentLayout<'static> =
                ::insula::__private::CurrentLayout::new(__SCHEMA.layout_tag(), __FIELDS);
            #index_checks

            #[automatically_derived]
            impl ::insula::Collection for #ident {
                const SCHEMA: ::insula::Schema<'static> = __SCHEMA;
                type View<'a> = #view<'a>;

                #[inline]
                fn id(&self) -> ::insula::Id {
                    #id_to_u64(&self.#id_ident)
                }

                #[inline]
                fn set_id(&mut self, id: ::insula::Id) {
                    self.#id_ident = #id_from_u64(id);
                }

                fn encode_fields(&self, out: &mut ::insula::__private::Vec<u8>) {
                    #encode_fields
                }

                fn view_in<'a>(
                    id: ::insula::Id,
                    record: &'a [u8],
                    layouts: &'a ::insula::Layouts,
                ) -> ::core::result::Result<#view<'a>, ::insula::Error> {
                    let corrupted = ::insula::__private::corrupted(#name);
                    let reader = ::insula::__private::RecordReader::open(record, &__LAYOUT, layouts)
                        .map_err(&corrupted)?;
                    ::core::result::Result::Ok(#view {
                        #id_ident: id,
                        #read_fields
                        __record: ::core::marker::PhantomData,
                    })
                }

                fn from_view(view: #view<'_>) -> Self {
                    #ident {
                        #from_view_fields
                    }
                }
            }
        };
    }
}

/// `Message::LIKES` and the like: one constant per stored field, the id included.
fn field_handles(record: &Record<'_>, stored: &[&Field<'_>], id: &Field<'_>) -> TokenStream {
    let (ident, vis) = (record.ident, record.vis);
    let handle = |field: &Field<'_>, slot: TokenStream| {
        let ty = field.ty;
        let name = format_ident!("{}", screaming_case(&unraw(field.ident)), span = field.ident.span());
        let stored = &field.stored;
        let doc = format!("The stored field `{stored}`, for queries.");
        quote! {
            #[doc = #doc]
            #vis const #name: ::insula::Field<#ident, #ty> = ::insula::Field::new(#stored, #slot);
        }
    };
    let id_handle = handle(id, quote!(::core::option::Option::None));
    let handles = stored
        .iter()
        .enumerate()
        .map(|(slot, field)| handle(field, quote!(::core::option::Option::Some(#slot))));
    quote! {
        #[automatically_derived]
        impl #ident {
            #id_handle
            #(#handles)*
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
                ::insula::IndexSchema {
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

/// Fails compilation, on the field's type, when an index covers a field that cannot be
/// indexed, or a case-insensitive index covers one that is not a string.
fn index_checks(record: &Record<'_>) -> TokenStream {
    let mut checks = TokenStream::new();
    for field in &record.fields {
        let ty = field.ty;
        if field.indexes().iter().any(|index| index.case_insensitive.is_some()) {
            checks
                .extend(quote_spanned!(ty.span()=> const _: () = ::insula::__private::assert_text::<#ty>();));
        } else if !field.indexes().is_empty() {
            checks.extend(
                quote_spanned!(ty.span()=> const _: () = ::insula::__private::assert_indexable::<#ty>();),
            );
        }
        for index in field.indexes() {
            for other in &index.composite {
                if let Some(target) = record.fields.iter().find(|candidate| candidate.ident == other) {
                    let ty = target.ty;
                    checks.extend(quote_spanned!(other.span()=> const _: () = ::insula::__private::assert_indexable::<#ty>();));
                }
            }
        }
    }
    checks
}
