//! [`Value`]: a value as serde writes it, in the JSON data model, built by a serde `Serializer`.
//!
//! One model for the modules that look at a value without its type: `kimera::diff` compares
//! two of them, and the Python format walks one beside the type's schema.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

/// A value as serde writes it, shaped the way serde_json writes it (structs and maps are
/// objects, enums are externally tagged, `None` and `()` are null), but exact: integers up to
/// 128 bits and every float, NaN included.
///
/// The old and new sides of a `kimera::diff::Change`, and what the Python format writes a typed
/// value from.
///
/// ```
/// use kimera::diff::Value;
/// assert_eq!(Value::of(&(1u8, "a"))?.to_string(), r#"[1, "a"]"#);
/// assert_eq!(Value::of(&f64::NAN)?.to_string(), "NaN");
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Value {
    /// `None`, `()`, unit structs.
    Null,
    /// `bool`.
    Bool(bool),
    /// A signed integer.
    Int(i128),
    /// An unsigned integer.
    UInt(u128),
    /// A float (`f32` widened exactly).
    Float(f64),
    /// A string or `char`.
    Str(String),
    /// A sequence, tuple or byte string.
    List(Vec<Value>),
    /// A struct or map, its keys as serde_json writes them (numbers and booleans as text), in
    /// the order serde writes them.
    Map(Vec<(String, Value)>),
    /// An enum variant with content: `{"Variant": content}` in JSON. A unit variant is its name,
    /// as a [`Value::Str`].
    Variant(String, Box<Value>),
}

impl Value {
    /// The value of `value`, as serde writes it.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> crate::Result<Value> {
        value.serialize(ValueSerializer).map_err(|err| {
            crate::ErrorKind::Encode {
                type_name: std::any::type_name::<T>().to_owned(),
                path: ".".to_owned(),
                message: err.0,
            }
            .into()
        })
    }

    /// The value as a [`serde_json::Value`]; an error for what JSON cannot hold exactly (NaN,
    /// infinities, integers beyond 64 bits).
    #[cfg(feature = "serde_json")]
    pub fn to_json_value(&self) -> crate::Result<serde_json::Value> {
        use serde_json::Value as Json;
        let unrepresentable = |what: String| -> crate::Error {
            crate::ErrorKind::Encode {
                type_name: "diff value".to_owned(),
                path: ".".to_owned(),
                message: format!("JSON cannot hold {what} exactly"),
            }
            .into()
        };
        Ok(match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
                (Ok(i), _) => Json::from(i),
                (_, Ok(u)) => Json::from(u),
                _ => return Err(unrepresentable(format!("the integer {i}"))),
            },
            Value::UInt(u) => match u64::try_from(*u) {
                Ok(u) => Json::from(u),
                Err(_) => return Err(unrepresentable(format!("the integer {u}"))),
            },
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Json::Number(n),
                None => return Err(unrepresentable(format!("the float {f}"))),
            },
            Value::Str(s) => Json::String(s.clone()),
            Value::List(items) => Json::Array(
                items
                    .iter()
                    .map(Value::to_json_value)
                    .collect::<crate::Result<_>>()?,
            ),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_json_value()?)))
                    .collect::<crate::Result<_>>()?,
            ),
            Value::Variant(name, content) => Json::Object(
                [(name.clone(), content.to_json_value()?)]
                    .into_iter()
                    .collect(),
            ),
        })
    }
}

/// Floats compare by value, except that NaN equals NaN (a value that stays NaN did not change)
/// and `0.0` differs from `-0.0` (they are written differently). Maps compare in order; the
/// same number written by two integer types is equal.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Float(a), Value::Float(b)) => {
                (a.is_nan() && b.is_nan())
                    || (a == b && a.is_sign_negative() == b.is_sign_negative())
            }
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Variant(a, x), Value::Variant(b, y)) => a == b && x == y,
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::UInt(a), Value::UInt(b)) => a == b,
            (Value::Int(a), Value::UInt(b)) | (Value::UInt(b), Value::Int(a)) => {
                u128::try_from(*a).is_ok_and(|a| a == *b)
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            _ => false,
        }
    }
}

/// JSON-like text: strings quoted and escaped, floats with a decimal point, NaN and infinities
/// by name.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            // Shortest round-trip digits, with a `.0` or exponent on integral values.
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write_json_string(f, s),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Map(entries) => {
                f.write_char('{')?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_json_string(f, k)?;
                    write!(f, ": {v}")?;
                }
                f.write_char('}')
            }
            Value::Variant(name, content) => {
                f.write_char('{')?;
                write_json_string(f, name)?;
                write!(f, ": {content}}}")
            }
        }
    }
}

/// `s` quoted and escaped as JSON writes it.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Why a value could not be turned into a [`Value`]: its `Serialize` impl failed.
#[derive(Debug)]
struct SerializeError(String);

impl fmt::Display for SerializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerializeError {}

impl ser::Error for SerializeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerializeError(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, SerializeError>;

struct ValueSerializer;

/// A sequence or tuple being built; for a tuple variant, the variant's name.
struct SeqBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

/// A struct or map being built; for a struct variant, the variant's name.
struct MapBuilder {
    entries: Vec<(String, Value)>,
    /// Where each key is in `entries`: a key written twice (a flattened map holding a field's
    /// name, two keys written alike) keeps its last value, as in serde_json's maps.
    index: std::collections::HashMap<String, usize>,
    next_key: Option<String>,
    variant: Option<&'static str>,
}

/// The name of a newtype struct whose content, a variant's name and its content, is that
/// variant: how a `Serialize` with variant names known only at run time (`kimera::inspect`)
/// gives a [`Value::Variant`] (serde's variant methods take `&'static str` names).
#[doc(hidden)]
pub const VARIANT: &str = "\0kimera::variant";

fn wrap(variant: Option<&'static str>, value: Value) -> Value {
    match variant {
        Some(name) => Value::Variant(name.to_owned(), Box::new(value)),
        None => value,
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = SerializeError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Value> {
        Ok(Value::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        Ok(Value::UInt(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Value> {
        Ok(Value::UInt(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::Str(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::List(
            v.iter().map(|&b| Value::UInt(b.into())).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(Value::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value> {
        let value = value.serialize(self)?;
        if name != VARIANT {
            return Ok(value);
        }
        match value {
            Value::List(pair) => match <[Value; 2]>::try_from(pair) {
                Ok([Value::Str(variant), content]) => {
                    Ok(Value::Variant(variant, Box::new(content)))
                }
                _ => Err(ser::Error::custom("a variant is its name and its content")),
            },
            _ => Err(ser::Error::custom("a variant is its name and its content")),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        Ok(wrap(Some(variant), value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder> {
        let mut seq = self.serialize_seq(Some(len))?;
        seq.variant = Some(variant);
        Ok(seq)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            index: std::collections::HashMap::new(),
            next_key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder> {
        let mut map = self.serialize_map(Some(len))?;
        map.variant = Some(variant);
        Ok(map)
    }
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn finish(self) -> Result<Value> {
        Ok(wrap(self.variant, Value::List(self.items)))
    }
}

macro_rules! seq_impls {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqBuilder {
            type Ok = Value;
            type Error = SerializeError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.push(value)
            }
            fn end(self) -> Result<Value> {
                self.finish()
            }
        }
    )*};
}

seq_impls!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl MapBuilder {
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let value = value.serialize(ValueSerializer)?;
        self.insert(key.to_owned(), value);
        Ok(())
    }

    fn insert(&mut self, key: String, value: Value) {
        match self.index.get(&key) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    fn finish(self) -> Result<Value> {
        Ok(wrap(self.variant, Value::Map(self.entries)))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.next_key = Some(key_text(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| ser::Error::custom("a map value was written before its key"))?;
        let value = value.serialize(ValueSerializer)?;
        self.insert(key, value);
        Ok(())
    }

    fn end(self) -> Result<Value> {
        self.finish()
    }
}

/// A map key as serde_json writes it (exactly, with the `json` feature: it writes the key),
/// else strings as they are and anything else as its JSON-like text.
fn key_text<T: Serialize + ?Sized>(key: &T) -> Result<String> {
    #[cfg(feature = "serde_json")]
    if let Some(text) = json_key(key) {
        return Ok(text);
    }
    Ok(match key.serialize(ValueSerializer)? {
        Value::Str(s) => s,
        other => other.to_string(),
    })
}

/// The text serde_json gives `key` as an object key, if it takes it as one.
#[cfg(feature = "serde_json")]
fn json_key<T: Serialize + ?Sized>(key: &T) -> Option<String> {
    struct OneKey<'a, T: ?Sized>(&'a T);
    impl<T: Serialize + ?Sized> Serialize for OneKey<'_, T> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match serde_json::to_value(OneKey(key)).ok()? {
        serde_json::Value::Object(map) => map.into_iter().next().map(|(k, _)| k),
        _ => None,
    }
}

macro_rules! struct_impls {
    ($($trait:ident),*) => {$(
        impl ser::$trait for MapBuilder {
            type Ok = Value;
            type Error = SerializeError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<()> {
                self.field(key, value)
            }
            fn skip_field(&mut self, _: &'static str) -> Result<()> {
                Ok(())
            }
            fn end(self) -> Result<Value> {
                self.finish()
            }
        }
    )*};
}

struct_impls!(SerializeStruct, SerializeStructVariant);
