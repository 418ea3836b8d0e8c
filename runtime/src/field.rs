//! Typed field handles: `Message::LIKES`, from which queries are built.

use core::marker::PhantomData;

/// A stored field of collection `C` whose Rust type is `T`. The derive makes one
/// associated constant per stored field, in SCREAMING_CASE (`Message::LIKES`), the id
/// included.
pub struct Field<C, T> {
    name: &'static str,
    slot: Option<usize>,
    /// The slot's offset in the fixed part of a record in the current layout.
    offset: usize,
    marker: PhantomData<fn() -> (C, T)>,
}

impl<C, T> Field<C, T> {
    /// The handle of the stored field `name`, at position `slot` in the record layout
    /// (`None` for the id, which is the record's key), whose slot is at `offset`.
    #[doc(hidden)]
    pub const fn new(name: &'static str, slot: Option<usize>, offset: usize) -> Self {
        Field { name, slot, offset, marker: PhantomData }
    }

    /// The stored name of the field.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Whether this is the id field.
    pub const fn is_id(&self) -> bool {
        self.slot.is_none()
    }

    /// The position of the field in the record layout (`None` for the id).
    pub const fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// Reads the field from a record; the id field reads `id`, the record's key as
    /// little-endian bytes.
    pub(crate) fn read<'a>(
        &self,
        id: &'a [u8; 8],
        record: &crate::codec::RecordReader<'a>,
    ) -> Result<T::View<'a>, crate::codec::Corrupt>
    where
        T: crate::codec::Value,
    {
        match self.slot {
            Some(slot) => record.field::<T>(slot, self.offset),
            // Only `Id` fields have no slot; a `u64` reads its 8 little-endian bytes.
            None => T::read(id, &[]),
        }
    }
}

impl<C, T: crate::codec::Value> Field<C, T> {
    /// The record nested in this field of `record`: an embedded struct's, or an `Option`
    /// of one when `optional`.
    pub(crate) fn nested<'a>(
        &self,
        record: &crate::codec::RecordReader<'a>,
        optional: bool,
    ) -> Result<crate::codec::Nested<'a>, crate::codec::Corrupt> {
        match self.slot {
            Some(slot) => record.nested(slot, self.offset, T::WIDTH, optional),
            None => Err(crate::codec::Corrupt("the id holds no embedded struct")),
        }
    }
}

impl<C, T: crate::codec::key::KeyPart> Field<C, T> {
    /// Whether the field of a record equals `value`, compared as
    /// [`crate::codec::key::KeyPart::slot_equals`] does.
    pub(crate) fn equals(
        &self,
        id: &[u8; 8],
        record: &crate::codec::RecordReader<'_>,
        value: T::View<'_>,
    ) -> Result<bool, crate::codec::Corrupt> {
        match self.slot {
            Some(slot) => record.equals::<T>(slot, self.offset, value),
            None => Ok(T::compare(T::read(id, &[])?, value).is_eq()),
        }
    }
}

impl<C, T> Clone for Field<C, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C, T> Copy for Field<C, T> {}

impl<C, T> core::fmt::Debug for Field<C, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Field({})", self.name)
    }
}
