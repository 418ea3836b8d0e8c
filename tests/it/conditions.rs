//! The conditions beyond plain comparisons, each on a small collection whose answers are
//! known: case-insensitive text served by a case-insensitive index (and not by a
//! case-sensitive one), element and length conditions on `Vec` and `Option<Vec>`, floats
//! within an epsilon, and an `or` answered by a union of index reads. The model test in
//! `queries.rs` checks the same conditions against a plain filter on random data.

use insula::prelude::*;

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Person {
    #[id]
    pub id: Id,
    #[index(case_insensitive)]
    pub name: String,
    #[index]
    pub city: String,
    #[index(case_insensitive)]
    pub nick: Option<String>,
    #[index(case_insensitive)]
    pub tags: Vec<String>,
    pub scores: Option<Vec<u32>>,
    #[index]
    pub height: f64,
}

/// A person's name, city, nick, tags, scores and height.
type Row =
    (&'static str, &'static str, Option<&'static str>, &'static [&'static str], Option<&'static [u32]>, f64);

fn people() -> Db {
    let db = Db::builder().collection::<Person>().open_in_memory().unwrap();
    let rows: [Row; 6] = [
        ("Ada", "London", Some("ADA"), &["Rust", "math"], Some(&[3, 9]), 1.70),
        ("ADA", "london", None, &["rust"], Some(&[]), 1.7000001),
        ("adam", "Paris", Some("Adam"), &[], None, 1.80),
        ("Bob", "LONDON", Some("bobby"), &["Go", "RUST"], Some(&[4]), 1.65),
        ("ΟΔΟΣ", "Athens", Some("Οδός"), &["ΟΔΟΣ"], Some(&[1, 2, 3]), 1.75),
        ("Straße", "Berlin", Some("STRASSE"), &["straße"], None, f64::NAN),
    ];
    let mut people: Vec<Person> = rows
        .into_iter()
        .map(|(name, city, nick, tags, scores, height)| Person {
            id: 0,
            name: name.into(),
            city: city.into(),
            nick: nick.map(Into::into),
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            scores: scores.map(<[u32]>::to_vec),
            height,
        })
        .collect();
    db.write_txn_sync(|txn| txn.persons().put_all(&mut people)).unwrap();
    db
}

/// The ids a condition selects, and the plan.
fn run(db: &Db, condition: insula::Condition<Person>) -> (Vec<Id>, String) {
    let query = db.persons().query().filter(condition);
    (query.ids().unwrap(), query.explain().unwrap())
}

#[test]
fn conditions_that_ignore_case_use_a_case_insensitive_index() {
    let db = people();
    let (ids, plan) = run(&db, Person::NAME.ignore_case().eq("ada"));
    assert_eq!(ids, [1, 2]);
    assert!(plan.starts_with("index `name` (equality on name"), "{plan}");
    let (ids, plan) = run(&db, Person::NAME.ignore_case().starts_with("AD"));
    assert_eq!(ids, [1, 2, 3]);
    assert!(plan.starts_with("index `name` (prefix of name"), "{plan}");
    let (ids, plan) = run(&db, Person::NAME.ignore_case().any_of(["BOB", "straSSe", "STRASSE"]));
    assert_eq!(ids, [4]);
    // `straSSe` and `STRASSE` fold to one value.
    assert!(plan.starts_with("index `name` (2 values of name"), "{plan}");
    let (ids, plan) = run(&db, Person::NAME.ignore_case().matches("a?A*"));
    assert_eq!(ids, [1, 2, 3]);
    assert!(plan.starts_with("index `name` (prefix of name"), "{plan}");
    // Greek capitals fold to their lowercase, final sigma included.
    assert_eq!(run(&db, Person::NAME.ignore_case().eq("οδος")).0, [5]);
    assert_eq!(run(&db, Person::NAME.ignore_case().ends_with("ΟΣ")).0, [5]);
    // `ß` is not `ss`: the fold is a lowercase mapping, not a full case folding.
    assert_eq!(run(&db, Person::NAME.ignore_case().eq("STRASSE")).0, Vec::<Id>::new());

    // An option's `None` matches none; its index keys `Some` values after a tag byte.
    let (ids, plan) = run(&db, Person::NICK.ignore_case().eq("ada"));
    assert_eq!(ids, [1]);
    assert!(plan.starts_with("index `nick` (equality on nick"), "{plan}");
    let (ids, plan) = run(&db, Person::NICK.ignore_case().starts_with("B"));
    assert_eq!(ids, [4]);
    assert!(plan.starts_with("index `nick` (prefix of nick"), "{plan}");
    assert_eq!(run(&db, Person::NICK.ignore_case().contains("AS")).0, [6]);

    // Elements of a string list, through the list's case-insensitive index.
    let (ids, plan) = run(&db, Person::TAGS.element().ignore_case().eq("RUST"));
    assert_eq!(ids, [1, 2, 4]);
    assert!(plan.starts_with("index `tags` (equality on tags"), "{plan}");
    // The case-sensitive element condition keeps its meaning on that index.
    assert_eq!(run(&db, Person::TAGS.contains("rust")).0, [2]);

    // A case-sensitive index cannot serve a condition that ignores case: a scan does.
    let (ids, plan) = run(&db, Person::CITY.ignore_case().eq("LONDON"));
    assert_eq!(ids, [1, 2, 4]);
    assert!(plan.starts_with("full scan"), "{plan}");
    let (ids, plan) = run(&db, Person::CITY.ignore_case().starts_with("l"));
    assert_eq!(ids, [1, 2, 4]);
    assert!(plan.starts_with("full scan"), "{plan}");
}

#[test]
fn element_and_length_conditions_hold_for_lists_and_optional_lists() {
    let db = people();
    // Strings compare by their UTF-8 bytes: Greek after Latin.
    assert_eq!(run(&db, Person::TAGS.element().gt("m")).0, [1, 2, 5, 6]);
    assert_eq!(run(&db, Person::TAGS.element().lt("S")).0, [1, 4]);
    assert_eq!(run(&db, Person::TAGS.element().ne("rust")).0, [1, 4, 5, 6]);
    assert_eq!(run(&db, Person::TAGS.element().contains("ΔΟ")).0, [5]);
    assert_eq!(run(&db, Person::TAGS.element().ends_with("h")).0, [1]);
    assert_eq!(run(&db, Person::TAGS.element().matches("?u*")).0, [1, 2]);
    assert_eq!(run(&db, Person::TAGS.is_empty()).0, [3]);
    assert_eq!(run(&db, Person::TAGS.len_gt(1)).0, [1, 4]);

    // `None` meets no list condition; `Some(vec![])` is empty.
    assert_eq!(run(&db, Person::SCORES.is_empty()).0, [2]);
    assert_eq!(run(&db, Person::SCORES.contains(3)).0, [1, 5]);
    assert_eq!(run(&db, Person::SCORES.element().between(2, 4)).0, [1, 4, 5]);
    assert_eq!(run(&db, Person::SCORES.element().ge(9)).0, [1]);
    assert_eq!(run(&db, Person::SCORES.element().any_of([4, 9])).0, [1, 4]);
    assert_eq!(run(&db, Person::SCORES.element().any_of([])).0, Vec::<Id>::new());
    assert_eq!(run(&db, Person::SCORES.len_eq(0)).0, [2]);
    assert_eq!(run(&db, Person::SCORES.len_lt(2)).0, [2, 4]);
    assert_eq!(run(&db, Person::SCORES.len_between(1, 3)).0, [1, 4, 5]);
    assert_eq!(run(&db, Person::SCORES.is_none()).0, [3, 6]);
    assert_eq!(run(&db, Person::SCORES.is_empty().not()).0, [1, 3, 4, 5, 6]);
}

#[test]
fn floats_compare_within_an_epsilon() {
    let db = people();
    assert_eq!(run(&db, Person::HEIGHT.eq(1.7)).0, [1]);
    let (ids, plan) = run(&db, Person::HEIGHT.eq_within(1.7, 1e-6));
    assert_eq!(ids, [1, 2]);
    assert!(plan.starts_with("index `height` (range on height"), "{plan}");
    assert_eq!(run(&db, Person::HEIGHT.eq_within(1.7, 0.06)).0, [1, 2, 4, 5]);
    assert_eq!(run(&db, Person::HEIGHT.eq_within(1.7, -1.0)).0, Vec::<Id>::new());
}

#[test]
fn an_or_whose_every_branch_an_index_serves_reads_the_union_of_those_indexes() {
    let db = people();
    let both = Person::CITY.eq("London").or(Person::NAME.ignore_case().eq("bob"));
    let (ids, plan) = run(&db, both);
    assert_eq!(ids, [1, 4]);
    assert!(plan.starts_with("union of 2 index reads"), "{plan}");
    assert!(
        plan.contains("index `city` (equality on city") && plan.contains("index `name` (equality on name")
    );

    // An object both branches find is returned once; nested `or`s flatten.
    let overlapping =
        Person::NAME.ignore_case().starts_with("ad").or(Person::CITY.eq("London").or(Person::NICK.is_none()));
    let (ids, plan) = run(&db, overlapping);
    assert_eq!(ids, [1, 2, 3]);
    assert!(plan.starts_with("union of 3 index reads"), "{plan}");

    // Inside an `and`, with an order and a limit.
    let query = db
        .persons()
        .query()
        .filter(Person::HEIGHT.gt(1.6).and(Person::CITY.eq("Paris").or(Person::CITY.eq("Athens"))))
        .sort_by(Person::HEIGHT.desc())
        .limit(1);
    assert_eq!(query.ids().unwrap(), [3]);

    // A branch no index serves: the whole `or` is a scan.
    let (ids, plan) = run(&db, Person::CITY.eq("Paris").or(Person::SCORES.is_empty()));
    assert_eq!(ids, [2, 3]);
    assert!(plan.starts_with("full scan"), "{plan}");
}
