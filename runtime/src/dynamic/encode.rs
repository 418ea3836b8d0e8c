//! Encoding an [`AnyValue`] tree into a record in the layout of the schema the file
//! records: the inverse of `decode`, written with the codec's own slot writers, so that
//! a record it writes is byte for byte what the derive's encoder writes for the same
//! object.

use super::value::AnyValue;
use crate::codec::{Level, MAX_NESTING, TAG_WIDTH, Value as Storable, variant_tag, write_ref, write_u32};
use crate::schema::{FieldDef, StoredType, stored_layout_tag};

/// Appends to `out` a record of `fields` (in slot order) holding `values`, one per field
/// in the same order, and returns where it starts. A value of another type than its
/// field's is refused with the field's name and both types.
pub(crate) fn encode_record<'v>(
    fields: &[FieldDef],
    values: impl ExactSizeIterator<Item = &'v AnyValue>,
    out: &mut Vec<u8>,
) -> Result<usize, String> {
    encode_fields(fields, values, out, None)
}

/// [`encode_record`] of an embedded struct's record when `owner` is `Some` (its fields,
/// which a [`StoredType::Recursive`] among them holds again).
fn encode_fields<'v>(
    fields: &[FieldDef],
    values: impl ExactSizeIterator<Item = &'v AnyValue>,
    out: &mut Vec<u8>,
    owner: Option<&[FieldDef]>,
) -> Result<usize, String> {
    if fields.len() != values.len() {
        return Err(format!("{} values for {} fields", values.len(), fields.len()));
    }
    let record = out.len();
    out.extend_from_slice(&stored_layout_tag(fields).to_le_bytes());
    let fixed: usize = fields.iter().map(FieldDef::width).sum();
    out.resize(record + TAG_WIDTH + fixed, 0);
    let mut slot = record + TAG_WIDTH;
    for (field, value) in fields.iter().zip(values) {
        encode_field(field, value, out, slot, record, owner)
            .map_err(|reason| format!("field `{}`: {reason}", field.name))?;
        slot += field.width();
    }
    Ok(record)
}

/// Writes one field's slot (an `Option`'s tag byte included).
fn encode_field(
    field: &FieldDef,
    value: &AnyValue,
    out: &mut Vec<u8>,
    slot: usize,
    record: usize,
    owner: Option<&[FieldDef]>,
) -> Result<(), String> {
    match (field.nullable, value) {
        (true, AnyValue::Null) => Ok(()),
        (true, value) => {
            out[slot] = 1;
            encode_value(&field.ty, value, out, slot + 1, record, owner)
        }
        (false, value) => encode_value(&field.ty, value, out, slot, record, owner),
    }
}

/// Writes a value of type `ty` into the slot at `slot`, its tail data at the end of
/// `out`, with offsets relative to `record`; `owner` is the fields of the embedded
/// struct the slot belongs to, if it belongs to one.
fn encode_value(
    ty: &StoredType,
    value: &AnyValue,
    out: &mut Vec<u8>,
    slot: usize,
    record: usize,
    owner: Option<&[FieldDef]>,
) -> Result<(), String> {
    match (ty, value) {
        (StoredType::Bool, AnyValue::Bool(value)) => value.encode(out, slot, record),
        (StoredType::U8, AnyValue::U8(value)) => value.encode(out, slot, record),
        (StoredType::U16, AnyValue::U16(value)) => value.encode(out, slot, record),
        (StoredType::U32, AnyValue::U32(value)) => value.encode(out, slot, record),
        (StoredType::U64, AnyValue::U64(value)) => value.encode(out, slot, record),
        (StoredType::I8, AnyValue::I8(value)) => value.encode(out, slot, record),
        (StoredType::I16, AnyValue::I16(value)) => value.encode(out, slot, record),
        (StoredType::I32, AnyValue::I32(value)) => value.encode(out, slot, record),
        (StoredType::I64, AnyValue::I64(value)) => value.encode(out, slot, record),
        (StoredType::F32, AnyValue::F32(value)) => value.encode(out, slot, record),
        (StoredType::F64, AnyValue::F64(value)) => value.encode(out, slot, record),
        (StoredType::String, AnyValue::String(value)) => value.encode(out, slot, record),
        (StoredType::Bytes, AnyValue::Bytes(value)) => value.encode(out, slot, record),
        (StoredType::Timestamp, AnyValue::Timestamp(value)) => value.encode(out, slot, record),
        (StoredType::Duration, AnyValue::Duration(value)) => value.encode(out, slot, record),
        (StoredType::Date, AnyValue::Date(days)) => days.encode(out, slot, record),
        // A list's `None` element: its slot stays zero.
        (StoredType::Optional(_), AnyValue::Null) => {}
        (StoredType::Optional(inner), value) => {
            out[slot] = 1;
            encode_value(inner, value, out, slot + 1, record, owner)?;
        }
        (StoredType::Array(len), AnyValue::Bytes(bytes)) if bytes.len() == *len => {
            out[slot..slot + len].copy_from_slice(bytes);
        }
        (StoredType::Array(len), AnyValue::Bytes(bytes)) => {
            return Err(format!("a `bytes[{len}]` holds {len} bytes, not {}", bytes.len()));
        }
        (StoredType::Uuid, AnyValue::Uuid(bytes)) => out[slot..slot + 16].copy_from_slice(bytes),
        (StoredType::List(element), AnyValue::List(items)) => {
            let start = out.len();
            write_ref(out, slot, start - record, items.len());
            let width = element.width();
            out.resize(start + items.len() * width, 0);
            for (at, item) in items.iter().enumerate() {
                encode_value(element, item, out, start + at * width, record, owner)
                    .map_err(|reason| format!("element {at}: {reason}"))?;
            }
        }
        (StoredType::Enum { name, variants }, AnyValue::Enum(variant)) => {
            if !variants.contains(variant) {
                return Err(format!("`{name}` has no variant `{variant}`"));
            }
            write_u32(out, slot, variant_tag(variant));
        }
        (StoredType::Embedded { fields, .. }, AnyValue::Embedded(values)) => {
            encode_embedded(fields, values, out, slot, record)?;
        }
        (StoredType::Recursive, AnyValue::Embedded(values)) => {
            let fields = owner.ok_or("`self` outside an embedded struct")?;
            let Some(_level) = Level::enter() else {
                return Err(format!("embedded structs nest deeper than {MAX_NESTING} levels"));
            };
            encode_embedded(fields, values, out, slot, record)?;
        }
        (ty, value) => return Err(format!("a value {value} where the type is `{ty}`")),
    }
    Ok(())
}

/// Writes the nested record of an embedded struct of `fields` holding `values` (by name,
/// in slot order), and its reference into the slot at `slot`.
fn encode_embedded(
    fields: &[FieldDef],
    values: &[(String, AnyValue)],
    out: &mut Vec<u8>,
    slot: usize,
    record: usize,
) -> Result<(), String> {
    let names_match = fields.len() == values.len()
        && fields.iter().zip(values).all(|(field, (name, _))| field.name == *name);
    if !names_match {
        let names: Vec<&str> = values.iter().map(|(name, _)| name.as_str()).collect();
        let expected: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
        return Err(format!("fields {names:?}, where the struct has {expected:?}"));
    }
    let nested = encode_fields(fields, values.iter().map(|(_, value)| value), out, Some(fields))?;
    let len = out.len() - nested;
    write_ref(out, slot, nested - record, len);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: StoredType) -> FieldDef {
        FieldDef { name: name.into(), ty, nullable: false }
    }

    fn encode(fields: &[FieldDef], value: AnyValue) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        encode_record(fields, [value].iter(), &mut out).map(|_| out)
    }

    #[test]
    fn a_value_of_another_shape_is_refused_with_its_field() {
        let inner = vec![field("a", StoredType::U8), field("b", StoredType::String)];
        let fields = [field("e", StoredType::Embedded { name: "E".into(), fields: inner })];
        let pair = |second: &str| {
            AnyValue::Embedded(vec![
                ("a".into(), AnyValue::U8(1)),
                (second.into(), AnyValue::String("x".into())),
            ])
        };
        assert!(encode(&fields, pair("b")).is_ok());
        let renamed = encode(&fields, pair("c")).unwrap_err();
        assert!(
            renamed.starts_with(r#"field `e`: fields ["a", "c"], where the struct has ["a", "b"]"#),
            "{renamed}"
        );
        let short = AnyValue::Embedded(vec![("a".into(), AnyValue::U8(1))]);
        assert!(encode(&fields, short).unwrap_err().starts_with("field `e`: fields [\"a\"]"));

        let number = [field("n", StoredType::U32)];
        let wrong = encode(&number, AnyValue::from("1")).unwrap_err();
        assert!(
            wrong.starts_with("field `n`: a value") && wrong.ends_with("where the type is `u32`"),
            "{wrong}"
        );
        let variants = [field("m", StoredType::Enum { name: "Mood".into(), variants: vec!["Happy".into()] })];
        assert_eq!(
            encode(&variants, AnyValue::Enum("Sad".into())).unwrap_err(),
            "field `m`: `Mood` has no variant `Sad`"
        );
        let list = [field("l", StoredType::List(Box::new(StoredType::U8)))];
        let element = encode(&list, AnyValue::List(vec![AnyValue::U8(1), AnyValue::U16(2)])).unwrap_err();
        assert!(element.starts_with("field `l`: element 1: "), "{element}");
        assert_eq!(encode_record(&number, [].iter(), &mut Vec::new()).unwrap_err(), "0 values for 1 fields");
    }

    /// Embedded structs inside embedded structs, whose references are relative to their
    /// own record: encoded, then decoded by the reader's plan, every value comes back.
    #[test]
    fn nested_records_decode_to_what_was_encoded() {
        let leaf = vec![field("s", StoredType::String), field("n", StoredType::U16)];
        let middle = vec![
            field("leaf", StoredType::Embedded { name: "Leaf".into(), fields: leaf.clone() }),
            field("t", StoredType::String),
        ];
        let fields = vec![
            field("a", StoredType::String),
            field("m", StoredType::Embedded { name: "Middle".into(), fields: middle }),
            field(
                "ms",
                StoredType::List(Box::new(StoredType::Embedded { name: "Leaf".into(), fields: leaf })),
            ),
        ];
        let leaf_value = |s: &str, n: u16| {
            AnyValue::Embedded(vec![("s".into(), AnyValue::from(s)), ("n".into(), AnyValue::U16(n))])
        };
        let values = vec![
            AnyValue::from("top"),
            AnyValue::Embedded(vec![
                ("leaf".into(), leaf_value("deep", 9)),
                ("t".into(), AnyValue::from("mid")),
            ]),
            AnyValue::List(vec![leaf_value("x", 1), leaf_value("yy", 2)]),
        ];
        // The record starts after three bytes of something else, as a nested one does.
        let mut out = vec![0xee; 3];
        let start = encode_record(&fields, values.iter(), &mut out).unwrap();
        assert_eq!(start, 3);
        let plan = super::super::RecordPlan::new(&fields).unwrap();
        let decoded = plan.decode_values(&out[start..], crate::codec::Layouts::none()).unwrap();
        assert_eq!(decoded, values);
    }

    /// `self` names the embedded struct around it, so a schema text that has one
    /// anywhere else, or one that is not optional, is no schema a derive writes: both
    /// the plan and the encoder refuse it with the reason.
    #[test]
    fn self_outside_an_embedded_struct_or_without_an_option_is_refused() {
        let at_the_top = [FieldDef { name: "me".into(), ty: StoredType::Recursive, nullable: true }];
        let reason = super::super::RecordPlan::new(&at_the_top).unwrap_err();
        assert_eq!(reason, "field `me`: `self` is only an embedded struct's optional field");
        let refused = encode(&at_the_top, AnyValue::Embedded(vec![])).unwrap_err();
        assert_eq!(refused, "field `me`: `self` outside an embedded struct");

        let endless = vec![field("next", StoredType::Recursive)];
        let fields = [field("e", StoredType::Embedded { name: "E".into(), fields: endless })];
        let reason = super::super::RecordPlan::new(&fields).unwrap_err();
        assert_eq!(reason, "field `e`: field `next`: `self` is not optional, so it never ends");
        let in_a_list = vec![field("all", StoredType::List(Box::new(StoredType::Recursive)))];
        let fields = [field("e", StoredType::Embedded { name: "E".into(), fields: in_a_list })];
        let reason = super::super::RecordPlan::new(&fields).unwrap_err();
        assert_eq!(reason, "field `e`: field `all`: `self` is only an embedded struct's optional field");
    }
}
