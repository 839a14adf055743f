//! Framing: a stream of envelopes, each with a length prefix, over any `Read` or `Write`.
//!
//! A frame is a 4-byte little-endian length `n`, then `n` bytes holding one envelope of either
//! backend (`docs/wire-format.md`, "Frames"). The same frames are read and written
//! asynchronously by `kimera::codec` (feature `tokio`).
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
//! frame is [`ErrorKind::Truncated`]; a frame longer than the maximum (16 MiB by default) is
//! [`ErrorKind::LimitExceeded`], found from its length prefix before anything is allocated for
//! it. A frame whose envelope does not decode gives the decode error. In those last two cases
//! the reader knows where the frame ends, so it stays usable: the next read starts at the next
//! frame (an oversized frame is skipped without being buffered). Check
//! [`FrameReader::is_in_sync`] to tell: after a truncated frame or an I/O error it is not.

use std::io::{self, Read, Write};

use kimera_core::{ErrorKind, Format, KimeraHandler, Limit, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest frame readers and writers accept unless told otherwise: 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 16 << 20;

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
        }
    }

    /// Refuses to write frames longer than `max` bytes (after the prefix).
    pub fn with_max_frame_len(mut self, max: u32) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Writes `value` as one frame.
    pub fn write<T: KimeraHandler + Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; PREFIX_LEN]);
        self.format.encode_into(value, &mut self.buf)?;
        let len = self.buf.len() - PREFIX_LEN;
        let len = match u32::try_from(len) {
            Ok(len) if len <= self.max_frame_len => len,
            _ => {
                return Err(ErrorKind::LimitExceeded {
                    limit: Limit::Size,
                    max: self.max_frame_len.into(),
                }
                .into())
            }
        };
        self.buf[..PREFIX_LEN].copy_from_slice(&len.to_le_bytes());
        self.inner.write_all(&self.buf)?;
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush().map_err(Into::into)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Reads frames from a `Read`, decoding each as a value.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    max_frame_len: u32,
    buf: Vec<u8>,
    /// Bytes of an oversized frame still to skip before the next frame.
    skip: u64,
    in_sync: bool,
}

impl<R: Read> FrameReader<R> {
    /// A reader of frames of either backend, up to [`DEFAULT_MAX_FRAME_LEN`] bytes.
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            buf: Vec::new(),
            skip: 0,
            in_sync: true,
        }
    }

    /// Refuses frames longer than `max` bytes (after the prefix), before reading them.
    pub fn with_max_frame_len(mut self, max: u32) -> Self {
        self.max_frame_len = max;
        self
    }

    /// The next value, decoded as a `T` from whichever backend wrote it (migrating an older
    /// version); `None` at a clean end of stream.
    pub fn read<T: KimeraHandler + DeserializeOwned>(&mut self) -> Result<Option<T>> {
        match self.read_frame()? {
            Some(envelope) => crate::from_slice(envelope).map(Some),
            None => Ok(None),
        }
    }

    /// The next value, of whichever registered type its envelope names
    /// ([`registry::decode_any`](crate::registry::decode_any)); `None` at a clean end of
    /// stream.
    pub fn read_any(&mut self) -> Result<Option<crate::registry::AnyValue>> {
        match self.read_frame()? {
            Some(envelope) => crate::registry::decode_any(envelope).map(Some),
            None => Ok(None),
        }
    }

    /// The next frame's envelope, undecoded (to hand to a
    /// [`Dispatcher`](crate::registry::Dispatcher), say); `None` at a clean end of stream.
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>> {
        if !self.in_sync {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the frame stream is out of sync after a truncated frame or an I/O error",
            )
            .into());
        }
        // Not in sync until this frame has been read whole.
        self.in_sync = false;
        if self.skip > 0 {
            let skipped = io::copy(&mut (&mut self.inner).take(self.skip), &mut io::sink())?;
            if skipped < self.skip {
                return Err(truncated(skipped));
            }
            self.skip = 0;
        }
        let mut prefix = [0; PREFIX_LEN];
        match read_full(&mut self.inner, &mut prefix)? {
            0 => {
                self.in_sync = true;
                return Ok(None);
            }
            PREFIX_LEN => {}
            got => return Err(truncated(got as u64)),
        }
        let len = u32::from_le_bytes(prefix);
        if len > self.max_frame_len {
            self.skip = len.into();
            self.in_sync = true;
            return Err(ErrorKind::LimitExceeded {
                limit: Limit::Size,
                max: self.max_frame_len.into(),
            }
            .into());
        }
        self.buf.clear();
        // Grows as bytes arrive: a forged length costs no more than the bytes really sent.
        let got = (&mut self.inner)
            .take(len.into())
            .read_to_end(&mut self.buf)?;
        if got < len as usize {
            return Err(truncated((PREFIX_LEN + got) as u64));
        }
        self.in_sync = true;
        Ok(Some(&self.buf))
    }

    /// Whether the reader knows where the next frame starts: true except after a truncated
    /// frame or an I/O error, after which every read fails.
    pub fn is_in_sync(&self) -> bool {
        self.in_sync
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

fn truncated(offset: u64) -> kimera_core::Error {
    ErrorKind::Truncated {
        context: "frame",
        offset,
    }
    .into()
}

/// Reads into `buf` until it is full or the stream ends; how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}
