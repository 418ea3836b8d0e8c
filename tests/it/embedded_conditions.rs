//! Conditions on embedded structs (`with`, `any`, `all`), nested to any depth, against a
//! plain filter on random objects; and on records older than their embedded field, or
//! written before it became an `Option`.

use crate::common::proptest_config;
use insula::Condition;
use insula::prelude::*;
use proptest::prelude::*;

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Address {
    pub city: String,
    pub zip: u32,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub address: Address,
    pub nick: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Embedded, Debug, Clone, Default, PartialEq)]
pub struct File {
    pub name: String,
    pub size: u64,
    pub at: Option<Address>,
}

#[derive(Collection, Debug, Clone, Default, PartialEq)]
pub struct Account {
    #[id]
    pub id: Id,
    pub profile: Profile,
    pub old: Option<Profile>,
    pub files: Vec<File>,
    pub backups: Option<Vec<File>>,
}

const CITIES: [&str; 3] = ["Paris", "paris", "Rome"];
const NAMES: [&str; 4] = ["Ada", "Alan", "bob", ""];

fn address() -> impl Strategy<Value = Address> {
    (prop::sample::select(CITIES.to_vec()), 0u32..3)
        .prop_map(|(city, zip)| Address { city: city.into(), zip })
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        prop::sample::select(NAMES.to_vec()),
        address(),
        prop::option::of(prop::sample::select(NAMES.to_vec())),
        prop::collection::vec(prop::sample::select(vec!["x", "y"]), 0..3),
    )
        .prop_map(|(name, address, nick, tags)| Profile {
            name: name.into(),
            address,
            nick: nick.map(Into::into),
            tags: tags.into_iter().map(Into::into).collect(),
        })
}

fn file() -> impl Strategy<Value = File> {
    (prop::sample::select(vec!["a.pdf", "b.png", "c.pdf"]), 0u64..200, prop::option::of(address()))
        .prop_map(|(name, size, at)| File { name: name.into(), size, at })
}

fn account() -> impl Strategy<Value = Account> {
    (
        profile(),
        prop::option::of(profile()),
        prop::collection::vec(file(), 0..3),
        prop::option::of(prop::collection::vec(file(), 0..2)),
    )
        .prop_map(|(profile, old, files, backups)| Account { id: 0, profile, old, files, backups })
}

/// A condition on a `Profile`, as data.
#[derive(Debug, Clone)]
enum OnProfile {
    NameStarts(String),
    CityEqIgnoringCase(String),
    ZipGt(u32),
    NickNone,
    Tag(String),
    Both(Box<OnProfile>, Box<OnProfile>),
    Not(Box<OnProfile>),
}

/// A condition on a `File`, as data.
#[derive(Debug, Clone)]
enum OnFile {
    NameEnds(String),
    SizeGt(u64),
    AtCity(String),
    Both(Box<OnFile>, Box<OnFile>),
}

/// A condition on an `Account`, as data.
#[derive(Debug, Clone)]
enum Cond {
    Profile(OnProfile),
    Old(OnProfile),
    AnyFile(OnFile),
    AllFiles(OnFile),
    AnyBackup(OnFile),
    Or(Box<Cond>, Box<Cond>),
}

fn on_profile() -> impl Strategy<Value = OnProfile> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["A", "Al", "", "b"]).prop_map(|p| OnProfile::NameStarts(p.into())),
        prop::sample::select(vec!["PARIS", "rome"]).prop_map(|c| OnProfile::CityEqIgnoringCase(c.into())),
        (0u32..3).prop_map(OnProfile::ZipGt),
        Just(OnProfile::NickNone),
        prop::sample::select(vec!["x", "y"]).prop_map(|t| OnProfile::Tag(t.into())),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| OnProfile::Both(Box::new(a), Box::new(b))),
            inner.prop_map(|a| OnProfile::Not(Box::new(a))),
        ]
    })
}

fn on_file() -> impl Strategy<Value = OnFile> {
    let leaf = prop_oneof![
        prop::sample::select(vec![".pdf", ".png"]).prop_map(|s| OnFile::NameEnds(s.into())),
        (0u64..200).prop_map(OnFile::SizeGt),
        prop::sample::select(CITIES.to_vec()).prop_map(|c| OnFile::AtCity(c.into())),
    ];
    leaf.prop_recursive(1, 3, 2, |inner| {
        (inner.clone(), inner).prop_map(|(a, b)| OnFile::Both(Box::new(a), Box::new(b)))
    })
}

fn cond() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        on_profile().prop_map(Cond::Profile),
        on_profile().prop_map(Cond::Old),
        on_file().prop_map(Cond::AnyFile),
        on_file().prop_map(Cond::AllFiles),
        on_file().prop_map(Cond::AnyBackup),
    ];
    leaf.prop_recursive(1, 3, 2, |inner| {
        (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b)))
    })
}

impl OnProfile {
    fn condition(&self) -> Condition<Profile> {
        match self {
            OnProfile::NameStarts(p) => Profile::NAME.starts_with(p),
            OnProfile::CityEqIgnoringCase(c) => Profile::ADDRESS.with(Address::CITY.ignore_case().eq(c)),
            OnProfile::ZipGt(z) => Profile::ADDRESS.with(Address::ZIP.gt(*z)),
            OnProfile::NickNone => Profile::NICK.is_none(),
            OnProfile::Tag(t) => Profile::TAGS.contains(t),
            OnProfile::Both(a, b) => a.condition().and(b.condition()),
            OnProfile::Not(a) => a.condition().not(),
        }
    }

    fn test(&self, profile: &Profile) -> bool {
        match self {
            OnProfile::NameStarts(p) => profile.name.starts_with(p.as_str()),
            OnProfile::CityEqIgnoringCase(c) => profile.address.city.to_lowercase() == c.to_lowercase(),
            OnProfile::ZipGt(z) => profile.address.zip > *z,
            OnProfile::NickNone => profile.nick.is_none(),
            OnProfile::Tag(t) => profile.tags.contains(t),
            OnProfile::Both(a, b) => a.test(profile) && b.test(profile),
            OnProfile::Not(a) => !a.test(profile),
        }
    }
}

impl OnFile {
    fn condition(&self) -> Condition<File> {
        match self {
            OnFile::NameEnds(s) => File::NAME.ends_with(s),
            OnFile::SizeGt(n) => File::SIZE.gt(*n),
            OnFile::AtCity(c) => File::AT.with(Address::CITY.eq(c)),
            OnFile::Both(a, b) => a.condition().and(b.condition()),
        }
    }

    fn test(&self, file: &File) -> bool {
        match self {
            OnFile::NameEnds(s) => file.name.ends_with(s.as_str()),
            OnFile::SizeGt(n) => file.size > *n,
            OnFile::AtCity(c) => file.at.as_ref().is_some_and(|at| at.city == *c),
            OnFile::Both(a, b) => a.test(file) && b.test(file),
        }
    }
}

impl Cond {
    fn condition(&self) -> Condition<Account> {
        match self {
            Cond::Profile(p) => Account::PROFILE.with(p.condition()),
            Cond::Old(p) => Account::OLD.with(p.condition()),
            Cond::AnyFile(f) => Account::FILES.any(f.condition()),
            Cond::AllFiles(f) => Account::FILES.all(f.condition()),
            Cond::AnyBackup(f) => Account::BACKUPS.any(f.condition()),
            Cond::Or(a, b) => a.condition().or(b.condition()),
        }
    }

    fn test(&self, account: &Account) -> bool {
        match self {
            Cond::Profile(p) => p.test(&account.profile),
            Cond::Old(p) => account.old.as_ref().is_some_and(|old| p.test(old)),
            Cond::AnyFile(f) => account.files.iter().any(|file| f.test(file)),
            Cond::AllFiles(f) => account.files.iter().all(|file| f.test(file)),
            Cond::AnyBackup(f) => {
                account.backups.as_ref().is_some_and(|files| files.iter().any(|file| f.test(file)))
            }
            Cond::Or(a, b) => a.test(account) || b.test(account),
        }
    }
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn embedded_conditions_agree_with_a_plain_filter(
        accounts in prop::collection::vec(account(), 0..30),
        conds in prop::collection::vec(cond(), 1..10),
    ) {
        let db = Db::builder().collection::<Account>().open_in_memory().unwrap();
        let mut accounts = accounts;
        db.write_txn_sync(|txn| txn.accounts().put_all(&mut accounts)).unwrap();
        for cond in conds {
            let expected: Vec<Id> = accounts.iter().filter(|a| cond.test(a)).map(|a| a.id).collect();
            let found = db.accounts().query().filter(cond.condition()).ids().unwrap();
            prop_assert_eq!(found, expected, "{:?}", cond);
        }
    }
}

mod v1 {
    use insula::prelude::*;

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub struct Address {
        pub city: String,
    }

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Person")]
    pub struct Person {
        #[id]
        pub id: Id,
        pub name: String,
        pub home: Address,
    }
}

mod v2 {
    use insula::prelude::*;

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub struct Address {
        pub city: String,
    }

    /// `home` made optional, `work` added.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Person")]
    pub struct Person {
        #[id]
        pub id: Id,
        pub name: String,
        pub home: Option<Address>,
        pub work: Address,
    }
}

#[test]
fn older_records_meet_embedded_conditions_as_they_read() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::builder().name("embedded-v1").collection::<v1::Person>().open(dir.path()).unwrap();
        let mut people = vec![
            v1::Person { id: 0, name: "ada".into(), home: v1::Address { city: "Paris".into() } },
            v1::Person { id: 0, name: "bob".into(), home: v1::Address { city: "Rome".into() } },
        ];
        db.write_txn_sync(|txn| txn.collection::<v1::Person>().put_all(&mut people)).unwrap();
        drop(db);
    }
    let db = Db::builder().name("embedded-v1").collection::<v2::Person>().open(dir.path()).unwrap();
    let mut carol =
        v2::Person { id: 0, name: "carol".into(), home: None, work: v2::Address { city: "Paris".into() } };
    db.write_txn_sync(|txn| txn.collection::<v2::Person>().put(&mut carol)).unwrap();
    let query = |condition| db.collection::<v2::Person>().query().filter(condition).ids().unwrap();
    // `home` was written before it became an `Option`: the old records read as `Some`.
    assert_eq!(query(v2::Person::HOME.with(v2::Address::CITY.eq("Paris"))), [1]);
    assert_eq!(query(v2::Person::HOME.with(v2::Address::CITY.ne("x"))), [1, 2]);
    // `work` is missing from the old records: it reads as its default, an empty city.
    assert_eq!(query(v2::Person::WORK.with(v2::Address::CITY.eq(""))), [1, 2]);
    assert_eq!(query(v2::Person::WORK.with(v2::Address::CITY.eq("Paris"))), [3]);
}
