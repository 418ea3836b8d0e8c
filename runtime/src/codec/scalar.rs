//! Fixed-size values: `bool`, the integers and the floats, and `Option<T>`.

use super::{Corrupt, Element, Required, Value};
use crate::schema::{StoredType, ValueType};
use zerocopy::byteorder::little_endian::{F32, F64, I16, I32, I64, U16, U32, U64};
use zerocopy::{FromBytes, IntoBytes};

/// A number type that a wider one reads, for a field widened from `u8` to `u16`, say
/// (see [`crate::schema::StoredType::widens_to`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrow {
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `f32`.
    F32,
}

/// A number read from a narrower slot, on its way to the wider type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Wide {
    /// From an unsigned integer.
    Unsigned(u64),
    /// From a signed integer.
    Signed(i64),
    /// From a float.
    Float(f64),
}

impl Narrow {
    /// The narrow type that `ty` is, if a wider number can read it.
    pub(crate) fn of(ty: &StoredType) -> Option<Narrow> {
        Some(match ty {
            StoredType::U8 => Narrow::U8,
            StoredType::U16 => Narrow::U16,
            StoredType::U32 => Narrow::U32,
            StoredType::I8 => Narrow::I8,
            StoredType::I16 => Narrow::I16,
            StoredType::I32 => Narrow::I32,
            StoredType::F32 => Narrow::F32,
            _ => return None,
        })
    }

    /// Reads a slot of this type (without an `Option` tag).
    #[inline]
    pub(crate) fn read(self, slot: &[u8]) -> Result<Wide, Corrupt> {
        Ok(match self {
            Narrow::U8 => Wide::Unsigned(u8::read(slot, &[])?.into()),
            Narrow::U16 => Wide::Unsigned(u16::read(slot, &[])?.into()),
            Narrow::U32 => Wide::Unsigned(u32::read(slot, &[])?.into()),
            Narrow::I8 => Wide::Signed(i8::read(slot, &[])?.into()),
            Narrow::I16 => Wide::Signed(i16::read(slot, &[])?.into()),
            Narrow::I32 => Wide::Signed(i32::read(slot, &[])?.into()),
            Narrow::F32 => Wide::Float(f32::read(slot, &[])?.into()),
        })
    }
}

/// The wider number a narrower one becomes; `None` where it does not fit, which the
/// classifier never lets happen.
trait FromWide: Sized {
    fn from_wide(wide: Wide) -> Option<Self>;
}

macro_rules! from_wide {
    ($($int:ty),*) => {$(
        impl FromWide for $int {
            #[inline]
            fn from_wide(wide: Wide) -> Option<Self> {
                match wide {
                    Wide::Unsigned(value) => <$int>::try_from(value).ok(),
                    Wide::Signed(value) => <$int>::try_from(value).ok(),
                    Wide::Float(_) => None,
                }
            }
        }
    )*};
}

from_wide!(u16, u32, u64, i16, i32, i64);

impl FromWide for f64 {
    #[inline]
    fn from_wide(wide: Wide) -> Option<Self> {
        match wide {
            Wide::Float(value) => Some(value),
            _ => None,
        }
    }
}

/// Nothing is narrower than `f32`.
impl FromWide for f32 {
    fn from_wide(_: Wide) -> Option<Self> {
        None
    }
}

macro_rules! scalar {
    ($($rust:ty => $stored:ty, $ty:ident;)*) => {$(
        impl Value for $rust {
            const TYPE: ValueType<'static> = ValueType::$ty;
            type View<'a> = $rust;

            #[inline]
            fn encode(&self, out: &mut Vec<u8>, slot: usize, _record: usize) {
                let bytes = <$stored>::new(*self);
                out[slot..slot + Self::WIDTH].copy_from_slice(bytes.as_bytes());
            }

            #[inline]
            fn read<'a>(slot: &'a [u8], _record: &'a [u8]) -> Result<$rust, Corrupt> {
                <$stored>::read_from_bytes(slot)
                    .map(|value| value.get())
                    .map_err(|_| Corrupt("a fixed slot has the wrong width"))
            }

            #[inline]
            fn read_widened(slot: &[u8], from: Narrow, _as_some: bool) -> Result<$rust, Corrupt> {
                <$rust>::from_wide(from.read(slot)?).ok_or(Corrupt("a widened number does not fit its type"))
            }

            fn default_view<'a>() -> Self::View<'a> {
                <$rust>::default()
            }

            #[inline]
            fn from_view(view: $rust) -> $rust {
                view
            }
        }

        impl Required for $rust {}
    )*};
}

scalar! {
    u16 => U16, U16;
    u32 => U32, U32;
    u64 => U64, U64;
    i16 => I16, I16;
    i32 => I32, I32;
    i64 => I64, I64;
    f32 => F32, F32;
    f64 => F64, F64;
}

impl Element for u16 {}
impl Element for u32 {}
impl Element for u64 {}
impl Element for i16 {}
impl Element for i32 {}
impl Element for i64 {}
impl Element for f32 {}
impl Element for f64 {}

macro_rules! byte {
    ($($rust:ty, $ty:ident, $from:expr, $to:expr;)*) => {$(
        impl Value for $rust {
            const TYPE: ValueType<'static> = ValueType::$ty;
            type View<'a> = $rust;

            #[inline]
            fn encode(&self, out: &mut Vec<u8>, slot: usize, _record: usize) {
                out[slot] = $to(*self);
            }

            #[inline]
            fn read<'a>(slot: &'a [u8], _record: &'a [u8]) -> Result<$rust, Corrupt> {
                match slot {
                    [byte] => $from(*byte),
                    _ => Err(Corrupt("a fixed slot has the wrong width")),
                }
            }

            fn default_view<'a>() -> Self::View<'a> {
                <$rust>::default()
            }

            #[inline]
            fn from_view(view: $rust) -> $rust {
                view
            }
        }

        impl Required for $rust {}
    )*};
}

byte! {
    u8, U8, |b: u8| Ok(b), |v: u8| v;
    i8, I8, |b: u8| Ok(b as i8), |v: i8| v as u8;
    bool, Bool, |b: u8| match b {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Corrupt("a bool is neither 0 nor 1")),
    }, |v: bool| v as u8;
}

impl Element for i8 {}
impl Element for bool {}

/// `Option<T>`: a tag byte (0 for `None`, 1 for `Some`) followed by `T`'s slot, which is
/// all zeros for `None`.
/// `Vec<Option<T>>`: each element a tag byte and `T`'s slot, as a field's `Option` is.
impl<T: Required + Element> Element for Option<T> {
    const ELEMENT: ValueType<'static> = ValueType::Optional(&T::TYPE);
}

impl<T: Required> Value for Option<T> {
    const TYPE: ValueType<'static> = T::TYPE;
    const NULLABLE: bool = true;
    type View<'a> = Option<T::View<'a>>;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize) {
        if let Some(value) = self {
            out[slot] = 1;
            value.encode(out, slot + 1, record);
        }
    }

    #[inline]
    fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<Self::View<'a>, Corrupt> {
        match slot.split_first() {
            Some((0, _)) => Ok(None),
            Some((1, inner)) => T::read(inner, record).map(Some),
            _ => Err(Corrupt("an option's tag is neither 0 nor 1")),
        }
    }

    fn read_required<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<Self::View<'a>, Corrupt> {
        T::read(slot, record).map(Some)
    }

    fn read_widened<'a>(slot: &'a [u8], from: Narrow, as_some: bool) -> Result<Self::View<'a>, Corrupt> {
        if as_some {
            return T::read_widened(slot, from, false).map(Some);
        }
        match slot.split_first() {
            Some((0, _)) => Ok(None),
            Some((1, inner)) => T::read_widened(inner, from, false).map(Some),
            _ => Err(Corrupt("an option's tag is neither 0 nor 1")),
        }
    }

    fn default_view<'a>() -> Self::View<'a> {
        None
    }

    #[inline]
    fn from_view(view: Self::View<'_>) -> Self {
        view.map(T::from_view)
    }

    #[inline]
    fn decode(slot: &[u8], record: &[u8]) -> Result<Self, Corrupt> {
        match slot.split_first() {
            Some((0, _)) => Ok(None),
            Some((1, inner)) => T::decode(inner, record).map(Some),
            _ => Err(Corrupt("an option's tag is neither 0 nor 1")),
        }
    }

    fn decode_required(slot: &[u8], record: &[u8]) -> Result<Self, Corrupt> {
        T::decode(slot, record).map(Some)
    }
}
