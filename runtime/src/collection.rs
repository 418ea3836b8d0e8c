//! The traits that `#[derive(Collection)]` and `#[derive(Embedded)]` implement.

use crate::codec::{Layouts, Value};
use crate::schema::{EmbeddedSchema, Schema};
use crate::{Error, Result};

/// The id of an object: the key it is stored under. `0` means "assign the next id" on
/// `put`.
pub type Id = u64;

/// The largest record, in bytes: 3 GiB, the largest value redb stores (offsets inside
/// a record are `u32`, so they reach further). A larger object is refused by `put` with
/// [`Error::TooLarge`] before anything is written.
pub const MAX_RECORD_LEN: usize = 3 << 30;

/// A struct stored as a collection of objects. Derive it with `#[derive(Collection)]`.
///
/// ```
/// use insula::prelude::*;
///
/// #[derive(Collection, Debug, Default, PartialEq)]
/// pub struct Message {
///     #[id]
///     pub id: Id,
///     #[index]
///     pub author: String,
///     pub likes: u32,
/// }
///
/// let message = Message { id: 7, author: "ada".into(), likes: 3 };
/// let mut record = Vec::new();
/// message.encode(&mut record)?;
///
/// // A view reads fields straight from the record.
/// let view = Message::view(7, &record)?;
/// assert_eq!((view.author(), view.likes()), ("ada", 3));
/// assert_eq!(Message::decode(7, &record)?, message);
/// assert_eq!(Message::SCHEMA.name(), "Message");
/// # Ok::<(), insula::Error>(())
/// ```
pub trait Collection: Sized + 'static {
    /// The schema; its hash is computed at compile time.
    const SCHEMA: Schema<'static>;

    /// The record layout of the schema.
    #[doc(hidden)]
    const LAYOUT: crate::codec::CurrentLayout<'static>;

    /// The zero-copy view of a stored object: one accessor per field, reading from the
    /// record without allocating.
    type View<'a>: Copy + core::fmt::Debug;

    /// The object's id.
    fn id(&self) -> Id;

    /// Sets the object's id (after `put` assigns one).
    fn set_id(&mut self, id: Id);

    /// Encodes the object into `out`, replacing what `out` held, as it is stored: its
    /// record followed by a check that ties the record to the object's id (the id itself
    /// is the key it is stored under). Reusing one buffer avoids an allocation per
    /// object.
    fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        encode_stored(self, self.id(), out)
    }

    /// Appends the record of this object to `out` (the derive implements it).
    #[doc(hidden)]
    fn encode_fields(&self, out: &mut Vec<u8>);

    /// The stored names of the fields with `#[field(default = <expr>)]`.
    #[doc(hidden)]
    const DEFAULTS: &'static [&'static str] = &[];

    /// Sets each field of [`Collection::DEFAULTS`] named in `fields` to its default
    /// expression (the derive implements it).
    #[doc(hidden)]
    fn set_defaults(&mut self, fields: &[&str]) {
        let _ = fields;
    }

    /// A view of the stored bytes of object `id` (as [`Collection::encode`] wrote them),
    /// whose record may be in an older layout listed in `layouts`. The check and every
    /// reference in the record are verified here, once.
    #[doc(hidden)]
    fn view_in<'a>(id: Id, stored: &'a [u8], layouts: &'a Layouts) -> Result<Self::View<'a>> {
        let record =
            crate::codec::unseal(id, stored).map_err(crate::error::corrupted(Self::SCHEMA.name()))?;
        Self::view_record(id, record, layouts)
    }

    /// A view of a record whose check was verified (the derive implements it).
    #[doc(hidden)]
    fn view_record<'a>(id: Id, record: &'a [u8], layouts: &'a Layouts) -> Result<Self::View<'a>>;

    /// A view of a record in the current layout.
    fn view(id: Id, record: &[u8]) -> Result<Self::View<'_>> {
        Self::view_in(id, record, Layouts::none())
    }

    /// The keys of index number `index` (in the order of `SCHEMA.indexes()`) for the
    /// object `view` shows: none, one, or one per element of a list (the derive
    /// implements it).
    #[doc(hidden)]
    fn index_keys(view: &Self::View<'_>, index: usize) -> Vec<Vec<u8>>;

    /// Appends the keys of index number `index` for this object to `keys` (the derive
    /// implements it). A `put` reuses one list for every object.
    #[doc(hidden)]
    fn object_index_keys(&self, index: usize, keys: &mut Vec<Vec<u8>>);

    /// The values index number `index` covers in the object `view` shows, for error
    /// messages (the derive implements it).
    #[doc(hidden)]
    fn index_value(view: &Self::View<'_>, index: usize) -> String;

    /// The owned object a view shows.
    fn from_view(view: Self::View<'_>) -> Self;

    /// Decodes the stored bytes of object `id` (as [`Collection::encode`] wrote them) in
    /// the current layout.
    fn decode(id: Id, stored: &[u8]) -> Result<Self> {
        Self::decode_in(id, stored, Layouts::none())
    }

    /// Decodes the stored bytes of object `id`, whose record may be in an older layout
    /// listed in `layouts`: the object `view_in` shows, read without building the view
    /// first.
    #[doc(hidden)]
    fn decode_in(id: Id, stored: &[u8], layouts: &Layouts) -> Result<Self> {
        let record =
            crate::codec::unseal(id, stored).map_err(crate::error::corrupted(Self::SCHEMA.name()))?;
        Self::decode_record(id, record, layouts)
    }

    /// Decodes a record whose check was verified (the derive implements it; this default
    /// goes through the view).
    #[doc(hidden)]
    fn decode_record(id: Id, record: &[u8], layouts: &Layouts) -> Result<Self> {
        Self::view_record(id, record, layouts).map(Self::from_view)
    }
}

/// Encodes `object` into `out` as it is stored under `id`: the record, then its check.
pub(crate) fn encode_stored<C: Collection>(object: &C, id: Id, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    object.encode_fields(out);
    if crate::codec::take_too_deep() {
        return Err(Error::TooDeep { collection: C::SCHEMA.name() });
    }
    let len = out.len() + crate::codec::CHECK_WIDTH;
    if len > MAX_RECORD_LEN {
        return Err(Error::TooLarge { collection: C::SCHEMA.name(), len });
    }
    crate::codec::seal(id, out);
    Ok(())
}

/// A struct stored inside a collection's objects. Derive it with `#[derive(Embedded)]`;
/// the derive also implements [`Value`] for it.
pub trait Embedded: Value + Sized + 'static {
    /// The embedded struct's fields.
    const SCHEMA: EmbeddedSchema<'static>;

    /// The layout of its nested record.
    #[doc(hidden)]
    const LAYOUT: crate::codec::CurrentLayout<'static>;
}

/// A fieldless enum stored by the name of its variant. Derive it with
/// `#[derive(Enumerated)]`; the derive also implements [`Value`] for it.
pub trait Enumerated: Value + Copy + Sized + 'static {
    /// The variants' stored names, in declaration order.
    const VARIANTS: &'static [&'static str];
}
