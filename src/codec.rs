//! Async framing for tokio: [`Decoder`]s and [`Encoder`]s for `tokio_util::codec::Framed`
//! (feature `tokio`).
//!
//! The frames are those of [`frame`](crate::frame) (a 4-byte little-endian length, then one
//! envelope), byte for byte, with the same maximum length and the same errors:
//! [`FrameCodec`] carries envelopes as bytes, [`KimeraCodec`] decodes them as a type.
//! `Framed` and `BytesMut` come from your own `tokio-util` 0.7 (feature `codec`) and `bytes` 1
//! dependencies, which these implement the traits of.
//!
//! ```
//! use bytes::BytesMut;
//! use kimera::codec::KimeraCodec;
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = KimeraCodec::<String, _>::binary();
//! let mut buf = BytesMut::new();
//! codec.encode(&"hello".to_string(), &mut buf)?;
//! assert_eq!(codec.decode(&mut buf)?, Some("hello".to_string()));
//! assert_eq!(codec.decode(&mut buf)?, None); // needs more bytes
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! After an error, tokio-util's `Framed` yields `None` once, and then decodes nothing more until
//! more bytes arrive, even frames already received: a peer that sent a bad frame and then waits
//! for a reply waits for ever. Treat a decode error as the end of the connection (the RPC
//! example replies with a typed error and closes it), or read frames with [`FrameCodec`] and
//! decode each one, so that a bad one is an item of the stream and the next one follows.
//!
//! A codec reads frames of its own format with that format's options (limits, checksum), and
//! frames of the other backend with that backend's defaults. Memory per connection is bounded
//! by about twice the maximum frame length (the frame, and the read buffer it is split from).

use std::fmt;
use std::marker::PhantomData;

use bytes::{Buf, BufMut, BytesMut};
use kimera_core::document::StreamSchemas;
use kimera_core::{Error, Format, KimeraHandler, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_util::codec::{Decoder, Encoder};

use crate::frame::{prefix_for, FrameDecoder, Next, DEFAULT_MAX_FRAME_LEN, PREFIX_LEN};

/// Frames of envelopes, undecoded: each item is one envelope's bytes.
///
/// For servers that route several types ([`Dispatcher`](crate::registry::Dispatcher)).
#[derive(Clone, Debug)]
pub struct FrameCodec {
    frames: FrameDecoder,
}

impl FrameCodec {
    /// Frames up to [`DEFAULT_MAX_FRAME_LEN`] bytes.
    pub fn new() -> Self {
        FrameCodec {
            frames: FrameDecoder::new(DEFAULT_MAX_FRAME_LEN),
        }
    }

    /// Refuses frames longer than `max` bytes (after the prefix), from the prefix alone.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: u32) -> Self {
        self.frames.set_max_frame_len(max);
        self
    }

    /// Skips a refused frame only if it is at most `max` bytes long; after a longer one, every
    /// decode fails, as the stream is out of sync (default
    /// [`DEFAULT_MAX_SKIP`](crate::frame::DEFAULT_MAX_SKIP); `0` never skips).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use kimera::codec::FrameCodec;
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = FrameCodec::new().with_max_skip(1 << 20);
    /// let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0x7f, 4, 0, 0, 0][..]);
    /// assert!(codec.decode(&mut buf).is_err());
    /// assert!(codec.decode(&mut buf).is_err()); // the bytes that follow are not a frame
    /// ```
    #[must_use]
    pub fn with_max_skip(mut self, max: u64) -> Self {
        self.frames.set_max_skip(max);
        self
    }

    /// The largest frame this codec reads or writes, in bytes.
    pub fn max_frame_len(&self) -> u32 {
        self.frames.max_frame_len()
    }
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for FrameCodec {
    type Item = BytesMut;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>> {
        match self.frames.next() {
            Next::Prefix => {}
            Next::Skip(left) => {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(src.len());
                src.advance(n);
                self.frames.skipped(n as u64);
                if (n as u64) < left {
                    return Ok(None);
                }
            }
            Next::Lost => {
                // Nothing that follows is known to be a frame: drop it, as it arrives.
                src.clear();
                return Err(FrameDecoder::out_of_sync());
            }
        }
        let Some(prefix) = src.first_chunk::<PREFIX_LEN>() else {
            return Ok(None);
        };
        let len = self.frames.prefix(*prefix).inspect_err(|_| {
            // Refused from the prefix; the frame itself is skipped as it arrives.
            src.advance(PREFIX_LEN);
        })?;
        // Compared without adding to the length: no overflow on 32-bit targets.
        if src.len() - PREFIX_LEN < len {
            return Ok(None);
        }
        src.advance(PREFIX_LEN);
        Ok(Some(src.split_to(len)))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() && self.frames.next() == Next::Prefix => Ok(None),
            // Counted from the frame's first byte, as `FrameReader` counts.
            None => Err(self.frames.truncated(src.len() as u64)),
        }
    }
}

/// Writes an envelope's bytes as one frame.
impl Encoder<&[u8]> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, envelope: &[u8], dst: &mut BytesMut) -> Result<()> {
        let prefix = prefix_for(envelope.len(), self.frames.max_frame_len())?;
        dst.reserve(PREFIX_LEN + envelope.len());
        dst.put_slice(&prefix);
        dst.put_slice(envelope);
        Ok(())
    }
}

/// Frames of envelopes: decoded as `T` (from either backend, older versions migrated), and
/// encoded from a `&S` with the format `F`.
///
/// A codec is made for one type both ways (`KimeraCodec::<Event, Binary>::binary()`, `S` is `T`;
/// name the type it reads where only what it sends would say it);
/// [`sending`](Self::sending) changes what it sends: a client that sends requests and reads
/// responses is a `KimeraCodec<Response, Binary, Request>`, one that sends values of several
/// types sends [`Mixed`]: `KimeraCodec::<Response, Binary>::binary().sending::<Request>()`.
/// With one sent type, `Framed`'s `Sink` methods infer it, so
/// `framed.flush().await` needs no annotation.
///
/// ```
/// use bytes::BytesMut;
/// use kimera::codec::{KimeraCodec, Mixed};
/// use kimera::Binary;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// // Sends `u32`s, reads `String`s.
/// let mut codec = KimeraCodec::<String, Binary>::binary().sending::<u32>();
/// let mut buf = BytesMut::new();
/// codec.encode(&7u32, &mut buf)?;
///
/// // Sends anything handled.
/// let mut mixed = KimeraCodec::<String, Binary>::binary().sending::<Mixed>();
/// mixed.encode(&7u32, &mut buf)?;
/// let mut text = BytesMut::new();
/// mixed.encode("text", &mut text)?;
/// assert_eq!(mixed.decode(&mut text)?, Some("text".to_owned()));
/// # Ok::<(), kimera::Error>(())
/// ```
pub struct KimeraCodec<T, F, S: ?Sized = T> {
    frames: FrameCodec,
    format: F,
    /// The schemas the stream has carried, both ways.
    schemas: StreamSchemas,
    send_schemas: bool,
    marker: PhantomData<fn(&S) -> T>,
}

// By hand: derived, they would require `T` and `S` to be `Clone` and `Debug`, which only
// `PhantomData` holds.
impl<T, F: Clone, S: ?Sized> Clone for KimeraCodec<T, F, S> {
    fn clone(&self) -> Self {
        KimeraCodec {
            frames: self.frames.clone(),
            format: self.format.clone(),
            schemas: self.schemas.clone(),
            send_schemas: self.send_schemas,
            marker: PhantomData,
        }
    }
}

impl<T, F: fmt::Debug, S: ?Sized> fmt::Debug for KimeraCodec<T, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KimeraCodec")
            .field("frames", &self.frames)
            .field("format", &self.format)
            .field("send_schemas", &self.send_schemas)
            .finish_non_exhaustive()
    }
}

/// The sent type of a [`KimeraCodec`] that encodes values of any handled type (requests of
/// several types on one connection): `KimeraCodec::<Response, Binary>::binary().sending::<Mixed>()`. `Framed`'s `Sink` methods then need the item type named:
/// `SinkExt::<&Add>::flush(&mut framed)`, or flush by sending.
#[derive(Clone, Copy, Debug)]
pub enum Mixed {}

// The constructors make codecs of one type both ways: with the sent type left open, nothing
// would pick it (a type parameter's default does not guide inference).
#[cfg(feature = "binary")]
impl<T> KimeraCodec<T, crate::Binary> {
    /// Checksummed binary envelopes.
    pub fn binary() -> Self {
        Self::new(crate::Binary::new())
    }
}

#[cfg(feature = "json")]
impl<T> KimeraCodec<T, crate::Json> {
    /// Compact JSON envelopes.
    pub fn json() -> Self {
        Self::new(crate::Json::new())
    }
}

impl<T, F: Format> KimeraCodec<T, F> {
    /// Envelopes written in `format`.
    pub fn new(format: F) -> Self {
        KimeraCodec {
            frames: FrameCodec::new(),
            format,
            schemas: StreamSchemas::new(),
            send_schemas: false,
            marker: PhantomData,
        }
    }
}

impl<T, F: Format, S: ?Sized> KimeraCodec<T, F, S> {
    /// This codec, sending `&U`s instead (or values of any type, for [`Mixed`]); what it has
    /// read and sent so far is kept.
    pub fn sending<U: ?Sized>(self) -> KimeraCodec<T, F, U> {
        KimeraCodec {
            frames: self.frames,
            format: self.format,
            schemas: self.schemas,
            send_schemas: self.send_schemas,
            marker: PhantomData,
        }
    }

    /// Refuses frames longer than `max` bytes, reading and writing.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: u32) -> Self {
        self.frames = self.frames.with_max_frame_len(max);
        self
    }

    /// Skips a refused frame only if it is at most `max` bytes long
    /// ([`FrameCodec::with_max_skip`]).
    #[must_use]
    pub fn with_max_skip(mut self, max: u64) -> Self {
        self.frames = self.frames.with_max_skip(max);
        self
    }

    /// Sends each type's schema once, with its first value on the connection, as
    /// [`FrameWriter::with_schemas`](crate::frame::FrameWriter::with_schemas) does: a peer of
    /// another build resolves the values into its own shapes. Decoding always keeps the
    /// schemas the peer sends.
    #[must_use]
    pub fn with_schemas(mut self) -> Self {
        self.send_schemas = true;
        self
    }

    fn encode_value<U: KimeraHandler + Serialize + ?Sized>(
        &mut self,
        value: &U,
        dst: &mut BytesMut,
    ) -> Result<()> {
        let mut envelope = Vec::with_capacity(128);
        match self.send_schemas {
            true => self
                .format
                .encode_into_stream(value, &mut envelope, &mut self.schemas)?,
            false => self.format.encode_into(value, &mut envelope)?,
        }
        self.frames.encode(&envelope[..], dst)?;
        self.schemas.commit();
        Ok(())
    }

    fn decode_frame(&mut self, frame: Option<BytesMut>) -> Result<Option<T>>
    where
        T: KimeraHandler + DeserializeOwned,
    {
        let Some(frame) = frame else {
            return Ok(None);
        };
        match F::sniff(&frame) {
            true => self.format.decode_in_stream(&frame, &mut self.schemas),
            false => crate::from_slice(&frame),
        }
        .map(Some)
    }
}

impl<T: KimeraHandler + DeserializeOwned, F: Format, S: ?Sized> Decoder for KimeraCodec<T, F, S> {
    type Item = T;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<T>> {
        let frame = self.frames.decode(src)?;
        self.decode_frame(frame)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<T>> {
        let frame = self.frames.decode_eof(src)?;
        self.decode_frame(frame)
    }
}

impl<T, F, S> Encoder<&S> for KimeraCodec<T, F, S>
where
    F: Format,
    S: KimeraHandler + Serialize + ?Sized,
{
    type Error = Error;

    fn encode(&mut self, value: &S, dst: &mut BytesMut) -> Result<()> {
        self.encode_value(value, dst)
    }
}

impl<T, F, U> Encoder<&U> for KimeraCodec<T, F, Mixed>
where
    F: Format,
    U: KimeraHandler + Serialize + ?Sized,
{
    type Error = Error;

    fn encode(&mut self, value: &U, dst: &mut BytesMut) -> Result<()> {
        self.encode_value(value, dst)
    }
}
