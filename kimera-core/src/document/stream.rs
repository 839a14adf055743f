//! Schemas within one stream of envelopes: each type's schema is sent once, with its first
//! value, and the reader keeps it for the values that follow.

use std::collections::{HashMap, HashSet};

use super::Document;

/// What one stream of envelopes has carried so far (`kimera::frame`, `kimera::codec`): the
/// types whose schema the writer has sent, and the schemas the reader has received, by
/// fingerprint. Formats use it through [`Format::encode_into_stream`](crate::Format::encode_into_stream)
/// and [`Format::decode_in_stream`](crate::Format::decode_in_stream).
///
/// A reader keeps at most 1024 schemas per stream, of at most 8 MiB as encoded in all: a peer
/// cannot make it hold more.
///
/// ```
/// use kimera::schema::document::{Document, StreamSchemas};
///
/// let mut stream = StreamSchemas::new();
/// assert!(!stream.has_sent(1, None));
/// stream.mark_sent(1, None);
/// assert!(!stream.has_sent(1, None)); // until the stream takes the envelope
/// stream.commit();
/// assert!(stream.has_sent(1, None));
/// let doc = Document::of::<u8>();
/// let fp = doc.fingerprint().unwrap();
/// assert!(stream.learn(fp, doc, 2).is_none()); // kept
/// assert!(stream.learned(fp).is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StreamSchemas {
    sent: HashSet<(u64, Option<u32>)>,
    /// Sent in the envelope being written, which the stream may still refuse.
    pending: Option<(u64, Option<u32>)>,
    learned: HashMap<u64, Document>,
    /// The encoded size of the learned schemas.
    learned_bytes: usize,
    /// Pairs of a learned schema and a reader's schema already found to resolve.
    resolves: HashSet<(u64, usize)>,
}

/// Most schemas one stream's reader keeps, and most bytes of them (as encoded).
const MAX_LEARNED: usize = 1024;
const MAX_LEARNED_BYTES: usize = 8 << 20;

impl StreamSchemas {
    /// A stream that has carried nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the writer has sent the schema of the type of this fingerprint and origin hash
    /// in the stream.
    pub fn has_sent(&self, fingerprint: u64, origin: Option<u32>) -> bool {
        self.sent.contains(&(fingerprint, origin))
    }

    /// Starts an envelope: whatever one the stream did not take carried is forgotten, so that
    /// its schema goes with the next value of its type.
    pub fn begin(&mut self) {
        self.pending = None;
    }

    /// Records that the envelope being written carries that type's schema; it counts as sent
    /// once the stream has taken the envelope ([`commit`](Self::commit)).
    pub fn mark_sent(&mut self, fingerprint: u64, origin: Option<u32>) {
        self.pending = Some((fingerprint, origin));
    }

    /// The stream took the envelope last encoded: what it carried counts as sent. An envelope
    /// the stream refused (too long for a frame, say) is not committed, and its schema goes
    /// with the next value of its type instead.
    pub fn commit(&mut self) {
        if let Some(key) = self.pending.take() {
            self.sent.insert(key);
        }
    }

    /// The schema of this fingerprint, if the stream has carried it.
    pub fn learned(&self, fingerprint: u64) -> Option<&Document> {
        self.learned.get(&fingerprint)
    }

    /// Whether the learned schema of `fingerprint` was found to resolve into the reader schema
    /// at `reader` (its address: a type's schema is one static) earlier in the stream.
    pub fn resolves(&self, fingerprint: u64, reader: &'static crate::Schema) -> bool {
        self.resolves
            .contains(&(fingerprint, reader as *const crate::Schema as usize))
    }

    /// Records that the learned schema of `fingerprint` resolves into `reader`, so that later
    /// values of the stream are not checked again.
    pub fn mark_resolves(&mut self, fingerprint: u64, reader: &'static crate::Schema) {
        if self.resolves.len() < MAX_LEARNED {
            self.resolves
                .insert((fingerprint, reader as *const crate::Schema as usize));
        }
    }

    /// Keeps `doc`, already verified to have `fingerprint` and `encoded_len` bytes long as the
    /// stream carried it, for the rest of the stream; gives it back if the stream has carried
    /// [the most](Self) a reader keeps.
    pub fn learn(
        &mut self,
        fingerprint: u64,
        doc: Document,
        encoded_len: usize,
    ) -> Option<Document> {
        if self.learned.contains_key(&fingerprint) {
            return None;
        }
        if self.learned.len() >= MAX_LEARNED
            || self.learned_bytes.saturating_add(encoded_len) > MAX_LEARNED_BYTES
        {
            return Some(doc);
        }
        self.learned_bytes += encoded_len;
        self.learned.insert(fingerprint, doc);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_keeps_a_bounded_number_of_bytes() {
        let mut stream = StreamSchemas::new();
        let doc = Document::of::<u8>();
        assert!(stream.learn(1, doc.clone(), MAX_LEARNED_BYTES).is_none());
        assert!(
            stream.learn(2, doc.clone(), 1).is_some(),
            "over the byte budget"
        );
        assert!(stream.learn(1, doc, 1).is_none(), "already kept");
        assert!(stream.learned(2).is_none());
    }
}
