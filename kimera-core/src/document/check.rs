//! Whether a reader can resolve values written with another schema: the rules of
//! `docs/versioning.md`, "Resolution", checked on the schemas alone before any value is read.
//!
//! Structs are matched by field name (a reader's field may name the writer's by one of its
//! `#[serde(alias)]`es); a reader's field the writer lacks needs `#[serde(default)]` or an
//! `Option` type; a writer's field the reader lacks is skipped. Enums are matched by variant
//! name; a variant the reader does not know is an error only when a value holds it (the reader's
//! `#[serde(other)]` variant takes it, if it has one). Integers may widen, to a float too where
//! every value is exact (up to 32 bits into `f64`, 16 into `f32`), and `f32` to `f64`; any
//! value may become an `Option` of it. Anything else must keep its kind.
//!
//! ```
//! use kimera::schema::document::{check, Document};
//! use kimera::KimeraHandler;
//!
//! let written = Document::of::<Vec<u16>>();
//! assert!(check::check(&written, <Vec<Option<u64>>>::SCHEMA, false).is_ok());
//! let err = check::check(&written, <Vec<u8>>::SCHEMA, false).unwrap_err();
//! assert_eq!(err.to_string(), "at `[]`: the writer's `u16` does not fit the reader's `u8`");
//! ```

use std::collections::HashSet;
use std::fmt;

use super::hash::MAX_DEPTH;
use super::{Definition, Document, Fields, Node, Shape, Type, Variant};
use crate::Schema;

/// Why a reader cannot resolve a writer's schema: where, and what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    path: String,
    reason: String,
}

impl Mismatch {
    /// Where in the value: `players[].level`, `.` for the value itself.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What differs, in a sentence.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.as_str() {
            "." => write!(f, "{}", self.reason),
            path => write!(f, "at `{path}`: {}", self.reason),
        }
    }
}

impl std::error::Error for Mismatch {}

/// Checks that values written with `writer` can be read as `reader` (a type's
/// [`KimeraHandler::SCHEMA`](crate::KimeraHandler::SCHEMA)), in a format that is
/// (`human_readable`, JSON) or is not (binary) human-readable: foreign types are compared by
/// the shape each writes there.
pub fn check(
    writer: &Document,
    reader: &'static Schema,
    human_readable: bool,
) -> Result<(), Mismatch> {
    check_documents(writer, &Document::from_schema(reader), human_readable)
}

/// [`check`] with the reader's schema as a document too: whether a program whose type has the
/// schema `reader` reads the values written with `writer`, when neither program is at hand (a
/// schema history checked by a script, `kimera schemas check`).
///
/// ```
/// use kimera::schema::document::{check, Document};
///
/// let older = Document::of::<(u8, String)>();
/// let newer = Document::of::<(u32, String)>();
/// assert!(check::check_documents(&older, &newer, false).is_ok());
/// let err = check::check_documents(&newer, &older, false).unwrap_err();
/// assert_eq!(err.to_string(), "at `[0]`: the writer's `u32` does not fit the reader's `u8`");
/// ```
pub fn check_documents(
    writer: &Document,
    reader: &Document,
    human_readable: bool,
) -> Result<(), Mismatch> {
    let mut checker = Checker {
        writer,
        reader,
        human_readable,
        path: Vec::new(),
        assumed: HashSet::new(),
        depth: 0,
    };
    checker.node(&writer.root, &reader.root)
}

/// What a node stands for once its named type is looked up.
#[derive(Clone, Copy)]
enum Resolved<'d> {
    Node(&'d Node),
    Shaped(&'d Type),
}

struct Checker<'d> {
    writer: &'d Document,
    reader: &'d Document,
    human_readable: bool,
    path: Vec<String>,
    /// Pairs of a writer's and a reader's named type already being compared: a recursive type
    /// meets them again, and is compatible if the rest is.
    assumed: HashSet<(u32, u32)>,
    /// Nodes being compared, one inside the other: bounded, as a forged document may pass
    /// through transparent types without end.
    depth: usize,
}

impl<'d> Checker<'d> {
    fn fail<T>(&self, reason: impl Into<String>) -> Result<T, Mismatch> {
        let path = match self.path.concat() {
            p if p.is_empty() => ".".to_owned(),
            p => p.strip_prefix('.').map(str::to_owned).unwrap_or(p),
        };
        Err(Mismatch {
            path,
            reason: reason.into(),
        })
    }

    fn within<T>(
        &mut self,
        segment: impl Into<String>,
        f: impl FnOnce(&mut Self) -> Result<T, Mismatch>,
    ) -> Result<T, Mismatch> {
        if self.path.len() > MAX_DEPTH {
            return self.fail(format!("the schemas nest deeper than {MAX_DEPTH} levels"));
        }
        self.path.push(segment.into());
        let result = f(self);
        self.path.pop();
        result
    }

    /// `node` of the writer's (`side` "writer") or the reader's document, its named type
    /// looked up.
    fn resolve(
        &self,
        doc: &'d Document,
        side: &str,
        node: &'d Node,
    ) -> Result<Resolved<'d>, Mismatch> {
        match node {
            Node::Named(index) => match doc.named(*index) {
                Some(named) => match &named.definition {
                    Definition::Shape { .. } => Ok(Resolved::Shaped(named)),
                    Definition::Schema(node) => Ok(Resolved::Node(node)),
                },
                None => self.fail(format!(
                    "the {side}'s schema refers to type {index}, which it does not hold"
                )),
            },
            Node::Type(def) => Ok(Resolved::Shaped(def)),
            node => Ok(Resolved::Node(node)),
        }
    }

    fn node(&mut self, w: &'d Node, r: &'d Node) -> Result<(), Mismatch> {
        if self.depth > 4 * MAX_DEPTH {
            return self.fail(format!(
                "the writer's schema nests deeper than {} levels",
                4 * MAX_DEPTH
            ));
        }
        self.depth += 1;
        let result = self.node_inner(w, r);
        self.depth -= 1;
        result
    }

    fn node_inner(&mut self, w: &'d Node, r: &'d Node) -> Result<(), Mismatch> {
        // Recursion: a pair already being compared is assumed to match.
        if let (Node::Named(wi), Node::Named(ri)) = (w, r) {
            if !self.assumed.insert((*wi, *ri)) {
                return Ok(());
            }
        }
        let read = self.resolve(self.reader, "reader", r)?;
        if let Resolved::Node(inner @ (Node::Named(_) | Node::Type(_))) = read {
            return self.node(w, inner);
        }
        let written = self.resolve(self.writer, "writer", w)?;
        // A value of `T` reads as `Some` of it when the reader now has an `Option<T>`.
        if let Resolved::Node(Node::Option(inner)) = read {
            if !matches!(written, Resolved::Node(Node::Option(_))) {
                return self.node(w, inner);
            }
        }
        if let (Resolved::Shaped(wd), Resolved::Shaped(rd)) = (written, read) {
            if wd.name == rd.name && wd.version != rd.version {
                return self.fail(format!(
                    "the writer's `{}` is version {}, the reader's version {}: a version bump declares a change that its `previous` chain converts, and only a value's own type is migrated, not one held inside it (docs/versioning.md, \"Limits of this version\")",
                    wd.name, wd.version, rd.version
                ));
            }
        }
        if let Some(inner) = transparent(written) {
            return self.node(inner, r);
        }
        if let Some(inner) = transparent(read) {
            return self.node(w, inner);
        }
        let w = match written {
            Resolved::Shaped(wd) => return self.shaped(wd, r, read),
            Resolved::Node(inner @ (Node::Named(_) | Node::Type(_))) => return self.node(inner, r),
            Resolved::Node(w) => w,
        };
        let opaque = |node: &Node| matches!(node, Node::Any | Node::Opaque(_));
        let r = match read {
            Resolved::Shaped(_) if self.human_readable && opaque(w) => return Ok(()),
            Resolved::Shaped(_) => return self.fail(self.differs(w, r)),
            Resolved::Node(r) => r,
        };
        match (w, r) {
            (Node::Option(wi), Node::Option(ri)) => self.node(wi, ri),
            (Node::List(wi), Node::List(ri)) | (Node::Set(wi), Node::Set(ri)) => {
                self.within("[]", |c| c.node(wi, ri))
            }
            (Node::Map { key, value }, Node::Map { key: rk, value: rv }) => {
                self.within("{key}", |c| c.node(key, rk))?;
                self.within("{}", |c| c.node(value, rv))
            }
            (Node::Tuple(ws), Node::Tuple(rs)) => self.items(ws, rs),
            (
                Node::Array { item, len },
                Node::Array {
                    item: ri,
                    len: rlen,
                },
            ) if len == rlen => self.within("[]", |c| c.node(item, ri)),
            (Node::Compact(wf), Node::Compact(rf)) => self.node(wf, rf),
            (
                Node::Foreign {
                    name,
                    readable,
                    compact,
                },
                Node::Foreign {
                    name: rn,
                    readable: rr,
                    compact: rc,
                },
            ) if name == rn => match self.human_readable {
                true => self.node(readable, rr),
                false => self.node(compact, rc),
            },
            (w, r) if self.human_readable && (opaque(w) || opaque(r)) => Ok(()),
            (w, r) if leaf_fits(w, r) => Ok(()),
            (w, r) => self.fail(self.differs(w, r)),
        }
    }

    fn items(&mut self, ws: &'d [Node], rs: &'d [Node]) -> Result<(), Mismatch> {
        if ws.len() != rs.len() {
            return self.fail(format!(
                "the writer has {} unnamed fields, the reader {}",
                ws.len(),
                rs.len()
            ));
        }
        for (i, (w, r)) in ws.iter().zip(rs).enumerate() {
            self.within(format!("[{i}]"), |c| c.node(w, r))?;
        }
        Ok(())
    }

    /// The writer's derived type `w` against the reader's node `r`, resolved as `read`.
    fn shaped(&mut self, w: &'d Type, r: &'d Node, read: Resolved<'d>) -> Result<(), Mismatch> {
        let Definition::Shape { shape: ws, .. } = &w.definition else {
            return self.fail(format!(
                "the writer's inline type `{}` has no shape",
                w.name
            ));
        };
        let rd = match read {
            Resolved::Shaped(rd) => rd,
            Resolved::Node(_) => {
                return self.fail(format!(
                    "the writer's `{}` is the reader's `{}`",
                    w.name,
                    self.reader.name_of(r)
                ))
            }
        };
        let Definition::Shape { shape: rs, .. } = &rd.definition else {
            unreachable!("`resolve` gives only types with a shape")
        };
        match (ws, rs) {
            (Shape::Struct(wf), Shape::Struct(rf)) => self.fields(&w.name, wf, rf),
            (
                Shape::TaggedStruct { tag, name, fields },
                Shape::TaggedStruct {
                    tag: rt,
                    name: rn,
                    fields: rf,
                },
            ) if tag == rt && name == rn => self.fields(&w.name, fields, rf),
            (
                Shape::Enum { repr, variants },
                Shape::Enum {
                    repr: rr,
                    variants: rv,
                },
            ) if repr == rr => {
                for v in variants {
                    // A variant the reader lacks fails when a value holds it, not before: an
                    // older reader still reads every value of the variants it knows.
                    let named = |r: &&Variant| r.name == v.name || r.aliases.contains(&v.name);
                    if let Some(r) = rv.iter().find(named) {
                        self.within(format!("::{}", v.name), |c| {
                            c.fields(&w.name, &v.fields, &r.fields)
                        })?;
                    }
                }
                Ok(())
            }
            _ => self.fail(format!(
                "the writer's `{}` is a {}, the reader's `{}` a {}",
                w.name,
                shape_kind(ws),
                rd.name,
                shape_kind(rs)
            )),
        }
    }

    fn fields(&mut self, name: &str, w: &'d Fields, r: &'d Fields) -> Result<(), Mismatch> {
        match (w, r) {
            (Fields::Unit, Fields::Unit) => Ok(()),
            (Fields::Newtype(wi), Fields::Newtype(ri)) => self.node(wi, ri),
            (Fields::Tuple(ws), Fields::Tuple(rs)) => self.items(ws, rs),
            (Fields::Named(ws), Fields::Named(rs)) => {
                for rf in rs {
                    let found = ws
                        .iter()
                        .find(|wf| wf.name == rf.name || rf.aliases.contains(&wf.name));
                    match found {
                        Some(wf) => self.within(format!(".{}", rf.name), |c| c.node(&wf.schema, &rf.schema))?,
                        None if rf.default || matches!(rf.schema, Node::Option(_)) => {}
                        // Flattened fields are matched by serde among the others.
                        None if rf.flatten || ws.iter().any(|wf| wf.flatten) => {}
                        None => {
                            return self.within(format!(".{}", rf.name), |c| {
                                c.fail(format!(
                                    "the writer's `{name}` has no field `{}`, and the reader's has no default for it: give it `#[serde(default)]` or an `Option` type",
                                    rf.name
                                ))
                            })
                        }
                    }
                }
                Ok(())
            }
            (w, r) => self.fail(format!(
                "the writer's `{name}` has {}, the reader's {}",
                fields_kind(w),
                fields_kind(r)
            )),
        }
    }

    fn differs(&self, w: &Node, r: &Node) -> String {
        let written = self.writer.name_of(w);
        let read = self.reader.name_of(r);
        if int(w).is_some() && (int(r).is_some() || matches!(r, Node::F32 | Node::F64)) {
            return format!("the writer's `{written}` does not fit the reader's `{read}`");
        }
        match w {
            Node::Any | Node::Opaque(_) => {
                format!("the writer's `{written}` has no shape the binary format can read")
            }
            _ => format!("the writer wrote `{written}`, the reader reads `{read}`"),
        }
    }
}

/// The inner node of a transparent type.
fn transparent(resolved: Resolved<'_>) -> Option<&Node> {
    match resolved {
        Resolved::Shaped(Type {
            definition:
                Definition::Shape {
                    shape: Shape::Transparent(inner),
                    ..
                },
            ..
        }) => Some(inner),
        _ => None,
    }
}

/// An integer's signedness and width rank (8 bits: 1 ... 128 bits: 5).
fn int(node: &Node) -> Option<(bool, u8)> {
    Some(match node {
        Node::I8 => (true, 1),
        Node::I16 => (true, 2),
        Node::I32 => (true, 3),
        Node::I64 => (true, 4),
        Node::I128 => (true, 5),
        Node::U8 => (false, 1),
        Node::U16 => (false, 2),
        Node::U32 => (false, 3),
        Node::U64 => (false, 4),
        Node::U128 => (false, 5),
        _ => return None,
    })
}

/// Whether a leaf the writer wrote reads as the reader's leaf without losing anything.
fn leaf_fits(w: &Node, r: &Node) -> bool {
    if let (Some((ws, wr)), Some((rs, rr))) = (int(w), int(r)) {
        return match (ws, rs) {
            (false, false) | (true, true) => rr >= wr,
            (false, true) => rr > wr,
            (true, false) => false,
        };
    }
    match (w, r) {
        (w, Node::F64) if int(w).is_some_and(|(_, rank)| rank <= 3) => true,
        (w, Node::F32) if int(w).is_some_and(|(_, rank)| rank <= 2) => true,
        (Node::F32, Node::F64) => true,
        (w, r) => !w.leaf_name().is_empty() && w.leaf_name() == r.leaf_name(),
    }
}

fn shape_kind(shape: &Shape) -> &'static str {
    match shape {
        Shape::Struct(_) | Shape::TaggedStruct { .. } => "struct",
        Shape::Transparent(_) => "transparent type",
        Shape::Enum { .. } => "enum",
    }
}

fn fields_kind(fields: &Fields) -> &'static str {
    match fields {
        Fields::Unit => "no fields",
        Fields::Newtype(_) => "one unnamed field",
        Fields::Tuple(_) => "unnamed fields",
        Fields::Named(_) => "named fields",
    }
}
