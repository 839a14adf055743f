//! The binary backend (feature `binary`): compact, checksummed envelopes with a bincode 2 body.
//!
//! The header is 16 bytes plus the type name (names under 128 bytes, versions under 128, bodies
//! under 2 MiB), followed by the bincode body (standard configuration: little-endian, varints)
//! and a CRC-32. Every single-byte corruption is detected.
//!
//! ```
//! let mut bytes = kimera::binary::to_vec(&(1u32, "x"))?;
//! assert_eq!(kimera::binary::from_slice::<(u32, String)>(&bytes)?, (1, "x".to_string()));
//!
//! let last = bytes.len() - 5;
//! bytes[last] ^= 0x01; // flip one bit of the body
//! let err = kimera::binary::from_slice::<(u32, String)>(&bytes).unwrap_err();
//! assert!(matches!(err.kind(), kimera::ErrorKind::ChecksumMismatch { .. }));
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! Types whose serde attributes need a self-describing format (`#[serde(untagged)]`,
//! internally or adjacently tagged enums, `tag` on a struct, `flatten`, `skip_serializing_if`,
//! fields or variants skipped one way only) are rejected at
//! compile time by this backend, with a message naming the attribute.

pub use kimera_binary::{from_reader, from_slice, to_vec, to_writer, Binary, MAGIC, WIRE_VERSION};
