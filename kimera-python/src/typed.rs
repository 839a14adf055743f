//! The typed bridge: Rust values of handled types to and from the Python library's values.

use kimera_core::envelope::data_error;
use kimera_core::{EnumRepr, Fields, KimeraHandler, Result, Schema, Shape};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{error, Value};
use kimera_core::value::Value as Tree;

/// Writes `value` as the Python library's wire text: structs and maps as dicts keyed by the
/// names serde writes, sequences as lists, tuples as tuples, `None` and `()` as None, and the
/// fields the type's schema says are `NaiveDateTime` or `NaiveDate` with the date handlers.
///
/// ```
/// use chrono::NaiveDate;
/// use kimera::Kimera;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
/// struct Member { name: String, joined: NaiveDate, scores: (u8, u8) }
///
/// let member = Member {
///     name: "Ada".into(),
///     joined: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
///     scores: (7, 9),
/// };
/// let wire = kimera::python::to_string(&member)?;
/// assert!(wire.ends_with(r#""serializer": "DictSerializerHandler"}"#));
/// let back: Member = kimera::python::from_str(&wire)?;
/// assert_eq!(back, member);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `T`'s `Serialize` implementation fails ([`ErrorKind::Encode`]), if
/// the value holds what the Python format cannot (an integer beyond the 64-bit signed range, a date
/// or datetime [`Value::to_wire`] refuses: a [`WireError`] saying where), or if its text would nest
/// deeper or be longer than the default [`Limits`] allow ([`ErrorKind::LimitExceeded`]).
///
/// [`ErrorKind::Encode`]: kimera_core::ErrorKind::Encode
/// [`ErrorKind::LimitExceeded`]: kimera_core::ErrorKind::LimitExceeded
/// [`Limits`]: kimera_core::Limits
/// [`WireError`]: crate::WireError
pub fn to_string<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<String> {
    let tree = Tree::of(value)?;
    let value = convert(&tree, T::SCHEMA, &mut String::from("$"))?;
    value.to_wire()
}

/// Reads a `T` from the Python library's wire text, as [`to_string`] writes it (or as
/// the Python side writes the same shapes).
///
/// # Errors
///
/// This conversion can fail as [`Value::from_wire`] can, on a NaN or infinite float (a
/// [`WireError`]: serde reads the value through JSON's number model, which has neither), and if
/// the value is not a valid `T` ([`ErrorKind::Data`], with the field path).
///
/// [`ErrorKind::Data`]: kimera_core::ErrorKind::Data
/// [`WireError`]: crate::WireError
pub fn from_str<T: KimeraHandler + DeserializeOwned>(wire: &str) -> Result<T> {
    let value = Value::from_wire(wire)?;
    let json = to_json(&value, &mut String::from("$"))?;
    serde_path_to_error::deserialize::<_, T>(json)
        .map_err(|err| data_error::<T>(err.path(), err.inner()).into())
}

/// `tree`, written by serde for `schema`, as a Python value.
fn convert(tree: &Tree, schema: &Schema, path: &mut String) -> Result<Value> {
    Ok(match (schema, tree) {
        (Schema::Named(r), _) => return convert(tree, (r.definition)(), path),
        (Schema::Type(def), _) => return convert_shape(tree, &def.shape, path),
        // The tree is JSON, which serde impls write in their human-readable form.
        (Schema::Foreign(f), _) => return convert(tree, f.readable, path),
        (Schema::DateTime, Tree::Str(text)) => Value::DateTime(
            text.parse()
                .map_err(|e| error(path, format!("`{text}` is not a datetime: {e}")))?,
        ),
        (Schema::Date, Tree::Str(text)) => Value::Date(
            text.parse()
                .map_err(|e| error(path, format!("`{text}` is not a date: {e}")))?,
        ),
        (Schema::Option(_), Tree::Null) => Value::None,
        (Schema::Option(inner), _) => return convert(tree, inner, path),
        (Schema::List(item) | Schema::Set(item) | Schema::Array(item, _), Tree::List(items)) => {
            Value::List(items_of(items, |_| item, path)?)
        }
        (Schema::Tuple(schemas), Tree::List(items)) if schemas.len() == items.len() => {
            Value::Tuple(items_of(items, |i| schemas[i], path)?)
        }
        (Schema::Map(_, value), Tree::Map(entries)) => {
            Value::Dict(entries_of(entries, |_| Some(value), path)?)
        }
        _ => return plain(tree, path),
    })
}

fn convert_shape(tree: &Tree, shape: &Shape, path: &mut String) -> Result<Value> {
    match (shape, tree) {
        (Shape::Transparent(inner), _) => convert(tree, inner, path),
        (Shape::Struct(fields), _) => convert_fields(tree, fields, path),
        (
            Shape::Enum {
                repr: EnumRepr::External,
                variants,
            },
            Tree::Variant(name, content),
        ) => {
            let fields = variants.iter().find(|v| v.name == name).map(|v| &v.fields);
            let content = super::at(path, format_args!("[{name:?}]"), |path| match fields {
                Some(fields) => convert_fields(content, fields, path),
                None => plain(content, path),
            })?;
            Ok(Value::Dict(vec![(name.clone(), content)]))
        }
        _ => plain(tree, path),
    }
}

fn convert_fields(tree: &Tree, fields: &Fields, path: &mut String) -> Result<Value> {
    match (fields, tree) {
        (Fields::Unit, Tree::Null) => Ok(Value::None),
        (Fields::Newtype(inner), _) => convert(tree, inner, path),
        (Fields::Tuple(schemas), Tree::List(items)) if schemas.len() == items.len() => {
            Ok(Value::Tuple(items_of(items, |i| schemas[i], path)?))
        }
        (Fields::Named(fields), Tree::Map(entries)) => Ok(Value::Dict(entries_of(
            entries,
            |key| fields.iter().find(|f| f.name == key).map(|f| f.schema),
            path,
        )?)),
        _ => plain(tree, path),
    }
}

fn items_of<'s>(
    items: &[Tree],
    schema: impl Fn(usize) -> &'s Schema,
    path: &mut String,
) -> Result<Vec<Value>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            super::at(path, format_args!("[{i}]"), |path| {
                convert(item, schema(i), path)
            })
        })
        .collect()
}

fn entries_of<'s>(
    entries: &[(String, Tree)],
    schema: impl Fn(&str) -> Option<&'s Schema>,
    path: &mut String,
) -> Result<Vec<(String, Value)>> {
    entries
        .iter()
        .map(|(key, item)| {
            let value = super::at(path, format_args!("[{key:?}]"), |path| match schema(key) {
                Some(schema) => convert(item, schema, path),
                None => plain(item, path),
            })?;
            Ok((key.clone(), value))
        })
        .collect()
}

/// A value with no schema to guide it: by its serde shape alone.
fn plain(tree: &Tree, path: &mut String) -> Result<Value> {
    let int = |n: i128| {
        i64::try_from(n).map(Value::Int).map_err(|_| {
            error(
                path,
                format!("the integer {n} is beyond the 64-bit range the Python format holds"),
            )
        })
    };
    Ok(match tree {
        Tree::Null => Value::None,
        Tree::Bool(b) => Value::Bool(*b),
        Tree::Int(i) => int(*i)?,
        Tree::UInt(u) => match i64::try_from(*u) {
            Ok(i) => Value::Int(i),
            Err(_) => {
                return Err(error(
                    path,
                    format!("the integer {u} is beyond the 64-bit range the Python format holds"),
                ))
            }
        },
        Tree::Float(f) => Value::Float(*f),
        Tree::Str(s) => Value::Str(s.clone()),
        Tree::List(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| super::at(path, format_args!("[{i}]"), |path| plain(item, path)))
                .collect::<Result<_>>()?,
        ),
        Tree::Map(entries) => Value::Dict(entries_of(entries, |_| None, path)?),
        Tree::Variant(name, content) => {
            let content = super::at(path, format_args!("[{name:?}]"), |path| {
                plain(content, path)
            })?;
            Value::Dict(vec![(name.clone(), content)])
        }
    })
}

/// A Python value as serde_json's value model, for serde to read into a type: dates and
/// datetimes as the ISO 8601 text chrono reads.
fn to_json(value: &Value, path: &mut String) -> Result<serde_json::Value> {
    use serde_json::Value as Json;
    Ok(match value {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None => {
                return Err(error(
                    path,
                    format!(
                        "{f} has no typed form here (serde reads it through JSON's number model)"
                    ),
                ))
            }
        },
        Value::Str(s) => Json::String(s.clone()),
        Value::List(items) | Value::Tuple(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| super::at(path, format_args!("[{i}]"), |path| to_json(item, path)))
                .collect::<Result<_>>()?,
        ),
        Value::Dict(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| {
                    let value =
                        super::at(path, format_args!("[{key:?}]"), |path| to_json(item, path))?;
                    Ok((key.clone(), value))
                })
                .collect::<Result<_>>()?,
        ),
        Value::DateTime(at) => Json::String(at.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        Value::Date(date) => Json::String(date.format("%Y-%m-%d").to_string()),
    })
}
