//! LEB128 unsigned integers, as the envelope header writes them.
//!
//! Readers accept padded encodings (redundant `0x80` continuation bytes), which lets the writer
//! reserve a fixed-width body length before it knows the body's size.

/// The most bytes a `u64` takes.
pub(crate) const MAX_LEN: usize = 10;

/// Appends `value` in its shortest encoding.
pub(crate) fn write(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Writes `value` into exactly `slot.len()` bytes, padding with continuation bytes.
/// Returns `false` when it does not fit.
pub(crate) fn write_padded(slot: &mut [u8], mut value: u64) -> bool {
    let last = slot.len() - 1;
    for (i, byte) in slot.iter_mut().enumerate() {
        let bits = (value & 0x7f) as u8;
        value >>= 7;
        *byte = if i == last { bits } else { bits | 0x80 };
    }
    value == 0
}

/// Why a varint could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum VarintError {
    /// The input ended inside it.
    Truncated,
    /// More than `MAX_LEN` bytes, or a value wider than 64 bits.
    Overflow,
}

/// Reads a varint from the front of `input`: the value and the bytes it took.
#[inline]
pub(crate) fn read(input: &[u8]) -> Result<(u64, usize), VarintError> {
    // Header fields (name length, version) are almost always below 128: one byte, inlined.
    match input.first() {
        Some(&byte) if byte < 0x80 => Ok((byte.into(), 1)),
        _ => read_long(input),
    }
}

fn read_long(input: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &byte) in input.iter().enumerate().take(MAX_LEN) {
        let bits = u64::from(byte & 0x7f);
        if i == MAX_LEN - 1 && bits > 1 {
            return Err(VarintError::Overflow);
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    if input.len() >= MAX_LEN {
        Err(VarintError::Overflow)
    } else {
        Err(VarintError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_edges() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write(&mut out, value);
            assert_eq!(read(&out), Ok((value, out.len())), "{value}");
        }
    }

    #[test]
    fn padded_encodings_read_back() {
        let mut slot = [0u8; 3];
        assert!(write_padded(&mut slot, 5));
        assert_eq!(slot, [0x85, 0x80, 0x00]);
        assert_eq!(read(&slot), Ok((5, 3)));
        assert!(!write_padded(&mut slot, 1 << 21));
    }

    #[test]
    fn rejects_overflow_and_truncation() {
        assert_eq!(read(&[0x80, 0x80]), Err(VarintError::Truncated));
        assert_eq!(read(&[]), Err(VarintError::Truncated));
        assert_eq!(read(&[0xff; 11]), Err(VarintError::Overflow));
        assert_eq!(
            read(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(VarintError::Overflow)
        );
    }
}
