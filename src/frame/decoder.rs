//! [`FrameDecoder`]: where a stream of frames is, without doing any I/O, for the blocking
//! [`FrameReader`](super::FrameReader) and the tokio codec alike.

use kimera_core::{Error, ErrorKind, Limit, Result};

use super::PREFIX_LEN;

/// What a frame stream must give next: a length prefix, or bytes of a refused frame to
/// discard unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// A frame's 4-byte length prefix.
    Prefix,
    /// This many bytes of an oversized frame, to discard.
    Skip(u64),
}

/// The state of a reader of frames: at a prefix, or skipping the body of a frame refused from
/// its prefix. The caller reads the bytes, however it reads them, and says what it read.
#[derive(Clone, Debug)]
pub(crate) struct FrameDecoder {
    max_frame_len: u32,
    /// Bytes of a refused frame still to discard, of `skip_len`.
    skip: u64,
    skip_len: u64,
}

impl FrameDecoder {
    pub(crate) fn new(max_frame_len: u32) -> Self {
        FrameDecoder {
            max_frame_len,
            skip: 0,
            skip_len: 0,
        }
    }

    pub(crate) fn max_frame_len(&self) -> u32 {
        self.max_frame_len
    }

    pub(crate) fn set_max_frame_len(&mut self, max: u32) {
        self.max_frame_len = max;
    }

    pub(crate) fn next(&self) -> Next {
        match self.skip {
            0 => Next::Prefix,
            left => Next::Skip(left),
        }
    }

    /// `n` bytes of the refused frame were discarded (at most what [`Next::Skip`] asked for).
    pub(crate) fn skipped(&mut self, n: u64) {
        self.skip -= n.min(self.skip);
    }

    /// The length of the frame `prefix` starts; or, over the maximum, the error saying so, and
    /// the frame is then skipped ([`Next::Skip`]) once the prefix is consumed.
    pub(crate) fn prefix(&mut self, prefix: [u8; PREFIX_LEN]) -> Result<usize> {
        let len = u32::from_le_bytes(prefix);
        if len > self.max_frame_len {
            (self.skip, self.skip_len) = (len.into(), len.into());
            return Err(too_long(self.max_frame_len));
        }
        Ok(len as usize)
    }

    /// The error for a stream that ends inside a frame: `read` bytes into the frame, prefix
    /// included, or, while skipping, as far as the skip got.
    pub(crate) fn truncated(&self, read: u64) -> Error {
        let offset = match self.skip {
            0 => read,
            left => PREFIX_LEN as u64 + self.skip_len - left,
        };
        ErrorKind::Truncated {
            context: "frame",
            offset,
        }
        .into()
    }
}

/// The prefix of a frame of `len` bytes, or the error if that is over `max`: for writers.
pub(crate) fn prefix_for(len: usize, max: u32) -> Result<[u8; PREFIX_LEN]> {
    match u32::try_from(len) {
        Ok(len) if len <= max => Ok(len.to_le_bytes()),
        _ => Err(too_long(max)),
    }
}

fn too_long(max: u32) -> Error {
    Limit::Size.exceeded(max.into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_frame_is_refused_then_skipped_to_its_end() {
        let mut decoder = FrameDecoder::new(10);
        assert_eq!(decoder.prefix(5u32.to_le_bytes()).unwrap(), 5);
        assert_eq!(decoder.next(), Next::Prefix);
        let err = decoder.prefix(11u32.to_le_bytes()).unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::LimitExceeded { max: 10, .. }
        ));
        assert_eq!(decoder.next(), Next::Skip(11));
        decoder.skipped(4);
        assert_eq!(decoder.next(), Next::Skip(7));
        let err = decoder.truncated(0);
        assert!(
            matches!(err.kind(), ErrorKind::Truncated { offset: 8, .. }),
            "{err}"
        );
        decoder.skipped(7);
        assert_eq!(decoder.next(), Next::Prefix);
        assert!(matches!(
            decoder.truncated(3).kind(),
            ErrorKind::Truncated { offset: 3, .. }
        ));
    }

    #[test]
    fn prefixes_are_written_within_the_maximum() {
        assert_eq!(prefix_for(10, 10).unwrap(), [10, 0, 0, 0]);
        assert!(prefix_for(11, 10).is_err());
        assert!(prefix_for(usize::MAX, u32::MAX).is_err());
    }
}
