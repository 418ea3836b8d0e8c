//! The bytes every record shares: its check, tail references, `u32` slots and enum
//! variant tags.

use super::Corrupt;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_tags_pass_and_a_repeated_one_anywhere_fails() {
        assert_distinct_tags(&[]);
        assert_distinct_tags(&[7]);
        assert_distinct_tags(&[1, 2, 3]);
        for tags in [[1, 1, 2], [1, 2, 1], [2, 1, 1]] {
            let repeated = std::panic::catch_unwind(|| assert_distinct_tags(&tags));
            assert!(repeated.is_err(), "{tags:?}");
        }
    }
}
