//! The JSON envelope: `{"kimera":1,"type":"shop.Order","version":3,"value":{...}}`.
//!
//! Written in that key order with the body streamed in place, read in one pass when the keys come
//! in that order. Other writers may order the keys as they like: a body that comes before the
//! header is held as raw JSON text (not parsed) until the header has been checked.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use kimera_core::envelope::{
    check_name, check_origin, data_error, encode_error, origin_hash, origin_of, reading_of,
};
use kimera_core::migration::{check_link, Older};
use kimera_core::path::{encode_path, PathSeed};
use kimera_core::{Error, ErrorKind, Guard, Header, KimeraHandler, Limit, Limits, Reading, Result};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::lossless::Lossless;

/// The wire version written under the `kimera` key.
pub const WIRE_VERSION: u8 = 1;

const FORMAT: &str = "json";

/// The envelope of `value`, ready to serialize.
pub(crate) struct Envelope<'a, T: ?Sized> {
    pub(crate) value: &'a T,
}

impl<T: KimeraHandler + Serialize + ?Sized> Serialize for Envelope<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let origin = const { origin_of::<T>() }.is_some();
        let mut s = serializer.serialize_struct("Envelope", 4 + usize::from(origin))?;
        s.serialize_field("kimera", &WIRE_VERSION)?;
        s.serialize_field("type", &Text(T::REFERENCE.display_name()))?;
        s.serialize_field("version", &T::VERSION)?;
        if origin {
            s.serialize_field("origin", &Text(T::REFERENCE.origins()))?;
        }
        s.serialize_field("value", &Lossless(self.value))?;
        s.end()
    }
}

/// An envelope whose header is known only at run time (`__private::envelope_to_vec`), laid
/// out as [`Envelope`] lays out a typed value's.
pub(crate) struct Untyped<'a, V> {
    pub(crate) type_name: &'a str,
    pub(crate) version: u32,
    pub(crate) origins: Option<&'a str>,
    pub(crate) value: V,
}

impl<V: Serialize> Serialize for Untyped<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s =
            serializer.serialize_struct("Envelope", 4 + usize::from(self.origins.is_some()))?;
        s.serialize_field("kimera", &WIRE_VERSION)?;
        s.serialize_field("type", self.type_name)?;
        s.serialize_field("version", &self.version)?;
        if let Some(origins) = self.origins {
            s.serialize_field("origin", origins)?;
        }
        s.serialize_field("value", &self.value)?;
        s.end()
    }
}

/// The compact header's literal pieces, shared by the writer ([`compact_prefix`]) and the
/// matcher ([`canonical_body`]) so the two cannot drift apart.
const OPEN: &[u8] = b"{\"kimera\":";
const TYPE: &[u8] = b",\"type\":\"";
const VERSION: &[u8] = b"\",\"version\":";
const ORIGIN: &[u8] = b",\"origin\":\"";
const VALUE: &[u8] = b",\"value\":";
/// Closes the origin's string before [`VALUE`].
const QUOTE: &[u8] = b"\"";

/// Whether `text` goes into a JSON string as it is.
fn plain(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

/// The envelope's text up to its value, as Kimera writes it compactly:
/// `{"kimera":1,"type":"<name>","version":<N>,"value":` (with `"origin":"<path>"` before
/// `value` for a type with a default name). `false` (nothing written) when the name or origin
/// is not a plain static string that needs no escaping (generic names are spelled out by the
/// serializer).
pub(crate) fn compact_prefix<T: KimeraHandler + ?Sized>(out: &mut Vec<u8>) -> bool {
    let Cow::Borrowed(name) = T::type_name() else {
        return false;
    };
    // A plain name has no generic arguments: its origin, if any, is the type's own.
    if !plain(name) || !T::REFERENCE.origin().is_none_or(plain) {
        return false;
    }
    out.extend_from_slice(OPEN);
    out.extend_from_slice(itoa::Buffer::new().format(WIRE_VERSION).as_bytes());
    out.extend_from_slice(TYPE);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(VERSION);
    out.extend_from_slice(itoa::Buffer::new().format(T::VERSION).as_bytes());
    if let Some(origin) = T::REFERENCE.origin() {
        out.extend_from_slice(ORIGIN);
        out.extend_from_slice(origin.as_bytes());
        out.extend_from_slice(QUOTE);
    }
    out.extend_from_slice(VALUE);
    true
}

/// The value's text if `bytes` is an envelope of `T` exactly as Kimera writes it compactly
/// (see [`compact_prefix`]); `None` sends the caller to the general reader, which accepts any
/// key order and whitespace and names what is wrong.
fn canonical_body<T: KimeraHandler + ?Sized>(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(OPEN)?;
    let rest = rest.strip_prefix(itoa::Buffer::new().format(WIRE_VERSION).as_bytes())?;
    let rest = rest.strip_prefix(TYPE)?;
    let quote = rest.iter().position(|&b| b == b'"')?;
    let name = std::str::from_utf8(&rest[..quote]).ok()?;
    if name.contains('\\') || !T::REFERENCE.name_matches(name) {
        return None;
    }
    let rest = rest[quote..].strip_prefix(VERSION)?;
    let mut rest = rest.strip_prefix(itoa::Buffer::new().format(T::VERSION).as_bytes())?;
    // Origins of generic arguments are left to the general reader.
    let origin = match (const { origin_of::<T>() }, T::REFERENCE.origin()) {
        (None, _) => None,
        (Some(_), None) => return None,
        (Some(_), Some(origin)) => Some(origin),
    };
    if let Some(origin) = origin {
        rest = rest
            .strip_prefix(ORIGIN)?
            .strip_prefix(origin.as_bytes())?
            .strip_prefix(QUOTE)?;
    }
    let rest = rest.strip_prefix(VALUE)?;
    let end = rest.iter().rposition(|b| !b.is_ascii_whitespace())?;
    (rest[end] == b'}').then_some(&rest[..end])
}

/// The header of an envelope written as Kimera writes it compactly (see [`compact_prefix`]),
/// read from its first bytes alone: the value is not looked at, so the envelope may still be
/// invalid. `None` for any other text, which [`header`] reads.
pub(crate) fn compact_header(bytes: &[u8]) -> Option<Header<'_>> {
    let rest = bytes.strip_prefix(OPEN)?;
    let rest = rest.strip_prefix(itoa::Buffer::new().format(WIRE_VERSION).as_bytes())?;
    let rest = rest.strip_prefix(TYPE)?;
    let quote = rest.iter().position(|&b| b == b'"')?;
    let name = std::str::from_utf8(&rest[..quote]).ok()?;
    if name.contains('\\') {
        return None;
    }
    let rest = rest[quote..].strip_prefix(VERSION)?;
    let digits = rest.iter().position(|b| !b.is_ascii_digit())?;
    let version = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = &rest[digits..];
    let (origin, rest) = match rest.strip_prefix(ORIGIN) {
        Some(rest) => {
            let quote = rest.iter().position(|&b| b == b'"')?;
            let origins = std::str::from_utf8(&rest[..quote]).ok()?;
            if origins.contains('\\') {
                return None;
            }
            (Some(origin_hash(origins)), &rest[quote + 1..])
        }
        None => (None, rest),
    };
    rest.strip_prefix(VALUE)?;
    Some(Header::new(name, version).with_origin(origin))
}

/// A type name or origins written straight from the schema, without building a `String`.
struct Text<D>(D);

impl<D: fmt::Display> Serialize for Text<D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Turns a serde_json error from encoding a `T` into a Kimera error, with the field path.
///
/// Cold and out of line: inlined, the second pass grows the encode it is called from.
#[cold]
#[inline(never)]
pub(crate) fn encode_failure<T: KimeraHandler + Serialize + ?Sized>(
    value: &T,
    err: serde_json::Error,
) -> Error {
    if err.is_io() {
        return ErrorKind::Io(err.into()).into();
    }
    let path = encode_path(&Lossless(value), |tracked| {
        let _ = tracked.serialize(&mut serde_json::Serializer::new(std::io::sink()));
    });
    encode_error::<T>(path, err).into()
}

/// Decodes one envelope holding a `T` from `bytes`.
pub(crate) fn decode<'de, T>(bytes: &'de [u8], limits: &Limits) -> Result<T>
where
    T: KimeraHandler + Deserialize<'de>,
{
    if bytes.len() as u64 > limits.max_size {
        return Err(Limit::Size.exceeded(limits.max_size).into());
    }
    if let Some(body) = canonical_body::<T>(bytes) {
        // The common case, without parsing the header: one comparison against what Kimera
        // writes. Any failure is left to the general reader below, which explains it.
        let guard = Guard::new(limits, bytes.len());
        let mut de = serde_json::Deserializer::from_slice(body);
        let parsed = T::deserialize(guard.deserializer(&mut de)).and_then(|v| de.end().map(|()| v));
        if let Ok(value) = parsed {
            return Ok(value);
        }
    }
    sniff_object(bytes)?;
    let guard = Guard::new(limits, bytes.len());
    let (err, in_body) = match decode_with::<T>(bytes, &guard, false) {
        Ok(Decoded::Current(value)) => return Ok(value),
        Ok(Decoded::Older {
            type_name,
            version,
            body,
        }) => {
            return T::migrate(JsonOlder {
                header: Header::new(type_name, version),
                body,
                limits,
            })
        }
        Err(Failure::Kimera(err)) => return Err(err),
        Err(Failure::Path(path, message)) => return Err(data_error::<T>(path, message).into()),
        Err(Failure::Json { err, in_body }) => (err, in_body),
    };
    if let Some(kind) = guard.exceeded() {
        return Err(kind.into());
    }
    let err = match classify(bytes, err, Input::Envelope) {
        Ok(kimera) => return Err(kimera),
        Err(err) if !in_body => {
            return Err(match has_kimera_key(bytes) {
                Some(false) => not_envelope(format_args!("{err}{PLAIN_HINT}")),
                _ => not_envelope(err),
            })
        }
        Err(err) => err,
    };
    // Error path only: decode again, tracking the field path.
    let guard = Guard::new(limits, bytes.len());
    match decode_with::<T>(bytes, &guard, true) {
        Err(Failure::Path(path, message)) => Err(data_error::<T>(path, message).into()),
        _ => Err(data_error::<T>(".", err).into()),
    }
}

/// What the envelope visitor returns: the value, or an older version's body still as text.
enum Decoded<'de, T> {
    Current(T),
    Older {
        type_name: Cow<'de, str>,
        version: u32,
        body: &'de RawValue,
    },
}

/// The body of an envelope written by an older version, for [`KimeraHandler::migrate`].
struct JsonOlder<'de, 'l> {
    header: Header<'de>,
    body: &'de RawValue,
    limits: &'l Limits,
}

impl<'de> Older<'de> for JsonOlder<'de, '_> {
    fn version(&self) -> u32 {
        self.header.version
    }

    fn decode<U: KimeraHandler + Deserialize<'de>>(self) -> Result<U> {
        check_link::<U>(&self.header)?;
        crate::plain::decode(self.body.get().as_bytes(), self.limits, Input::Body)
    }
}

/// Reads the envelope's header, skipping over the body without building it.
pub(crate) fn header(bytes: &[u8]) -> Result<Header<'_>> {
    sniff_object(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = HeaderOnly
        .deserialize(&mut de)
        .and_then(|h| de.end().map(|()| h));
    match parsed {
        Ok(header) => header.finish(),
        Err(err) => Err(classify(bytes, err, Input::Envelope).unwrap_or_else(not_envelope)),
    }
}

fn sniff_object(bytes: &[u8]) -> Result<()> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        Some(_) => Err(not_envelope("the input is not a JSON object")),
        None => Err(ErrorKind::Truncated {
            context: "JSON envelope",
            offset: bytes.len() as u64,
        }
        .into()),
    }
}

/// Said of a JSON object without a `kimera` key: most likely JSON that another program wrote.
const PLAIN_HINT: &str =
    " (the object has no `kimera` key: JSON without an envelope is read with `kimera::json::from_plain_str`)";

/// Whether the JSON object `bytes` hold has a `kimera` key at the top level; `None` if they do
/// not hold one whole object. Reads the keys only, skipping the values (error paths only).
pub(crate) fn has_kimera_key(bytes: &[u8]) -> Option<bool> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            // To the end: serde_json refuses a map left half read.
            let mut found = false;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                found |= key == "kimera";
                map.next_value::<IgnoredAny>()?;
            }
            Ok(found)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = de.deserialize_map(Keys).ok()?;
    de.end().ok().map(|()| found)
}

fn not_envelope(reason: impl fmt::Display) -> Error {
    kimera_core::envelope::not_envelope(FORMAT, reason).into()
}

/// Why a decode failed, before it is turned into a Kimera error.
enum Failure {
    /// The envelope itself said no (wrong type, version, ...).
    Kimera(Error),
    /// serde_json failed; `in_body` if inside the value.
    Json {
        err: serde_json::Error,
        in_body: bool,
    },
    /// A body error found by the path-tracking pass.
    Path(String, String),
}

fn decode_with<'de, T>(
    bytes: &'de [u8],
    guard: &Guard,
    track: bool,
) -> Result<Decoded<'de, T>, Failure>
where
    T: KimeraHandler + Deserialize<'de>,
{
    let state = State::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = EnvelopeSeed::<T> {
        guard,
        state: &state,
        track,
        marker: PhantomData,
    };
    let result = seed
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    if let Some(failure) = state.failure.into_inner() {
        return Err(failure);
    }
    result.map_err(|err| Failure::Json {
        err,
        in_body: state.in_body.get(),
    })
}

/// What the bytes handed to serde_json are, for the errors about them as a whole.
#[derive(Clone, Copy)]
pub(crate) enum Input {
    /// A whole envelope.
    Envelope,
    /// The value of an envelope, decoded alone (an older version's body).
    Body,
    /// Plain JSON, without an envelope.
    Value,
}

/// The Kimera error for serde_json errors that are about the input as a whole (truncation,
/// trailing bytes, nesting); other errors are handed back.
pub(crate) fn classify(
    bytes: &[u8],
    err: serde_json::Error,
    input: Input,
) -> Result<Error, serde_json::Error> {
    use serde_json::error::Category;
    if err.classify() == Category::Eof {
        return Ok(ErrorKind::Truncated {
            context: match input {
                Input::Envelope | Input::Body => "JSON envelope",
                Input::Value => "JSON value",
            },
            offset: bytes.len() as u64,
        }
        .into());
    }
    let message = err.to_string();
    if message.starts_with("trailing characters") {
        let offset = byte_offset(bytes, err.line(), err.column());
        return Ok(ErrorKind::TrailingBytes {
            count: (bytes.len() - offset) as u64,
        }
        .into());
    }
    if message.starts_with("recursion limit exceeded") {
        // serde_json's own bound fired before Kimera's: 128 levels of the input, of which an
        // envelope takes one.
        let max = match input {
            Input::Envelope => 127,
            Input::Body | Input::Value => 128,
        };
        return Ok(kimera_core::Limit::Depth.exceeded(max).into());
    }
    Err(err)
}

/// The byte offset of serde_json's 1-based line and column (the column of the offending byte).
pub(crate) fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = bytes
        .split_inclusive(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum::<usize>();
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// Failures and progress recorded by the envelope visitor, read after serde_json returns.
#[derive(Default)]
struct State {
    failure: RefCell<Option<Failure>>,
    in_body: std::cell::Cell<bool>,
}

impl State {
    fn fail<E: de::Error>(&self, failure: Failure) -> E {
        let message = match &failure {
            Failure::Kimera(err) => err.to_string(),
            _ => String::from("invalid body"),
        };
        *self.failure.borrow_mut() = Some(failure);
        E::custom(message)
    }
}

struct EnvelopeSeed<'s, T> {
    guard: &'s Guard,
    state: &'s State,
    track: bool,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: KimeraHandler + Deserialize<'de>> DeserializeSeed<'de> for EnvelopeSeed<'_, T> {
    type Value = Decoded<'de, T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// The envelope's keys.
#[derive(Clone, Copy, Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Key {
    Kimera,
    Type,
    Version,
    Origin,
    Value,
}

/// The header fields seen so far.
#[derive(Default)]
struct Seen<'de> {
    wire: Option<u32>,
    type_name: Option<Cow<'de, str>>,
    version: Option<u32>,
    /// The [`origin_hash`] of the writer's origin, if it wrote one.
    origin: Option<u32>,
}

impl<'de> Seen<'de> {
    /// Records one header key; `Err` with a reason on a duplicate or a bad wire version.
    fn read<A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
    ) -> Result<Option<Error>, A::Error> {
        fn duplicate(key: &str) -> Option<Error> {
            Some(not_envelope(format_args!("duplicate key `{key}`")))
        }
        match key {
            Key::Kimera if self.wire.is_some() => Ok(duplicate("kimera")),
            Key::Type if self.type_name.is_some() => Ok(duplicate("type")),
            Key::Version if self.version.is_some() => Ok(duplicate("version")),
            Key::Origin if self.origin.is_some() => Ok(duplicate("origin")),
            Key::Origin => {
                self.origin = Some(origin_hash(&map.next_value::<NameIn<'de>>()?.0));
                Ok(None)
            }
            Key::Kimera => {
                let wire = map.next_value::<u32>()?;
                self.wire = Some(wire);
                Ok((wire != u32::from(WIRE_VERSION)).then(|| {
                    ErrorKind::UnsupportedWireVersion {
                        format: FORMAT,
                        found: wire,
                        supported: WIRE_VERSION.into(),
                    }
                    .into()
                }))
            }
            Key::Type => {
                self.type_name = Some(map.next_value::<NameIn<'de>>()?.0);
                Ok(None)
            }
            Key::Version => {
                self.version = Some(map.next_value::<u32>()?);
                Ok(None)
            }
            Key::Value => unreachable!("the caller handles the value"),
        }
    }

    fn complete(&self) -> bool {
        self.wire.is_some() && self.type_name.is_some() && self.version.is_some()
    }

    /// Checks that the header is complete and its version is `T`'s or older. The name needs
    /// no check here: the visitor checks it as soon as it and the wire version are both known.
    /// JSON carries no fingerprint.
    fn check<T: KimeraHandler + ?Sized>(&self) -> Result<Reading> {
        match (&self.wire, &self.type_name, self.version) {
            (Some(_), Some(name), Some(version)) => {
                let reading = reading_of::<T>(version)?;
                if let Reading::Current = reading {
                    check_origin::<T>(name, self.origin)?;
                }
                Ok(reading)
            }
            (None, ..) => Err(not_envelope(format_args!(
                "missing key `kimera`{PLAIN_HINT}"
            ))),
            (_, None, _) => Err(not_envelope("missing key `type`")),
            (.., None) => Err(not_envelope("missing key `version`")),
        }
    }
}

impl<'de, T: KimeraHandler + Deserialize<'de>> Visitor<'de> for EnvelopeSeed<'_, T> {
    type Value = Decoded<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kimera JSON envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = Seen::default();
        let mut value = None;
        let mut early_body: Option<&'de RawValue> = None;
        while let Some(key) = map.next_key::<Key>()? {
            if !matches!(key, Key::Value) {
                if let Some(err) = seen.read(key, &mut map)? {
                    return Err(self.state.fail(Failure::Kimera(err)));
                }
                if matches!(key, Key::Type | Key::Kimera)
                    && seen.type_name.is_some()
                    && seen.wire.is_some()
                {
                    // A wrong type is reported as soon as it is seen, once the wire version
                    // (checked first) says how to read it.
                    let name = seen.type_name.as_deref().unwrap_or_default();
                    if let Err(err) = check_name::<T>(name) {
                        return Err(self.state.fail(Failure::Kimera(err)));
                    }
                }
                continue;
            }
            if value.is_some() || early_body.is_some() {
                return Err(self
                    .state
                    .fail(Failure::Kimera(not_envelope("duplicate key `value`"))));
            }
            // Hold the body as text when the header is not complete yet (written by someone
            // else in another key order) or names an older version, which its own type reads
            // after the map; check, then parse.
            // An origin after the value (another writer's key order) is checked before the
            // value is parsed, so that a value of another type is named as such.
            let origin_pending = seen.origin.is_none() && const { origin_of::<T>() }.is_some();
            let hold = match (seen.complete() && !origin_pending).then(|| seen.check::<T>()) {
                None | Some(Ok(Reading::Migrate { .. })) => true,
                Some(Ok(Reading::Current)) => false,
                Some(Err(err)) => return Err(self.state.fail(Failure::Kimera(err))),
            };
            if hold {
                // A syntax error in the value is a data error, as when it is parsed in place.
                self.state.in_body.set(true);
                early_body = Some(map.next_value::<&'de RawValue>()?);
                self.state.in_body.set(false);
                continue;
            }
            self.state.in_body.set(true);
            value = Some(map.next_value_seed(BodySeed::<T> { outer: &self })?);
            self.state.in_body.set(false);
        }
        let reading = match seen.check::<T>() {
            Ok(reading) => reading,
            Err(err) => return Err(self.state.fail(Failure::Kimera(err))),
        };
        if let (Reading::Migrate { from }, Some(body)) = (reading, early_body) {
            return Ok(Decoded::Older {
                type_name: seen.type_name.unwrap_or_default(),
                version: from,
                body,
            });
        }
        if let Some(raw) = early_body {
            self.state.in_body.set(true);
            let mut de = serde_json::Deserializer::from_str(raw.get());
            let parsed = BodySeed::<T> { outer: &self }.deserialize(&mut de);
            return parsed.map(Decoded::Current).map_err(|err| {
                let recorded = self.state.failure.borrow().is_some();
                if recorded {
                    de::Error::custom("invalid body")
                } else {
                    self.state.fail(Failure::Json { err, in_body: true })
                }
            });
        }
        value.map(Decoded::Current).ok_or_else(|| {
            self.state
                .fail(Failure::Kimera(not_envelope("missing key `value`")))
        })
    }
}

struct BodySeed<'a, 's, T> {
    outer: &'a EnvelopeSeed<'s, T>,
}

impl<'de, T: KimeraHandler + Deserialize<'de>> DeserializeSeed<'de> for BodySeed<'_, '_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        let guarded = self.outer.guard.deserializer(deserializer);
        if !self.outer.track {
            return T::deserialize(guarded);
        }
        let path = RefCell::new(None);
        PathSeed::<T>::new(&path)
            .deserialize(guarded)
            .map_err(|err| {
                let path = path
                    .into_inner()
                    .map_or_else(|| ".".to_owned(), |p| p.to_string());
                self.outer.state.fail(Failure::Path(path, err.to_string()))
            })
    }
}

/// A type name, borrowed from the input when it has no escapes.
struct NameIn<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for NameIn<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = NameIn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a type name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(NameIn(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(NameIn(v.to_owned().into()))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// Reads only the header of an envelope.
struct HeaderOnly;

struct PartialHeader<'de> {
    seen: Seen<'de>,
    failure: Option<Error>,
}

impl PartialHeader<'_> {
    fn finish(self) -> Result<Header<'static>> {
        let Seen {
            wire,
            type_name,
            version,
            origin,
        } = self.seen;
        if let Some(err) = self.failure {
            return Err(err);
        }
        match (wire, type_name, version) {
            (Some(_), Some(name), Some(version)) => {
                Ok(Header::new(name.into_owned(), version).with_origin(origin))
            }
            _ => Err(not_envelope("missing header keys")),
        }
    }
}

impl<'de> DeserializeSeed<'de> for HeaderOnly {
    type Value = PartialHeader<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderOnly {
    type Value = PartialHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kimera JSON envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = PartialHeader {
            seen: Seen::default(),
            failure: None,
        };
        let mut has_value = false;
        while let Some(key) = map.next_key::<Key>()? {
            if let Key::Value = key {
                has_value = true;
                map.next_value::<IgnoredAny>()?;
            } else if let Some(err) = header.seen.read(key, &mut map)? {
                header.failure.get_or_insert(err);
            }
        }
        if !has_value {
            header
                .failure
                .get_or_insert(not_envelope("missing key `value`"));
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use kimera_core::{ErrorKind, Limits};

    #[test]
    fn the_compact_header_is_the_full_readers_header() {
        let written = [
            super::super::to_vec(&(1u8, "x")).unwrap(),
            super::super::to_vec(&vec![Some(2.5f64)]).unwrap(),
            br#"{"kimera":1,"type":"Event","version":12,"origin":"app::Event","value":{}}"#
                .to_vec(),
        ];
        for bytes in &written {
            let fast = super::compact_header(bytes).expect("written compactly");
            let full = super::header(bytes).unwrap();
            assert_eq!(
                (fast.type_name, fast.version, fast.origin),
                (full.type_name, full.version, full.origin)
            );
        }
        // Anything else goes to the full reader.
        for text in [
            r#"{"type":"u8","kimera":1,"version":1,"value":1}"#,
            r#"{"kimera":1, "type":"u8","version":1,"value":1}"#,
            r#"{"kimera":1,"type":"a\"b","version":1,"value":1}"#,
            r#"{"kimera":1,"type":"u8","version":-1,"value":1}"#,
            r#"{"kimera":1,"type":"u8","version":1,"valu"#,
        ] {
            assert!(super::compact_header(text.as_bytes()).is_none(), "{text}");
        }
    }

    fn decode<'de, T: kimera_core::KimeraHandler + serde::Deserialize<'de>>(
        text: &'de str,
    ) -> Result<T, ErrorKind> {
        super::decode::<T>(text.as_bytes(), &Limits::default()).map_err(|e| e.into_kind())
    }

    #[test]
    fn keys_may_come_in_any_order() {
        let v: Vec<u8> =
            decode(r#" {"value":[1,2], "version":1, "type":"list<u8>", "kimera":1} "#).unwrap();
        assert_eq!(v, [1, 2]);
        let v: String = decode(r#"{"type":"str","value":"x","kimera":1,"version":1}"#).unwrap();
        assert_eq!(v, "x");
    }

    #[test]
    fn an_early_body_is_checked_before_it_is_parsed() {
        // The body is not a u8, but the type is reported first.
        let err = decode::<u8>(r#"{"value":"not a number","kimera":1,"type":"str","version":1}"#);
        assert!(
            matches!(err, Err(ErrorKind::TypeMismatch { .. })),
            "{err:?}"
        );
        let err = decode::<u8>(r#"{"value":"x","kimera":1,"type":"u8","version":1}"#);
        assert!(matches!(err, Err(ErrorKind::Data { .. })), "{err:?}");
    }

    #[test]
    fn malformed_envelopes_are_named() {
        let not_envelope = |text: &str| {
            let err = decode::<u8>(text);
            assert!(
                matches!(err, Err(ErrorKind::NotAnEnvelope { .. })),
                "{text}: {err:?}"
            );
        };
        not_envelope(r#"{"kimera":1,"type":"u8","version":1}"#);
        not_envelope(r#"{"kimera":1,"type":"u8","value":1}"#);
        not_envelope(r#"{"type":"u8","version":1,"value":1}"#);
        not_envelope(r#"{"kimera":1,"kimera":1,"type":"u8","version":1,"value":1}"#);
        not_envelope(r#"{"kimera":1,"type":"u8","version":1,"value":1,"value":2}"#);
        not_envelope(r#"{"kimera":1,"type":"u8","version":1,"value":1,"extra":0}"#);
        not_envelope(r#"{"kimera":"1","type":"u8","version":1,"value":1}"#);
        not_envelope("[1]");
        assert!(matches!(
            decode::<u8>(r#"{"kimera":2,"type":"u8","version":1,"value":1}"#),
            Err(ErrorKind::UnsupportedWireVersion {
                found: 2,
                supported: 1,
                ..
            })
        ));
        assert!(matches!(
            decode::<u8>(r#"{"kimera":1,"type":"u8","version":1,"value":1} x"#),
            Err(ErrorKind::TrailingBytes { count: 1 })
        ));
        assert!(matches!(
            decode::<u8>(r#"{"kimera":1,"type":"u8""#),
            Err(ErrorKind::Truncated { .. })
        ));
        assert!(matches!(
            decode::<u8>("   "),
            Err(ErrorKind::Truncated { .. })
        ));
    }

    #[test]
    fn escaped_type_names_are_compared_unescaped() {
        let v: u8 = decode(r#"{"kimera":1,"type":"\u0075\u0038","version":1,"value":1}"#).unwrap();
        assert_eq!(v, 1);
    }

    #[test]
    fn header_reads_without_decoding_the_body() {
        let header = super::header(
            br#"{"kimera":1,"type":"shop.Order","version":3,"value":{"deep":[[[]]]}}"#,
        )
        .unwrap();
        assert_eq!(header.type_name, "shop.Order");
        assert_eq!(header.version, 3);
        assert_eq!(header.fingerprint, None);
        assert!(super::header(br#"{"kimera":1,"type":"x","version":3}"#).is_err());
    }
}
