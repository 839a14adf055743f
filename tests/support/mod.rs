//! Helpers shared by the integration tests.

/// A tiny deterministic PRNG (xorshift64): reproducible inputs with no extra dependency.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n`.
    #[allow(dead_code)]
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A random byte.
    #[allow(dead_code)]
    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), written out here as an independent
/// check of the checksums Kimera computes with crc32fast.
#[allow(dead_code)]
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
