//! Index keys at their edges: byte strings with zero bytes and at the length where a key
//! becomes a prefix and a hash, booleans, and composite keys over them. Every query is
//! answered through an index and checked against a plain filter.

use insula::prelude::*;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Blob {
    #[id]
    pub id: Id,
    #[index]
    pub bytes: Vec<u8>,
    #[index]
    pub flag: bool,
    #[index(composite(flag))]
    pub label: String,
}

/// Byte strings around every edge of the key encoding: empty, zero bytes (escaped as
/// `00 01`), `ff`, and lengths 255, 256 and 257 (a key longer than 256 bytes keeps a
/// prefix and a hash).
fn values() -> Vec<Vec<u8>> {
    let mut values = vec![
        vec![],
        vec![0],
        vec![0, 0],
        vec![0, 1],
        vec![0, 2],
        vec![1],
        vec![1, 0],
        vec![1, 0, 0],
        vec![255],
        vec![255, 0],
    ];
    for len in [255, 256, 257, 300] {
        values.push(vec![7; len]);
        let mut zero_tail = vec![7; len];
        zero_tail[len - 1] = 0;
        values.push(zero_tail);
        let mut long_tail = vec![7; len];
        long_tail.push(1);
        values.push(long_tail);
    }
    values
}

#[test]
fn byte_keys_with_zero_bytes_and_long_values_keep_equality_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("key_edges").collection::<Blob>().open(dir.path()).unwrap();
    let mut blobs: Vec<Blob> = values()
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| Blob {
            bytes,
            flag: i % 3 == 0,
            label: ["", "a", "a\0", "b"][i % 4].into(),
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.blobs().put_all(&mut blobs)).unwrap();
    db.blobs().verify().unwrap();

    let ids = |keep: &dyn Fn(&Blob) -> bool| -> Vec<Id> {
        blobs.iter().filter(|b| keep(b)).map(|b| b.id).collect()
    };
    for value in values() {
        let v = value.as_slice();
        let query = db.blobs().query().filter(Blob::BYTES.eq(v));
        let equal = ids(&|b| b.bytes == value);
        // Keys are prefix-free: the index range of a value holds that value's entries
        // only (an unescaped zero byte would let `[1]`'s range take `[1, 0]`'s too).
        let plan = query.explain().unwrap();
        let candidates =
            format!("index `bytes` (equality on bytes; 1 key range, about {} candidates of", equal.len());
        assert!(plan.starts_with(&candidates), "{value:?}: {plan}");
        assert_eq!(query.ids().unwrap(), equal, "eq {value:?}");
        assert_eq!(db.blobs().query().filter(Blob::BYTES.ne(v)).ids().unwrap(), ids(&|b| b.bytes != value));
        let above = db.blobs().query().filter(Blob::BYTES.gt(v));
        assert!(above.explain().unwrap().starts_with("index `bytes`"), "{}", above.explain().unwrap());
        assert_eq!(above.ids().unwrap(), ids(&|b| b.bytes > value), "gt {value:?}");
        assert_eq!(
            db.blobs().query().filter(Blob::BYTES.le(v)).ids().unwrap(),
            ids(&|b| b.bytes <= value),
            "le {value:?}"
        );
        assert_eq!(
            db.blobs().query().filter(Blob::BYTES.lt(v)).ids().unwrap(),
            ids(&|b| b.bytes < value),
            "lt {value:?}"
        );
        assert_eq!(
            db.blobs().query().filter(Blob::BYTES.ge(v)).ids().unwrap(),
            ids(&|b| b.bytes >= value),
            "ge {value:?}"
        );
    }
    // Sorting by bytes goes by the whole value, however long.
    let sorted: Vec<Vec<u8>> = db
        .blobs()
        .query()
        .sort_by(Blob::BYTES.asc())
        .find_all()
        .unwrap()
        .into_iter()
        .map(|b| b.bytes)
        .collect();
    let mut expected = values();
    expected.sort();
    assert_eq!(sorted, expected);
}

#[test]
fn booleans_and_composite_keys_over_strings_with_zero_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("key_bools").collection::<Blob>().open(dir.path()).unwrap();
    let mut blobs: Vec<Blob> = (0..24)
        .map(|i| Blob {
            flag: i % 3 == 0,
            label: ["", "a", "a\0", "a\0b", "b", "\0"][i % 6].into(),
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.blobs().put_all(&mut blobs)).unwrap();
    for flag in [false, true] {
        let query = db.blobs().query().filter(Blob::FLAG.eq(flag));
        assert!(query.explain().unwrap().starts_with("index `flag`"), "{}", query.explain().unwrap());
        let expected: Vec<Id> = blobs.iter().filter(|b| b.flag == flag).map(|b| b.id).collect();
        assert_eq!(query.ids().unwrap(), expected);
        assert_eq!(
            db.blobs().query().filter(Blob::FLAG.ne(flag)).count().unwrap(),
            blobs.len() - expected.len()
        );
        for label in ["", "a", "a\0", "a\0b", "b", "\0", "c"] {
            let both = db.blobs().query().filter(Blob::LABEL.eq(label).and(Blob::FLAG.eq(flag)));
            assert!(
                both.explain()
                    .unwrap()
                    .starts_with("index `label+flag` (equality on label, equality on flag")
            );
            let expected: Vec<Id> =
                blobs.iter().filter(|b| b.label == label && b.flag == flag).map(|b| b.id).collect();
            assert_eq!(both.ids().unwrap(), expected, "{label:?} and {flag}");
            // A prefix of the composite index: the label alone.
            let by_label: Vec<Id> = blobs.iter().filter(|b| b.label == label).map(|b| b.id).collect();
            assert_eq!(db.blobs().query().filter(Blob::LABEL.eq(label)).ids().unwrap(), by_label);
        }
    }
    let trues: Option<bool> = db.blobs().query().filter(Blob::FLAG.eq(true)).max(Blob::FLAG).unwrap();
    assert_eq!(trues, Some(true));
    assert_eq!(db.blobs().query().min(Blob::FLAG).unwrap(), Some(false));
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Unindexed {
    #[id]
    pub id: Id,
    pub bytes: Vec<u8>,
    pub flag: bool,
}

/// Without an index every object is tested on its record, so equality itself decides.
#[test]
fn equality_on_unindexed_bytes_and_booleans_tests_each_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("key_scan").collection::<Unindexed>().open(dir.path()).unwrap();
    let mut objects: Vec<Unindexed> = values()
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| Unindexed { bytes, flag: i % 2 == 0, ..Default::default() })
        .collect();
    db.write_txn_sync(|txn| txn.unindexeds().put_all(&mut objects)).unwrap();
    for value in values() {
        let query = db.unindexeds().query().filter(Unindexed::BYTES.eq(&value));
        assert!(query.explain().unwrap().starts_with("full scan"), "{}", query.explain().unwrap());
        let expected: Vec<Id> = objects.iter().filter(|o| o.bytes == value).map(|o| o.id).collect();
        assert_eq!(query.ids().unwrap(), expected, "{value:?}");
    }
    for flag in [false, true] {
        let expected: Vec<Id> = objects.iter().filter(|o| o.flag == flag).map(|o| o.id).collect();
        assert_eq!(db.unindexeds().query().filter(Unindexed::FLAG.eq(flag)).ids().unwrap(), expected);
    }
}
