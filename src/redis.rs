//! Values in Redis through the `redis` crate (feature `redis`), shared with Python services.
//!
//! Each wrapper is one family of values a key (or a hash or stream field) can hold:
//!
//! | wrapper | writes | reads |
//! |---|---|---|
//! | [`BinaryValue<T>`] | a binary envelope (compact, checksummed) | an envelope of either backend |
//! | [`JsonValue<T>`] | a JSON envelope (plain JSON, readable by `redis-cli` and any language) | an envelope of either backend |
//! | [`PythonJson<T>`] | the Python Kimera library's JSON (`KimeraSerializer`), typed as [`python::to_string`] writes it | the same, as [`python::from_str`] reads it |
//! | [`PythonValue`] | that JSON, from the dynamic [`python::Value`] | the same |
//! | [`Pickle<T>`] | a protocol 4 pickle, as [`pickle::to_vec`] writes it (the library's `Pickle` serializer reads it with `pickle.loads`) | any protocol's pickle, as [`pickle::from_slice`] reads it: never running code |
//! | [`PickleValue`] | a pickle of the dynamic [`pickle::Value`] | the same |
//!
//! Envelopes are detected as [`from_slice`](crate::from_slice) detects them, and values written
//! by older versions of a type are migrated on read, as everywhere in Kimera.
//!
//! Writing goes through `encode`, which gives the bytes ([`Encoded`], a `ToRedisArgs`) or
//! Kimera's error: redis's `ToRedisArgs` cannot fail, and a value Kimera cannot write (a NaN in
//! JSON, a date Python cannot hold) must not reach Redis as something else.
//!
//! Reading is `FromRedisValue`. A key that holds no value (a nil reply) is an error that says
//! so; read an `Option<BinaryValue<T>>` (and so on) to get `None` for it instead, as with every
//! type the redis crate reads. A value that does not decode is a redis error whose message is
//! Kimera's (what was expected, what was found, and where in the value), after the redis crate's
//! own prefix for conversion errors, `Incompatible type - `.
//!
//! ```
//! use kimera::redis::redis::{FromRedisValue, ToRedisArgs, Value};
//! use kimera::redis::{BinaryValue, JsonValue};
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "shop.Order")]
//! struct Order { id: u64, customer: String }
//!
//! let order = Order { id: 7, customer: "ada".into() };
//! // `SET order:7 <this>`, with a connection: `con.set("order:7", BinaryValue(&order).encode()?)`.
//! let args = BinaryValue(&order).encode()?.to_redis_args();
//! assert_eq!(args.len(), 1);
//!
//! // What `GET order:7` answers, read back; a JSON envelope reads the same.
//! let reply = Value::BulkString(args[0].clone());
//! let BinaryValue(back) = BinaryValue::<Order>::from_redis_value(reply)?;
//! assert_eq!(back, order);
//! let reply = Value::BulkString(JsonValue(&order).encode()?.into_bytes());
//! assert_eq!(BinaryValue::<Order>::from_redis_value(reply)?.0, order);
//!
//! // A missing key: an error saying so, or `None` as an `Option`.
//! let err = JsonValue::<Order>::from_redis_value(Value::Nil).unwrap_err();
//! assert!(err.to_string().contains("the key holds no value"));
//! assert_eq!(Option::<JsonValue<Order>>::from_redis_value(Value::Nil)?, None);
//!
//! // Another type's envelope: Kimera's message.
//! let reply = Value::BulkString(kimera::json::to_vec(&"a string")?);
//! let err = JsonValue::<Order>::from_redis_value(reply).unwrap_err();
//! assert_eq!(err.to_string(), "Incompatible type - type mismatch: expected `shop.Order`, found `str`");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::{Deref, DerefMut};

/// The redis crate these wrappers are built against (1.2): use it, or the same major version,
/// in the application, so that its traits are the ones implemented here.
pub use redis;

use kimera_core::KimeraHandler;
use redis::{FromRedisValue, ParsingError, RedisWrite, ToRedisArgs, ToSingleRedisArg, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{pickle, python};

/// A value written as a binary envelope; reads an envelope of either backend back, migrating
/// older versions. Encodes a `T` or a `&T`.
///
/// ```
/// use kimera::redis::redis::{FromRedisValue, Value};
/// use kimera::redis::BinaryValue;
///
/// let bytes = BinaryValue(&vec![1u32, 2]).encode()?.into_bytes();
/// assert_eq!(&bytes[..2], [0x4B, 0xE5]); // a binary envelope's magic bytes
/// let back = BinaryValue::<Vec<u32>>::from_redis_value(Value::BulkString(bytes))?;
/// assert_eq!(back.into_inner(), [1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BinaryValue<T>(pub T);

/// A value written as a JSON envelope; reads an envelope of either backend back, migrating
/// older versions. Encodes a `T` or a `&T`.
///
/// ```
/// use kimera::redis::redis::{FromRedisValue, Value};
/// use kimera::redis::JsonValue;
///
/// let bytes = JsonValue(&(1u8, "a")).encode()?.into_bytes();
/// assert_eq!(bytes, br#"{"kimera":1,"type":"tuple<u8,str>","version":1,"value":[1,"a"]}"#);
/// let back = JsonValue::<(u8, String)>::from_redis_value(Value::BulkString(bytes))?;
/// assert_eq!(*back, (1, "a".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonValue<T>(pub T);

/// A typed value in the Python Kimera library's JSON format, byte for byte as
/// [`python::to_string`] writes it and the Python side's
/// `KimeraSerializer` reads it; reads what either side writes of the same shape. Encodes a `T`
/// or a `&T`.
///
/// ```
/// use kimera::redis::redis::{FromRedisValue, Value};
/// use kimera::redis::PythonJson;
///
/// let bytes = PythonJson(&Some(3i64)).encode()?.into_bytes();
/// assert_eq!(bytes, br#"{"data": 3, "serializer": "DefaultSerializerHandler"}"#);
/// let back = PythonJson::<Option<i64>>::from_redis_value(Value::BulkString(bytes))?;
/// assert_eq!(back.0, Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonJson<T>(pub T);

/// A value of the Python library's dynamic model ([`python::Value`]) in its JSON format: for
/// keys whose shape only the Python side knows.
///
/// ```
/// use kimera::python::Value as Py;
/// use kimera::redis::redis::{FromRedisValue, Value};
/// use kimera::redis::PythonValue;
///
/// let wire = r#"{"data": ["{\"data\": 1, \"serializer\": \"DefaultSerializerHandler\"}"], "serializer": "TupleSerializerHandler"}"#;
/// let value = PythonValue::from_redis_value(Value::BulkString(wire.into()))?;
/// assert_eq!(*value, Py::Tuple(vec![Py::Int(1)]));
/// assert_eq!(value.encode()?.as_bytes(), wire.as_bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PythonValue(pub python::Value);

/// A typed value pickled, as the Python library's `Pickle` serializer (`pickle.dumps`) stores
/// it: written as [`pickle::to_vec`] writes it (a protocol 4 pickle whose dicts, datetimes and
/// sets Python code sees as its own), read from any protocol as [`pickle::from_slice`] reads
/// it, which never runs code or builds a class. Encodes a `T` or a `&T`.
///
/// ```
/// use kimera::redis::redis::{FromRedisValue, Value};
/// use kimera::redis::Pickle;
///
/// // What a Python service stored: `r.set("scores", pickle.dumps({"ada": 3}))`.
/// let reply = Value::BulkString(b"\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x03ada\x94K\x03s.".to_vec());
/// let scores = Pickle::<std::collections::HashMap<String, u32>>::from_redis_value(reply)?;
/// assert_eq!(scores["ada"], 3);
/// let bytes = Pickle(&*scores).encode()?.into_bytes();
/// assert_eq!(bytes, b"\x80\x04}\x8c\x03adaK\x03s."); // protocol 4, for `pickle.loads`
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pickle<T>(pub T);

/// A pickle of the dynamic [`pickle::Value`]: for keys whose shape only the Python side knows.
///
/// ```
/// use kimera::pickle::Value as Py;
/// use kimera::redis::redis::{FromRedisValue, Value};
/// use kimera::redis::PickleValue;
///
/// // pickle.dumps(("a", b"\x00"), protocol=2)
/// let reply = Value::BulkString(b"\x80\x02X\x01\x00\x00\x00aq\x00c_codecs\nencode\nq\x01X\x01\x00\x00\x00\x00q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05\x86q\x06.".to_vec());
/// let value = PickleValue::from_redis_value(reply)?;
/// assert_eq!(*value, Py::Tuple(vec![Py::Str("a".into()), Py::Bytes(vec![0])]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PickleValue(pub pickle::Value);

/// A value encoded by one of this module's wrappers: one Redis argument (`SET key <it>`, a
/// hash or stream field's value), or bytes to hand on.
///
/// ```
/// use kimera::redis::redis::ToRedisArgs;
/// use kimera::redis::JsonValue;
///
/// let encoded = JsonValue(&true).encode()?;
/// assert_eq!(encoded.to_redis_args(), [encoded.as_bytes().to_vec()]);
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Encoded(Vec<u8>);

impl Encoded {
    /// The bytes Redis is sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes Redis is sent, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl ToRedisArgs for Encoded {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        out.write_arg(&self.0);
    }
}

impl ToSingleRedisArg for Encoded {}

/// What every wrapper has: access to the value, `encode` and `FromRedisValue`. `$inner` is
/// what it holds; `encode` turns a `&$inner` into bytes, `decode` bytes into an `$inner` (or
/// the sentence saying why not); `$expected` names the family in messages. A family is one
/// more invocation (the pickle ones will be).
macro_rules! wrapper {
    (
        $wrapper:ident<$($t:ident)?> holds $inner:ty, $expected:literal;
        encode where [$($encode_bounds:tt)*] = $encode:expr;
        decode where [$($decode_bounds:tt)*] = $decode:expr;
        $(#[$errors:meta])*
    ) => {
        impl<$($t)?> $wrapper<$($t)?> {
            /// The value.
            pub fn into_inner(self) -> $inner {
                self.0
            }
        }

        impl<$($t)?> Deref for $wrapper<$($t)?> {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.0
            }
        }

        impl<$($t)?> DerefMut for $wrapper<$($t)?> {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.0
            }
        }

        impl<$($t)?> $wrapper<$($t)?>
        where
            $($encode_bounds)*
        {
            /// The bytes to store: one Redis argument (see the type's example).
            ///
            /// # Errors
            ///
            $(#[$errors])*
            pub fn encode(&self) -> crate::Result<Encoded> {
                let encode: fn(&$inner) -> crate::Result<Vec<u8>> = $encode;
                encode(&self.0).map(Encoded)
            }
        }

        impl<$($t)?> FromRedisValue for $wrapper<$($t)?>
        where
            $($decode_bounds)*
        {
            fn from_redis_value_ref(value: &Value) -> Result<Self, ParsingError> {
                let decode: fn(&[u8]) -> Result<$inner, String> = $decode;
                read(value, $expected, decode).map($wrapper)
            }

            fn from_redis_value(value: Value) -> Result<Self, ParsingError> {
                Self::from_redis_value_ref(&value)
            }
        }
    };
}

wrapper! {
    BinaryValue<T> holds T, "a Kimera envelope";
    encode where [T: KimeraHandler + Serialize] = |value| crate::binary::to_vec(value);
    decode where [T: KimeraHandler + DeserializeOwned] =
        |bytes| crate::from_slice(bytes).map_err(sentence);
    /// As [`binary::to_vec`](crate::binary::to_vec): a value the binary backend cannot write
    /// exactly.
}

wrapper! {
    JsonValue<T> holds T, "a Kimera envelope";
    encode where [T: KimeraHandler + Serialize] = |value| crate::json::to_vec(value);
    decode where [T: KimeraHandler + DeserializeOwned] =
        |bytes| crate::from_slice(bytes).map_err(sentence);
    /// As [`json::to_vec`](crate::json::to_vec): a value JSON cannot hold exactly (NaN,
    /// `Some(None)`, ...).
}

wrapper! {
    PythonJson<T> holds T, "the Python Kimera library's JSON";
    encode where [T: KimeraHandler + Serialize] =
        |value| python::to_string(value).map(String::into_bytes);
    decode where [T: KimeraHandler + DeserializeOwned] =
        |bytes| python::from_str(text(bytes)?).map_err(sentence);
    /// As [`python::to_string`]: what the Python format cannot hold
    /// (an integer beyond 64 bits, a date outside years 1 to 9999, ...).
}

wrapper! {
    PythonValue<> holds python::Value, "the Python Kimera library's JSON";
    encode where [] = |value| value.to_wire().map(String::into_bytes);
    decode where [] = |bytes| python::Value::from_wire(text(bytes)?).map_err(sentence);
    /// As [`python::Value::to_wire`]: what the Python side could not read back as the same value.
}

wrapper! {
    Pickle<T> holds T, "a pickle";
    encode where [T: KimeraHandler + Serialize] = |value| pickle::to_vec(value);
    decode where [T: KimeraHandler + DeserializeOwned] =
        |bytes| pickle::from_slice(bytes).map_err(sentence);
    /// As [`pickle::to_vec`]: what Python could not read back as the same value (two map
    /// keys Python calls equal, a time finer than microseconds, ...).
}

wrapper! {
    PickleValue<> holds pickle::Value, "a pickle";
    encode where [] = |value| value.to_pickle();
    decode where [] = |bytes| pickle::Value::from_pickle(bytes).map_err(sentence);
    /// As [`pickle::Value::to_pickle`]: what Python could not read back as the same value.
}

/// Kimera's message, as the description of a redis conversion error.
fn sentence(err: crate::Error) -> String {
    err.to_string()
}

/// The Python format's text: JSON, so UTF-8 (the Python side writes ASCII).
fn text(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|err| {
        format!(
            "expected the Python Kimera library's JSON, found bytes that are not UTF-8 text \
             (at byte {})",
            err.valid_up_to()
        )
    })
}

/// A wrapper's value from a reply: the bytes of a string reply, decoded; anything else is an
/// error naming what was `expected` and what was found.
fn read<T>(
    value: &Value,
    expected: &str,
    decode: fn(&[u8]) -> Result<T, String>,
) -> Result<T, ParsingError> {
    let found = match value {
        Value::BulkString(bytes) => return decode(bytes).map_err(ParsingError::from),
        Value::SimpleString(text) | Value::VerbatimString { text, .. } => {
            return decode(text.as_bytes()).map_err(ParsingError::from)
        }
        // RESP3 metadata around a reply: the reply is the value.
        Value::Attribute { data, .. } => return read(data, expected, decode),
        Value::Nil => {
            return Err(format!("the key holds no value (a nil reply), expected {expected}").into())
        }
        Value::Int(_) => "an integer".to_owned(),
        Value::Array(items) => format!("an array of {} replies", items.len()),
        Value::Okay => "the status reply OK".to_owned(),
        Value::Map(entries) => format!("a map of {} entries", entries.len()),
        Value::Set(items) => format!("a set of {} replies", items.len()),
        Value::Double(_) => "a double".to_owned(),
        Value::Boolean(_) => "a boolean".to_owned(),
        Value::BigNumber(_) => "a big number".to_owned(),
        Value::Push { .. } => "a push message".to_owned(),
        Value::ServerError(_) => "a server error".to_owned(),
        // `Value` is non-exhaustive.
        _ => "another kind of reply".to_owned(),
    };
    Err(format!("expected a string reply holding {expected}, found {found}").into())
}
