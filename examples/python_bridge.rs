//! A Rust struct read from and written for a Python service that uses the Python Kimera library
//! (`KimeraSerializer`).
//!
//! ```sh
//! cargo run --example python_bridge --features python
//! ```

use chrono::{NaiveDate, NaiveDateTime};
use kimera::python::{self, Value};
use kimera::Kimera;
use serde::{Deserialize, Serialize};

/// A sensor reading, as the Python service models it: a dict with a datetime, a tuple and a
/// list.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "iot.Reading")]
struct Reading {
    sensor: String,
    at: NaiveDateTime,
    position: (f64, f64),
    values: Vec<f64>,
    calibrated: Option<NaiveDate>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What the Python service sends: KimeraSerializer().serialize({...}) of a dict.
    let at = NaiveDate::from_ymd_opt(2024, 3, 1)
        .and_then(|d| d.and_hms_micro_opt(12, 30, 45, 123_456))
        .ok_or("a valid time")?;
    let from_python = python::Value::to_wire(&Value::Dict(vec![
        ("sensor".into(), Value::Str("t-17".into())),
        ("at".into(), Value::DateTime(at)),
        (
            "position".into(),
            Value::Tuple(vec![Value::Float(52.52), Value::Float(13.405)]),
        ),
        (
            "values".into(),
            Value::List(vec![Value::Float(21.5), Value::Float(21.75)]),
        ),
        ("calibrated".into(), Value::None),
    ]))?;
    println!("from Python:\n  {from_python}\n");

    let reading: Reading = python::from_str(&from_python)?;
    println!("as a Rust struct:\n  {reading:?}\n");

    // And back, for the Python service to read with KimeraSerializer().deserialize(...).
    let mut reply = reading;
    reply.calibrated = NaiveDate::from_ymd_opt(2024, 2, 1);
    let for_python = python::to_string(&reply)?;
    println!("for Python:\n  {for_python}");
    assert_eq!(python::from_str::<Reading>(&for_python)?, reply);
    Ok(())
}
