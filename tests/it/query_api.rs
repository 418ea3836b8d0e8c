//! The query API beyond the model test: what the planner chooses and says, every
//! terminal, queries in transactions, `get_by`/`delete_by`, `verify`, and query
//! watchers.

use insula::Error;
use insula::prelude::*;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::Duration;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Message {
    #[id]
    pub id: Id,
    #[index]
    pub author: String,
    pub content: String,
    #[index]
    pub created_at: i64,
    pub likes: u32,
    #[index(composite(likes))]
    pub channel: u8,
    #[index]
    pub tags: Vec<String>,
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct User {
    #[id]
    pub id: Id,
    #[index(unique)]
    pub email: String,
    pub name: String,
}

/// Each test opens its own instance name: names are process-wide.
fn open(dir: &tempfile::TempDir, name: &str) -> Db {
    let db = Db::builder().name(name).collection::<Message>().collection::<User>().open(dir.path()).unwrap();
    let mut batch: Vec<Message> = (0..1000)
        .map(|i| Message {
            author: format!("author{}", i % 50),
            content: format!("message {i}"),
            created_at: 1_000 + i,
            likes: (i % 7) as u32,
            channel: (i % 4) as u8,
            tags: if i % 10 == 0 { vec!["news".into()] } else { vec![] },
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.messages().put_all(&mut batch)).unwrap();
    db
}

#[test]
fn the_planner_uses_the_most_selective_index_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "planner");
    let messages = db.messages();

    let by_author = messages.query().filter(Message::AUTHOR.eq("author7"));
    let plan = by_author.explain().unwrap();
    assert!(
        plan.starts_with("index `author` (equality on author; 1 key range, about 20 candidates of 1000)"),
        "{plan}"
    );
    assert_eq!(by_author.count().unwrap(), 20);

    // `created_at` narrows to 5, `author` to 20: the planner takes the smaller.
    let both =
        messages.query().filter(Message::AUTHOR.eq("author7").and(Message::CREATED_AT.between(1_000, 1_004)));
    let plan = both.explain().unwrap();
    assert!(plan.starts_with("index `created_at` (range on created_at"), "{plan}");
    assert_eq!(both.ids().unwrap(), Vec::<Id>::new(), "author7 wrote ids 8, 58, ..; none in 1..=5");

    // A prefix of a composite index.
    let composite = messages.query().filter(Message::CHANNEL.eq(2).and(Message::LIKES.ge(5)));
    let plan = composite.explain().unwrap();
    assert!(plan.starts_with("index `channel+likes` (equality on channel, range on likes"), "{plan}");
    let expected = (0..1000).filter(|i| i % 4 == 2 && i % 7 >= 5).count();
    assert_eq!(composite.count().unwrap(), expected);

    // A multi-entry index answers `contains`.
    let news = messages.query().filter(Message::TAGS.contains("news"));
    assert!(news.explain().unwrap().starts_with("index `tags` (equality on tags"));
    assert_eq!(news.count().unwrap(), 100);

    // No usable index: one scan, testing records in place.
    let scan = messages.query().filter(Message::LIKES.gt(5));
    let plan = scan.explain().unwrap();
    assert!(
        plan.starts_with(
            "full scan of the 1000 objects of `Message`; test each candidate on its stored record: likes > 5"
        ),
        "{plan}"
    );
    assert_eq!(scan.count().unwrap(), (0..1000).filter(|i| i % 7 > 5).count());

    // Conditions on the id bound the scan.
    let ids = messages.query().filter(Message::ID.between(10, 19));
    assert!(ids.explain().unwrap().starts_with("scan of ids 10..=19"), "{}", ids.explain().unwrap());
    assert_eq!(ids.ids().unwrap(), (10..=19).collect::<Vec<Id>>());
}

#[test]
fn a_sort_with_a_limit_walks_the_index_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "sorted");
    let latest = db.messages().query().sort_by(Message::CREATED_AT.desc()).limit(3);
    let plan = latest.explain().unwrap();
    assert!(plan.contains("index `created_at` (every entry, for the order of created_at"), "{plan}");
    assert!(plan.contains("already in the order of created_at desc (no sort)"), "{plan}");
    let found: Vec<i64> = latest.find_all().unwrap().iter().map(|m| m.created_at).collect();
    assert_eq!(found, [1_999, 1_998, 1_997]);

    // A sort the index cannot give is done in memory, ties by id.
    let by_likes = db
        .messages()
        .query()
        .filter(Message::AUTHOR.eq("author1"))
        .sort_by(Message::LIKES.desc())
        .offset(1)
        .limit(2);
    assert!(by_likes.explain().unwrap().contains("sort the matches by likes desc, then id"));
    let mut expected: Vec<(u32, Id)> =
        (0..1000u64).filter(|i| i % 50 == 1).map(|i| ((i % 7) as u32, i + 1)).collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let found: Vec<(u32, Id)> = by_likes.find_all().unwrap().iter().map(|m| (m.likes, m.id)).collect();
    assert_eq!(found, expected[1..3]);
}

#[test]
fn terminals() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "terminals");
    let author3 = || db.messages().query().filter(Message::AUTHOR.eq("author3"));
    assert_eq!(author3().find_first().unwrap().unwrap().id, 4);
    assert!(author3().exists().unwrap());
    assert!(!db.messages().query().filter(Message::AUTHOR.eq("nobody")).exists().unwrap());
    assert_eq!(author3().min(Message::CREATED_AT).unwrap(), Some(1_003));
    assert_eq!(author3().max(Message::CREATED_AT).unwrap(), Some(1_953));
    let likes: Vec<u32> = (0..1000u32).filter(|i| i % 50 == 3).map(|i| i % 7).collect();
    assert_eq!(author3().sum(Message::LIKES).unwrap(), f64::from(likes.iter().sum::<u32>()));
    let mean = f64::from(likes.iter().sum::<u32>()) / likes.len() as f64;
    assert_eq!(author3().avg(Message::LIKES).unwrap(), Some(mean));
    assert_eq!(db.messages().query().filter(Message::AUTHOR.eq("nobody")).avg(Message::LIKES).unwrap(), None);

    // distinct_by keeps the first of each value in the query's order.
    let channels: Vec<u8> = db
        .messages()
        .query()
        .distinct_by(Message::CHANNEL)
        .find_all()
        .unwrap()
        .iter()
        .map(|m| m.channel)
        .collect();
    assert_eq!(channels, [0, 1, 2, 3]);

    // A closure filter on the zero-copy view, for what conditions cannot say.
    let long =
        db.messages().query().filter(Message::CHANNEL.eq(0)).filter_view(|view| view.content().len() == 11);
    assert!(long.explain().unwrap().contains("1 closure filter(s) on the view"));
    assert_eq!(long.count().unwrap(), (100..1000).filter(|i| i % 4 == 0).count());
}

#[test]
fn queries_in_transactions_and_delete_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "in_txn");
    let deleted = db
        .write_txn_sync(|txn| {
            let messages = txn.messages();
            messages.put(&mut Message { author: "fresh".into(), ..Default::default() })?;
            assert_eq!(
                messages.query().filter(Message::AUTHOR.eq("fresh")).count()?,
                1,
                "a write sees its own writes"
            );
            messages.query().filter(Message::CHANNEL.eq(1)).delete_all()
        })
        .unwrap();
    assert_eq!(deleted, 250);
    assert_eq!(db.messages().count().unwrap(), 751);
    db.messages().verify().unwrap();
    let snapshot =
        db.read_txn_sync(|txn| txn.messages().query().filter(Message::CHANNEL.eq(1)).count()).unwrap();
    assert_eq!(snapshot, 0);
}

#[test]
fn get_by_and_delete_by_a_unique_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "by_unique");
    let mut ada = User { email: "ada@example.com".into(), name: "Ada".into(), ..Default::default() };
    db.write_txn_sync(|txn| txn.users().put(&mut ada)).unwrap();
    assert_eq!(db.users().get_by(User::EMAIL, "ada@example.com").unwrap(), Some(ada.clone()));
    assert!(
        db.users()
            .query()
            .filter(User::EMAIL.eq("ada@example.com"))
            .explain()
            .unwrap()
            .starts_with("index `email`")
    );
    assert_eq!(db.users().get_by(User::EMAIL, "bob@example.com").unwrap(), None);
    let deleted = db.write_txn_sync(|txn| txn.users().delete_by(User::EMAIL, "ada@example.com")).unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(db.users().count().unwrap(), 0);
}

#[test]
fn verify_finds_an_index_that_disagrees_with_the_objects() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let db = open(&dir, "verify");
        db.messages().verify().unwrap();
        db.path().to_owned()
    };
    // Remove one index entry behind Insula's back.
    {
        let raw = redb::Database::open(&path).unwrap();
        let txn = raw.begin_write().unwrap();
        {
            let definition: redb::TableDefinition<&[u8], ()> =
                redb::TableDefinition::new("insula:i:Message:author");
            let mut table = txn.open_table(definition).unwrap();
            let first = redb::ReadableTable::first(&table).unwrap().unwrap().0.value().to_vec();
            table.remove(first.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let db =
        Db::builder().name("verify").collection::<Message>().collection::<User>().open(dir.path()).unwrap();
    let error = db.messages().verify().unwrap_err();
    assert!(
        matches!(&error, Error::IndexInconsistent { collection, index, .. } if collection == "Message" && index == "author"),
        "{error:?}"
    );
    assert!(error.to_string().contains("lacks its entry"), "{error}");
}

#[test]
fn a_query_watcher_fires_when_a_match_changes_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "query_watch");
    let top = db
        .messages()
        .query()
        .filter(Message::AUTHOR.eq("author5"))
        .sort_by(Message::LIKES.desc())
        .limit(2)
        .watch();
    let lazy = db.messages().query().filter(Message::AUTHOR.eq("author5")).watch_lazy();

    // Not a match before or after: nothing.
    let mut other = db.messages().get(1).unwrap().unwrap();
    other.likes = 100;
    db.write_txn_sync(|txn| txn.messages().put(&mut other)).unwrap();
    assert_eq!(lazy.recv_timeout(Duration::from_millis(150)), Err(RecvTimeoutError::Timeout));
    assert_eq!(top.try_recv().map(|_| ()), Err(TryRecvError::Empty));

    // A match after: the new results.
    other.author = "author5".into();
    db.write_txn_sync(|txn| txn.messages().put(&mut other)).unwrap();
    lazy.recv_timeout(Duration::from_secs(10)).unwrap();
    let results = top.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(results[0].id, 1);
    assert_eq!(results.len(), 2);

    // A match before that no longer matches: fires too.
    other.author = "author9".into();
    db.write_txn_sync(|txn| txn.messages().put(&mut other)).unwrap();
    lazy.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(top.recv_timeout(Duration::from_secs(10)).unwrap().iter().all(|m| m.id != 1));
}

/// A query watcher sends results only when they change: an edit to a match outside its
/// limit, or a put that stores the same bytes, sends nothing, while the lazy watcher of
/// the same conditions (which promises only that a match changed) fires.
#[test]
fn a_query_watcher_fires_only_when_what_it_returns_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "visible_results");
    let query = || db.messages().query().filter(Message::AUTHOR.eq("author5")).sort_by(Message::LIKES.desc());
    let ranked = query().find_all().unwrap();
    assert!(ranked.len() >= 3, "{ranked:?}");
    let top = query().limit(2).watch();
    let lazy = query().watch_lazy();
    let quiet = |what: &str| {
        lazy.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(
            top.recv_timeout(Duration::from_millis(150)).map(|_| ()),
            Err(RecvTimeoutError::Timeout),
            "{what}"
        );
    };

    let mut third = ranked[2].clone();
    third.content = "edited outside the top two".into();
    db.write_txn_sync(|txn| txn.messages().put(&mut third)).unwrap();
    quiet("an edit outside the limit");
    let mut first = ranked[0].clone();
    db.write_txn_sync(|txn| txn.messages().put(&mut first)).unwrap();
    quiet("the same object stored again");

    first.content = "edited in the top two".into();
    db.write_txn_sync(|txn| txn.messages().put(&mut first)).unwrap();
    let results = top.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(results[0].content, "edited in the top two");
    third.likes = ranked[0].likes + 1;
    db.write_txn_sync(|txn| txn.messages().put(&mut third)).unwrap();
    let results = top.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(results.iter().map(|m| m.id).collect::<Vec<_>>(), [third.id, first.id]);
}

#[test]
fn any_of_with_repeats_and_sorts_over_composite_indexes_keep_their_contracts() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "contracts");
    // A repeated value does not repeat results, even when an index is walked in order.
    let repeated = db
        .messages()
        .query()
        .filter(Message::CREATED_AT.any_of([1_005, 1_005, 1_007]))
        .sort_by(Message::CREATED_AT.asc());
    assert_eq!(repeated.ids().unwrap(), [6, 8]);
    // Ties of a sort go by id, even when a composite index starts with the sort field.
    let by_channel: Vec<(u8, Id)> = db
        .messages()
        .query()
        .sort_by(Message::CHANNEL.asc())
        .limit(3)
        .find_all()
        .unwrap()
        .iter()
        .map(|m| (m.channel, m.id))
        .collect();
    assert_eq!(by_channel, [(0, 1), (0, 5), (0, 9)]);
}

#[test]
fn a_panicking_view_filter_in_a_query_watcher_harms_no_writer() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "panicky");
    // The filter fails on the object the writer is about to store.
    let _watcher = db
        .messages()
        .query()
        .filter_view(|view| if view.author() == "after" { panic!("a filter's own bug") } else { true })
        .watch();
    let plain = db.messages().watch_lazy();
    let mut message = Message { author: "after".into(), ..Default::default() };
    db.write_txn_sync(|txn| txn.messages().put(&mut message)).unwrap();
    plain.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(db.messages().get(message.id).unwrap().unwrap().author, "after");
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Profile {
    #[id]
    id: Id,
    #[index]
    nick: Option<String>,
    bio: Option<String>,
}

/// String conditions on `Option<String>` fields, indexed or not, give what a filter of the
/// same objects in memory gives; `None` matches none of them.
#[test]
fn string_conditions_on_optional_strings_match_a_plain_filter() {
    let long = "x".repeat(300);
    let texts: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("ada".into()),
        Some("adam".into()),
        Some("bada".into()),
        Some("Ada".into()),
        Some("été".into()),
        Some(format!("{long}a")),
        Some(format!("{long}b")),
        Some("a\0b".into()),
    ];
    let db = Db::builder().collection::<Profile>().open_in_memory().unwrap();
    let mut profiles: Vec<Profile> = texts
        .iter()
        .enumerate()
        .map(|(at, nick)| Profile { id: 0, nick: nick.clone(), bio: texts[(at + 3) % texts.len()].clone() })
        .collect();
    db.write_txn_sync(|txn| txn.profiles().put_all(&mut profiles)).unwrap();
    let patterns = ["", "a", "ad", "ada", "da", "é", "\0", "x", long.as_str(), &format!("{long}a")];
    type Test = fn(&str, &str) -> bool;
    let tests: [(&str, Test); 3] = [
        ("starts_with", |s, p| s.starts_with(p)),
        ("ends_with", |s, p| s.ends_with(p)),
        ("contains", |s, p| s.contains(p)),
    ];
    for pattern in patterns {
        for (name, test) in tests {
            for indexed in [true, false] {
                let field = if indexed { Profile::NICK } else { Profile::BIO };
                let condition = match name {
                    "starts_with" => field.starts_with(pattern),
                    "ends_with" => field.ends_with(pattern),
                    _ => field.contains(pattern),
                };
                let expected: Vec<Id> = profiles
                    .iter()
                    .filter(|profile| {
                        let value = if indexed { &profile.nick } else { &profile.bio };
                        value.as_deref().is_some_and(|value| test(value, pattern))
                    })
                    .map(|profile| profile.id)
                    .collect();
                let found = db.profiles().query().filter(condition).ids().unwrap();
                assert_eq!(found, expected, "{name} {pattern:?} on {}", if indexed { "nick" } else { "bio" });
            }
        }
    }
    let plan = db.profiles().query().filter(Profile::NICK.starts_with("ad")).explain().unwrap();
    assert!(plan.starts_with("index `nick`"), "{plan}");
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Scored {
    #[id]
    id: Id,
    score: Option<u32>,
    weight: Option<f64>,
    group: u8,
}

/// Aggregates leave `None` out, as SQL leaves out `NULL`.
#[test]
fn aggregates_of_optional_fields_skip_none() {
    let db = Db::builder().collection::<Scored>().open_in_memory().unwrap();
    let scores = [None, Some(5), Some(2), None, Some(9)];
    let mut objects: Vec<Scored> = scores
        .iter()
        .enumerate()
        .map(|(at, score)| Scored {
            id: 0,
            score: *score,
            weight: score.map(f64::from),
            group: u8::from(at < 4),
        })
        .collect();
    objects.push(Scored { id: 0, score: None, weight: None, group: 2 });
    db.write_txn_sync(|txn| txn.scoreds().put_all(&mut objects)).unwrap();

    let all = db.scoreds().query();
    assert_eq!(all.min(Scored::SCORE).unwrap(), Some(Some(2)));
    assert_eq!(all.max(Scored::SCORE).unwrap(), Some(Some(9)));
    assert_eq!(all.sum(Scored::SCORE).unwrap(), 16.0);
    assert_eq!(all.avg(Scored::SCORE).unwrap(), Some(16.0 / 3.0));
    assert_eq!(all.avg(Scored::WEIGHT).unwrap(), Some(16.0 / 3.0));
    // Only `None`s: no value at all.
    let nothing = db.scoreds().query().filter(Scored::GROUP.eq(2));
    assert_eq!(nothing.min(Scored::SCORE).unwrap(), None);
    assert_eq!(nothing.max(Scored::WEIGHT).unwrap(), None);
    assert_eq!(nothing.sum(Scored::SCORE).unwrap(), 0.0);
    assert_eq!(nothing.avg(Scored::SCORE).unwrap(), None);
    // Required fields are unchanged.
    assert_eq!(all.min(Scored::GROUP).unwrap(), Some(0));
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Song {
    #[id]
    id: Id,
    #[index]
    title: String,
    #[index]
    note: Option<String>,
    lyrics: String,
}

/// A plain wildcard matcher: `*` any run, `?` one character.
fn wildcard_model(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => {
            wildcard_model(rest, text) || (!text.is_empty() && wildcard_model(pattern, &text[1..]))
        }
        Some(('?', rest)) => !text.is_empty() && wildcard_model(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && wildcard_model(rest, &text[1..]),
    }
}

/// `matches` with `*` and `?` gives what a plain matcher gives, on indexed and plain
/// strings and optional strings, Unicode included; `None` matches nothing; the text
/// before the first wildcard is looked up in the index.
#[test]
fn wildcard_matches_agree_with_a_plain_matcher() {
    let texts = [
        "",
        "a",
        "ab",
        "abc",
        "Song 5",
        "Sing 5",
        "Song 15",
        "aaa",
        "abab",
        "a*b",
        "é?",
        "日本語",
        "ng 5",
        "xx ng 5",
        "mississippi",
    ];
    let patterns = [
        "", "*", "?", "a", "a*", "*a", "*ng 5", "S?ng *", "a?c", "a*b*c", "*b*", "??", "???*", "*ss*pp*",
        "m*i", "日?語", "é*", "a**b", "*?", "ab*ab",
    ];
    let db = Db::builder().collection::<Song>().open_in_memory().unwrap();
    let mut songs: Vec<Song> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Song {
            title: (*text).into(),
            note: (i % 3 != 0).then(|| (*text).into()),
            lyrics: (*text).into(),
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.songs().put_all(&mut songs)).unwrap();
    for pattern in patterns {
        let chars: Vec<char> = pattern.chars().collect();
        let fits = |text: &str| wildcard_model(&chars, &text.chars().collect::<Vec<_>>());
        let expected: Vec<Id> = songs.iter().filter(|song| fits(&song.title)).map(|song| song.id).collect();
        let expected_notes: Vec<Id> =
            songs.iter().filter(|song| song.note.as_deref().is_some_and(fits)).map(|song| song.id).collect();
        let ids = |condition| db.songs().query().filter(condition).ids().unwrap();
        assert_eq!(ids(Song::TITLE.matches(pattern)), expected, "title {pattern:?}");
        assert_eq!(ids(Song::LYRICS.matches(pattern)), expected, "lyrics {pattern:?}");
        assert_eq!(ids(Song::NOTE.matches(pattern)), expected_notes, "note {pattern:?}");
    }
    let explained = db.songs().query().filter(Song::NOTE.matches("So*")).explain().unwrap();
    assert!(explained.starts_with("index `note`"), "{explained}");
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
struct Basket {
    #[id]
    id: Id,
    #[index]
    items: Vec<String>,
    counts: Vec<u32>,
}

/// List length conditions give what a plain filter gives, on an indexed list and a plain
/// one, empty lists included.
#[test]
fn list_length_conditions_match_a_plain_filter() {
    let db = Db::builder().collection::<Basket>().open_in_memory().unwrap();
    let mut baskets: Vec<Basket> = (0..40u32)
        .map(|i| Basket {
            items: (0..i % 5).map(|k| format!("item{k}")).collect(),
            counts: (0..i % 7).collect(),
            ..Default::default()
        })
        .collect();
    db.write_txn_sync(|txn| txn.baskets().put_all(&mut baskets)).unwrap();
    let model = |keep: &dyn Fn(&Basket) -> bool| -> Vec<Id> {
        baskets.iter().filter(|basket| keep(basket)).map(|basket| basket.id).collect()
    };
    let ids = |condition| db.baskets().query().filter(condition).ids().unwrap();
    for n in 0..8 {
        assert_eq!(ids(Basket::ITEMS.len_eq(n)), model(&|b| b.items.len() == n), "items == {n}");
        assert_eq!(ids(Basket::ITEMS.len_gt(n)), model(&|b| b.items.len() > n), "items > {n}");
        assert_eq!(ids(Basket::COUNTS.len_lt(n)), model(&|b| b.counts.len() < n), "counts < {n}");
        assert_eq!(
            ids(Basket::COUNTS.len_between(n, n + 2)),
            model(&|b| (n..=n + 2).contains(&b.counts.len())),
            "counts in {n}..={}",
            n + 2
        );
    }
    assert_eq!(ids(Basket::ITEMS.len_eq(0)), ids(Basket::ITEMS.is_empty()));
}
