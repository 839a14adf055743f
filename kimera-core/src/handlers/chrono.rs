//! chrono's dates, times and durations (feature `chrono`).
//!
//! They go through chrono's own serde impls: ISO 8601 / RFC 3339 text (which covers the whole
//! range, negative years and nanoseconds included), and `TimeDelta` as `(seconds, nanoseconds)`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

use crate::{KimeraHandler, Schema};

macro_rules! chrono_handlers {
    ($($ty:ty => $schema:ident),* $(,)?) => {$(
        impl KimeraHandler for $ty {
            // Built in, so its schema is known to cover what it reads.
            const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
            const SCHEMA: &'static Schema = &Schema::$schema;
        }
    )*};
}

chrono_handlers! {
    NaiveDate => Date,
    NaiveTime => Time,
    NaiveDateTime => DateTime,
    DateTime<Utc> => DateTimeUtc,
    DateTime<FixedOffset> => DateTimeOffset,
    TimeDelta => TimeDelta,
}
