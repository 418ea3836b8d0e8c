//! Variable-size values kept in the tail: `String` and `Vec<u8>`.

use super::{Corrupt, Element, Required, Value, read_ref, write_ref};
use crate::schema::ValueType;

/// Appends `bytes` to the tail and points the slot at them.
#[inline]
fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>, slot: usize, record: usize) {
    let offset = out.len() - record;
    out.extend_from_slice(bytes);
    write_ref(out, slot, offset, bytes.len());
}

impl Value for String {
    const TYPE: ValueType<'static> = ValueType::String;
    type View<'a> = &'a str;

    #[inline]
    fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize) {
        encode_bytes(self.as_bytes(), out, slot, record);
    }

    #[inline]
    fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<&'a str, Corrupt> {
        let (bytes, _) = read_ref(slot, record, 1)?;
        core::str::from_utf8(bytes).map_err(|_| Corrupt("a string is not UTF-8"))
    }

    fn default_view<'a>() -> Self::View<'a> {
        ""
    }

    #[inline]
    fn from_view(view: &str) -> String {
        view.to_owned()
    }
}

impl Required for String {}
impl Element for String {}

impl Value for Vec<u8> {
    const TYPE: ValueType<'static> = ValueType::Bytes;
    type View<'a> = &'a [u8];

    #[inline]
    fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize) {
        encode_bytes(self, out, slot, record);
    }

    #[inline]
    fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<&'a [u8], Corrupt> {
        read_ref(slot, record, 1).map(|(bytes, _)| bytes)
    }

    fn default_view<'a>() -> Self::View<'a> {
        &[]
    }

    fn from_view(view: &[u8]) -> Vec<u8> {
        view.to_vec()
    }
}

impl Required for Vec<u8> {}

/// `[u8; N]`: the bytes in the slot itself, read in place as `&[u8; N]`.
impl<const N: usize> Value for [u8; N] {
    const TYPE: ValueType<'static> = ValueType::Array(N);
    type View<'a> = &'a [u8; N];

    fn encode(&self, out: &mut Vec<u8>, slot: usize, _record: usize) {
        out[slot..slot + N].copy_from_slice(self);
    }

    fn read<'a>(slot: &'a [u8], _record: &'a [u8]) -> Result<&'a [u8; N], Corrupt> {
        slot.try_into().map_err(|_| Corrupt("an array's slot has the wrong width"))
    }

    fn default_view<'a>() -> Self::View<'a> {
        &[0; N]
    }

    fn from_view(view: &[u8; N]) -> [u8; N] {
        *view
    }
}

impl<const N: usize> Required for [u8; N] {}
impl<const N: usize> Element for [u8; N] {}
