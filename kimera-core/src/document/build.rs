//! From a `'static` [`Schema`] to a [`Document`].

use std::collections::HashMap;

use super::{Definition, Document, Field, Fields, Node, Repr, Shape, Type, Variant};
use crate::schema::{self, TypeDef, TypeRef};
use crate::Schema;

pub(super) fn document(schema: &'static Schema) -> Document {
    let mut builder = Builder {
        types: Vec::new(),
        index: HashMap::new(),
    };
    let root = builder.node(schema);
    Document {
        root,
        types: builder.types,
    }
}

struct Builder {
    types: Vec<Type>,
    /// Named types already met, by identity (name, version, arguments, origin).
    index: HashMap<&'static TypeRef, u32>,
}

impl Builder {
    fn node(&mut self, schema: &'static Schema) -> Node {
        if let Some(leaf) = leaf(schema) {
            return leaf;
        }
        let boxed = |b: &mut Self, s| Box::new(b.node(s));
        match *schema {
            Schema::Compact(inner) => Node::Compact(boxed(self, inner)),
            Schema::Option(inner) => Node::Option(boxed(self, inner)),
            Schema::List(item) => Node::List(boxed(self, item)),
            Schema::Set(item) => Node::Set(boxed(self, item)),
            Schema::Map(key, value) => Node::Map {
                key: boxed(self, key),
                value: boxed(self, value),
            },
            Schema::Tuple(items) => Node::Tuple(self.nodes(items)),
            Schema::Array(item, len) => Node::Array {
                item: boxed(self, item),
                len: len as u64,
            },
            Schema::Named(r) => Node::Named(self.named(r)),
            Schema::Type(def) => Node::Type(Box::new(self.inline(def))),
            Schema::Foreign(f) => Node::Foreign {
                name: f.name.to_owned(),
                readable: boxed(self, f.readable),
                compact: boxed(self, f.compact),
            },
            Schema::Opaque(name) => Node::Opaque(name.to_owned()),
            _ => unreachable!("`leaf` takes the schemas without children"),
        }
    }

    fn nodes(&mut self, items: &'static [&'static Schema]) -> Vec<Node> {
        items.iter().map(|item| self.node(item)).collect()
    }

    /// The index of `r`'s type, added (before its children, so that they can refer back to it)
    /// when first met.
    fn named(&mut self, r: &'static TypeRef) -> u32 {
        if let Some(&index) = self.index.get(r) {
            return index;
        }
        let index = self.types.len() as u32;
        self.index.insert(r, index);
        self.types.push(Type {
            name: r.name.to_owned(),
            version: r.version,
            params: Vec::new(),
            origin: r.origin.map(str::to_owned),
            definition: Definition::Schema(Node::Unit),
        });
        self.types[index as usize].params = self.nodes(r.params);
        let definition = match (r.definition)() {
            Schema::Type(def) if same_identity(r, def) => self.definition(def),
            other => Definition::Schema(self.node(other)),
        };
        self.types[index as usize].definition = definition;
        index
    }

    fn inline(&mut self, def: &'static TypeDef) -> Type {
        Type {
            name: def.name.to_owned(),
            version: def.version,
            params: self.nodes(def.params),
            origin: def.origin.map(str::to_owned),
            definition: self.definition(def),
        }
    }

    fn definition(&mut self, def: &'static TypeDef) -> Definition {
        let shape = match def.shape {
            schema::Shape::Struct(fields) => Shape::Struct(self.fields(&fields)),
            schema::Shape::TaggedStruct { tag, name, fields } => Shape::TaggedStruct {
                tag: tag.to_owned(),
                name: name.to_owned(),
                fields: self.fields(&fields),
            },
            schema::Shape::Transparent(inner) => Shape::Transparent(self.node(inner)),
            schema::Shape::Enum { repr, variants } => Shape::Enum {
                repr: match repr {
                    schema::EnumRepr::External => Repr::External,
                    schema::EnumRepr::Internal { tag } => Repr::Internal {
                        tag: tag.to_owned(),
                    },
                    schema::EnumRepr::Adjacent { tag, content } => Repr::Adjacent {
                        tag: tag.to_owned(),
                        content: content.to_owned(),
                    },
                    schema::EnumRepr::Untagged => Repr::Untagged,
                },
                variants: variants
                    .iter()
                    .map(|v| Variant {
                        name: v.name.to_owned(),
                        fields: self.fields(&v.fields),
                        untagged: v.untagged,
                        aliases: v.aliases.iter().map(|a| (*a).to_owned()).collect(),
                    })
                    .collect(),
            },
        };
        Definition::Shape {
            shape,
            by_reference: def.by_reference.to_vec(),
        }
    }

    fn fields(&mut self, fields: &schema::Fields) -> Fields {
        match *fields {
            schema::Fields::Unit => Fields::Unit,
            schema::Fields::Newtype(inner) => Fields::Newtype(self.node(inner)),
            schema::Fields::Tuple(items) => Fields::Tuple(self.nodes(items)),
            schema::Fields::Named(fields) => Fields::Named(
                fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.to_owned(),
                        schema: self.node(f.schema),
                        default: f.attrs.default,
                        flatten: f.attrs.flatten,
                        skip_if: f.attrs.skip_if,
                        aliases: f.attrs.aliases.iter().map(|a| (*a).to_owned()).collect(),
                    })
                    .collect(),
            ),
        }
    }
}

/// Whether a reference and its definition name the same type, as derived types' do: the
/// document then gives the identity once.
fn same_identity(r: &TypeRef, def: &TypeDef) -> bool {
    (r.name, r.version, r.params, r.origin) == (def.name, def.version, def.params, def.origin)
}

/// The node of a schema without children (`u8`, `str`, `date`), if it is one.
pub(super) fn leaf(schema: &Schema) -> Option<Node> {
    Some(match *schema {
        Schema::Bool => Node::Bool,
        Schema::I8 => Node::I8,
        Schema::I16 => Node::I16,
        Schema::I32 => Node::I32,
        Schema::I64 => Node::I64,
        Schema::I128 => Node::I128,
        Schema::U8 => Node::U8,
        Schema::U16 => Node::U16,
        Schema::U32 => Node::U32,
        Schema::U64 => Node::U64,
        Schema::U128 => Node::U128,
        Schema::F32 => Node::F32,
        Schema::F64 => Node::F64,
        Schema::Char => Node::Char,
        Schema::Str => Node::Str,
        Schema::Unit => Node::Unit,
        Schema::Bytes => Node::Bytes,
        Schema::Any => Node::Any,
        Schema::Date => Node::Date,
        Schema::Time => Node::Time,
        Schema::DateTime => Node::DateTime,
        Schema::DateTimeUtc => Node::DateTimeUtc,
        Schema::DateTimeOffset => Node::DateTimeOffset,
        Schema::TimeDelta => Node::TimeDelta,
        Schema::Duration => Node::Duration,
        _ => return None,
    })
}
