//! JSON to binary body: a `DeserializeSeed` that walks the writer's schema document and asks
//! the JSON deserializer for what serde's derive asks it for, writing the bincode a typed
//! program writes for the value. It accepts what the typed reader accepts, and refuses besides
//! what conversion would lose: unknown fields, missing ones (their defaults are in the type,
//! not in the schema), duplicate fields and map keys.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use kimera_core::document::{Document, Field, Fields, Node, Repr, Shape, Variant};
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error as _, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

use super::leaf::LeafError;
use super::path::Path;

pub(super) struct State {
    max_depth: u32,
    pub(super) path: Path,
}

impl State {
    pub(super) fn new(limits: &kimera_core::Limits) -> Self {
        State {
            max_depth: limits.max_depth,
            path: Path::default(),
        }
    }
}

/// Reads the value `node` describes and appends its bincode to `out`.
pub(super) struct Value<'s, 'o> {
    pub(super) doc: &'s Document,
    pub(super) node: &'s Node,
    pub(super) state: &'s RefCell<State>,
    pub(super) out: &'o mut Vec<u8>,
}

fn varint(out: &mut Vec<u8>, n: u64) {
    let config = kimera_binary::__private::config();
    kimera_binary::__private::bincode::encode_into_std_write(n, out, config)
        .expect("a Vec takes every write");
}

impl<'de> DeserializeSeed<'de> for Value<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let state = self.state;
        let depth = state.borrow_mut().path.enter();
        let max = state.borrow().max_depth;
        let result = match depth > max as usize {
            true => Err(D::Error::custom(format!(
                "the value nests deeper than the limit of {max} levels"
            ))),
            false => self.walk(deserializer),
        };
        let mut state = state.borrow_mut();
        match &result {
            Ok(()) => state.path.leave(),
            Err(_) => state.path.fail(),
        }
        result
    }
}

impl<'s> Value<'s, '_> {
    fn at<'p>(&'p mut self, node: &'s Node) -> Value<'s, 'p> {
        Value {
            doc: self.doc,
            node,
            state: self.state,
            out: self.out,
        }
    }

    fn walk<'de, D: Deserializer<'de>>(mut self, deserializer: D) -> Result<(), D::Error> {
        let node = match super::target(self.doc, self.node).map_err(D::Error::custom)? {
            super::Target::Shaped(named, shape) => {
                return self.shaped(&named.name, shape, deserializer)
            }
            super::Target::Leaf(leaf) => {
                return leaf
                    .to_binary(deserializer, self.out)
                    .map_err(|err| match err {
                        LeafError::Format(err) => err,
                        LeafError::Binary(message) => D::Error::custom(message),
                    })
            }
            super::Target::Node(node) => node,
        };
        match node {
            Node::Option(inner) => deserializer.deserialize_option(OptionOf(self.at(inner))),
            Node::List(item) | Node::Set(item) => deserializer.deserialize_seq(Items {
                value: self.at(&Node::Unit),
                each: Each::Repeat(item),
                len: None,
            }),
            Node::Array { item, len } => {
                let len = usize::try_from(*len).map_err(|_| D::Error::custom("an array too long"))?;
                deserializer.deserialize_tuple(
                    len,
                    Items {
                        value: self.at(&Node::Unit),
                        each: Each::Repeat(item),
                        len: Some(len),
                    },
                )
            }
            Node::Tuple(items) => deserializer.deserialize_tuple(
                items.len(),
                Items {
                    value: self.at(&Node::Unit),
                    each: Each::Tuple(items),
                    len: Some(items.len()),
                },
            ),
            Node::Map { key, value } => deserializer.deserialize_map(Entries {
                value: self.at(&Node::Unit),
                key,
                item: value,
            }),
            _ => Err(D::Error::custom(
                "the writer's schema has a value of no fixed shape, which binary bodies cannot hold",
            )),
        }
    }

    fn shaped<'de, D: Deserializer<'de>>(
        self,
        name: &'s str,
        shape: &'s Shape,
        deserializer: D,
    ) -> Result<(), D::Error> {
        match shape {
            Shape::Struct(fields) => self.fields(fields, deserializer),
            Shape::Enum {
                repr: Repr::External,
                variants,
            } => deserializer.deserialize_enum(
                "",
                &[],
                Enum {
                    value: self,
                    variants,
                },
            ),
            _ => Err(D::Error::custom(format!(
                "the writer's `{name}` has a shape only self-describing formats can hold, which \
                 binary bodies cannot"
            ))),
        }
    }

    fn fields<'de, D: Deserializer<'de>>(
        mut self,
        fields: &'s Fields,
        deserializer: D,
    ) -> Result<(), D::Error> {
        match fields {
            Fields::Unit => deserializer.deserialize_unit_struct("", Unit),
            Fields::Newtype(inner) => {
                deserializer.deserialize_newtype_struct("", Newtype(self.at(inner)))
            }
            Fields::Tuple(items) => deserializer.deserialize_tuple_struct(
                "",
                items.len(),
                Items {
                    value: self.at(&Node::Unit),
                    each: Each::Tuple(items),
                    len: Some(items.len()),
                },
            ),
            Fields::Named(fields) => deserializer.deserialize_struct(
                "",
                &[],
                Struct {
                    value: self,
                    fields,
                },
            ),
        }
    }
}

struct OptionOf<'s, 'o>(Value<'s, 'o>);

impl<'de> Visitor<'de> for OptionOf<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an option")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.out.push(0);
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.out.push(1);
        self.0.deserialize(deserializer)
    }
}

struct Unit;

impl<'de> Visitor<'de> for Unit {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

struct Newtype<'s, 'o>(Value<'s, 'o>);

impl<'de> Visitor<'de> for Newtype<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a newtype struct")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.deserialize(deserializer)
    }
}

enum Each<'s> {
    Repeat(&'s Node),
    Tuple(&'s [Node]),
}

/// A sequence: its length first (unless `len` fixes it), then the items.
struct Items<'s, 'o> {
    value: Value<'s, 'o>,
    each: Each<'s>,
    len: Option<usize>,
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.len {
            Some(len) => write!(f, "an array of {len} elements"),
            None => f.write_str("an array"),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        let mut count = 0usize;
        loop {
            let node = match self.each {
                Each::Repeat(item) => item,
                Each::Tuple(nodes) => match nodes.get(count) {
                    Some(node) => node,
                    None => break,
                },
            };
            self.value.state.borrow_mut().path.index(count);
            let seed = Value {
                doc: self.value.doc,
                node,
                state: self.value.state,
                out: &mut items,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            count += 1;
        }
        match self.len {
            Some(len) if count != len => return Err(A::Error::invalid_length(count, &self)),
            Some(_) => {
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(count + 1, &self));
                }
            }
            None => varint(self.value.out, count as u64),
        }
        self.value.out.extend_from_slice(&items);
        Ok(())
    }
}

/// A map: its length, then the entries in the order they come; a key twice is refused.
struct Entries<'s, 'o> {
    value: Value<'s, 'o>,
    key: &'s Node,
    item: &'s Node,
}

impl<'de> Visitor<'de> for Entries<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (doc, state) = (self.value.doc, self.value.state);
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let mut count = 0usize;
        loop {
            state.borrow_mut().path.key(count);
            let mut key = Vec::new();
            let seed = Value {
                doc,
                node: self.key,
                state,
                out: &mut key,
            };
            if map.next_key_seed(seed)?.is_none() {
                break;
            }
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!(
                    "entry {count} repeats the key of an earlier one: a typed map would keep one"
                )));
            }
            entries.extend_from_slice(&key);
            state.borrow_mut().path.value(count);
            map.next_value_seed(Value {
                doc,
                node: self.item,
                state,
                out: &mut entries,
            })?;
            count += 1;
        }
        varint(self.value.out, count as u64);
        self.value.out.extend_from_slice(&entries);
        Ok(())
    }
}

/// A struct with named fields: written in the schema's order, whatever the order they come in.
struct Struct<'s, 'o> {
    value: Value<'s, 'o>,
    fields: &'s [Field],
}

impl Struct<'_, '_> {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name == name || f.aliases.iter().any(|a| a == name))
    }
}

impl<'de> Visitor<'de> for Struct<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (doc, state) = (self.value.doc, self.value.state);
        if let Some(field) = self.fields.iter().find(|f| f.flatten || f.skip_if) {
            return Err(A::Error::custom(format!(
                "the writer's field `{}` is flattened or skipped when empty, which binary bodies \
                 cannot hold",
                field.name
            )));
        }
        let mut values: Vec<Option<Vec<u8>>> = vec![None; self.fields.len()];
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(index) = self.index_of(&name) else {
                let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
                return Err(A::Error::custom(format!(
                    "unknown field `{}`; the writer's schema has {} (converting would drop it)",
                    kimera_core::envelope::quoted_name(&name),
                    names.join(", ")
                )));
            };
            let field = &self.fields[index];
            if values[index].is_some() {
                return Err(A::Error::custom(format!(
                    "duplicate field `{}`",
                    field.name
                )));
            }
            state.borrow_mut().path.field(&field.name);
            let mut out = Vec::new();
            map.next_value_seed(Value {
                doc,
                node: &field.schema,
                state,
                out: &mut out,
            })?;
            values[index] = Some(out);
        }
        for (field, value) in self.fields.iter().zip(values) {
            match value {
                Some(bytes) => self.value.out.extend_from_slice(&bytes),
                None => {
                    return Err(A::Error::custom(format!(
                        "missing field `{}` (a default is the type's to fill, and the schema \
                         does not hold it)",
                        field.name
                    )))
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (doc, state) = (self.value.doc, self.value.state);
        for (i, field) in self.fields.iter().enumerate() {
            state.borrow_mut().path.field(&field.name);
            let seed = Value {
                doc,
                node: &field.schema,
                state,
                out: &mut *self.value.out,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Err(A::Error::invalid_length(i, &self));
            }
        }
        if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            return Err(A::Error::invalid_length(self.fields.len() + 1, &self));
        }
        Ok(())
    }
}

/// An externally tagged enum: the variant's index, then its content.
struct Enum<'s, 'o> {
    value: Value<'s, 'o>,
    variants: &'s [Variant],
}

struct VariantName<'s>(&'s [Variant]);

impl<'de> DeserializeSeed<'de> for VariantName<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for VariantName<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a variant name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|v| v.name == name || v.aliases.iter().any(|a| a == name))
            .ok_or_else(|| {
                let names: Vec<&str> = self.0.iter().map(|v| v.name.as_str()).collect();
                E::custom(format!(
                    "unknown variant `{}`; the writer's schema has {}",
                    kimera_core::envelope::quoted_name(name),
                    names.join(", ")
                ))
            })
    }
}

impl<'de> Visitor<'de> for Enum<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an enum variant")
    }

    fn visit_enum<A: EnumAccess<'de>>(mut self, data: A) -> Result<(), A::Error> {
        let (index, access) = data.variant_seed(VariantName(self.variants))?;
        let variant = &self.variants[index];
        if variant.untagged {
            return Err(A::Error::custom(
                "an untagged variant, which binary bodies cannot hold",
            ));
        }
        varint(self.value.out, index as u64);
        self.value.state.borrow_mut().path.field(&variant.name);
        let value = self.value.at(&Node::Unit);
        match &variant.fields {
            Fields::Unit => access.unit_variant(),
            Fields::Newtype(inner) => {
                let Value {
                    doc, state, out, ..
                } = value;
                access.newtype_variant_seed(Value {
                    doc,
                    node: inner,
                    state,
                    out,
                })
            }
            Fields::Tuple(items) => access.tuple_variant(
                items.len(),
                Items {
                    value,
                    each: Each::Tuple(items),
                    len: Some(items.len()),
                },
            ),
            Fields::Named(fields) => access.struct_variant(&[], Struct { value, fields }),
        }
    }
}
