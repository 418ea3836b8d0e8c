//! `#[derive(Embedded)]`: a struct stored as a nested record inside a field's slot.

use super::record;
use crate::ctxt::Ctxt;
use crate::model::Record;
use crate::{check, fallback};
use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let record = Record::from_ast(&mut cx, input, "Embedded");
    if let Some(record) = &record {
        check::embedded(&mut cx, record);
    }
    match (cx.check(), record) {
        (Ok(()), Some(record)) => generate(&record),
        (Err(errors), _) => fallback::embedded(input, errors),
        (Ok(()), None) => fallback::embedded(input, syn::Error::new_spanned(input, "unsupported input")),
    }
}

fn generate(record: &Record<'_>) -> TokenStream {
    let ident = record.ident;
    let rust_name = ident.to_string();
    let view = record::view_ident(record);
    let stored = record.stored_fields();
    let view_type = record::view_type(record, &stored, None);
    let fields = record::field_schemas(&stored, record.ident);
    let encode_fields = record::encode_fields(&stored);
    let read_fields = record::read_fields(&stored, &quote!(::core::convert::identity));
    let from_view_fields = record::from_view_fields(record);
    let handles = record::field_handles(record, &stored, None, &quote!(::insula::Embedded));
    let defaults = stored.iter().map(|field| {
        let (ident, ty) = (field.ident, field.ty);
        quote!(#ident: <#ty as ::insula::value::Value>::default_view(),)
    });

    quote! {
        #view_type
        #handles

        const _: () = {
            const __SCHEMA: ::insula::__private_0_1::EmbeddedSchema<'static> =
                ::insula::__private_0_1::EmbeddedSchema { name: #rust_name, fields: #fields };
            const __LAYOUT: ::insula::__private_0_1::CurrentLayout<'static> =
                ::insula::__private_0_1::CurrentLayout::new(__SCHEMA.layout_tag(), __SCHEMA.fields);

            #[automatically_derived]
            impl ::insula::Embedded for #ident {
                const SCHEMA: ::insula::__private_0_1::EmbeddedSchema<'static> = __SCHEMA;
                const LAYOUT: ::insula::__private_0_1::CurrentLayout<'static> = __LAYOUT;
            }

            #[automatically_derived]
            impl ::insula::value::Value for #ident {
                const TYPE: ::insula::schema::ValueType<'static> = ::insula::schema::ValueType::Embedded(&__SCHEMA);
                type View<'a> = #view<'a>;

                fn encode(&self, parent: &mut ::insula::__private_0_1::Vec<u8>, slot: usize, parent_record: usize) {
                    let out = parent;
                    #encode_fields
                    let len = out.len() - record;
                    ::insula::__private_0_1::write_ref(out, slot, record - parent_record, len);
                }

                fn read<'a>(
                    slot: &'a [u8],
                    parent: &'a [u8],
                ) -> ::core::result::Result<#view<'a>, ::insula::__private_0_1::Corrupt> {
                    let (record, _) = ::insula::__private_0_1::read_ref(slot, parent, 1)?;
                    let reader = ::insula::__private_0_1::RecordReader::open(
                        record,
                        &__LAYOUT,
                        ::insula::__private_0_1::Layouts::none(),
                    )?;
                    ::core::result::Result::Ok(#view {
                        #read_fields
                        __record: ::core::marker::PhantomData,
                    })
                }

                fn default_view<'a>() -> Self::View<'a> {
                    #view {
                        #(#defaults)*
                        __record: ::core::marker::PhantomData,
                    }
                }

                fn from_view(view: #view<'_>) -> Self {
                    #ident {
                        #from_view_fields
                    }
                }
            }

            impl ::insula::value::Required for #ident {}
            impl ::insula::value::Element for #ident {}
        };
    }
}
