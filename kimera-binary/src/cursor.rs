//! [`Cursor`]: the unread rest of a body, as bincode's reader.
//!
//! bincode's own `SliceReader` does the same but does not say how much is left, which the
//! decoders need to refuse bytes after the value.

use bincode::de::read::{BorrowReader, Reader};
use bincode::error::DecodeError;

/// The unread rest of a body.
pub(crate) struct Cursor<'de>(pub(crate) &'de [u8]);

impl Reader for Cursor<'_> {
    #[inline(always)]
    fn read(&mut self, bytes: &mut [u8]) -> Result<(), DecodeError> {
        let head = self.take(bytes.len())?;
        bytes.copy_from_slice(head);
        Ok(())
    }

    #[inline]
    fn peek_read(&mut self, n: usize) -> Option<&[u8]> {
        self.0.get(..n)
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.0 = self.0.get(n..).unwrap_or_default();
    }
}

impl<'de> BorrowReader<'de> for Cursor<'de> {
    #[inline(always)]
    fn take_bytes(&mut self, length: usize) -> Result<&'de [u8], DecodeError> {
        self.take(length)
    }
}

impl<'de> Cursor<'de> {
    #[inline(always)]
    fn take(&mut self, length: usize) -> Result<&'de [u8], DecodeError> {
        if self.0.len() < length {
            return Err(DecodeError::UnexpectedEnd {
                additional: length - self.0.len(),
            });
        }
        let (head, rest) = self.0.split_at(length);
        self.0 = rest;
        Ok(head)
    }
}
