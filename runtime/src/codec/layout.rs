//! Reading a record's slots, in the current layout or in an older one.

use super::{Corrupt, Narrow, TAG_WIDTH, Value, read_ref};
use crate::schema::{FieldDef, FieldSchema};
use zerocopy::FromBytes;
use zerocopy::byteorder::little_endian::U32;

/// The slot offsets of every field in a record layout, by field position. A record
/// written in that layout starts with `tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentLayout<'a> {
    /// The layout tag (see [`crate::schema::Schema::layout_tag`]).
    pub tag: u32,
    /// The fields, in slot order.
    pub fields: &'a [FieldSchema<'a>],
    /// The width of the fixed part.
    pub fixed_len: usize,
}

impl<'a> CurrentLayout<'a> {
    /// The layout of `fields`, in their order.
    pub const fn new(tag: u32, fields: &'a [FieldSchema<'a>]) -> Self {
        let mut fixed_len = 0;
        let mut i = 0;
        while i < fields.len() {
            fixed_len += fields[i].width();
            i += 1;
        }
        CurrentLayout { tag, fields, fixed_len }
    }

    /// The offset of the slot of field `index` within the fixed part.
    pub const fn offset(&self, index: usize) -> usize {
        let mut offset = 0;
        let mut i = 0;
        while i < index {
            offset += self.fields[i].width();
            i += 1;
        }
        offset
    }
}

/// Where a field of the current layout sits in an older layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OldSlot {
    offset: usize,
    width: usize,
    written: Written,
}

/// How a slot of an older layout was written, where that differs from the current form
/// of its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Written {
    /// By `T`, for a field that is now `Option<T>`.
    pub(crate) as_some: bool,
    /// By a narrower number type than the field's now.
    pub(crate) narrower: Option<Narrow>,
}

impl Written {
    /// Reads the view of `T` from a slot written this way.
    #[inline]
    fn read<'a, T: Value>(self, slot: &'a [u8], record: &'a [u8]) -> Result<T::View<'a>, Corrupt> {
        match self.narrower {
            Some(from) => T::read_widened(slot, from, self.as_some),
            None if self.as_some => T::read_required(slot, record),
            None => T::read(slot, record),
        }
    }

    /// Decodes an owned `T` from a slot written this way.
    #[inline]
    fn decode<T: Value>(self, slot: &[u8], record: &[u8]) -> Result<T, Corrupt> {
        match self.narrower {
            Some(from) => T::read_widened(slot, from, self.as_some).map(T::from_view),
            None if self.as_some => T::decode_required(slot, record),
            None => T::decode(slot, record),
        }
    }

    /// Whether the slot was written by the field's current form.
    #[inline]
    pub(crate) fn is_current(self) -> bool {
        !self.as_some && self.narrower.is_none()
    }
}

/// How to read records of one older layout: for each field of the current layout, its
/// slot in the old one, or `None` when the old layout lacks it (it reads as its default).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Remap {
    tag: u32,
    fixed_len: usize,
    slots: Vec<Option<OldSlot>>,
}

/// Why an older layout cannot be read in the current one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}` was stored as `{old}` and is now `{new}`: records cannot be read in place")]
pub struct LayoutError {
    /// The stored name of the field.
    pub field: String,
    /// The old field, as the schema text writes it (`name: type`).
    pub old: String,
    /// The new field.
    pub new: String,
}

/// The older layouts of a collection whose records may still be in the file. The
/// runtime builds them from the schemas the file records; records in the current layout
/// need none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layouts {
    older: Vec<Remap>,
}

static NO_LAYOUTS: Layouts = Layouts { older: Vec::new() };

impl Layouts {
    /// No older layouts: only records in the current layout can be read.
    pub fn none() -> &'static Layouts {
        &NO_LAYOUTS
    }

    /// Adds the layout of `old` (with tag `old_tag`), to be read as `current`. A field
    /// in both must have the same type, or one that reads it ([`FieldDef::reads_as`]).
    pub fn add(&mut self, old_tag: u32, old: &[FieldDef], current: &[FieldDef]) -> Result<(), LayoutError> {
        let mut offsets = Vec::with_capacity(old.len());
        let mut fixed_len = 0;
        for field in old {
            offsets.push(fixed_len);
            fixed_len += field.width();
        }
        let slots = current
            .iter()
            .map(|new| {
                let Some(index) = old.iter().position(|field| field.name == new.name) else {
                    return Ok(None);
                };
                let was = &old[index];
                let offset = offsets[index];
                match was.reads_as(new) {
                    Some(reading) => Ok(Some(OldSlot {
                        offset,
                        width: was.width(),
                        written: Written {
                            as_some: reading.as_some,
                            narrower: if reading.widened { Narrow::of(&was.ty) } else { None },
                        },
                    })),
                    None => Err(LayoutError {
                        field: new.name.clone(),
                        old: was.to_string(),
                        new: new.to_string(),
                    }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.older.retain(|remap| remap.tag != old_tag);
        self.older.push(Remap { tag: old_tag, fixed_len, slots });
        Ok(())
    }

    /// Adds an older layout from the file's history. Unlike [`Layouts::add`], a field
    /// whose type no longer fits reads as its default: between that layout and now the
    /// field was removed and added again with another type, so its old values are gone.
    pub fn add_history(
        &mut self,
        old_tag: u32,
        old: &[FieldDef],
        current: &[FieldDef],
    ) -> Result<(), LayoutError> {
        let fitting: Vec<FieldDef> = old
            .iter()
            .map(|field| match current.iter().find(|new| new.name == field.name) {
                Some(new) if field.reads_as(new).is_none() => {
                    // Keep the slot's width, under a name no current field has.
                    FieldDef { name: format!("{}{}", super::DEAD_FIELD, field.name), ..field.clone() }
                }
                _ => field.clone(),
            })
            .collect();
        self.add(old_tag, &fitting, current)
    }

    fn find(&self, tag: u32) -> Option<&Remap> {
        self.older.iter().find(|remap| remap.tag == tag)
    }
}

/// What a field that holds an embedded struct holds in one record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Nested<'a> {
    /// The nested record's bytes.
    Record(&'a [u8]),
    /// An `Option`'s `None`.
    None,
    /// The record's layout lacks the field: it reads as its default.
    Missing,
}

/// A slot that a damaged record's fixed part is too short to hold.
const OUTSIDE: Corrupt = Corrupt("a slot lies outside the fixed part");

/// A record being read: its bytes, its fixed part, and the way to find each slot.
#[derive(Debug, Clone, Copy)]
pub struct RecordReader<'a> {
    record: &'a [u8],
    fixed: &'a [u8],
    remap: Option<&'a Remap>,
}

impl<'a> RecordReader<'a> {
    /// Checks the record's tag and the length of its fixed part. A record in an older
    /// layout is read through `layouts`; an unknown tag is corruption.
    #[inline]
    pub fn open(record: &'a [u8], layout: &CurrentLayout<'_>, layouts: &'a Layouts) -> Result<Self, Corrupt> {
        Self::open_tagged(record, layout.tag, layout.fixed_len, layouts)
    }

    /// [`RecordReader::open`] for a current layout known by its tag and the width of its
    /// fixed part only: the dynamic reader's, which has no [`FieldSchema`]s.
    #[inline]
    pub(crate) fn open_tagged(
        record: &'a [u8],
        current_tag: u32,
        current_fixed_len: usize,
        layouts: &'a Layouts,
    ) -> Result<Self, Corrupt> {
        let (tag, _) =
            U32::read_from_prefix(record).map_err(|_| Corrupt("a record is shorter than its tag"))?;
        let tag = tag.get();
        let (remap, fixed_len) = if tag == current_tag {
            (None, current_fixed_len)
        } else {
            let remap = layouts.find(tag).ok_or(Corrupt("a record has an unknown layout tag"))?;
            (Some(remap), remap.fixed_len)
        };
        let fixed = record
            .get(TAG_WIDTH..TAG_WIDTH + fixed_len)
            .ok_or(Corrupt("a record is shorter than its fixed part"))?;
        Ok(RecordReader { record, fixed, remap })
    }

    /// Reads field `index`, whose slot in the current layout is at `offset`.
    #[inline]
    pub fn field<T: Value>(&self, index: usize, offset: usize) -> Result<T::View<'a>, Corrupt> {
        if self.remap.is_none() {
            // A record in the current layout, the common case: the slot is where the
            // field says, written in the field's current form.
            let slot = self.fixed.get(offset..offset + T::WIDTH).ok_or(OUTSIDE)?;
            return T::read(slot, self.record);
        }
        match self.slot::<T>(index, offset)? {
            None => Ok(T::default_view()),
            Some((slot, written)) => written.read::<T>(slot, self.record),
        }
    }

    /// Whether field number `index`, at `offset` in the current layout, equals `value`
    /// (see [`crate::codec::key::KeyPart::slot_equals`]).
    #[inline]
    pub fn equals<T: crate::codec::key::KeyPart>(
        &self,
        index: usize,
        offset: usize,
        value: T::View<'_>,
    ) -> Result<bool, Corrupt> {
        match self.slot::<T>(index, offset)? {
            Some((slot, written)) if written.is_current() => T::slot_equals(slot, self.record, value),
            // A field the record lacks, or one stored in another form.
            _ => Ok(T::compare(self.field::<T>(index, offset)?, value).is_eq()),
        }
    }

    /// Decodes field `index` into an owned value: [`RecordReader::field`] then
    /// [`Value::from_view`], without building the view.
    #[inline]
    pub fn decode<T: Value>(&self, index: usize, offset: usize) -> Result<T, Corrupt> {
        match self.slot::<T>(index, offset)? {
            None => Ok(T::from_view(T::default_view())),
            Some((slot, written)) => written.decode::<T>(slot, self.record),
        }
    }

    /// The slot of field `index` in this record's layout, and how it was written; `None`
    /// where the record's layout lacks the field.
    #[inline]
    fn slot<T: Value>(&self, index: usize, offset: usize) -> Result<Option<(&'a [u8], Written)>, Corrupt> {
        self.slot_of_width(index, offset, T::WIDTH)
    }

    /// The record nested in field `index` (an embedded struct, or an `Option` of one when
    /// `optional`), whose slot in the current layout is at `offset` and `width` bytes
    /// wide; see [`Nested`].
    pub(crate) fn nested(
        &self,
        index: usize,
        offset: usize,
        width: usize,
        optional: bool,
    ) -> Result<Nested<'a>, Corrupt> {
        let Some((slot, written)) = self.slot_of_width(index, offset, width)? else {
            return Ok(Nested::Missing);
        };
        let slot = match slot.split_first() {
            // A slot written before the field became optional has no tag.
            Some((0, _)) if optional && !written.as_some => return Ok(Nested::None),
            Some((1, inner)) if optional && !written.as_some => inner,
            _ if optional && !written.as_some => return Err(Corrupt("an option's tag is neither 0 nor 1")),
            _ => slot,
        };
        let (record, _) = read_ref(slot, self.record, 1)?;
        Ok(Nested::Record(record))
    }

    /// The whole record, from its tag: what tail references are relative to.
    #[inline]
    pub(crate) fn record(&self) -> &'a [u8] {
        self.record
    }

    /// [`RecordReader::slot`] of a field whose slot in the current layout is `width`
    /// bytes wide (its `Option` tag included).
    #[inline]
    pub(crate) fn slot_of_width(
        &self,
        index: usize,
        offset: usize,
        width: usize,
    ) -> Result<Option<(&'a [u8], Written)>, Corrupt> {
        let (offset, width, written) = match self.remap {
            None => (offset, width, Written::default()),
            Some(remap) => match remap.slots.get(index).copied().flatten() {
                Some(slot) => (slot.offset, slot.width, slot.written),
                None => return Ok(None),
            },
        };
        let slot = self.fixed.get(offset..offset + width).ok_or(OUTSIDE)?;
        Ok(Some((slot, written)))
    }
}

/// Starts a record in `out`: writes the tag and a zeroed fixed part, and returns where
/// the record starts. Fields then write their slots at `start + TAG_WIDTH + offset`.
#[inline]
pub fn begin_record(out: &mut Vec<u8>, layout: &CurrentLayout<'_>) -> usize {
    let start = out.len();
    out.extend_from_slice(&layout.tag.to_le_bytes());
    out.resize(start + TAG_WIDTH + layout.fixed_len, 0);
    start
}
