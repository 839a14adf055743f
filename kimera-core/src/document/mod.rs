//! Schema documents: a type's full [`Schema`] as data that travels with its values.
//!
//! A [`Schema`] is `'static` data the compiler builds; a [`Document`] is the same description
//! owned, so that it can be written next to a value (in a binary envelope, a snapshot, a schema
//! history file) and read back by a program that never had the writer's types. Every named type
//! the schema holds appears once in [`Document::types`], and refers to others by index, so
//! recursive types stay finite.
//!
//! The document's [`fingerprint`](Document::fingerprint) is computed from the document alone
//! and equals the writer's [`KimeraHandler::FINGERPRINT`]: a document found anywhere is checked
//! against the fingerprint an envelope carries before anything is read with it.
//!
//! ```
//! use kimera::schema::document::Document;
//! use kimera::KimeraHandler;
//!
//! let doc = Document::of::<Vec<(String, Option<u32>)>>();
//! assert_eq!(doc.fingerprint()?, <Vec<(String, Option<u32>)>>::FINGERPRINT);
//! # Ok::<(), kimera::schema::document::InvalidDocument>(())
//! ```
//!
//! Documents are serde values: the JSON backend writes them as readable JSON, the binary
//! backend as bincode (`docs/schema.md`, "Schema documents", gives both forms).

mod build;
pub mod check;
mod hash;
mod known;
mod stream;

use serde::{Deserialize, Serialize};

use crate::{KimeraHandler, Schema};

pub use hash::InvalidDocument;
pub use known::{known, known_for, KnownSchemas};
pub use stream::StreamSchemas;

/// A type's full schema as owned data (see the [module](self) documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The schema of the value itself, as an envelope names it: for a derived type a
    /// [`Node::Named`] reference to the first of [`types`](Self::types).
    pub root: Node,
    /// Every named type the schema refers to, each once, in the order first met.
    pub types: Vec<Type>,
}

/// One node of a [`Document`]: a [`Schema`] whose references to named types are indices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // Each variant is the `Schema` variant of the same name.
pub enum Node {
    Bool,
    I8,
    I16,
    I32,
    I64,
    I128,
    U8,
    U16,
    U32,
    U64,
    U128,
    F32,
    F64,
    Char,
    Str,
    Unit,
    Bytes,
    Any,
    Date,
    Time,
    DateTime,
    DateTimeUtc,
    DateTimeOffset,
    TimeDelta,
    Duration,
    Compact(Box<Node>),
    Option(Box<Node>),
    List(Box<Node>),
    Set(Box<Node>),
    Map {
        key: Box<Node>,
        value: Box<Node>,
    },
    Tuple(Vec<Node>),
    Array {
        item: Box<Node>,
        len: u64,
    },
    /// [`Schema::Named`]: the named type at this index of [`Document::types`].
    Named(u32),
    /// [`Schema::Type`] written inline (built-in handlers such as `Result` describe their
    /// shape this way); its definition is always a [`Definition::Shape`].
    Type(Box<Type>),
    Foreign {
        name: String,
        readable: Box<Node>,
        compact: Box<Node>,
    },
    Opaque(String),
}

/// A named type: its identity and its definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Type {
    /// The type's Kimera name (`shop.Order`).
    pub name: String,
    /// Its schema version.
    pub version: u32,
    /// Its generic arguments.
    pub params: Vec<Node>,
    /// Where a default-named type is defined ([`TypeRef::origin`](crate::TypeRef::origin)).
    pub origin: Option<String>,
    /// What its values look like.
    pub definition: Definition,
}

/// What a named type's values look like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Definition {
    /// The shape of a derived type ([`Schema::Type`]).
    Shape {
        /// The shape.
        shape: Shape,
        /// The children hashed by reference ([`TypeDef::by_reference`](crate::TypeDef::by_reference)).
        by_reference: Vec<u32>,
    },
    /// A hand-written handler's schema that is not a [`Schema::Type`].
    Schema(Node),
}

/// [`crate::Shape`] in a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // As in `crate::Shape`.
pub enum Shape {
    Struct(Fields),
    TaggedStruct {
        tag: String,
        name: String,
        fields: Fields,
    },
    Transparent(Node),
    Enum {
        repr: Repr,
        variants: Vec<Variant>,
    },
}

/// [`crate::Fields`] in a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // As in `crate::Fields`.
pub enum Fields {
    Unit,
    Newtype(Node),
    Tuple(Vec<Node>),
    Named(Vec<Field>),
}

/// [`crate::Field`] and its [`FieldAttrs`](crate::FieldAttrs) in a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // As in `crate::Field` and `crate::FieldAttrs`.
pub struct Field {
    pub name: String,
    pub schema: Node,
    pub default: bool,
    pub flatten: bool,
    pub skip_if: bool,
    pub aliases: Vec<String>,
}

/// [`crate::Variant`] in a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // As in `crate::Variant`.
pub struct Variant {
    pub name: String,
    pub fields: Fields,
    pub untagged: bool,
    pub aliases: Vec<String>,
}

/// [`crate::EnumRepr`] in a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // As in `crate::EnumRepr`.
pub enum Repr {
    External,
    Internal { tag: String },
    Adjacent { tag: String, content: String },
    Untagged,
}

impl Document {
    /// The document of `T`'s schema.
    ///
    /// ```
    /// use kimera::schema::document::{Document, Node};
    /// assert_eq!(Document::of::<Vec<u8>>().root, Node::List(Box::new(Node::U8)));
    /// ```
    pub fn of<T: KimeraHandler + ?Sized>() -> Document {
        Document::from_schema(T::REFERENCE)
    }

    /// The document of `schema`, following its [`Schema::Named`] references.
    pub fn from_schema(schema: &'static Schema) -> Document {
        build::document(schema)
    }

    /// The fingerprint of the value at the [root](Self::root), computed from the document
    /// alone as [`KimeraHandler::FINGERPRINT`] is computed from the handlers (`docs/schema.md`,
    /// "Fingerprints"); or why the document is not valid (an index out of range, a cycle not
    /// broken by reference, nesting beyond what any schema needs).
    pub fn fingerprint(&self) -> Result<u64, InvalidDocument> {
        hash::fingerprint(self)
    }

    /// The named type at `index` of [`types`](Self::types), if there is one.
    pub fn named(&self, index: u32) -> Option<&Type> {
        self.types.get(index as usize)
    }

    /// The name envelopes carry for the root: `shop.Order`, `list<shop.Order>`.
    pub fn type_name(&self) -> String {
        self.name_of(&self.root)
    }

    /// The origins of the default-named types in the root's type name, in order, joined by
    /// commas as JSON envelopes carry them (`None` if there are none): what
    /// [`Schema::origins`] gives for the schema this document describes.
    ///
    /// ```
    /// use kimera::schema::document::Document;
    /// assert_eq!(Document::of::<Vec<u8>>().origins(), None);
    /// ```
    pub fn origins(&self) -> Option<String> {
        let mut out = String::new();
        self.write_origins(&self.root, &mut out, 0);
        (!out.is_empty()).then_some(out)
    }

    fn write_origins(&self, node: &Node, out: &mut String, depth: usize) {
        if depth > hash::MAX_DEPTH {
            return;
        }
        let (origin, items): (Option<&String>, Vec<&Node>) = match node {
            Node::Named(index) => match self.named(*index) {
                Some(t) => (t.origin.as_ref(), t.params.iter().collect()),
                None => (None, Vec::new()),
            },
            Node::Type(t) => (t.origin.as_ref(), t.params.iter().collect()),
            Node::Compact(item) | Node::Option(item) | Node::List(item) | Node::Set(item) => {
                (None, vec![&**item])
            }
            Node::Array { item, .. } => (None, vec![&**item]),
            Node::Map { key, value } => (None, vec![&**key, &**value]),
            Node::Tuple(items) => (None, items.iter().collect()),
            _ => (None, Vec::new()),
        };
        if let Some(origin) = origin {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(origin);
        }
        for item in items {
            self.write_origins(item, out, depth + 1);
        }
    }

    /// The type name of one of this document's nodes.
    pub fn name_of(&self, node: &Node) -> String {
        let mut out = String::new();
        self.write_name(node, &mut out, 0);
        out
    }

    fn write_name(&self, node: &Node, out: &mut String, depth: usize) {
        // Names are for people: a hostile document's depth must not cost the stack, nor its
        // repeated generic arguments the time.
        const MAX_NAME: usize = 1024;
        if depth > hash::MAX_DEPTH || out.len() > MAX_NAME {
            if !out.ends_with('…') {
                out.push('…');
            }
            return;
        }
        let args = |name: &str, items: &[&Node], out: &mut String| {
            out.push_str(name);
            if items.is_empty() {
                return;
            }
            out.push('<');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                self.write_name(item, out, depth + 1);
            }
            out.push('>');
        };
        match node {
            Node::Compact(inner) => args("compact", &[inner], out),
            Node::Option(inner) => args("option", &[inner], out),
            Node::List(item) => args("list", &[item], out),
            Node::Set(item) => args("set", &[item], out),
            Node::Map { key, value } => args("map", &[key, value], out),
            Node::Tuple(items) => args("tuple", &items.iter().collect::<Vec<_>>(), out),
            Node::Array { item, len } => {
                args("array", &[item], out);
                out.pop();
                out.push_str(&format!(",{len}>"));
            }
            Node::Named(index) => match self.named(*index) {
                Some(t) => args(&t.name, &t.params.iter().collect::<Vec<_>>(), out),
                None => out.push('?'),
            },
            Node::Type(t) => args(&t.name, &t.params.iter().collect::<Vec<_>>(), out),
            Node::Foreign { name, .. } | Node::Opaque(name) => out.push_str(name),
            leaf => out.push_str(leaf.leaf_name()),
        }
    }
}

impl Node {
    /// The name of a node without children (`u8`, `str`); `""` for the others.
    fn leaf_name(&self) -> &'static str {
        match self {
            Node::Bool => "bool",
            Node::I8 => "i8",
            Node::I16 => "i16",
            Node::I32 => "i32",
            Node::I64 => "i64",
            Node::I128 => "i128",
            Node::U8 => "u8",
            Node::U16 => "u16",
            Node::U32 => "u32",
            Node::U64 => "u64",
            Node::U128 => "u128",
            Node::F32 => "f32",
            Node::F64 => "f64",
            Node::Char => "char",
            Node::Str => "str",
            Node::Unit => "unit",
            Node::Bytes => "bytes",
            Node::Any => "any",
            Node::Date => "date",
            Node::Time => "time",
            Node::DateTime => "datetime",
            Node::DateTimeUtc => "datetime_utc",
            Node::DateTimeOffset => "datetime_offset",
            Node::TimeDelta => "timedelta",
            Node::Duration => "duration",
            _ => "",
        }
    }
}

impl Node {
    /// Calls `f` on the index of every [`Node::Named`] in this node, inline types' shapes
    /// included, without following the indices.
    fn for_each_named(&mut self, f: &mut dyn FnMut(&mut u32)) {
        match self {
            Node::Named(index) => f(index),
            Node::Compact(inner) | Node::Option(inner) | Node::List(inner) | Node::Set(inner) => {
                inner.for_each_named(f)
            }
            Node::Array { item, .. } => item.for_each_named(f),
            Node::Map { key, value } => {
                key.for_each_named(f);
                value.for_each_named(f);
            }
            Node::Tuple(items) => items.iter_mut().for_each(|n| n.for_each_named(f)),
            Node::Foreign {
                readable, compact, ..
            } => {
                readable.for_each_named(f);
                compact.for_each_named(f);
            }
            Node::Type(def) => def.for_each_named(f),
            _ => {}
        }
    }
}

impl Type {
    /// [`Node::for_each_named`] over the type's arguments and definition.
    fn for_each_named(&mut self, f: &mut dyn FnMut(&mut u32)) {
        let fields = |fields: &mut Fields, f: &mut dyn FnMut(&mut u32)| match fields {
            Fields::Unit => {}
            Fields::Newtype(inner) => inner.for_each_named(f),
            Fields::Tuple(items) => items.iter_mut().for_each(|n| n.for_each_named(f)),
            Fields::Named(named) => named.iter_mut().for_each(|n| n.schema.for_each_named(f)),
        };
        self.params.iter_mut().for_each(|n| n.for_each_named(f));
        match &mut self.definition {
            Definition::Schema(node) => node.for_each_named(f),
            Definition::Shape { shape, .. } => match shape {
                Shape::Struct(fs) | Shape::TaggedStruct { fields: fs, .. } => fields(fs, f),
                Shape::Transparent(inner) => inner.for_each_named(f),
                Shape::Enum { variants, .. } => {
                    variants.iter_mut().for_each(|v| fields(&mut v.fields, f))
                }
            },
        }
    }
}
