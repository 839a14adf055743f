//! [`Limits`]: the bounds every decoder enforces on untrusted input, and the [`Guard`] that
//! enforces them inside any serde `Deserializer`.

mod bound;
mod de;

pub use bound::DecodeBound;
pub use de::{Guard, Guarded, GuardedSeed};

/// Bounds on what decoding may cost.
///
/// Every decoder checks them, whatever the input: nesting deeper than `max_depth` is an error
/// (raw bincode would overflow the stack), an envelope body larger than `max_size` is refused
/// before anything is allocated for it, and no sequence or map may claim more elements than its
/// input could hold (so a forged length of 2^60 is an error, not an allocation or a hang).
///
/// ```
/// use kimera::Limits;
///
/// let strict = Limits::default().with_max_depth(16).with_max_size(1 << 20);
/// assert_eq!(strict.max_depth, 16);
/// assert_eq!(Limits::default().max_depth, 128);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of sequences, maps, structs, enums, options and newtypes (default 128).
    ///
    /// The JSON backend also stops at serde_json's own bound of 127 nested values inside the
    /// envelope, whatever `max_depth` says: a larger `max_depth` takes effect in the binary
    /// backend only.
    pub max_depth: u32,
    /// Largest input accepted, in bytes (default 256 MiB): a binary body, refused from its
    /// length prefix before anything is allocated for it; a whole JSON envelope, refused before
    /// parsing (a JSON reader stops reading one byte past it).
    pub max_size: u64,
    /// Zero-sized elements allowed beyond one element per input byte (default 2^20): an element
    /// usually costs at least one byte, but `()` in a binary body costs none.
    pub zero_size_allowance: u64,
}

impl Limits {
    /// The default limits.
    pub const DEFAULT: Limits = Limits {
        max_depth: 128,
        max_size: 256 << 20,
        zero_size_allowance: 1 << 20,
    };

    /// These limits with another maximum depth.
    #[must_use]
    pub const fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// These limits with another maximum body size.
    #[must_use]
    pub const fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = max_size;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
