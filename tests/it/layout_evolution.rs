//! Records written under an older schema read under a newer one without being
//! rewritten: a field the record lacks reads as its default, a field the schema dropped
//! is skipped, a field widened to `Option` reads as `Some`.

use insula::__private_0_1::Layouts;
use insula::schema::{FieldDef, FieldSchema};
use insula::{Collection, Error};

mod v1 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub(crate) struct Note {
        #[id]
        pub(crate) id: Id,
        pub(crate) title: String,
        pub(crate) obsolete: Vec<u32>,
        pub(crate) stars: u32,
        pub(crate) pinned: bool,
    }
}

mod v2 {
    use insula::prelude::*;

    #[derive(Embedded, Debug, Clone, Default, PartialEq)]
    pub(crate) struct Place {
        pub(crate) name: String,
    }

    /// `obsolete` dropped; `stars` widened to `Option`; `tags`, `place` and `rank` added;
    /// the fields declared in another order.
    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub(crate) struct Note {
        pub(crate) pinned: bool,
        pub(crate) tags: Vec<String>,
        #[id]
        pub(crate) id: Id,
        pub(crate) place: Place,
        pub(crate) stars: Option<u32>,
        pub(crate) title: String,
        pub(crate) rank: i64,
    }
}

mod v3 {
    use insula::prelude::*;

    #[derive(Collection, Debug, Clone, Default, PartialEq)]
    #[collection(name = "Note")]
    pub(crate) struct Note {
        #[id]
        pub(crate) id: Id,
        pub(crate) title: u64,
    }
}

fn v1_record() -> Vec<u8> {
    let old = v1::Note { id: 4, title: "groceries".into(), obsolete: vec![1, 2, 3], stars: 5, pinned: true };
    let mut record = Vec::new();
    old.encode(&mut record).unwrap();
    record
}

fn v2_layouts() -> Layouts {
    let mut layouts = Layouts::default();
    let (old, new) = (v1::Note::SCHEMA, v2::Note::SCHEMA);
    layouts.add(old.layout_tag(), &defs(old.fields()), &defs(new.fields())).unwrap();
    layouts
}

#[test]
fn an_old_record_reads_in_the_new_layout() {
    let record = v1_record();
    let layouts = v2_layouts();
    let view = v2::Note::view_in(4, &record, &layouts).unwrap();
    assert_eq!(view.title(), "groceries");
    assert_eq!(view.stars(), Some(5), "widened to Option");
    assert!(view.pinned());
    assert!(view.tags().is_empty(), "added: reads as its default");
    assert_eq!(view.place().name(), "");
    assert_eq!(view.rank(), 0);
    let decoded = v2::Note::from_view(view);
    assert_eq!(
        decoded,
        v2::Note { id: 4, title: "groceries".into(), stars: Some(5), pinned: true, ..Default::default() }
    );
}

#[test]
fn new_records_need_no_older_layout() {
    let new =
        v2::Note { id: 1, title: "t".into(), tags: vec!["a".into()], stars: None, ..Default::default() };
    let mut record = Vec::new();
    new.encode(&mut record).unwrap();
    assert_eq!(v2::Note::view_in(1, &record, &v2_layouts()).map(v2::Note::from_view).unwrap(), new);
    assert_eq!(v2::Note::decode(1, &record).unwrap(), new);
}

#[test]
fn an_old_record_without_its_layout_is_corrupted_not_misread() {
    let error = v2::Note::decode(4, &v1_record()).unwrap_err();
    assert!(matches!(error, Error::Corrupted { collection: "Note", .. }), "{error:?}");
}

#[test]
fn a_changed_field_type_cannot_be_read_in_place() {
    let mut layouts = Layouts::default();
    let (old, new) = (v1::Note::SCHEMA, v3::Note::SCHEMA);
    let error = layouts.add(old.layout_tag(), &defs(old.fields()), &defs(new.fields())).unwrap_err();
    assert_eq!(error.field, "title");
    assert_eq!(
        error.to_string(),
        "field `title` was stored as `title: string` and is now `title: u64`: records cannot be read in place"
    );
}

fn defs(fields: &[FieldSchema<'_>]) -> Vec<FieldDef> {
    fields.iter().map(FieldDef::from).collect()
}
