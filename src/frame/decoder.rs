//! [`FrameDecoder`]: where a stream of frames is, without doing any I/O, for the blocking
//! [`FrameReader`](super::FrameReader) and the tokio codec alike.

use kimera_core::{Error, ErrorKind, Limit, Result};

use super::PREFIX_LEN;

/// What a frame stream must give next: a length prefix, or bytes of a refused frame to
/// discard unread; or nothing more, once a frame too long to skip has been refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// A frame's 4-byte length prefix.
    Prefix,
    /// This many bytes of an oversized frame, to discard.
    Skip(u64),
    /// Where the next frame starts is not known.
    Lost,
}

/// The state of a reader of frames: at a prefix, or skipping the body of a frame refused from
/// its prefix. The caller reads the bytes, however it reads them, and says what it read.
#[derive(Clone, Debug)]
pub(crate) struct FrameDecoder {
    max_frame_len: u32,
    /// The longest refused frame discarded to carry on with the next one.
    max_skip: u64,
    /// Bytes of a refused frame still to discard, of `skip_len`.
    skip: u64,
    skip_len: u64,
    lost: bool,
}

impl FrameDecoder {
    pub(crate) fn new(max_frame_len: u32) -> Self {
        FrameDecoder {
            max_frame_len,
            max_skip: super::DEFAULT_MAX_SKIP,
            skip: 0,
            skip_len: 0,
            lost: false,
        }
    }

    pub(crate) fn max_skip(&self) -> u64 {
        self.max_skip
    }

    pub(crate) fn set_max_skip(&mut self, max: u64) {
        self.max_skip = max;
    }

    pub(crate) fn max_frame_len(&self) -> u32 {
        self.max_frame_len
    }

    pub(crate) fn set_max_frame_len(&mut self, max: u32) {
        self.max_frame_len = max;
    }

    pub(crate) fn next(&self) -> Next {
        match (self.lost, self.skip) {
            (true, _) => Next::Lost,
            (false, 0) => Next::Prefix,
            (false, left) => Next::Skip(left),
        }
    }

    /// `n` bytes of the refused frame were discarded (at most what [`Next::Skip`] asked for).
    pub(crate) fn skipped(&mut self, n: u64) {
        self.skip -= n.min(self.skip);
    }

    /// The length of the frame `prefix` starts; or, over the maximum, the error saying so, and
    /// the frame is then skipped ([`Next::Skip`]) once the prefix is consumed, or, longer than
    /// the skip budget, the stream is lost ([`Next::Lost`]): a forged prefix (`ff ff ff 7f`)
    /// must not make a server swallow the next 2 GiB of the peer's requests.
    pub(crate) fn prefix(&mut self, prefix: [u8; PREFIX_LEN]) -> Result<usize> {
        let len = u32::from_le_bytes(prefix);
        if len > self.max_frame_len {
            let in_sync = u64::from(len) <= self.max_skip;
            match in_sync {
                true => (self.skip, self.skip_len) = (len.into(), len.into()),
                false => self.lost = true,
            }
            return Err(ErrorKind::FrameTooLong {
                len: len.into(),
                max: self.max_frame_len.into(),
                in_sync,
            }
            .into());
        }
        Ok(len as usize)
    }

    /// The error of every read once the stream is lost: after a frame too long to skip, a
    /// truncated frame or an I/O error inside a frame.
    pub(crate) fn out_of_sync() -> Error {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the frame stream is out of sync after a frame too long to skip, a truncated frame or an I/O error: close it",
        )
        .into()
    }

    /// The error for a stream that ends inside a frame: `read` bytes into the frame, prefix
    /// included, or, while skipping, as far as the skip got.
    pub(crate) fn truncated(&self, read: u64) -> Error {
        let offset = match self.next() {
            Next::Skip(left) => PREFIX_LEN as u64 + self.skip_len - left,
            Next::Prefix | Next::Lost => read,
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
            ErrorKind::FrameTooLong {
                len: 11,
                max: 10,
                in_sync: true
            }
        ));
        assert_eq!(
            err.to_string(),
            "a frame of 11 bytes is over the maximum of 10 bytes, and is skipped"
        );
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
    fn a_frame_longer_than_the_skip_budget_loses_the_stream() {
        let mut decoder = FrameDecoder::new(10);
        decoder.set_max_skip(100);
        assert!(decoder.prefix(100u32.to_le_bytes()).is_err());
        assert_eq!(decoder.next(), Next::Skip(100));
        decoder.skipped(100);
        let err = decoder.prefix([0xff, 0xff, 0xff, 0x7f]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a frame of 2147483647 bytes is over the maximum of 10 bytes, and too long to skip: the stream is out of sync"
        );
        assert_eq!(decoder.next(), Next::Lost);
    }

    #[test]
    fn prefixes_are_written_within_the_maximum() {
        assert_eq!(prefix_for(10, 10).unwrap(), [10, 0, 0, 0]);
        assert!(prefix_for(11, 10).is_err());
        assert!(prefix_for(usize::MAX, u32::MAX).is_err());
    }
}
