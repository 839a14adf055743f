//! The schema fingerprint hash: 64-bit FNV-1a, usable in `const` context.
//!
//! Fingerprints must be identical on every platform and every release, so they never use
//! `std::hash`. FNV-1a is tiny, fully specified and const-evaluable; it detects accidental schema
//! changes, and is not meant to resist an adversary. `docs/schema.md` gives the canonical byte
//! stream that is fed to it.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An incremental 64-bit FNV-1a hasher whose methods are all `const fn`.
///
/// ```
/// use kimera::schema::fingerprint::Fnv64;
/// // The published FNV-1a test vector for "a".
/// assert_eq!(Fnv64::new().bytes(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(u64);

impl Fnv64 {
    /// A hasher in its initial state.
    pub const fn new() -> Self {
        Fnv64(OFFSET_BASIS)
    }

    /// Feeds raw bytes.
    #[must_use]
    pub const fn bytes(self, bytes: &[u8]) -> Self {
        let mut hash = self.0;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(PRIME);
            i += 1;
        }
        Fnv64(hash)
    }

    /// Feeds one byte (used for node tags).
    #[must_use]
    pub const fn byte(self, byte: u8) -> Self {
        self.bytes(&[byte])
    }

    /// Feeds a `u32` as 4 little-endian bytes.
    #[must_use]
    pub const fn u32(self, value: u32) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// Feeds a `u64` as 8 little-endian bytes.
    #[must_use]
    pub const fn u64(self, value: u64) -> Self {
        self.bytes(&value.to_le_bytes())
    }

    /// Feeds a string as its UTF-8 length (`u32` LE) followed by its bytes, so that
    /// `("ab", "c")` and `("a", "bc")` hash differently.
    #[must_use]
    pub const fn str(self, value: &str) -> Self {
        self.u32(value.len() as u32).bytes(value.as_bytes())
    }

    /// The hash of everything fed so far.
    pub const fn finish(self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv64;

    #[test]
    fn matches_published_fnv1a_vectors() {
        assert_eq!(Fnv64::new().finish(), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv64::new().bytes(b"foobar").finish(), 0x85944171f73967e8);
    }

    #[test]
    fn strings_are_length_prefixed() {
        let ab_c = Fnv64::new().str("ab").str("c").finish();
        let a_bc = Fnv64::new().str("a").str("bc").finish();
        assert_ne!(ab_c, a_bc);
    }
}
