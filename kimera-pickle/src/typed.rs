//! Typed values: serde's shapes, then the schema's word on what each text or list is, so that
//! a `NaiveDate` field is a `datetime.date` to Python and a `HashSet` a `set`.

use chrono::{DateTime as ChronoDateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use kimera_core::{EnumRepr, Fields, Schema, Shape, Variant};

use crate::error::{at_path, Result};
use crate::value::{DateTime, Time, TimeDelta, TimeZone, Value};

/// `value`, serialized by serde for `schema`, with dates, times, durations and sets as
/// Python's.
pub(crate) fn convert(value: Value, schema: &Schema, path: &mut String) -> Result<Value> {
    Ok(match (schema, value) {
        (Schema::Named(r), value) => return convert(value, (r.definition)(), path),
        (Schema::Type(def), value) => return shape(value, &def.shape, path),
        // Serialized as a human-readable format: a `Uuid` is its text.
        (Schema::Foreign(f), value) => return convert(value, f.readable, path),
        (Schema::Option(_), Value::None) => Value::None,
        (Schema::Option(inner), value) => return convert(value, inner, path),
        (Schema::Date, Value::Str(text)) => Value::Date(parse::<NaiveDate>(&text, "date", path)?),
        (Schema::Time, Value::Str(text)) => Value::Time(Time {
            time: parse::<NaiveTime>(&text, "time", path)?,
            tz: None,
        }),
        (Schema::DateTime, Value::Str(text)) => Value::DateTime(DateTime {
            at: parse::<NaiveDateTime>(&text, "datetime", path)?,
            tz: None,
        }),
        (Schema::DateTimeUtc | Schema::DateTimeOffset, Value::Str(text)) => {
            let at = parse::<ChronoDateTime<FixedOffset>>(&text, "datetime", path)?;
            let tz = if matches!(schema, Schema::DateTimeUtc) {
                TimeZone::utc()
            } else {
                TimeZone::fixed(*at.offset())
            };
            Value::DateTime(DateTime {
                at: at.naive_local(),
                tz: Some(tz),
            })
        }
        // chrono's `(seconds, nanoseconds)`, and std's `{secs, nanos}`.
        (Schema::TimeDelta, Value::Tuple(parts)) => duration(&parts, path)?,
        (Schema::Duration, Value::Dict(entries)) => {
            let parts: Vec<Value> = entries.into_iter().map(|(_, v)| v).collect();
            duration(&parts, path)?
        }
        (Schema::List(item) | Schema::Array(item, _), Value::List(items)) => {
            Value::List(items_of(items, |_| item, path)?)
        }
        (Schema::List(item) | Schema::Array(item, _), Value::Tuple(items)) => {
            Value::Tuple(items_of(items, |_| item, path)?)
        }
        (Schema::Set(item), Value::List(items)) => Value::Set(items_of(items, |_| item, path)?),
        (Schema::Tuple(schemas), Value::Tuple(items)) if schemas.len() == items.len() => {
            Value::Tuple(items_of(items, |i| schemas[i], path)?)
        }
        (Schema::Map(key, item), Value::Dict(entries)) => Value::Dict(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let segment = crate::segment(&k);
                    let k = convert(k, key, path)?;
                    let v = crate::at(path, format_args!("{segment}"), |path| {
                        convert(v, item, path)
                    })?;
                    Ok((k, v))
                })
                .collect::<Result<_>>()?,
        ),
        (_, value) => value,
    })
}

fn shape(value: Value, shape: &Shape, path: &mut String) -> Result<Value> {
    match (shape, value) {
        (Shape::Transparent(inner), value) => convert(value, inner, path),
        (Shape::Struct(fields), value) => convert_fields(value, fields, path),
        (
            Shape::Enum {
                repr: EnumRepr::External,
                variants,
            },
            Value::Dict(mut entries),
        ) if entries.len() == 1 => {
            let (name, content) = entries.pop().expect("one entry");
            let fields = match &name {
                Value::Str(name) => variants.iter().find(|v| v.name == name).map(|v| &v.fields),
                _ => None,
            };
            let segment = crate::segment(&name);
            let content = match fields {
                Some(fields) => crate::at(path, format_args!("{segment}"), |path| {
                    convert_fields(content, fields, path)
                })?,
                None => content,
            };
            Ok(Value::Dict(vec![(name, content)]))
        }
        (Shape::TaggedStruct { fields, .. }, value) => convert_fields(value, fields, path),
        // `{"t": "Variant", ...fields}`: the tag says which variant's fields the others are.
        (
            Shape::Enum {
                repr: EnumRepr::Internal { tag },
                variants,
            },
            Value::Dict(entries),
        ) => match variant_named(&entries, tag, variants) {
            Some(fields) => convert_fields(Value::Dict(entries), fields, path),
            None => Ok(Value::Dict(entries)),
        },
        // `{"t": "Variant", "c": content}`.
        (
            Shape::Enum {
                repr: EnumRepr::Adjacent { tag, content },
                variants,
            },
            Value::Dict(entries),
        ) => {
            let Some(fields) = variant_named(&entries, tag, variants) else {
                return Ok(Value::Dict(entries));
            };
            let segment = format!("[{content:?}]");
            entries
                .into_iter()
                .map(|(key, item)| {
                    if key == Value::Str((*content).to_owned()) {
                        let item = crate::at(path, format_args!("{segment}"), |path| {
                            convert_fields(item, fields, path)
                        })?;
                        Ok((key, item))
                    } else {
                        Ok((key, item))
                    }
                })
                .collect::<Result<_>>()
                .map(Value::Dict)
        }
        (_, value) => Ok(value),
    }
}

/// The fields of the variant an internally or adjacently tagged enum's `tag` names.
fn variant_named<'v>(
    entries: &[(Value, Value)],
    tag: &str,
    variants: &'v [Variant],
) -> Option<&'v Fields> {
    let name = entries.iter().find_map(|(key, value)| match (key, value) {
        (Value::Str(key), Value::Str(name)) if key == tag => Some(name),
        _ => None,
    })?;
    variants.iter().find(|v| v.name == name).map(|v| &v.fields)
}

fn convert_fields(value: Value, fields: &Fields, path: &mut String) -> Result<Value> {
    Ok(match (fields, value) {
        (Fields::Newtype(inner), value) => convert(value, inner, path)?,
        (Fields::Tuple(schemas), Value::Tuple(items)) if schemas.len() == items.len() => {
            Value::Tuple(items_of(items, |i| schemas[i], path)?)
        }
        (Fields::Named(fields), Value::Dict(entries)) => Value::Dict(
            entries
                .into_iter()
                .map(|(key, item)| {
                    let schema = match &key {
                        Value::Str(name) => {
                            fields.iter().find(|f| f.name == name).map(|f| f.schema)
                        }
                        _ => None,
                    };
                    let item = match schema {
                        Some(schema) => {
                            let segment = crate::segment(&key);
                            crate::at(path, format_args!("{segment}"), |path| {
                                convert(item, schema, path)
                            })?
                        }
                        None => item,
                    };
                    Ok((key, item))
                })
                .collect::<Result<_>>()?,
        ),
        (_, value) => value,
    })
}

fn items_of<'s>(
    items: Vec<Value>,
    schema: impl Fn(usize) -> &'s Schema,
    path: &mut String,
) -> Result<Vec<Value>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            crate::at(path, format_args!("[{i}]"), |path| {
                convert(item, schema(i), path)
            })
        })
        .collect()
}

fn parse<T: std::str::FromStr>(text: &str, what: &str, path: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| at_path(path, format!("`{text}` is not a {what}: {e}")))
}

/// Seconds and nanoseconds as a `timedelta`, which holds microseconds: a finer fraction is
/// refused rather than rounded.
fn duration(parts: &[Value], path: &str) -> Result<Value> {
    let (seconds, nanos) = match parts {
        [Value::Int(seconds), Value::Int(nanos)] => (*seconds, *nanos),
        _ => {
            return Err(at_path(
                path,
                "a duration that is not seconds and nanoseconds",
            ))
        }
    };
    if nanos % 1000 != 0 {
        return Err(at_path(
            path,
            format!("a duration with {nanos} nanoseconds: Python's timedelta holds microseconds, and it is refused rather than rounded"),
        ));
    }
    seconds
        .checked_mul(1_000_000)
        .and_then(|micros| micros.checked_add(nanos / 1000))
        .and_then(TimeDelta::from_microseconds)
        .map(Value::TimeDelta)
        .ok_or_else(|| at_path(path, "a duration beyond timedelta's 999999999 days"))
}
