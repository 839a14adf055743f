//! A serde `Deserializer` straight over wire text as the Python library writes it (read in place,
//! as [`crate::canonical`] reads it): typed values with no [`Value`] in between.
//!
//! It shows a type each value exactly as the deserializer over [`Value`] (`de.rs`) does, and
//! gives up on anything else: text it cannot read in place, a dict with a key twice (which the
//! value model merges, as Python does), or any error the type reports. [`from_str`] then reads
//! the text again through the value model, which says what is wrong and where.
//!
//! [`from_str`]: super::from_str

use std::borrow::Cow;

use kimera_core::Limits;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::de::{iso_date, iso_datetime, Failure};
use super::key::Key;
use super::Keys;
use crate::canonical::{Canonical, Cost};
use crate::{parse_date, parse_datetime, Handler, Value};

type Result<T> = std::result::Result<T, Failure>;

/// `T` read from `wire` in place, or `None` where the value model must read it.
pub(super) fn read<T: DeserializeOwned>(wire: &str, limits: &Limits) -> Option<T> {
    let mut depths = Vec::new();
    let mut text = Canonical::new(wire, 0, 0, limits.max_depth, &mut depths);
    let mut root = Cost::default();
    let value = T::deserialize(In {
        text: &mut text,
        keys: &mut Vec::new(),
        r: 0,
        parent: &mut root,
    })
    .ok()?;
    (text.at_end() && root.total <= limits.max_size).then_some(value)
}

/// `Some`, or giving up.
fn found<T>(option: Option<T>) -> Result<T> {
    option.ok_or_else(Failure::gave_up)
}

/// One value at relative escape depth `r`, its cost added to its container's.
struct In<'a, 't, 'd> {
    text: &'a mut Canonical<'t, 'd>,
    /// The keys of the dict being read at each depth (reused: no allocation per dict).
    keys: &'a mut Vec<Keys<'t>>,
    r: u32,
    parent: &'a mut Cost,
}

impl<'de> de::Deserializer<'de> for In<'_, '_, '_> {
    type Error = Failure;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let In {
            text,
            keys,
            r,
            parent,
        } = self;
        let mut cost = found(text.head(r))?;
        let (value, handler) = match found(text.peek())? {
            b'[' => {
                let mut items = Items::open(text, keys, r, &mut cost)?;
                let value = visitor.visit_seq(&mut items)?;
                items.close(b']')?;
                (
                    value,
                    found(text.tail(r, &[Handler::List, Handler::Tuple]))?,
                )
            }
            b'{' => {
                let mut entries = Items::open(text, keys, r, &mut cost)?;
                let value = visitor.visit_map(&mut entries)?;
                entries.close(b'}')?;
                (value, found(text.tail(r, &[Handler::Dict]))?)
            }
            b'"' | b'\\' => {
                let s = found(text.string(r, &mut cost))?;
                let handler = found(text.tail(r, &Handler::STRINGS))?;
                let value = match handler {
                    Handler::DateTime => {
                        visitor.visit_str(&iso_datetime(&found(parse_datetime(&s).ok())?))
                    }
                    Handler::Date => visitor.visit_str(&iso_date(&found(parse_date(&s).ok())?)),
                    _ => visitor.visit_str(&s),
                }?;
                (value, handler)
            }
            _ => {
                let scalar = found(text.scalar(&mut cost))?;
                let handler = found(text.tail(r, &[Handler::Default]))?;
                let value = match scalar {
                    Value::None => visitor.visit_unit(),
                    Value::Bool(b) => visitor.visit_bool(b),
                    Value::Int(i) => visitor.visit_i64(i),
                    Value::Float(x) => visitor.visit_f64(x),
                    _ => Err(Failure::gave_up()),
                }?;
                (value, handler)
            }
        };
        parent.element(cost.finished(handler));
        Ok(value)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let In {
            text,
            keys,
            r,
            parent,
        } = self;
        let start = text.pos();
        if let Some(mut cost) = text.head(r) {
            if text.eat(b"null").is_some() {
                cost.text("null".len(), 0);
                if let Some(handler) = text.tail(r, &[Handler::Default]) {
                    parent.element(cost.finished(handler));
                    return visitor.visit_none();
                }
            }
        }
        text.rewind(start);
        visitor.visit_some(In {
            text,
            keys,
            r,
            parent,
        })
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
        let In {
            text,
            keys,
            r,
            parent,
        } = self;
        let mut cost = found(text.head(r))?;
        // A unit variant is its name; any other `{"Variant": content}`.
        let (value, handler) = match found(text.peek())? {
            b'"' | b'\\' => {
                let name = found(text.string(r, &mut cost))?;
                let handler = found(text.tail(r, &[Handler::Default]))?;
                (
                    visitor.visit_enum(name.as_ref().into_deserializer())?,
                    handler,
                )
            }
            b'{' => {
                let mut entries = Items::open(text, keys, r, &mut cost)?;
                let name = match entries.key()? {
                    Some(name) => name,
                    None => return Err(Failure::gave_up()),
                };
                let value = visitor.visit_enum(Variant {
                    name,
                    content: entries.value(),
                })?;
                entries.close(b'}')?;
                (value, found(text.tail(r, &[Handler::Dict]))?)
            }
            _ => return Err(Failure::gave_up()),
        };
        parent.element(cost.finished(handler));
        Ok(value)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (_, cost) = found(self.text.value(self.r))?;
        self.parent.element(cost);
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier
    }
}

/// Where a list or dict's items are read to.
#[derive(Clone, Copy, PartialEq)]
enum State {
    First,
    Next,
    Closed,
}

/// The items of a list, or the entries of a dict, at depth `r` (their values at `r + 1`).
struct Items<'a, 't, 'd> {
    text: &'a mut Canonical<'t, 'd>,
    keys: &'a mut Vec<Keys<'t>>,
    r: u32,
    cost: &'a mut Cost,
    state: State,
}

impl<'a, 't, 'd> Items<'a, 't, 'd> {
    /// After the `[` or `{` that opens them.
    fn open(
        text: &'a mut Canonical<'t, 'd>,
        keys: &'a mut Vec<Keys<'t>>,
        r: u32,
        cost: &'a mut Cost,
    ) -> Result<Self> {
        found(text.eat(b"[").or_else(|| text.eat(b"{")))?;
        cost.text("[]".len(), 0);
        if keys.len() <= r as usize {
            keys.resize_with(r as usize + 1, Keys::default);
        }
        keys[r as usize].clear();
        Ok(Items {
            text,
            keys,
            r,
            cost,
            state: State::First,
        })
    }

    /// Whether another item follows (its separator read), or the container closes with `close`.
    fn more(&mut self, close: u8) -> Result<bool> {
        match self.state {
            State::Closed => Ok(false),
            _ if self.text.eat(&[close]).is_some() => {
                self.state = State::Closed;
                Ok(false)
            }
            State::First => {
                self.state = State::Next;
                Ok(true)
            }
            State::Next => {
                found(self.text.eat(b", "))?;
                self.cost.text(", ".len(), 0);
                Ok(true)
            }
        }
    }

    /// After the type read what it wanted: nothing may be left (as the value model requires).
    fn close(&mut self, close: u8) -> Result<()> {
        match self.more(close)? {
            false => Ok(()),
            true => Err(Failure::gave_up()),
        }
    }

    /// The next dict key and its `: `, or `None` at the end; a key there twice gives up.
    fn key(&mut self) -> Result<Option<Cow<'t, str>>> {
        if !self.more(b'}')? {
            return Ok(None);
        }
        let key = found(self.text.string(self.r, self.cost))?;
        if !self.keys[self.r as usize].insert(key.clone()) {
            return Err(Failure::gave_up());
        }
        found(self.text.eat(b": "))?;
        self.cost.text(": ".len(), 0);
        Ok(Some(key))
    }

    /// The next value.
    fn value(&mut self) -> In<'_, 't, 'd> {
        In {
            text: self.text,
            keys: self.keys,
            r: self.r + 1,
            parent: self.cost,
        }
    }
}

impl<'de> de::SeqAccess<'de> for Items<'_, '_, '_> {
    type Error = Failure;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.more(b']')? {
            true => seed.deserialize(self.value()).map(Some),
            false => Ok(None),
        }
    }
}

impl<'de> de::MapAccess<'de> for Items<'_, '_, '_> {
    type Error = Failure;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.key()? {
            Some(key) => seed.deserialize(Key(&key)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(self.value())
    }
}

/// An enum's `{"Variant": content}`.
struct Variant<'a, 't, 'd> {
    name: Cow<'t, str>,
    content: In<'a, 't, 'd>,
}

impl<'de, 'a, 't, 'd> de::EnumAccess<'de> for Variant<'a, 't, 'd> {
    type Error = Failure;
    type Variant = In<'a, 't, 'd>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant)> {
        let name = seed.deserialize(self.name.as_ref().into_deserializer())?;
        Ok((name, self.content))
    }
}

impl<'de> de::VariantAccess<'de> for In<'_, '_, '_> {
    type Error = Failure;

    fn unit_variant(self) -> Result<()> {
        match found(self.text.value(self.r))? {
            (Value::None, cost) => {
                self.parent.element(cost);
                Ok(())
            }
            _ => Err(Failure::gave_up()),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{NaiveDate, NaiveDateTime};
    use kimera::Kimera;
    use serde::{Deserialize, Serialize};

    use super::super::through_value;
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
    #[kimera(name = "test.Record")]
    struct Record {
        name: String,
        count: u16,
        ratio: f64,
        joined: NaiveDate,
        seen: Option<NaiveDateTime>,
        tags: Vec<String>,
        pair: (i64, char),
        scores: BTreeMap<(i32, String), Option<Option<i8>>>,
        settings: BTreeMap<String, bool>,
        event: Event,
        tagged: Tagged,
        #[serde(flatten)]
        extra: BTreeMap<String, i64>,
        unit: (),
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
    enum Event {
        Started,
        Moved(i32, i32),
        Named(String),
        Stopped { at: NaiveDate, why: Option<String> },
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
    #[serde(tag = "kind")]
    enum Tagged {
        Empty,
        Sized { size: u64 },
    }

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        fn text(&mut self) -> String {
            const CHARS: [&str; 8] = ["a", "\"", "\\", "\n", "é", "😀", "x y", "0"];
            (0..self.below(4))
                .map(|_| CHARS[self.below(8) as usize])
                .collect()
        }

        fn record(&mut self) -> Record {
            let date = NaiveDate::from_ymd_opt(1 + self.below(9999) as i32, 2, 28).unwrap();
            Record {
                name: self.text(),
                count: self.below(70_000) as u16,
                ratio: [0.5, -0.0, f64::INFINITY, 1e16][self.below(4) as usize],
                joined: date,
                seen: (self.below(2) == 0).then(|| date.and_hms_micro_opt(1, 2, 3, 4).unwrap()),
                tags: (0..self.below(3)).map(|_| self.text()).collect(),
                pair: (self.below(9) as i64 - 4, 'q'),
                scores: (0..self.below(3))
                    .map(|i| {
                        (
                            (i as i32, self.text()),
                            [None, Some(Some(-3))][self.below(2) as usize],
                        )
                    })
                    .collect(),
                settings: (0..self.below(3))
                    .map(|_| (self.text(), self.below(2) == 0))
                    .collect(),
                event: match self.below(4) {
                    0 => Event::Started,
                    1 => Event::Moved(-1, 2),
                    2 => Event::Named(self.text()),
                    _ => Event::Stopped {
                        at: date,
                        why: Some(self.text()),
                    },
                },
                tagged: match self.below(2) {
                    0 => Tagged::Empty,
                    _ => Tagged::Sized {
                        size: self.below(1 << 40),
                    },
                },
                extra: (0..self.below(3))
                    .map(|i| (format!("x{i}"), i as i64))
                    .collect(),
                unit: (),
            }
        }

        /// `wire` with one byte changed to another that keeps it likely canonical, or to one
        /// that does not.
        fn damaged(&mut self, wire: &str) -> Option<String> {
            const BYTES: &[u8] = b"0123456789abcxyz \\\",:[]{}";
            let mut bytes = wire.as_bytes().to_vec();
            let at = self.below(bytes.len() as u64) as usize;
            match self.below(3) {
                // A space more after a colon: JSON at any level, but not as Python spaces it.
                0 => {
                    let colon = bytes[at..].iter().position(|&b| b == b':')?;
                    bytes.insert(at + colon + 1, b' ');
                }
                _ => bytes[at] = BYTES[self.below(BYTES.len() as u64) as usize],
            }
            String::from_utf8(bytes).ok()
        }
    }

    /// In place where it can be, and through the value model: the same record or error.
    fn both(
        wire: &str,
    ) -> (
        Option<kimera_core::Result<Record>>,
        kimera_core::Result<Record>,
    ) {
        let in_place = read::<Record>(wire, &Limits::DEFAULT).map(Ok);
        (in_place, through_value::<Record>(wire))
    }

    #[test]
    fn reads_what_the_value_model_reads() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut counts = [0; 3];
        for _ in 0..1500 {
            let record = rng.record();
            let wire = kimera::python::to_string(&record).unwrap();
            let (in_place, through) = both(&wire);
            let read = in_place.expect("canonical text is read in place").unwrap();
            assert_eq!(format!("{read:?}"), format!("{record:?}"));
            assert_eq!(format!("{:?}", through.unwrap()), format!("{record:?}"));
            for _ in 0..6 {
                let Some(damaged) = rng.damaged(&wire) else {
                    continue;
                };
                match both(&damaged) {
                    (Some(Ok(read)), Ok(through)) => {
                        assert_eq!(format!("{read:?}"), format!("{through:?}"), "{damaged}");
                        counts[0] += 1;
                    }
                    (Some(Ok(read)), Err(err)) => {
                        panic!("read in place as {read:?}, refused as {err}: {damaged}")
                    }
                    (_, Ok(_)) => counts[1] += 1,
                    (_, Err(_)) => counts[2] += 1,
                }
            }
        }
        println!("damaged records: {counts:?} (read in place, read by the value model, refused)");
        // Damage read in place, left to the value model and read, and refused all happen.
        assert!(counts.iter().all(|&n| n > 100), "{counts:?}");
    }

    #[test]
    fn a_key_there_twice_is_read_as_python_merges_it() {
        let record = Rng(7).record();
        let mut extra = record.clone();
        extra.extra = BTreeMap::from([("x0".into(), 1), ("x1".into(), 2)]);
        let wire = kimera::python::to_string(&extra)
            .unwrap()
            .replace("x1", "x0");
        assert!(read::<Record>(&wire, &Limits::DEFAULT).is_none());
        let merged = through_value::<Record>(&wire).unwrap();
        assert_eq!(merged.extra, BTreeMap::from([("x0".into(), 2)]));
        let map = BTreeMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)]);
        let wire = kimera::python::to_string(&map)
            .unwrap()
            .replace("\\\"b\\\"", "\\\"a\\\"");
        assert!(read::<Vec<(String, i32)>>(&wire, &Limits::DEFAULT).is_none());
    }
}
