//! The JSON backend of [Kimera](https://docs.rs/kimera): plain JSON envelopes on serde_json.
//!
//! A value travels as one JSON object that any JSON parser reads:
//!
//! ```json
//! {"kimera":1,"type":"shop.Order","version":3,"value":{"id":7,"lines":[]}}
//! ```
//!
//! `kimera` is the wire version, `type` and `version` name the value's type, and `value` is the
//! value exactly as serde_json writes it. The layout is specified in `docs/wire-format.md`.
//!
//! Most users reach this crate through `kimera::json`.
//!
//! ```
//! let text = kimera::json::to_string(&vec![1u8, 2])?;
//! assert_eq!(text, r#"{"kimera":1,"type":"list<u8>","version":1,"value":[1,2]}"#);
//! let back: Vec<u8> = kimera::json::from_str(&text)?;
//! assert_eq!(back, [1, 2]);
//! # Ok::<(), kimera::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod envelope;
mod lossless;
mod plain;

use std::io::{self, Read};

use kimera_core::{Format, Header, KimeraHandler, Limits, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::lossless::Lossless;

pub use envelope::WIRE_VERSION;
pub use plain::{from_plain_slice, from_plain_str, to_json_value};

/// The JSON format, with its options.
///
/// ```
/// use kimera::{Format, Json, Limits};
///
/// let json = Json::new().with_pretty(true).with_limits(Limits::default().with_max_depth(32));
/// let mut out = Vec::new();
/// json.encode_into(&("a", 1u8), &mut out)?;
/// assert!(out.starts_with(b"{\n  \"kimera\": 1"));
/// let back: (String, u8) = json.decode(&out)?;
/// assert_eq!(back, ("a".to_string(), 1));
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json {
    limits: Limits,
    pretty: bool,
}

impl Json {
    /// Compact JSON with the default [`Limits`].
    pub const fn new() -> Self {
        Json {
            limits: Limits::DEFAULT,
            pretty: false,
        }
    }

    /// Indented JSON, as `serde_json::to_string_pretty` writes it, or compact (the default).
    #[must_use]
    pub const fn with_pretty(mut self, pretty: bool) -> Self {
        self.pretty = pretty;
        self
    }

    /// These options with other decoding limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The decoding limits.
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The header of the envelope in `bytes`, for choosing the type to decode it as (as
    /// `kimera::registry::Dispatcher` does): read from the first bytes alone when the envelope
    /// is written as Kimera writes it compactly, else as [`Format::header`] reads it. The
    /// value is not looked at, so the envelope may still be invalid: the decode says.
    ///
    /// ```
    /// use kimera::Json;
    ///
    /// let bytes = kimera::json::to_vec(&(1u8, 2u8))?;
    /// assert_eq!(Json::new().peek_header(&bytes)?.type_name, "tuple<u8,u8>");
    /// // Any key order is read by the general reader.
    /// let text = br#"{"version":1,"type":"u8","kimera":1,"value":7}"#;
    /// assert_eq!(Json::new().peek_header(text)?.type_name, "u8");
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This can fail if `bytes` do not hold one JSON object with a well-formed envelope header
    /// ([`ErrorKind::NotAnEnvelope`], [`ErrorKind::Truncated`], [`ErrorKind::TrailingBytes`],
    /// [`ErrorKind::UnsupportedWireVersion`]). The header is not checked against any reader's type.
    ///
    /// [`ErrorKind::NotAnEnvelope`]: kimera_core::ErrorKind::NotAnEnvelope
    /// [`ErrorKind::TrailingBytes`]: kimera_core::ErrorKind::TrailingBytes
    /// [`ErrorKind::Truncated`]: kimera_core::ErrorKind::Truncated
    /// [`ErrorKind::UnsupportedWireVersion`]: kimera_core::ErrorKind::UnsupportedWireVersion
    pub fn peek_header<'a>(&self, bytes: &'a [u8]) -> Result<Header<'a>> {
        match envelope::compact_header(bytes) {
            Some(header) => Ok(header),
            None => envelope::header(bytes),
        }
    }

    fn write<W, T>(&self, writer: W, value: &T) -> Result<()>
    where
        W: io::Write,
        T: KimeraHandler + Serialize + ?Sized,
    {
        if self.pretty {
            write_with(writer, PrettyFormatter::new(), value)
        } else {
            write_with(writer, CompactFormatter, value)
        }
    }
}

fn write_with<W, F, T>(writer: W, formatter: F, value: &T) -> Result<()>
where
    W: io::Write,
    F: Formatter,
    T: KimeraHandler + Serialize + ?Sized,
{
    let mut ser = serde_json::Serializer::with_formatter(writer, formatter);
    envelope::Envelope { value }
        .serialize(&mut ser)
        .map_err(|err| envelope::encode_failure(value, err))
}

impl Format for Json {
    const NAME: &'static str = "json";

    /// A JSON envelope is an object: its first non-whitespace byte is `{`.
    fn sniff(bytes: &[u8]) -> bool {
        bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    }

    fn encode_into<T>(&self, value: &T, out: &mut Vec<u8>) -> Result<()>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        let start = out.len();
        if !self.pretty && envelope::compact_prefix::<T>(out) {
            // The header as bytes, then the value straight after it.
            let mut ser = serde_json::Serializer::new(&mut *out);
            let result = Lossless(value)
                .serialize(&mut ser)
                .map_err(|err| envelope::encode_failure(value, err));
            match result {
                Ok(()) => out.push(b'}'),
                Err(_) => out.truncate(start),
            }
            return result;
        }
        let result = self.write(&mut *out, value);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Streams the envelope to `writer`. As with `serde_json::to_writer`, a failed encode may
    /// have written part of it.
    fn encode_to_writer<W, T>(&self, writer: W, value: &T) -> Result<()>
    where
        W: io::Write,
        T: KimeraHandler + Serialize + ?Sized,
    {
        self.write(writer, value)
    }

    fn decode<'de, T>(&self, bytes: &'de [u8]) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        envelope::decode(bytes, &self.limits)
    }

    /// Reads `reader` to its end (at most [`Limits::max_size`] bytes) and decodes the envelope.
    fn decode_from_reader<R, T>(&self, reader: R) -> Result<T>
    where
        R: io::Read,
        T: KimeraHandler + DeserializeOwned,
    {
        // One byte past the limit is enough for `decode` to refuse the input as too large.
        let mut buf = Vec::new();
        reader
            .take(self.limits.max_size.saturating_add(1))
            .read_to_end(&mut buf)?;
        envelope::decode(&buf, &self.limits)
    }

    fn header<'a>(&self, bytes: &'a [u8]) -> Result<Header<'a>> {
        envelope::header(bytes)
    }
}

/// Encodes `value` as a compact JSON envelope.
///
/// Refuses, with the field path, a value JSON would change: NaN or infinite floats, `Some(None)`.
///
/// ```
/// let text = kimera::json::to_string(&Some("x"))?;
/// assert_eq!(text, r#"{"kimera":1,"type":"option<str>","version":1,"value":"x"}"#);
/// assert!(kimera::json::to_string(&vec![1.0, f64::NAN]).is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`] can.
pub fn to_string<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<String> {
    into_string(to_vec(value)?)
}

/// Encodes `value` as an indented JSON envelope.
///
/// ```
/// let text = kimera::json::to_string_pretty(&1u8)?;
/// assert_eq!(text, "{\n  \"kimera\": 1,\n  \"type\": \"u8\",\n  \"version\": 1,\n  \"value\": 1\n}");
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`] can.
pub fn to_string_pretty<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<String> {
    into_string(to_vec_pretty(value)?)
}

/// Encodes `value` as a compact JSON envelope in bytes.
///
/// ```
/// let bytes = kimera::json::to_vec(&true)?;
/// assert_eq!(bytes, br#"{"kimera":1,"type":"bool","version":1,"value":true}"#);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `T`'s `Serialize` implementation fails, or if the value holds
/// something JSON cannot carry exactly: a NaN or infinite float, `Some(None)`, a map key JSON
/// cannot write as a string (a tuple, a struct). Each is [`ErrorKind::Encode`], with the field
/// path.
///
/// [`ErrorKind::Encode`]: kimera_core::ErrorKind::Encode
pub fn to_vec<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    Json::new().encode_into(value, &mut out)?;
    Ok(out)
}

/// Encodes `value` as an indented JSON envelope in bytes.
///
/// ```
/// let bytes = kimera::json::to_vec_pretty(&[1u8])?;
/// assert_eq!(bytes, b"{\n  \"kimera\": 1,\n  \"type\": \"array<u8,1>\",\n  \"version\": 1,\n  \"value\": [\n    1\n  ]\n}");
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`] can.
pub fn to_vec_pretty<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    Json::new().with_pretty(true).encode_into(value, &mut out)?;
    Ok(out)
}

/// Streams `value` as an indented JSON envelope to `writer` (see [`to_writer`] on values
/// refused halfway).
///
/// ```
/// let mut out = Vec::new();
/// kimera::json::to_writer_pretty(&mut out, &true)?;
/// assert!(out.starts_with(b"{\n  \"kimera\": 1,"));
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`] can, or if writing to `writer` fails ([`ErrorKind::Io`]).
///
/// [`ErrorKind::Io`]: kimera_core::ErrorKind::Io
pub fn to_writer_pretty<W: io::Write, T: KimeraHandler + Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<()> {
    Json::new()
        .with_pretty(true)
        .encode_to_writer(writer, value)
}

/// Streams `value` as a compact JSON envelope to `writer`.
///
/// Nothing is buffered: as with `serde_json::to_writer`, a value refused halfway (a NaN deep
/// inside it) leaves the part written before the refusal in `writer`. Encode with
/// [`to_vec`] first where a writer must only ever see whole envelopes.
///
/// ```
/// let mut out = Vec::new();
/// kimera::json::to_writer(&mut out, &'k')?;
/// assert_eq!(out, br#"{"kimera":1,"type":"char","version":1,"value":"k"}"#);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`] can, or if writing to `writer` fails ([`ErrorKind::Io`]).
///
/// [`ErrorKind::Io`]: kimera_core::ErrorKind::Io
pub fn to_writer<W: io::Write, T: KimeraHandler + Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<()> {
    Json::new().encode_to_writer(writer, value)
}

/// Decodes a `T` from a JSON envelope, borrowing strings from `text` where `T` does.
///
/// ```
/// let n: u8 = kimera::json::from_str(r#"{"kimera":1,"type":"u8","version":1,"value":7}"#)?;
/// assert_eq!(n, 7);
/// let err = kimera::json::from_str::<String>(r#"{"kimera":1,"type":"u8","version":1,"value":7}"#)
///     .unwrap_err();
/// assert_eq!(err.to_string(), "type mismatch: expected `str`, found `u8`");
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`from_slice`] can.
pub fn from_str<'a, T: KimeraHandler + Deserialize<'a>>(text: &'a str) -> Result<T> {
    from_slice(text.as_bytes())
}

/// Decodes a `T` from a JSON envelope in bytes.
///
/// ```
/// let words: Vec<&str> = kimera::json::from_slice(
///     br#"{"kimera":1,"type":"list<str>","version":1,"value":["a","b"]}"#,
/// )?;
/// assert_eq!(words, ["a", "b"]);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `bytes` are not one whole JSON envelope
/// ([`ErrorKind::NotAnEnvelope`], [`ErrorKind::Truncated`], [`ErrorKind::TrailingBytes`],
/// [`ErrorKind::UnsupportedWireVersion`]); if they hold another type ([`ErrorKind::TypeMismatch`],
/// [`ErrorKind::NameCollision`]) or a version of `T` this reader cannot read
/// ([`ErrorKind::NewerVersion`], [`ErrorKind::NoMigration`], and from a migration chain
/// [`ErrorKind::UnnamedLink`], [`ErrorKind::Migration`]); if the value is not a valid `T`
/// ([`ErrorKind::Data`], with the field path); or if the input is larger or nests deeper than the
/// default [`Limits`] allow ([`ErrorKind::LimitExceeded`]).
///
/// [`ErrorKind::Data`]: kimera_core::ErrorKind::Data
/// [`ErrorKind::LimitExceeded`]: kimera_core::ErrorKind::LimitExceeded
/// [`ErrorKind::Migration`]: kimera_core::ErrorKind::Migration
/// [`ErrorKind::NameCollision`]: kimera_core::ErrorKind::NameCollision
/// [`ErrorKind::NewerVersion`]: kimera_core::ErrorKind::NewerVersion
/// [`ErrorKind::NoMigration`]: kimera_core::ErrorKind::NoMigration
/// [`ErrorKind::NotAnEnvelope`]: kimera_core::ErrorKind::NotAnEnvelope
/// [`ErrorKind::TrailingBytes`]: kimera_core::ErrorKind::TrailingBytes
/// [`ErrorKind::Truncated`]: kimera_core::ErrorKind::Truncated
/// [`ErrorKind::TypeMismatch`]: kimera_core::ErrorKind::TypeMismatch
/// [`ErrorKind::UnnamedLink`]: kimera_core::ErrorKind::UnnamedLink
/// [`ErrorKind::UnsupportedWireVersion`]: kimera_core::ErrorKind::UnsupportedWireVersion
pub fn from_slice<'a, T: KimeraHandler + Deserialize<'a>>(bytes: &'a [u8]) -> Result<T> {
    Json::new().decode(bytes)
}

/// Decodes a `T` from a JSON envelope read from `reader` to its end.
///
/// ```
/// let text = br#"{"kimera":1,"type":"tuple<u8,bool>","version":1,"value":[1,true]}"#;
/// let pair: (u8, bool) = kimera::json::from_reader(&text[..])?;
/// assert_eq!(pair, (1, true));
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`from_slice`] can (the input is refused as too large once it is one
/// byte over [`Limits::max_size`]), or if reading fails ([`ErrorKind::Io`]).
///
/// [`ErrorKind::Io`]: kimera_core::ErrorKind::Io
pub fn from_reader<R: io::Read, T: KimeraHandler + DeserializeOwned>(reader: R) -> Result<T> {
    Json::new().decode_from_reader(reader)
}

fn into_string(bytes: Vec<u8>) -> Result<String> {
    // serde_json writes only valid UTF-8; checking costs one pass over the output, which the
    // encode path is measured against, hence the unchecked conversion (as serde_json does).
    // SAFETY: `bytes` was produced by serde_json's serializer, which emits valid UTF-8 only.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

/// Plumbing for `kimera::inspect`, which writes envelopes of values it has no Rust type for
/// (walking the writer's schema document): not part of the API.
#[doc(hidden)]
pub mod __private {
    use serde::Serialize;

    /// Writes the JSON envelope of `value` under this header, exactly as [`to_vec`](crate::to_vec)
    /// (or [`to_vec_pretty`](crate::to_vec_pretty)) writes a typed value's, with the same
    /// refusals of what JSON would change.
    pub fn envelope_to_vec<V: Serialize + ?Sized>(
        type_name: &str,
        version: u32,
        origins: Option<&str>,
        value: &V,
        pretty: bool,
    ) -> Result<Vec<u8>, serde_json::Error> {
        let envelope = crate::envelope::Untyped {
            type_name,
            version,
            origins,
            value: crate::lossless::Lossless(value),
        };
        match pretty {
            true => serde_json::to_vec_pretty(&envelope),
            false => serde_json::to_vec(&envelope),
        }
    }
}
