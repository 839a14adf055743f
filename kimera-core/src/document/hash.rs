//! A document's fingerprint, computed from the document alone.
//!
//! The node stream is the one [`Schema::fingerprint_with`](crate::Schema::fingerprint_with)
//! hashes (the tags of `crate::schema::tag`, `docs/schema.md`): a child enters its parent
//! through its own fingerprint. Handlers pass their children's full fingerprints, so the
//! fingerprint of a value sees through named types ("deep"), except where a type's definition
//! says a child enters by reference ([`Definition::Shape::by_reference`], a recursive field);
//! inside a reference, and for generic arguments, children enter as their plain
//! `Schema::fingerprint` ("shallow").

use std::fmt;

use super::{Definition, Document, Fields, Node, Repr, Shape, Type};
use crate::fingerprint::Fnv64;
use crate::schema::tag;

/// Deepest nesting a document may have, counting nodes and named types entered: far beyond
/// any real schema, and bounded so that a hostile document cannot exhaust the stack.
pub(crate) const MAX_DEPTH: usize = 256;

/// Why a [`Document`] cannot be used: it refers to a type it does not hold, or could not have
/// been written by any handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDocument {
    reason: String,
}

impl InvalidDocument {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        InvalidDocument {
            reason: reason.into(),
        }
    }

    /// What is wrong with the document, in a sentence.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid schema document: {}", self.reason)
    }
}

impl std::error::Error for InvalidDocument {}

type Result<T> = std::result::Result<T, InvalidDocument>;

pub(super) fn fingerprint(doc: &Document) -> Result<u64> {
    let mut hasher = Hasher {
        doc,
        memo: vec![None; doc.types.len()],
        shallow: vec![None; doc.types.len()],
        entered: vec![false; doc.types.len()],
        depth: 0,
    };
    let root = hasher.node(&doc.root, Mode::Deep)?;
    // Every type must be valid, not only those the root's fingerprint goes through: a type
    // held by reference alone is read all the same.
    for (index, named) in doc.types.iter().enumerate() {
        hasher.deep_named(index as u32, named)?;
    }
    Ok(root)
}

/// How a node's children enter its hash.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// As their handlers' fingerprints: through named types to their definitions.
    Deep,
    /// As `Schema::fingerprint`: a named type by its name, version and arguments.
    Shallow,
}

struct Hasher<'d> {
    doc: &'d Document,
    /// Deep fingerprints of named types already computed.
    memo: Vec<Option<u64>>,
    /// Their reference fingerprints (name, version, arguments), likewise.
    shallow: Vec<Option<u64>>,
    /// Named types whose deep fingerprint is being computed: meeting one again is a cycle no
    /// handler could have computed.
    entered: Vec<bool>,
    depth: usize,
}

impl<'d> Hasher<'d> {
    fn node(&mut self, node: &Node, mode: Mode) -> Result<u64> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(InvalidDocument::new(format!(
                "it nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let hash = self.node_inner(node, mode);
        self.depth -= 1;
        hash
    }

    fn node_inner(&mut self, node: &Node, mode: Mode) -> Result<u64> {
        let h = Fnv64::new();
        let h = match node {
            Node::Bool => h.byte(tag::BOOL),
            Node::I8 => h.byte(tag::I8),
            Node::I16 => h.byte(tag::I16),
            Node::I32 => h.byte(tag::I32),
            Node::I64 => h.byte(tag::I64),
            Node::I128 => h.byte(tag::I128),
            Node::U8 => h.byte(tag::U8),
            Node::U16 => h.byte(tag::U16),
            Node::U32 => h.byte(tag::U32),
            Node::U64 => h.byte(tag::U64),
            Node::U128 => h.byte(tag::U128),
            Node::F32 => h.byte(tag::F32),
            Node::F64 => h.byte(tag::F64),
            Node::Char => h.byte(tag::CHAR),
            Node::Str => h.byte(tag::STR),
            Node::Unit => h.byte(tag::UNIT),
            Node::Bytes => h.byte(tag::BYTES),
            Node::Any => h.byte(tag::ANY),
            Node::Date => h.byte(tag::DATE),
            Node::Time => h.byte(tag::TIME),
            Node::DateTime => h.byte(tag::DATETIME),
            Node::DateTimeUtc => h.byte(tag::DATETIME_UTC),
            Node::DateTimeOffset => h.byte(tag::DATETIME_OFFSET),
            Node::TimeDelta => h.byte(tag::TIMEDELTA),
            Node::Duration => h.byte(tag::DURATION),
            Node::Compact(inner) => h.byte(tag::COMPACT).u64(self.node(inner, mode)?),
            Node::Option(inner) => h.byte(tag::OPTION).u64(self.node(inner, mode)?),
            Node::List(item) => h.byte(tag::LIST).u64(self.node(item, mode)?),
            Node::Set(item) => h.byte(tag::SET).u64(self.node(item, mode)?),
            Node::Map { key, value } => {
                let h = h.byte(tag::MAP).u64(self.node(key, mode)?);
                h.u64(self.node(value, mode)?)
            }
            Node::Tuple(items) => self.all(h.byte(tag::TUPLE), items, mode)?,
            Node::Array { item, len } => {
                let h = h.byte(tag::ARRAY).u64(self.node(item, mode)?);
                h.u64(*len)
            }
            Node::Named(index) => {
                let named = self.named(*index)?;
                if mode == Mode::Deep {
                    return self.deep_named(*index, named);
                }
                // Memoized: arguments that repeat a type would otherwise be hashed again and
                // again, exponentially in a forged document.
                if let Some(hash) = self.shallow[*index as usize] {
                    return Ok(hash);
                }
                let h = h.byte(tag::NAMED).str(&named.name).u32(named.version);
                let hash = self.all(h, &named.params, Mode::Shallow)?.finish();
                self.shallow[*index as usize] = Some(hash);
                return Ok(hash);
            }
            Node::Type(def) => return self.shaped(def, mode),
            Node::Foreign {
                name,
                readable,
                compact,
            } => {
                let h = h.byte(tag::FOREIGN).str(name);
                let h = h.u64(self.node(readable, mode)?);
                h.u64(self.node(compact, mode)?)
            }
            Node::Opaque(name) => h.byte(tag::OPAQUE).str(name),
        };
        Ok(h.finish())
    }

    fn named(&self, index: u32) -> Result<&'d Type> {
        let doc = self.doc;
        doc.named(index).ok_or_else(|| {
            InvalidDocument::new(format!(
                "it refers to type {index}, and holds only {}",
                doc.types.len()
            ))
        })
    }

    fn deep_named(&mut self, index: u32, named: &Type) -> Result<u64> {
        let slot = index as usize;
        if let Some(hash) = self.memo[slot] {
            return Ok(hash);
        }
        if std::mem::replace(&mut self.entered[slot], true) {
            return Err(InvalidDocument::new(format!(
                "`{}` holds itself without a field marked as hashed by reference",
                named.name
            )));
        }
        let hash = match &named.definition {
            Definition::Shape { .. } => self.shaped(named, Mode::Deep)?,
            Definition::Schema(node) => self.node(node, Mode::Deep)?,
        };
        self.memo[slot] = Some(hash);
        Ok(hash)
    }

    /// A type with a shape ([`Schema::Type`](crate::Schema::Type)).
    fn shaped(&mut self, def: &Type, mode: Mode) -> Result<u64> {
        let Definition::Shape {
            shape,
            by_reference,
        } = &def.definition
        else {
            return Err(InvalidDocument::new(format!(
                "the inline type `{}` has no shape",
                def.name
            )));
        };
        let h = Fnv64::new().byte(tag::TYPE).str(&def.name).u32(def.version);
        let h = self.all(h, &def.params, Mode::Shallow)?;
        let mut marks = by_reference.clone();
        marks.sort_unstable();
        marks.dedup();
        let mut children = Children {
            mode,
            by_reference: &marks,
            next: 0,
        };
        let h = match shape {
            Shape::Struct(fields) => {
                self.fields(h.byte(tag::SHAPE_STRUCT), fields, &mut children)?
            }
            Shape::TaggedStruct {
                tag: t,
                name,
                fields,
            } => {
                let h = h.byte(tag::SHAPE_TAGGED_STRUCT).str(t).str(name);
                self.fields(h, fields, &mut children)?
            }
            Shape::Transparent(inner) => {
                let child = self.child(inner, &mut children)?;
                h.byte(tag::SHAPE_TRANSPARENT).u64(child)
            }
            Shape::Enum { repr, variants } => {
                let h = h.byte(tag::SHAPE_ENUM);
                let mut h = match repr {
                    Repr::External => h.byte(tag::REPR_EXTERNAL),
                    Repr::Internal { tag: t } => h.byte(tag::REPR_INTERNAL).str(t),
                    Repr::Adjacent { tag: t, content } => {
                        h.byte(tag::REPR_ADJACENT).str(t).str(content)
                    }
                    Repr::Untagged => h.byte(tag::REPR_UNTAGGED),
                };
                h = h.u32(variants.len() as u32);
                for v in variants {
                    h = h.str(&v.name).byte(v.untagged as u8);
                    h = self.fields(h, &v.fields, &mut children)?;
                }
                h
            }
        };
        if let Some(&unused) = marks.last().filter(|&&i| i >= children.next) {
            return Err(InvalidDocument::new(format!(
                "`{}` marks child {unused} as hashed by reference, and has {} children",
                def.name, children.next
            )));
        }
        Ok(h.finish())
    }

    fn fields(&mut self, h: Fnv64, fields: &Fields, children: &mut Children<'_>) -> Result<Fnv64> {
        Ok(match fields {
            Fields::Unit => h.byte(tag::FIELDS_UNIT),
            Fields::Newtype(inner) => h
                .byte(tag::FIELDS_NEWTYPE)
                .u64(self.child(inner, children)?),
            Fields::Tuple(items) => {
                let mut h = h.byte(tag::FIELDS_TUPLE).u32(items.len() as u32);
                for item in items {
                    h = h.u64(self.child(item, children)?);
                }
                h
            }
            Fields::Named(fields) => {
                let mut h = h.byte(tag::FIELDS_NAMED).u32(fields.len() as u32);
                for field in fields {
                    let flags = field.default as u8
                        | (field.flatten as u8) << 1
                        | (field.skip_if as u8) << 2;
                    let child = self.child(&field.schema, children)?;
                    h = h.str(&field.name).u64(child).byte(flags);
                }
                h
            }
        })
    }

    /// The next child of a shape, deep unless the type hashes it by reference.
    fn child(&mut self, node: &Node, children: &mut Children<'_>) -> Result<u64> {
        let index = children.next;
        children.next += 1;
        let mode = match children.by_reference.binary_search(&index) {
            Ok(_) => Mode::Shallow,
            Err(_) => children.mode,
        };
        self.node(node, mode)
    }

    fn all(&mut self, h: Fnv64, items: &[Node], mode: Mode) -> Result<Fnv64> {
        let mut h = h.u32(items.len() as u32);
        for item in items {
            h = h.u64(self.node(item, mode)?);
        }
        Ok(h)
    }
}

/// The children of one shape, numbered as `TypeDef::by_reference` numbers them.
struct Children<'a> {
    mode: Mode,
    /// Sorted.
    by_reference: &'a [u32],
    next: u32,
}
