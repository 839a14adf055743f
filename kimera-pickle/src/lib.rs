//! CPython's pickle format (feature `pickle`): what `pickle.dumps` writes, read without running
//! anything, and pickles written for `pickle.loads`.
//!
//! The Python Kimera library's `Pickle` serializer is `pickle.dumps` / `pickle.loads`, and its
//! cache engines keep those bytes in Redis and Memcached. This module reads them, protocols 0
//! to 5, for Python's plain data, and writes protocol 4 (every CPython since 3.4 reads it).
//!
//! ```
//! use kimera::pickle::{self, Value};
//!
//! // pickle.dumps({"id": 7, "tags": ("a", "b")}, protocol=4)
//! let bytes = b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x07\x8c\x04tags\x94\x8c\x01a\x94\x8c\x01b\x94\x86\x94u.";
//! let value = Value::from_pickle(bytes)?;
//! assert_eq!(
//!     value,
//!     Value::Dict(vec![
//!         (Value::Str("id".into()), Value::Int(7)),
//!         (Value::Str("tags".into()), Value::Tuple(vec![Value::Str("a".into()), Value::Str("b".into())])),
//!     ])
//! );
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # Safe where `pickle.loads` is not
//!
//! Python's own documentation warns that `pickle.loads` on untrusted bytes can run arbitrary
//! code: a pickle names any importable function (`os.system`) and calls it. This reader
//! never imports, calls or builds anything beyond the families below: a pickle that names any
//! other global (`GLOBAL`, `STACK_GLOBAL`, `INST`), builds an object (`OBJ`, `NEWOBJ`,
//! `BUILD`), or refers outside itself (persistent ids, extension codes, out-of-band buffers)
//! is refused with a [`PickleError`] naming `module.qualname` and the byte it is at. Input is
//! bounded like every Kimera decoder's ([`Limits`]): its size, the nesting of the value, and
//! the values and bytes that shared references may expand to (a "memo bomb" that references
//! one list from itself many times over is refused, not expanded).
//!
//! # Families
//!
//! | Python | [`Value`] | notes |
//! |---|---|---|
//! | `None`, `bool`, `float`, `str`, `bytes`, `bytearray` | `None`, `Bool`, `Float`, `Str`, `Bytes`, `ByteArray` | a `str` with a lone surrogate is refused (Rust text cannot hold it) |
//! | `int` | `Int(i128)` | beyond 128 bits: refused with the size it has |
//! | `list`, `tuple`, `dict`, `set`, `frozenset` | `List`, `Tuple`, `Dict`, `Set`, `FrozenSet` | in the pickle's order; keys and members must be hashable and distinct |
//! | `datetime.date`, `time`, `datetime` | `Date`, [`Time`], [`DateTime`] | naive, or with a fixed-offset `datetime.timezone` ([`TimeZone`], `timezone.utc` included); `fold=1` and other `tzinfo` classes (`zoneinfo`) are refused |
//! | `datetime.timedelta` | [`TimeDelta`] | |
//! | `decimal.Decimal` | [`Decimal`] | its exact text |
//!
//! Shared references (the memo) are read as Python sees them — a list remembered and then
//! filled is the filled list wherever it appears — and copied into each place, since a
//! [`Value`] is a tree. A recursive reference (a list that contains itself) has no tree form
//! and is refused. Python 2's 8-bit `STRING` opcodes, which Python 3 never writes, are
//! refused. A pickle is the whole input: bytes after its `STOP` are an error.
//!
//! # Typed values
//!
//! [`to_vec`] and [`from_slice`] bridge Rust types: structs and maps are dicts keyed by
//! serde's names (map keys keep their types: a `HashMap<u32, _>` has int keys), sequences
//! lists, tuples tuples, `Option::None` and `()` None, enums as serde_json shapes them
//! (`"Unit"`, `{"Variant": content}`), byte strings (`serde_bytes`) bytes; and the fields the
//! type's schema says are chrono's `NaiveDate`, `NaiveTime`, `NaiveDateTime`,
//! `DateTime<Utc>`, `DateTime<FixedOffset>`, `TimeDelta`, std's `Duration`, or sets, are
//! Python's `date`, `time`, `datetime` (aware for the last two), `timedelta` and `set`. So a
//! derived type round-trips with Python code that sees plain dicts and datetimes.
//!
//! ```
//! use chrono::NaiveDate;
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! struct Member { name: String, joined: NaiveDate, score: f64 }
//!
//! let member = Member {
//!     name: "Ada".into(),
//!     joined: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
//!     score: f64::NAN,
//! };
//! let bytes = kimera::pickle::to_vec(&member)?;
//! let value = kimera::pickle::Value::from_pickle(&bytes)?;
//! let kimera::pickle::Value::Dict(fields) = value else { unreachable!() };
//! assert_eq!(fields[1].1, kimera::pickle::Value::Date(member.joined));
//! let back: Member = kimera::pickle::from_slice(&bytes)?;
//! assert!(back.score.is_nan() && back.joined == member.joined);
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! With the `python` feature too, the Python library's JSON wire format and pickles share this
//! value model: every `kimera::python::Value` converts into a [`Value`] (`From`), and a
//! [`Value`] of the families that format handles converts back (`TryFrom`).
//!
//! What does not cross both ways: `Some(None)` is written as None and reads back as `None`
//! (Python has one None); a `Vec<u8>` is a list of ints (use `serde_bytes` for `bytes`);
//! dates inside un-tagged enums and `flatten`ed fields are written as ISO text (the schema
//! walk does not follow those forms; tagged enums of every kind it does), and read back from
//! either;
//! fractions finer than microseconds are refused when written, never rounded.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod de;
mod error;
mod op;
#[cfg(feature = "python")]
mod python;
mod read;
mod ser;
mod typed;
mod value;
mod write;

use kimera_core::envelope::data_error;
use kimera_core::{ErrorKind, KimeraHandler, Limits, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::PickleError;
pub use value::{DateTime, Decimal, Time, TimeDelta, TimeZone, Value};

impl Value {
    /// Reads the value a pickle holds (any protocol, 0 to 5), within the default [`Limits`].
    ///
    /// ```
    /// use kimera::pickle::Value;
    ///
    /// // pickle.dumps([1, 2.5, None], protocol=0)
    /// let value = Value::from_pickle(b"(lp0\nI1\naF2.5\naNa.")?;
    /// assert_eq!(value, Value::List(vec![Value::Int(1), Value::Float(2.5), Value::None]));
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This conversion can fail if `bytes` is not a pickle of the families read (see the module
    /// docs): a global that is refused, a damaged or truncated pickle, an `int` beyond 128
    /// bits, a recursive reference, repeated dict keys: a [`PickleError`] with the byte offset,
    /// in an [`ErrorKind::Other`] (find it with [`kimera::Error::downcast_ref`]). Input longer
    /// or nested deeper than the limits allow is [`ErrorKind::LimitExceeded`].
    ///
    /// [`kimera::Error::downcast_ref`]: kimera_core::Error::downcast_ref
    pub fn from_pickle(bytes: &[u8]) -> Result<Value> {
        Value::from_pickle_with(bytes, &Limits::DEFAULT)
    }

    /// [`from_pickle`](Value::from_pickle) within other [`Limits`]: `max_size` bounds the input
    /// and the text that shared references expand to, `max_depth` the nesting of the value,
    /// and shared references may expand to at most one value per input byte plus
    /// `zero_size_allowance`.
    ///
    /// # Errors
    ///
    /// As [`from_pickle`](Value::from_pickle), within `limits`.
    pub fn from_pickle_with(bytes: &[u8], limits: &Limits) -> Result<Value> {
        read::read(bytes, limits)
    }

    /// Writes the value as a protocol 4 pickle, which `pickle.loads` turns into an equal
    /// Python value.
    ///
    /// ```
    /// use kimera::pickle::Value;
    ///
    /// assert_eq!(Value::Int(7).to_pickle()?, b"\x80\x04K\x07.");
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This conversion can fail for what Python could not read back as the same value: a
    /// dict key or set member that Python cannot hash, or that equals another (Python would
    /// keep one), a time with a fraction finer than microseconds or a leap second, a year
    /// outside 1 to 9999 (each a [`PickleError`] with the path). A value nested deeper than
    /// the default [`Limits`] allow is [`ErrorKind::LimitExceeded`].
    pub fn to_pickle(&self) -> Result<Vec<u8>> {
        self.to_pickle_with(&Limits::DEFAULT)
    }

    /// [`to_pickle`](Value::to_pickle) within [`Limits`]: nesting at most `max_depth` deep and
    /// output at most `max_size` bytes, as a reader with the same limits requires.
    ///
    /// # Errors
    ///
    /// As [`to_pickle`](Value::to_pickle), within `limits`.
    pub fn to_pickle_with(&self, limits: &Limits) -> Result<Vec<u8>> {
        write::write(self, limits)
    }
}

/// Writes `value` as a protocol 4 pickle: the shapes in the module docs, with the fields its
/// schema says are dates, times, durations or sets as Python's.
///
/// ```
/// use std::collections::HashMap;
///
/// let scores: HashMap<u32, f64> = HashMap::from([(7, 0.5)]);
/// let bytes = kimera::pickle::to_vec(&scores)?;
/// assert_eq!(
///     kimera::pickle::Value::from_pickle(&bytes)?,
///     kimera::pickle::Value::Dict(vec![(kimera::pickle::Value::Int(7), kimera::pickle::Value::Float(0.5))])
/// );
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `T`'s `Serialize` implementation fails ([`ErrorKind::Encode`]),
/// or if the value holds what Python could not read back as the same value (an integer beyond
/// the 128-bit signed range, a date or time [`Value::to_pickle`] refuses, two map keys Python
/// calls equal: a [`PickleError`] with the path), or nests deeper than the default [`Limits`]
/// allow ([`ErrorKind::LimitExceeded`]).
pub fn to_vec<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    to_value(value)?.to_pickle()
}

/// Reads a `T` from a pickle, as [`to_vec`] writes it or as Python writes the same shapes:
/// Python's dates, times and datetimes read into chrono's types, a `timedelta` into chrono's
/// `TimeDelta` or std's `Duration`, sets and frozensets into any sequence or set, bytes into
/// `serde_bytes` types.
///
/// ```
/// // pickle.dumps({1: "one", 2: "two"}, protocol=2)
/// let bytes = b"\x80\x02}q\x00(K\x01X\x03\x00\x00\x00oneq\x01K\x02X\x03\x00\x00\x00twoq\x02u.";
/// let names: std::collections::BTreeMap<u8, String> = kimera::pickle::from_slice(bytes)?;
/// assert_eq!(names[&2], "two");
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`Value::from_pickle`] can, and if the value is not a valid `T`
/// ([`ErrorKind::Data`], with the field path).
pub fn from_slice<T: KimeraHandler + DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let value = Value::from_pickle(bytes)?;
    from_value(value)
}

/// Reads a `T` from a [`Value`], as [`from_slice`] reads one from a pickle.
///
/// ```
/// use kimera::pickle::Value;
///
/// let pair: (String, Option<i64>) = kimera::pickle::from_value(Value::Tuple(vec![
///     Value::Str("a".into()),
///     Value::None,
/// ]))?;
/// assert_eq!(pair, ("a".to_owned(), None));
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if the value is not a valid `T` ([`ErrorKind::Data`], with the
/// field path).
pub fn from_value<T: KimeraHandler + DeserializeOwned>(value: Value) -> Result<T> {
    let mut track = serde_path_to_error::Track::new();
    T::deserialize(serde_path_to_error::Deserializer::new(
        de::Deserializer(value),
        &mut track,
    ))
    .map_err(|err: de::DeError| data_error::<T>(track.path(), err).into())
}

/// A [`Value`] of `value`, as [`to_vec`] would pickle it.
///
/// ```
/// use kimera::pickle::Value;
///
/// assert_eq!(kimera::pickle::to_value(&(1u8, "a"))?, Value::Tuple(vec![Value::Int(1), Value::Str("a".into())]));
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// As [`to_vec`], for what does not depend on writing bytes.
pub fn to_value<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<Value> {
    let value = ser::to_value(value).map_err(|err| ErrorKind::Encode {
        type_name: T::type_name().into_owned(),
        path: ".".to_owned(),
        message: err.0,
    })?;
    typed::convert(value, T::SCHEMA, &mut String::from("$"))
}

/// Runs `f` with `segment` appended to `path`.
fn at<R>(
    path: &mut String,
    segment: std::fmt::Arguments<'_>,
    f: impl FnOnce(&mut String) -> R,
) -> R {
    use std::fmt::Write as _;
    let len = path.len();
    let _ = path.write_fmt(segment);
    let result = f(path);
    path.truncate(len);
    result
}

/// The path segment of a dict key: `["name"]`, `[7]`, or the key's type.
fn segment(key: &Value) -> String {
    match key {
        Value::Str(s) => format!("[{s:?}]"),
        Value::Int(i) => format!("[{i}]"),
        other => format!("[{}]", value::describe(other)),
    }
}
