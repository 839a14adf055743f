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

pub use kimera_json::{
    from_reader, from_slice, from_str, to_string, to_string_pretty, to_vec, to_writer, Json,
    WIRE_VERSION,
};
