//! The traits of storable values: [`Value`] and its markers, and why a value could not
//! be read ([`Corrupt`]).

use super::Narrow;
use crate::schema::ValueType;

/// Why a record could not be read. It becomes [`crate::Error::Corrupted`] once the
/// collection it belongs to is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt(pub &'static str);

impl core::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

/// A type that can be a stored field.
///
/// Implemented by Insula for `bool`, the integers, `f32`, `f64`, `String`, `Vec<u8>`,
/// `[u8; N]`, `SystemTime`, `Duration` (and behind cargo features chrono's `DateTime<Utc>` and
/// `NaiveDateTime`, time's `OffsetDateTime`, jiff's `Timestamp`), `Vec<T>` of storable
/// elements and `Option<T>` of any of these; `#[derive(Embedded)]`
/// and `#[derive(Enumerated)]` implement it for the user's own types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in an Insula collection",
    label = "unsupported field type",
    note = "supported: bool, u8..u64, i8..i64, f32, f64, String, Vec<u8>, [u8; N], SystemTime, Duration, \
            Vec<T> of those scalars or String, Option<T> of any of them, structs that derive `Embedded` \
            (and Vec of them; in such a struct, Option<Box<Self>>), enums that derive `Enumerated`",
    note = "chrono's `DateTime<Utc>`, `NaiveDateTime` and `NaiveDate`, time's `OffsetDateTime` \
            and `Date`, jiff's `Timestamp` and uuid's `Uuid` need insula's cargo feature \
            `chrono`, `time`, `jiff` or `uuid`",
    note = "to keep a field out of the database, mark it `#[field(ignore)]`"
)]
pub trait Value: Sized {
    /// The stored type.
    const TYPE: ValueType<'static>;
    /// Whether the value may be absent (`Option<T>`).
    const NULLABLE: bool = false;
    /// The width of the value's slot in bytes.
    const WIDTH: usize = Self::TYPE.width() + Self::NULLABLE as usize;

    /// What a view returns for this field: the value itself for scalars, a borrowed
    /// `&str`, slice or list view for the rest.
    type View<'a>: Copy + core::fmt::Debug;

    /// Writes the value into the slot at `out[slot..slot + WIDTH]`, appending whatever
    /// goes into the tail to `out`. Tail offsets are relative to `record`, the start of
    /// the record (or nested record) the slot belongs to.
    fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize);

    /// Reads the value's view from its slot, checking everything the slot points to in
    /// `record`.
    fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<Self::View<'a>, Corrupt>;

    /// Reads a slot written by the non-nullable form of this type: the same as
    /// [`Value::read`] except for `Option<T>`, which reads a `T` slot as `Some`.
    fn read_required<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<Self::View<'a>, Corrupt> {
        Self::read(slot, record)
    }

    /// Reads a slot written by `from`, a narrower number type than this one (a field
    /// widened from `u8` to `u16`, say; see [`crate::schema::StoredType::widens_to`]).
    /// `as_some` says the slot was written by the non-nullable form (see
    /// [`Value::read_required`]). Only the number types and their options read one.
    fn read_widened<'a>(slot: &'a [u8], from: Narrow, as_some: bool) -> Result<Self::View<'a>, Corrupt> {
        let _ = (slot, from, as_some);
        Err(Corrupt("a narrower number's slot is read as a type that is not a wider number"))
    }

    /// The view of the value a record that lacks this field reads as.
    fn default_view<'a>() -> Self::View<'a>;

    /// Turns a view into an owned value.
    fn from_view(view: Self::View<'_>) -> Self;

    /// Reads the owned value from its slot: what [`Value::read`] then
    /// [`Value::from_view`] give, checking each byte once (a list does not build a view
    /// of its elements first).
    #[inline]
    fn decode(slot: &[u8], record: &[u8]) -> Result<Self, Corrupt> {
        Self::read(slot, record).map(Self::from_view)
    }

    /// [`Value::decode`] of a slot written by the non-nullable form of this type (see
    /// [`Value::read_required`]).
    #[inline]
    fn decode_required(slot: &[u8], record: &[u8]) -> Result<Self, Corrupt> {
        Self::read_required(slot, record).map(Self::from_view)
    }
}

/// A [`Value`] that can be an element of a stored `Vec<T>`: the scalars except `u8`
/// (`Vec<u8>` is stored as bytes), `String`, and the user's embedded and enumerated types.
#[diagnostic::on_unimplemented(
    message = "`Vec<{Self}>` cannot be stored in an Insula collection",
    note = "list elements may be bool, u16..u64, i8..i64, f32, f64, String, SystemTime, \
            Duration, types that derive `Embedded` or `Enumerated`, and `Option` of those; \
            `Vec<u8>` is stored as bytes, and lists do not nest"
)]
pub trait Element: Value {
    /// The stored type of the element in a list: its own, or for an `Option` one that
    /// says it may be absent.
    #[doc(hidden)]
    const ELEMENT: ValueType<'static> = Self::TYPE;
}

/// A [`Value`] that is not an `Option`, so that `Option<Option<T>>` is refused.
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` cannot be stored: options do not nest",
    note = "use `Option<T>` with a non-optional `T`"
)]
pub trait Required: Value {}

/// The type of the `#[id]` field.
#[diagnostic::on_unimplemented(
    message = "the `#[id]` field must be an `insula::Id` (a `u64`), not `{Self}`",
    label = "not an `Id`"
)]
pub trait IdType {
    /// The id as a `u64`.
    fn to_id(&self) -> crate::Id;
    /// The field's value for id `id`.
    fn from_id(id: crate::Id) -> Self;
}

impl IdType for u64 {
    #[inline]
    fn to_id(&self) -> crate::Id {
        *self
    }

    #[inline]
    fn from_id(id: crate::Id) -> Self {
        id
    }
}
