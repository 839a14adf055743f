//! The Python Kimera library's two serializers share one model of values: its JSON wire
//! format's (`kimera::python::Value`) is a part of this one (feature `python` with `pickle`).

use kimera_python::Value as Wire;

use crate::error::{at_path, Result};
use crate::value::{describe, DateTime};
use crate::Value;

/// Every value of the JSON wire format is a pickle value: the same family, a naive datetime
/// for its `DateTime`.
///
/// ```
/// use kimera::pickle::Value;
///
/// let wire = kimera::python::Value::Dict(vec![("n".into(), kimera::python::Value::Int(1))]);
/// assert_eq!(Value::from(wire), Value::Dict(vec![(Value::Str("n".into()), Value::Int(1))]));
/// ```
impl From<Wire> for Value {
    fn from(value: Wire) -> Value {
        match value {
            Wire::None => Value::None,
            Wire::Bool(b) => Value::Bool(b),
            Wire::Int(i) => Value::Int(i.into()),
            Wire::Float(f) => Value::Float(f),
            Wire::Str(s) => Value::Str(s),
            Wire::List(items) => Value::List(items.into_iter().map(Value::from).collect()),
            Wire::Tuple(items) => Value::Tuple(items.into_iter().map(Value::from).collect()),
            Wire::Dict(entries) => Value::Dict(
                entries
                    .into_iter()
                    .map(|(k, v)| (Value::Str(k), Value::from(v)))
                    .collect(),
            ),
            Wire::DateTime(at) => Value::DateTime(DateTime { at, tz: None }),
            Wire::Date(date) => Value::Date(date),
        }
    }
}

/// A pickle value in the JSON wire format's model, if it has a form there: what the Python
/// library's `KimeraSerializer` handles (None, bool, 64-bit int, float, str, list, tuple,
/// dict with str keys, naive datetime, date).
///
/// ```
/// use kimera::pickle::Value;
///
/// let wire = kimera::python::Value::try_from(Value::List(vec![Value::Int(1)]))?;
/// assert_eq!(wire.to_wire()?, r#"{"data": ["{\"data\": 1, \"serializer\": \"DefaultSerializerHandler\"}"], "serializer": "ListSerializerHandler"}"#);
/// assert!(kimera::python::Value::try_from(Value::Bytes(vec![1])).is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// A value with no handler in the wire format (bytes, sets, times, timedeltas, decimals, an
/// aware datetime, an int beyond 64 bits, a dict key that is not a str): a
/// [`PickleError`](crate::PickleError) with the path.
impl TryFrom<Value> for Wire {
    type Error = kimera_core::Error;

    fn try_from(value: Value) -> Result<Wire> {
        to_wire(value, &mut String::from("$"))
    }
}

fn to_wire(value: Value, path: &mut String) -> Result<Wire> {
    let items = |items: Vec<Value>, path: &mut String| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| crate::at(path, format_args!("[{i}]"), |path| to_wire(item, path)))
            .collect::<Result<Vec<_>>>()
    };
    Ok(match value {
        Value::None => Wire::None,
        Value::Bool(b) => Wire::Bool(b),
        Value::Int(i) => Wire::Int(i64::try_from(i).map_err(|_| {
            at_path(
                path,
                format!("the int {i} is beyond the 64-bit range the wire format holds"),
            )
        })?),
        Value::Float(f) => Wire::Float(f),
        Value::Str(s) => Wire::Str(s),
        Value::List(v) => Wire::List(items(v, path)?),
        Value::Tuple(v) => Wire::Tuple(items(v, path)?),
        Value::Dict(entries) => Wire::Dict(
            entries
                .into_iter()
                .map(|(key, item)| {
                    let segment = crate::segment(&key);
                    let Value::Str(key) = key else {
                        return Err(at_path(
                            path,
                            format!(
                                "the dict key {}: the wire format's dict keys are str",
                                describe(&key)
                            ),
                        ));
                    };
                    let item =
                        crate::at(path, format_args!("{segment}"), |path| to_wire(item, path))?;
                    Ok((key, item))
                })
                .collect::<Result<_>>()?,
        ),
        Value::DateTime(DateTime { at, tz: None }) => Wire::DateTime(at),
        Value::Date(date) => Wire::Date(date),
        other => {
            return Err(at_path(
                path,
                format!(
                    "{} has no handler in the Python library's JSON wire format",
                    match &other {
                        Value::DateTime(_) => "an aware datetime".to_owned(),
                        other => format!("a {}", other.type_name()),
                    }
                ),
            ))
        }
    })
}
