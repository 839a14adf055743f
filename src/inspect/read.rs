//! Binary body to JSON: a `Serialize` that walks the writer's schema document over the bincode
//! bytes and makes the serializer calls serde's derive makes for the value, so that serde_json
//! writes exactly what `kimera::json` writes for it.

use std::cell::RefCell;

use kimera_core::document::{Document, Fields, Node, Repr, Shape};
use kimera_core::Limits;
use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};

use super::leaf::LeafError;
use super::path::Path;

/// Where the walk is: the bytes left, the element budget, the depth and the path.
pub(super) struct State<'de> {
    pub(super) rest: &'de [u8],
    budget: u64,
    max_depth: u32,
    /// Variants are written as [`kimera_core::value::VARIANT`] structs for the value model,
    /// not as the one-entry maps serde_json writes for them.
    pub(super) variants: bool,
    pub(super) path: Path,
}

impl<'de> State<'de> {
    pub(super) fn new(body: &'de [u8], limits: &Limits) -> Self {
        State {
            rest: body,
            // As the schema-driven resolver counts: one element per byte of the body, and the
            // allowance for zero-sized ones.
            budget: (body.len() as u64).saturating_add(limits.zero_size_allowance),
            max_depth: limits.max_depth,
            variants: false,
            path: Path::default(),
        }
    }
}

/// The value `node` describes, read from the state's bytes as it is serialized.
pub(super) struct Value<'s, 'de> {
    pub(super) doc: &'s Document,
    pub(super) node: &'s Node,
    pub(super) state: &'s RefCell<State<'de>>,
}

impl Serialize for Value<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let depth = self.state.borrow_mut().path.enter();
        let max = self.state.borrow().max_depth;
        let result = match depth > max as usize {
            true => Err(S::Error::custom(format!(
                "the value nests deeper than the limit of {max} levels"
            ))),
            false => self.walk(serializer),
        };
        let mut state = self.state.borrow_mut();
        match &result {
            Ok(_) => state.path.leave(),
            Err(_) => state.path.fail(),
        }
        result
    }
}

impl<'s, 'de> Value<'s, 'de> {
    fn at(&self, node: &'s Node) -> Value<'s, 'de> {
        Value {
            doc: self.doc,
            node,
            state: self.state,
        }
    }

    fn decode<T: bincode_decode::Decode>(&self) -> Result<T, String> {
        let mut state = self.state.borrow_mut();
        let (value, read) = T::decode(state.rest)?;
        state.rest = &state.rest[read..];
        Ok(value)
    }

    /// A length read from the body, paid for from the element budget.
    fn len<E: serde::ser::Error>(&self) -> Result<usize, E> {
        let len = self.decode::<u64>().map_err(E::custom)?;
        self.claim(len)
    }

    fn claim<E: serde::ser::Error>(&self, count: u64) -> Result<usize, E> {
        let mut state = self.state.borrow_mut();
        match state.budget.checked_sub(count) {
            Some(rest) => {
                state.budget = rest;
                usize::try_from(count).map_err(|_| E::custom("a length beyond this platform's memory"))
            }
            None => Err(E::custom(format!(
                "{count} elements claimed, more than the element count limit lets the rest of the body hold"
            ))),
        }
    }

    fn walk<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let node = match super::target(self.doc, self.node).map_err(S::Error::custom)? {
            super::Target::Shaped(named, shape) => {
                return self.shaped(&named.name, shape, serializer)
            }
            super::Target::Leaf(leaf) => {
                let mut state = self.state.borrow_mut();
                let mut rest = state.rest;
                // The serializer of a leaf does not come back here, so the state may stay
                // borrowed while it writes.
                let result = leaf.to_json(&mut rest, serializer);
                state.rest = rest;
                return result.map_err(|err| match err {
                    LeafError::Format(err) => err,
                    LeafError::Binary(message) => S::Error::custom(message),
                });
            }
            super::Target::Node(node) => node,
        };
        match node {
            Node::Option(inner) => match self.decode::<u8>().map_err(S::Error::custom)? {
                0 => serializer.serialize_none(),
                1 => serializer.serialize_some(&self.at(inner)),
                tag => Err(S::Error::custom(format!("option tag {tag}, expected 0 or 1"))),
            },
            Node::List(item) | Node::Set(item) => {
                let len = self.len()?;
                let mut seq = serializer.serialize_seq(Some(len))?;
                for i in 0..len {
                    self.state.borrow_mut().path.index(i);
                    seq.serialize_element(&self.at(item))?;
                }
                seq.end()
            }
            Node::Array { item, len } => {
                let len = self.claim(*len)?;
                let mut seq = serializer.serialize_tuple(len)?;
                for i in 0..len {
                    self.state.borrow_mut().path.index(i);
                    seq.serialize_element(&self.at(item))?;
                }
                seq.end()
            }
            Node::Tuple(items) => self.tuple(items, serializer),
            Node::Map { key, value } => {
                let len = self.len()?;
                let mut map = serializer.serialize_map(Some(len))?;
                for i in 0..len {
                    self.state.borrow_mut().path.key(i);
                    map.serialize_key(&self.at(key))?;
                    self.state.borrow_mut().path.value(i);
                    map.serialize_value(&self.at(value))?;
                }
                map.end()
            }
            _ => Err(S::Error::custom(
                "the writer's schema has a value of no fixed shape, which binary bodies cannot hold",
            )),
        }
    }

    fn tuple<S: Serializer>(&self, items: &'s [Node], serializer: S) -> Result<S::Ok, S::Error> {
        self.claim(items.len() as u64)?;
        let mut seq = serializer.serialize_tuple(items.len())?;
        for (i, item) in items.iter().enumerate() {
            self.state.borrow_mut().path.index(i);
            seq.serialize_element(&self.at(item))?;
        }
        seq.end()
    }

    fn shaped<S: Serializer>(
        &self,
        name: &str,
        shape: &'s Shape,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match shape {
            Shape::Struct(fields) => self.fields(fields, serializer),
            Shape::Enum {
                repr: Repr::External,
                variants,
            } => {
                let index = self.decode::<u32>().map_err(S::Error::custom)?;
                let variant = variants.get(index as usize).ok_or_else(|| {
                    S::Error::custom(format!(
                        "variant index {index}: the writer's `{name}` has {} variants",
                        variants.len()
                    ))
                })?;
                if variant.untagged {
                    return Err(S::Error::custom(format!(
                        "the writer's `{name}` has an untagged variant, which binary bodies cannot hold"
                    )));
                }
                if let Fields::Unit = variant.fields {
                    // `"Variant"`, as serde_json writes a unit variant.
                    return serializer.serialize_str(&variant.name);
                }
                // `{"Variant": content}`: the bytes serde_json writes for the other variants.
                let variants = {
                    let mut state = self.state.borrow_mut();
                    state.path.field(&variant.name);
                    state.variants
                };
                let content = Content {
                    value: self.at(&Node::Unit),
                    fields: &variant.fields,
                };
                if variants {
                    let pair = (variant.name.as_str(), content);
                    return serializer.serialize_newtype_struct(kimera_core::value::VARIANT, &pair);
                }
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(&variant.name, &content)?;
                map.end()
            }
            _ => Err(S::Error::custom(format!(
                "the writer's `{name}` has a shape only self-describing formats can hold"
            ))),
        }
    }

    fn fields<S: Serializer>(&self, fields: &'s Fields, serializer: S) -> Result<S::Ok, S::Error> {
        match fields {
            Fields::Unit => serializer.serialize_unit_struct(""),
            Fields::Newtype(inner) => serializer.serialize_newtype_struct("", &self.at(inner)),
            Fields::Tuple(items) => self.tuple(items, serializer),
            Fields::Named(fields) => {
                if let Some(field) = fields.iter().find(|f| f.flatten || f.skip_if) {
                    return Err(S::Error::custom(format!(
                        "the writer's field `{}` is flattened or skipped when empty, which binary \
                         bodies cannot hold",
                        field.name
                    )));
                }
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for field in fields {
                    self.state.borrow_mut().path.field(&field.name);
                    map.serialize_entry(&field.name, &self.at(&field.schema))?;
                }
                map.end()
            }
        }
    }
}

/// A variant's content, written as the fields of a struct of that shape are.
struct Content<'s, 'de> {
    value: Value<'s, 'de>,
    fields: &'s Fields,
}

impl Serialize for Content<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A level of its own, so that the fields' names follow the variant's in paths.
        self.value.state.borrow_mut().path.enter();
        let result = match self.fields {
            // A newtype variant's content is the value itself, not a newtype struct around it.
            Fields::Newtype(inner) => self.value.at(inner).serialize(serializer),
            fields => self.value.fields(fields, serializer),
        };
        let mut state = self.value.state.borrow_mut();
        match &result {
            Ok(_) => state.path.leave(),
            Err(_) => state.path.fail(),
        }
        result
    }
}

/// Decoding one primitive from the front of a slice with bincode's own decoder.
mod bincode_decode {
    use kimera_binary::__private::{bincode, config, decode_message};

    pub(in crate::inspect) trait Decode: Sized {
        fn decode(bytes: &[u8]) -> Result<(Self, usize), String>;
    }

    impl<T: bincode::Decode<()>> Decode for T {
        fn decode(bytes: &[u8]) -> Result<(Self, usize), String> {
            bincode::decode_from_slice(bytes, config()).map_err(|err| decode_message(&err))
        }
    }
}
