//! The Python Kimera library's wire format: every vector it produced reads as its value and
//! writes back byte for byte; the typed bridge; and the errors.
//!
//! `tests/python/vectors.jsonl` is a copy of `../shared/vectors/python-kimera/vectors.jsonl`,
//! so that the crate's tests stand alone.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use kimera::python::{self, Value, WireError};
use kimera::{ErrorKind, Kimera};
use serde::{Deserialize, Serialize};

#[path = "support/python_values.rs"]
mod python_values;

use python_values::vectors;

#[test]
fn every_vector_reads_as_its_value_and_writes_back_byte_for_byte() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 135);
    for (id, value, wire) in vectors {
        let read = Value::from_wire(&wire).unwrap_or_else(|e| panic!("vector {id}: {e}"));
        assert_eq!(read, value, "vector {id} read");
        let written = Value::to_wire(&value).unwrap_or_else(|e| panic!("vector {id}: {e}"));
        assert_eq!(written, wire, "vector {id} written");
    }
}

#[test]
fn floats_keep_every_bit() {
    for x in [
        0.1,
        1e-5,
        1e16,
        -0.0,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        123456.789e-20,
        f64::NAN,
        f64::INFINITY,
    ] {
        let wire = Value::to_wire(&Value::Float(x)).unwrap();
        match Value::from_wire(&wire).unwrap() {
            Value::Float(y) => assert!(
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                "{x:?} -> {wire} -> {y:?}"
            ),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        Value::to_wire(&Value::Float(f64::NEG_INFINITY)).unwrap(),
        r#"{"data": -Infinity, "serializer": "DefaultSerializerHandler"}"#
    );
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "crm.Member")]
struct Member {
    name: String,
    age: u32,
    joined: NaiveDate,
    last_seen: NaiveDateTime,
    nickname: Option<String>,
    scores: Vec<f64>,
    pair: (i64, String),
    attributes: BTreeMap<String, i64>,
    status: Status,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
enum Status {
    Active,
    Suspended { reason: String, until: NaiveDate },
}

fn member() -> Member {
    Member {
        name: "Ada Lovelace".into(),
        age: 36,
        joined: NaiveDate::from_ymd_opt(1843, 7, 10).unwrap(),
        last_seen: NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_micro_opt(12, 30, 45, 123_456)
            .unwrap(),
        nickname: None,
        scores: vec![1.5, 1e-5],
        pair: (-1, "x".into()),
        attributes: BTreeMap::from([("b".into(), 2), ("a".into(), 1)]),
        status: Status::Suspended {
            reason: "résumé".into(),
            until: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        },
    }
}

#[test]
fn a_rust_struct_is_a_python_dict() {
    let wire = python::to_string(&member()).unwrap();
    let Value::Dict(fields) = Value::from_wire(&wire).unwrap() else {
        panic!("a dict");
    };
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "name",
            "age",
            "joined",
            "last_seen",
            "nickname",
            "scores",
            "pair",
            "attributes",
            "status"
        ],
        "serde's field order"
    );
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(field("joined"), Value::Date(member().joined));
    assert_eq!(field("last_seen"), Value::DateTime(member().last_seen));
    assert_eq!(field("nickname"), Value::None);
    assert_eq!(
        field("pair"),
        Value::Tuple(vec![Value::Int(-1), Value::Str("x".into())])
    );
    assert_eq!(
        field("scores"),
        Value::List(vec![Value::Float(1.5), Value::Float(1e-5)])
    );
    assert_eq!(
        field("status"),
        Value::Dict(vec![(
            "Suspended".into(),
            Value::Dict(vec![
                ("reason".into(), Value::Str("résumé".into())),
                (
                    "until".into(),
                    Value::Date(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap())
                ),
            ])
        )])
    );
    // What a Python service sends back reads into the struct.
    let back: Member = python::from_str(&wire).unwrap();
    assert_eq!(back, member());
    // Text the Python side wrote by hand, keys in another order.
    let by_python = Value::to_wire(&Value::Dict(vec![
        ("status".into(), Value::Str("Active".into())),
        ("attributes".into(), Value::Dict(vec![])),
        (
            "pair".into(),
            Value::List(vec![Value::Int(2), Value::Str("y".into())]),
        ),
        ("scores".into(), Value::List(vec![])),
        ("nickname".into(), Value::Str("ada".into())),
        ("last_seen".into(), Value::DateTime(member().last_seen)),
        ("joined".into(), Value::Date(member().joined)),
        ("age".into(), Value::Int(37)),
        ("name".into(), Value::Str("Ada".into())),
    ]))
    .unwrap();
    let read: Member = python::from_str(&by_python).unwrap();
    assert_eq!((read.age, read.status), (37, Status::Active));
    let err = python::from_str::<Member>(&wire.replace("36", "-36")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid `crm.Member` v1 at `age`"),
        "{err}"
    );
}

fn python_error(wire: &str) -> String {
    let err = Value::from_wire(wire).unwrap_err();
    assert!(
        err.downcast_ref::<WireError>().is_some()
            || matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err:?}"
    );
    err.to_string()
}

#[test]
fn bad_wire_text_is_a_clear_error_saying_where() {
    let custom = r#"{"data": ["{\"data\": 1, \"serializer\": \"MoneyHandler\"}"], "serializer": "ListSerializerHandler"}"#;
    let message = python_error(custom);
    assert!(
        message.starts_with("Python Kimera wire format, at `$[0]`: unknown handler `MoneyHandler`"),
        "{message}"
    );

    let unnested = r#"{"data": [1], "serializer": "ListSerializerHandler"}"#;
    assert!(python_error(unnested)
        .contains("at `$[0]`: expected an element's wire text as a string, found an integer"));

    let short_year = r#"{"data": "9641210", "serializer": "DateSerializerHandler"}"#;
    assert!(
        python_error(short_year).contains("without zero padding"),
        "{}",
        python_error(short_year)
    );

    let big = r#"{"data": 9223372036854775808, "serializer": "DefaultSerializerHandler"}"#;
    assert!(python_error(big).contains("beyond the 64-bit range"));

    for (wire, needle) in [
        ("", "unexpected end"),
        ("[]", "expected an object"),
        (r#"{"data": 1}"#, "missing key `serializer`"),
        (
            r#"{"serializer": "DefaultSerializerHandler"}"#,
            "missing key `data`",
        ),
        (
            r#"{"data": 1, "data": 2, "serializer": "DefaultSerializerHandler"}"#,
            "duplicate key",
        ),
        (
            r#"{"data": 1, "serializer": "DefaultSerializerHandler", "x": 0}"#,
            "unexpected key `x`",
        ),
        (
            r#"{"data": [], "serializer": "DefaultSerializerHandler"}"#,
            "cannot hold an array",
        ),
        (
            r#"{"data": "2024-03-01", "serializer": "DateSerializerHandler"}"#,
            "expected a date as YYYYMMDD",
        ),
        (
            r#"{"data": "20240230", "serializer": "DateSerializerHandler"}"#,
            "not a valid date",
        ),
        (
            r#"{"data": "20240301 25:00:00.000000", "serializer": "DateTimeSerializerHandler"}"#,
            "not a valid time",
        ),
        (
            r#"{"data": "20240301 12:00:00", "serializer": "DateTimeSerializerHandler"}"#,
            "expected a datetime",
        ),
    ] {
        let message = python_error(wire);
        assert!(message.contains(needle), "{wire}: {message}");
    }
}

#[test]
fn depth_and_size_are_bounded() {
    // Each level escapes the one inside it again: a deep value is built from the inside out.
    let mut wire = Value::to_wire(&Value::Int(1)).unwrap();
    for _ in 0..12 {
        wire = Value::to_wire(&Value::List(vec![Value::from_wire(&wire).unwrap()])).unwrap();
    }
    let strict = kimera::Limits::default().with_max_depth(8);
    let err = Value::from_wire_with(&wire, &strict).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
    assert!(Value::from_wire(&wire).is_ok());
    let small = kimera::Limits::default().with_max_size(16);
    let err = Value::from_wire_with(&wire, &small).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
}

#[test]
fn values_python_could_not_hold_are_refused_when_written() {
    let fine = NaiveDate::from_ymd_opt(2024, 3, 1)
        .unwrap()
        .and_hms_nano_opt(1, 2, 3, 123_456_789)
        .unwrap();
    let err = Value::to_wire(&Value::List(vec![Value::DateTime(fine)])).unwrap_err();
    assert!(
        err.to_string().contains("at `$[0]`")
            && err.to_string().contains("finer than microseconds"),
        "{err}"
    );
    let ancient = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
    assert!(Value::to_wire(&Value::Date(ancient)).is_err());
    // Years below 1000 are written with four digits, unlike the Python library.
    let early = Value::Date(NaiveDate::from_ymd_opt(964, 12, 10).unwrap());
    let wire = Value::to_wire(&early).unwrap();
    assert_eq!(
        wire,
        r#"{"data": "09641210", "serializer": "DateSerializerHandler"}"#
    );
    assert_eq!(Value::from_wire(&wire).unwrap(), early);
    assert!(python::to_string(&u64::MAX)
        .unwrap_err()
        .to_string()
        .contains("64-bit range"));
}

#[test]
fn hostile_input_costs_what_it_weighs() {
    // Many keys read in linear time (a quadratic reader would take minutes here).
    let entries: Vec<(String, Value)> = (0..100_000)
        .map(|i| (format!("k{i}"), Value::Int(i)))
        .collect();
    let wire = Value::to_wire(&Value::Dict(entries)).unwrap();
    let started = std::time::Instant::now();
    let Value::Dict(read) = Value::from_wire(&wire).unwrap() else {
        panic!("a dict")
    };
    assert_eq!(read.len(), 100_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    // A large payload nested a few levels deep is counted at every level it is decoded.
    let mut wire = Value::to_wire(&Value::Str("a".repeat(100_000))).unwrap();
    for _ in 0..5 {
        wire = Value::to_wire(&Value::List(vec![Value::from_wire(&wire).unwrap()])).unwrap();
    }
    let limits = kimera::Limits::default().with_max_size(3 * wire.len() as u64);
    let err = Value::from_wire_with(&wire, &limits).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );

    // Writing is bounded too: depth (no stack overflow) and size (text doubles per level).
    let mut deep = Value::Int(1);
    for _ in 0..100_000 {
        deep = Value::List(vec![deep]);
    }
    let err = Value::to_wire(&deep).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
    let mut doubling = Value::Str("x".repeat(1000));
    for _ in 0..40 {
        doubling = Value::List(vec![doubling]);
    }
    let small = kimera::Limits::default().with_max_size(1 << 20);
    let err = Value::to_wire_with(&doubling, &small).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
    // Dropping a value this deep recursively would also exhaust the stack: take it apart.
    while let Value::List(mut items) = deep {
        deep = items.pop().unwrap_or(Value::None);
    }
}

#[test]
fn a_repeated_dict_key_is_refused_when_written() {
    let twice = Value::List(vec![Value::Dict(vec![
        ("a".into(), Value::Int(1)),
        ("b".into(), Value::Int(2)),
        ("a".into(), Value::Int(3)),
    ])]);
    let err = Value::to_wire(&twice).unwrap_err();
    let wire = err.downcast_ref::<WireError>().expect("a wire error");
    assert_eq!(wire.path(), "$[0]");
    assert!(
        wire.message()
            .contains(r#"the key "a" appears more than once"#),
        "{err}"
    );
    // Many keys go through a set: still found, and the message stays bounded.
    let huge = "k".repeat(1 << 20);
    let mut many: Vec<(String, Value)> = (0..100).map(|i| (format!("k{i}"), Value::None)).collect();
    many.push((huge.clone(), Value::None));
    many.push((huge, Value::None));
    let err = Value::to_wire(&Value::Dict(many)).unwrap_err();
    assert!(err.to_string().len() < 2048, "{}", err.to_string().len());
    assert!(err.to_string().contains("appears more than once"), "{err}");

    // The typed path: a flattened struct whose field collides with the outer one.
    #[derive(Serialize, Kimera)]
    struct Inner {
        id: u32,
    }
    #[derive(Serialize, Kimera)]
    struct Outer {
        id: u32,
        #[serde(flatten)]
        inner: Inner,
    }
    let err = python::to_string(&Outer {
        id: 1,
        inner: Inner { id: 2 },
    })
    .unwrap_err();
    let wire = err.downcast_ref::<WireError>().expect("a wire error");
    assert_eq!(wire.path(), "$");
    assert!(
        wire.message()
            .contains(r#"the key "id" appears more than once"#),
        "{err}"
    );
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Floats {
    x: f64,
    y: f32,
    values: Vec<f64>,
}

#[test]
fn nan_and_infinities_cross_typed() {
    let floats = Floats {
        x: f64::INFINITY,
        y: f32::NEG_INFINITY,
        values: vec![f64::NAN, -0.0, 1e-5],
    };
    let wire = python::to_string(&floats).unwrap();
    assert!(wire.contains("-Infinity") && wire.contains("NaN"), "{wire}");
    let back: Floats = python::from_str(&wire).unwrap();
    assert_eq!((back.x, back.y), (f64::INFINITY, f32::NEG_INFINITY));
    assert!(back.values[0].is_nan());
    assert_eq!(back.values[1].to_bits(), (-0.0f64).to_bits());
    assert_eq!(back.values[2], 1e-5);
}

#[test]
fn some_none_is_none_as_python_has_one_none() {
    let nested: Option<Option<i32>> = Some(None);
    let wire = python::to_string(&nested).unwrap();
    assert_eq!(wire, Value::to_wire(&Value::None).unwrap());
    assert_eq!(
        python::from_str::<Option<Option<i32>>>(&wire).unwrap(),
        None
    );
    assert_eq!(
        python::from_str::<Option<Option<i32>>>(&python::to_string(&Some(Some(3))).unwrap())
            .unwrap(),
        Some(Some(3))
    );
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
enum Color {
    Red,
    Custom(u8),
}

#[test]
fn map_keys_of_every_shape_round_trip() {
    let tuples: BTreeMap<(i32, String), u8> =
        BTreeMap::from([((1, "a".into()), 1), ((-2, "b \"q\"".into()), 2)]);
    let wire = python::to_string(&tuples).unwrap();
    let Value::Dict(entries) = Value::from_wire(&wire).unwrap() else {
        panic!("a dict")
    };
    assert_eq!(entries[0].0, r#"[-2, "b \"q\""]"#);
    assert_eq!(
        python::from_str::<BTreeMap<(i32, String), u8>>(&wire).unwrap(),
        tuples
    );

    let unit: BTreeMap<(), String> = BTreeMap::from([((), "x".into())]);
    let wire = python::to_string(&unit).unwrap();
    assert_eq!(
        python::from_str::<BTreeMap<(), String>>(&wire).unwrap(),
        unit
    );

    let scalars: BTreeMap<u64, bool> = BTreeMap::from([(7, true), (u64::MAX, false)]);
    let wire = python::to_string(&scalars).unwrap();
    assert_eq!(
        python::from_str::<BTreeMap<u64, bool>>(&wire).unwrap(),
        scalars
    );

    let colors: BTreeMap<Color, char> =
        BTreeMap::from([(Color::Red, 'r'), (Color::Custom(9), 'c')]);
    let wire = python::to_string(&colors).unwrap();
    assert_eq!(
        python::from_str::<BTreeMap<Color, char>>(&wire).unwrap(),
        colors
    );
    let keys: Vec<(Option<char>, i8)> = vec![(Some('a'), 1), (None, -1)];
    let map: BTreeMap<(Option<char>, i8), ()> = keys.into_iter().map(|k| (k, ())).collect();
    let wire = python::to_string(&map).unwrap();
    assert_eq!(
        python::from_str::<BTreeMap<(Option<char>, i8), ()>>(&wire).unwrap(),
        map
    );

    // A key that is not the text its type asks for says so, with the path.
    let wire = python::to_string(&BTreeMap::from([("[1, oops".to_owned(), 1u8)])).unwrap();
    let err = python::from_str::<BTreeMap<(i32, String), u8>>(&wire).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Data { .. }), "{err}");
    assert!(
        err.to_string().contains("not the text of a compound key"),
        "{err}"
    );
}

#[test]
fn typed_errors_say_where() {
    let wrong_field = Value::to_wire(&Value::Dict(vec![(
        "scores".into(),
        Value::List(vec![Value::Str("x".into())]),
    )]))
    .unwrap();
    let err = python::from_str::<Member>(&wrong_field).unwrap_err();
    assert!(err.to_string().contains("at `scores[0]`"), "{err}");
}
