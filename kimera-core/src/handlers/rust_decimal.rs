//! `rust_decimal::Decimal` (feature `rust_decimal`): its exact decimal text in every format.
//!
//! The feature turns on rust_decimal's `serde-str`, which reads the text back with
//! `deserialize_str` (without it, rust_decimal reads with `deserialize_any`, which bincode
//! cannot do). rust_decimal's `serde-float` and `serde-arbitrary-precision` features write a
//! number instead; if another crate in the build turns one on, this description is wrong, so
//! do not combine them with Kimera.

use rust_decimal::Decimal;

use crate::{Foreign, KimeraHandler, Schema};

impl KimeraHandler for Decimal {
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::uniform("decimal", &Schema::Str));
}
