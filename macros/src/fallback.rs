//! What a derive emits when the input has mistakes: the errors, plus stub impls of the
//! traits, so that code using the type reports no second wave of errors about missing
//! impls (thiserror's approach).

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

/// The stubs are only emitted for non-generic types; a generic one is refused anyway.
fn stubbable(input: &DeriveInput) -> bool {
    input.generics.params.is_empty()
}

pub(crate) fn collection(input: &DeriveInput, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    if !stubbable(input) {
        return errors;
    }
    let ident = &input.ident;
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl ::insula::Collection for #ident {
                const SCHEMA: ::insula::schema::Schema<'static> = ::insula::schema::Schema::new("", "", &[], &[]);
                const LAYOUT: ::insula::__private_0_1::CurrentLayout<'static> =
                    ::insula::__private_0_1::CurrentLayout::new(0, &[]);
                type View<'a> = ();
                fn id(&self) -> ::insula::Id { ::core::unimplemented!() }
                fn set_id(&mut self, _: ::insula::Id) { ::core::unimplemented!() }
                fn encode_fields(&self, _: &mut ::insula::__private_0_1::Vec<u8>) { ::core::unimplemented!() }
                fn view_record<'a>(
                    _: ::insula::Id,
                    _: &'a [u8],
                    _: &'a ::insula::__private_0_1::Layouts,
                ) -> ::core::result::Result<(), ::insula::Error> {
                    ::core::unimplemented!()
                }
                fn index_keys(_: &(), _: usize) -> ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>> {
                    ::core::unimplemented!()
                }
                fn object_index_keys(&self, _: usize, _: &mut ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>>) {
                    ::core::unimplemented!()
                }
                fn index_value(_: &(), _: usize) -> ::insula::__private_0_1::String { ::core::unimplemented!() }
                fn from_view(_: ()) -> Self { ::core::unimplemented!() }
            }
        };
    }
}

/// Stubs of `Value` for a type whose `Embedded` or `Enumerated` derive failed.
fn value_stub(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    quote! {
        #[automatically_derived]
        impl ::insula::value::Value for #ident {
            const TYPE: ::insula::schema::ValueType<'static> = ::insula::schema::ValueType::Bool;
            type View<'a> = ();
            fn encode(&self, _: &mut ::insula::__private_0_1::Vec<u8>, _: usize, _: usize) { ::core::unimplemented!() }
            fn read<'a>(_: &'a [u8], _: &'a [u8]) -> ::core::result::Result<(), ::insula::__private_0_1::Corrupt> {
                ::core::unimplemented!()
            }
            fn default_view<'a>() -> Self::View<'a> {}
            fn from_view(_: ()) -> Self { ::core::unimplemented!() }
        }
        impl ::insula::value::Required for #ident {}
        impl ::insula::value::Element for #ident {}
    }
}

pub(crate) fn embedded(input: &DeriveInput, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    if !stubbable(input) {
        return errors;
    }
    let stub = value_stub(input);
    quote!(#errors const _: () = { #stub };)
}

pub(crate) fn enumerated(input: &DeriveInput, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    if !stubbable(input) {
        return errors;
    }
    let stub = value_stub(input);
    let ident = &input.ident;
    quote! {
        #errors
        const _: () = {
            #stub
            impl ::insula::value::KeyPart for #ident {
                fn write_key(_: (), _: ::insula::__private_0_1::KeyMode, _: &mut ::insula::__private_0_1::Vec<u8>) {}
                fn compare(_: (), _: ()) -> ::core::cmp::Ordering { ::core::cmp::Ordering::Equal }
                fn as_view(&self) {}
            }
            impl ::insula::value::Indexable for #ident {
                fn index_keys(_: (), _: bool, _: &mut ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>>) {}
                fn value_index_keys(_: &Self, _: bool, _: &mut ::insula::__private_0_1::Vec<::insula::__private_0_1::Vec<u8>>) {}
            }
        };
    }
}
