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
