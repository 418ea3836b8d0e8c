//! Decoding a record into a [`AnyValue`] tree from the schema the file recorded.
//!
//! A [`RecordPlan`] is made once per collection (and per embedded struct) from its
//! stored fields: each field's offset, width and type, each enum's variant tags, each
//! nested record's layout tag. Reading goes through the codec's own pieces (the
//! [`RecordReader`] that finds a slot in the current or an older layout, the slot
//! readers of the scalars, strings and bytes, `read_ref` for the tail), so the dynamic
//! reader checks every byte the typed one checks and reads every record as it does:
//! a field an older layout lacks reads as its type's default, a field widened from `T`
//! to `Option<T>` reads as the value.

use super::value::AnyValue;
use crate::codec::{
    Corrupt, Layouts, Level, Narrow, RecordReader, Value as Storable, read_ref, read_u32, variant_tag,
};
use crate::schema::{FieldDef, StoredType, stored_layout_tag};

/// How to read records whose fields, in slot order, are the ones it was made from.
#[derive(Debug, Clone)]
pub(crate) struct RecordPlan {
    /// The layout tag of the current layout.
    tag: u32,
    /// The width of the fixed part of the current layout.
    fixed_len: usize,
    fields: Vec<FieldPlan>,
}

#[derive(Debug, Clone)]
struct FieldPlan {
    name: String,
    /// The slot's offset in the fixed part of the current layout.
    offset: usize,
    /// The slot's width, the `Option` tag included.
    width: usize,
    nullable: bool,
    ty: TypePlan,
}

#[derive(Debug, Clone)]
enum TypePlan {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    String,
    Bytes,
    Timestamp,
    Duration,
    Date,
    Uuid,
    /// `[u8; N]`, N bytes.
    Array(usize),
    /// A list's `Option` element: a tag byte, then the value's slot.
    Optional(Box<TypePlan>),
    /// The element's plan and the width of its slot.
    List(Box<TypePlan>, usize),
    /// Each variant's tag and stored name, the first variant (the default) first.
    Enum(Vec<(u32, String)>),
    Embedded(Box<RecordPlan>),
    /// The embedded struct whose plan holds this one: read with that plan.
    Recursive,
}

impl RecordPlan {
    /// The plan of a collection's `fields`. A schema no derive could have written (an
    /// enum without variants, `self` outside an embedded struct) is refused with the
    /// reason.
    pub(crate) fn new(fields: &[FieldDef]) -> Result<RecordPlan, String> {
        RecordPlan::of(fields, false)
    }

    /// The plan of an embedded struct's `fields`, which may hold it again (an optional
    /// [`StoredType::Recursive`]).
    pub(crate) fn embedded(fields: &[FieldDef]) -> Result<RecordPlan, String> {
        RecordPlan::of(fields, true)
    }

    /// The plan of `fields`, an embedded struct's when `embedded`.
    fn of(fields: &[FieldDef], embedded: bool) -> Result<RecordPlan, String> {
        let mut offset = 0;
        let mut plans = Vec::with_capacity(fields.len());
        for field in fields {
            let ty = match &field.ty {
                StoredType::Recursive if embedded && field.nullable => Ok(TypePlan::Recursive),
                StoredType::Recursive if embedded => {
                    Err("`self` is not optional, so it never ends".to_owned())
                }
                ty => TypePlan::new(ty),
            };
            plans.push(FieldPlan {
                name: field.name.clone(),
                offset,
                width: field.width(),
                nullable: field.nullable,
                ty: ty.map_err(|reason| format!("field `{}`: {reason}", field.name))?,
            });
            offset += field.width();
        }
        Ok(RecordPlan { tag: stored_layout_tag(fields), fixed_len: offset, fields: plans })
    }

    /// The layout tag of the current layout.
    pub(crate) fn tag(&self) -> u32 {
        self.tag
    }

    /// Reads every field of `record` (a record without its check), in the current
    /// layout or one of `layouts`.
    pub(crate) fn decode(
        &self,
        record: &[u8],
        layouts: &Layouts,
    ) -> Result<Vec<(String, AnyValue)>, Corrupt> {
        let values = self.decode_values(record, layouts)?;
        Ok(self.fields.iter().map(|field| field.name.clone()).zip(values).collect())
    }

    /// [`decode`](Self::decode) without the names: the value of every field, in slot
    /// order.
    pub(crate) fn decode_values(&self, record: &[u8], layouts: &Layouts) -> Result<Vec<AnyValue>, Corrupt> {
        let reader = RecordReader::open_tagged(record, self.tag, self.fixed_len, layouts)?;
        (0..self.fields.len()).map(|index| self.value_of(&reader, index)).collect()
    }

    /// The value of field number `index` (in slot order) of `record` alone, as
    /// [`decode_values`](Self::decode_values) reads it, the others not read.
    pub(crate) fn decode_field(
        &self,
        record: &[u8],
        layouts: &Layouts,
        index: usize,
    ) -> Result<AnyValue, Corrupt> {
        let reader = RecordReader::open_tagged(record, self.tag, self.fixed_len, layouts)?;
        self.value_of(&reader, index)
    }

    /// The value of field number `index` of the record `reader` reads.
    fn value_of(&self, reader: &RecordReader<'_>, index: usize) -> Result<AnyValue, Corrupt> {
        let field = &self.fields[index];
        Ok(match reader.slot_of_width(index, field.offset, field.width)? {
            None => field.default_value(),
            Some((slot, written)) => match written.narrower {
                Some(from) => field.read_widened(slot, from, written.as_some)?,
                // Written as `T`, read as `Option<T>`: the value is there.
                None if written.as_some => field.ty.read(slot, reader.record(), self)?,
                None => field.read(slot, reader.record(), self)?,
            },
        })
    }

    /// Every field at its default: what a record that lacks them reads as.
    pub(crate) fn default_fields(&self) -> Vec<(String, AnyValue)> {
        self.fields.iter().map(|field| (field.name.clone(), field.default_value())).collect()
    }
}

impl FieldPlan {
    /// Reads a slot of this field's own form; `owner` is the plan the field belongs to.
    fn read(&self, slot: &[u8], record: &[u8], owner: &RecordPlan) -> Result<AnyValue, Corrupt> {
        match self.value_slot(slot, false)? {
            Some(value) => self.ty.read(value, record, owner),
            None => Ok(AnyValue::Null),
        }
    }

    /// The slot of the value in a slot of this field, `None` for an `Option` that holds
    /// `None`; `as_some` when the slot was written by the non-nullable form.
    fn value_slot<'s>(&self, slot: &'s [u8], as_some: bool) -> Result<Option<&'s [u8]>, Corrupt> {
        match slot.split_first() {
            _ if as_some || !self.nullable => Ok(Some(slot)),
            Some((0, _)) => Ok(None),
            Some((1, inner)) => Ok(Some(inner)),
            _ => Err(Corrupt("an option's tag is neither 0 nor 1")),
        }
    }

    /// Reads a slot written by a narrower number type than this field's, by the
    /// non-nullable form if `as_some`.
    fn read_widened(&self, slot: &[u8], from: Narrow, as_some: bool) -> Result<AnyValue, Corrupt> {
        let Some(slot) = self.value_slot(slot, as_some)? else { return Ok(AnyValue::Null) };
        match self.ty {
            TypePlan::U16 => widened::<u16>(slot, from, AnyValue::U16),
            TypePlan::U32 => widened::<u32>(slot, from, AnyValue::U32),
            TypePlan::U64 => widened::<u64>(slot, from, AnyValue::U64),
            TypePlan::I16 => widened::<i16>(slot, from, AnyValue::I16),
            TypePlan::I32 => widened::<i32>(slot, from, AnyValue::I32),
            TypePlan::I64 => widened::<i64>(slot, from, AnyValue::I64),
            TypePlan::F64 => widened::<f64>(slot, from, AnyValue::F64),
            _ => Err(Corrupt("a narrower number's slot is read as a type that is not a wider number")),
        }
    }

    /// What the typed codec's `default_view` gives: `None`, or the type's default.
    fn default_value(&self) -> AnyValue {
        if self.nullable { AnyValue::Null } else { self.ty.default_value() }
    }
}

/// Reads a narrower number's slot through the typed codec's own widening.
fn widened<T>(slot: &[u8], from: Narrow, wrap: fn(T) -> AnyValue) -> Result<AnyValue, Corrupt>
where
    for<'a> T: Storable<View<'a> = T>,
{
    T::read_widened(slot, from, false).map(wrap)
}

/// Reads a scalar slot through the typed codec's own reader.
fn scalar<T: Storable>(slot: &[u8], record: &[u8], wrap: fn(T) -> AnyValue) -> Result<AnyValue, Corrupt> {
    T::decode(slot, record).map(wrap)
}

impl TypePlan {
    fn new(ty: &StoredType) -> Result<TypePlan, String> {
        Ok(match ty {
            StoredType::Bool => TypePlan::Bool,
            StoredType::U8 => TypePlan::U8,
            StoredType::U16 => TypePlan::U16,
            StoredType::U32 => TypePlan::U32,
            StoredType::U64 => TypePlan::U64,
            StoredType::I8 => TypePlan::I8,
            StoredType::I16 => TypePlan::I16,
            StoredType::I32 => TypePlan::I32,
            StoredType::I64 => TypePlan::I64,
            StoredType::F32 => TypePlan::F32,
            StoredType::F64 => TypePlan::F64,
            StoredType::String => TypePlan::String,
            StoredType::Bytes => TypePlan::Bytes,
            StoredType::Timestamp => TypePlan::Timestamp,
            StoredType::Duration => TypePlan::Duration,
            StoredType::Date => TypePlan::Date,
            StoredType::Uuid => TypePlan::Uuid,
            StoredType::Array(len) => TypePlan::Array(*len),
            StoredType::Optional(inner) => TypePlan::Optional(Box::new(TypePlan::new(inner)?)),
            StoredType::List(element) => TypePlan::List(Box::new(TypePlan::new(element)?), element.width()),
            StoredType::Enum { name, variants } => {
                if variants.is_empty() {
                    return Err(format!("enum `{name}` has no variants"));
                }
                TypePlan::Enum(
                    variants.iter().map(|variant| (variant_tag(variant), variant.clone())).collect(),
                )
            }
            StoredType::Embedded { fields, .. } => {
                TypePlan::Embedded(Box::new(RecordPlan::of(fields, true)?))
            }
            StoredType::Recursive => {
                return Err("`self` is only an embedded struct's optional field".to_owned());
            }
        })
    }

    /// Reads a slot of this type (without an `Option` tag) of `record`, a field of a
    /// record that `owner` reads.
    fn read(&self, slot: &[u8], record: &[u8], owner: &RecordPlan) -> Result<AnyValue, Corrupt> {
        match self {
            TypePlan::Bool => scalar::<bool>(slot, record, AnyValue::Bool),
            TypePlan::U8 => scalar::<u8>(slot, record, AnyValue::U8),
            TypePlan::U16 => scalar::<u16>(slot, record, AnyValue::U16),
            TypePlan::U32 => scalar::<u32>(slot, record, AnyValue::U32),
            TypePlan::U64 => scalar::<u64>(slot, record, AnyValue::U64),
            TypePlan::I8 => scalar::<i8>(slot, record, AnyValue::I8),
            TypePlan::I16 => scalar::<i16>(slot, record, AnyValue::I16),
            TypePlan::I32 => scalar::<i32>(slot, record, AnyValue::I32),
            TypePlan::I64 => scalar::<i64>(slot, record, AnyValue::I64),
            TypePlan::F32 => scalar::<f32>(slot, record, AnyValue::F32),
            TypePlan::F64 => scalar::<f64>(slot, record, AnyValue::F64),
            TypePlan::String => scalar::<String>(slot, record, AnyValue::String),
            TypePlan::Bytes => scalar::<Vec<u8>>(slot, record, AnyValue::Bytes),
            TypePlan::Timestamp => scalar::<std::time::SystemTime>(slot, record, AnyValue::Timestamp),
            TypePlan::Duration => scalar::<std::time::Duration>(slot, record, AnyValue::Duration),
            TypePlan::Date => scalar::<i32>(slot, record, AnyValue::Date),
            TypePlan::Array(len) if slot.len() == *len => Ok(AnyValue::Bytes(slot.to_vec())),
            TypePlan::Array(_) => Err(Corrupt("an array's slot has the wrong width")),
            TypePlan::Optional(inner) => match slot.split_first() {
                Some((0, _)) => Ok(AnyValue::Null),
                Some((1, rest)) => inner.read(rest, record, owner),
                _ => Err(Corrupt("an option's tag is neither 0 nor 1")),
            },
            TypePlan::Uuid => {
                slot.try_into().map(AnyValue::Uuid).map_err(|_| Corrupt("a UUID's slot has the wrong width"))
            }
            TypePlan::List(element, width) => {
                // `read_ref` checked that the slots lie in the record, so the list is
                // allocated once, bounded by the record's size.
                let (slots, len) = read_ref(slot, record, *width)?;
                let mut items = Vec::with_capacity(len);
                for slot in slots.chunks_exact(*width) {
                    items.push(element.read(slot, record, owner)?);
                }
                Ok(AnyValue::List(items))
            }
            TypePlan::Enum(variants) => {
                let tag = read_u32(slot)?;
                match variants.iter().find(|(variant, _)| *variant == tag) {
                    Some((_, name)) => Ok(AnyValue::Enum(name.clone())),
                    None => Err(Corrupt("an enum value names no variant")),
                }
            }
            // A nested record is read in the current layout of its type only.
            TypePlan::Embedded(plan) => {
                let (nested, _) = read_ref(slot, record, 1)?;
                plan.decode(nested, Layouts::none()).map(AnyValue::Embedded)
            }
            TypePlan::Recursive => {
                let _level = Level::enter_read()?;
                let (nested, _) = read_ref(slot, record, 1)?;
                owner.decode(nested, Layouts::none()).map(AnyValue::Embedded)
            }
        }
    }

    /// What the typed codec's `default_view` gives for this type: zero, empty, the
    /// first variant, or every field at its default.
    fn default_value(&self) -> AnyValue {
        match self {
            TypePlan::Bool => AnyValue::Bool(false),
            TypePlan::U8 => AnyValue::U8(0),
            TypePlan::U16 => AnyValue::U16(0),
            TypePlan::U32 => AnyValue::U32(0),
            TypePlan::U64 => AnyValue::U64(0),
            TypePlan::I8 => AnyValue::I8(0),
            TypePlan::I16 => AnyValue::I16(0),
            TypePlan::I32 => AnyValue::I32(0),
            TypePlan::I64 => AnyValue::I64(0),
            TypePlan::F32 => AnyValue::F32(0.0),
            TypePlan::F64 => AnyValue::F64(0.0),
            TypePlan::String => AnyValue::String(String::new()),
            TypePlan::Bytes => AnyValue::Bytes(Vec::new()),
            TypePlan::Timestamp => AnyValue::Timestamp(std::time::UNIX_EPOCH),
            TypePlan::Duration => AnyValue::Duration(std::time::Duration::ZERO),
            TypePlan::Date => AnyValue::Date(0),
            TypePlan::Array(len) => AnyValue::Bytes(vec![0; *len]),
            TypePlan::Optional(_) => AnyValue::Null,
            TypePlan::Uuid => AnyValue::Uuid([0; 16]),
            TypePlan::List(..) => AnyValue::List(Vec::new()),
            TypePlan::Enum(variants) => AnyValue::Enum(variants[0].1.clone()),
            TypePlan::Embedded(plan) => AnyValue::Embedded(plan.default_fields()),
            // Only ever an optional field's type: the field's default is `None`.
            TypePlan::Recursive => AnyValue::Null,
        }
    }
}
