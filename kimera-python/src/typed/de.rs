//! A serde `Deserializer` over a [`Value`]: the Python value model read into a Rust type, with
//! nothing lost on the way (NaN and infinities are floats, dates are the ISO 8601 text chrono's
//! types read).

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

use super::key::Key;
use crate::Value;

/// What serde said while reading a type, for the data error (which adds the path).
#[derive(Debug)]
pub(super) struct Failure(String);

impl Failure {
    /// Where the text is not read in place (the general reader says why).
    pub(super) fn gave_up() -> Failure {
        Failure(String::new())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl de::Error for Failure {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Failure(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, Failure>;

/// A datetime as the ISO 8601 text chrono's types read.
pub(super) fn iso_datetime(at: &NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// A date as the ISO 8601 text chrono's types read.
pub(super) fn iso_date(date: &NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Reads the value it holds. Strings are handed over as borrowed only for the call: typed
/// reading owns what it reads.
pub(super) struct Reader<'a>(pub(super) &'a Value);

impl Reader<'_> {
    fn unexpected(&self) -> Unexpected<'_> {
        match self.0 {
            Value::None => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Int(i) => Unexpected::Signed(*i),
            Value::Float(f) => Unexpected::Float(*f),
            Value::Str(s) => Unexpected::Str(s),
            Value::List(_) | Value::Tuple(_) => Unexpected::Seq,
            Value::Dict(_) => Unexpected::Map,
            Value::DateTime(_) => Unexpected::Other("a datetime"),
            Value::Date(_) => Unexpected::Other("a date"),
        }
    }
}

impl<'de> de::Deserializer<'de> for Reader<'_> {
    type Error = Failure;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Value::None => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::List(items) | Value::Tuple(items) => {
                let mut seq = Items(items.iter());
                let value = visitor.visit_seq(&mut seq)?;
                match seq.0.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        items.len(),
                        &"fewer elements in the list",
                    )),
                }
            }
            Value::Dict(entries) => {
                let mut map = Entries {
                    entries: entries.iter(),
                    value: None,
                };
                let value = visitor.visit_map(&mut map)?;
                match map.entries.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        entries.len(),
                        &"fewer entries in the dict",
                    )),
                }
            }
            Value::DateTime(at) => visitor.visit_str(&iso_datetime(at)),
            Value::Date(date) => visitor.visit_str(&iso_date(date)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Value::None => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            // A unit variant is its name; any other `{"Variant": content}`.
            Value::Str(name) => visitor.visit_enum(name.as_str().into_deserializer()),
            Value::Dict(entries) if entries.len() == 1 => {
                let (name, content) = &entries[0];
                visitor.visit_enum(Variant { name, content })
            }
            _ => Err(de::Error::invalid_type(
                self.unexpected(),
                &"a variant: its name, or a dict of its name and content",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = Failure;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.0
            .next()
            .map(|item| seed.deserialize(Reader(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    entries: std::slice::Iter<'a, (String, Value)>,
    value: Option<&'a Value>,
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = Failure;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(Key(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.value.take() {
            Some(value) => seed.deserialize(Reader(value)),
            None => Err(de::Error::custom("a dict value was read before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Variant<'a> {
    name: &'a str,
    content: &'a Value,
}

impl<'de, 'a> de::EnumAccess<'de> for Variant<'a> {
    type Error = Failure;
    type Variant = Reader<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Reader<'a>)> {
        let name = seed.deserialize(self.name.into_deserializer())?;
        Ok((name, Reader(self.content)))
    }
}

impl<'de> de::VariantAccess<'de> for Reader<'_> {
    type Error = Failure;

    fn unit_variant(self) -> Result<()> {
        match self.0 {
            Value::None => Ok(()),
            _ => Err(de::Error::invalid_type(
                self.unexpected(),
                &"a unit variant's None",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}
