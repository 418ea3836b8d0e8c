//! Conditions on embedded structs: a condition built from the embedded struct's own field
//! handles (`Profile::NAME.starts_with("A")`, a `Condition<Profile>`) is tested on the
//! record nested in a field, in an option of one, or in each element of a list, so
//! conditions nest to any depth and every condition a field has works there too.

use super::condition::{Condition, Node};
use crate::codec::{Corrupt, CurrentLayout, Layouts, List, Nested, RecordReader, Required, Value};
use crate::{Embedded, Field};

/// Whether the nested record `nested` of an `E` meets `node`; `id` is the object's.
fn test_nested<E: Embedded>(node: &Node, id: &[u8; 8], nested: Nested<'_>) -> Result<bool, Corrupt> {
    match nested {
        Nested::Record(record) => node.test(id, &RecordReader::open(record, &E::LAYOUT, Layouts::none())?),
        Nested::None => Ok(false),
        // A record older than the field: the field reads as its default value.
        Nested::Missing => {
            let default = E::from_view(E::default_view());
            let mut parent = vec![0; 8];
            default.encode(&mut parent, 0, 0);
            let (record, _) = crate::codec::read_ref(&parent[..8], &parent, 1)?;
            node.test(id, &RecordReader::open(record, &E::LAYOUT, Layouts::none())?)
        }
    }
}

/// A field's type that holds an embedded struct `E` in its slot: `E`, `Option<E>`, and
/// the `Option<Box<E>>` (or `Box<E>`) of a struct that holds itself. What `with` takes a
/// condition on.
#[diagnostic::on_unimplemented(
    message = "a condition on `{E}` does not apply to a field of type `{Self}`",
    label = "`with` takes a condition on the embedded struct this field holds",
    note = "`with` works on a field of an embedded struct, an `Option` of one, or an `Option<Box<..>>` of one"
)]
pub trait Holds<E: Embedded>: Value {
    /// Whether the slot is an `Option`'s, with its tag.
    #[doc(hidden)]
    const OPTIONAL: bool;
}

impl<E: Embedded> Holds<E> for E {
    const OPTIONAL: bool = false;
}

impl<E: Embedded + Required> Holds<E> for Option<E> {
    const OPTIONAL: bool = true;
}

impl<E: Embedded + Required> Holds<E> for Box<E> {
    const OPTIONAL: bool = false;
}

impl<E: Embedded + Required> Holds<E> for Option<Box<E>> {
    const OPTIONAL: bool = true;
}

impl<C: 'static, T: Value + 'static> Field<C, T> {
    /// The embedded struct in this field meets `condition`, made from its own field
    /// handles (Isar's embedded-object queries). The field is an embedded struct `E`, an
    /// `Option<E>` (whose `None` meets no condition), or the `Option<Box<E>>` of a struct
    /// that holds itself. Conditions nest: an embedded struct's embedded field takes
    /// `with` too.
    ///
    /// ```
    /// # use insula::prelude::*;
    /// #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    /// pub struct Address { pub city: String, pub zip: u32 }
    ///
    /// #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    /// pub struct Profile { pub name: String, pub address: Address, pub nick: Option<String> }
    ///
    /// #[derive(Collection, Debug, Default)]
    /// pub struct User { #[id] pub id: Id, pub profile: Profile, pub old: Option<Profile> }
    ///
    /// let db = Db::builder().collection::<User>().open_in_memory()?;
    /// let profile = |name: &str, city: &str| Profile {
    ///     name: name.into(),
    ///     address: Address { city: city.into(), zip: 0 },
    ///     nick: None,
    /// };
    /// let mut users = vec![
    ///     User { id: 0, profile: profile("Ada", "London"), old: Some(profile("Ada", "Paris")) },
    ///     User { id: 0, profile: profile("Alan", "Paris"), old: None },
    /// ];
    /// db.write_txn_sync(|txn| txn.users().put_all(&mut users))?;
    /// let query = |condition| db.users().query().filter(condition).ids();
    /// assert_eq!(query(User::PROFILE.with(Profile::NAME.starts_with("Al")))?, [2]);
    /// let in_paris = Profile::ADDRESS.with(Address::CITY.eq("Paris"));
    /// assert_eq!(query(User::PROFILE.with(in_paris.clone()))?, [2]);
    /// assert_eq!(query(User::OLD.with(in_paris))?, [1]);
    /// assert_eq!(query(User::PROFILE.with(Profile::NICK.is_none()))?, [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A struct that holds itself is queried one level per `with`:
    ///
    /// ```
    /// # use insula::prelude::*;
    /// #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    /// pub struct Step { pub name: String, pub next: Option<Box<Step>> }
    ///
    /// #[derive(Collection, Debug, Default)]
    /// pub struct Plan { #[id] pub id: Id, pub first: Step }
    ///
    /// let db = Db::builder().collection::<Plan>().open_in_memory()?;
    /// let step = |name: &str, next: Option<Step>| Step { name: name.into(), next: next.map(Box::new) };
    /// let mut plans = vec![
    ///     Plan { id: 0, first: step("mix", Some(step("bake", Some(step("eat", None))))) },
    ///     Plan { id: 0, first: step("mix", Some(step("eat", None))) },
    /// ];
    /// db.write_txn_sync(|txn| txn.plans().put_all(&mut plans))?;
    /// let query = |condition| db.plans().query().filter(condition).ids();
    /// let second_is = |name: &str| Plan::FIRST.with(Step::NEXT.with(Step::NAME.eq(name)));
    /// assert_eq!(query(second_is("bake"))?, [1]);
    /// assert_eq!(query(second_is("eat"))?, [2]);
    /// let third = Plan::FIRST.with(Step::NEXT.with(Step::NEXT.with(Step::NEXT.is_none())));
    /// assert_eq!(query(third)?, [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with<E: Embedded>(self, condition: Condition<E>) -> Condition<C>
    where
        T: Holds<E>,
    {
        self.nested_leaf("with", condition, T::OPTIONAL)
    }
}

impl<C: 'static, T: Value + 'static> Field<C, T> {
    /// A condition met when the struct nested in this field, an `E` (in an option when
    /// `optional`), meets `condition`.
    fn nested_leaf<E: Embedded>(self, word: &str, condition: Condition<E>, optional: bool) -> Condition<C> {
        let text = format!("{} {word} ({})", self.name(), condition.node.text());
        let node = condition.node;
        let field = self;
        let test = move |id: &[u8; 8], record: &RecordReader<'_>| -> Result<bool, Corrupt> {
            test_nested::<E>(&node, id, field.nested(record, optional)?)
        };
        self.leaf_on_record(text, None, test)
    }
}

/// Conditions on lists of embedded structs, `Vec<E>` or `Option<Vec<E>>` (whose `None`
/// meets neither).
impl<C: 'static, L: List + 'static> Field<C, L>
where
    L::Item: Embedded,
{
    /// Some element meets `condition`, all of it on that one element (Isar's
    /// `.attachmentsElement((q) => ..)`).
    ///
    /// ```
    /// # use insula::prelude::*;
    /// #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    /// pub struct File { pub name: String, pub size: u64 }
    ///
    /// #[derive(Collection, Debug, Default)]
    /// pub struct Mail { #[id] pub id: Id, pub files: Vec<File> }
    ///
    /// let db = Db::builder().collection::<Mail>().open_in_memory()?;
    /// let file = |name: &str, size| File { name: name.into(), size };
    /// let mut mails = vec![
    ///     Mail { id: 0, files: vec![file("a.png", 10), file("b.pdf", 900)] },
    ///     Mail { id: 0, files: vec![file("c.pdf", 5)] },
    ///     Mail { id: 0, files: vec![] },
    /// ];
    /// db.write_txn_sync(|txn| txn.mails().put_all(&mut mails))?;
    /// let query = |condition| db.mails().query().filter(condition).ids();
    /// let big_pdf = File::NAME.ends_with(".pdf").and(File::SIZE.gt(100));
    /// assert_eq!(query(Mail::FILES.any(big_pdf))?, [1]);
    /// assert_eq!(query(Mail::FILES.all(File::SIZE.lt(100)))?, [2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn any(self, condition: Condition<L::Item>) -> Condition<C> {
        self.elements_leaf("has an element with", condition, true)
    }

    /// Every element meets `condition` (an empty list does; an `Option`'s `None` does
    /// not).
    pub fn all(self, condition: Condition<L::Item>) -> Condition<C> {
        self.elements_leaf("has only elements with", condition, false)
    }

    /// `any` (some element meets `condition`) or else `all` (every element does).
    fn elements_leaf(self, words: &str, condition: Condition<L::Item>, any: bool) -> Condition<C> {
        let text = format!("{} {words} ({})", self.name(), condition.node.text());
        let node = condition.node;
        let field = self;
        let layout: &'static CurrentLayout<'static> = &<L::Item as Embedded>::LAYOUT;
        let test = move |id: &[u8; 8], record: &RecordReader<'_>| -> Result<bool, Corrupt> {
            let Some(list) = L::list(field.read(id, record)?) else { return Ok(false) };
            for nested in list.nested_records() {
                let met = node.test(id, &RecordReader::open(nested?, layout, Layouts::none())?)?;
                if met == any {
                    return Ok(any);
                }
            }
            Ok(!any)
        };
        self.leaf_on_record(text, None, test)
    }
}
