//! Embedded structs that hold themselves (`Option<Box<Self>>`): stored, viewed, decoded,
//! queried through `with` at any depth, read by the dynamic reader, written to JSON and
//! read back; nesting past `MAX_NESTING` refused on `put`, and a damaged record that
//! refers to itself read as `Corrupted`, not as a stack overflow.

use crate::common::proptest_config;
use insula::dynamic::{AnyValue, Filter, Reader};
use insula::prelude::*;
use insula::schema::{StoredType, ValueType};
use insula::{Condition, MAX_NESTING};
use proptest::prelude::*;

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Comment {
    pub text: String,
    pub likes: u32,
    pub reply: Option<Box<Comment>>,
    pub tags: Vec<String>,
}

/// Two ways down, so a value is a tree.
#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Tree {
    pub label: String,
    pub left: Option<Box<Tree>>,
    pub right: Option<Box<Tree>>,
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Thread {
    #[id]
    pub id: Id,
    pub first: Comment,
    pub pinned: Option<Box<Comment>>,
    pub tree: Tree,
    pub forest: Vec<Tree>,
}

/// The schema hash is a constant: a cycle in the schema would not evaluate.
const THREAD_HASH: u64 = Thread::SCHEMA.hash();

fn comment(depth: u32) -> impl Strategy<Value = Comment> {
    let leaf = (prop::sample::select(vec!["a", "b", "Ab"]), 0u32..4, prop::collection::vec("[xy]", 0..2))
        .prop_map(|(text, likes, tags)| Comment { text: text.into(), likes, reply: None, tags });
    leaf.prop_recursive(depth, 16, 1, |inner| {
        (prop::sample::select(vec!["a", "b", "Ab"]), 0u32..4, prop::option::of(inner)).prop_map(
            |(text, likes, reply)| Comment {
                text: text.into(),
                likes,
                reply: reply.map(Box::new),
                tags: vec![],
            },
        )
    })
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop::sample::select(vec!["x", "y"])
        .prop_map(|label| Tree { label: label.into(), ..Tree::default() });
    leaf.prop_recursive(4, 24, 2, |inner| {
        (prop::sample::select(vec!["x", "y"]), prop::option::of(inner.clone()), prop::option::of(inner))
            .prop_map(|(label, left, right)| Tree {
                label: label.into(),
                left: left.map(Box::new),
                right: right.map(Box::new),
            })
    })
}

fn thread() -> impl Strategy<Value = Thread> {
    (comment(5), prop::option::of(comment(3)), tree(), prop::collection::vec(tree(), 0..3)).prop_map(
        |(first, pinned, tree, forest)| Thread { id: 0, first, pinned: pinned.map(Box::new), tree, forest },
    )
}

/// A chain of `len` comments, each the reply of the one before.
fn chain(len: usize) -> Comment {
    let mut head = Comment { text: format!("c{}", len - 1), ..Comment::default() };
    for at in (0..len - 1).rev() {
        head = Comment { text: format!("c{at}"), reply: Some(Box::new(head)), ..Comment::default() };
    }
    head
}

/// The comment `depth` replies below `comment`, if the chain is that long.
fn reply_at(comment: &Comment, depth: usize) -> Option<&Comment> {
    (0..depth).try_fold(comment, |comment, _| comment.reply.as_deref())
}

/// `Comment::REPLY.with(..)` `depth` times around `condition`.
fn at_depth(depth: usize, condition: Condition<Comment>) -> Condition<Comment> {
    (0..depth).fold(condition, |condition, _| Comment::REPLY.with(condition))
}

#[test]
fn the_schema_names_the_struct_around_it_and_stays_finite() {
    let ValueType::Embedded(schema) = Thread::SCHEMA.field("first").unwrap().ty else {
        panic!("not embedded")
    };
    let reply = schema.fields.iter().find(|field| field.name == "reply").unwrap();
    assert_eq!((reply.ty, reply.nullable), (ValueType::Recursive, true));
    // `pinned` is a `Box` of another struct, not itself: stored as that struct.
    assert!(matches!(Thread::SCHEMA.field("pinned").unwrap().ty, ValueType::Embedded(_)));
    let text = StoredType::from(&Thread::SCHEMA.field("tree").unwrap().ty).to_string();
    assert_eq!(text, "embedded Tree { label: string, left: self?, right: self? }");
    assert_eq!(StoredType::parse(&text).unwrap().to_string(), text);
    assert_eq!(THREAD_HASH, Thread::SCHEMA.hash());
    assert_ne!(Thread::SCHEMA.layout_tag(), 0);
}

#[test]
fn objects_come_back_whole_through_get_views_and_queries() {
    let db = Db::builder().collection::<Thread>().open_in_memory().unwrap();
    let mut threads = vec![
        Thread { first: chain(5), tree: Tree::default(), ..Thread::default() },
        Thread { first: chain(1), pinned: Some(Box::new(chain(3))), ..Thread::default() },
    ];
    db.write_txn_sync(|txn| txn.threads().put_all(&mut threads)).unwrap();
    assert_eq!(db.threads().get(1).unwrap().as_ref(), Some(&threads[0]));
    assert_eq!(db.threads().query().find_all().unwrap(), threads);
    let texts = db.threads().with_view(1, |view| {
        let mut comment = view.first();
        let mut texts = vec![comment.text().to_owned()];
        while let Some(reply) = comment.reply() {
            comment = reply.get();
            texts.push(comment.text().to_owned());
        }
        texts
    });
    assert_eq!(texts.unwrap().unwrap(), ["c0", "c1", "c2", "c3", "c4"]);
    let pinned = db
        .threads()
        .with_view(2, |view| view.pinned().unwrap().get().reply().unwrap().get().text().to_owned());
    assert_eq!(pinned.unwrap().unwrap(), "c1");
}

proptest! {
    #![proptest_config(proptest_config(24))]

    /// Whatever the shape, a stored thread reads back equal (decoded, and from its view),
    /// and a `with` chain of any depth finds what a plain walk of the objects finds.
    #[test]
    fn conditions_at_any_depth_match_a_plain_walk(threads in prop::collection::vec(thread(), 1..12)) {
        let db = Db::builder().collection::<Thread>().open_in_memory().unwrap();
        let mut stored = threads.clone();
        db.write_txn_sync(|txn| txn.threads().put_all(&mut stored)).unwrap();
        let all = db.threads().query().find_all().unwrap();
        prop_assert_eq!(&all, &stored);
        let viewed: Vec<Thread> = (1..=stored.len() as u64)
            .map(|id| db.threads().with_view(id, Thread::from_view).unwrap().unwrap())
            .collect();
        prop_assert_eq!(&viewed, &stored);
        for depth in 0..5 {
            for text in ["a", "b"] {
                let condition = Thread::FIRST.with(at_depth(depth, Comment::TEXT.eq(text)));
                let expected: Vec<Id> = stored.iter()
                    .filter(|thread| reply_at(&thread.first, depth).is_some_and(|comment| comment.text == text))
                    .map(|thread| thread.id)
                    .collect();
                prop_assert_eq!(db.threads().query().filter(condition).ids().unwrap(), expected, "depth {}", depth);
            }
            let ends = Thread::PINNED.with(at_depth(depth, Comment::REPLY.is_none()));
            let expected: Vec<Id> = stored.iter()
                .filter(|thread| thread.pinned.as_deref().and_then(|pinned| reply_at(pinned, depth)).is_some_and(|comment| comment.reply.is_none()))
                .map(|thread| thread.id)
                .collect();
            prop_assert_eq!(db.threads().query().filter(ends).ids().unwrap(), expected, "pinned, depth {}", depth);
        }
        let left_y = Thread::TREE.with(Tree::LEFT.with(Tree::LABEL.eq("y")).or(Tree::RIGHT.with(Tree::RIGHT.with(Tree::LABEL.eq("y")))));
        let expected: Vec<Id> = stored.iter()
            .filter(|thread| {
                let tree = &thread.tree;
                tree.left.as_ref().is_some_and(|left| left.label == "y")
                    || tree.right.as_ref().and_then(|right| right.right.as_ref()).is_some_and(|right| right.label == "y")
            })
            .map(|thread| thread.id)
            .collect();
        prop_assert_eq!(db.threads().query().filter(left_y).ids().unwrap(), expected);
    }
}

#[test]
fn the_dynamic_reader_and_json_read_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let name = "recursive-dynamic";
    let mut threads = vec![
        Thread {
            first: chain(4),
            tree: Tree {
                label: "root".into(),
                right: Some(Box::new(Tree { label: "r".into(), ..Tree::default() })),
                ..Tree::default()
            },
            ..Thread::default()
        },
        Thread {
            first: chain(2),
            pinned: Some(Box::new(chain(2))),
            forest: vec![Tree::default()],
            ..Thread::default()
        },
    ];
    let mut json = Vec::new();
    {
        let db = Db::builder().name(name).collection::<Thread>().open(dir.path()).unwrap();
        db.write_txn_sync(|txn| txn.threads().put_all(&mut threads)).unwrap();
        db.threads().query().export_json(&mut json).unwrap();
    }
    let snapshot = Reader::open(dir.path().join(format!("{name}.insula"))).unwrap().read().unwrap();
    let first = snapshot.get("Thread", 1).unwrap().unwrap();
    let fields = &first.fields;
    // first.reply.reply.reply.text is "c3", and its reply is `None`.
    let mut comment = field(fields, "first");
    for _ in 0..3 {
        comment = field(comment_fields(comment), "reply");
    }
    assert_eq!(field(comment_fields(comment), "text"), &AnyValue::String("c3".into()));
    assert_eq!(field(comment_fields(comment), "reply"), &AnyValue::Null);
    snapshot.verify("Thread").unwrap();
    let filter =
        Filter::parse(r#"first.reply.reply.text = "c2" and first.reply.reply.reply.reply = none"#).unwrap();
    let found: Vec<Id> =
        snapshot.query("Thread", &filter).unwrap().map(|object| object.unwrap().id).collect();
    assert_eq!(found, [1]);
    let mut exported = Vec::new();
    snapshot.export_json("Thread", None, &mut exported).unwrap();

    // Exported from the typed side and from the file alike; imported into a fresh
    // instance: the same objects.
    assert_eq!(exported, json);
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(text.contains(r#""reply":{"likes":0,"reply":{"likes":0,"reply":{"#), "{text}");
    let copy = Db::builder().collection::<Thread>().open_in_memory().unwrap();
    let imported = copy.write_txn_sync(|txn| txn.threads().import_json(&json[..])).unwrap();
    assert_eq!(imported, 2);
    assert_eq!(copy.threads().query().find_all().unwrap(), threads);
}

fn field<'v>(fields: &'v [(String, AnyValue)], name: &str) -> &'v AnyValue {
    &fields.iter().find(|(field, _)| field == name).unwrap().1
}

fn comment_fields(value: &AnyValue) -> &[(String, AnyValue)] {
    match value {
        AnyValue::Embedded(fields) => fields,
        other => panic!("not an embedded struct: {other:?}"),
    }
}

#[test]
fn nesting_past_the_limit_is_refused_and_nothing_is_written() {
    let db = Db::builder().collection::<Thread>().open_in_memory().unwrap();
    // `first` itself is not boxed: MAX_NESTING boxes below it are the most.
    let mut deepest = Thread { first: chain(MAX_NESTING + 1), ..Thread::default() };
    db.write_txn_sync(|txn| txn.threads().put(&mut deepest)).unwrap();
    assert_eq!(db.threads().get(deepest.id).unwrap(), Some(deepest.clone()));

    let mut deeper = Thread { first: chain(MAX_NESTING + 2), ..Thread::default() };
    let result = db.write_txn_sync(|txn| txn.threads().put(&mut deeper));
    assert!(matches!(result, Err(insula::Error::TooDeep { collection: "Thread" })), "{result:?}");
    assert_eq!(db.threads().count().unwrap(), 1);
    // The thread's flag was taken by the refusal: the next put is not refused for it.
    let mut shallow = Thread::default();
    db.write_txn_sync(|txn| txn.threads().put(&mut shallow)).unwrap();
    assert_eq!(db.threads().count().unwrap(), 2);

    // JSON import refuses it too, whole: nothing of the batch is written.
    let nested = |levels: usize| {
        let mut comment = r#"{"text":"end"}"#.to_owned();
        for _ in 0..levels {
            comment = format!(r#"{{"text":"c","reply":{comment}}}"#);
        }
        format!(r#"[{{"tree":{{}}}},{{"first":{comment}}}]"#)
    };
    let imported = db.write_txn_sync(|txn| txn.threads().import_json(nested(MAX_NESTING).as_bytes()));
    assert_eq!(imported.unwrap(), 2);
    let refused = db.write_txn_sync(|txn| txn.threads().import_json(nested(MAX_NESTING + 1).as_bytes()));
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("deeper than 100 levels"), "{message}");
    assert_eq!(db.threads().count().unwrap(), 4);
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Chain {
    #[id]
    pub id: Id,
    pub head: Comment,
}

/// A record whose comment's `reply` refers to that comment itself: a cycle that no
/// encoder writes, and that a reader without a limit would follow until the stack ran
/// out. Its check is made anew, so only the reader's own rules can catch it.
#[test]
fn a_record_that_refers_to_itself_reads_as_corrupted() {
    use redb::ReadableDatabase;
    let dir = tempfile::tempdir().unwrap();
    let name = "recursive-cycle";
    let path = dir.path().join(format!("{name}.insula"));
    {
        let db = Db::builder().name(name).collection::<Chain>().open(dir.path()).unwrap();
        let mut chain = Chain { id: 0, head: chain(2) };
        db.write_txn_sync(|txn| txn.chains().put(&mut chain)).unwrap();
    }
    {
        let raw = redb::Database::open(&path).unwrap();
        let table = redb::TableDefinition::<u64, &[u8]>::new("insula:c:Chain");
        let mut record = {
            let txn = raw.begin_read().unwrap();
            let stored = txn.open_table(table).unwrap().get(1).unwrap().unwrap().value().to_vec();
            stored[..stored.len() - insula::__private_0_1::CHECK_WIDTH].to_vec()
        };
        // The chain's one slot refers to the head comment's record; the comment's slots
        // are likes (4 bytes), then reply (a tag byte and a reference), tags and text.
        let at = u32::from_le_bytes(record[4..8].try_into().unwrap()) as usize;
        let len = u32::from_le_bytes(record[8..12].try_into().unwrap());
        let reply = at + 4 + 4;
        assert_eq!(record[reply], 1, "the head has a reply");
        record[reply + 1..reply + 5].copy_from_slice(&0u32.to_le_bytes());
        record[reply + 5..reply + 9].copy_from_slice(&len.to_le_bytes());
        insula::__private_0_1::seal(1, &mut record);
        let txn = raw.begin_write().unwrap();
        txn.open_table(table).unwrap().insert(1, &record[..]).unwrap();
        txn.commit().unwrap();
    }
    // Each reader on a thread of its own, with a small stack: the limit, not the stack's
    // size, has to stop it.
    let read = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let db = Db::builder().name(name).collection::<Chain>().open(dir.path()).unwrap();
            let typed = db.chains().get(1);
            let viewed = db.chains().with_view(1, |view| view.head().text().to_owned());
            drop(db);
            let snapshot = Reader::open(&path).unwrap().read().unwrap();
            let dynamic = snapshot.get("Chain", 1).map(|object| object.is_some());
            (typed, viewed, dynamic)
        })
        .unwrap()
        .join()
        .expect("the reader overflowed its stack or panicked");
    let corrupted = |result: &str| result.contains("Corrupted") || result.contains("corrupted");
    assert!(matches!(read.0, Err(insula::Error::Corrupted { .. })), "{:?}", read.0);
    assert!(matches!(read.1, Err(insula::Error::Corrupted { .. })), "{:?}", read.1);
    assert!(corrupted(&format!("{:?}", read.2)), "{:?}", read.2);
}
