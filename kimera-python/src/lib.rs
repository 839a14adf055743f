//! The wire format of the Python Kimera library (`KimeraSerializer`), read and written exactly
//! (feature `python`).
//!
//! Every value is a JSON object `{"data": ..., "serializer": "<HandlerName>"}`; lists, tuples
//! and dicts hold the complete wire text of each element as a JSON *string*, escaped again at
//! every level. The text is Python's `json.dumps` with its default settings: `", "` and
//! `": "` separators, ASCII only, Python's float repr.
//!
//! ```
//! use kimera::python::{self, Value};
//!
//! let wire = r#"{"data": ["{\"data\": 1, \"serializer\": \"DefaultSerializerHandler\"}"], "serializer": "ListSerializerHandler"}"#;
//! let value = python::Value::from_wire(wire)?;
//! assert_eq!(value, Value::List(vec![Value::Int(1)]));
//! assert_eq!(python::Value::to_wire(&value)?, wire);
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # Handlers
//!
//! | `serializer` | `data` | [`Value`] |
//! |---|---|---|
//! | `DefaultSerializerHandler` | `null`, `true`/`false`, an integer, a float, a string | `None`, `Bool`, `Int`, `Float`, `Str` |
//! | `ListSerializerHandler` | an array of wire texts | `List` |
//! | `TupleSerializerHandler` | an array of wire texts | `Tuple` |
//! | `DictSerializerHandler` | an object of wire texts, in insertion order | `Dict` |
//! | `DateTimeSerializerHandler` | `"%Y%m%d %H:%M:%S.%f"`: `"20240301 12:30:45.123456"` | `DateTime` |
//! | `DateSerializerHandler` | `"%Y%m%d"`: `"20240301"` | `Date` |
//!
//! Floats are written as Python writes them (`1e-05`, `1e+16`, `1.0`, and `NaN`, `Infinity`,
//! `-Infinity`, which Python's `json` module writes and reads) and parsed correctly rounded, so
//! every float reads back to the same bits. Integers beyond the 64-bit range, unknown handler
//! names (a Python user's custom handler) and malformed nesting are errors naming where they
//! are (a [`WireError`] inside the `kimera::Error`), and depth and size are bounded like every
//! other decoder ([`Limits`]).
//!
//! # Dates and the short-year defect
//!
//! The Python library writes years below 1000 without zero padding (`strftime("%Y")` gives
//! `964`, so 964-12-10 becomes `"9641210"`) and then reads that back as another date. This
//! module writes four-digit years, and refuses a date whose year part is not four digits with
//! an error that says why, rather than guess. Python's `datetime` has no years outside
//! 1..=9999, so neither has this format; `DateTime`s carry microseconds, so a time with a
//! finer fraction is refused when written, never rounded.
//!
//! # Typed values
//!
//! [`to_string`] and [`from_str`] bridge any handled Rust type: structs and maps
//! are dicts keyed by serde's names, sequences lists, tuples tuples, `None` and `()` None, and
//! fields the type's [`Schema`](kimera_core::Schema) says are chrono `NaiveDateTime` or `NaiveDate`
//! the date handlers. What does not cross, or not both ways:
//!
//! - NaN and infinities are written, but reading a typed value goes through serde_json's value
//!   model, which has none: reading them into a float field is an error (the dynamic
//!   [`Value`] reads them).
//! - `Some(None)` is written as None and reads back as `None`, as in JSON.
//! - Map keys are written as text: string, integer, bool, char and unit-variant keys read back;
//!   tuple or unit keys do not.
//! - Dates inside internally, adjacently or un-tagged enums and `flatten`ed fields are written
//!   as ISO strings (the schema walk does not follow those forms); other chrono types
//!   (`DateTime<Utc>`, `NaiveTime`) always are.
//! - Integers beyond the 64-bit signed range are refused, as in the dynamic model.
//! - Reading into a map type keeps no order of its own beyond serde's (dict order is kept by
//!   the dynamic [`Value`]).
//!
//! Writing is bounded like reading ([`Value::to_wire_with`]): each level of nesting escapes the text
//! inside it again and so doubles it.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod text;
mod typed;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use kimera_core::{Error, ErrorKind, Limits, Result};

pub use typed::{from_str, to_string};

use text::Json;

/// A value of the Python side's dynamic model.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `bool`.
    Bool(bool),
    /// `int` (within the 64-bit range).
    Int(i64),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `list`.
    List(Vec<Value>),
    /// `tuple`.
    Tuple(Vec<Value>),
    /// `dict` with string keys, in insertion order.
    Dict(Vec<(String, Value)>),
    /// `datetime.datetime` (naive, microsecond precision).
    DateTime(NaiveDateTime),
    /// `datetime.date`.
    Date(NaiveDate),
}

impl Value {
    /// Reads a value from the Python library's wire text.
    ///
    /// ```
    /// use kimera::python::Value;
    ///
    /// let v = Value::from_wire(r#"{"data": "20240301", "serializer": "DateSerializerHandler"}"#)?;
    /// assert_eq!(v, Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()));
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This conversion can fail if `wire` is not the Python library's wire text (malformed JSON, a
    /// missing or unknown key or handler, an integer beyond the 64-bit range, a date not written as
    /// `YYYYMMDD`, ...): a [`WireError`] saying where, in an [`ErrorKind::Other`] (find it with
    /// [`Error::downcast_ref`]). Text longer or nested deeper than the default [`Limits`] allow is
    /// [`ErrorKind::LimitExceeded`].
    pub fn from_wire(wire: &str) -> Result<Value> {
        Value::from_wire_with(wire, &Limits::DEFAULT)
    }

    /// [`from_wire`](Value::from_wire) with other [`Limits`]: `max_size` bounds the text,
    /// `max_depth` the nesting of values (each level of wire text within wire text counts once).
    ///
    /// # Errors
    ///
    /// As [`from_wire`](Value::from_wire), within `limits`.
    pub fn from_wire_with(wire: &str, limits: &Limits) -> Result<Value> {
        if wire.len() as u64 > limits.max_size {
            return Err(kimera_core::Limit::Size.exceeded(limits.max_size).into());
        }
        let reader = Reader {
            limits,
            // Every level's text counts: nested wire text is decoded again at each level, and
            // without a total bound deep nesting would multiply the memory an input costs.
            text_left: std::cell::Cell::new(limits.max_size),
        };
        reader.wire(wire, &mut String::from("$"), limits.max_depth)
    }

    /// Writes the value as the Python library's wire text, byte for byte as it writes it.
    ///
    /// ```
    /// use kimera::python::Value;
    ///
    /// assert_eq!(
    ///     Value::Int(1).to_wire()?,
    ///     r#"{"data": 1, "serializer": "DefaultSerializerHandler"}"#
    /// );
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This conversion can fail for what the Python side could not read back as the same value: a
    /// `DateTime` with a fraction finer than microseconds or a leap second, a date outside years 1
    /// to 9999 (each a [`WireError`] saying where, in an [`ErrorKind::Other`]). A value nested
    /// deeper, or whose text would be longer, than the default [`Limits`] allow is
    /// [`ErrorKind::LimitExceeded`].
    pub fn to_wire(&self) -> Result<String> {
        self.to_wire_with(&Limits::DEFAULT)
    }

    /// [`to_wire`](Value::to_wire) within [`Limits`]: nesting at most `max_depth` deep (deeper
    /// values would exhaust the stack) and text at most `max_size` bytes (each level escapes
    /// the text inside it again, so the text doubles with every level of nesting), as a reader
    /// with the same limits requires.
    ///
    /// # Errors
    ///
    /// As [`to_wire`](Value::to_wire), within `limits`.
    pub fn to_wire_with(&self, limits: &Limits) -> Result<String> {
        let mut writer = Writer {
            limits,
            depth_left: limits.max_depth,
        };
        let mut out = String::new();
        writer.write(&mut out, self, &mut String::from("$"))?;
        Ok(out)
    }
}

const DEFAULT: &str = "DefaultSerializerHandler";
const LIST: &str = "ListSerializerHandler";
const TUPLE: &str = "TupleSerializerHandler";
const DICT: &str = "DictSerializerHandler";
const DATETIME: &str = "DateTimeSerializerHandler";
const DATE: &str = "DateSerializerHandler";

/// Text in the Python library's wire format that cannot be read, or a value that cannot be
/// written in it: what a `kimera::Error` from this module holds when the wire text is at fault
/// (others are the errors every decoder gives: limits, or a typed value's data error).
///
/// ```
/// use kimera::python::{Value, WireError};
///
/// let err = Value::from_wire(r#"{"data": 1, "serializer": "MyHandler"}"#).unwrap_err();
/// let wire = err.downcast_ref::<WireError>().unwrap();
/// assert_eq!(wire.path(), "$");
/// assert!(err.to_string().starts_with("Python Kimera wire format, at `$`: unknown handler `MyHandler`"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("Python Kimera wire format, at `{path}`: {message}")]
pub struct WireError {
    path: String,
    message: String,
}

impl WireError {
    /// Where: `$` for the whole value, then `[index]` or `["key"]` per level.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<WireError> for Error {
    fn from(err: WireError) -> Self {
        ErrorKind::Other(Box::new(err)).into()
    }
}

/// An error at `path` (`$`, `$[2]`, `$["key"]`), bounded however much of the input it quotes.
fn error(path: &str, message: impl Into<String>) -> Error {
    let (message, path) = kimera_core::envelope::bounded_message(message.into(), path);
    WireError { path, message }.into()
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

struct Reader<'l> {
    limits: &'l Limits,
    /// Bytes of wire text, over all levels, still allowed.
    text_left: std::cell::Cell<u64>,
}

impl Reader<'_> {
    /// One wire text: an envelope object, parsed, then read.
    fn wire(&self, text: &str, path: &mut String, depth_left: u32) -> Result<Value> {
        if depth_left == 0 {
            return Err(kimera_core::Limit::Depth
                .exceeded(self.limits.max_depth.into())
                .into());
        }
        match self.text_left.get().checked_sub(text.len() as u64) {
            Some(left) => self.text_left.set(left),
            None => {
                return Err(kimera_core::Limit::Size
                    .exceeded(self.limits.max_size)
                    .into())
            }
        }
        // The envelope and its data: an object holding at most an array or object.
        let json = text::parse(text, 3).map_err(|e| error(path, e))?;
        let Json::Object(entries) = json else {
            return Err(error(
                path,
                format!(
                    "expected an object with `data` and `serializer`, found {}",
                    json.kind()
                ),
            ));
        };
        let (mut data, mut serializer) = (None, None);
        for (key, value) in entries {
            let slot = match key.as_str() {
                "data" => &mut data,
                "serializer" => &mut serializer,
                other => {
                    return Err(error(
                        path,
                        format!("unexpected key `{other}`, expected only `data` and `serializer`"),
                    ))
                }
            };
            if slot.replace(value).is_some() {
                return Err(error(path, format!("duplicate key `{key}`")));
            }
        }
        let serializer = match serializer {
            Some(Json::Str(name)) => name,
            Some(other) => {
                return Err(error(
                    path,
                    format!("`serializer` is {}, expected a handler name", other.kind()),
                ))
            }
            None => return Err(error(path, "missing key `serializer`")),
        };
        let data = data.ok_or_else(|| error(path, "missing key `data`"))?;
        self.data(&serializer, data, path, depth_left - 1)
    }

    fn data(
        &self,
        serializer: &str,
        data: Json,
        path: &mut String,
        depth_left: u32,
    ) -> Result<Value> {
        match (serializer, data) {
            (DEFAULT, Json::Null) => Ok(Value::None),
            (DEFAULT, Json::Bool(b)) => Ok(Value::Bool(b)),
            (DEFAULT, Json::Int(i)) => Ok(Value::Int(i)),
            (DEFAULT, Json::Float(f)) => Ok(Value::Float(f)),
            (DEFAULT, Json::Str(s)) => Ok(Value::Str(s)),
            (LIST | TUPLE, Json::Array(items)) => {
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        at(path, format_args!("[{i}]"), |path| {
                            self.nested(item, path, depth_left)
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(match serializer {
                    LIST => Value::List(items),
                    _ => Value::Tuple(items),
                })
            }
            (DICT, Json::Object(entries)) => {
                let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
                let mut index = std::collections::HashMap::with_capacity(entries.len());
                for (key, item) in entries {
                    let value = at(path, format_args!("[{key:?}]"), |path| {
                        self.nested(item, path, depth_left)
                    })?;
                    // A repeated key: Python keeps the first position and the last value.
                    match index.get(&key) {
                        Some(&at) => out[at] = (key, value),
                        None => {
                            index.insert(key.clone(), out.len());
                            out.push((key, value));
                        }
                    }
                }
                Ok(Value::Dict(out))
            }
            (DATETIME, Json::Str(s)) => parse_datetime(&s)
                .map(Value::DateTime)
                .map_err(|e| error(path, e)),
            (DATE, Json::Str(s)) => parse_date(&s).map(Value::Date).map_err(|e| error(path, e)),
            (DEFAULT | LIST | TUPLE | DICT | DATETIME | DATE, data) => Err(error(
                path,
                format!("`{serializer}` cannot hold {} as its data", data.kind()),
            )),
            (other, _) => Err(error(
                path,
                format!(
                    "unknown handler `{other}` (a custom handler of the Python side?); known: \
                     {DEFAULT}, {LIST}, {TUPLE}, {DICT}, {DATETIME}, {DATE}"
                ),
            )),
        }
    }

    /// An element of a list, tuple or dict: a string holding wire text.
    fn nested(&self, item: Json, path: &mut String, depth_left: u32) -> Result<Value> {
        match item {
            Json::Str(text) => self.wire(&text, path, depth_left),
            other => Err(error(
                path,
                format!(
                    "expected an element's wire text as a string, found {}",
                    other.kind()
                ),
            )),
        }
    }
}

struct Writer<'l> {
    limits: &'l Limits,
    depth_left: u32,
}

impl Writer<'_> {
    fn write(&mut self, out: &mut String, value: &Value, path: &mut String) -> Result<()> {
        if self.depth_left == 0 {
            return Err(kimera_core::Limit::Depth
                .exceeded(self.limits.max_depth.into())
                .into());
        }
        out.push_str("{\"data\": ");
        let serializer = match value {
            Value::None => {
                out.push_str("null");
                DEFAULT
            }
            Value::Bool(b) => {
                out.push_str(if *b { "true" } else { "false" });
                DEFAULT
            }
            Value::Int(i) => {
                out.push_str(&i.to_string());
                DEFAULT
            }
            Value::Float(x) => {
                text::write_float(out, *x);
                DEFAULT
            }
            Value::Str(s) => {
                text::write_string(out, s);
                DEFAULT
            }
            Value::List(items) | Value::Tuple(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let wire = at(path, format_args!("[{i}]"), |path| self.nested(item, path))?;
                    text::write_string(out, &wire);
                }
                out.push(']');
                match value {
                    Value::List(_) => LIST,
                    _ => TUPLE,
                }
            }
            Value::Dict(entries) => {
                out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    text::write_string(out, key);
                    out.push_str(": ");
                    let wire = at(path, format_args!("[{key:?}]"), |path| {
                        self.nested(item, path)
                    })?;
                    text::write_string(out, &wire);
                }
                out.push('}');
                DICT
            }
            Value::DateTime(at_time) => {
                let text = format_datetime(at_time).map_err(|e| error(path, e))?;
                text::write_string(out, &text);
                DATETIME
            }
            Value::Date(date) => {
                let text = format_date(date).map_err(|e| error(path, e))?;
                text::write_string(out, &text);
                DATE
            }
        };
        out.push_str(", \"serializer\": ");
        text::write_string(out, serializer);
        out.push('}');
        if out.len() as u64 > self.limits.max_size {
            return Err(kimera_core::Limit::Size
                .exceeded(self.limits.max_size)
                .into());
        }
        Ok(())
    }

    fn nested(&mut self, value: &Value, path: &mut String) -> Result<String> {
        let mut out = String::new();
        self.depth_left -= 1;
        let written = self.write(&mut out, value, path);
        self.depth_left += 1;
        written.map(|()| out)
    }
}

/// `%Y%m%d`, with the four-digit year Python's `datetime` range allows.
fn format_date(date: &NaiveDate) -> std::result::Result<String, String> {
    match date.year() {
        1..=9999 => Ok(format!(
            "{:04}{:02}{:02}",
            date.year(),
            date.month(),
            date.day()
        )),
        year => Err(format!("the year {year} is outside Python's 1 to 9999")),
    }
}

/// `%Y%m%d %H:%M:%S.%f`: microseconds, so finer fractions (and leap seconds) are refused.
fn format_datetime(at: &NaiveDateTime) -> std::result::Result<String, String> {
    let date = format_date(&at.date())?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return Err("a leap second, which Python's datetime cannot hold".to_owned());
    }
    if nanos % 1_000 != 0 {
        return Err(format!(
            "{at} has a fraction finer than microseconds, which Python's datetime cannot hold"
        ));
    }
    Ok(format!(
        "{date} {:02}:{:02}:{:02}.{:06}",
        at.hour(),
        at.minute(),
        at.second(),
        nanos / 1_000
    ))
}

/// `YYYYMMDD` exactly: the Python library writes years below 1000 unpadded (`9641210` for
/// 964-12-10), which cannot be told from other dates; refused with that explanation.
fn parse_date(text: &str) -> std::result::Result<NaiveDate, String> {
    let all_digits = text.bytes().all(|b| b.is_ascii_digit());
    if !all_digits || text.len() != 8 {
        let hint = match all_digits && text.len() < 8 {
            true => {
                " (the Python library writes years below 1000 without zero padding, so this \
                     may be such a year; it cannot be read unambiguously)"
            }
            false => "",
        };
        return Err(format!("expected a date as YYYYMMDD, found `{text}`{hint}"));
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    NaiveDate::from_ymd_opt(number(0..4) as i32, number(4..6), number(6..8))
        .ok_or_else(|| format!("`{text}` is not a valid date"))
}

/// `YYYYMMDD HH:MM:SS.ffffff` (the fraction 1 to 6 digits, as Python's `%f` reads it).
fn parse_datetime(text: &str) -> std::result::Result<NaiveDateTime, String> {
    let malformed = || format!("expected a datetime as YYYYMMDD HH:MM:SS.ffffff, found `{text}`");
    let (date, time) = text.split_once(' ').ok_or_else(malformed)?;
    let date = parse_date(date)?;
    let (hms, fraction) = time.split_once('.').ok_or_else(malformed)?;
    let fields: Vec<&str> = hms.split(':').collect();
    let two_digits = |s: &str| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let [h, m, s] = fields[..] else {
        return Err(malformed());
    };
    let (Some(h), Some(m), Some(s)) = (two_digits(h), two_digits(m), two_digits(s)) else {
        return Err(malformed());
    };
    if fraction.is_empty() || fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let micros: u32 = format!("{fraction:0<6}").parse().map_err(|_| malformed())?;
    let time = NaiveTime::from_hms_micro_opt(h, m, s, micros)
        .ok_or_else(|| format!("`{time}` is not a valid time"))?;
    Ok(date.and_time(time))
}
