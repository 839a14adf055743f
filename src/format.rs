//! For code that reads envelopes by hand, writes a handler with its own migrations, or
//! implements a format: the header of an envelope, the older value a migration reads
//! ([`Older`], what [`KimeraHandler::migrate`](crate::KimeraHandler::migrate) takes), and the
//! guard that bounds a deserializer.
//!
//! [`Format::header`](crate::Format::header) reads an envelope's [`Header`] without decoding its
//! value, and [`Header::reading`] says how a type would read it:
//!
//! ```
//! use kimera::format::Reading;
//! use kimera::{Format, Json};
//!
//! let bytes = kimera::json::to_vec(&7u32)?;
//! let header = Json::new().header(&bytes)?;
//! assert_eq!((&*header.type_name, header.version), ("u32", 1));
//! assert!(matches!(header.reading::<u32>()?, Reading::Current));
//! assert!(header.reading::<String>().is_err());
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! A format of your own implements [`Format`](crate::Format) with the rest of the
//! `kimera-core` crate: envelope checks (`kimera_core::envelope`), the links of a migration
//! chain (`kimera_core::migration`) and field paths (`kimera_core::path`).

pub use kimera_core::migration::Older;
pub use kimera_core::{Guard, Guarded, GuardedSeed, Header, Reading};
