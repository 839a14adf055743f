//! `bytes::Bytes` and `bytes::BytesMut` (feature `bytes`): byte strings.

use bytes::{Bytes, BytesMut};

use crate::{KimeraHandler, Schema};

impl KimeraHandler for Bytes {
    const SCHEMA: &'static Schema = &Schema::Bytes;
}

impl KimeraHandler for BytesMut {
    const SCHEMA: &'static Schema = &Schema::Bytes;
}
