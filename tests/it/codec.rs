//! The record codec: encode then decode is the identity, views agree with decoding, and
//! no byte string, however damaged, makes reading panic.

use crate::common;

use common::*;
use insula::value::Value;
use insula::{Collection, Error};
use proptest::prelude::*;

fn encode<C: Collection>(object: &C) -> Vec<u8> {
    let mut record = Vec::new();
    object.encode(&mut record).expect("encodes");
    record
}

/// A 64-bit hash folded into 32 bits, as `runtime/FORMAT.md` folds checks and tags.
fn fold(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

/// The stored bytes of object `id` holding `record`: the record and its check, computed
/// here from `runtime/FORMAT.md`, not by the codec under test.
fn sealed(id: insula::Id, record: &[u8]) -> Vec<u8> {
    let mut stored = record.to_vec();
    stored.extend_from_slice(&fold(xxhash_rust::xxh3::xxh3_64_with_seed(record, id)).to_le_bytes());
    stored
}

/// The record inside stored bytes, without its 4-byte check.
fn record_of(stored: &[u8]) -> &[u8] {
    &stored[..stored.len() - 4]
}

/// The stored tag of an enum variant (`runtime/FORMAT.md`, "Slots").
fn variant_tag(name: &str) -> [u8; 4] {
    fold(xxhash_rust::xxh3::xxh3_64(name.as_bytes())).to_le_bytes()
}

/// Checks each accessor of `view` against the same field of `decoded`.
macro_rules! assert_view_fields {
    ($view:expr, $decoded:expr, $ty:ty, [$($field:ident: $fty:ty),* $(,)?]) => {{
        let (view, decoded) = (&$view, &$decoded);
        $(assert_eq!(<$fty as Value>::from_view(view.$field()), decoded.$field, "field {}", stringify!($field));)*
    }};
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn encode_then_decode_is_the_identity(object in everything()) {
        let record = encode(&object);
        let decoded = Everything::decode(object.id, &record)?;
        prop_assert_eq!(decoded, object);
    }

    #[test]
    fn every_view_accessor_equals_the_decoded_field(object in everything()) {
        let record = encode(&object);
        let view = Everything::view(object.id, &record)?;
        let decoded = Everything::decode(object.id, &record)?;
        prop_assert_eq!(view.id(), object.id);
        assert_view_fields!(view, decoded, Everything, [
            flag: bool, byte: u8, small: u16, medium: u32, large: u64, tiny: i8, short: i16,
            int: i32, long: i64, single: f32, double: f64, text: String, bytes: Vec<u8>,
            flags: Vec<bool>, shorts: Vec<u16>, words: Vec<u32>, longs: Vec<u64>,
            signed_bytes: Vec<i8>, signed_shorts: Vec<i16>, ints: Vec<i32>, signed_longs: Vec<i64>,
            singles: Vec<f32>, doubles: Vec<f64>, texts: Vec<String>, maybe_int: Option<i32>,
            maybe_text: Option<String>, maybe_bytes: Option<Vec<u8>>, maybe_list: Option<Vec<u32>>,
            maybe_mood: Option<common::Mood>, maybe_address: Option<Address>, mood: common::Mood,
            moods: Vec<common::Mood>, address: Address, addresses: Vec<Address>,
        ]);
        // The borrowed forms too: strings and lists read in place.
        prop_assert_eq!(view.text(), object.text.as_str());
        prop_assert_eq!(view.bytes(), object.bytes.as_slice());
        prop_assert_eq!(view.texts().iter().collect::<Vec<_>>(), object.texts.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(view.address().street(), object.address.street.as_str());
    }

    #[test]
    fn encoding_reuses_the_buffer_and_is_deterministic(a in everything(), b in everything()) {
        let mut buffer = Vec::new();
        a.encode(&mut buffer)?;
        b.encode(&mut buffer)?;
        prop_assert_eq!(&buffer, &encode(&b));
    }

    #[test]
    fn arbitrary_bytes_give_a_value_or_corrupted(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_never_panics(&bytes);
        // With a valid check, and behind a valid tag, the bytes reach the slot readers.
        check_never_panics(&sealed(1, &bytes));
        let mut tagged = Everything::SCHEMA.layout_tag().to_le_bytes().to_vec();
        tagged.extend_from_slice(&bytes);
        check_never_panics(&sealed(1, &tagged));
    }

    #[test]
    fn damaged_records_give_a_value_or_corrupted(
        object in everything(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let stored = encode(&object);
        let mut record = record_of(&stored).to_vec();
        // Past the tag, so that the damage reaches the fields.
        for (at, byte) in flips {
            let at = 4 + at.index(record.len() - 4);
            record[at] ^= byte | 1;
        }
        // Stored with its old check, the damage is caught by the check.
        let mut damaged = record.clone();
        damaged.extend_from_slice(&stored[record.len()..]);
        let caught = matches!(Everything::view(object.id, &damaged), Err(Error::Corrupted { .. }));
        prop_assert!(caught, "damage passed the check");
        // With a check that matches, it reaches the field readers.
        check_never_panics(&sealed(1, &record));
        // Truncation at every length keeps the same promise.
        check_never_panics(&sealed(1, &record[..cut.index(record.len())]));
    }
}

/// Reading `bytes` gives an object or `Error::Corrupted`; when a view can be made, every
/// accessor can be read, and decoding (which builds no view) gives the object the view
/// shows; when it cannot, decoding fails too.
fn check_never_panics(bytes: &[u8]) {
    let decoded = Everything::decode(1, bytes);
    match Everything::view(1, bytes) {
        Ok(view) => {
            let _ = format!("{view:?}");
            let shown = Everything::from_view(view);
            assert_eq!(shown.id, 1);
            // Compared by encoding, which tells NaNs apart by their bits.
            assert_eq!(encode(&decoded.expect("the view reads, so decoding does")), encode(&shown));
        }
        Err(Error::Corrupted { collection, .. }) => {
            assert_eq!(collection, "Everything");
            assert!(
                matches!(decoded, Err(Error::Corrupted { .. })),
                "the view failed, decoding gave {decoded:?}"
            );
        }
        Err(other) => panic!("expected Corrupted, got {other:?}"),
    }
}

#[test]
fn a_record_with_a_damaged_tag_is_corrupted() {
    let stored = encode(&Everything { id: 1, ..Default::default() });
    let mut record = record_of(&stored).to_vec();
    record[0] ^= 0xff;
    let error = Everything::decode(1, &sealed(1, &record)).unwrap_err();
    assert!(matches!(error, Error::Corrupted { collection: "Everything", .. }), "{error:?}");
    assert!(error.to_string().contains("unknown layout tag"), "{error}");
}

#[test]
fn nan_and_negative_zero_keep_their_bits() {
    let object =
        Everything { single: f32::NAN, double: -0.0, doubles: vec![f64::NAN, -0.0], ..Default::default() };
    let decoded = Everything::decode(0, &encode(&object)).unwrap();
    assert_eq!(decoded.single.to_bits(), f32::NAN.to_bits());
    assert_eq!(decoded.double.to_bits(), (-0.0f64).to_bits());
    assert_eq!(decoded.doubles[0].to_bits(), f64::NAN.to_bits());
    assert_eq!(decoded.doubles[1].to_bits(), (-0.0f64).to_bits());
}

#[test]
fn ignored_fields_are_not_stored_and_read_as_default() {
    let with_cache = Everything { cache: vec![1, 2, 3], ..Default::default() };
    let record = encode(&with_cache);
    assert_eq!(record, encode(&Everything::default()));
    assert!(Everything::decode(0, &record).unwrap().cache.is_empty());
}

#[test]
fn the_id_is_the_key_not_part_of_the_record() {
    let a = Everything { id: 1, ..Default::default() };
    let b = Everything { id: 2, ..Default::default() };
    let (stored_a, stored_b) = (encode(&a), encode(&b));
    assert_eq!(record_of(&stored_a), record_of(&stored_b));
    assert_eq!(Everything::decode(9, &sealed(9, record_of(&stored_a))).unwrap().id, 9);
    // The check ties the record to its id: found under another id, it is corrupted.
    let error = Everything::decode(2, &stored_a).unwrap_err();
    assert!(error.to_string().contains("fails its check"), "{error}");
}

#[test]
fn enums_are_stored_by_variant_name() {
    let record = encode(&Everything { mood: common::Mood::Neutral, ..Default::default() });
    let tag = variant_tag("meh");
    assert!(record.windows(4).any(|window| window == tag), "the renamed variant's tag is stored");
    let mut other = record_of(&record).to_vec();
    let at = other.windows(4).position(|window| window == tag).unwrap();
    other[at..at + 4].copy_from_slice(&variant_tag("Sad"));
    assert_eq!(Everything::decode(0, &sealed(0, &other)).unwrap().mood, common::Mood::Sad);
}

/// The worked example of `runtime/FORMAT.md`, byte for byte.
#[test]
fn the_format_document_example_holds() {
    use insula::prelude::*;

    #[derive(Collection)]
    struct Note {
        #[id]
        id: Id,
        title: String,
        stars: u32,
    }

    let record = encode(&Note { id: 4, title: "hi".into(), stars: 5 });
    let mut expected = Note::SCHEMA.layout_tag().to_le_bytes().to_vec();
    expected.extend_from_slice(&[5, 0, 0, 0]);
    expected.extend_from_slice(&[16, 0, 0, 0, 2, 0, 0, 0]);
    expected.extend_from_slice(b"hi");
    assert_eq!(record_of(&record), expected);
    // Then the check: xxh3-64 of the record seeded with the id, folded to 32 bits.
    let hash = xxhash_rust::xxh3::xxh3_64_with_seed(&expected, 4);
    assert_eq!(record[expected.len()..], ((hash ^ (hash >> 32)) as u32).to_le_bytes());
}
