//! [`Format`]: the contract between Kimera and a wire format.

use std::io;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::document::StreamSchemas;
use crate::envelope::Header;
use crate::error::Result;
use crate::KimeraHandler;

/// A wire format: how an envelope and its body are laid out in bytes.
///
/// Kimera ships two, `Json` (crate `kimera-json`) and `Binary` (crate `kimera-binary`); a third,
/// say MessagePack, can live in its own crate on this trait alone. A format value carries its
/// options (limits, checksums); `Default` gives the standard ones, which the generic functions
/// `kimera::encode` and `kimera::decode` use.
///
/// # What an implementation must do
///
/// - **Envelope.** Write the value's [`KimeraHandler::type_name`], [`KimeraHandler::VERSION`]
///   (and, if it can, [`KimeraHandler::FINGERPRINT`]) around the serde body, with a marker that
///   [`sniff`](Format::sniff) recognizes and that no other format's envelope starts with.
/// - **Check before the body.** Decoding reads the envelope first and calls
///   [`Header::check`] (or the [`envelope`](crate::envelope) checks one by one) before it
///   touches the body: wrong type, other version and fingerprint mismatch are named errors.
///   To read older versions through their migrations, call [`Header::reading`] instead and
///   hand a [`Reading::Migrate`](crate::Reading::Migrate) body to
///   [`KimeraHandler::migrate`] as a [`migration::Older`](crate::migration::Older).
/// - **Never trust input.** Decode the body through a [`Guard`](crate::Guard) built from the
///   format's [`Limits`](crate::Limits); refuse a body longer than `max_size` before allocating for
///   it; report truncation and trailing bytes as [`ErrorKind::Truncated`](crate::ErrorKind::Truncated)
///   and [`ErrorKind::TrailingBytes`](crate::ErrorKind::TrailingBytes).
/// - **Say where.** Turn a body error into [`data_error`](crate::envelope::data_error) with the
///   field path (`serde_path_to_error` on a second, error-only pass keeps the happy path free).
/// - **Lose nothing.** A value the format cannot hold exactly is an
///   [`encode_error`](crate::envelope::encode_error), never a different value on the way back.
/// - **Refuse what cannot work.** A format that is not self-describing (no `deserialize_any`)
///   checks [`KimeraHandler::BINARY_INCOMPATIBILITY`] in a `const` block, so that a type using
///   `#[serde(untagged)]`, `flatten` and the like is a compile error there, not a run-time surprise.
///
/// # Example: a third format
///
/// A text format whose header is one line, `kimera-text 1 <type> <version>`, followed by the
/// serde_json body. Written, as a doctest, outside this crate:
///
/// ```
/// use kimera_core::envelope::data_error;
/// use kimera_core::{ErrorKind, Format, Guard, Header, KimeraHandler, Limits, Result};
/// use serde::{de::DeserializeOwned, Deserialize, Serialize};
/// use std::io::Read;
///
/// #[derive(Default)]
/// struct Text {
///     limits: Limits,
/// }
///
/// fn not_envelope(reason: &str) -> kimera_core::Error {
///     ErrorKind::NotAnEnvelope { format: "text", reason: reason.into() }.into()
/// }
///
/// impl Format for Text {
///     const NAME: &'static str = "text";
///
///     fn sniff(bytes: &[u8]) -> bool {
///         bytes.starts_with(b"kimera-text ")
///     }
///
///     fn encode_into<T: KimeraHandler + Serialize + ?Sized>(&self, value: &T, out: &mut Vec<u8>) -> Result<()> {
///         let header = format!("kimera-text 1 {} {}\n", T::type_name(), T::VERSION);
///         out.extend_from_slice(header.as_bytes());
///         serde_json::to_writer(out, value).map_err(|e| data_error::<T>(".", e).into())
///     }
///
///     fn decode<'de, T: KimeraHandler + Deserialize<'de>>(&self, bytes: &'de [u8]) -> Result<T> {
///         let newline = bytes.iter().position(|&b| b == b'\n').ok_or_else(|| not_envelope("no header line"))?;
///         let header = self.header(&bytes[..=newline])?;
///         header.check::<T>()?; // type and version, before the body
///         let body = &bytes[newline + 1..];
///         let guard = Guard::new(&self.limits, body.len());
///         let mut de = serde_json::Deserializer::from_slice(body);
///         let value = T::deserialize(guard.deserializer(&mut de)).and_then(|v| de.end().map(|()| v));
///         value.map_err(|e| match guard.exceeded() {
///             Some(limit) => limit.into(),
///             None => data_error::<T>(".", e).into(),
///         })
///     }
///
///     fn decode_from_reader<R: std::io::Read, T: KimeraHandler + DeserializeOwned>(&self, reader: R) -> Result<T> {
///         let mut buf = Vec::new();
///         reader.take(self.limits.max_size).read_to_end(&mut buf)?;
///         self.decode(&buf)
///     }
///
///     fn header<'a>(&self, bytes: &'a [u8]) -> Result<Header<'a>> {
///         let line = std::str::from_utf8(bytes).map_err(|_| not_envelope("header is not UTF-8"))?;
///         let mut words = line.trim_end().split(' ');
///         match (words.next(), words.next(), words.next(), words.next().map(str::parse)) {
///             (Some("kimera-text"), Some("1"), Some(name), Some(Ok(version))) => {
///                 Ok(Header::new(name, version))
///             }
///             _ => Err(not_envelope("malformed header line")),
///         }
///     }
/// }
///
/// let out = Text::default().encode(&vec![1u8, 2])?;
/// assert_eq!(out, b"kimera-text 1 list<u8> 1\n[1,2]");
/// assert_eq!(Text::default().decode::<Vec<u8>>(&out)?, [1, 2]);
/// let err = Text::default().decode::<String>(&out).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::TypeMismatch { .. }));
/// # Ok::<(), kimera_core::Error>(())
/// ```
pub trait Format: Default {
    /// The format's short name, used in errors: `json`, `binary`.
    const NAME: &'static str;

    /// Whether `bytes` start like an envelope of this format. Cheap (a few bytes); used by
    /// `kimera::from_slice` to pick the backend that wrote a buffer.
    fn sniff(bytes: &[u8]) -> bool;

    /// Appends the envelope of `value` to `out`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Encode`](crate::ErrorKind::Encode), with the field path, if the value's
    /// `Serialize` impl fails or writes what the format cannot carry exactly (NaN in JSON, say).
    /// `out` may then hold part of an envelope after its former length.
    fn encode_into<T>(&self, value: &T, out: &mut Vec<u8>) -> Result<()>
    where
        T: KimeraHandler + Serialize + ?Sized;

    /// The envelope of `value`, in a new vector (see the example on [`Format`]).
    ///
    /// # Errors
    ///
    /// As [`encode_into`](Format::encode_into).
    fn encode<T>(&self, value: &T) -> Result<Vec<u8>>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        // Room for a header and a small body: most messages need no reallocation.
        let mut out = Vec::with_capacity(128);
        self.encode_into(value, &mut out)?;
        Ok(out)
    }

    /// Writes the envelope of `value` to `writer`.
    ///
    /// The default encodes into a buffer first, so that a failed encode writes nothing.
    ///
    /// # Errors
    ///
    /// As [`encode_into`](Format::encode_into), and [`ErrorKind::Io`](crate::ErrorKind::Io) if
    /// writing fails.
    fn encode_to_writer<W, T>(&self, mut writer: W, value: &T) -> Result<()>
    where
        W: io::Write,
        T: KimeraHandler + Serialize + ?Sized,
    {
        let mut buf = Vec::new();
        self.encode_into(value, &mut buf)?;
        writer.write_all(&buf)?;
        Ok(())
    }

    /// Decodes a `T` from exactly one envelope filling `bytes`.
    ///
    /// # Errors
    ///
    /// The envelope is checked before its value: not an envelope of this format
    /// ([`NotAnEnvelope`](crate::ErrorKind::NotAnEnvelope),
    /// [`UnsupportedWireVersion`](crate::ErrorKind::UnsupportedWireVersion)), cut short or
    /// followed by more ([`Truncated`](crate::ErrorKind::Truncated),
    /// [`TrailingBytes`](crate::ErrorKind::TrailingBytes)), damaged
    /// ([`ChecksumMismatch`](crate::ErrorKind::ChecksumMismatch),
    /// [`ChecksumMissing`](crate::ErrorKind::ChecksumMissing)), of another type
    /// ([`TypeMismatch`](crate::ErrorKind::TypeMismatch),
    /// [`NameCollision`](crate::ErrorKind::NameCollision)), of a version this reader cannot read
    /// ([`NewerVersion`](crate::ErrorKind::NewerVersion),
    /// [`NoMigration`](crate::ErrorKind::NoMigration),
    /// [`Migration`](crate::ErrorKind::Migration)), or of a shape it cannot resolve
    /// ([`FingerprintMismatch`](crate::ErrorKind::FingerprintMismatch),
    /// [`Unresolvable`](crate::ErrorKind::Unresolvable)); then the value may exceed the limits
    /// ([`LimitExceeded`](crate::ErrorKind::LimitExceeded)) or not be a valid `T`
    /// ([`Data`](crate::ErrorKind::Data), with the field path).
    fn decode<'de, T>(&self, bytes: &'de [u8]) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>;

    /// Decodes a `T` from one envelope read from `reader`.
    ///
    /// # Errors
    ///
    /// As [`decode`](Format::decode), and [`ErrorKind::Io`](crate::ErrorKind::Io) if reading
    /// fails.
    fn decode_from_reader<R, T>(&self, reader: R) -> Result<T>
    where
        R: io::Read,
        T: KimeraHandler + DeserializeOwned;

    /// Reads the envelope's header without decoding the body.
    ///
    /// # Errors
    ///
    /// The envelope errors of [`decode`](Format::decode) that need no reader's type: not an
    /// envelope, truncated, trailing bytes, and (where the format checks them here) a checksum.
    fn header<'a>(&self, bytes: &'a [u8]) -> Result<Header<'a>>;

    /// Appends the envelope of `value` to `out` as one of a stream of envelopes (frames, a
    /// codec) whose reader keeps what earlier envelopes carried: a format that is not
    /// self-describing sends each type's schema with its first value in the stream (recorded in
    /// `stream`; the caller [commits](StreamSchemas::commit) once the stream has taken the
    /// envelope). The default is [`encode_into`](Self::encode_into).
    fn encode_into_stream<T>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
        stream: &mut StreamSchemas,
    ) -> Result<()>
    where
        T: KimeraHandler + Serialize + ?Sized,
    {
        let _ = stream;
        self.encode_into(value, out)
    }

    /// Decodes a `T` from one envelope of a stream, using and keeping in `stream` the schemas
    /// earlier envelopes carried. The default is [`decode`](Self::decode).
    fn decode_in_stream<'de, T>(&self, bytes: &'de [u8], stream: &mut StreamSchemas) -> Result<T>
    where
        T: KimeraHandler + Deserialize<'de>,
    {
        let _ = stream;
        self.decode(bytes)
    }
}
