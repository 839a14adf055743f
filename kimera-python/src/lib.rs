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
//! the date handlers. Writing goes straight to the wire text; reading goes straight from it
//! where it is exactly as the Python library writes it, and otherwise through the [`Value`] the
//! text holds, with the same result either way. What crosses, and what does not:
//!
//! - NaN and infinities cross both ways, in float fields as in the dynamic [`Value`].
//! - `Some(None)` is written as None and reads back as `None`: Python has one None, so the
//!   wire text cannot tell the two apart (as in JSON).
//! - Map keys are text: a key is written as the text serde_json gives it (strings, integers,
//!   bools, chars, unit variants), any other as its JSON-like text (`[1, "a"]` for a tuple,
//!   `null` for `()`), and read back from that text, so tuple, unit and struct keys round-trip.
//!   A map (a `flatten`ed field among others, say) that writes one key twice is refused, as
//!   a [`Value::Dict`] with a repeated key is: a Python dict would keep only the last value.
//! - Dates inside internally, adjacently or un-tagged enums and `flatten`ed fields are written
//!   as ISO strings (the schema walk does not follow those forms); other chrono types
//!   (`DateTime<Utc>`, `NaiveTime`) always are. Either reads back, as chrono reads ISO text.
//! - Integers beyond the 64-bit signed range are refused, as in the dynamic model.
//! - Reading into a map type keeps no order of its own beyond serde's (dict order is kept by
//!   the dynamic [`Value`]).
//!
//! Writing is bounded like reading ([`Value::to_wire_with`]): each level of nesting escapes the text
//! inside it again and so doubles it.
//!
//! # Speed
//!
//! Text exactly as the Python library writes it (its spacing, its key order) is read in one
//! pass, each nested value matched at its escape depth against that depth's envelope, with no
//! unescaped copy per level; any other text is read by a general JSON reader, value by value,
//! which also gives every error. Both give the same value and count the same text against
//! [`Limits::max_size`]. Writing copies each depth's envelope from templates.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod canonical;
mod text;
mod typed;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use kimera_core::{Error, ErrorKind, Limits, Result};

pub use typed::{from_str, to_string};

use canonical::Canonical;
use text::{Out, Parser, Token};

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
        let mut reader = Reader::new(limits, true);
        // Text as the Python library writes it is read in place; any other, or an error, by
        // the general reader.
        let canonical = Canonical::new(wire, 0, 0, limits.max_depth, &mut reader.depths);
        if let Some((value, cost)) = canonical.whole() {
            debug_assert_eq!(cost.len(), wire.len() as u64);
            if cost.total <= limits.max_size {
                return Ok(value);
            }
        }
        reader.wire(wire, &Path::Root, 0)
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
    /// `Dict` with a key twice, a `DateTime` with a fraction finer than microseconds or a leap
    /// second, a date outside years 1 to 9999 (each a [`WireError`] saying where, in an
    /// [`ErrorKind::Other`]). A value nested
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
        let mut out = Out::new(limits.max_size);
        write(&mut out, self, &Path::Root, 0, limits)?;
        out.finish()
    }
}

/// The Python library's handlers, each named by its `serializer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handler {
    Default,
    List,
    Tuple,
    Dict,
    DateTime,
    Date,
}

impl Handler {
    const ALL: [Handler; 6] = [
        Handler::Default,
        Handler::List,
        Handler::Tuple,
        Handler::Dict,
        Handler::DateTime,
        Handler::Date,
    ];

    fn name(self) -> &'static str {
        match self {
            Handler::Default => "DefaultSerializerHandler",
            Handler::List => "ListSerializerHandler",
            Handler::Tuple => "TupleSerializerHandler",
            Handler::Dict => "DictSerializerHandler",
            Handler::DateTime => "DateTimeSerializerHandler",
            Handler::Date => "DateSerializerHandler",
        }
    }

    /// The handlers whose data is a string.
    const STRINGS: [Handler; 3] = [Handler::Default, Handler::DateTime, Handler::Date];

    fn named(name: &str) -> Option<Handler> {
        Handler::ALL.into_iter().find(|h| h.name() == name)
    }
}

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
fn error(path: &Path<'_>, message: impl Into<String>) -> Error {
    let (message, path) = kimera_core::envelope::bounded_message(message.into(), path);
    WireError { path, message }.into()
}

/// Where a value is, kept as links on the stack and written out only for an error.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent, key) => write!(f, "{parent}[{key:?}]"),
        }
    }
}

/// Errors for depth: a value at nesting level `level` (the top is 0) within `limits`.
fn depth_check(level: u32, limits: &Limits) -> Result<()> {
    match level < limits.max_depth {
        true => Ok(()),
        false => Err(kimera_core::Limit::Depth
            .exceeded(limits.max_depth.into())
            .into()),
    }
}

/// The first key of `keys` that is there twice: a dict cannot hold it (Python's would keep only
/// its last value, so what is read back would not be what was written).
fn repeated<'k>(keys: impl ExactSizeIterator<Item = &'k str> + Clone) -> Option<&'k str> {
    // Few keys (structs, records) compare pairwise; many go through a set.
    if keys.len() <= 16 {
        return keys
            .clone()
            .enumerate()
            .find(|&(i, key)| keys.clone().take(i).any(|k| k == key))
            .map(|(_, key)| key);
    }
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.into_iter().find(|&key| !seen.insert(key))
}

/// The message for a repeated dict key.
fn repeated_key(key: &str) -> String {
    format!(
        "the key {key:?} appears more than once; a Python dict holds each key once, so it \
         cannot be written"
    )
}

/// The envelopes `{"data": ..., "serializer": ...}` nested in one another's strings.
struct Reader<'l> {
    limits: &'l Limits,
    /// Bytes of wire text, over all levels, still allowed.
    text_left: u64,
    /// One buffer per level for the text of the element being read there, reused.
    buffers: Vec<String>,
    /// Whether elements are read in place where they are canonical, and the envelope templates
    /// by escape depth for that.
    in_place: bool,
    depths: Vec<text::Depth>,
}

/// What an envelope's `data` was read as, before its handler says what it must be.
enum Data<'a> {
    Scalar(Token<'a>),
    /// An array of elements' wire texts, read; or the first error reading one.
    Items(Result<Vec<Value>>),
    /// An object of keys and elements' wire texts, read; or the first error reading one.
    Entries(Result<Vec<(String, Value)>>),
}

impl Data<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Data::Scalar(token) => token.kind(),
            Data::Items(_) => "an array",
            Data::Entries(_) => "an object",
        }
    }
}

/// The envelope object nests its data, and the data's items: a deeper container is not wire
/// text.
const ENVELOPE_DEPTH: u32 = 3;

impl Reader<'_> {
    fn new(limits: &Limits, in_place: bool) -> Reader<'_> {
        Reader {
            limits,
            // Every level's text counts: nested wire text is decoded again at each level, and
            // without a total bound deep nesting would multiply the memory an input costs.
            text_left: limits.max_size,
            buffers: Vec::new(),
            in_place,
            depths: Vec::new(),
        }
    }

    /// One wire text at nesting level `level`: an envelope object, read in one pass.
    fn wire(&mut self, text: &str, path: &Path<'_>, level: u32) -> Result<Value> {
        depth_check(level, self.limits)?;
        match self.text_left.checked_sub(text.len() as u64) {
            Some(left) => self.text_left = left,
            None => {
                return Err(kimera_core::Limit::Size
                    .exceeded(self.limits.max_size)
                    .into())
            }
        }
        let mut p = Parser::new(text);
        let syntax = |e: String| error(path, e);
        if p.peek() != Some(b'{') {
            let found = p.skip(ENVELOPE_DEPTH, ENVELOPE_DEPTH).map_err(syntax)?;
            p.end().map_err(syntax)?;
            return Err(error(
                path,
                format!(
                    "expected an object with `data` and `serializer`, found {}",
                    found.kind()
                ),
            ));
        }
        // What is wrong with the keys is said once the whole text is known to be JSON, as the
        // first problem found.
        let mut problem = None;
        let (mut data, mut serializer) = (None, None);
        if p.open(b'}') {
            loop {
                let key = p.key().map_err(syntax)?;
                match &*key {
                    "data" => {
                        let value = self.data(&mut p, path, level).map_err(syntax)?;
                        if data.replace(value).is_some() {
                            problem.get_or_insert_with(|| "duplicate key `data`".to_owned());
                        }
                    }
                    "serializer" => {
                        let value = p.skip(ENVELOPE_DEPTH - 1, ENVELOPE_DEPTH).map_err(syntax)?;
                        if serializer.replace(value).is_some() {
                            problem.get_or_insert_with(|| "duplicate key `serializer`".to_owned());
                        }
                    }
                    other => {
                        problem.get_or_insert_with(|| {
                            format!(
                                "unexpected key `{other}`, expected only `data` and `serializer`"
                            )
                        });
                        p.skip(ENVELOPE_DEPTH - 1, ENVELOPE_DEPTH).map_err(syntax)?;
                    }
                }
                if !p.next_item(b'}').map_err(syntax)? {
                    break;
                }
            }
        }
        p.end().map_err(syntax)?;
        if let Some(problem) = problem {
            return Err(error(path, problem));
        }
        let serializer = match serializer {
            Some(Token::Str(name)) => name,
            Some(other) => {
                return Err(error(
                    path,
                    format!("`serializer` is {}, expected a handler name", other.kind()),
                ))
            }
            None => return Err(error(path, "missing key `serializer`")),
        };
        let data = data.ok_or_else(|| error(path, "missing key `data`"))?;
        value_of(&serializer, data, path)
    }

    /// An envelope's `data`: a scalar, or the elements of an array or object read whatever the
    /// handler (which may come after): a syntax error is returned, an element's error kept.
    fn data<'a>(
        &mut self,
        p: &mut Parser<'a>,
        path: &Path<'_>,
        level: u32,
    ) -> std::result::Result<Data<'a>, String> {
        let token = p.scalar()?;
        let close = match token {
            Token::Array => b']',
            Token::Object => b'}',
            scalar => return Ok(Data::Scalar(scalar)),
        };
        let mut items = Ok(Vec::new());
        let mut entries = Ok(Vec::new());
        // Where each key is once a dict is too large to search it.
        let mut index: Option<std::collections::HashMap<String, usize>> = None;
        let mut i = 0;
        if p.open(close) {
            loop {
                let key = match close {
                    b'}' => Some(p.key()?.into_owned()),
                    _ => None,
                };
                let element = match &key {
                    Some(key) => Path::Key(path, key),
                    None => Path::Index(path, i),
                };
                let wanted = match close {
                    b'}' => entries.is_ok(),
                    _ => items.is_ok(),
                };
                let read = self.element(p, &element, level, wanted)?;
                match (read, key) {
                    (Some(Err(e)), Some(_)) => entries = Err(e),
                    (Some(Err(e)), None) => items = Err(e),
                    (Some(Ok(value)), None) => {
                        if let Ok(items) = &mut items {
                            items.push(value);
                        }
                    }
                    (Some(Ok(value)), Some(key)) => {
                        if let Ok(entries) = &mut entries {
                            insert(entries, &mut index, key, value);
                        }
                    }
                    (None, _) => {}
                }
                i += 1;
                if !p.next_item(close)? {
                    break;
                }
            }
        }
        Ok(match close {
            b'}' => Data::Entries(entries),
            _ => Data::Items(items),
        })
    }

    /// An element of a list, tuple or dict: a string holding wire text, read if `wanted` (after
    /// an error in the same container the rest is only checked).
    fn element(
        &mut self,
        p: &mut Parser<'_>,
        path: &Path<'_>,
        level: u32,
        wanted: bool,
    ) -> std::result::Result<Option<Result<Value>>, String> {
        if p.peek() != Some(b'"') {
            let found = p.skip(ENVELOPE_DEPTH - 2, ENVELOPE_DEPTH)?;
            return Ok(wanted.then(|| {
                Err(error(
                    path,
                    format!(
                        "expected an element's wire text as a string, found {}",
                        found.kind()
                    ),
                ))
            }));
        }
        if !wanted {
            return p.string(&mut ()).map(|()| None);
        }
        if self.in_place {
            let max_depth = self.limits.max_depth;
            let canonical = Canonical::new(p.text(), p.pos, level, max_depth, &mut self.depths);
            if let Some((value, cost, end)) = canonical.element() {
                if let Some(left) = self.text_left.checked_sub(cost.total) {
                    self.text_left = left;
                    p.pos = end;
                    return Ok(Some(Ok(value)));
                }
            }
        }
        let slot = level as usize;
        if self.buffers.len() <= slot {
            self.buffers.resize_with(slot + 1, String::new);
        }
        let mut text = std::mem::take(&mut self.buffers[slot]);
        text.clear();
        p.string(&mut text)?;
        let value = self.wire(&text, path, level + 1);
        self.buffers[slot] = text;
        Ok(Some(value))
    }
}

/// A dict's entry read: a repeated key keeps its first position and its last value, as in
/// Python.
fn insert(
    entries: &mut Vec<(String, Value)>,
    index: &mut Option<std::collections::HashMap<String, usize>>,
    key: String,
    value: Value,
) {
    const SEARCHED: usize = 16;
    if index.is_none() && entries.len() >= SEARCHED {
        let keys = entries.iter().enumerate().map(|(i, (k, _))| (k.clone(), i));
        *index = Some(keys.collect());
    }
    let found = match index {
        Some(index) => index.get(&key).copied(),
        None => entries.iter().position(|(k, _)| *k == key),
    };
    match found {
        Some(at) => entries[at].1 = value,
        None => {
            if let Some(index) = index {
                index.insert(key.clone(), entries.len());
            }
            entries.push((key, value));
        }
    }
}

/// The value a handler makes of its data.
fn value_of(serializer: &str, data: Data<'_>, path: &Path<'_>) -> Result<Value> {
    let Some(handler) = Handler::named(serializer) else {
        let known: Vec<&str> = Handler::ALL.iter().map(|h| h.name()).collect();
        return Err(error(
            path,
            format!(
                "unknown handler `{serializer}` (a custom handler of the Python side?); known: \
                 {}",
                known.join(", ")
            ),
        ));
    };
    match (handler, data) {
        (Handler::Default, Data::Scalar(token)) => match token {
            Token::Null => Ok(Value::None),
            Token::Bool(b) => Ok(Value::Bool(b)),
            Token::Int(i) => Ok(Value::Int(i)),
            Token::Float(f) => Ok(Value::Float(f)),
            Token::Str(s) => Ok(Value::Str(s.into_owned())),
            // `scalar` reads containers as `Data::Items` and `Data::Entries`.
            Token::Array | Token::Object => Err(error(
                path,
                format!("`{serializer}` cannot hold {} as its data", token.kind()),
            )),
        },
        (Handler::List, Data::Items(items)) => items.map(Value::List),
        (Handler::Tuple, Data::Items(items)) => items.map(Value::Tuple),
        (Handler::Dict, Data::Entries(entries)) => entries.map(Value::Dict),
        (Handler::DateTime, Data::Scalar(Token::Str(s))) => parse_datetime(&s)
            .map(Value::DateTime)
            .map_err(|e| error(path, e)),
        (Handler::Date, Data::Scalar(Token::Str(s))) => {
            parse_date(&s).map(Value::Date).map_err(|e| error(path, e))
        }
        (_, data) => Err(error(
            path,
            format!("`{serializer}` cannot hold {} as its data", data.kind()),
        )),
    }
}

/// Writes `value` at nesting level `level` (which is also its escape depth: the number of
/// strings its text sits in).
fn write(out: &mut Out, value: &Value, path: &Path<'_>, level: u32, limits: &Limits) -> Result<()> {
    depth_check(level, limits)?;
    out.enter(level)?;
    let handler = match value {
        Value::Str(s) => return out.string_value(s, Handler::Default, level),
        Value::DateTime(at_time) => {
            let text = format_datetime(at_time).map_err(|e| error(path, e))?;
            return out.string_value(&text, Handler::DateTime, level);
        }
        Value::Date(date) => {
            let text = format_date(date).map_err(|e| error(path, e))?;
            return out.string_value(&text, Handler::Date, level);
        }
        Value::None => out.scalar(level, |out| out.raw("null")),
        Value::Bool(b) => out.scalar(level, |out| out.raw(if *b { "true" } else { "false" })),
        Value::Int(i) => out.scalar(level, |out| out.int(*i)),
        Value::Float(x) => out.scalar(level, |out| out.float(*x)),
        Value::List(items) | Value::Tuple(items) => {
            out.head(level);
            out.raw("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.separator();
                }
                write(out, item, &Path::Index(path, i), level + 1, limits)?;
            }
            out.raw("]");
            match value {
                Value::List(_) => Handler::List,
                _ => Handler::Tuple,
            }
        }
        Value::Dict(entries) => {
            if let Some(key) = repeated(entries.iter().map(|(k, _)| k.as_str())) {
                return Err(error(path, repeated_key(key)));
            }
            out.head(level);
            out.raw("{");
            for (i, (key, item)) in entries.iter().enumerate() {
                out.key(key, i == 0, level)?;
                write(out, item, &Path::Key(path, key), level + 1, limits)?;
            }
            out.raw("}");
            Handler::Dict
        }
    };
    out.tail(handler, level);
    out.check()
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
