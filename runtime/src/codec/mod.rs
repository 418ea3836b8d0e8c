//! The record codec: how an object becomes bytes, and how a view reads them back.
//!
//! A record is a `u32` layout tag, a fixed part with one slot per stored field at a
//! constant offset, and a tail holding strings, lists and nested records, addressed from
//! their slots by `u32` offset and length. `runtime/FORMAT.md` specifies it byte by
//! byte. Every multi-byte integer is little-endian and read through zerocopy's
//! alignment-1 byte-order types, so a record can be read in place, at any address.
//!
//! Reading never trusts the bytes: a slot's tail reference is checked against the
//! record, strings are checked to be UTF-8, tags and enum values are checked to be
//! known. A damaged record gives [`Corrupt`], never a panic.

pub(crate) mod key;
mod layout;
mod list;
mod scalar;
mod text;

pub use layout::{CurrentLayout, LayoutError, Layouts, RecordReader, begin_record};
pub use list::{ListIter, ListView};

use crate::schema::ValueType;
use zerocopy::byteorder::little_endian::U32;
use zerocopy::{FromBytes, IntoBytes};

/// Prefixed to the name of a field in an older layout whose values are gone (the field
/// was removed, or its type changed): no current field can have that name.
pub(crate) const DEAD_FIELD: char = '\u{1}';

/// The width of the layout tag at the head of every record.
pub const TAG_WIDTH: usize = 4;

/// The width of the check that follows every stored record.
pub const CHECK_WIDTH: usize = 4;

/// Appends the check of the record in `out`, the object `id`'s: an xxh3-64 of the
/// record seeded with the id, folded into 32 bits. A flipped byte, or a record found
/// under another id, then fails its check when read instead of reading as a value.
pub fn seal(id: crate::Id, out: &mut Vec<u8>) {
    let check = check(id, out);
    out.extend_from_slice(&check.to_le_bytes());
}

/// The record in `stored`, the stored bytes of object `id`, once its check matches.
#[inline]
pub(crate) fn unseal(id: crate::Id, stored: &[u8]) -> Result<&[u8], Corrupt> {
    let split =
        stored.len().checked_sub(CHECK_WIDTH).ok_or(Corrupt("a stored record is shorter than its check"))?;
    let (record, stored_check) = stored.split_at(split);
    if read_u32(stored_check)? != check(id, record) {
        return Err(Corrupt("a stored record fails its check: its bytes are damaged"));
    }
    Ok(record)
}

#[inline]
fn check(id: crate::Id, record: &[u8]) -> u32 {
    let hash = xxhash_rust::xxh3::xxh3_64_with_seed(record, id);
    (hash ^ (hash >> 32)) as u32
}

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
/// `Vec<T>` of storable elements and `Option<T>` of any of these; `#[derive(Embedded)]`
/// and `#[derive(Enumerated)]` implement it for the user's own types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in an Insula collection",
    label = "unsupported field type",
    note = "supported: bool, u8..u64, i8..i64, f32, f64, String, Vec<u8>, Vec<T> of those \
            scalars or String, Option<T> of any of them, structs that derive `Embedded` \
            (and Vec of them), enums that derive `Enumerated`",
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
    note = "list elements may be bool, u16..u64, i8..i64, f32, f64, String, or types that \
            derive `Embedded` or `Enumerated`; `Vec<u8>` is stored as bytes"
)]
pub trait Element: Value {}

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

/// Writes a tail reference: where the bytes start, relative to the record, and how many
/// bytes or elements there are.
#[inline]
pub fn write_ref(out: &mut [u8], slot: usize, offset: usize, len: usize) {
    out[slot..slot + 4].copy_from_slice(U32::new(to_u32(offset)).as_bytes());
    out[slot + 4..slot + 8].copy_from_slice(U32::new(to_u32(len)).as_bytes());
}

/// Reads a tail reference and returns the `len * width` bytes it points to in `record`.
#[inline]
pub fn read_ref<'a>(slot: &[u8], record: &'a [u8], width: usize) -> Result<(&'a [u8], usize), Corrupt> {
    let (offset, len) = match slot {
        [a, b, c, d, e, f, g, h, ..] => {
            (u32::from_le_bytes([*a, *b, *c, *d]) as usize, u32::from_le_bytes([*e, *f, *g, *h]) as usize)
        }
        _ => return Err(Corrupt("a tail reference is cut short")),
    };
    let size = len.checked_mul(width).ok_or(Corrupt("a list length overflows"))?;
    let end = offset.checked_add(size).ok_or(Corrupt("a tail reference overflows"))?;
    let bytes = record.get(offset..end).ok_or(Corrupt("a tail reference points past the record"))?;
    Ok((bytes, len))
}

/// Records are limited to 4 GiB by their `u32` offsets. A larger value is refused before
/// it is written (see `Collection::encode`), so this conversion never truncates.
fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The stored value of an enum variant: a hash of its stored name, so that reordering
/// variants changes nothing. The derive refuses two variants with the same value.
pub const fn variant_tag(name: &str) -> u32 {
    let hash = xxhash_rust::const_xxh3::xxh3_64(name.as_bytes());
    (hash ^ (hash >> 32)) as u32
}

/// Fails compilation when two variants of one enum share a tag.
pub const fn assert_distinct_tags(tags: &[u32]) {
    let mut i = 0;
    while i < tags.len() {
        let mut j = i + 1;
        while j < tags.len() {
            assert!(
                tags[i] != tags[j],
                "two variants of this enum hash to the same stored tag; rename one with #[variant(name = \"..\")]"
            );
            j += 1;
        }
        i += 1;
    }
}

/// Reads the `u32` in a 4-byte slot.
#[inline]
pub fn read_u32(slot: &[u8]) -> Result<u32, Corrupt> {
    U32::read_from_bytes(slot)
        .map(|value| value.get())
        .map_err(|_| Corrupt("a fixed slot has the wrong width"))
}

/// Writes a `u32` into the 4-byte slot at `out[slot..]`.
#[inline]
pub fn write_u32(out: &mut [u8], slot: usize, value: u32) {
    out[slot..slot + 4].copy_from_slice(U32::new(value).as_bytes());
}
