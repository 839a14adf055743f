//! Framing: a stream of envelopes, each with a length prefix, over any `Read` or `Write`.
//!
//! A frame is a 4-byte little-endian length `n`, then `n` bytes holding one envelope of either
//! backend ([`guide::wire_format`](crate::guide::wire_format#frames)). The same frames are read
//! and written asynchronously by `kimera::codec` (feature `tokio`).
//!
//! ```
//! use kimera::frame::{FrameReader, FrameWriter};
//!
//! let mut stream = Vec::new();
//! let mut writer = FrameWriter::binary(&mut stream);
//! writer.write(&"hello".to_string())?;
//! writer.write(&42u32)?;
//!
//! let mut reader = FrameReader::new(&stream[..]);
//! assert_eq!(reader.read::<String>()?.as_deref(), Some("hello"));
//! assert_eq!(reader.read::<u32>()?, Some(42));
//! assert_eq!(reader.read::<u32>()?, None); // a clean end of stream
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # Errors, and carrying on after them
//!
//! A clean end of stream (before a frame's first byte) is `Ok(None)`; a stream cut inside a
//! frame is [`ErrorKind::Truncated`](crate::ErrorKind::Truncated); a frame longer than the maximum (16 MiB by default) is
//! [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded), found from its length prefix before anything is allocated for
//! it. A frame whose envelope does not decode gives the decode error. In those last two cases
//! the reader knows where the frame ends, so it stays usable: the next read starts at the next
//! frame (an oversized frame is skipped without being buffered). Check
//! [`FrameReader::is_in_sync`] to tell: after a truncated frame or an I/O error inside a frame
//! it is not. An I/O error between frames (a read timeout on an idle socket) consumes nothing
//! and leaves the reader in sync.

mod decoder;

use std::io::{self, Read, Write};

use kimera_core::document::StreamSchemas;
use kimera_core::{Format, KimeraHandler, Result};

pub(crate) use decoder::{prefix_for, FrameDecoder, Next};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest frame readers and writers accept unless told otherwise: 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 16 << 20;

/// The longest refused frame a reader discards unread to carry on with the next one, unless
/// told otherwise: 64 MiB. A prefix claiming more (a forged `ff ff ff 7f`, 2 GiB) leaves the
/// reader out of sync at once, instead of swallowing what the peer sends next.
pub const DEFAULT_MAX_SKIP: u64 = 64 << 20;

/// The length prefix: 4 bytes, little-endian.
pub const PREFIX_LEN: usize = 4;

/// Writes values as frames to a `Write`.
///
/// Each [`write`](Self::write) encodes one value with the writer's format and writes its frame
/// whole, or nothing if the value does not encode or its frame would be over the maximum.
#[derive(Debug)]
pub struct FrameWriter<W, F> {
    inner: W,
    format: F,
    max_frame_len: u32,
    buf: Vec<u8>,
    /// What the stream has carried, when each type's schema is sent once.
    stream: Option<StreamSchemas>,
}

#[cfg(feature = "binary")]
impl<W: Write> FrameWriter<W, crate::Binary> {
    /// Frames of checksummed binary envelopes.
    pub fn binary(inner: W) -> Self {
        Self::new(inner, crate::Binary::new())
    }
}

#[cfg(feature = "json")]
impl<W: Write> FrameWriter<W, crate::Json> {
    /// Frames of compact JSON envelopes.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// kimera::frame::FrameWriter::json(&mut out).write(&true)?;
    /// assert_eq!(&out[..4], &[51, 0, 0, 0]);
    /// assert_eq!(&out[4..], br#"{"kimera":1,"type":"bool","version":1,"value":true}"#);
    /// # Ok::<(), kimera::Error>(())
    /// ```
    pub fn json(inner: W) -> Self {
        Self::new(inner, crate::Json::new())
    }
}

impl<W: Write, F: Format> FrameWriter<W, F> {
    /// Frames of envelopes written in `format`.
    pub fn new(inner: W, format: F) -> Self {
        FrameWriter {
            inner,
            format,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            buf: Vec::new(),
            stream: None,
        }
    }

    /// Refuses to write frames longer than `max` bytes (after the prefix).
    #[must_use]
    pub fn with_max_frame_len(mut self, max: u32) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Sends each type's schema once, with its first value in the stream (binary envelopes;
    /// JSON describes itself): a reader of another build resolves every value of the stream
    /// into its own shapes ([`guide::versioning`](crate::guide::versioning)), for the cost of
    /// one schema per type.
    ///
    /// ```
    /// use kimera::frame::{FrameReader, FrameWriter};
    /// use kimera::Kimera;
    /// use serde::{Deserialize, Serialize};
    ///
    /// mod before {
    ///     #[derive(serde::Serialize, kimera::Kimera)]
    ///     #[kimera(name = "docs.Reading", register = false)]
    ///     pub struct Reading { pub celsius: f32 }
    /// }
    /// #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    /// #[kimera(name = "docs.Reading", register = false)]
    /// struct Reading { celsius: f64, #[serde(default)] sensor: String }
    ///
    /// let mut stream = Vec::new();
    /// let mut writer = FrameWriter::binary(&mut stream).with_schemas();
    /// writer.write(&before::Reading { celsius: 20.5 })?; // with its schema
    /// writer.write(&before::Reading { celsius: 21.0 })?; // without
    /// let mut reader = FrameReader::new(&stream[..]);
    /// let read = reader.read::<Reading>()?.unwrap();
    /// assert_eq!(read, Reading { celsius: 20.5, sensor: String::new() });
    /// assert_eq!(reader.read::<Reading>()?.unwrap().celsius, 21.0);
    /// # Ok::<(), kimera::Error>(())
    /// ```
    #[must_use]
    pub fn with_schemas(mut self) -> Self {
        self.stream = Some(StreamSchemas::new());
        self
    }

    /// Writes `value` as one frame.
    ///
    /// # Errors
    ///
    /// This can fail if `value` does not encode in the writer's format (that format's error, such
    /// as [`ErrorKind::Encode`]) or its frame would be longer than the maximum
    /// ([`ErrorKind::LimitExceeded`]), and nothing is written then; or if writing fails
    /// ([`ErrorKind::Io`]), which may leave part of the frame written.
    ///
    /// [`ErrorKind::Encode`]: crate::ErrorKind::Encode
    /// [`ErrorKind::Io`]: crate::ErrorKind::Io
    /// [`ErrorKind::LimitExceeded`]: crate::ErrorKind::LimitExceeded
    pub fn write<T: KimeraHandler + Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; PREFIX_LEN]);
        match &mut self.stream {
            Some(stream) => self
                .format
                .encode_into_stream(value, &mut self.buf, stream)?,
            None => self.format.encode_into(value, &mut self.buf)?,
        }
        let prefix = prefix_for(self.buf.len() - PREFIX_LEN, self.max_frame_len)?;
        self.buf[..PREFIX_LEN].copy_from_slice(&prefix);
        self.inner.write_all(&self.buf)?;
        if let Some(stream) = &mut self.stream {
            stream.commit();
        }
        Ok(())
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] if the underlying writer's flush fails.
    ///
    /// [`ErrorKind::Io`]: crate::ErrorKind::Io
    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush().map_err(Into::into)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The underlying writer, by reference.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer, mutably. Writing to it directly puts bytes between frames that
    /// readers will take for a frame.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The largest frame this writer writes, in bytes.
    pub fn max_frame_len(&self) -> u32 {
        self.max_frame_len
    }
}

/// Reads frames from a `Read`, decoding each as a value.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    frames: FrameDecoder,
    buf: Vec<u8>,
    in_sync: bool,
    /// Binary envelopes without a checksum are accepted.
    #[cfg(feature = "binary")]
    unchecked: bool,
    /// The schemas the stream has carried.
    #[cfg(feature = "binary")]
    schemas: StreamSchemas,
}

impl<R: Read> FrameReader<R> {
    /// A reader of frames of either backend, up to [`DEFAULT_MAX_FRAME_LEN`] bytes.
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            frames: FrameDecoder::new(DEFAULT_MAX_FRAME_LEN),
            buf: Vec::new(),
            in_sync: true,
            #[cfg(feature = "binary")]
            unchecked: false,
            #[cfg(feature = "binary")]
            schemas: StreamSchemas::new(),
        }
    }

    /// Refuses frames longer than `max` bytes (after the prefix), before reading them.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: u32) -> Self {
        self.frames.set_max_frame_len(max);
        self
    }

    /// Skips a refused frame (one over the maximum length) only if it is at most `max` bytes
    /// long; a longer one leaves the reader out of sync (default [`DEFAULT_MAX_SKIP`]; `0`
    /// never skips).
    ///
    /// ```
    /// use kimera::frame::FrameReader;
    /// use kimera::ErrorKind;
    ///
    /// let forged = [0xff, 0xff, 0xff, 0x7f, 1, 2, 3];
    /// let mut reader = FrameReader::new(&forged[..]).with_max_skip(1 << 20);
    /// let err = reader.read_frame().unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::FrameTooLong { len: 0x7fff_ffff, in_sync: false, .. }));
    /// assert!(!reader.is_in_sync());
    /// ```
    #[must_use]
    pub fn with_max_skip(mut self, max: u64) -> Self {
        self.frames.set_max_skip(max);
        self
    }

    /// Also reads binary envelopes written without a checksum
    /// (`FrameWriter::new(w, Binary::new().without_checksum())`) in [`read`](Self::read).
    #[cfg(feature = "binary")]
    #[must_use]
    pub fn without_checksum(mut self) -> Self {
        self.unchecked = true;
        self
    }

    /// The next value, decoded as a `T` from whichever backend wrote it (migrating an older
    /// version, resolving another shape with the schema the stream carried:
    /// [`FrameWriter::with_schemas`]); `None` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// This can fail if the stream ends inside a frame ([`ErrorKind::Truncated`]), if a frame is
    /// longer than the maximum ([`ErrorKind::LimitExceeded`]; the next read skips it), if reading
    /// fails or the reader is out of sync after a truncated frame or an I/O error
    /// ([`ErrorKind::Io`]), or if the frame's envelope does not decode as a `T` (the error
    /// [`from_slice`](crate::from_slice) gives for it). The [module documentation](self) says which
    /// of these leave the reader usable.
    ///
    /// [`ErrorKind::Io`]: crate::ErrorKind::Io
    /// [`ErrorKind::LimitExceeded`]: crate::ErrorKind::LimitExceeded
    /// [`ErrorKind::Truncated`]: crate::ErrorKind::Truncated
    pub fn read<T: KimeraHandler + DeserializeOwned>(&mut self) -> Result<Option<T>> {
        if !self.next_frame()? {
            return Ok(None);
        }
        let envelope = &self.buf[..];
        #[cfg(feature = "binary")]
        if crate::Binary::sniff(envelope) {
            let binary = match self.unchecked {
                true => crate::Binary::new().without_checksum(),
                false => crate::Binary::new(),
            };
            return binary
                .decode_in_stream(envelope, &mut self.schemas)
                .map(Some);
        }
        crate::from_slice(envelope).map(Some)
    }

    /// The next value, of whichever registered type its envelope names
    /// ([`registry::decode_any`](crate::registry::decode_any), which requires binary
    /// envelopes to carry their checksum); `None` at a clean end of stream. The registry reads
    /// each envelope alone: a value of another shape resolves with the schema it carries or
    /// the program's history, not with one an earlier frame carried (use [`read`](Self::read)
    /// for that).
    ///
    /// # Errors
    ///
    /// This can fail as [`read_frame`](Self::read_frame) can, and as
    /// [`registry::decode_any`](crate::registry::decode_any) can for the frame's envelope (one
    /// whose type is not registered, say).
    #[cfg(feature = "registry")]
    pub fn read_any(&mut self) -> Result<Option<crate::registry::AnyValue>> {
        match self.read_frame()? {
            Some(envelope) => crate::registry::decode_any(envelope).map(Some),
            None => Ok(None),
        }
    }

    /// The next frame's envelope, undecoded (to hand to a
    /// [`Dispatcher`](crate::registry::Dispatcher), say); `None` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// This can fail if the stream ends inside a frame ([`ErrorKind::Truncated`]), if a frame is
    /// longer than the maximum ([`ErrorKind::LimitExceeded`]; the next read skips it), or if
    /// reading fails or the reader is out of sync ([`ErrorKind::Io`]). The envelope is not checked.
    ///
    /// [`ErrorKind::Io`]: crate::ErrorKind::Io
    /// [`ErrorKind::LimitExceeded`]: crate::ErrorKind::LimitExceeded
    /// [`ErrorKind::Truncated`]: crate::ErrorKind::Truncated
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>> {
        Ok(self.next_frame()?.then_some(&self.buf[..]))
    }

    /// Reads the next frame into `buf`; `false` at a clean end of stream.
    fn next_frame(&mut self) -> Result<bool> {
        if !self.in_sync {
            return Err(FrameDecoder::out_of_sync());
        }
        if let Next::Skip(left) = self.frames.next() {
            // Resumable: what an interrupted skip consumed is not skipped again.
            let skipped = io::copy(&mut (&mut self.inner).take(left), &mut io::sink());
            let skipped = skipped.inspect_err(|_| self.in_sync = false)?;
            self.frames.skipped(skipped);
            if skipped < left {
                self.in_sync = false;
                return Err(self.frames.truncated(0));
            }
        }
        let mut prefix = [0; PREFIX_LEN];
        let got = match read_full(&mut self.inner, &mut prefix) {
            Ok(got) => got,
            // Nothing consumed (a read timeout between frames, say): still at a frame boundary.
            Err((0, err)) => return Err(err.into()),
            Err((_, err)) => {
                self.in_sync = false;
                return Err(err.into());
            }
        };
        match got {
            0 => return Ok(false),
            PREFIX_LEN => {}
            got => {
                self.in_sync = false;
                return Err(self.frames.truncated(got as u64));
            }
        }
        // Refused from its prefix, the frame is skipped by the next read, still in sync, unless
        // it is too long to skip.
        let len = self
            .frames
            .prefix(prefix)
            .inspect_err(|_| self.in_sync = self.frames.next() != Next::Lost)?;
        // Not in sync until this frame has been read whole.
        self.in_sync = false;
        self.buf.clear();
        // Grows as bytes arrive, at most doubling each step: a forged length costs no more than
        // the bytes really sent, and the buffer never holds more than the frame.
        while self.buf.len() < len {
            let start = self.buf.len();
            let step = (len - start).min(start.max(8 << 10));
            self.buf.reserve_exact(step);
            self.buf.resize(start + step, 0);
            let got = read_full(&mut self.inner, &mut self.buf[start..]).map_err(|(_, e)| e)?;
            self.buf.truncate(start + got);
            if got < step {
                return Err(self.frames.truncated((PREFIX_LEN + self.buf.len()) as u64));
            }
        }
        self.in_sync = true;
        Ok(true)
    }

    /// Whether the reader knows where the next frame starts: true except after a frame too
    /// long to skip, a truncated frame or an I/O error, after which every read fails.
    pub fn is_in_sync(&self) -> bool {
        self.in_sync
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The underlying reader, by reference.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably. Reading from it directly loses the frame boundaries.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The largest frame this reader reads, in bytes.
    pub fn max_frame_len(&self) -> u32 {
        self.frames.max_frame_len()
    }

    /// The longest refused frame this reader skips, in bytes.
    pub fn max_skip(&self) -> u64 {
        self.frames.max_skip()
    }
}

/// Reads into `buf` until it is full or the stream ends; how many bytes were read, or the
/// error with how many were read before it.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, (usize, io::Error)> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err((filled, err)),
        }
    }
    Ok(filled)
}
