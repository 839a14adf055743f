//! Checks that a schema describes the bytes serde really writes: a bincode body is walked by
//! the schema's compact shapes and must be consumed exactly, a JSON value must have the
//! schema's readable shapes. A handler whose schema lies fails here even when its values
//! round-trip (serde reads back what serde wrote, whatever the schema says).

use kimera::schema::{EnumRepr, Fields, Shape};
use kimera::Schema;
use serde_json::Value;

/// Walks `body` (bincode, standard configuration) as `schema` says; an error names what did
/// not match.
pub fn check_binary(schema: &Schema, body: &[u8]) -> Result<(), String> {
    let mut at = Bytes(body);
    walk(schema, &mut at)?;
    match at.0.len() {
        0 => Ok(()),
        n => Err(format!("{n} bytes left after `{}`", schema.type_name())),
    }
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err(format!("wanted {n} bytes, {} left", self.0.len()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    /// bincode's varint: below 251 one byte, else a marker and 2, 4, 8 or 16 bytes.
    fn varint(&mut self) -> Result<u128, String> {
        let first = self.take(1)?[0];
        let width = match first {
            0..=250 => return Ok(first.into()),
            251 => 2,
            252 => 4,
            253 => 8,
            254 => 16,
            _ => return Err("varint marker 255".into()),
        };
        let mut le = [0u8; 16];
        le[..width].copy_from_slice(self.take(width)?);
        Ok(u128::from_le_bytes(le))
    }

    fn length(&mut self) -> Result<usize, String> {
        usize::try_from(self.varint()?).map_err(|_| "length out of range".to_owned())
    }
}

fn walk(schema: &Schema, at: &mut Bytes<'_>) -> Result<(), String> {
    match *schema {
        Schema::Bool => match at.take(1)?[0] {
            0 | 1 => Ok(()),
            b => Err(format!("bool byte {b}")),
        },
        Schema::U8 | Schema::I8 => at.take(1).map(drop),
        Schema::I16
        | Schema::I32
        | Schema::I64
        | Schema::I128
        | Schema::U16
        | Schema::U32
        | Schema::U64
        | Schema::U128 => at.varint().map(drop),
        Schema::F32 => at.take(4).map(drop),
        Schema::F64 => at.take(8).map(drop),
        Schema::Char => {
            let first = at.take(1)?[0];
            let extra = match first.leading_ones() {
                0 => 0,
                2 => 1,
                3 => 2,
                4 => 3,
                _ => return Err(format!("char byte {first:#x}")),
            };
            at.take(extra).map(drop)
        }
        Schema::Str => {
            let len = at.length()?;
            std::str::from_utf8(at.take(len)?).map_err(|e| e.to_string())?;
            Ok(())
        }
        Schema::Bytes => {
            let len = at.length()?;
            at.take(len).map(drop)
        }
        Schema::Unit => Ok(()),
        Schema::Date | Schema::Time | Schema::DateTime | Schema::DateTimeUtc => {
            walk(&Schema::Str, at)
        }
        Schema::DateTimeOffset => walk(&Schema::Str, at),
        Schema::TimeDelta => walk(&Schema::Tuple(&[&Schema::I64, &Schema::I32]), at),
        Schema::Duration => walk(&Schema::Tuple(&[&Schema::U64, &Schema::U32]), at),
        Schema::Compact(form) => walk(compact(form)?, at),
        Schema::Option(inner) => match at.take(1)?[0] {
            0 => Ok(()),
            1 => walk(inner, at),
            b => Err(format!("option byte {b}")),
        },
        Schema::List(item) | Schema::Set(item) => {
            for _ in 0..at.length()? {
                walk(item, at)?;
            }
            Ok(())
        }
        Schema::Map(key, value) => {
            for _ in 0..at.length()? {
                walk(key, at)?;
                walk(value, at)?;
            }
            Ok(())
        }
        Schema::Tuple(items) => items.iter().try_for_each(|item| walk(item, at)),
        Schema::Array(item, len) => (0..len).try_for_each(|_| walk(item, at)),
        Schema::Named(r) => walk((r.definition)(), at),
        Schema::Foreign(f) => walk(f.compact, at),
        Schema::Type(def) => match def.shape {
            Shape::Struct(fields) => walk_fields(&fields, at),
            Shape::Transparent(inner) => walk(inner, at),
            Shape::Enum {
                repr: EnumRepr::External,
                variants,
            } => {
                let index = at.varint()?;
                let variant = usize::try_from(index)
                    .ok()
                    .and_then(|i| variants.get(i))
                    .ok_or_else(|| format!("`{}` has no variant {index}", def.name))?;
                walk_fields(&variant.fields, at)
            }
            ref other => Err(format!("not a binary shape: {other:?}")),
        },
        ref other => Err(format!("not a binary schema: {other:?}")),
    }
}

/// The numbers a compact chrono form is (docs/schema.md, "Compact chrono values").
fn compact(form: &Schema) -> Result<&'static Schema, String> {
    Ok(match form {
        Schema::Date => &Schema::I32,
        Schema::Time => &Schema::Tuple(&[&Schema::U32, &Schema::U32]),
        Schema::DateTime | Schema::DateTimeUtc => &Schema::Tuple(&[&Schema::I64, &Schema::U32]),
        Schema::DateTimeOffset => &Schema::Tuple(&[&Schema::I64, &Schema::U32, &Schema::I32]),
        other => return Err(format!("no compact form of {other:?}")),
    })
}

fn walk_fields(fields: &Fields, at: &mut Bytes<'_>) -> Result<(), String> {
    match *fields {
        Fields::Unit => Ok(()),
        Fields::Newtype(inner) => walk(inner, at),
        Fields::Tuple(items) => items.iter().try_for_each(|item| walk(item, at)),
        Fields::Named(fields) => fields.iter().try_for_each(|f| walk(f.schema, at)),
        ref other => Err(format!("unknown fields {other:?}")),
    }
}

/// Checks that `value` (as serde_json writes it) has `schema`'s readable shape.
pub fn check_json(schema: &Schema, value: &Value) -> Result<(), String> {
    let bad = || Err(format!("`{value}` is not a `{}`", schema.type_name()));
    let integer = |value: &Value| value.is_i64() || value.is_u64();
    match (schema, value) {
        (Schema::Bool, Value::Bool(_)) | (Schema::Unit, Value::Null) | (Schema::Any, _) => Ok(()),
        (
            Schema::I8
            | Schema::I16
            | Schema::I32
            | Schema::I64
            | Schema::U8
            | Schema::U16
            | Schema::U32
            | Schema::U64,
            v,
        ) if integer(v) => Ok(()),
        // serde_json writes a 128-bit integer as a number, or as a string beyond 64 bits when
        // read into a `Value`.
        (Schema::I128 | Schema::U128, v) if integer(v) || v.is_string() => Ok(()),
        (Schema::F32 | Schema::F64, Value::Number(_)) => Ok(()),
        (Schema::Char, Value::String(s)) if s.chars().count() == 1 => Ok(()),
        (
            Schema::Str
            | Schema::Date
            | Schema::Time
            | Schema::DateTime
            | Schema::DateTimeUtc
            | Schema::DateTimeOffset,
            Value::String(_),
        ) => Ok(()),
        (Schema::Bytes, Value::Array(items))
            if items.iter().all(|b| b.as_u64().is_some_and(|b| b < 256)) =>
        {
            Ok(())
        }
        (Schema::Duration, _) => check_json(
            &Schema::Tuple(&[&Schema::U64, &Schema::U32]),
            &Value::Array(vec![value["secs"].clone(), value["nanos"].clone()]),
        ),
        (Schema::TimeDelta, _) => check_json(&Schema::Tuple(&[&Schema::I64, &Schema::I32]), value),
        (Schema::Compact(form), v) => check_json(compact(form)?, v),
        (Schema::Option(_), Value::Null) => Ok(()),
        (Schema::Option(inner), v) => check_json(inner, v),
        (Schema::List(item) | Schema::Set(item), Value::Array(items)) => {
            items.iter().try_for_each(|v| check_json(item, v))
        }
        (Schema::Map(_, v), Value::Object(entries)) => {
            entries.values().try_for_each(|e| check_json(v, e))
        }
        (Schema::Tuple(schemas), Value::Array(items)) if schemas.len() == items.len() => schemas
            .iter()
            .zip(items)
            .try_for_each(|(s, v)| check_json(s, v)),
        (Schema::Array(item, len), Value::Array(items)) if items.len() == *len => {
            items.iter().try_for_each(|v| check_json(item, v))
        }
        (Schema::Named(r), v) => check_json((r.definition)(), v),
        (Schema::Foreign(f), v) => check_json(f.readable, v),
        (Schema::Type(def), v) => match def.shape {
            Shape::Struct(fields) => json_fields(&fields, v),
            Shape::Transparent(inner) => check_json(inner, v),
            Shape::Enum {
                repr: EnumRepr::External,
                variants,
            } => {
                let (name, content) = match v {
                    Value::String(name) => (name.as_str(), None),
                    Value::Object(map) if map.len() == 1 => {
                        let (name, content) = map.iter().next().unwrap();
                        (name.as_str(), Some(content))
                    }
                    _ => return bad(),
                };
                let variant = variants
                    .iter()
                    .find(|variant| variant.name == name)
                    .ok_or_else(|| format!("no variant `{name}`"))?;
                match (content, &variant.fields) {
                    (None, Fields::Unit) => Ok(()),
                    (Some(content), fields) => json_fields(fields, content),
                    (None, _) => bad(),
                }
            }
            _ => bad(),
        },
        _ => bad(),
    }
}

fn json_fields(fields: &Fields, value: &Value) -> Result<(), String> {
    match (*fields, value) {
        (Fields::Unit, Value::Null) => Ok(()),
        (Fields::Newtype(inner), v) => check_json(inner, v),
        (Fields::Tuple(items), v) => check_json(&Schema::Tuple(items), v),
        (Fields::Named(fields), Value::Object(map)) if map.len() == fields.len() => {
            fields.iter().try_for_each(|f| match map.get(f.name) {
                Some(v) => check_json(f.schema, v),
                None => Err(format!("no field `{}` in `{value}`", f.name)),
            })
        }
        _ => Err(format!("`{value}` does not have the fields {fields:?}")),
    }
}
