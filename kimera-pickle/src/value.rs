//! The value model: Python's plain data, as pickles carry it.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike as _};

use crate::error::{Error, Result};

/// A Python value of the families this format reads and writes.
///
/// Containers keep Python's order: a dict's insertion order, a set's iteration order as the
/// pickle lists it (two sets with the same members in another order compare unequal here,
/// though Python calls them equal).
///
/// ```
/// use kimera::pickle::Value;
///
/// let value = Value::Dict(vec![(Value::Str("id".into()), Value::Int(7))]);
/// let bytes = value.to_pickle()?;
/// assert_eq!(Value::from_pickle(&bytes)?, value);
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `bool`.
    Bool(bool),
    /// `int`, within the 128-bit signed range (larger ones are refused when read).
    Int(i128),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `bytes`.
    Bytes(Vec<u8>),
    /// `bytearray`.
    ByteArray(Vec<u8>),
    /// `list`.
    List(Vec<Value>),
    /// `tuple`.
    Tuple(Vec<Value>),
    /// `dict`, in insertion order; keys are hashable values (not lists, dicts, sets or
    /// bytearrays), none equal to another.
    Dict(Vec<(Value, Value)>),
    /// `set`: hashable members, none equal to another.
    Set(Vec<Value>),
    /// `frozenset`: hashable members, none equal to another.
    FrozenSet(Vec<Value>),
    /// `datetime.date`.
    Date(NaiveDate),
    /// `datetime.time`.
    Time(Time),
    /// `datetime.datetime`.
    DateTime(DateTime),
    /// `datetime.timedelta`.
    TimeDelta(TimeDelta),
    /// `decimal.Decimal`.
    Decimal(Decimal),
}

impl Value {
    /// What Python calls this value's type: `int`, `datetime.date`, ...
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Date(_) => "datetime.date",
            Value::Time(_) => "datetime.time",
            Value::DateTime(_) => "datetime.datetime",
            Value::TimeDelta(_) => "datetime.timedelta",
            Value::Decimal(_) => "decimal.Decimal",
        }
    }

    /// Whether Python can hash it, so that it may be a dict key or a set member.
    pub fn is_hashable(&self) -> bool {
        match self {
            Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::ByteArray(_) => false,
            Value::Tuple(items) => items.iter().all(Value::is_hashable),
            _ => true,
        }
    }
}

/// A `datetime.timezone`: a fixed offset from UTC and, if it was given one, its name
/// (`timezone.utc` is offset zero with no name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone {
    /// The offset from UTC (whole seconds: Python's sub-second offsets are refused).
    pub offset: FixedOffset,
    /// The name given to `timezone(offset, name)`, if any.
    pub name: Option<String>,
}

impl TimeZone {
    /// `datetime.timezone.utc`.
    ///
    /// ```
    /// use kimera::pickle::TimeZone;
    ///
    /// assert_eq!(TimeZone::utc().offset.local_minus_utc(), 0);
    /// ```
    pub fn utc() -> TimeZone {
        TimeZone::fixed(FixedOffset::east_opt(0).expect("zero is a valid offset"))
    }

    /// `datetime.timezone(offset)`, without a name.
    ///
    /// ```
    /// use chrono::FixedOffset;
    /// use kimera::pickle::TimeZone;
    ///
    /// let cest = TimeZone::fixed(FixedOffset::east_opt(2 * 3600).unwrap());
    /// assert_eq!(cest.name, None);
    /// ```
    pub fn fixed(offset: FixedOffset) -> TimeZone {
        TimeZone { offset, name: None }
    }
}

/// A `datetime.time`: a time of day with microseconds, naive or with a fixed time zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    /// The time of day (microsecond precision; no leap seconds).
    pub time: NaiveTime,
    /// Its time zone, if it is aware.
    pub tz: Option<TimeZone>,
}

/// A `datetime.datetime`: a date and time with microseconds, naive or with a fixed time zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The wall-clock date and time (microsecond precision; no leap seconds; years 1 to 9999).
    pub at: NaiveDateTime,
    /// Its time zone, if it is aware.
    pub tz: Option<TimeZone>,
}

/// A `datetime.timedelta`, normalized as Python keeps it: `0 <= seconds < 86400`,
/// `0 <= microseconds < 1_000_000`, `|days| <= 999_999_999`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeDelta {
    days: i32,
    seconds: u32,
    microseconds: u32,
}

/// Python's `timedelta.max.days`.
const MAX_DAYS: i128 = 999_999_999;
const MICROS_PER_DAY: i128 = 86_400_000_000;

impl TimeDelta {
    /// The duration of `microseconds` in all, if `timedelta` can hold it (at most 999,999,999
    /// days either way).
    ///
    /// ```
    /// use kimera::pickle::TimeDelta;
    ///
    /// let t = TimeDelta::from_microseconds(-1).unwrap();
    /// assert_eq!((t.days(), t.seconds(), t.microseconds()), (-1, 86_399, 999_999));
    /// assert!(TimeDelta::from_microseconds(i128::MAX).is_none());
    /// ```
    pub fn from_microseconds(total: i128) -> Option<TimeDelta> {
        let days = total.div_euclid(MICROS_PER_DAY);
        let rest = total.rem_euclid(MICROS_PER_DAY);
        if days.abs() > MAX_DAYS {
            return None;
        }
        Some(TimeDelta {
            days: days as i32,
            seconds: (rest / 1_000_000) as u32,
            microseconds: (rest % 1_000_000) as u32,
        })
    }

    /// The whole duration in microseconds.
    ///
    /// ```
    /// use kimera::pickle::TimeDelta;
    ///
    /// assert_eq!(TimeDelta::from_microseconds(90_000_000).unwrap().total_microseconds(), 90_000_000);
    /// ```
    pub fn total_microseconds(&self) -> i128 {
        i128::from(self.days) * MICROS_PER_DAY
            + i128::from(self.seconds) * 1_000_000
            + i128::from(self.microseconds)
    }

    /// `timedelta.days`.
    pub fn days(&self) -> i32 {
        self.days
    }

    /// `timedelta.seconds`: `0..86400`.
    pub fn seconds(&self) -> u32 {
        self.seconds
    }

    /// `timedelta.microseconds`: `0..1_000_000`.
    pub fn microseconds(&self) -> u32 {
        self.microseconds
    }
}

/// A `decimal.Decimal`, as its text (`str(d)`: `"1.50"`, `"-0"`, `"1E+3"`, `"NaN"`,
/// `"-Infinity"`, `"sNaN"`): arbitrary precision, kept exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    /// The decimal `text` stands for, if it is a number in Python's `Decimal` syntax (an
    /// optional sign, digits with an optional point and exponent, or `Infinity`, `Inf`, `NaN`,
    /// `sNaN` with an optional payload; no spaces or underscores).
    ///
    /// ```
    /// use kimera::pickle::Decimal;
    ///
    /// assert_eq!(Decimal::new("-12.50E-3").unwrap().as_str(), "-12.50E-3");
    /// assert!(Decimal::new("12,5").is_none());
    /// ```
    pub fn new(text: impl Into<String>) -> Option<Decimal> {
        let text = text.into();
        decimal_syntax(&text).then_some(Decimal(text))
    }

    /// The text, as Python's `str(d)` gives it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Python's decimal string syntax (the `decimal` module's grammar, without the surrounding
/// whitespace and underscores it also forgives).
fn decimal_syntax(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return true;
    }
    if let Some(payload) = lower
        .strip_prefix("snan")
        .or_else(|| lower.strip_prefix("nan"))
    {
        return payload.bytes().all(|b| b.is_ascii_digit());
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// A key of a dict or member of a set, for finding two that Python calls equal: `1`, `1.0`,
/// `True` and `Decimal("1.00")` are one key to Python, and aware datetimes are equal when they
/// are the same instant.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key<'a> {
    Int(i128),
    Float(u64),
    Decimal(String),
    Str(&'a str),
    Bytes(&'a [u8]),
    Tuple(Vec<Key<'a>>),
    FrozenSet(Vec<Key<'a>>),
    None,
    Date(NaiveDate),
    NaiveTime(NaiveTime),
    AwareTime(i64),
    NaiveDateTime(NaiveDateTime),
    Instant(NaiveDateTime),
    TimeDelta(TimeDelta),
    /// A NaN: equal to nothing, itself included.
    Unique(usize),
}

impl<'a> Key<'a> {
    /// `value` as a key, or `None` if Python cannot hash it.
    pub(crate) fn of(value: &'a Value, unique: &mut usize) -> Option<Key<'a>> {
        let number = |f: f64, unique: &mut usize| {
            if f.is_nan() {
                *unique += 1;
                Key::Unique(*unique)
            } else if f.fract() == 0.0 && f.abs() < 1.0e38 {
                Key::Int(f as i128)
            } else {
                Key::Float(f.to_bits())
            }
        };
        Some(match value {
            Value::None => Key::None,
            Value::Bool(b) => Key::Int(i128::from(*b)),
            Value::Int(i) => Key::Int(*i),
            Value::Float(f) => number(*f, unique),
            Value::Decimal(d) => match decimal_key(d.as_str()) {
                Some(key) => key,
                None => {
                    *unique += 1;
                    Key::Unique(*unique)
                }
            },
            Value::Str(s) => Key::Str(s),
            Value::Bytes(b) => Key::Bytes(b),
            Value::Tuple(items) => Key::Tuple(
                items
                    .iter()
                    .map(|item| Key::of(item, unique))
                    .collect::<Option<_>>()?,
            ),
            Value::FrozenSet(items) => {
                let mut keys = items
                    .iter()
                    .map(|item| Key::of(item, unique))
                    .collect::<Option<Vec<_>>>()?;
                keys.sort();
                Key::FrozenSet(keys)
            }
            Value::Date(d) => Key::Date(*d),
            Value::Time(Time { time, tz: None }) => Key::NaiveTime(*time),
            Value::Time(Time { time, tz: Some(tz) }) => {
                let micros = i64::from(time.num_seconds_from_midnight()) * 1_000_000
                    + i64::from(time.nanosecond() / 1000);
                Key::AwareTime(micros - i64::from(tz.offset.local_minus_utc()) * 1_000_000)
            }
            Value::DateTime(DateTime { at, tz: None }) => Key::NaiveDateTime(*at),
            Value::DateTime(DateTime { at, tz: Some(tz) }) => {
                Key::Instant(*at - chrono::TimeDelta::seconds(tz.offset.local_minus_utc().into()))
            }
            Value::TimeDelta(t) => Key::TimeDelta(*t),
            Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::ByteArray(_) => return None,
        })
    }
}

/// A finite decimal's key: an integer when it is one (so `Decimal("2.0")` meets `2`), else its
/// digits without trailing zeros and its exponent. Infinities and NaNs compare as themselves
/// or never, which `Unique` covers for NaN; infinities meet float infinities.
fn decimal_key(text: &str) -> Option<Key<'static>> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    if lower.starts_with("inf") {
        let f = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Some(Key::Float(f.to_bits()));
    }
    if lower.contains("nan") {
        return None;
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (lower.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int}{frac}").trim_start_matches('0').to_owned();
    let mut exponent = exponent - frac.len() as i64;
    if digits.is_empty() {
        return Some(Key::Int(0));
    }
    while digits.ends_with('0') {
        digits.pop();
        exponent += 1;
    }
    if (0..=30).contains(&exponent) && digits.len() as i64 + exponent <= 38 {
        let mut n: i128 = digits.parse().ok()?;
        n *= 10i128.pow(exponent as u32);
        return Some(Key::Int(if negative { -n } else { n }));
    }
    Some(Key::Decimal(format!(
        "{}{digits}e{exponent}",
        if negative { "-" } else { "" }
    )))
}

/// Checks that `keys` are hashable and that no two are equal to Python, as a dict's keys or a
/// set's members must be: `what` names the container for the error.
pub(crate) fn check_keys<'a>(
    keys: impl Iterator<Item = &'a Value>,
    what: &str,
    error: impl Fn(String) -> Error,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut unique = 0;
    for key in keys {
        let Some(hashed) = Key::of(key, &mut unique) else {
            return Err(error(format!(
                "a {what} holds a {} {}, which Python cannot hash",
                key.type_name(),
                if what == "dict" { "key" } else { "member" },
            )));
        };
        if !seen.insert(hashed) {
            return Err(error(format!(
                "a {what} holds {} twice ({}): Python would keep one, and the value read would not be the value written",
                describe(key),
                if what == "dict" { "as a key" } else { "as a member" },
            )));
        }
    }
    Ok(())
}

/// A short description of a value for errors: scalars shown, containers by type and size.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::None => "None".to_owned(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => format!("the str {s:?}"),
        Value::Decimal(d) => format!("Decimal('{d}')"),
        Value::Date(d) => format!("the date {d}"),
        Value::DateTime(d) => format!("the datetime {}", d.at),
        Value::Time(t) => format!("the time {}", t.time),
        Value::Bytes(b) => format!("a {}-byte bytes", b.len()),
        Value::Tuple(items) => format!("a {}-item tuple", items.len()),
        Value::FrozenSet(items) => format!("a {}-member frozenset", items.len()),
        other => format!("a {}", other.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_syntax_is_pythons() {
        for good in [
            "0",
            "-0",
            "1.50",
            ".5",
            "5.",
            "1E+3",
            "1e-7",
            "-Infinity",
            "inf",
            "NaN",
            "sNaN12",
            "+7",
        ] {
            assert!(Decimal::new(good).is_some(), "{good}");
        }
        for bad in [
            "", ".", "1.2.3", "1e", "e5", "1_000", " 1", "NaNx", "0x10", "--1",
        ] {
            assert!(Decimal::new(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn keys_equal_as_python_says() {
        let mut u = 0;
        let same = [
            (Value::Int(1), Value::Bool(true)),
            (Value::Int(2), Value::Float(2.0)),
            (Value::Int(0), Value::Float(-0.0)),
            (
                Value::Int(120),
                Value::Decimal(Decimal::new("1.20E+2").unwrap()),
            ),
        ];
        for (a, b) in &same {
            assert!(Key::of(a, &mut u) == Key::of(b, &mut u), "{a:?} {b:?}");
        }
        let nan = Value::Float(f64::NAN);
        assert!(Key::of(&nan, &mut u) != Key::of(&nan, &mut u));
        assert!(Key::of(&Value::Int(1), &mut u) != Key::of(&Value::Float(1.5), &mut u));
        assert!(Key::of(&Value::List(vec![]), &mut u).is_none());
        assert!(Key::of(&Value::Tuple(vec![Value::List(vec![])]), &mut u).is_none());
    }

    #[test]
    fn timedelta_normalizes_as_python() {
        let t = TimeDelta::from_microseconds(-86_400_000_001).unwrap();
        assert_eq!(
            (t.days(), t.seconds(), t.microseconds()),
            (-2, 86_399, 999_999)
        );
        assert!(TimeDelta::from_microseconds(MAX_DAYS * MICROS_PER_DAY + MICROS_PER_DAY).is_none());
        assert!(TimeDelta::from_microseconds(-MAX_DAYS * MICROS_PER_DAY).is_some());
    }
}
