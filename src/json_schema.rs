//! JSON Schema (draft 2020-12) of what [`kimera::json`](crate::json) writes, for programs in
//! other languages: validators, code generators, API documentation.
//!
//! The schema is computed from the type's Kimera schema, so serde's attributes are applied as
//! serde applies them: renamed fields and variants, internally, adjacently and externally
//! tagged and untagged enums, flattened fields, skipped fields. Every value `kimera::json`
//! writes validates; a document that differs from what it writes in a key, a type, a tag or a
//! shape does not. A field the reader fills in itself (`#[serde(default)]`, an `Option`, or one
//! written only `skip_serializing_if` says so) is not required, so a producer may leave it
//! out.
//!
//! ```
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera)]
//! #[kimera(name = "shop.Line", version = 2)]
//! struct Line {
//!     sku: String,
//!     qty: u16,
//!     #[serde(default)]
//!     note: String,
//! }
//!
//! let schema = kimera::json_schema::of::<Line>();
//! assert_eq!(schema["properties"]["type"]["const"], "shop.Line");
//! assert_eq!(schema["properties"]["version"]["const"], 2);
//! let line = &schema["$defs"]["shop.Line"];
//! assert_eq!(line["properties"]["qty"]["maximum"], 65535);
//! assert_eq!(line["required"], serde_json::json!(["sku", "qty"]));
//! ```
//!
//! The schema is of one build's shape, and closed: a field a newer build added fails
//! validation against an older build's schema, although the older build reads the value (it
//! skips the field). Validate a document with the schema of the build that wrote it, which a
//! schema history records for every shape (`kimera schemas show NAME --json-schema`). It
//! describes what is written, too, where a reader accepts more: chrono's `DateTime<Utc>` is
//! written with `Z`, and read with any offset.
//!
//! Numbers outside what JSON Schema validators hold exactly (`u128`, `i128`) are described as
//! integers without bounds; text forms (chrono's, `Uuid`'s) by a `pattern`, and foreign text
//! by a `format` where JSON Schema has one (`uuid`, `ipv4`, `ipv6`, `uri`; validators check
//! formats only when asked to).

use serde_json::{json, Map, Value};

use crate::schema::document::{Definition, Document, Fields, InvalidDocument, Node, Repr, Shape};
use crate::KimeraHandler;

/// The `$schema` every document names.
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of the JSON envelope `kimera::json` writes for a `T`: its header keys as
/// constants, and the value.
///
/// ```
/// let schema = kimera::json_schema::of::<Vec<u8>>();
/// assert_eq!(schema["required"], serde_json::json!(["kimera", "type", "version", "value"]));
/// assert_eq!(schema["properties"]["value"]["items"]["maximum"], 255);
/// ```
#[must_use]
pub fn of<T: KimeraHandler + ?Sized>() -> Value {
    of_document(&Document::of::<T>(), T::VERSION).expect("a type's own document is valid")
}

/// The schema of a `T` value alone, as it stands under the envelope's `value` key (and as
/// `serde_json` writes it).
///
/// ```
/// let schema = kimera::json_schema::value_of::<(String, Option<bool>)>();
/// assert_eq!(schema["prefixItems"][1]["anyOf"][0]["type"], "null");
/// ```
#[must_use]
pub fn value_of<T: KimeraHandler + ?Sized>() -> Value {
    value_of_document(&Document::of::<T>()).expect("a type's own document is valid")
}

/// [`of`] for a type known only by its schema document (from a schema history file, or carried
/// by an envelope), whose values carry `version`.
///
/// # Errors
///
/// The document's fault ([`InvalidDocument`]) if it is not a valid schema document.
///
/// ```
/// use kimera::schema::document::Document;
///
/// let schema = kimera::json_schema::of_document(&Document::of::<u32>(), 1)?;
/// assert_eq!(schema["properties"]["type"]["const"], "u32");
/// # Ok::<(), kimera::schema::document::InvalidDocument>(())
/// ```
pub fn of_document(doc: &Document, version: u32) -> Result<Value, InvalidDocument> {
    let mut builder = Builder::new(doc)?;
    let value = builder.node(&doc.root);
    let mut properties = Map::new();
    properties.insert("kimera".into(), json!({ "const": 1 }));
    properties.insert("type".into(), json!({ "const": doc.type_name() }));
    properties.insert("version".into(), json!({ "const": version }));
    let mut required = vec!["kimera", "type", "version"];
    if let Some(origins) = doc.origins() {
        properties.insert("origin".into(), json!({ "const": origins }));
        required.push("origin");
    }
    properties.insert("value".into(), value);
    required.push("value");
    let mut schema = Map::new();
    schema.insert("$schema".into(), DRAFT.into());
    schema.insert(
        "title".into(),
        format!("{} v{version}, a Kimera JSON envelope", doc.type_name()).into(),
    );
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), properties.into());
    schema.insert("required".into(), json!(required));
    schema.insert("additionalProperties".into(), false.into());
    Ok(builder.finish(schema))
}

/// [`value_of`] for a type known only by its schema document.
///
/// # Errors
///
/// The document's fault ([`InvalidDocument`]) if it is not a valid schema document.
///
/// ```
/// use kimera::schema::document::Document;
///
/// let schema = kimera::json_schema::value_of_document(&Document::of::<[u8; 4]>())?;
/// assert_eq!((&schema["minItems"], &schema["maxItems"]), (&4.into(), &4.into()));
/// # Ok::<(), kimera::schema::document::InvalidDocument>(())
/// ```
pub fn value_of_document(doc: &Document) -> Result<Value, InvalidDocument> {
    let mut builder = Builder::new(doc)?;
    let Value::Object(value) = builder.node(&doc.root) else {
        unreachable!("every node's schema is an object")
    };
    let mut schema = Map::new();
    schema.insert("$schema".into(), DRAFT.into());
    schema.insert("title".into(), doc.type_name().into());
    schema.extend(value);
    Ok(builder.finish(schema))
}

struct Builder<'d> {
    doc: &'d Document,
    /// The `$defs` key of each named type, once it is referred to.
    keys: Vec<Option<String>>,
    defs: Map<String, Value>,
}

/// How a struct or enum merges into the object that holds it (`#[serde(flatten)]`, an
/// internally tagged newtype variant).
enum Merged {
    /// Its properties, described by a schema to be met beside the holder's own.
    Schema(Value),
    /// A map: every property the holder does not name is one of its entries.
    Rest(Value),
}

impl<'d> Builder<'d> {
    fn new(doc: &'d Document) -> Result<Self, InvalidDocument> {
        // Valid indices and bounded nesting, so that the walk below ends.
        doc.fingerprint()?;
        Ok(Builder {
            doc,
            keys: vec![None; doc.types.len()],
            defs: Map::new(),
        })
    }

    fn finish(self, mut schema: Map<String, Value>) -> Value {
        if !self.defs.is_empty() {
            schema.insert("$defs".into(), self.defs.into());
        }
        schema.into()
    }

    /// The schema of a value of `node` where it is a whole value (a field's, an item's).
    fn node(&mut self, node: &Node) -> Value {
        match node {
            Node::Bool => json!({ "type": "boolean" }),
            Node::I8 => int(i8::MIN, i8::MAX),
            Node::I16 => int(i16::MIN, i16::MAX),
            Node::I32 => int(i32::MIN, i32::MAX),
            Node::I64 => int(i64::MIN, i64::MAX),
            Node::U8 => int(u8::MIN, u8::MAX),
            Node::U16 => int(u16::MIN, u16::MAX),
            Node::U32 => int(u32::MIN, u32::MAX),
            Node::U64 => int(u64::MIN, u64::MAX),
            Node::I128 => json!({ "type": "integer" }),
            Node::U128 => json!({ "type": "integer", "minimum": 0 }),
            Node::F32 | Node::F64 => json!({ "type": "number" }),
            Node::Char => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
            Node::Str => json!({ "type": "string" }),
            Node::Unit => json!({ "type": "null" }),
            Node::Bytes => json!({ "type": "array", "items": int(u8::MIN, u8::MAX) }),
            Node::Any | Node::Opaque(_) => json!({}),
            Node::Date => text(&format!("^{DATE}$")),
            Node::Time => text(&format!("^{TIME}$")),
            Node::DateTime => text(&format!("^{DATE}T{TIME}$")),
            Node::DateTimeUtc => text(&format!("^{DATE}T{TIME}Z$")),
            Node::DateTimeOffset => text(&format!("^{DATE}T{TIME}{OFFSET}$")),
            Node::TimeDelta => tuple(vec![int(i64::MIN, i64::MAX), int(0, u32::MAX)]),
            Node::Duration => json!({
                "type": "object",
                "properties": { "secs": int(u64::MIN, u64::MAX), "nanos": int(u32::MIN, u32::MAX) },
                "required": ["secs", "nanos"],
                "additionalProperties": false,
            }),
            Node::Compact(inner) => compact(inner),
            Node::Option(inner) => json!({ "anyOf": [{ "type": "null" }, self.node(inner)] }),
            Node::List(item) => json!({ "type": "array", "items": self.node(item) }),
            Node::Set(item) => {
                json!({ "type": "array", "items": self.node(item), "uniqueItems": true })
            }
            Node::Map { key, value } => json!({
                "type": "object",
                "propertyNames": self.key(key),
                "additionalProperties": self.node(value),
            }),
            Node::Tuple(items) => {
                let items = items.iter().map(|item| self.node(item)).collect();
                tuple(items)
            }
            Node::Array { item, len } => json!({
                "type": "array",
                "items": self.node(item),
                "minItems": len,
                "maxItems": len,
            }),
            // A named type's object is closed where it is used, not in its definition, which
            // flattened fields and internally tagged variants extend.
            Node::Named(_) | Node::Type(_) => {
                let mut open = self.open(node);
                if let Some(schema) = open.as_object_mut() {
                    schema.insert("unevaluatedProperties".into(), false.into());
                }
                open
            }
            Node::Foreign { name, readable, .. } => {
                let mut schema = self.node(readable);
                if let Some(fields) = schema.as_object_mut() {
                    match name.as_str() {
                        "uuid" => {
                            fields.insert("format".into(), "uuid".into());
                            fields.insert("pattern".into(), UUID.into());
                        }
                        "ipv4" | "ipv6" => {
                            drop(fields.insert("format".into(), name.clone().into()))
                        }
                        "ip" => drop(fields.insert(
                            "anyOf".into(),
                            json!([{ "format": "ipv4" }, { "format": "ipv6" }]),
                        )),
                        "url" => drop(fields.insert("format".into(), "uri".into())),
                        _ => {}
                    }
                }
                schema
            }
        }
    }

    /// The schema of a named type's values, open to properties beside its own.
    fn open(&mut self, node: &Node) -> Value {
        match node {
            Node::Named(index) => {
                let key = self.define(*index);
                json!({ "$ref": format!("#/$defs/{}", pointer(&key)) })
            }
            Node::Type(inline) => self.definition(&inline.definition),
            node => self.node(node),
        }
    }

    /// The `$defs` key of the named type at `index`, defined on first use.
    fn define(&mut self, index: u32) -> String {
        if let Some(key) = &self.keys[index as usize] {
            return key.clone();
        }
        let named = &self.doc.types[index as usize];
        let base = self.doc.name_of(&Node::Named(index));
        let key = match self.defs.contains_key(&base) {
            false => base,
            true => format!("{base}#{index}"),
        };
        self.keys[index as usize] = Some(key.clone());
        // Reserved before its children are walked, which may refer back to it.
        self.defs.insert(key.clone(), Value::Null);
        let mut def = self.definition(&named.definition);
        if let Some(fields) = def.as_object_mut() {
            fields.insert(
                "title".into(),
                format!("{} v{}", named.name, named.version).into(),
            );
        }
        self.defs.insert(key.clone(), def);
        key
    }

    fn definition(&mut self, definition: &Definition) -> Value {
        let shape = match definition {
            Definition::Schema(node) => return self.node(node),
            Definition::Shape { shape, .. } => shape,
        };
        match shape {
            Shape::Struct(fields) => self.fields(fields),
            Shape::TaggedStruct { tag, name, fields } => {
                let mut schema = self.fields(fields);
                with_tag(&mut schema, tag, name);
                schema
            }
            Shape::Transparent(inner) => self.node(inner),
            Shape::Enum { repr, variants } => {
                let branches: Vec<Value> = variants
                    .iter()
                    .map(|v| match v.untagged {
                        true => self.content(&v.fields, false),
                        false => self.variant(repr, &v.name, &v.fields),
                    })
                    .collect();
                // Tagged variants exclude each other; untagged ones may overlap, and serde
                // takes the first that fits.
                match repr {
                    Repr::Untagged => json!({ "anyOf": branches }),
                    _ => json!({ "oneOf": branches }),
                }
            }
        }
    }

    /// A variant's values, as `repr` writes them.
    fn variant(&mut self, repr: &Repr, name: &str, fields: &Fields) -> Value {
        match repr {
            Repr::External => match fields {
                Fields::Unit => json!({ "const": name }),
                fields => {
                    let content = self.content(fields, true);
                    json!({
                        "type": "object",
                        "properties": { name: content },
                        "required": [name],
                        "additionalProperties": false,
                    })
                }
            },
            Repr::Internal { tag } => {
                let mut schema = match fields {
                    Fields::Unit => json!({ "type": "object" }),
                    Fields::Newtype(inner) => match self.merged(inner) {
                        Merged::Schema(inner) => json!({ "type": "object", "allOf": [inner] }),
                        Merged::Rest(value) => {
                            json!({ "type": "object", "unevaluatedProperties": value })
                        }
                    },
                    fields => self.fields(fields),
                };
                with_tag(&mut schema, tag, name);
                schema
            }
            Repr::Adjacent { tag, content } => {
                let mut schema = json!({ "type": "object", "additionalProperties": false });
                with_tag(&mut schema, tag, name);
                if !matches!(fields, Fields::Unit) {
                    let value = self.content(fields, true);
                    schema["properties"][content.as_str()] = value;
                    push_required(&mut schema, content);
                }
                schema
            }
            Repr::Untagged => self.content(fields, false),
        }
    }

    /// A variant's content without its tag; a struct variant's object `closed` to other
    /// properties where nothing merges into it.
    fn content(&mut self, fields: &Fields, closed: bool) -> Value {
        let mut schema = self.fields(fields);
        if closed && matches!(fields, Fields::Named(_)) {
            schema["unevaluatedProperties"] = false.into();
        }
        schema
    }

    /// A struct's or variant's fields, as serde writes them; named fields as an open object.
    fn fields(&mut self, fields: &Fields) -> Value {
        let named = match fields {
            Fields::Unit => return json!({ "type": "null" }),
            Fields::Newtype(inner) => return self.node(inner),
            Fields::Tuple(items) => {
                let items = items.iter().map(|item| self.node(item)).collect();
                return tuple(items);
            }
            Fields::Named(named) => named,
        };
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut merged = Vec::new();
        let mut rest = None;
        for field in named {
            if field.flatten {
                match self.merged(&field.schema) {
                    Merged::Schema(schema) => merged.push(schema),
                    Merged::Rest(value) => rest = Some(value),
                }
                continue;
            }
            let optional =
                field.default || field.skip_if || matches!(field.schema, Node::Option(_));
            if !optional {
                required.push(field.name.clone());
            }
            properties.insert(field.name.clone(), self.node(&field.schema));
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), properties.into());
        schema.insert("required".into(), json!(required));
        if !merged.is_empty() {
            schema.insert("allOf".into(), merged.into());
        }
        if let Some(rest) = rest {
            schema.insert("unevaluatedProperties".into(), rest);
        }
        schema.into()
    }

    /// How the value of `node` merges into the object holding it.
    fn merged(&mut self, node: &Node) -> Merged {
        match self.resolved(node) {
            Node::Map { value, .. } => Merged::Rest(self.node(value)),
            // `None` merges nothing in; `Some` its fields.
            Node::Option(inner) => match self.merged(inner) {
                Merged::Schema(schema) => Merged::Schema(json!({ "anyOf": [schema, true] })),
                rest => rest,
            },
            node => Merged::Schema(self.open(node)),
        }
    }

    /// What `node` is written as: the schema a hand-written handler's named type stands for,
    /// a transparent type's inner node, else `node` itself.
    fn resolved<'n>(&self, node: &'n Node) -> &'n Node
    where
        'd: 'n,
    {
        let definition = match node {
            Node::Named(index) => &self.doc.types[*index as usize].definition,
            Node::Type(inline) => &inline.definition,
            node => return node,
        };
        match definition {
            Definition::Schema(inner)
            | Definition::Shape {
                shape: Shape::Transparent(inner),
                ..
            } => self.resolved(inner),
            Definition::Shape { .. } => node,
        }
    }

    /// The schema of a map key of `node` as JSON writes it: text, numbers as their decimal
    /// text.
    fn key(&mut self, node: &Node) -> Value {
        match self.resolved(node) {
            Node::I8 | Node::I16 | Node::I32 | Node::I64 | Node::I128 => {
                text("^-?(0|[1-9][0-9]*)$")
            }
            Node::U8 | Node::U16 | Node::U32 | Node::U64 | Node::U128 => text("^(0|[1-9][0-9]*)$"),
            Node::F32 | Node::F64 => json!({ "type": "string" }),
            _ => self.node(node),
        }
    }
}

/// chrono's text forms: years of four or more digits (a sign beyond 9999 and before 0),
/// seconds with a fraction of any length (a leap second is `60`), offsets to the second.
const DATE: &str = "[+-]?[0-9]{4,}-[0-9]{2}-[0-9]{2}";
const TIME: &str = "[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?";
const OFFSET: &str = "(Z|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?)";
/// `Uuid`'s text: hyphenated, lower case.
const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

fn int<T: Into<i128>>(min: T, max: T) -> Value {
    // Bounds a JSON number holds: every integer type's but 128-bit ones, described above.
    let bound = |n: i128| match (i64::try_from(n), u64::try_from(n)) {
        (Ok(n), _) => Value::from(n),
        (_, Ok(n)) => Value::from(n),
        _ => unreachable!("64-bit bounds"),
    };
    json!({ "type": "integer", "minimum": bound(min.into()), "maximum": bound(max.into()) })
}

fn text(pattern: &str) -> Value {
    json!({ "type": "string", "pattern": pattern })
}

fn tuple(items: Vec<Value>) -> Value {
    let len = items.len();
    json!({
        "type": "array",
        "prefixItems": items,
        "items": false,
        "minItems": len,
        "maxItems": len,
    })
}

/// The compact form of a chrono type (`docs/schema.md`, "Compact chrono values").
fn compact(inner: &Node) -> Value {
    let nanos = int(0, u32::MAX);
    let seconds = int(i64::MIN, i64::MAX);
    match inner {
        Node::Date => int(i32::MIN, i32::MAX),
        Node::Time => tuple(vec![int(0, u32::MAX), nanos]),
        Node::DateTime | Node::DateTimeUtc => tuple(vec![seconds, nanos]),
        Node::DateTimeOffset => tuple(vec![seconds, nanos, int(i32::MIN, i32::MAX)]),
        Node::Option(inner) => json!({ "anyOf": [{ "type": "null" }, compact(inner)] }),
        _ => json!({}),
    }
}

/// Adds the property `tag` with the constant `name`, required.
fn with_tag(schema: &mut Value, tag: &str, name: &str) {
    if schema.get("properties").is_none() {
        schema["properties"] = json!({});
    }
    schema["properties"][tag] = json!({ "const": name });
    push_required(schema, tag);
}

fn push_required(schema: &mut Value, name: &str) {
    match schema.get_mut("required").and_then(Value::as_array_mut) {
        Some(required) => required.push(name.into()),
        None => schema["required"] = json!([name]),
    }
}

/// `key` as a JSON Pointer token in a URI fragment: `~` and `/` escaped (RFC 6901), and what a
/// fragment cannot hold percent-encoded (RFC 3986).
fn pointer(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.replace('~', "~0").replace('/', "~1").chars() {
        match c {
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '~'
            | '!'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | ';'
            | '='
            | ':'
            | '@' => out.push(c),
            c => {
                let mut buf = [0; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
    out
}
