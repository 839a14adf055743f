//! `kimera` with `default-features = false, features = ["binary", "derive"]`: no serde_json in
//! the dependency tree (`.ci/run` checks it with `cargo tree`), and the binary backend works.

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Reading {
    sensor: String,
    value: f64,
}

fn main() -> Result<(), kimera::Error> {
    let reading = Reading {
        sensor: "t1".into(),
        value: f64::NAN.copysign(-1.0),
    };
    let bytes = kimera::binary::to_vec(&reading)?;
    let back: Reading = kimera::from_slice(&bytes)?;
    assert_eq!(back.sensor, reading.sensor);
    assert_eq!(back.value.to_bits(), reading.value.to_bits());
    // JSON is named as the feature this build lacks; other bytes get the enabled backends.
    let err = kimera::from_slice::<Reading>(br#"{"kimera":1}"#).unwrap_err();
    assert!(
        err.to_string().contains("enable kimera's `json` feature"),
        "{err}"
    );
    let err = kimera::from_slice::<Reading>(b"[1]").unwrap_err();
    assert!(err.to_string().contains("enabled: binary"), "{err}");
    println!("binary-only: {} bytes, round trip ok", bytes.len());
    Ok(())
}
