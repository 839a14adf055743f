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
//! In the binary backend a `NaiveDateTime` takes 6 bytes instead of 27. The trade-off: JSON
//! readers see arrays of numbers instead of dates, and the schema (so the fingerprint and the
//! binary check) differs from the text form, so switching a stored field to compact is a
//! schema change that needs a version bump.
//!
//! Switch it on per field with `#[serde(with = "kimera::compact")]`, which `#[derive(Kimera)]`
//! recognizes, or per type with the [`Compact`] wrapper:
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use kimera::compact::Compact;
//! use kimera::KimeraHandler;
//!
//! let now = Compact(DateTime::<Utc>::from_timestamp(1_795_599_000, 5).unwrap());
//! assert_eq!(serde_json::to_string(&now).unwrap(), "[1795599000,5]");
//! assert_eq!(<Compact<DateTime<Utc>>>::type_name(), "compact<datetime_utc>");
//! assert_eq!(now.timestamp(), 1_795_599_000); // derefs to the chrono value
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{KimeraHandler, Schema};

/// A chrono value written in its compact form; see the [module documentation](self).
///
/// ```
/// use chrono::NaiveDate;
/// use kimera::compact::Compact;
///
/// let day = Compact::from(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap());
/// assert_eq!(serde_json::to_string(&day).unwrap(), "1");
/// assert_eq!(day.into_inner(), NaiveDate::from_ymd_opt(1970, 1, 2).unwrap());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Compact<T>(pub T);

impl<T> Compact<T> {
    /// The chrono value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Compact<T> {
    fn from(value: T) -> Self {
        Compact(value)
    }
}

impl<T> Deref for Compact<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Compact<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: CompactForm> Serialize for Compact<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_compact(serializer)
    }
}

impl<'de, T: CompactForm> Deserialize<'de> for Compact<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_compact(deserializer).map(Compact)
    }
}

impl<T: CompactForm> KimeraHandler for Compact<T> {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = T::COMPACT_SCHEMA;
}

/// Tells `#[derive(Kimera)]` what this module writes: a field's compact form (see
/// `crate::with`), however the module's path is spelled.
#[doc(hidden)]
pub const __KIMERA_WITH: CompactWith = CompactWith;

/// The marker behind [`__KIMERA_WITH`].
#[doc(hidden)]
pub struct CompactWith;

impl<T: CompactForm> crate::with::WithModule<T> for CompactWith {
    const KNOWN: bool = true;
    const REFERENCE: &'static Schema = <Compact<T>>::REFERENCE;
    const FINGERPRINT: u64 = <Compact<T>>::FINGERPRINT;
    const BINARY_INCOMPATIBILITY: Option<&'static str> = None;
}

/// Serializes a chrono value in its compact form: `#[serde(with = "kimera::compact")]`.
pub fn serialize<T: CompactForm, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.serialize_compact(serializer)
}

/// Deserializes a chrono value from its compact form: `#[serde(with = "kimera::compact")]`.
pub fn deserialize<'de, T: CompactForm, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    T::deserialize_compact(deserializer)
}

/// The types with a compact form: chrono's dates and times, and options of them.
///
/// Sealed: the forms are part of the wire format.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no compact form",
    label = "`kimera::compact` cannot write this",
    note = "`kimera::compact` covers chrono's `NaiveDate`, `NaiveTime`, `NaiveDateTime`, `DateTime<Utc>`, `DateTime<FixedOffset>` and options of them; other types need no `with` (the `time` crate's types already write numbers in binary)"
)]
pub trait CompactForm: Sized + sealed::Sealed {
    /// The schema of the compact form.
    const COMPACT_SCHEMA: &'static Schema;

    /// Writes the compact form.
    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Reads the compact form, refusing values outside chrono's range.
    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for chrono::NaiveDate {}
    impl Sealed for chrono::NaiveTime {}
    impl Sealed for chrono::NaiveDateTime {}
    impl Sealed for chrono::DateTime<chrono::Utc> {}
    impl Sealed for chrono::DateTime<chrono::FixedOffset> {}
    impl<T: super::CompactForm> Sealed for Option<T> {}
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// An error for a compact value chrono cannot represent.
fn out_of_range<E: serde::de::Error>(found: impl fmt::Display, expected: &str) -> E {
    E::invalid_value(Unexpected::Other(&found.to_string()), &expected)
}

impl CompactForm for NaiveDate {
    const COMPACT_SCHEMA: &'static Schema = &Schema::Compact(&Schema::Date);

    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // chrono's dates span ±262,143 years: the subtraction cannot overflow.
        serializer.serialize_i32(self.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
    }

    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let days = i32::deserialize(deserializer)?;
        days.checked_add(UNIX_EPOCH_DAYS_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| {
                D::Error::invalid_value(
                    Unexpected::Signed(days.into()),
                    &"a day count since 1970-01-01 within chrono's range",
                )
            })
    }
}

impl CompactForm for NaiveTime {
    const COMPACT_SCHEMA: &'static Schema = &Schema::Compact(&Schema::Time);

    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.num_seconds_from_midnight(), self.nanosecond()).serialize(serializer)
    }

    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (secs, nanos) = <(u32, u32)>::deserialize(deserializer)?;
        NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).ok_or_else(|| {
            out_of_range(
                format_args!("{secs} s, {nanos} ns"),
                "seconds since midnight below 86400 and nanoseconds below 1e9 (2e9 in a leap second)",
            )
        })
    }
}

/// Unix seconds and nanoseconds to a UTC date-time, or a serde error naming them.
fn from_timestamp<E: serde::de::Error>(secs: i64, nanos: u32) -> Result<DateTime<Utc>, E> {
    DateTime::from_timestamp(secs, nanos).ok_or_else(|| {
        out_of_range(
            format_args!("{secs} s, {nanos} ns"),
            "a timestamp within chrono's range with nanoseconds below 1e9 (2e9 in a leap second)",
        )
    })
}

impl CompactForm for DateTime<Utc> {
    const COMPACT_SCHEMA: &'static Schema = &Schema::Compact(&Schema::DateTimeUtc);

    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.timestamp(), self.timestamp_subsec_nanos()).serialize(serializer)
    }

    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (secs, nanos) = <(i64, u32)>::deserialize(deserializer)?;
        from_timestamp(secs, nanos)
    }
}

impl CompactForm for NaiveDateTime {
    const COMPACT_SCHEMA: &'static Schema = &Schema::Compact(&Schema::DateTime);

    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.and_utc().serialize_compact(serializer)
    }

    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DateTime::<Utc>::deserialize_compact(deserializer).map(|utc| utc.naive_utc())
    }
}

impl CompactForm for DateTime<FixedOffset> {
    const COMPACT_SCHEMA: &'static Schema = &Schema::Compact(&Schema::DateTimeOffset);

    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let offset = self.offset().local_minus_utc();
        (self.timestamp(), self.timestamp_subsec_nanos(), offset).serialize(serializer)
    }

    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (secs, nanos, offset) = <(i64, u32, i32)>::deserialize(deserializer)?;
        let offset = FixedOffset::east_opt(offset).ok_or_else(|| {
            D::Error::invalid_value(
                Unexpected::Signed(offset.into()),
                &"a UTC offset of less than 24 hours, in seconds",
            )
        })?;
        // Range-checked in UTC and again in local time: chrono needs both to be representable.
        let utc = from_timestamp::<D::Error>(secs, nanos)?;
        utc.naive_utc()
            .checked_add_offset(offset)
            .map(|_| utc.with_timezone(&offset))
            .ok_or_else(|| {
                out_of_range(
                    format_args!("{secs} s at offset {offset}"),
                    "a local time within chrono's range",
                )
            })
    }
}

impl<T: CompactForm> CompactForm for Option<T> {
    const COMPACT_SCHEMA: &'static Schema = &Schema::Option(T::COMPACT_SCHEMA);

    fn serialize_compact<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => serializer.serialize_some(&CompactRef(value)),
            None => serializer.serialize_none(),
        }
    }

    fn deserialize_compact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<Compact<T>>::deserialize(deserializer).map(|value| value.map(Compact::into_inner))
    }
}

/// A borrowed value in compact form (an option's content, which is not cloned).
struct CompactRef<'a, T>(&'a T);

impl<T: CompactForm> Serialize for CompactRef<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_compact(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: CompactForm + Copy + fmt::Debug + PartialEq>(value: T, expected: &str) {
        let text = serde_json::to_string(&Compact(value)).unwrap();
        assert_eq!(text, expected);
        let back: Compact<T> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, value);
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn forms_are_integers() {
        json(date(1970, 1, 1), "0");
        json(date(1969, 12, 31), "-1");
        json(
            NaiveTime::from_hms_nano_opt(1, 0, 2, 3).unwrap(),
            "[3602,3]",
        );
        let dt = date(2026, 11, 25)
            .and_hms_nano_opt(9, 30, 0, 123_456_789)
            .unwrap();
        json(dt, "[1795599000,123456789]");
        json(dt.and_utc(), "[1795599000,123456789]");
        let east = FixedOffset::east_opt(5 * 3600 + 30 * 60 + 17).unwrap();
        json(
            dt.and_utc().with_timezone(&east),
            "[1795599000,123456789,19817]",
        );
        json(Some(date(1970, 1, 3)), "2");
        json(None::<NaiveDate>, "null");
    }

    #[test]
    fn extremes_and_leap_seconds_round_trip() {
        json(
            NaiveDate::MIN,
            &(NaiveDate::MIN.num_days_from_ce() - 719_163).to_string(),
        );
        json(
            NaiveDate::MAX,
            &(NaiveDate::MAX.num_days_from_ce() - 719_163).to_string(),
        );
        json(
            NaiveDateTime::MIN,
            &format!("[{},0]", NaiveDateTime::MIN.and_utc().timestamp()),
        );
        json(
            NaiveDateTime::MAX,
            &format!("[{},999999999]", NaiveDateTime::MAX.and_utc().timestamp()),
        );
        let leap = date(2016, 12, 31)
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap();
        json(leap, "[1483228799,1500000000]");
        // Sub-minute offsets, which chrono's own text form rounds away, survive.
        let odd = FixedOffset::west_opt(3600 + 59).unwrap();
        json(
            leap.and_utc().with_timezone(&odd),
            "[1483228799,1500000000,-3659]",
        );
    }

    #[test]
    fn out_of_range_values_are_errors() {
        let err = |text: &str, expected: &str| {
            let message = match text.split_once(':') {
                Some(("date", v)) => serde_json::from_str::<Compact<NaiveDate>>(v).unwrap_err(),
                Some(("time", v)) => serde_json::from_str::<Compact<NaiveTime>>(v).unwrap_err(),
                Some(("dt", v)) => serde_json::from_str::<Compact<NaiveDateTime>>(v).unwrap_err(),
                Some(("off", v)) => {
                    serde_json::from_str::<Compact<DateTime<FixedOffset>>>(v).unwrap_err()
                }
                _ => unreachable!(),
            }
            .to_string();
            assert!(message.contains(expected), "{text}: {message}");
        };
        err("date:2147483647", "day count since 1970-01-01");
        err("date:-2147483648", "day count since 1970-01-01");
        err("time:[86400,0]", "seconds since midnight");
        err("time:[0,2000000000]", "seconds since midnight");
        err(
            "dt:[9223372036854775807,0]",
            "timestamp within chrono's range",
        );
        err("dt:[0,2000000000]", "timestamp within chrono's range");
        err("off:[0,0,86400]", "UTC offset");
        let max = NaiveDateTime::MAX.and_utc().timestamp();
        err(
            &format!("off:[{max},0,3600]"),
            "local time within chrono's range",
        );
    }

    #[test]
    fn schemas_name_the_compact_form() {
        assert_eq!(<Compact<NaiveDateTime>>::type_name(), "compact<datetime>");
        assert_eq!(
            <Option<NaiveDate>>::COMPACT_SCHEMA.type_name(),
            "option<compact<date>>"
        );
        assert_ne!(
            <Compact<NaiveDate>>::FINGERPRINT,
            <NaiveDate as KimeraHandler>::FINGERPRINT
        );
    }
}
