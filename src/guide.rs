//! The guides and specifications of the repository's `docs/` folder, one module each.
//!
//! | module | what it holds |
//! |---|---|
//! | [`versioning`] | changing types, versions and migrations, schema histories, the registry |
//! | [`wire_format`] | the JSON and binary envelopes byte by byte, frames, snapshot files, the Python format |
//! | [`schema`] | type names, schemas, fingerprints, schema documents, what each backend gets for a foreign type |
//! | [`performance`] | figures against the raw crates and the peers, and how to reproduce them |
//! | [`dependencies`] | what each dependency is for, and the advisories |
//!
//! The modules hold documentation only; their examples are compiled and run as doctests.

#[doc = include_str!("../docs/versioning.md")]
pub mod versioning {}

#[doc = include_str!("../docs/wire-format.md")]
pub mod wire_format {}

#[doc = include_str!("../docs/schema.md")]
pub mod schema {}

#[doc = include_str!("../docs/performance.md")]
pub mod performance {}

#[doc = include_str!("../docs/dependencies.md")]
pub mod dependencies {}
