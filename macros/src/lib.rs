//! The derives of Insula. Use them through the `insula` crate, which re-exports them:
//! `use insula::prelude::*;`.
//!
//! Each derive runs in four steps: `model` reads the input and its attributes,
//! `check` finds every mistake (each on its own span), and `expand` generates code
//! that names the runtime only through `::insula::__private_0_1`. When a step finds errors,
//! `fallback` emits them with stub impls, so the user sees those errors and no cascade.

#![forbid(unsafe_code)]

mod attr;
mod case;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod model;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Stores a struct as a collection of objects.
///
/// For `struct Message`, the derive generates:
/// - `impl insula::Collection for Message`: the schema (`Message::SCHEMA`, its hash
///   computed at compile time) and the codec;
/// - `MessageView<'a>`, the zero-copy view: one method per stored field, reading it
///   from the stored bytes without allocating (`view.likes()`, `view.author()`);
/// - a field handle per stored field, the id included, in SCREAMING_CASE
///   (`Message::LIKES: insula::Field<Message, u32>`), for conditions and sorts;
/// - a trait `MessageAccessor` with `fn messages(&self)`, implemented for `Db`,
///   `ReadTxn` and `WriteTxn`, with the struct's visibility: import it where the struct
///   is imported (`use my_app::model::{Message, MessageAccessor}`, or a glob).
///
/// # Attributes
///
/// On the struct:
/// - `#[collection(name = "..")]`: the stored name (default: the struct's name). Renaming
///   the struct while keeping this is not a schema change.
/// - `#[collection(accessor = "..")]`: the accessor's name (default: snake case plus
///   `s`: `Message` -> `messages`, `InMessage` -> `in_messages`).
///
/// On a field:
/// - `#[id]`: exactly one field, of type `insula::Id` (a `u64`): the key. `0` means
///   "assign the next id" on `put`, which writes the id back.
/// - `#[index]`: an index on the field; `Vec<T>` fields get one entry per distinct
///   element.
/// - `#[index(unique)]`: no two objects share a value; a `put` that would is
///   `Error::UniqueViolation`. `#[index(unique, replace)]`: the `put` replaces the
///   other object instead.
/// - `#[index(case_insensitive)]`: on `String`, `Option<String>` or `Vec<String>`;
///   keys are lowercased.
/// - `#[index(composite(other, ..))]`: one index over this field then the others, in
///   order; single values only, not lists.
/// - `#[field(name = "..")]`: the stored name (default: the Rust name), so renaming the
///   Rust field is not a schema change.
/// - `#[field(ignore)]`: not stored; the type must implement `Default`.
/// - `#[field(default = <expr>)]`: the value that objects stored before the field existed
///   get when the field is added (Isar's default values). `<expr>` has the field's type;
///   the migration that adds the field stores every old object anew with it, so every
///   reader, the dynamic one included, sees it. `Default` is unchanged, and adding a
///   default to a field the file already has changes nothing stored.
///
/// A field may be `bool`, `u8`..`u64`, `i8`..`i64`, `f32`, `f64`, `String`, `Vec<u8>`,
/// `Vec<T>` of those scalars and of `String`, `Option<T>` of any of them, a struct that
/// derives [`Embedded`](derive@Embedded) (or a `Vec` of them), or an enum that derives
/// [`Enumerated`](derive@Enumerated). Every mistake is a compile error on the tokens at
/// fault, all of them at once.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Collection, Debug, Clone, Default, PartialEq)]
/// #[collection(name = "users", accessor = "people")]
/// pub struct User {
///     #[id]
///     pub id: Id,
///     #[index(unique, case_insensitive)]
///     pub email: String,
///     #[index(composite(age))]
///     #[field(name = "city_name")]
///     pub city: String,
///     pub age: u8,
///     pub nicknames: Vec<String>,
///     #[field(ignore)]
///     pub session: Option<String>,
/// }
///
/// assert_eq!(User::SCHEMA.name(), "users");
/// assert_eq!(User::CITY.name(), "city_name");
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().collection::<User>().open(dir.path())?;
/// let mut ada = User { email: "Ada@example.com".into(), city: "London".into(), age: 36, ..Default::default() };
/// db.write_txn_sync(|txn| txn.people().put(&mut ada))?;
///
/// // The unique index ignores case: a second "ADA@example.com" is refused.
/// let mut again = User { email: "ADA@example.com".into(), ..Default::default() };
/// let refused = db.write_txn_sync(|txn| txn.people().put(&mut again));
/// assert!(matches!(refused, Err(insula::Error::UniqueViolation { .. })));
///
/// // The composite index serves equality on `city` and a range on `age`.
/// let found = db.people().query().filter(User::CITY.eq("London").and(User::AGE.ge(30))).find_all()?;
/// assert_eq!(found, [ada]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(Collection, attributes(id, index, collection, field))]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::collection::derive(&input).into()
}

/// Stores a struct inside a collection's objects, as a nested record.
///
/// Its fields take `#[field(name = "..")]` and `#[field(ignore)]`, and the same types as
/// a collection's. A collection may hold it, `Option` of it, or a `Vec` of it. Changing
/// its fields is a breaking change for every collection that stores it.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Embedded, Debug, Clone, Default, PartialEq)]
/// pub struct Address {
///     pub street: String,
///     pub zip: Option<u32>,
/// }
///
/// #[derive(Collection, Debug, Clone, Default, PartialEq)]
/// pub struct Customer {
///     #[id]
///     pub id: Id,
///     pub home: Address,
///     pub others: Vec<Address>,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().collection::<Customer>().open(dir.path())?;
/// let home = Address { street: "Baker Street".into(), zip: Some(221) };
/// let mut customer = Customer { home: home.clone(), ..Default::default() };
/// db.write_txn_sync(|txn| txn.customers().put(&mut customer))?;
/// assert_eq!(db.customers().get(customer.id)?.map(|c| c.home), Some(home));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(Embedded, attributes(field))]
pub fn derive_embedded(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::embedded::derive(&input).into()
}

/// Stores a fieldless enum by the name of its variant, so reordering variants changes
/// nothing and adding one is a compatible change. `#[variant(name = "..")]` sets a
/// variant's stored name. An enum field can be indexed and compared.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Enumerated, Debug, Clone, Copy, Default, PartialEq)]
/// pub enum Status {
///     #[default]
///     Open,
///     #[variant(name = "closed")]
///     Done,
/// }
///
/// #[derive(Collection, Debug, Default)]
/// pub struct Ticket {
///     #[id]
///     pub id: Id,
///     #[index]
///     pub status: Status,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let db = Db::builder().collection::<Ticket>().open(dir.path())?;
/// let mut tickets = vec![Ticket::default(), Ticket { status: Status::Done, ..Default::default() }];
/// db.write_txn_sync(|txn| txn.tickets().put_all(&mut tickets))?;
/// assert_eq!(db.tickets().query().filter(Ticket::STATUS.eq(Status::Done)).ids()?, [2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(Enumerated, attributes(variant))]
pub fn derive_enumerated(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::enumerated::derive(&input).into()
}
