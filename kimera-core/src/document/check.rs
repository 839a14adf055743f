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
use super::{Definition, Document, Fields, Node, Repr, Shape, Type};
use crate::schema::{self, EnumRepr, TypeDef, TypeRef};
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
    let mut checker = Checker {
        doc: writer,
        human_readable,
        path: Vec::new(),
        assumed: HashSet::new(),
        depth: 0,
    };
    checker.node(&writer.root, reader)
}

/// What a writer's node stands for once its named type is looked up.
enum Written<'d> {
    Node(&'d Node),
    Shaped(&'d Type),
}

struct Checker<'d> {
    doc: &'d Document,
    human_readable: bool,
    path: Vec<String>,
    /// Pairs of a writer's named type and a reader's type already being compared: a recursive
    /// type meets them again, and is compatible if the rest is.
    assumed: HashSet<(u32, &'static TypeRef)>,
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

    fn written(&self, node: &'d Node) -> Result<Written<'d>, Mismatch> {
        match node {
            Node::Named(index) => match self.doc.named(*index) {
                Some(named) => match &named.definition {
                    Definition::Shape { .. } => Ok(Written::Shaped(named)),
                    Definition::Schema(node) => Ok(Written::Node(node)),
                },
                None => self.fail(format!(
                    "the writer's schema refers to type {index}, which it does not hold"
                )),
            },
            Node::Type(def) => Ok(Written::Shaped(def)),
            node => Ok(Written::Node(node)),
        }
    }

    fn node(&mut self, w: &'d Node, r: &'static Schema) -> Result<(), Mismatch> {
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

    fn node_inner(&mut self, w: &'d Node, r: &'static Schema) -> Result<(), Mismatch> {
        // Recursion: a pair already being compared is assumed to match.
        if let (Node::Named(index), Schema::Named(named)) = (w, r) {
            if !self.assumed.insert((*index, named)) {
                return Ok(());
            }
        }
        let r = match *r {
            Schema::Named(named) => (named.definition)(),
            _ => r,
        };
        let written = self.written(w)?;
        // A value of `T` reads as `Some` of it when the reader now has an `Option<T>`.
        if let Schema::Option(inner) = r {
            if !matches!(written, Written::Node(Node::Option(_))) {
                return self.node(w, inner);
            }
        }
        if let (Written::Shaped(def), Schema::Type(rd)) = (&written, r) {
            if def.name == rd.name && def.version != rd.version {
                return self.fail(format!(
                    "the writer's `{}` is version {}, the reader's version {}: a version bump declares a change that its `previous` chain converts, and only a value's own type is migrated, not one held inside it (docs/versioning.md, \"Limits of this version\")",
                    def.name, def.version, rd.version
                ));
            }
        }
        if let Written::Shaped(Type {
            definition:
                Definition::Shape {
                    shape: Shape::Transparent(inner),
                    ..
                },
            ..
        }) = written
        {
            return self.node(inner, r);
        }
        if let Schema::Type(TypeDef {
            shape: schema::Shape::Transparent(inner),
            ..
        }) = r
        {
            return self.node(w, inner);
        }
        let w = match written {
            Written::Shaped(def) => return self.shaped(def, r),
            Written::Node(inner @ (Node::Named(_) | Node::Type(_))) => return self.node(inner, r),
            Written::Node(w) => w,
        };
        match (w, r) {
            (Node::Option(wi), Schema::Option(ri)) => self.node(wi, ri),
            (Node::List(wi), Schema::List(ri)) | (Node::Set(wi), Schema::Set(ri)) => {
                self.within("[]", |c| c.node(wi, ri))
            }
            (Node::Map { key, value }, Schema::Map(rk, rv)) => {
                self.within("{key}", |c| c.node(key, rk))?;
                self.within("{}", |c| c.node(value, rv))
            }
            (Node::Tuple(ws), Schema::Tuple(rs)) => self.items(ws, rs),
            (Node::Array { item, len }, Schema::Array(ri, rlen)) if *len == *rlen as u64 => {
                self.within("[]", |c| c.node(item, ri))
            }
            (Node::Compact(wf), Schema::Compact(rf)) => self.node(wf, rf),
            (
                Node::Foreign {
                    name,
                    readable,
                    compact,
                },
                Schema::Foreign(f),
            ) if *name == f.name => {
                let w = if self.human_readable {
                    readable
                } else {
                    compact
                };
                self.node(w, f.shape(self.human_readable))
            }
            (Node::Any | Node::Opaque(_), _) | (_, Schema::Any | Schema::Opaque(_))
                if self.human_readable =>
            {
                Ok(())
            }
            (w, r) if leaf_fits(w, r) => Ok(()),
            (w, r) => self.fail(differs(self.doc, w, r)),
        }
    }

    fn items(&mut self, ws: &'d [Node], rs: &'static [&'static Schema]) -> Result<(), Mismatch> {
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

    fn shaped(&mut self, w: &'d Type, r: &'static Schema) -> Result<(), Mismatch> {
        let Definition::Shape { shape: ws, .. } = &w.definition else {
            return self.fail(format!(
                "the writer's inline type `{}` has no shape",
                w.name
            ));
        };
        let Schema::Type(rd) = r else {
            return self.fail(format!(
                "the writer's `{}` is the reader's `{}`",
                w.name,
                r.type_name()
            ));
        };
        match (ws, rd.shape) {
            (Shape::Struct(wf), schema::Shape::Struct(rf)) => self.fields(&w.name, wf, &rf),
            (
                Shape::TaggedStruct { tag, name, fields },
                schema::Shape::TaggedStruct {
                    tag: rt,
                    name: rn,
                    fields: rf,
                },
            ) if tag == rt && name == rn => self.fields(&w.name, fields, &rf),
            (
                Shape::Enum { repr, variants },
                schema::Shape::Enum {
                    repr: rr,
                    variants: rv,
                },
            ) if same_repr(repr, &rr) => {
                for v in variants {
                    // A variant the reader lacks fails when a value holds it, not before: an
                    // older reader still reads every value of the variants it knows.
                    let named = |r: &&schema::Variant| {
                        r.name == v.name || r.aliases.contains(&v.name.as_str())
                    };
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
                static_shape_kind(&rd.shape)
            )),
        }
    }

    fn fields(&mut self, name: &str, w: &'d Fields, r: &schema::Fields) -> Result<(), Mismatch> {
        match (w, *r) {
            (Fields::Unit, schema::Fields::Unit) => Ok(()),
            (Fields::Newtype(wi), schema::Fields::Newtype(ri)) => self.node(wi, ri),
            (Fields::Tuple(ws), schema::Fields::Tuple(rs)) => self.items(ws, rs),
            (Fields::Named(ws), schema::Fields::Named(rs)) => {
                for rf in rs {
                    let found = ws.iter().find(|wf| {
                        wf.name == rf.name || rf.attrs.aliases.contains(&wf.name.as_str())
                    });
                    match found {
                        Some(wf) => self.within(format!(".{}", rf.name), |c| c.node(&wf.schema, rf.schema))?,
                        None if rf.attrs.default || matches!(rf.schema, Schema::Option(_)) => {}
                        // Flattened fields are matched by serde among the others.
                        None if rf.attrs.flatten || ws.iter().any(|wf| wf.flatten) => {}
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
                static_fields_kind(&r)
            )),
        }
    }
}

fn same_repr(w: &Repr, r: &EnumRepr) -> bool {
    match (w, r) {
        (Repr::External, EnumRepr::External) | (Repr::Untagged, EnumRepr::Untagged) => true,
        (Repr::Internal { tag }, EnumRepr::Internal { tag: rt }) => tag == rt,
        (
            Repr::Adjacent { tag, content },
            EnumRepr::Adjacent {
                tag: rt,
                content: rc,
            },
        ) => tag == rt && content == rc,
        _ => false,
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

fn static_int(schema: &Schema) -> Option<(bool, u8)> {
    int(&super::build::leaf(schema)?)
}

/// Whether a leaf the writer wrote reads as the reader's leaf without losing anything.
fn leaf_fits(w: &Node, r: &Schema) -> bool {
    if let (Some((ws, wr)), Some((rs, rr))) = (int(w), static_int(r)) {
        return match (ws, rs) {
            (false, false) | (true, true) => rr >= wr,
            (false, true) => rr > wr,
            (true, false) => false,
        };
    }
    match (w, r) {
        (w, Schema::F64) if int(w).is_some_and(|(_, rank)| rank <= 3) => true,
        (w, Schema::F32) if int(w).is_some_and(|(_, rank)| rank <= 2) => true,
        (Node::F32, Schema::F64) => true,
        (w, r) => w.leaf_name() != "" && static_leaf_name(r) == Some(w.leaf_name()),
    }
}

fn static_leaf_name(r: &Schema) -> Option<&'static str> {
    super::build::leaf(r).map(|node| node.leaf_name())
}

fn differs(doc: &Document, w: &Node, r: &Schema) -> String {
    let written = doc.name_of(w);
    let read = r.type_name();
    if int(w).is_some() && (static_int(r).is_some() || matches!(r, Schema::F32 | Schema::F64)) {
        return format!("the writer's `{written}` does not fit the reader's `{read}`");
    }
    match (w, r) {
        (Node::Any | Node::Opaque(_), _) => {
            format!("the writer's `{written}` has no shape the binary format can read")
        }
        _ => format!("the writer wrote `{written}`, the reader reads `{read}`"),
    }
}

fn shape_kind(shape: &Shape) -> &'static str {
    match shape {
        Shape::Struct(_) | Shape::TaggedStruct { .. } => "struct",
        Shape::Transparent(_) => "transparent type",
        Shape::Enum { .. } => "enum",
    }
}

fn static_shape_kind(shape: &schema::Shape) -> &'static str {
    match shape {
        schema::Shape::Struct(_) | schema::Shape::TaggedStruct { .. } => "struct",
        schema::Shape::Transparent(_) => "transparent type",
        schema::Shape::Enum { .. } => "enum",
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

fn static_fields_kind(fields: &schema::Fields) -> &'static str {
    match fields {
        schema::Fields::Unit => "no fields",
        schema::Fields::Newtype(_) => "one unnamed field",
        schema::Fields::Tuple(_) => "unnamed fields",
        schema::Fields::Named(_) => "named fields",
    }
}
