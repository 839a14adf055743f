//! `serde_json::{Value, Map, Number}` (feature `json`): JSON carries them; the binary backend
//! refuses them at compile time.
//!
//! They read themselves with serde's `deserialize_any`, asking the format what comes next, and
//! bincode's bytes do not say: a `Value` written in binary could never be read back.

use serde_json::{Map, Number, Value};

use crate::{Foreign, KimeraHandler, Schema};

const NOT_IN_BINARY: &str =
    "`serde_json::Value` (and `Map`, `Number`), and any type containing it, \
    cannot be used with the binary backend: it reads itself with serde's `deserialize_any`, which \
    bincode does not support. Use the JSON backend for this type (for a snapshot store, \
    `SnapshotStore::open_with(dir, Options::new().with_format(kimera::Json::new()))`), or hold the \
    JSON as text (a `String` from `value.to_string()`, read back with `serde_json::from_str`).";

impl KimeraHandler for Value {
    const SCHEMA: &'static Schema = &Schema::Any;
    const BINARY_INCOMPATIBILITY: Option<&'static str> = Some(NOT_IN_BINARY);
}

impl KimeraHandler for Map<String, Value> {
    const SCHEMA: &'static Schema = &Schema::Map(&Schema::Str, &Schema::Any);
    const BINARY_INCOMPATIBILITY: Option<&'static str> = Some(NOT_IN_BINARY);
}

impl KimeraHandler for Number {
    const SCHEMA: &'static Schema =
        &Schema::Foreign(&Foreign::uniform("json_number", &Schema::Any));
    const BINARY_INCOMPATIBILITY: Option<&'static str> = Some(NOT_IN_BINARY);
}
