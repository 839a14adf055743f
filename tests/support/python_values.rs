//! The Python library's values in the tagged description of `tests/python/vectors.jsonl`
//! (`{"t": "tuple", "v": [...]}`), for the tests that check them: the vectors, and the values
//! the Redis test exchanges with Python (`tools/python/kimera_serializer.py` reads and writes
//! the same description).

use chrono::NaiveDateTime;
use kimera::python::Value;
use serde_json::{json, Value as Json};

/// A tagged description as a `Value`.
pub fn described(json: &Json) -> Value {
    let v = &json["v"];
    match json["t"].as_str().expect("a tag") {
        "none" => Value::None,
        "bool" => Value::Bool(v.as_bool().expect("a bool")),
        "int" => Value::Int(v.as_i64().expect("an i64")),
        "float" => Value::Float(v.as_f64().expect("a float")),
        "str" => Value::Str(v.as_str().expect("a string").to_owned()),
        "list" => Value::List(v.as_array().expect("items").iter().map(described).collect()),
        "tuple" => Value::Tuple(v.as_array().expect("items").iter().map(described).collect()),
        "dict" => Value::Dict(
            v.as_array()
                .expect("pairs")
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().expect("a key").to_owned(),
                        described(&pair[1]),
                    )
                })
                .collect(),
        ),
        "datetime" => Value::DateTime(
            NaiveDateTime::parse_from_str(v.as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%.f")
                .expect("a datetime"),
        ),
        "date" => Value::Date(v.as_str().unwrap().parse().expect("a date")),
        other => panic!("unknown tag {other}"),
    }
}

/// The tagged description of `value`, [`described`]'s inverse (finite floats only: JSON has
/// no NaN).
#[allow(dead_code)]
pub fn describe(value: &Value) -> Json {
    let items = |items: &[Value]| items.iter().map(describe).collect::<Vec<_>>();
    match value {
        Value::None => json!({"t": "none"}),
        Value::Bool(b) => json!({"t": "bool", "v": b}),
        Value::Int(i) => json!({"t": "int", "v": i}),
        Value::Float(x) => json!({"t": "float", "v": x}),
        Value::Str(s) => json!({"t": "str", "v": s}),
        Value::List(v) => json!({"t": "list", "v": items(v)}),
        Value::Tuple(v) => json!({"t": "tuple", "v": items(v)}),
        Value::Dict(entries) => json!({
            "t": "dict",
            "v": entries.iter().map(|(k, v)| json!([k, describe(v)])).collect::<Vec<_>>(),
        }),
        Value::DateTime(at) => {
            json!({"t": "datetime", "v": at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()})
        }
        Value::Date(date) => json!({"t": "date", "v": date.to_string()}),
    }
}

/// The vectors: id, value, and the library's wire text.
pub fn vectors() -> Vec<(u64, Value, String)> {
    let text = include_str!("../python/vectors.jsonl");
    text.lines()
        .map(|line| {
            // `float_roundtrip` is on: the description's floats are read exactly.
            let line: Json = serde_json::from_str(line).expect("a JSON line");
            (
                line["id"].as_u64().expect("an id"),
                described(&line["value"]),
                line["wire"].as_str().expect("wire text").to_owned(),
            )
        })
        .collect()
}
