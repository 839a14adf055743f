//! Pickle values as `tools/python/pickle_differential.py` describes them, so that Rust and
//! Python compare values, not bytes (tests/pickle.rs, tests/redis.rs).
#![allow(dead_code)] // Each test uses some of them.

use kimera::pickle::{TimeZone, Value};
use serde_json::{json, Value as Json};

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The description the Python script gives of the same value.
pub fn describe(value: &Value) -> Json {
    let items = |items: &[Value]| Json::Array(items.iter().map(describe).collect());
    let tz = |tz: &Option<TimeZone>| match tz {
        None => Json::Null,
        Some(tz) => json!({"offset": tz.offset.local_minus_utc(), "name": tz.name}),
    };
    match value {
        Value::None => json!({"t": "none"}),
        Value::Bool(b) => json!({"t": "bool", "v": b}),
        Value::Int(i) => json!({"t": "int", "v": i.to_string()}),
        Value::Float(f) => json!({"t": "float", "v": to_hex(&f.to_be_bytes())}),
        Value::Str(s) => json!({"t": "str", "v": s}),
        Value::Bytes(b) => json!({"t": "bytes", "v": to_hex(b)}),
        Value::ByteArray(b) => json!({"t": "bytearray", "v": to_hex(b)}),
        Value::List(v) => json!({"t": "list", "v": items(v)}),
        Value::Tuple(v) => json!({"t": "tuple", "v": items(v)}),
        Value::Set(v) => json!({"t": "set", "v": items(v)}),
        Value::FrozenSet(v) => json!({"t": "frozenset", "v": items(v)}),
        Value::Dict(entries) => json!({"t": "dict", "v": entries
            .iter()
            .map(|(k, v)| json!([describe(k), describe(v)]))
            .collect::<Vec<_>>()}),
        Value::Date(d) => json!({"t": "date", "v": d.format("%Y-%m-%d").to_string()}),
        Value::Time(t) => {
            json!({"t": "time", "v": t.time.format("%H:%M:%S%.6f").to_string(), "tz": tz(&t.tz)})
        }
        Value::DateTime(d) => {
            json!({"t": "datetime", "v": d.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(), "tz": tz(&d.tz)})
        }
        Value::TimeDelta(t) => {
            json!({"t": "timedelta", "v": [t.days(), t.seconds(), t.microseconds()]})
        }
        Value::Decimal(d) => json!({"t": "decimal", "v": d.as_str()}),
    }
}

/// NaN bits differ by protocol (text `nan` is the canonical NaN): compare NaNs as NaNs.
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y))
            if x.get("t") == Some(&json!("float")) && y.get("t") == Some(&json!("float")) =>
        {
            let f =
                |j: &Json| f64::from_bits(u64::from_str_radix(j.as_str().unwrap(), 16).unwrap());
            let (p, q) = (f(&x["v"]), f(&y["v"]));
            (p.is_nan() && q.is_nan()) || p.to_bits() == q.to_bits()
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}
