//! The `time` crate's dates, times and durations (feature `time`).
//!
//! The feature turns on time's `serde-human-readable`, so the shape is fixed: text in
//! human-readable formats (`2024-03-01 12:30:45.5 +01:00:00`), and in compact ones the tuples
//! of numbers time writes (year, day of the year, hour, minute, second, nanosecond, then the
//! offset's hours, minutes and seconds).

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

use crate::{Foreign, KimeraHandler, Schema};

macro_rules! time_handlers {
    ($($ty:ty => $name:literal ($($item:ident),+);)*) => {$(
        impl KimeraHandler for $ty {
            // Built in, so its schema is known to cover what it reads.
            const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
            const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::new(
                $name,
                &Schema::Str,
                &Schema::Tuple(&[$(&Schema::$item),+]),
            ));
        }
    )*};
}

time_handlers! {
    Date => "time.date" (I32, U16);
    Time => "time.time" (U8, U8, U8, U32);
    PrimitiveDateTime => "time.primitive_datetime" (I32, U16, U8, U8, U8, U32);
    OffsetDateTime => "time.offset_datetime" (I32, U16, U8, U8, U8, U32, I8, I8, I8);
    Duration => "time.duration" (I64, I32);
}
