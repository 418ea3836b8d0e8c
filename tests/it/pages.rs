//! Keyset pages and the query iterator: every order a query can have, paged while
//! objects are inserted, deleted and edited between pages; a cursor of another order
//! refused; the iterator against `find_all`.

use insula::prelude::*;
use insula::{Cursor, Error, Sort};
use std::collections::{BTreeMap, HashSet};

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Post {
    #[id]
    pub id: Id,
    #[index]
    pub score: i32,
    pub name: String,
    pub group: u8,
}

fn post(n: u64) -> Post {
    Post {
        id: 0,
        score: (n * 37 % 101) as i32 - 50,
        name: format!("name{}", n * 53 % 97),
        group: (n % 3) as u8,
    }
}

fn open() -> Db {
    let db = Db::builder().collection::<Post>().open_in_memory().unwrap();
    let mut entries: Vec<Post> = (0..500).map(post).collect();
    db.write_txn_sync(|txn| txn.posts().put_all(&mut entries)).unwrap();
    db
}

/// The orders the test pages in, with a model of each.
type Order = (&'static str, fn() -> Vec<Sort<Post>>, fn(&Post, &Post) -> std::cmp::Ordering);

const ORDERS: [Order; 6] = [
    ("id order", Vec::new, |a, b| a.id.cmp(&b.id)),
    ("id descending", || vec![Post::ID.desc()], |a, b| b.id.cmp(&a.id)),
    (
        "indexed score, ascending",
        || vec![Post::SCORE.asc()],
        |a, b| a.score.cmp(&b.score).then(a.id.cmp(&b.id)),
    ),
    (
        "indexed score, descending",
        || vec![Post::SCORE.desc()],
        |a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)),
    ),
    ("name, not indexed", || vec![Post::NAME.asc()], |a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
    (
        "group then score descending",
        || vec![Post::GROUP.asc(), Post::SCORE.desc()],
        |a, b| a.group.cmp(&b.group).then(b.score.cmp(&a.score)).then(a.id.cmp(&b.id)),
    ),
];

#[test]
fn pages_stay_correct_while_objects_change_between_them() {
    for (name, sorts, model_order) in ORDERS {
        let db = open();
        let query = |cursor: Option<&Cursor>| {
            let mut query = db.posts().query().filter(Post::SCORE.ne(0));
            for sort in sorts() {
                query = query.sort_by(sort);
            }
            match cursor {
                Some(cursor) => query.after(cursor),
                None => query,
            }
        };
        // The objects no write touches: each must come exactly once, in order.
        let mut untouched: BTreeMap<Id, Post> =
            db.posts().query().find_all().unwrap().into_iter().map(|e| (e.id, e)).collect();
        let (mut seen, mut cursor, mut pages, mut n) = (Vec::<Post>::new(), None, 0, 1000);
        loop {
            let page = query(cursor.as_ref()).page(37).unwrap();
            assert!(page.items.len() <= 37);
            seen.extend(page.items);
            pages += 1;
            let Some(next) = page.next else { break };
            assert_eq!(Some(next.id()), seen.last().map(|entry| entry.id));
            cursor = Some(next);
            // Between pages: two inserts, a delete, and an edit that moves an object.
            db.write_txn_sync(|txn| {
                let entries = txn.posts();
                for _ in 0..2 {
                    n += 1;
                    entries.put(&mut post(n))?;
                }
                let ids: Vec<Id> = untouched.keys().copied().collect();
                let gone = ids[(n as usize * 7) % ids.len()];
                entries.delete(gone)?;
                untouched.remove(&gone);
                let moved = ids[(n as usize * 13) % ids.len()];
                if let Some(mut object) = entries.get(moved)? {
                    object.score = -object.score;
                    object.name = format!("moved{n}");
                    entries.put(&mut object)?;
                    untouched.remove(&moved);
                }
                Ok(())
            })
            .unwrap();
        }
        assert!(pages > 10, "{name}: {pages} pages");
        // An object an edit moved across the cursor may come twice; no other does.
        let mut ids = HashSet::new();
        for entry in seen.iter().filter(|entry| untouched.contains_key(&entry.id)) {
            assert!(ids.insert(entry.id), "{name}: object {} came twice", entry.id);
        }
        let expected: Vec<&Post> = untouched.values().filter(|entry| entry.score != 0).collect();
        let stable: Vec<&Post> = seen.iter().filter(|entry| untouched.contains_key(&entry.id)).collect();
        assert_eq!(stable.len(), expected.len(), "{name}: an untouched object was missed");
        assert!(stable.is_sorted_by(|a, b| model_order(a, b).is_lt()), "{name}: out of order");
    }
}

#[test]
fn a_late_page_starts_at_its_cursor() {
    let db = open();
    let page = db.posts().query().page(400).unwrap();
    let next = db.posts().query().after(page.next.as_ref().unwrap());
    let plan = next.explain().unwrap();
    assert!(plan.starts_with("scan of ids 401..="), "{plan}");
    let back = db.posts().query().sort_by(Post::ID.desc()).page(100).unwrap();
    let plan =
        db.posts().query().sort_by(Post::ID.desc()).after(back.next.as_ref().unwrap()).explain().unwrap();
    assert!(plan.starts_with("scan of ids 0..=400"), "{plan}");
    assert_eq!(next.count().unwrap(), 100);

    let by_score = || db.posts().query().sort_by(Post::SCORE.desc());
    let page = by_score().page(400).unwrap();
    let next = by_score().after(page.next.as_ref().unwrap());
    let plan = next.explain().unwrap();
    assert!(
        plan.starts_with("index `score` (the entries after the cursor, for the order of score"),
        "{plan}"
    );
    let rest = next.find_all().unwrap();
    assert_eq!(rest.len(), 100);
    let all = by_score().find_all().unwrap();
    assert_eq!(rest, all[400..]);
    // The last page says so.
    assert_eq!(by_score().after(page.next.as_ref().unwrap()).page(100).unwrap().next, None);
}

#[test]
fn a_cursor_fits_only_a_query_in_its_order() {
    let db = open();
    let page = db.posts().query().sort_by(Post::SCORE.asc()).page(10).unwrap();
    let cursor = page.next.unwrap();
    let other = db.posts().query().sort_by(Post::SCORE.desc()).after(&cursor).page(10);
    assert!(matches!(&other, Err(Error::InvalidFilter { field, .. }) if field == "cursor"), "{other:?}");
    // A sort added after the cursor changes the order too.
    let later =
        db.posts().query().sort_by(Post::SCORE.asc()).after(&cursor).sort_by(Post::NAME.asc()).count();
    assert!(matches!(later, Err(Error::InvalidFilter { .. })), "{later:?}");
}

#[test]
fn the_iterator_gives_what_find_all_gives() {
    let db = Db::builder().collection::<Post>().open_in_memory().unwrap();
    let mut entries: Vec<Post> = (0..3000).map(post).collect();
    db.write_txn_sync(|txn| txn.posts().put_all(&mut entries)).unwrap();
    db.read_txn_sync(|txn| {
        let queries = [
            txn.posts().query().filter(Post::GROUP.ne(1)),
            txn.posts().query().sort_by(Post::NAME.desc()),
            txn.posts().query().sort_by(Post::SCORE.asc()).offset(5).limit(1000),
            txn.posts().query().filter(Post::SCORE.gt(10)).sort_by(Post::GROUP.asc()).limit(257),
        ];
        for query in queries {
            let all = query.find_all()?;
            let iterated = query.iter().collect::<insula::Result<Vec<_>>>()?;
            assert_eq!(iterated.len(), all.len(), "{query:?}");
            assert!(iterated == all, "{query:?}");
            let first: Vec<Post> = query.iter().take(3).collect::<insula::Result<_>>()?;
            assert_eq!(first, all[..3]);
        }
        Ok(())
    })
    .unwrap();

    // In a write transaction, objects put while iterating come at most once.
    db.write_txn_sync(|txn| {
        let query = txn.posts().query().sort_by(Post::SCORE.asc());
        let mut ids = HashSet::new();
        for (n, entry) in query.iter().enumerate() {
            assert!(ids.insert(entry?.id));
            if n % 500 == 0 {
                txn.posts().put(&mut Post { score: 100 + n as i32, ..Default::default() })?;
            }
        }
        assert!(ids.len() >= 3000);
        Ok(())
    })
    .unwrap();
}
