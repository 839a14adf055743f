//! Reading a body written with another schema: a serde `Deserializer` that walks the writer's
//! [`Document`] over the bincode bytes and presents what it finds the way a self-describing
//! format would, so that the reader's own `Deserialize` matches it (`docs/versioning.md`,
//! "Resolution"):
//!
//! - a struct with named fields is a map keyed by the writer's field names: serde's derive
//!   matches them to the reader's fields, fills the missing ones from their defaults, accepts
//!   aliases and skips fields it does not know (with `deserialize_ignored_any`, which walks the
//!   writer's schema past them);
//! - an enum is its variant's name, not its index;
//! - integers are visited at the writer's width, which serde's visitors widen;
//! - a value the reader asks to read as an `Option` is `Some` of it.
//!
//! Primitives are read by bincode's own decoders, so the bytes are understood exactly as
//! bincode wrote them.

use std::sync::LazyLock;

use bincode::de::{BorrowDecode, BorrowDecoder, Decode, Decoder as _, DecoderImpl};
use bincode::error::DecodeError;
use kimera_core::document::{Definition, Document, Fields, Node, Repr, Shape, Type};
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use crate::body::config;
use crate::cursor::Cursor;

/// bincode's decoder over the body; its context is the element budget left (below).
type Decoder<'de> = DecoderImpl<Cursor<'de>, bincode::config::Configuration, u64>;

/// Decodes `seed` from `body`, which was written with `doc`'s schema; returns the value and
/// the number of bytes read.
///
/// The guard around `seed` bounds the depth; the element count it cannot bound here (it counts
/// what the reader's hint says is read from the input, and here the writer's schema decides),
/// so the resolver keeps its own budget, as the guard's: one element per byte of the body, and
/// `zero_size_allowance` more, taken for every length it reads or the document claims.
pub(crate) fn seed_decode<'de, S: DeserializeSeed<'de>>(
    seed: S,
    doc: &Document,
    body: &'de [u8],
    limits: &kimera_core::Limits,
) -> Result<(S::Value, usize), DecodeError> {
    let budget = (body.len() as u64).saturating_add(limits.zero_size_allowance);
    let mut de = DecoderImpl::new(Cursor(body), config(), budget);
    let value = seed.deserialize(Resolver {
        doc,
        node: &doc.root,
        de: &mut de,
    })?;
    Ok((value, body.len() - de.borrow_reader().0.len()))
}

/// What a node stands for once named types, transparent types and foreign types' compact
/// shapes are seen through.
enum Target<'a> {
    Node(&'a Node),
    Shaped(&'a Type, &'a Shape),
}

/// Named types a node may pass through before reaching a shape that reads something: a chain
/// of transparent types longer than this can only come from a forged document.
const MAX_HOPS: usize = 256;

/// Reads the value `node` describes; `'d` is the document's lifetime, `'r` the borrow of the
/// decoder.
struct Resolver<'d, 'r, 'de> {
    doc: &'d Document,
    node: &'d Node,
    de: &'r mut Decoder<'de>,
}

fn err(message: impl std::fmt::Display) -> DecodeError {
    DecodeError::custom(message)
}

impl<'d, 'de> Resolver<'d, '_, 'de> {
    fn at(&mut self, node: &'d Node) -> Resolver<'d, '_, 'de> {
        Resolver {
            doc: self.doc,
            node,
            de: self.de,
        }
    }

    fn target(&self) -> Result<Target<'d>, DecodeError> {
        let mut node = self.node;
        for _ in 0..MAX_HOPS {
            let (named, definition) = match node {
                Node::Named(index) => {
                    let named = self
                        .doc
                        .named(*index)
                        .ok_or_else(|| err(format!("the writer's schema has no type {index}")))?;
                    (named, &named.definition)
                }
                Node::Type(named) => (&**named, &named.definition),
                Node::Foreign { compact, .. } => {
                    node = compact;
                    continue;
                }
                node => return Ok(Target::Node(node)),
            };
            match definition {
                Definition::Schema(inner)
                | Definition::Shape {
                    shape: Shape::Transparent(inner),
                    ..
                } => node = inner,
                Definition::Shape { shape, .. } => return Ok(Target::Shaped(named, shape)),
            }
        }
        Err(err(
            "the writer's schema passes through more than 256 named types without a value",
        ))
    }

    fn decode<T: Decode<u64>>(&mut self) -> Result<T, DecodeError> {
        T::decode(self.de)
    }

    /// A length read from the body, paid for from the element budget.
    fn len(&mut self) -> Result<usize, DecodeError> {
        let len = self.decode::<u64>()?;
        self.claim(len)
    }

    /// Takes `count` elements from the budget.
    fn claim(&mut self, count: u64) -> Result<usize, DecodeError> {
        let left = self.de.context();
        match left.checked_sub(count) {
            Some(rest) => {
                *left = rest;
                usize::try_from(count).map_err(|_| DecodeError::OutsideUsizeRange(count))
            }
            None => Err(err(format!(
                "{count} elements claimed, more than the element count limit lets the rest of the body hold"
            ))),
        }
    }
}

impl<'de> Deserializer<'de> for Resolver<'_, '_, 'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        let node = match self.target()? {
            Target::Shaped(named, shape) => return self.shaped(named, shape, visitor),
            Target::Node(node) => node,
        };
        match node {
            Node::Bool => visitor.visit_bool(self.decode()?),
            Node::I8 => visitor.visit_i8(self.decode()?),
            Node::I16 => visitor.visit_i16(self.decode()?),
            Node::I32 => visitor.visit_i32(self.decode()?),
            Node::I64 => visitor.visit_i64(self.decode()?),
            Node::I128 => visitor.visit_i128(self.decode()?),
            Node::U8 => visitor.visit_u8(self.decode()?),
            Node::U16 => visitor.visit_u16(self.decode()?),
            Node::U32 => visitor.visit_u32(self.decode()?),
            Node::U64 => visitor.visit_u64(self.decode()?),
            Node::U128 => visitor.visit_u128(self.decode()?),
            Node::F32 => visitor.visit_f32(self.decode()?),
            Node::F64 => visitor.visit_f64(self.decode()?),
            Node::Char => visitor.visit_char(self.decode()?),
            // chrono writes its values as text in every format.
            Node::Str
            | Node::Date
            | Node::Time
            | Node::DateTime
            | Node::DateTimeUtc
            | Node::DateTimeOffset => visitor.visit_borrowed_str(<&str>::borrow_decode(self.de)?),
            Node::Bytes => visitor.visit_borrowed_bytes(<&[u8]>::borrow_decode(self.de)?),
            Node::Unit => visitor.visit_unit(),
            // The numbers serde writes for these, as the tuples they are in bincode.
            Node::Duration => visitor.visit_seq(Items::each(self, numbers(&DURATION))),
            Node::TimeDelta => visitor.visit_seq(Items::each(self, numbers(&TIMEDELTA))),
            Node::Compact(form) => {
                let numbers = match **form {
                    Node::Date => return visitor.visit_i32(self.decode()?),
                    Node::Time => numbers(&COMPACT_TIME),
                    Node::DateTime | Node::DateTimeUtc => numbers(&COMPACT_DATETIME),
                    Node::DateTimeOffset => numbers(&COMPACT_OFFSET),
                    _ => return Err(err("the writer's schema has a compact form of no chrono type")),
                };
                visitor.visit_seq(Items::each(self, numbers))
            }
            Node::Option(inner) => match self.decode::<u8>()? {
                0 => visitor.visit_none(),
                1 => visitor.visit_some(self.at(inner)),
                tag => Err(err(format!("option tag {tag}, expected 0 or 1"))),
            },
            Node::List(item) | Node::Set(item) => {
                let len = self.len()?;
                visitor.visit_seq(Items::repeat(self, item, len))
            }
            Node::Array { item, len } => {
                // The document is input too: its lengths are paid for like the body's.
                let len = self.claim(*len)?;
                visitor.visit_seq(Items::repeat(self, item, len))
            }
            Node::Tuple(items) => {
                self.claim(items.len() as u64)?;
                visitor.visit_seq(Items::each(self, items))
            }
            Node::Map { key, value } => {
                let len = self.len()?;
                visitor.visit_map(Entries {
                    at: self,
                    key,
                    value,
                    left: len,
                })
            }
            Node::Any | Node::Opaque(_) => Err(err(
                "the writer's schema has a value of no fixed shape, which binary bodies cannot hold",
            )),
            Node::Named(_) | Node::Type(_) | Node::Foreign { .. } => {
                unreachable!("`target` sees through them")
            }
        }
    }

    /// A value written as `T` reads as `Some(T)` when the reader now has an `Option`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.target()? {
            Target::Node(Node::Option(_)) => self.deserialize_any(visitor),
            _ => visitor.visit_some(self),
        }
    }

    /// A value the reader skips is walked all the same, under the reader's limits (the visitor
    /// is the guarded one).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

impl<'de> Resolver<'_, '_, 'de> {
    fn shaped<V: Visitor<'de>>(
        self,
        named: &Type,
        shape: &Shape,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match shape {
            Shape::Struct(fields) => self.fields(fields, visitor),
            Shape::Enum {
                repr: Repr::External,
                variants,
            } => {
                let mut at = self;
                let index = at.decode::<u32>()?;
                let variant = variants.get(index as usize).ok_or_else(|| {
                    err(format!(
                        "variant index {index}: the writer's `{}` has {} variants",
                        named.name,
                        variants.len()
                    ))
                })?;
                visitor.visit_enum(Variant {
                    at,
                    name: &variant.name,
                    fields: &variant.fields,
                })
            }
            _ => Err(err(format!(
                "the writer's `{}` has a shape only self-describing formats can hold",
                named.name
            ))),
        }
    }

    fn fields<V: Visitor<'de>>(self, fields: &Fields, visitor: V) -> Result<V::Value, DecodeError> {
        let mut at = self;
        match fields {
            Fields::Unit => visitor.visit_unit(),
            Fields::Newtype(inner) => visitor.visit_newtype_struct(at.at(inner)),
            Fields::Tuple(items) => visitor.visit_seq(Items::each(at, items)),
            Fields::Named(fields) => visitor.visit_map(Named {
                at,
                fields: fields.iter(),
                value: None,
            }),
        }
    }
}

/// The elements of a list, a set or an array (`item` repeated), or of a tuple (`each`).
struct Items<'d, 'r, 'de> {
    at: Resolver<'d, 'r, 'de>,
    each: std::slice::Iter<'d, Node>,
    item: Option<&'d Node>,
    left: usize,
}

impl<'d, 'r, 'de> Items<'d, 'r, 'de> {
    fn repeat(at: Resolver<'d, 'r, 'de>, item: &'d Node, len: usize) -> Self {
        Items {
            at,
            each: [].iter(),
            item: Some(item),
            left: len,
        }
    }

    fn each(at: Resolver<'d, 'r, 'de>, items: &'d [Node]) -> Self {
        Items {
            at,
            each: items.iter(),
            item: None,
            left: items.len(),
        }
    }
}

impl<'de> SeqAccess<'de> for Items<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DecodeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let node = match self.item {
            Some(item) => item,
            None => self.each.next().expect("one node per element"),
        };
        seed.deserialize(self.at.at(node)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        // The claimed length, as bincode gives it, already paid for from the element budget
        // (`Resolver::claim`): what a reader reserves from it is bounded by the body.
        Some(self.left)
    }
}

/// The entries of a map.
struct Entries<'d, 'r, 'de> {
    at: Resolver<'d, 'r, 'de>,
    key: &'d Node,
    value: &'d Node,
    left: usize,
}

impl<'de> MapAccess<'de> for Entries<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DecodeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(self.at.at(self.key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, DecodeError> {
        seed.deserialize(self.at.at(self.value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A struct's fields, keyed by the names the writer gave them.
struct Named<'d, 'r, 'de> {
    at: Resolver<'d, 'r, 'de>,
    fields: std::slice::Iter<'d, kimera_core::document::Field>,
    value: Option<&'d Node>,
}

impl<'de> MapAccess<'de> for Named<'_, '_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DecodeError> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(&field.schema);
        seed.deserialize(field.name.as_str().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, DecodeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| err("a field value without its name"))?;
        seed.deserialize(self.at.at(node))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// An enum value: its variant by name, then the variant's fields.
struct Variant<'d, 'r, 'de> {
    at: Resolver<'d, 'r, 'de>,
    name: &'d str,
    fields: &'d Fields,
}

impl<'de> EnumAccess<'de> for Variant<'_, '_, 'de> {
    type Error = DecodeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), DecodeError> {
        let name = seed.deserialize(self.name.into_deserializer())?;
        Ok((name, self))
    }
}

impl<'de> VariantAccess<'de> for Variant<'_, '_, 'de> {
    type Error = DecodeError;

    /// A unit variant (or one the reader's `#[serde(other)]` variant takes): the writer's
    /// variant must hold nothing, as JSON requires too; its values are not dropped unread.
    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.fields {
            Fields::Unit => Ok(()),
            _ => Err(err(format!(
                "the writer's variant `{}` holds fields, and the reader reads it as a unit variant",
                self.name
            ))),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, DecodeError> {
        let mut at = self.at;
        match self.fields {
            Fields::Newtype(inner) => seed.deserialize(at.at(inner)),
            _ => Err(err(format!(
                "the writer's variant `{}` does not hold one value",
                self.name
            ))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.at.fields(self.fields, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.at.fields(self.fields, visitor)
    }
}

/// The numbers of a fixed-width value, as bincode writes them: a `Duration`, a `TimeDelta`, the
/// compact chrono forms (`docs/schema.md`).
type Numbers = LazyLock<Vec<Node>>;

static DURATION: Numbers = LazyLock::new(|| vec![Node::U64, Node::U32]);
static TIMEDELTA: Numbers = LazyLock::new(|| vec![Node::I64, Node::I32]);
static COMPACT_TIME: Numbers = LazyLock::new(|| vec![Node::U32, Node::U32]);
static COMPACT_DATETIME: Numbers = LazyLock::new(|| vec![Node::I64, Node::U32]);
static COMPACT_OFFSET: Numbers = LazyLock::new(|| vec![Node::I64, Node::U32, Node::I32]);

fn numbers(numbers: &'static Numbers) -> &'static [Node] {
    numbers
}
