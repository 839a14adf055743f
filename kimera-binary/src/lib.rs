//! The binary backend of [Kimera](https://docs.rs/kimera): compact, checksummed envelopes with a
//! bincode 2 body.
//!
//! An envelope is a header of 16 bytes plus the type name (for type names under 128 bytes,
//! versions under 128 and bodies under 2 MiB), the bincode body in its standard configuration
//! (little-endian, varints: the same bytes on every architecture), and a CRC-32 of everything
//! before it. The layout is specified in `docs/wire-format.md`.
//!
//! Decoding never trusts its input: the header is checked before the body (type, version,
//! fingerprint, checksum), nesting depth and element counts are bounded (raw bincode overflows
//! the stack on deeply nested input), and a body longer than the limit is refused before
//! anything is allocated for it.
//!
//! ```
//! let bytes = kimera::binary::to_vec(&vec![1u8, 2])?;
//! assert_eq!(&bytes[..2], &[0x4B, 0xE5]);
//! let back: Vec<u8> = kimera::binary::from_slice(&bytes)?;
//! assert_eq!(back, [1, 2]);
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! Types using serde attributes that need a self-describing format (`#[serde(untagged)]`,
//! internally or adjacently tagged enums, `flatten`, `skip_serializing_if`) cannot go through
//! bincode; using one with this backend is a compile error that names the attribute.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod cursor;
mod direct;
mod document;
mod envelope;
mod message;
mod resolve;
mod varint;

use std::io::{self, Read};

use body::Body;
use envelope::Parsed;
use kimera_core::document::StreamSchemas;
use kimera_core::migration::{check_link, Older};
use kimera_core::{Error, ErrorKind, Format, Header, KimeraHandler, Limits, Reading, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use envelope::{MAGIC, WIRE_VERSION};

/// The binary format, with its options.
///
/// ```
/// use kimera::{Binary, Format};
///
/// let fast = Binary::new().without_checksum();
/// let mut out = Vec::new();
/// fast.encode_into("hello", &mut out)?;
/// let back: String = fast.decode(&out)?;
/// assert_eq!(back, "hello");
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binary {
    limits: Limits,
    checksum: bool,
    schema: bool,
}

impl Binary {
    /// Checksummed envelopes with the default [`Limits`].
    pub const fn new() -> Self {
        Binary {
            limits: Limits::DEFAULT,
            checksum: true,
            schema: false,
        }
    }

    /// Writes envelopes without the CRC-32 trailer, and reads envelopes with or without one:
    /// 4 bytes smaller and a little faster, but a corrupted body may then decode into a
    /// different value.
    ///
    /// A reader with the checksum on (the default) refuses envelopes that carry none
    /// ([`ErrorKind::ChecksumMissing`]): otherwise one flipped flag bit would turn the check off.
    ///
    /// ```
    /// use kimera::{Binary, ErrorKind, Format};
    ///
    /// let mut unchecked = Vec::new();
    /// Binary::new().without_checksum().encode_into(&7u8, &mut unchecked)?;
    /// assert_eq!(Binary::new().without_checksum().decode::<u8>(&unchecked)?, 7);
    /// let err = Binary::new().decode::<u8>(&unchecked).unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::ChecksumMissing { .. }));
    /// # Ok::<(), kimera::Error>(())
    /// ```
    #[must_use]
    pub const fn without_checksum(mut self) -> Self {
        self.checksum = false;
        self
    }

    /// Writes each envelope with the writer's schema document in it, so that any reader can
    /// resolve it into its own shape of the type, however the type has changed since
    /// (`docs/versioning.md`, "Resolution"): an added field, a removed one, a widened integer.
    /// The document costs a few bytes per field of every type the value holds, in every
    /// envelope; readers that keep a schema history do not need it. A type whose hand-written
    /// handler computes its fingerprint otherwise than its schema says is written without one
    /// (a reader could not check it), and is read only by its own shape.
    ///
    /// ```
    /// use kimera::{Binary, Format};
    ///
    /// let plain = Binary::new().encode(&(1u8, 2u16))?;
    /// let with_schema = Binary::new().with_schema().encode(&(1u8, 2u16))?;
    /// assert!(with_schema.len() > plain.len());
    /// assert_eq!(Binary::new().decode::<(u8, u16)>(&with_schema)?, (1, 2));
    /// # Ok::<(), kimera::Error>(())
    /// ```
    #[must_use]
    pub const fn with_schema(mut self) -> Self {
        self.schema = true;
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

    /// The header of the envelope filling `bytes`, as [`Format::header`] reads it but without
    /// computing the checksum: for choosing the type to decode an envelope as, when that
    /// decode verifies the checksum anyway (as `kimera::registry::Dispatcher` does).
    ///
    /// Everything else is checked as `header` checks it; a damaged envelope's header may be
    /// wrong, so trust nothing from it before the decode has verified the checksum.
    ///
    /// ```
    /// use kimera::Binary;
    ///
    /// let mut bytes = kimera::binary::to_vec(&7u8)?;
    /// *bytes.last_mut().unwrap() ^= 1; // damage the checksum
    /// assert_eq!(Binary::new().peek_header(&bytes)?.type_name, "u8");
    /// assert!(kimera::binary::from_slice::<u8>(&bytes).is_err());
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This can fail if `bytes` are not one whole binary envelope ([`ErrorKind::NotAnEnvelope`],
    /// [`ErrorKind::Truncated`], [`ErrorKind::TrailingBytes`],
    /// [`ErrorKind::UnsupportedWireVersion`]), if it carries no checksum and these options require
    /// one ([`ErrorKind::ChecksumMissing`]), or if its body is longer than the limits allow
    /// ([`ErrorKind::LimitExceeded`]).
    pub fn peek_header<'a>(&self, bytes: &'a [u8]) -> Result<Header<'a>> {
        envelope::parse_verifying(bytes, &self.limits, self.checksum, false)
            .map(|parsed| parsed.header)
    }

    /// [`Format::decode`] without the compile-time check of
    /// [`KimeraHandler::BINARY_INCOMPATIBILITY`]: an incompatible type is refused at run time.
    /// For callers that pick a backend at run time, such as `kimera::from_slice`.
    ///
    /// # Errors
    ///
    /// This conversion can fail as [`from_slice`] can, and with [`ErrorKind::Unsupported`] for a
    /// `T` that this backend cannot carry.
    pub fn decode_checked_at_run_time<'de, T>(&self, bytes: &'de [u8]) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        compatible_at_run_time::<T>()?;
        self.decode_unchecked(bytes)
    }

    /// [`Format::encode`] without the compile-time check of
    /// [`KimeraHandler::BINARY_INCOMPATIBILITY`]: an incompatible type is refused at run time.
    /// For callers that handle values of types known at run time, such as
    /// `kimera::registry::AnyValue`.
    ///
    /// ```
    /// use kimera::Binary;
    ///
    /// let bytes = Binary::new().encode_checked_at_run_time(&(1u8, "one"))?;
    /// assert_eq!(kimera::binary::from_slice::<(u8, String)>(&bytes)?.1, "one");
    ///
    /// // An untagged enum needs a self-describing format.
    /// #[derive(serde::Serialize, kimera::Kimera)]
    /// #[serde(untagged)]
    /// enum Either { Number(u8), Text(String) }
    /// let err = Binary::new().encode_checked_at_run_time(&Either::Number(1)).unwrap_err();
    /// assert!(matches!(err.kind(), kimera::ErrorKind::Unsupported(_)));
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This conversion can fail as [`to_vec`] can, and with [`ErrorKind::Unsupported`] for a `T`
    /// that this backend cannot carry.
    pub fn encode_checked_at_run_time<T>(&self, value: &T) -> Result<Vec<u8>>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        compatible_at_run_time::<T>()?;
        let mut out = Vec::with_capacity(128);
        self.encode_unchecked(value, &mut out)?;
        Ok(out)
    }

    // The entry points check `BINARY_INCOMPATIBILITY` at compile time and then call these, so
    // that the compiler reports the check once, at the caller's line.

    fn encode_unchecked<T>(&self, value: &T, out: &mut Vec<u8>) -> Result<()>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        envelope::encode(value, out, self.checksum, self.schema)
    }

    /// Builds the envelope in memory first (its header holds the body's length), so a failed
    /// encode writes nothing.
    fn encode_to_writer_unchecked<W, T>(&self, mut writer: W, value: &T) -> Result<()>
    where
        W: io::Write,
        T: KimeraHandler + Serialize + ?Sized,
    {
        let mut buf = Vec::with_capacity(128);
        self.encode_unchecked(value, &mut buf)?;
        writer.write_all(&buf)?;
        Ok(())
    }

    fn decode_unchecked<'de, T>(&self, bytes: &'de [u8]) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        self.decode_with(bytes, None)
    }

    /// Decodes, resolving a body of another shape with the schema the envelope carries, or
    /// that `stream` carried earlier, or that the program knows.
    fn decode_with<'de, T>(&self, bytes: &'de [u8], stream: Option<&mut StreamSchemas>) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        if let Some(body) = envelope::fast_body::<T>(bytes, &self.limits, self.checksum) {
            return body::decode(body, &self.limits, Body::Own);
        }
        let parsed = envelope::parse(bytes, &self.limits, self.checksum)?;
        match parsed.header.reading::<T>() {
            Ok(Reading::Current) => body::decode(parsed.body, &self.limits, Body::Own),
            Ok(Reading::Migrate { .. }) => T::migrate(BinaryOlder {
                parsed,
                limits: &self.limits,
                stream,
            }),
            Err(err) => resolve::<T>(&parsed, &self.limits, stream, err),
        }
    }

    fn decode_from_reader_unchecked<R, T>(&self, mut reader: R) -> Result<T>
    where
        R: io::Read,
        T: KimeraHandler + DeserializeOwned,
    {
        let mut buf = Vec::with_capacity(64);
        let total = loop {
            match envelope::extent(&buf, &self.limits, self.checksum)? {
                envelope::Extent::Complete(total) => break total,
                envelope::Extent::NeedHeader(len) => fill(&mut reader, &mut buf, len as u64)?,
            }
        };
        fill(&mut reader, &mut buf, total)?;
        self.decode_unchecked(&buf)
    }
}

impl Default for Binary {
    fn default() -> Self {
        Self::new()
    }
}

/// Stops compilation when `T` cannot go through bincode, naming the serde attribute.
macro_rules! assert_binary_compatible {
    ($t:ty) => {
        const {
            if let Some(reason) = <$t as KimeraHandler>::BINARY_INCOMPATIBILITY {
                panic!("{}", reason)
            }
        }
    };
}

impl Format for Binary {
    const NAME: &'static str = "binary";

    /// A binary envelope starts with the magic bytes `4B E5`.
    fn sniff(bytes: &[u8]) -> bool {
        bytes.starts_with(&MAGIC)
    }

    fn encode_into<T>(&self, value: &T, out: &mut Vec<u8>) -> Result<()>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        assert_binary_compatible!(T);
        self.encode_unchecked(value, out)
    }

    fn encode_to_writer<W, T>(&self, writer: W, value: &T) -> Result<()>
    where
        W: io::Write,
        T: KimeraHandler + Serialize + ?Sized,
    {
        assert_binary_compatible!(T);
        self.encode_to_writer_unchecked(writer, value)
    }

    fn decode<'de, T>(&self, bytes: &'de [u8]) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        assert_binary_compatible!(T);
        self.decode_unchecked(bytes)
    }

    /// Reads exactly one envelope from `reader`: the header first, then (once its length has
    /// been checked against [`Limits::max_size`]) the body and checksum.
    fn decode_from_reader<R, T>(&self, reader: R) -> Result<T>
    where
        R: io::Read,
        T: KimeraHandler + DeserializeOwned,
    {
        assert_binary_compatible!(T);
        self.decode_from_reader_unchecked(reader)
    }

    fn header<'a>(&self, bytes: &'a [u8]) -> Result<Header<'a>> {
        envelope::parse(bytes, &self.limits, self.checksum).map(|parsed| parsed.header)
    }

    /// Sends each type's schema with its first value in the stream (and with every value if
    /// these options say [`with_schema`](Binary::with_schema)).
    fn encode_into_stream<T>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
        stream: &mut StreamSchemas,
    ) -> Result<()>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        assert_binary_compatible!(T);
        let origin = const { kimera_core::envelope::origin_of::<T>() };
        stream.begin();
        let first = !stream.has_sent(T::FINGERPRINT, origin);
        envelope::encode(value, out, self.checksum, self.schema || first)?;
        if first {
            stream.mark_sent(T::FINGERPRINT, origin);
        }
        Ok(())
    }

    /// Keeps the schemas the stream's envelopes carry, and resolves later values written with
    /// them. Checks [`KimeraHandler::BINARY_INCOMPATIBILITY`] at run time, like
    /// [`decode_checked_at_run_time`](Binary::decode_checked_at_run_time): a stream may hold
    /// envelopes of either backend.
    fn decode_in_stream<'de, T>(&self, bytes: &'de [u8], stream: &mut StreamSchemas) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        compatible_at_run_time::<T>()?;
        self.decode_with(bytes, Some(stream))
    }
}

/// [`KimeraHandler::BINARY_INCOMPATIBILITY`] as an error, for the paths that learn the type
/// (or the backend) at run time.
fn compatible_at_run_time<T: KimeraHandler + ?Sized>() -> Result<()> {
    match T::BINARY_INCOMPATIBILITY {
        Some(reason) => Err(ErrorKind::Unsupported(reason).into()),
        None => Ok(()),
    }
}

/// Reads from `reader` until `buf` holds `len` bytes; growing as data arrives, so a forged
/// length costs no more memory than the bytes really sent.
fn fill<R: io::Read>(reader: &mut R, buf: &mut Vec<u8>, len: u64) -> Result<()> {
    let missing = len.saturating_sub(buf.len() as u64);
    let read = reader.by_ref().take(missing).read_to_end(buf)? as u64;
    if read < missing {
        let offset = buf.len() as u64;
        return Err(ErrorKind::Truncated {
            context: "binary envelope",
            offset,
        }
        .into());
    }
    Ok(())
}

/// Reads the envelope of a `T` whose header failed the checks with `err`: when only the
/// fingerprint differs and the writer's schema is at hand, by resolving the writer's shape
/// into `T`'s; otherwise `err`.
fn resolve<'de, T>(
    parsed: &Parsed<'de>,
    limits: &Limits,
    stream: Option<&mut StreamSchemas>,
    err: Error,
) -> Result<T>
where
    T: KimeraHandler + Deserialize<'de>,
{
    if !matches!(err.kind(), ErrorKind::FingerprintMismatch { .. }) {
        return Err(err);
    }
    let Some(doc) = document::resolvable::<T>(&parsed.header, parsed.schema, stream)? else {
        return Err(err);
    };
    body::decode(parsed.body, limits, Body::Written(&doc))
}

/// The body of an envelope written by an older version, for [`KimeraHandler::migrate`].
struct BinaryOlder<'de, 'l> {
    parsed: Parsed<'de>,
    limits: &'l Limits,
    stream: Option<&'l mut StreamSchemas>,
}

impl<'de> Older<'de> for BinaryOlder<'de, '_> {
    fn version(&self) -> u32 {
        self.parsed.header.version
    }

    /// Checks the writer's fingerprint against `U`'s, the type of that version: bytes of
    /// another shape are resolved into `U`'s when the writer's schema is at hand, and refused
    /// otherwise, never decoded into garbage.
    fn decode<U: KimeraHandler + Deserialize<'de>>(self) -> Result<U> {
        compatible_at_run_time::<U>()?;
        match check_link::<U>(&self.parsed.header) {
            Ok(()) => body::decode(self.parsed.body, self.limits, Body::Own),
            Err(err) => resolve::<U>(&self.parsed, self.limits, self.stream, err),
        }
    }
}

/// Encodes `value` as a checksummed binary envelope.
///
/// ```
/// let bytes = kimera::binary::to_vec(&42u32)?;
/// // 16 bytes of header + "u32" + 1 byte of body + 4 bytes of checksum.
/// assert_eq!(bytes.len(), 16 + 3 + 1 + 4);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `T`'s `Serialize` implementation fails or writes what bincode cannot
/// (a sequence or map whose length it does not give), or if the type name is longer than a binary
/// envelope carries. Each is [`ErrorKind::Encode`], with the field path. A type whose serde
/// attributes bincode cannot carry does not compile here.
pub fn to_vec<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    assert_binary_compatible!(T);
    let mut out = Vec::with_capacity(128);
    Binary::new().encode_unchecked(value, &mut out)?;
    Ok(out)
}

/// Writes `value` as a checksummed binary envelope to `writer`.
///
/// The envelope is built in memory first (its header holds the body's length), so a failed
/// encode writes nothing.
///
/// ```
/// let mut out = Vec::new();
/// kimera::binary::to_writer(&mut out, &(1u8, 'x'))?;
/// assert_eq!(kimera::binary::from_slice::<(u8, char)>(&out)?, (1, 'x'));
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`] can, or if writing to `writer` fails ([`ErrorKind::Io`]).
pub fn to_writer<W: io::Write, T: KimeraHandler + Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<()> {
    assert_binary_compatible!(T);
    Binary::new().encode_to_writer_unchecked(writer, value)
}

/// Decodes a `T` from a binary envelope filling `bytes`, borrowing from it where `T` does.
///
/// ```
/// let bytes = kimera::binary::to_vec("borrowed")?;
/// let text: &str = kimera::binary::from_slice(&bytes)?;
/// assert_eq!(text, "borrowed");
/// assert!(kimera::binary::from_slice::<u64>(&bytes).is_err()); // wrong type
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `bytes` are not one whole binary envelope
/// ([`ErrorKind::NotAnEnvelope`], [`ErrorKind::Truncated`], [`ErrorKind::TrailingBytes`],
/// [`ErrorKind::UnsupportedWireVersion`]) or were damaged ([`ErrorKind::ChecksumMismatch`]; an
/// envelope written without its checksum is [`ErrorKind::ChecksumMissing`]); if they hold another
/// type ([`ErrorKind::TypeMismatch`], [`ErrorKind::NameCollision`]), a version of `T` this reader
/// cannot read ([`ErrorKind::NewerVersion`], [`ErrorKind::NoMigration`], and from a migration chain
/// [`ErrorKind::UnnamedLink`], [`ErrorKind::Migration`]) or a shape of `T` it cannot resolve
/// ([`ErrorKind::FingerprintMismatch`] when the writer's schema is not at hand,
/// [`ErrorKind::Unresolvable`], and [`ErrorKind::BadSchema`] for a schema document that cannot be
/// used); if the body is not a valid `T` ([`ErrorKind::Data`], with the field path); or if it is
/// larger or nests deeper than the default [`Limits`] allow ([`ErrorKind::LimitExceeded`]).
pub fn from_slice<'a, T: KimeraHandler + Deserialize<'a>>(bytes: &'a [u8]) -> Result<T> {
    assert_binary_compatible!(T);
    Binary::new().decode_unchecked(bytes)
}

/// Decodes a `T` from one binary envelope read from `reader`; reads nothing past it.
///
/// ```
/// let mut stream = kimera::binary::to_vec(&1u16)?;
/// stream.extend(kimera::binary::to_vec(&2u16)?);
/// let mut reader = &stream[..];
/// assert_eq!(kimera::binary::from_reader::<_, u16>(&mut reader)?, 1);
/// assert_eq!(kimera::binary::from_reader::<_, u16>(&mut reader)?, 2);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`from_slice`] can (a body longer than the limits allow is refused
/// from its header, before it is read), if `reader` ends inside the envelope
/// ([`ErrorKind::Truncated`]), or if reading fails ([`ErrorKind::Io`]).
pub fn from_reader<R: io::Read, T: KimeraHandler + DeserializeOwned>(reader: R) -> Result<T> {
    assert_binary_compatible!(T);
    Binary::new().decode_from_reader_unchecked(reader)
}

/// Plumbing for `kimera::inspect`, which reads and writes envelopes without their Rust type,
/// walking the writer's schema document: not part of the API.
#[doc(hidden)]
pub mod __private {
    use kimera_core::document::Document;
    use kimera_core::{Header, Limits, Result};

    pub use bincode;

    pub use crate::body::config;
    pub use crate::envelope::{encode_parts, HeadParts, Parsed};

    /// Parses the envelope filling `bytes`, verifying its checksum.
    pub fn parse<'a>(
        bytes: &'a [u8],
        limits: &Limits,
        require_checksum: bool,
    ) -> Result<Parsed<'a>> {
        crate::envelope::parse(bytes, limits, require_checksum)
    }

    /// The schema document an envelope carries, checked against its fingerprint.
    pub fn carried(header: &Header<'_>, bytes: &[u8]) -> Result<Document> {
        crate::document::verified(header, bytes)
    }

    /// What went wrong while decoding, in a sentence.
    pub fn decode_message(err: &bincode::error::DecodeError) -> String {
        crate::message::decode(err)
    }

    /// What went wrong while encoding, in a sentence.
    pub fn encode_message(err: &bincode::error::EncodeError) -> String {
        crate::message::encode(err)
    }

    /// The bincode of `doc`, as envelopes carry it.
    pub fn encode_document(doc: &Document) -> Vec<u8> {
        crate::document::encode(doc)
    }
}
