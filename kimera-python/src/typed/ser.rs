//! A serde `Serializer` that writes the Python library's wire text directly, each value at its
//! escape depth, with no value tree in between.

use std::borrow::Cow;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use kimera_core::{Error, Limits};
use serde::ser::{self, Serialize};

use super::{Guide, Items, Keys};
use crate::{depth_check, error, format_date, format_datetime, repeated_key, Handler, Out, Path};

/// Why writing stopped: the wire format's own error (a [`crate::WireError`], a limit), or
/// what a `Serialize` implementation said.
#[derive(Debug)]
pub(super) enum Failure {
    Wire(Error),
    Custom(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Wire(err) => err.fmt(f),
            Failure::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Failure {}

impl ser::Error for Failure {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Failure::Custom(msg.to_string())
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Wire(err)
    }
}

type Result<T> = std::result::Result<T, Failure>;

/// Writes one value at `level` (its nesting level and escape depth) at `path`.
pub(super) struct Writer<'a, 'p> {
    out: &'a mut Out,
    guide: Guide,
    path: &'a Path<'p>,
    level: u32,
    limits: &'a Limits,
}

impl<'a> Writer<'a, 'static> {
    pub(super) fn new(
        out: &'a mut Out,
        schema: &'static kimera_core::Schema,
        limits: &'a Limits,
    ) -> Self {
        Writer {
            out,
            guide: Guide::Schema(schema),
            path: &Path::Root,
            level: 0,
            limits,
        }
    }
}

impl<'a, 'p> Writer<'a, 'p> {
    /// Up to a value's data, at `level`, within the limits.
    fn start(&mut self, level: u32) -> Result<()> {
        depth_check(level, self.limits)?;
        self.out.enter(level)?;
        self.out.head(level);
        Ok(())
    }

    /// After a value's data, at `level`.
    fn end(&mut self, handler: Handler, level: u32) -> Result<()> {
        self.out.tail(handler, level);
        Ok(self.out.check()?)
    }

    fn scalar(mut self, data: impl FnOnce(&mut Out)) -> Result<()> {
        self.start(self.level)?;
        data(self.out);
        self.end(Handler::Default, self.level)
    }

    fn int<N: TryInto<i64> + fmt::Display + Copy>(self, n: N) -> Result<()> {
        match n.try_into() {
            Ok(i) => self.scalar(|out| out.int(i)),
            Err(_) => Err(error(
                self.path,
                format!("the integer {n} is beyond the 64-bit range the Python format holds"),
            )
            .into()),
        }
    }

    /// A writer for an element at `level`, inside its container's string quotes.
    fn child<'c>(&'c mut self, guide: Guide, path: &'c Path<'c>, level: u32) -> Writer<'c, 'c> {
        Writer {
            out: self.out,
            guide,
            path,
            level,
            limits: self.limits,
        }
    }

    /// Writes `{"name": ` and opens the string the content goes in (`{"Variant": content}`).
    fn open_variant(&mut self, name: &str) -> Result<()> {
        let level = self.level;
        self.start(level)?;
        self.out.raw("{");
        Ok(self.out.key(name, true, level)?)
    }

    fn close_variant(&mut self) -> Result<()> {
        self.out.raw("}");
        self.end(Handler::Dict, self.level)
    }

    /// A list or tuple, or a tuple variant's content (`variant`), with `len` items if known.
    fn seq(mut self, len: Option<usize>, variant: Option<&'static str>) -> Result<Seq<'a, 'p>> {
        let guide = match variant {
            Some(name) => {
                self.open_variant(name)?;
                self.guide.variant(name)
            }
            None => self.guide,
        };
        let (items, tuple) = guide.items(len);
        let level = self.level + u32::from(variant.is_some());
        self.start(level)?;
        self.out.raw("[");
        Ok(Seq {
            writer: self,
            handler: if tuple { Handler::Tuple } else { Handler::List },
            items,
            count: 0,
            variant,
        })
    }

    /// A dict: a map, a struct, or a struct variant's content (`variant`).
    fn map(mut self, variant: Option<&'static str>) -> Result<Map<'a, 'p>> {
        let guide = match variant {
            Some(name) => {
                self.open_variant(name)?;
                self.guide.variant(name)
            }
            None => self.guide,
        };
        let level = self.level + u32::from(variant.is_some());
        self.start(level)?;
        self.out.raw("{");
        Ok(Map {
            writer: self,
            guide: guide.resolved(),
            keys: Keys::default(),
            key: None,
            count: 0,
            variant,
        })
    }

    /// Text, or a date or datetime where the schema says this is one (serde writes chrono's
    /// types as ISO 8601 text).
    fn text(self, text: &str) -> Result<()> {
        let (text, handler) = match self.guide.resolved() {
            Guide::Schema(kimera_core::Schema::DateTime) => {
                let at: NaiveDateTime = text
                    .parse()
                    .map_err(|e| error(self.path, format!("`{text}` is not a datetime: {e}")))?;
                let text = format_datetime(&at).map_err(|e| error(self.path, e))?;
                (std::borrow::Cow::Owned(text), Handler::DateTime)
            }
            Guide::Schema(kimera_core::Schema::Date) => {
                let date: NaiveDate = text
                    .parse()
                    .map_err(|e| error(self.path, format!("`{text}` is not a date: {e}")))?;
                let text = format_date(&date).map_err(|e| error(self.path, e))?;
                (std::borrow::Cow::Owned(text), Handler::Date)
            }
            _ => (std::borrow::Cow::Borrowed(text), Handler::Default),
        };
        depth_check(self.level, self.limits)?;
        self.out.enter(self.level)?;
        Ok(self.out.string_value(&text, handler, self.level)?)
    }
}

/// A list or tuple being written, or a tuple variant's content.
pub(super) struct Seq<'a, 'p> {
    writer: Writer<'a, 'p>,
    handler: Handler,
    items: Items,
    count: usize,
    variant: Option<&'static str>,
}

impl Seq<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let writer = &mut self.writer;
        let level = writer.level + u32::from(self.variant.is_some());
        if self.count > 0 {
            writer.out.separator();
        }
        let guide = self.items.at(self.count);
        match self.variant {
            Some(name) => {
                let content = Path::Key(writer.path, name);
                let path = Path::Index(&content, self.count);
                value.serialize(writer.child(guide, &path, level + 1))?;
            }
            None => {
                let path = Path::Index(writer.path, self.count);
                value.serialize(writer.child(guide, &path, level + 1))?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        let level = self.writer.level + u32::from(self.variant.is_some());
        self.writer.out.raw("]");
        self.writer.end(self.handler, level)?;
        match self.variant {
            Some(_) => self.writer.close_variant(),
            None => Ok(()),
        }
    }
}

/// A dict being written (a map, a struct), or a struct variant's content.
pub(super) struct Map<'a, 'p> {
    writer: Writer<'a, 'p>,
    guide: Guide,
    /// A map's keys (a struct's are distinct by construction).
    keys: Keys<'static>,
    /// The key whose value comes next.
    key: Option<String>,
    count: usize,
    variant: Option<&'static str>,
}

impl Map<'_, '_> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        let writer = &mut self.writer;
        let level = writer.level + u32::from(self.variant.is_some());
        writer.out.key(key, self.count == 0, level)?;
        let guide = self.guide.entry(key, self.count);
        match self.variant {
            Some(name) => {
                let content = Path::Key(writer.path, name);
                let path = Path::Key(&content, key);
                value.serialize(writer.child(guide, &path, level + 1))?;
            }
            None => {
                let path = Path::Key(writer.path, key);
                value.serialize(writer.child(guide, &path, level + 1))?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        let level = self.writer.level + u32::from(self.variant.is_some());
        self.writer.out.raw("}");
        self.writer.end(Handler::Dict, level)?;
        match self.variant {
            Some(_) => self.writer.close_variant(),
            None => Ok(()),
        }
    }
}

impl<'a, 'p> ser::Serializer for Writer<'a, 'p> {
    type Ok = ();
    type Error = Failure;
    type SerializeSeq = Seq<'a, 'p>;
    type SerializeTuple = Seq<'a, 'p>;
    type SerializeTupleStruct = Seq<'a, 'p>;
    type SerializeTupleVariant = Seq<'a, 'p>;
    type SerializeMap = Map<'a, 'p>;
    type SerializeStruct = Map<'a, 'p>;
    type SerializeStructVariant = Map<'a, 'p>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.scalar(|out| out.raw(if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.scalar(|out| out.float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.scalar(|out| out.float(v))
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let mut seq = Writer {
            guide: Guide::Plain,
            ..self
        }
        .seq(Some(v.len()), None)?;
        for byte in v {
            seq.item(byte)?;
        }
        seq.finish()
    }
    fn serialize_none(self) -> Result<()> {
        self.scalar(|out| out.raw("null"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.open_variant(variant)?;
        let guide = self.guide.variant(variant);
        let path = Path::Key(self.path, variant);
        let level = self.level + 1;
        value.serialize(self.child(guide, &path, level))?;
        self.close_variant()
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, 'p>> {
        self.seq(len, None)
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'p>> {
        self.seq(Some(len), None)
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a, 'p>> {
        self.seq(Some(len), None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 'p>> {
        self.seq(Some(len), Some(variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Map<'a, 'p>> {
        self.map(None)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Map<'a, 'p>> {
        self.map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Map<'a, 'p>> {
        self.map(Some(variant))
    }
}

macro_rules! seq_impls {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Seq<'_, '_> {
            type Ok = ();
            type Error = Failure;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.item(value)
            }
            fn end(self) -> Result<()> {
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

macro_rules! struct_impls {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Map<'_, '_> {
            type Ok = ();
            type Error = Failure;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<()> {
                self.entry(key, value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    )*};
}

struct_impls!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Map<'_, '_> {
    type Ok = ();
    type Error = Failure;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        let text = super::key::text(key)?;
        if !self.keys.insert(Cow::Owned(text.clone())) {
            return Err(error(self.writer.path, repeated_key(&text)).into());
        }
        self.key = Some(text);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Failure::Custom("a map value was written before its key".to_owned()))?;
        self.entry(&key, value)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}
