//! The public face as a newcomer meets it: the typed stored schema and its text, the
//! handles' sibling methods, clonable conditions, and error messages that say what
//! happened and what to do.

use crate::common::*;
use insula::prelude::*;
use insula::schema::{FieldDef, SchemaDef, StoredType};
use insula::{Action, Error};

/// Every stored type of `Everything`, nested embedded structs and enums included, reads
/// back from its text as the same typed schema, and writes the same text again.
#[test]
fn a_stored_schema_text_parses_back_to_the_same_typed_schema() {
    let schema = SchemaDef::from(&Everything::SCHEMA);
    let text = schema.to_text();
    let parsed = SchemaDef::parse(&text).unwrap();
    assert_eq!(parsed, schema);
    assert_eq!(parsed.to_text(), text);
    let address = schema.field("addresses").unwrap();
    let StoredType::List(element) = &address.ty else { panic!("{address}") };
    let StoredType::Embedded { name, fields } = &**element else { panic!("{element}") };
    assert_eq!(name, "Address");
    assert_eq!(
        fields.iter().map(|field| field.name.as_str()).collect::<Vec<_>>(),
        ["lines", "number", "street", "zip"]
    );
    let mood = schema.field("mood").unwrap();
    assert_eq!(
        mood.ty,
        StoredType::Enum { name: "Mood".into(), variants: vec!["Happy".into(), "meh".into(), "Sad".into()] }
    );
}

#[test]
fn variant_names_with_quotes_commas_and_escapes_survive_the_text() {
    let variants =
        vec!["a, b".to_owned(), "say \"hi\"".to_owned(), "back\\slash".to_owned(), "tab\t\u{1}".to_owned()];
    let field = FieldDef {
        name: "odd".into(),
        ty: StoredType::List(Box::new(StoredType::Enum { name: "Odd".into(), variants: variants.clone() })),
        nullable: true,
    };
    let nested = FieldDef {
        name: "outer".into(),
        ty: StoredType::Embedded {
            name: "Outer".into(),
            fields: vec![
                FieldDef {
                    name: "inner".into(),
                    ty: StoredType::Embedded { name: "Inner".into(), fields: vec![field.clone()] },
                    nullable: true,
                },
                FieldDef { name: "n".into(), ty: StoredType::U16, nullable: false },
            ],
        },
        nullable: false,
    };
    for field in [field, nested] {
        let text = field.ty.to_string();
        assert_eq!(StoredType::parse(&text), Ok(field.ty.clone()), "{text}");
    }
    for bad in ["u128", "list<u8", "enum E[\"a\"", "embedded S { x: u8", "string junk"] {
        assert!(StoredType::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_schema_text_with_an_unknown_type_is_an_error_on_its_line() {
    let text = "collection C\nhash 0x1\nlayout 0x2\nid id\nfield x: u128\n";
    let error = SchemaDef::parse(text).unwrap_err();
    assert_eq!(error.line, 5);
    assert!(error.reason.contains("unknown type `u128`"), "{error}");
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Account {
    #[id]
    pub id: Id,
    #[index(unique)]
    pub email: String,
    pub note: String,
}

fn account(email: &str) -> Account {
    Account { email: email.into(), ..Default::default() }
}

#[test]
fn a_duplicate_inside_one_put_all_names_both_positions_not_a_rolled_back_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_batch").collection::<Account>().open(dir.path()).unwrap();
    let mut batch = vec![account("a@x"), account("b@x"), account("a@x")];
    let result = db.write_txn_sync(|txn| txn.accounts().put_all(&mut batch));
    let Err(error @ Error::UniqueViolation { position: Some(2), existing_position: Some(0), .. }) = result
    else {
        panic!("{result:?}")
    };
    let message = error.to_string();
    assert!(message.contains("for the object at position 0 of the same `put_all`"), "{message}");
    assert!(message.contains("refusing the object at position 2"), "{message}");
    assert!(!message.contains("object 1"), "the batch's ids were rolled back: {message}");
    assert_eq!(db.accounts().count().unwrap(), 0);

    // Against an object already committed, the message names its id.
    db.write_txn_sync(|txn| txn.accounts().put(&mut account("a@x"))).unwrap();
    let mut again = vec![account("c@x"), account("a@x")];
    let result = db.write_txn_sync(|txn| txn.accounts().put_all(&mut again));
    let Err(error @ Error::UniqueViolation { existing: 1, position: Some(1), existing_position: None, .. }) =
        result
    else {
        panic!("{result:?}")
    };
    assert!(error.to_string().contains("for object 1"), "{error}");
}

#[test]
fn a_unique_violation_over_a_long_value_quotes_only_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_long").collection::<Account>().open(dir.path()).unwrap();
    let long = "é".repeat(500_000); // a megabyte, of two-byte characters
    db.write_txn_sync(|txn| txn.accounts().put(&mut account(&long))).unwrap();
    let result = db.write_txn_sync(|txn| txn.accounts().put(&mut account(&long)));
    let Err(error @ Error::UniqueViolation { .. }) = result else { panic!("{result:?}") };
    let message = error.to_string();
    assert!(message.len() < 600, "{} bytes", message.len());
    assert!(message.contains("(1000002 bytes in all)"), "{message}");
}

#[test]
fn an_unknown_collection_names_the_rust_type_to_add() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_unknown").collection::<Account>().open(dir.path()).unwrap();
    let error = db.messages().count().unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::UnknownCollection { collection: "Message", .. }), "{error:?}");
    assert!(message.contains(".collection::<insula_workspace::model::Message>()"), "{message}");
}

#[test]
fn an_action_says_what_opening_does() {
    assert_eq!(Action::Nothing.to_string(), "nothing to do");
    assert_eq!(Action::Create.to_string(), "create the collection");
    let dir = tempfile::tempdir().unwrap();
    drop(Db::builder().name("face_action").collection::<Account>().open(dir.path()).unwrap());
    mod v2 {
        use insula::prelude::*;
        #[derive(Collection, Debug, Default)]
        #[collection(name = "Account")]
        pub struct Account {
            #[id]
            pub id: Id,
            #[index(unique)]
            pub email: String,
            pub note: String,
            pub age: u8,
        }
    }
    let plan = Db::builder()
        .name("face_action")
        .collection::<v2::Account>()
        .plan(dir.path().join("face_action.insula"));
    let [(name, action)] = &plan.unwrap()[..] else { panic!() };
    assert_eq!(name, "Account");
    assert_eq!(action.to_string(), "migrate: field `age: u8` added [compatible]");
}

#[test]
fn every_handle_reads_all_objects_and_views_alike() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_handles").collection::<Account>().open(dir.path()).unwrap();
    // More than one chunk of the write handle's iterator.
    let mut accounts: Vec<Account> = (0..600).map(|i| account(&format!("{i}@x"))).collect();
    db.write_txn_sync(|txn| txn.accounts().put_all(&mut accounts)).unwrap();

    let from_db = db.accounts().all().unwrap();
    assert_eq!(from_db, accounts);
    let from_read = db.read_txn_sync(|txn| txn.accounts().all()).unwrap();
    let iterated =
        db.read_txn_sync(|txn| txn.accounts().iter()?.collect::<insula::Result<Vec<_>>>()).unwrap();
    assert_eq!((&from_read, &iterated), (&accounts, &accounts));
    let (from_write, iterated, seen) = db
        .write_txn_sync(|txn| {
            txn.accounts().delete(300)?;
            let all = txn.accounts().all()?;
            let mut iterated = Vec::new();
            for (step, account) in txn.accounts().iter().enumerate() {
                if step == 10 {
                    // A write through another handle shows in the chunks still to come.
                    txn.accounts().put(&mut Account {
                        id: 599,
                        email: "new@x".into(),
                        ..Default::default()
                    })?;
                }
                iterated.push(account?);
            }
            let seen = iterated.iter().find(|account| account.id == 599).map(|account| account.email.clone());
            Ok((all, iterated.len(), seen))
        })
        .unwrap();
    assert_eq!(from_write.len(), 599);
    assert!(from_write.iter().all(|account| account.id != 300));
    assert_eq!(iterated, 599);
    assert_eq!(seen.as_deref(), Some("new@x"));

    let email = db.accounts().with_view(5, |view| view.email().to_owned()).unwrap();
    assert_eq!(email.as_deref(), Some("4@x"));
    assert_eq!(db.accounts().with_view(10_000, |view| view.id()).unwrap(), None);
}

#[test]
fn a_query_runs_its_terminals_any_number_of_times_and_a_condition_serves_two_queries() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_query").collection::<Account>().open(dir.path()).unwrap();
    let mut accounts: Vec<Account> = (0..20).map(|i| account(&format!("{i:02}@x"))).collect();
    db.write_txn_sync(|txn| txn.accounts().put_all(&mut accounts)).unwrap();

    let late = Account::EMAIL.ge("15@x");
    let query = db.accounts().query().filter(late.clone()).sort_by(Account::EMAIL.desc());
    assert_eq!(query.find_first().unwrap().map(|account| account.email), Some("19@x".to_owned()));
    assert_eq!(query.find_first().unwrap().map(|account| account.id), Some(20), "the query is still there");
    assert_eq!(query.count().unwrap(), 5);
    let odd = db.accounts().query().filter(late.and(Account::ID.between(17, 19))).ids().unwrap();
    assert_eq!(odd, [17, 18, 19]);
}

#[test]
fn a_write_closure_with_an_early_return_needs_no_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_infer").collection::<Account>().open(dir.path()).unwrap();
    for round in 0..3 {
        db.write_txn_sync(|txn| {
            if round == 1 {
                return Ok(());
            }
            txn.accounts().put(&mut account(&format!("{round}@x")))?;
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(db.accounts().count().unwrap(), 2);
}

#[test]
fn a_callback_watcher_returns_an_insula_result() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_callback").collection::<Account>().open(dir.path()).unwrap();
    let guard: insula::Result<insula::WatchGuard> = db.accounts().watch_lazy().on_change(|()| {});
    assert_eq!(db.watcher_count(), 1);
    drop(guard.unwrap());
    // The callback's thread ends and unsubscribes on its own: wait for it, with a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.watcher_count() > 0 {
        assert!(std::time::Instant::now() < deadline, "dropping the guard did not unsubscribe within 10 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_change_says_what_it_does_and_its_verdict() {
    use insula::schema::{Change, IndexDef};
    let unique =
        IndexDef { fields: vec!["email".into()], unique: true, replace: false, case_insensitive: false };
    let plain = IndexDef { unique: false, ..unique.clone() };
    assert_eq!(
        Change::IndexAdded(unique.clone()).to_string(),
        "index `email unique` added (refused if existing objects share a key) [compatible]"
    );
    assert_eq!(Change::IndexAdded(plain.clone()).to_string(), "index `email` added [compatible]");
    assert_eq!(Change::IndexRemoved(plain).to_string(), "index `email` removed [compatible]");
    assert_eq!(
        Change::UniqueIndexViolated { index: unique, first: 3, second: 9 }.to_string(),
        "unique index `email unique` added, but objects 3 and 9 share a key [breaking]"
    );
}

#[test]
fn a_read_closure_may_return_an_error_type_of_the_callers_own() {
    #[derive(Debug, PartialEq)]
    enum AppError {
        Db(String),
        Missing(Id),
    }
    impl From<Error> for AppError {
        fn from(error: Error) -> Self {
            AppError::Db(error.to_string())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let db = Db::builder().name("face_read_error").collection::<Account>().open(dir.path()).unwrap();
    db.write_txn_sync(|txn| txn.accounts().put(&mut account("a@x"))).unwrap();
    let find = |id: Id| {
        db.read_txn_sync_with_error(|txn| {
            txn.accounts().get(id)?.map(|found| found.email).ok_or(AppError::Missing(id))
        })
    };
    assert_eq!(find(1), Ok("a@x".to_owned()));
    assert_eq!(find(2), Err(AppError::Missing(2)));
}
