//! What `Collection` and `Embedded` generate alike: the field schemas, the encoder, the
//! view type and its reader, and the conversion from a view to the owned struct.

use super::at;
use crate::case::screaming_case;
use crate::model::{Field, Record, SelfUse, unraw};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// The name of the view type: `Message` -> `MessageView`.
pub(crate) fn view_ident(record: &Record<'_>) -> Ident {
    format_ident!("{}View", record.ident)
}

/// `Message::LIKES` and the like: one constant per stored field, the id included when
/// there is one, each a `Field` of the struct; `of` names the trait whose `LAYOUT` gives
/// the slots' offsets (`Collection` or `Embedded`).
pub(crate) fn field_handles(
    record: &Record<'_>,
    stored: &[&Field<'_>],
    id: Option<&Field<'_>>,
    of: &TokenStream,
) -> TokenStream {
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
    let id_handle = id.map(|id| handle(id, quote!(::core::option::Option::None, 0)));
    let handles = stored.iter().enumerate().map(|(slot, field)| {
        handle(
            field,
            quote! {
                ::core::option::Option::Some(#slot),
                <#ident as #of>::LAYOUT.offset(#slot)
            },
        )
    });
    quote! {
        #[automatically_derived]
        impl #ident {
            #id_handle
            #(#handles)*
        }
    }
}

/// `&[FieldSchema::of::<T>("name"), ..]`, in slot order. A field that holds `owner`
/// again (`Option<Box<Self>>`) is `ValueType::Recursive`: asking its type for a schema
/// would ask the schema being defined.
pub(crate) fn field_schemas(stored: &[&Field<'_>], owner: &Ident) -> TokenStream {
    let schemas = stored.iter().map(|field| {
        let ty = field.ty;
        let name = &field.stored;
        match field.self_use(owner) {
            SelfUse::Boxed => quote_spanned! {at(ty)=>
                ::insula::schema::FieldSchema {
                    name: #name,
                    ty: ::insula::schema::ValueType::Recursive,
                    nullable: true,
                }
            },
            SelfUse::None | SelfUse::Other => {
                quote_spanned!(at(ty)=> ::insula::schema::FieldSchema::of::<#ty>(#name))
            }
        }
    });
    quote!(&[#(#schemas),*])
}

/// The statements that write every stored field of `self` into `out`, as one record
/// laid out by the `__LAYOUT` constant in scope; `record` is bound to its start.
pub(crate) fn encode_fields(stored: &[&Field<'_>]) -> TokenStream {
    let writes = stored.iter().enumerate().map(|(slot, field)| {
        let (ident, ty) = (field.ident, field.ty);
        quote_spanned! {at(ty)=>
            <#ty as ::insula::value::Value>::encode(
                &self.#ident,
                out,
                record + ::insula::__private_0_1::TAG_WIDTH + const { __LAYOUT.offset(#slot) },
                record,
            );
        }
    });
    quote! {
        let record = ::insula::__private_0_1::begin_record(out, &__LAYOUT);
        #(#writes)*
    }
}

/// The initializers of a view's fields, read through `reader`, with errors mapped by
/// `map_err`.
pub(crate) fn read_fields(stored: &[&Field<'_>], map_err: &TokenStream) -> TokenStream {
    let reads = stored.iter().enumerate().map(|(slot, field)| {
        let (ident, ty) = (field.ident, field.ty);
        quote_spanned! {at(ty)=>
            #ident: reader.field::<#ty>(#slot, const { __LAYOUT.offset(#slot) }).map_err(#map_err)?,
        }
    });
    quote!(#(#reads)*)
}

/// The struct literal fields that decode the owned struct straight from `reader`, with
/// errors mapped by `map_err`; the id field takes `id`, ignored fields their `Default`.
pub(crate) fn decode_fields(
    record: &Record<'_>,
    stored: &[&Field<'_>],
    map_err: &TokenStream,
) -> TokenStream {
    let fields = record.fields.iter().map(|field| {
        let (ident, ty) = (field.ident, field.ty);
        if field.attrs.ignore.is_some() {
            quote_spanned!(at(ty)=> #ident: <#ty as ::core::default::Default>::default(),)
        } else if field.attrs.id.is_some() {
            quote_spanned!(at(ty)=> #ident: <#ty as ::insula::__private_0_1::IdType>::from_id(id),)
        } else {
            let slot = stored.iter().position(|stored| stored.ident == field.ident).expect("a stored field");
            quote_spanned! {at(ty)=>
                #ident: reader.decode::<#ty>(#slot, const { __LAYOUT.offset(#slot) }).map_err(#map_err)?,
            }
        }
    });
    quote!(#(#fields)*)
}

/// The struct literal fields that rebuild the owned struct from `view`; ignored fields
/// take their `Default`.
pub(crate) fn from_view_fields(record: &Record<'_>) -> TokenStream {
    let fields = record.fields.iter().map(|field| {
        let (ident, ty) = (field.ident, field.ty);
        if field.attrs.ignore.is_some() {
            quote_spanned!(at(ty)=> #ident: <#ty as ::core::default::Default>::default(),)
        } else if field.attrs.id.is_some() {
            quote_spanned!(at(ty)=> #ident: <#ty as ::insula::__private_0_1::IdType>::from_id(view.#ident),)
        } else {
            quote_spanned!(at(ty)=> #ident: <#ty as ::insula::value::Value>::from_view(view.#ident),)
        }
    });
    quote!(#(#fields)*)
}

/// The view type: a `Copy` struct of borrowed field views, and one accessor per field.
/// `id` is the collection's id field, which a view holds beside the record.
pub(crate) fn view_type(record: &Record<'_>, stored: &[&Field<'_>], id: Option<&Field<'_>>) -> TokenStream {
    let view = view_ident(record);
    let (ident, vis) = (record.ident, record.vis);
    let doc = format!(
        "A zero-copy view of a stored [`{ident}`]: each accessor returns its field as read from the \
         record, without allocating. Views are made by `Collection::view`; every reference in the \
         record was checked then."
    );
    let id_field = id.map(|id| {
        let id_ident = id.ident;
        quote!(#id_ident: ::insula::Id,)
    });
    let id_accessor = id.map(|id| {
        let id_ident = id.ident;
        quote! {
            #[doc = "The object's id."]
            #[inline]
            #vis fn #id_ident(&self) -> ::insula::Id {
                self.#id_ident
            }
        }
    });
    // Every use of a field's type is spanned on the type, so that a type that cannot be
    // stored gets its errors there, where rustc folds them together.
    let view_of = |ty: &syn::Type| quote_spanned!(at(ty)=> <#ty as ::insula::value::Value>::View<'a>);
    let fields = stored.iter().map(|field| {
        let (ident, view) = (field.ident, view_of(field.ty));
        quote!(#ident: #view,)
    });
    let accessors = stored.iter().map(|field| {
        let (ident, view) = (field.ident, view_of(field.ty));
        let doc = format!("The `{}` field.", field.stored);
        quote! {
            #[doc = #doc]
            #[inline]
            #vis fn #ident(&self) -> #view {
                self.#ident
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #view<'a> {
            #id_field
            #(#fields)*
            __record: ::core::marker::PhantomData<&'a [u8]>,
        }

        #[automatically_derived]
        impl<'a> #view<'a> {
            #id_accessor
            #(#accessors)*
        }
    }
}
