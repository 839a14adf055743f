//! Compact chrono values: integers instead of ISO 8601 text (feature `chrono`).
//!
//! chrono's own serde impls write dates and times as text: readable, but 10 to 35 bytes a
//! value and a formatter and a parser on every encode and decode. The compact form writes the
//! same value as integers, exactly (nanoseconds, leap seconds and second-precision UTC offsets
//! included):
//!
//! | type | compact form | schema name |
//! |---|---|---|
//! | `NaiveDate` | `i32`: days since 1970-01-01 | `compact<date>` |
//! | `NaiveTime` | `(u32, u32)`: seconds since midnight, nanoseconds | `compact<time>` |
//! | `NaiveDateTime` | `(i64, u32)`: seconds since 1970-01-01T00:00:00, nanoseconds | `compact<datetime>` |
//! | `DateTime<Utc>` | `(i64, u32)`: Unix seconds, nanoseconds | `compact<datetime_utc>` |
//! | `DateTime<FixedOffset>` | `(i64, u32, i32)`: Unix seconds, nanoseconds, offset east of UTC in seconds | `compact<datetime_offset>` |
//! | `Option<T>` of any of these | `Option` of the above | `option<compact<…>>` |
//!
//! In the binary backend a `NaiveDateTime` of this century takes 6 bytes instead of 27 and
//! skips the formatter and the parser: on the `events` benchmark Kimera's binary with compact
//! fields is faster and smaller than raw bincode with chrono's text
//! ([`guide::performance`](crate::guide::performance)).
//!
//! The trade-off: JSON readers see numbers instead of dates, and the schema (so the fingerprint
//! and the binary check) differs from the text form, so switching a stored field to compact is
//! a schema change that needs a version bump.
//!
//! Switch it on per field with serde's `with`, which `#[derive(Kimera)]` recognizes and
//! describes as the compact form:
//!
//! ```
//! use chrono::{NaiveDate, NaiveDateTime};
//! use kimera::{Kimera, KimeraHandler};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "clinic.Visit")]
//! struct Visit {
//!     #[serde(with = "kimera::compact")]
//!     at: NaiveDateTime,
//!     #[serde(with = "kimera::compact")]
//!     until: Option<NaiveDate>,
//! }
//!
//! let at = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap().and_hms_opt(9, 30, 0).unwrap();
//! let visit = Visit { at, until: None };
//! assert_eq!(
//!     kimera::json::to_string(&visit)?,
//!     r#"{"kimera":1,"type":"clinic.Visit","version":1,"value":{"at":[1795599000,0],"until":null}}"#,
//! );
//! assert_eq!(
//!     Visit::SCHEMA.to_string(),
//!     "clinic.Visit@1 struct { at: compact<datetime>, until: option<compact<date>> }",
//! );
//! let bytes = kimera::binary::to_vec(&visit)?;
//! assert_eq!(kimera::binary::from_slice::<Visit>(&bytes)?, visit);
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! or per type, with the [`Compact`] wrapper, which derefs to the chrono value:
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use kimera::compact::Compact;
//!
//! let now = Compact(DateTime::<Utc>::from_timestamp(1_795_599_000, 5).unwrap());
//! let bytes = kimera::binary::to_vec(&now)?;
//! let back: Compact<DateTime<Utc>> = kimera::binary::from_slice(&bytes)?;
//! assert_eq!(back, now);
//! assert_eq!(back.timestamp(), 1_795_599_000);
//! # Ok::<(), kimera::Error>(())
//! ```

#[doc(hidden)]
pub use kimera_core::compact::__KIMERA_WITH;
pub use kimera_core::compact::{deserialize, serialize, Compact, CompactForm};
