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
                const SCHEMA: ::insula::Schema<'static> = ::insula::Schema::new("", "", &[], &[]);
                const LAYOUT: ::insula::__private::CurrentLayout<'static> =
                    ::insula::__private::CurrentLayout::new(0, &[]);
                type View<'a> = ();
                fn id(&self) -> ::insula::Id { ::core::unimplemented!() }
                fn set_id(&mut self, _: ::insula::Id) { ::core::unimplemented!() }
                fn encode_fields(&self, _: &mut ::insula::__private::Vec<u8>) { ::core::unimplemented!() }
                fn view_record<'a>(
                    _: ::insula::Id,
                    _: &'a [u8],
                    _: &'a ::insula::Layouts,
                ) -> ::core::result::Result<(), ::insula::Error> {
                    ::core::unimplemented!()
                }
                fn index_keys(_: &(), _: usize) -> ::insula::__private::Vec<::insula::__private::Vec<u8>> {
                    ::core::unimplemented!()
                }
                fn object_index_keys(&self, _: usize, _: &mut ::insula::__private::Vec<::insula::__private::Vec<u8>>) {
                    ::core::unimplemented!()
                }
                fn index_value(_: &(), _: usize) -> ::insula::__private::String { ::core::unimplemented!() }
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
        impl ::insula::Value for #ident {
            const TYPE: ::insula::ValueType<'static> = ::insula::ValueType::Bool;
            type View<'a> = ();
            fn encode(&self, _: &mut ::insula::__private::Vec<u8>, _: usize, _: usize) { ::core::unimplemented!() }
            fn read<'a>(_: &'a [u8], _: &'a [u8]) -> ::core::result::Result<(), ::insula::__private::Corrupt> {
                ::core::unimplemented!()
            }
            fn default_view<'a>() -> Self::View<'a> {}
            fn from_view(_: ()) -> Self { ::core::unimplemented!() }
        }
        impl ::insula::Required for #ident {}
        impl ::insula::Element for #ident {}
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
            impl ::insula::KeyPart for #ident {
                fn write_key(_: (), _: ::insula::KeyMode, _: &mut ::insula::__private::Vec<u8>) {}
                fn compare(_: (), _: ()) -> ::core::cmp::Ordering { ::core::cmp::Ordering::Equal }
                fn as_view(&self) {}
            }
            impl ::insula::Indexable for #ident {
                fn index_keys(_: (), _: bool, _: &mut ::insula::__private::Vec<::insula::__private::Vec<u8>>) {}
                fn value_index_keys(_: &Self, _: bool, _: &mut ::insula::__private::Vec<::insula::__private::Vec<u8>>) {}
            }
        };
    }
}
