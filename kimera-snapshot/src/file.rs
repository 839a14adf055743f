//! The snapshot file: a small header, one Kimera envelope, and a CRC-32 of both.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "KSNP" (4B 53 4E 50)
//! 4       1     file format version (1)
//! 5       8     generation, u64 little-endian (the same as in the file name)
//! 13      8     envelope length n, u64 little-endian
//! 21      n     the envelope (JSON or binary, as written by the store's format)
//! 21+n    4     CRC-32 (IEEE) of bytes 0 .. 21+n, little-endian
//! ```
//!
//! Specified in `docs/wire-format.md` ("Snapshot files").

use super::Generation;

pub(super) const MAGIC: [u8; 4] = *b"KSNP";
pub(super) const VERSION: u8 = 1;
const HEADER: usize = 21;
const TRAILER: usize = 4;

/// The bytes of the file holding `envelope` as `generation`.
pub(super) fn encode(generation: Generation, envelope: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + envelope.len() + TRAILER);
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&generation.0.to_le_bytes());
    out.extend_from_slice(&(envelope.len() as u64).to_le_bytes());
    out.extend_from_slice(envelope);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Why a snapshot file cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Unfit {
    /// It is not a whole, intact snapshot: why.
    Corrupt(String),
    /// An intact header of a newer file format version, which this reader does not know.
    NewerVersion(u8),
}

/// The envelope in `bytes`, the content of the file of `generation`.
pub(super) fn decode(bytes: &[u8], generation: Generation) -> Result<&[u8], Unfit> {
    let (written, envelope) = parse(bytes)?;
    if written != generation {
        return Err(Unfit::Corrupt(format!(
            "the file holds generation {written}, its name says {generation}"
        )));
    }
    Ok(envelope)
}

/// The generation and the envelope in `bytes`, the content of a snapshot file of any name.
pub(super) fn parse(bytes: &[u8]) -> Result<(Generation, &[u8]), Unfit> {
    let corrupt = |reason: String| Err(Unfit::Corrupt(reason));
    let Some((header, rest)) = bytes.split_first_chunk::<HEADER>() else {
        return corrupt(format!(
            "{} bytes, shorter than the {HEADER}-byte header",
            bytes.len()
        ));
    };
    if header[..4] != MAGIC {
        return corrupt(format!(
            "expected magic bytes 4b 53 4e 50, found {:02x?}",
            &header[..4]
        ));
    }
    if header[4] > VERSION && trailing_crc_matches(bytes) {
        // Written whole by a newer Kimera (assuming it keeps the trailing CRC): not damage,
        // and not to be set aside as such.
        return Err(Unfit::NewerVersion(header[4]));
    }
    if header[4] != VERSION {
        return corrupt(format!("unknown snapshot file version {}", header[4]));
    }
    let field = |at: usize| {
        let mut le = [0; 8];
        le.copy_from_slice(&header[at..at + 8]);
        u64::from_le_bytes(le)
    };
    let (written, len) = (field(5), field(13));
    let expected = (rest.len() as u64).checked_sub(TRAILER as u64);
    if expected != Some(len) {
        let needed = u128::from(len) + TRAILER as u128;
        let held = rest.len() as u128;
        let what = match held < needed {
            true => format!("{} bytes short (torn or truncated)", needed - held),
            false => format!("{} bytes too long", held - needed),
        };
        return corrupt(format!(
            "the header announces a {len}-byte envelope and its {TRAILER}-byte checksum, and the \
             file holds {held} bytes after the header: it is {what}"
        ));
    }
    let (envelope, stored) = rest.split_at(rest.len() - TRAILER);
    let end = bytes.len() - TRAILER;
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let computed = crc32fast::hash(&bytes[..end]);
    if stored != computed {
        return corrupt(format!(
            "checksum mismatch: the file says {stored:08x}, its bytes hash to {computed:08x}"
        ));
    }
    Ok((Generation(written), envelope))
}

/// Whether the last 4 bytes are the CRC-32 of the others.
fn trailing_crc_matches(bytes: &[u8]) -> bool {
    match bytes.len().checked_sub(TRAILER) {
        Some(end) => bytes[end..] == crc32fast::hash(&bytes[..end]).to_le_bytes(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_damage_is_named() {
        let good = encode(Generation(7), b"envelope");
        assert_eq!(decode(&good, Generation(7)), Ok(&b"envelope"[..]));
        assert!(matches!(
            decode(&good, Generation(8)),
            Err(Unfit::Corrupt(reason)) if reason.contains("generation 7")
        ));
        // A newer version, written whole: not damage. The same byte flipped by damage is.
        let newer = {
            let mut bytes = good[..good.len() - TRAILER].to_vec();
            bytes[4] = 2;
            let crc = crc32fast::hash(&bytes);
            bytes.extend(crc.to_le_bytes());
            bytes
        };
        assert_eq!(decode(&newer, Generation(7)), Err(Unfit::NewerVersion(2)));
        let mut flipped = good.clone();
        flipped[4] = 2;
        assert!(matches!(
            decode(&flipped, Generation(7)),
            Err(Unfit::Corrupt(_))
        ));
        for cut in 0..good.len() {
            assert!(decode(&good[..cut], Generation(7)).is_err(), "cut at {cut}");
        }
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            assert!(decode(&bad, Generation(7)).is_err(), "flip at {at}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode(&longer, Generation(7)).is_err());
    }
}
