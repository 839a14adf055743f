//! `serde_bytes::{ByteBuf, Bytes, ByteArray}` (feature `serde_bytes`): byte strings.
//!
//! `#[serde(with = "serde_bytes")]` on a field is a different matter: see `docs/schema.md`.

use serde_bytes::{ByteArray, ByteBuf, Bytes};

use crate::{KimeraHandler, Schema};

impl KimeraHandler for ByteBuf {
    const SCHEMA: &'static Schema = &Schema::Bytes;
}

/// Unsized: encoded as `&Bytes`, read back borrowed as `&Bytes` or owned as a `ByteBuf`.
impl KimeraHandler for Bytes {
    const SCHEMA: &'static Schema = &Schema::Bytes;
}

impl<const N: usize> KimeraHandler for ByteArray<N> {
    const SCHEMA: &'static Schema = &Schema::Bytes;
}
