//! The JSON backend (feature `json`): plain JSON envelopes any language reads.
//!
//! ```json
//! {"kimera":1,"type":"shop.Order","version":3,"value":{"id":7,"lines":[]}}
//! ```
//!
//! `value` is exactly what serde_json writes for the value, so other languages parse it with a
//! stock JSON parser. Values JSON cannot hold exactly (NaN, infinities, `Some(None)`) are refused
//! at encode time with their field path rather than changed.
//!
//! ```
//! let text = kimera::json::to_string(&("pi", 3.14))?;
//! assert_eq!(text, r#"{"kimera":1,"type":"tuple<str,f64>","version":1,"value":["pi",3.14]}"#);
//!
//! let err = kimera::json::to_string(&vec![1.0, f64::NAN]).unwrap_err();
//! assert!(err.to_string().starts_with("cannot encode `list<f64>` at `[1]`: JSON has no NaN"));
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # Plain JSON, without an envelope
//!
//! JSON that another program wrote (an HTTP API's response, a config file) has no envelope, so
//! no type or version to check: [`from_plain_str`] reads it into a type with the same limits
//! and field-path errors as an envelope, and [`to_json_value`] gives a value alone as a
//! `serde_json::Value`.
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
//! #[kimera(name = "shop.Line")]
//! struct Line { sku: String, qty: u32 }
//!
//! let line: Line = kimera::json::from_plain_str(r#"{"sku":"A-1","qty":2}"#)?;
//! assert_eq!(kimera::json::to_json_value(&line)?, serde_json::json!({"sku": "A-1", "qty": 2}));
//!
//! let err = kimera::json::from_plain_str::<Line>(r#"{"sku":"A-1","qty":-2}"#).unwrap_err();
//! assert!(err.to_string().starts_with("invalid `shop.Line` v1 at `qty`: invalid value"));
//! # Ok::<(), kimera::Error>(())
//! ```

pub use kimera_json::{
    from_plain_slice, from_plain_str, from_reader, from_slice, from_str, to_json_value, to_string,
    to_string_pretty, to_vec, to_vec_pretty, to_writer, to_writer_pretty, Json, WIRE_VERSION,
};
