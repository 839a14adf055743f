//! `uuid::Uuid` (feature `uuid`): hyphenated text in human-readable formats, 16 bytes in
//! compact ones.

use uuid::Uuid;

use crate::{Foreign, KimeraHandler, Schema};

impl KimeraHandler for Uuid {
    const SCHEMA: &'static Schema =
        &Schema::Foreign(&Foreign::new("uuid", &Schema::Str, &Schema::Bytes));
}
