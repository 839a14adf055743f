//! Reading a body with bincode's own decoder, without the [`Guard`](kimera_core::Guard), for
//! the types whose schema proves that the guard could never step in
//! ([`KimeraHandler::DECODE_BOUND`]; `docs/schema.md`, "Decode bounds"): their depth is fixed
//! by the type, and every element a forged length claims must be paid for with input bytes.
//! Through the guard, such a type only pays for it: under fat LTO, bincode's bulk numeric
//! decoding stops being a copy loop.
//!
//! Types with strings or byte strings keep the guard: bincode allocates those at their
//! claimed length before reading them, and the guard has them read borrowed. (A byte limit in
//! bincode's configuration would bound that, but it is checked at every primitive, and under
//! fat LTO made decoding a mesh 13× slower than raw bincode.)
//!
//! Any failure is reported by decoding again through the guard (the caller's error path), so
//! both decoders name every error alike.

use std::marker::PhantomData;

use bincode::de::read::{BorrowReader, Reader};
use bincode::de::{BorrowDecode, Decoder as _, DecoderImpl};
use bincode::error::DecodeError;
use kimera_core::{KimeraHandler, Limits};
use serde::Deserialize;

use crate::body::config;
use crate::cursor::Cursor;

/// Sequences nested in each other beyond which the guard is kept: without it, a forged length
/// at each level costs serde's cautious preallocation (up to ~4 MiB for a hash set) before the
/// input runs out, where the guard refuses the first one before anything is allocated.
const MAX_SEQUENCES: u32 = 3;

/// Whether a body of `T` may be decoded by [`decode`] under `limits`.
#[inline(always)]
pub(crate) fn applies<T: KimeraHandler + ?Sized>(limits: &Limits) -> bool {
    match T::DECODE_BOUND {
        Some(bound) => bound.depth <= limits.max_depth && bound.sequences <= MAX_SEQUENCES,
        None => false,
    }
}

/// Decodes a `T` filling `body` with bincode's decoder; `None` if it fails or leaves bytes
/// after the value.
///
/// Only for a `T` that [`applies`]: nothing else bounds the depth or the element count.
#[inline]
pub(crate) fn decode<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Option<T> {
    let mut de = DecoderImpl::new(Input::<T>(Cursor(body), PhantomData), config(), ());
    let value = bincode::serde::BorrowCompat::<T>::borrow_decode(&mut de).ok()?;
    de.reader().0 .0.is_empty().then_some(value.0)
}

/// The body, read by a reader type of its own for each `T` decoded at the top: the
/// `Deserialize` impls of the types inside `T` are then compiled for `T` alone. Shared by
/// every top-level type (the registry decodes each registered type alone, for instance), an
/// element type's impl has several callers, and LLVM stops inlining it into the loop over a
/// sequence of it, which under fat LTO made decoding a mesh 2.5× slower.
struct Input<'de, T: ?Sized>(Cursor<'de>, PhantomData<fn() -> T>);

impl<T: ?Sized> Reader for Input<'_, T> {
    #[inline(always)]
    fn read(&mut self, bytes: &mut [u8]) -> Result<(), DecodeError> {
        self.0.read(bytes)
    }

    #[inline(always)]
    fn peek_read(&mut self, n: usize) -> Option<&[u8]> {
        self.0.peek_read(n)
    }

    #[inline(always)]
    fn consume(&mut self, n: usize) {
        self.0.consume(n)
    }
}

impl<'de, T: ?Sized> BorrowReader<'de> for Input<'de, T> {
    #[inline(always)]
    fn take_bytes(&mut self, length: usize) -> Result<&'de [u8], DecodeError> {
        self.0.take_bytes(length)
    }
}

#[cfg(test)]
mod tests {
    use kimera_core::Limits;

    use super::applies;

    #[test]
    fn the_guard_stays_where_the_schema_does_not_bound_the_cost() {
        let limits = Limits::default();
        assert!(applies::<Vec<(u8, f32, [u16; 3])>>(&limits));
        assert!(applies::<Vec<Vec<Vec<u8>>>>(&limits));
        // Deeper nests of sequences: each forged length would cost a preallocation.
        assert!(!applies::<Vec<Vec<Vec<Vec<u8>>>>>(&limits));
        // Recursion, zero-sized elements, strings.
        assert!(!applies::<Vec<()>>(&limits));
        assert!(!applies::<String>(&limits));
        // A reader allowing less depth than the type has.
        assert!(applies::<Option<Option<u8>>>(&limits.with_max_depth(3)));
        assert!(!applies::<Option<Option<u8>>>(&limits.with_max_depth(2)));
    }
}
