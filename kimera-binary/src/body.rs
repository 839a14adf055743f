//! The body of a binary envelope: a value as bincode writes it, encoded into the envelope's
//! vector and decoded from its slice (as the reader's schema wrote it, or resolved from the
//! writer's), each with its error path, which runs again to name the field path.

use std::marker::PhantomData;

use bincode::enc::EncoderImpl;
use bincode::serde::Compat;
use bincode::Encode;
use kimera_core::envelope::{data_error, encode_error};
use kimera_core::path::{decode_path, encode_path, field_path};
use kimera_core::{Error, Guard, KimeraHandler, Limits, Result};
use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};

use crate::{direct, message, resolve};

/// bincode's standard configuration: little-endian, variable-length integers.
pub fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Appends the body of `value` to `out`; on failure, `out` is cut back to `start` (the start
/// of the envelope being written).
pub(crate) fn encode<T>(value: &T, out: &mut Vec<u8>, start: usize) -> Result<()>
where
    T: KimeraHandler + Serialize + ?Sized,
{
    // The writer owns the buffer while bincode fills it: behind a `&mut` the vector's length
    // and capacity go back to memory after every write, which made encoding ~25% slower.
    let mut encoder = EncoderImpl::new(VecWriter::<T>::take(out, start), config());
    let written = Compat(value).encode(&mut encoder);
    let writer = encoder.into_writer();
    if let Err(err) = written {
        // The writer puts `out` back cut to `start` before the error path encodes again.
        drop(writer);
        return Err(encode_failure(value, err));
    }
    writer.keep();
    Ok(())
}

/// Appends to a `Vec` directly: cheaper than bincode's `std::io::Write` adapter, which goes
/// through `write_all` for every primitive. It owns the vector while writing and always puts it
/// back where it came from: whole if [`keep`](Self::keep) was called, else cut back to `start`
/// (an error, or a `Serialize` impl that panicked), so the caller's earlier bytes survive
/// without a partial envelope.
///
/// It is a type of its own for each `T` encoded at the top, so that the `Serialize` impls of
/// the types inside `T` are compiled for `T` alone: shared by every top-level type, an element
/// type's impl has several callers (a `Vec<Log>` and a lone `Log`, say), and LLVM stops
/// inlining bincode's primitive writes into it, which under fat LTO made encoding the log
/// records ~6% slower.
struct VecWriter<'a, T: ?Sized> {
    buf: Vec<u8>,
    home: &'a mut Vec<u8>,
    start: usize,
    kept: bool,
    value: PhantomData<fn(&T)>,
}

impl<'a, T: ?Sized> VecWriter<'a, T> {
    fn take(home: &'a mut Vec<u8>, start: usize) -> Self {
        VecWriter {
            buf: std::mem::take(home),
            home,
            start,
            kept: false,
            value: PhantomData,
        }
    }

    /// Puts the vector back with everything written.
    fn keep(mut self) {
        self.kept = true;
    }
}

impl<T: ?Sized> Drop for VecWriter<'_, T> {
    fn drop(&mut self) {
        if !self.kept {
            self.buf.truncate(self.start);
        }
        *self.home = std::mem::take(&mut self.buf);
    }
}

impl<T: ?Sized> bincode::enc::write::Writer for VecWriter<'_, T> {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) -> std::result::Result<(), bincode::error::EncodeError> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }
}

/// Cold and out of line: inlined, the second pass grows the encode it is called from.
#[cold]
#[inline(never)]
fn encode_failure<T>(value: &T, err: bincode::error::EncodeError) -> Error
where
    T: KimeraHandler + Serialize + ?Sized,
{
    let mut sink = Vec::new();
    let path = encode_path(value, |tracked| {
        // A writer type of its own: the error path must not be a second caller of the hot one.
        let writer = VecWriter::<()>::take(&mut sink, 0);
        let _ = bincode::serde::encode_into_writer(tracked, writer, config());
    });
    encode_error::<T>(path, crate::message::encode(&err)).into()
}

/// How a body is read: as the reader's own schema wrote it, or as another's.
#[derive(Clone, Copy)]
pub(crate) enum Body<'a> {
    Own,
    Written(&'a kimera_core::document::Document),
}

impl Body<'_> {
    fn decode<'de, S: DeserializeSeed<'de>>(
        self,
        seed: S,
        body: &'de [u8],
        limits: &Limits,
    ) -> std::result::Result<(S::Value, usize), bincode::error::DecodeError> {
        match self {
            Body::Own => bincode::serde::seed_decode_from_slice(seed, body, config()),
            Body::Written(doc) => resolve::seed_decode(seed, doc, body, limits),
        }
    }
}

pub(crate) fn decode<'de, T>(body: &'de [u8], limits: &Limits, how: Body<'_>) -> Result<T>
where
    T: KimeraHandler + Deserialize<'de>,
{
    if matches!(how, Body::Own) && direct::applies::<T>(limits) {
        if let Some(value) = direct::decode(body) {
            return Ok(value);
        }
        // A failure is named by the guarded decoder below, as every other one.
    }
    // A guard type of its own for `T` (see `Guard::of`); the error path's below is shared.
    let guard = Guard::<T>::of(limits, body.len());
    let seed = guard.seed(PhantomData::<T>);
    let err = match how.decode(seed, body, limits) {
        Ok((value, read)) if read == body.len() => return Ok(value),
        Ok((_, read)) => {
            let message = format!("the body holds {} bytes after the value", body.len() - read);
            return Err(data_error::<T>(".", message).into());
        }
        Err(err) => err,
    };
    if let Some(kind) = guard.exceeded() {
        return Err(kind.into());
    }
    Err(decode_failure::<T>(body, limits, how, &err))
}

/// Names the field path of a body that failed to decode as a `T` with `err`, decoding it again.
///
/// Cold and out of line, as [`encode_failure`].
#[cold]
#[inline(never)]
fn decode_failure<'de, T>(
    body: &'de [u8],
    limits: &Limits,
    how: Body<'_>,
    err: &bincode::error::DecodeError,
) -> Error
where
    T: KimeraHandler + Deserialize<'de>,
{
    let guard = Guard::new(limits, body.len());
    let path = decode_path::<T>(|seed| {
        let _ = how.decode(guard.seed(seed), body, limits);
    });
    data_error::<T>(field_path(T::SCHEMA, &path), message::decode(err)).into()
}
