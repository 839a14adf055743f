//! Map keys. A dict's keys are text: a key is written as the text serde_json gives it (strings
//! as they are, numbers and booleans as their digits and words, unit variants as their name)
//! and anything else as its JSON-like text (`[1, "a"]` for a tuple, `null` for `()`), which the
//! key reader parses back for the types that ask for such shapes.

use std::fmt;

use serde::de::{self, IntoDeserializer, Visitor};
use serde::ser::{self, Impossible, Serialize};

use super::de::{Failure as DeFailure, Reader};
use super::ser::Failure;
use crate::text::{Parser, Token};
use crate::Value;

/// The text of a map key.
pub(super) fn text<T: Serialize + ?Sized>(key: &T) -> Result<String, Failure> {
    if let Ok(text) = key.serialize(Plain) {
        return Ok(text);
    }
    // Any other shape: as the value model writes keys (exactly serde_json's text where it
    // takes the key, else the key's JSON-like text).
    struct OneKey<'a, T: ?Sized>(&'a T);
    impl<T: Serialize + ?Sized> Serialize for OneKey<'_, T> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match kimera_core::value::Value::of(&OneKey(key))? {
        kimera_core::value::Value::Map(mut entries) if entries.len() == 1 => {
            Ok(entries.swap_remove(0).0)
        }
        _ => Err(ser::Error::custom("a map key written as no text")),
    }
}

/// Not a key [`Plain`] writes.
#[derive(Debug)]
struct Other;

impl fmt::Display for Other {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a plain key")
    }
}

impl std::error::Error for Other {}

impl ser::Error for Other {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Other
    }
}

/// The keys whose text is written without the value model: strings, characters, integers,
/// booleans and unit variants, as serde_json writes them.
struct Plain;

macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<String, Other> {
            Ok(itoa::Buffer::new().format(v).to_owned())
        }
    )*};
}

macro_rules! others {
    ($($method:ident($($arg:ty),*)),*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<String, Other> {
            Err(Other)
        }
    )*};
}

impl ser::Serializer for Plain {
    type Ok = String;
    type Error = Other;
    type SerializeSeq = Impossible<String, Other>;
    type SerializeTuple = Impossible<String, Other>;
    type SerializeTupleStruct = Impossible<String, Other>;
    type SerializeTupleVariant = Impossible<String, Other>;
    type SerializeMap = Impossible<String, Other>;
    type SerializeStruct = Impossible<String, Other>;
    type SerializeStructVariant = Impossible<String, Other>;

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );
    others!(
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str)
    );

    fn serialize_bool(self, v: bool) -> Result<String, Other> {
        Ok(if v { "true" } else { "false" }.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, Other> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Other> {
        Ok(v.to_owned())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Other> {
        Err(Other)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Other> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Other> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Other> {
        Err(Other)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Other> {
        Err(Other)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Other> {
        Err(Other)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Other> {
        Err(Other)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Other> {
        Err(Other)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Other> {
        Err(Other)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Other> {
        Err(Other)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Other> {
        Err(Other)
    }
}

/// Reads a key back from its text: as the text itself, or parsed as what the type asks for.
pub(super) struct Key<'a>(pub(super) &'a str);

impl Key<'_> {
    /// The key's text as JSON, for a key of a compound shape (a tuple, a struct).
    fn parsed(&self) -> Result<Value, DeFailure> {
        let mut parser = Parser::new(self.0);
        let value = json(&mut parser, 32).and_then(|v| parser.end().map(|()| v));
        value.map_err(|e| {
            de::Error::custom(format_args!(
                "the key `{}` is not the text of a compound key: {e}",
                self.0
            ))
        })
    }
}

/// A JSON text as a Python value (arrays as lists, objects as dicts), nested at most
/// `depth_left` deep.
fn json(p: &mut Parser<'_>, depth_left: u32) -> Result<Value, String> {
    let token = p.scalar()?;
    let close = match token {
        Token::Null => return Ok(Value::None),
        Token::Bool(b) => return Ok(Value::Bool(b)),
        Token::Int(i) => return Ok(Value::Int(i)),
        Token::Float(f) => return Ok(Value::Float(f)),
        Token::Str(s) => return Ok(Value::Str(s.into_owned())),
        Token::Array => b']',
        Token::Object => b'}',
    };
    if depth_left == 0 {
        return Err(p.error("a key nested too deep"));
    }
    let mut items = Vec::new();
    let mut entries = Vec::new();
    if p.open(close) {
        loop {
            match close {
                b'}' => {
                    let key = p.key()?.into_owned();
                    entries.push((key, json(p, depth_left - 1)?));
                }
                _ => items.push(json(p, depth_left - 1)?),
            }
            if !p.next_item(close)? {
                break;
            }
        }
    }
    Ok(match close {
        b'}' => Value::Dict(entries),
        _ => Value::List(items),
    })
}

macro_rules! parsed_numbers {
    ($($method:ident => $visit:ident: $ty:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeFailure> {
            match self.0.parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                // The visitor says what it expected of the text.
                Err(_) => visitor.visit_str(self.0),
            }
        }
    )*};
}

macro_rules! compound {
    ($($method:ident($($arg:ident: $ty:ty),*)),*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, DeFailure> {
            de::Deserializer::$method(Reader(&self.parsed()?), $($arg,)* visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Key<'_> {
    type Error = DeFailure;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeFailure> {
        visitor.visit_str(self.0)
    }

    parsed_numbers!(
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128, deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16, deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64, deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32, deserialize_f64 => visit_f64: f64,
        deserialize_bool => visit_bool: bool
    );

    compound!(
        deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str])
    );

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeFailure> {
        match self.0 {
            "null" => visitor.visit_unit(),
            _ => visitor.visit_str(self.0),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeFailure> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeFailure> {
        match self.0 {
            "null" => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeFailure> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeFailure> {
        // A unit variant is its name; a variant with content is written as `{"Name": ...}`.
        match self.0.starts_with('{') {
            true => {
                de::Deserializer::deserialize_enum(Reader(&self.parsed()?), name, variants, visitor)
            }
            false => visitor.visit_enum(self.0.into_deserializer()),
        }
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf identifier ignored_any
    }
}
