//! The value model to serde's: read straight into a type, so that what serde_json's model
//! lacks (NaN and infinities, integer and tuple keys, bytes, 128-bit integers) still reads.
//! Dates and times go to chrono as the ISO 8601 text it reads, a timedelta as chrono's
//! `(seconds, nanoseconds)`, a decimal as its text.

use serde::de::{self, IntoDeserializer, Visitor};

use crate::value::{DateTime, Time, TimeDelta};
use crate::Value;

/// What a `Deserialize` impl reported.
#[derive(Debug)]
pub(crate) struct DeError(pub(crate) String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, DeError>;

/// Deserializes from a [`Value`], consuming it (text moves into the type, no copy).
pub(crate) struct Deserializer(pub(crate) Value);

impl<'de> IntoDeserializer<'de, DeError> for Value {
    type Deserializer = Deserializer;
    fn into_deserializer(self) -> Deserializer {
        Deserializer(self)
    }
}

/// ISO 8601 text of a time zone's offset: `+02:00`, `-05:30:15`.
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{sec:02}")
    }
}

pub(crate) fn time_text(time: &Time) -> String {
    let mut text = time.time.format("%H:%M:%S%.f").to_string();
    if let Some(tz) = &time.tz {
        text.push_str(&offset_text(tz.offset.local_minus_utc()));
    }
    text
}

pub(crate) fn datetime_text(at: &DateTime) -> String {
    let mut text = at.at.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
    if let Some(tz) = &at.tz {
        text.push_str(&offset_text(tz.offset.local_minus_utc()));
    }
    text
}

/// chrono's `TimeDelta` form: whole seconds (floored) and nanoseconds `0..1e9`.
fn seconds_nanos(delta: &TimeDelta) -> (i64, i32) {
    let micros = delta.total_microseconds();
    let seconds = micros.div_euclid(1_000_000) as i64;
    let nanos = (micros.rem_euclid(1_000_000) * 1000) as i32;
    (seconds, nanos)
}

impl<'de> de::Deserializer<'de> for Deserializer {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Value::None => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(n) => match (i64::try_from(n), u64::try_from(n)) {
                (Ok(n), _) => visitor.visit_i64(n),
                (_, Ok(n)) => visitor.visit_u64(n),
                _ => visitor.visit_i128(n),
            },
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bytes(b) | Value::ByteArray(b) => visitor.visit_byte_buf(b),
            Value::List(items)
            | Value::Tuple(items)
            | Value::Set(items)
            | Value::FrozenSet(items) => {
                let mut seq = de::value::SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Dict(entries) => {
                let mut map = de::value::MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
            Value::Date(date) => visitor.visit_string(date.format("%Y-%m-%d").to_string()),
            Value::Time(time) => visitor.visit_string(time_text(&time)),
            Value::DateTime(at) => visitor.visit_string(datetime_text(&at)),
            Value::TimeDelta(delta) => {
                let (seconds, nanos) = seconds_nanos(&delta);
                let items = [Value::Int(seconds.into()), Value::Int(nanos.into())];
                let mut seq = de::value::SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Decimal(decimal) => visitor.visit_string(decimal.as_str().to_owned()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Value::None => visitor.visit_none(),
            other => visitor.visit_some(Deserializer(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Value::Str(name) => visitor.visit_enum(name.into_deserializer()),
            Value::Dict(mut entries) if entries.len() == 1 => {
                let (name, content) = entries.pop().expect("one entry");
                visitor.visit_enum(Enum { name, content })
            }
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"an enum variant: its name, or a dict of one entry",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// How a value shows in serde's type errors.
fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::None => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Float(f) => de::Unexpected::Float(*f),
        Value::Str(s) => de::Unexpected::Str(s),
        Value::Bytes(b) | Value::ByteArray(b) => de::Unexpected::Bytes(b),
        Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::FrozenSet(_) => {
            de::Unexpected::Seq
        }
        Value::Dict(_) => de::Unexpected::Map,
        Value::Int(n) => match i64::try_from(*n) {
            Ok(n) => de::Unexpected::Signed(n),
            Err(_) => de::Unexpected::Other("a 128-bit integer"),
        },
        other => de::Unexpected::Other(other.type_name()),
    }
}

struct Enum {
    name: Value,
    content: Value,
}

impl<'de> de::EnumAccess<'de> for Enum {
    type Error = DeError;
    type Variant = Deserializer;

    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Deserializer)> {
        let name = seed.deserialize(Deserializer(self.name))?;
        Ok((name, Deserializer(self.content)))
    }
}

impl<'de> de::VariantAccess<'de> for Deserializer {
    type Error = DeError;

    fn unit_variant(self) -> Result<()> {
        match self.0 {
            Value::None => Ok(()),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}
