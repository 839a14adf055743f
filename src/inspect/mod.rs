//! Envelopes read and written without their Rust type (features `json` and `binary`): what the
//! `kimera` command line is built on.
//!
//! [`Envelope::parse`] reads the header of either backend's envelope, with its sizes and
//! checksum state. With the writer's schema document (carried by the envelope, or found in
//! [`Schemas`], such as a schema history file holds) the value itself converts between the
//! backends: [`Envelope::to_json`] writes exactly the JSON envelope `kimera::json` writes for
//! the value, and [`Envelope::to_binary`] exactly the binary envelope `kimera::binary` writes,
//! so binary → JSON → binary gives the same bytes back.
//!
//! ```
//! use kimera::inspect::{Envelope, Schemas, ToBinary};
//! use kimera::Format as _;
//!
//! #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
//! #[kimera(name = "shop.Line")]
//! struct Line { sku: String, qty: u32 }
//!
//! let line = Line { sku: "KB-101".into(), qty: 2 };
//! let bytes = kimera::Binary::new().with_schema().encode(&line)?;
//!
//! // A program that has never seen `Line`: the envelope carries its schema.
//! let envelope = Envelope::parse(&bytes)?;
//! assert_eq!(envelope.header().type_name, "shop.Line");
//! let json = envelope.to_json(&Schemas::new(), false)?;
//! assert_eq!(json, kimera::json::to_vec(&line)?);
//!
//! // And back, with the schema: the bytes the typed program wrote.
//! let schemas = Schemas::new().with_document(kimera::schema::document::Document::of::<Line>())?;
//! let again = Envelope::parse(&json)?.to_binary(&schemas, ToBinary::new().with_schema())?;
//! assert_eq!(again, bytes);
//! # Ok::<(), kimera::Error>(())
//! ```

mod leaf;
mod path;
mod read;
mod write;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use kimera_core::document::{Definition, Document, Node, Shape, Type};
use kimera_core::envelope::{origin_hash, quoted_name};
use kimera_core::{Error, ErrorKind, Header, Limits, Result};
use serde::Deserialize;

use crate::Format as _;

/// Which backend wrote an envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `kimera::json`.
    Json,
    /// `kimera::binary`.
    Binary,
}

/// An envelope of either backend, parsed without its Rust type.
///
/// ```
/// use kimera::inspect::{Backend, Envelope};
///
/// let bytes = kimera::binary::to_vec(&vec![1u8, 2, 3])?;
/// let envelope = Envelope::parse(&bytes)?;
/// assert_eq!(envelope.backend(), Backend::Binary);
/// assert_eq!(envelope.checksum(), Some(true));
/// assert_eq!(envelope.sizes(), (24, 4, 4));
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Debug)]
pub struct Envelope<'a> {
    backend: Backend,
    header: Header<'a>,
    origins: Option<Cow<'a, str>>,
    checksum: Option<bool>,
    schema: Option<Document>,
    sizes: (usize, usize, usize),
    body: &'a [u8],
}

impl<'a> Envelope<'a> {
    /// Parses the envelope filling `bytes`, within the default [`Limits`]. A binary checksum,
    /// where there is one, is verified; an envelope without one is accepted (see
    /// [`checksum`](Self::checksum)). A schema document the envelope carries is verified
    /// against its fingerprint.
    ///
    /// # Errors
    ///
    /// The backends' errors for what is not a whole, intact envelope
    /// ([`ErrorKind::NotAnEnvelope`], [`ErrorKind::Truncated`], [`ErrorKind::ChecksumMismatch`],
    /// [`ErrorKind::BadSchema`], ...).
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>> {
        if crate::Binary::sniff(bytes) {
            let parsed = kimera_binary::__private::parse(bytes, &Limits::DEFAULT, false)?;
            let schema = match parsed.schema {
                Some(doc) => Some(kimera_binary::__private::carried(&parsed.header, doc)?),
                None => None,
            };
            let trailer = bytes.len() - parsed.header_len - parsed.body.len();
            return Ok(Envelope {
                backend: Backend::Binary,
                header: parsed.header,
                origins: None,
                checksum: Some(parsed.checksum),
                schema,
                sizes: (parsed.header_len, parsed.body.len(), trailer),
                body: parsed.body,
            });
        }
        if crate::Json::sniff(bytes) {
            return json_envelope(bytes);
        }
        Err(ErrorKind::NotAnEnvelope {
            format: "kimera",
            reason: "the bytes start like neither a binary envelope (4b e5) nor a JSON one ({)"
                .to_owned(),
        }
        .into())
    }

    /// The backend that wrote it.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The header: type name, version, and (binary only) fingerprint and origin hash.
    pub fn header(&self) -> &Header<'a> {
        &self.header
    }

    /// The origins of a default-named type, as a JSON envelope carries them.
    pub fn origins(&self) -> Option<&str> {
        self.origins.as_deref()
    }

    /// Whether a checksum trailer is there (and matched, or parsing would have failed); `None`
    /// for JSON, which has none.
    pub fn checksum(&self) -> Option<bool> {
        self.checksum
    }

    /// The writer's schema document, if the envelope carries it.
    pub fn schema(&self) -> Option<&Document> {
        self.schema.as_ref()
    }

    /// The sizes in bytes of the header (everything before the body), the body (a JSON
    /// envelope's value text) and what follows it (the checksum, a JSON envelope's closing).
    pub fn sizes(&self) -> (usize, usize, usize) {
        self.sizes
    }

    /// The body: bincode, or a JSON envelope's value text.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The writer's schema: the one the envelope carries, else the one of `schemas` with the
    /// envelope's fingerprint (binary) or its type name and version (JSON, which carries no
    /// fingerprint).
    pub fn writer_schema<'s>(&'s self, schemas: &'s Schemas) -> Option<&'s Document> {
        self.schema
            .as_ref()
            .or_else(|| match self.header.fingerprint {
                Some(fingerprint) => schemas.by_fingerprint(fingerprint),
                None => schemas.by_name(&self.header.type_name, self.header.version),
            })
    }

    /// `f` with the writer's schema, checked to be the envelope's. A JSON envelope, which
    /// carries no fingerprint, is tried with each schema given of its name and version, newest
    /// first (a history records every shape a version has had); the first that reads it wins,
    /// else the newest one's error is returned.
    fn with_schema<R>(
        &self,
        schemas: &Schemas,
        mut f: impl FnMut(&Document) -> Result<R>,
    ) -> Result<R> {
        if self.schema.is_some() || self.header.fingerprint.is_some() {
            let doc = self
                .writer_schema(schemas)
                .ok_or_else(|| self.unknown_schema())?;
            return self.check_schema(doc).and_then(|()| f(doc));
        }
        let mut newest_error = None;
        for doc in schemas.all_by_name(&self.header.type_name, self.header.version) {
            match self.check_schema(doc).and_then(|()| f(doc)) {
                Ok(out) => return Ok(out),
                Err(err) => drop(newest_error.get_or_insert(err)),
            }
        }
        Err(newest_error.unwrap_or_else(|| self.unknown_schema()))
    }

    fn unknown_schema(&self) -> Error {
        ErrorKind::BadSchema {
            context: format!(
                "for this `{}` v{} envelope{}",
                quoted_name(&self.header.type_name),
                self.header.version,
                match self.header.fingerprint {
                    Some(f) => format!(" (fingerprint {f:016x})"),
                    None => String::new(),
                }
            ),
            reason: "the writer's schema is not known: the envelope carries none and no \
                     schema given matches it; give the schema history file \
                     (kimera-schemas.json) that records it"
                .to_owned(),
        }
        .into()
    }

    /// That `doc` is this envelope's type, defined where its types are, and, for a JSON
    /// envelope, of a shape this module converts: [`ErrorKind::Unsupported`] for one only JSON
    /// can hold.
    fn check_schema(&self, doc: &Document) -> Result<()> {
        let name = doc.type_name();
        if name != self.header.type_name {
            return Err(self.bad_schema(format!("it describes `{}`", quoted_name(&name))));
        }
        let origins = doc.origins();
        let origin_ok = match self.backend {
            Backend::Binary => origins.as_deref().map(origin_hash) == self.header.origin,
            Backend::Json => origins.as_deref() == self.origins.as_deref(),
        };
        if !origin_ok {
            return Err(self.bad_schema("its types are defined elsewhere (their origins differ)"));
        }
        // A binary body never holds such shapes (its reader refuses a forged document's as it
        // meets them); a JSON value may, and is then not walked at all.
        if self.backend == Backend::Json && json_only(doc) {
            return Err(ErrorKind::Unsupported(
                "the writer's schema has shapes only JSON holds (an internally, adjacently or \
                 untagged enum, a flattened or skipped-if field, a value of no fixed shape), \
                 which kimera::inspect does not convert: a JSON envelope's value is as written",
            )
            .into());
        }
        Ok(())
    }

    fn bad_schema(&self, reason: impl Into<String>) -> Error {
        ErrorKind::BadSchema {
            context: format!(
                "given for this `{}` envelope",
                quoted_name(&self.header.type_name)
            ),
            reason: reason.into(),
        }
        .into()
    }

    /// The JSON envelope of this value, exactly as `kimera::json::to_vec` (or `to_vec_pretty`)
    /// writes it from the typed value. A binary body is read with the writer's schema (see
    /// [`writer_schema`](Self::writer_schema)); a JSON envelope is checked against the writer's
    /// schema when it is known, and rewritten in the asked layout.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadSchema`] if the writer's schema is not known or is not the envelope's;
    /// [`ErrorKind::Unsupported`] if it has shapes only JSON holds (tagged and untagged enums,
    /// flattened fields, `serde_json::Value`), which no binary body holds and which this
    /// module does not check; [`ErrorKind::Data`] (with the field path) if the body is not a
    /// value of it or is something JSON cannot hold (NaN, `Some(None)`:
    /// [`ErrorKind::Encode`]). A JSON envelope is tried with each schema of its name and
    /// version, newest first ([`Schemas::all_by_name`]), and the newest one's error returned.
    pub fn to_json(&self, schemas: &Schemas, pretty: bool) -> Result<Vec<u8>> {
        self.read(schemas, false, |doc, value| {
            kimera_json::__private::envelope_to_vec(
                &self.header.type_name,
                self.header.version,
                doc.origins().as_deref(),
                value,
                pretty,
            )
        })
    }

    /// The changes from this envelope's value to `new`'s, exactly as [`kimera::diff::between`]
    /// finds them between the typed values: both are read with their writers' schemas, and may
    /// be of either backend and of different versions of the type.
    ///
    /// ```
    /// use kimera::inspect::{Envelope, Schemas};
    ///
    /// let old = kimera::Binary::new().with_schema();
    /// let (a, b) = (vec![1u32, 2], vec![1u32, 5]);
    /// let (a, b) = (kimera::Format::encode(&old, &a)?, kimera::Format::encode(&old, &b)?);
    /// let diff = Envelope::parse(&a)?.diff(&Envelope::parse(&b)?, &Schemas::new())?;
    /// assert_eq!(diff.to_string(), "changed /1: 2 -> 5");
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// [`kimera::diff::between`]: crate::diff::between
    ///
    /// # Errors
    ///
    /// As [`to_json`](Self::to_json), and [`ErrorKind::BadSchema`] if the two envelopes hold
    /// values of different types.
    pub fn diff(&self, new: &Envelope<'_>, schemas: &Schemas) -> Result<crate::diff::Diff> {
        if self.header.type_name != new.header.type_name {
            return Err(self.bad_schema(format!(
                "the other envelope holds a `{}`: values of different types are not compared",
                quoted_name(&new.header.type_name)
            )));
        }
        let model = |envelope: &Envelope<'_>| {
            envelope.read(schemas, true, |_, value| {
                kimera_core::value::Value::of(value).map_err(|err| match err.into_kind() {
                    ErrorKind::Encode { message, .. } => message,
                    other => other.to_string(),
                })
            })
        };
        Ok(crate::diff::between_values(&model(self)?, &model(new)?))
    }

    /// Hands the value, read with the writer's schema, to `write` as a `Serialize` (of
    /// `variants` for the value model: see [`read::State`]); an error it gives is a data error
    /// at the path the walk had reached.
    fn read<R, E: std::fmt::Display>(
        &self,
        schemas: &Schemas,
        variants: bool,
        mut write: impl FnMut(&Document, &read::Value<'_, '_>) -> std::result::Result<R, E>,
    ) -> Result<R> {
        self.with_schema(schemas, |doc| {
            let bytes = self.bincode(doc)?;
            self.read_with(doc, &bytes, variants, &mut write)
        })
    }

    fn read_with<R, E: std::fmt::Display>(
        &self,
        doc: &Document,
        bytes: &[u8],
        variants: bool,
        write: impl FnOnce(&Document, &read::Value<'_, '_>) -> std::result::Result<R, E>,
    ) -> Result<R> {
        let mut state = read::State::new(bytes, &Limits::DEFAULT);
        state.variants = variants;
        let state = RefCell::new(state);
        let value = read::Value {
            doc,
            node: &doc.root,
            state: &state,
        };
        let written = write(doc, &value);
        let state = state.into_inner();
        let out = written.map_err(|err| self.data_error(&state.path, err))?;
        if !state.rest.is_empty() {
            return Err(self.data_error(
                &state.path,
                format!("{} bytes follow the value", state.rest.len()),
            ));
        }
        Ok(out)
    }

    /// The binary envelope of this value, exactly as `kimera::binary` writes it from the typed
    /// value with the `options`' checksum and schema settings. A JSON value is read with the
    /// writer's schema (see [`writer_schema`](Self::writer_schema)); a binary envelope is
    /// rewritten with the options.
    ///
    /// # Errors
    ///
    /// As [`to_json`](Self::to_json), and [`ErrorKind::Data`] (with the field path) for a JSON
    /// value that is not one of the schema's: a wrong type, an unknown or missing field (a
    /// default is the type's to fill: the schema does not hold it), a repeated map key.
    pub fn to_binary(&self, schemas: &Schemas, options: ToBinary) -> Result<Vec<u8>> {
        self.with_schema(schemas, |doc| self.to_binary_with(doc, options))
    }

    fn to_binary_with(&self, doc: &Document, options: ToBinary) -> Result<Vec<u8>> {
        let body = self.bincode(doc)?;
        let body = &*body;
        let fingerprint = doc
            .fingerprint()
            .map_err(|invalid| self.bad_schema(invalid.reason()))?;
        let encoded = options
            .schema
            .then(|| kimera_binary::__private::encode_document(doc));
        let origins = doc.origins();
        let head = kimera_binary::__private::HeadParts {
            name: &self.header.type_name,
            version: self.header.version,
            fingerprint,
            origin: origins.as_deref().map(origin_hash),
            schema: encoded.as_deref(),
            checksum: options.checksum,
        };
        kimera_binary::__private::encode_parts(&head, body)
    }

    /// The value's bincode: a binary envelope's body, or a JSON value read with `doc`.
    fn bincode(&self, doc: &Document) -> Result<Cow<'a, [u8]>> {
        match self.backend {
            Backend::Binary => Ok(Cow::Borrowed(self.body)),
            Backend::Json => self.json_body(doc).map(Cow::Owned),
        }
    }

    /// The bincode of a JSON envelope's value.
    fn json_body(&self, doc: &Document) -> Result<Vec<u8>> {
        let text = std::str::from_utf8(self.body).expect("JSON envelopes are parsed as text");
        let state = RefCell::new(write::State::new(&Limits::DEFAULT));
        let mut out = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        let result = serde::de::DeserializeSeed::deserialize(
            write::Value {
                doc,
                node: &doc.root,
                state: &state,
                out: &mut out,
            },
            &mut de,
        )
        .and_then(|()| de.end());
        result.map_err(|err| self.data_error(&state.into_inner().path, err))?;
        Ok(out)
    }

    fn data_error(&self, path: &path::Path, message: impl std::fmt::Display) -> Error {
        let (name, version) = (quoted_name(&self.header.type_name), self.header.version);
        kimera_core::envelope::data_error_in(&name, version, path.failed(), message).into()
    }
}

/// The JSON envelope filling `bytes`, its value held as text.
fn json_envelope(bytes: &[u8]) -> Result<Envelope<'_>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw<'a> {
        kimera: u32,
        #[serde(rename = "type", borrow)]
        type_name: Cow<'a, str>,
        version: u32,
        #[serde(default, borrow)]
        origin: Option<Cow<'a, str>>,
        #[serde(borrow)]
        value: &'a serde_json::value::RawValue,
    }
    if bytes.len() as u64 > Limits::DEFAULT.max_size {
        return Err(kimera_core::Limit::Size
            .exceeded(Limits::DEFAULT.max_size)
            .into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| not_json("it is not UTF-8 text"))?;
    let raw: Raw<'_> = serde_json::from_str(text).map_err(not_json)?;
    if raw.kimera != u32::from(kimera_json::WIRE_VERSION) {
        return Err(ErrorKind::UnsupportedWireVersion {
            format: "json",
            found: raw.kimera,
            supported: kimera_json::WIRE_VERSION.into(),
        }
        .into());
    }
    let value = raw.value.get();
    let start = value.as_ptr() as usize - text.as_ptr() as usize;
    Ok(Envelope {
        backend: Backend::Json,
        header: Header::new(raw.type_name, raw.version),
        origins: raw.origin,
        checksum: None,
        schema: None,
        sizes: (start, value.len(), text.len() - start - value.len()),
        body: value.as_bytes(),
    })
}

fn not_json(reason: impl std::fmt::Display) -> Error {
    kimera_core::envelope::not_envelope("json", reason).into()
}

/// How [`Envelope::to_binary`] writes: with a checksum and without the schema document by
/// default, as `kimera::binary::to_vec` does.
///
/// ```
/// let options = kimera::inspect::ToBinary::new().with_schema().without_checksum();
/// # let _ = options;
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct ToBinary {
    checksum: bool,
    schema: bool,
}

impl Default for ToBinary {
    fn default() -> Self {
        ToBinary::new()
    }
}

impl ToBinary {
    /// A checksum, no schema document.
    pub fn new() -> Self {
        ToBinary {
            checksum: true,
            schema: false,
        }
    }

    /// Leaves the checksum out, as `Binary::without_checksum` does.
    pub fn without_checksum(mut self) -> Self {
        self.checksum = false;
        self
    }

    /// Carries the writer's schema document, as `Binary::with_schema` does.
    pub fn with_schema(mut self) -> Self {
        self.schema = true;
        self
    }
}

/// Schema documents to read envelopes with, by fingerprint and by type name and version.
///
/// ```
/// use kimera::inspect::Schemas;
/// use kimera::schema::document::Document;
///
/// let schemas = Schemas::new().with_document(Document::of::<Vec<u8>>())?;
/// assert!(schemas.by_name("list<u8>", 1).is_some());
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Schemas {
    documents: HashMap<u64, Document>,
    /// The fingerprints of each type name and version, in the order inserted.
    names: HashMap<(String, u32), Vec<u64>>,
}

impl Schemas {
    /// No schemas.
    pub fn new() -> Self {
        Schemas::default()
    }

    /// These schemas and `doc`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadSchema`] if `doc` is not a valid document.
    pub fn with_document(mut self, doc: Document) -> Result<Self> {
        self.insert(doc)?;
        Ok(self)
    }

    /// Adds `doc`; returns its fingerprint.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadSchema`] if `doc` is not a valid document.
    pub fn insert(&mut self, doc: Document) -> Result<u64> {
        let fingerprint = doc.fingerprint().map_err(|invalid| -> Error {
            ErrorKind::BadSchema {
                context: format!("of `{}`", quoted_name(&doc.type_name())),
                reason: invalid.reason().to_owned(),
            }
            .into()
        })?;
        let named = self
            .names
            .entry((doc.type_name(), root_version(&doc)))
            .or_default();
        named.retain(|&f| f != fingerprint);
        named.push(fingerprint);
        self.documents.insert(fingerprint, doc);
        Ok(fingerprint)
    }

    /// The schemas a schema history file records (`kimera::history`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadSchema`] if one of them is not a valid document.
    #[cfg(feature = "registry")]
    pub fn from_history(history: &crate::history::History) -> Result<Self> {
        let mut schemas = Schemas::new();
        for entry in history.entries() {
            schemas.insert(entry.schema.clone())?;
        }
        Ok(schemas)
    }

    /// The schema of this fingerprint.
    pub fn by_fingerprint(&self, fingerprint: u64) -> Option<&Document> {
        self.documents.get(&fingerprint)
    }

    /// The schema of this type name and version inserted last (a history's newest).
    pub fn by_name(&self, type_name: &str, version: u32) -> Option<&Document> {
        self.all_by_name(type_name, version).next()
    }

    /// Every schema of this type name and version, the last inserted first.
    pub fn all_by_name(&self, type_name: &str, version: u32) -> impl Iterator<Item = &Document> {
        self.names
            .get(&(type_name.to_owned(), version))
            .into_iter()
            .flat_map(|fingerprints| fingerprints.iter().rev())
            .filter_map(|fingerprint| self.documents.get(fingerprint))
    }

    /// Every schema, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.documents.values()
    }
}

/// The version envelopes carry for a document's root: its named type's, else 1 (built-in
/// types are at version 1).
/// Whether `doc` has a shape only self-describing formats hold, which the conversions here,
/// going through the binary form, cannot carry. Every named type is looked at, used or not:
/// the answer is the document's, and a walk of its table ends.
fn json_only(doc: &Document) -> bool {
    use kimera_core::document::{Fields, Repr};
    let mut nodes: Vec<&Node> = vec![&doc.root];
    let mut types: Vec<&Type> = doc.types.iter().collect();
    loop {
        if let Some(t) = types.pop() {
            nodes.extend(&t.params);
            let fields: Vec<&Fields> = match &t.definition {
                Definition::Schema(node) => {
                    nodes.push(node);
                    continue;
                }
                Definition::Shape { shape, .. } => match shape {
                    Shape::TaggedStruct { .. } => return true,
                    Shape::Transparent(inner) => {
                        nodes.push(inner);
                        continue;
                    }
                    Shape::Struct(fields) => vec![fields],
                    Shape::Enum { repr, variants } => {
                        if *repr != Repr::External || variants.iter().any(|v| v.untagged) {
                            return true;
                        }
                        variants.iter().map(|v| &v.fields).collect()
                    }
                },
            };
            for fields in fields {
                match fields {
                    Fields::Unit => {}
                    Fields::Newtype(node) => nodes.push(node),
                    Fields::Tuple(items) => nodes.extend(items),
                    Fields::Named(named) => {
                        if named.iter().any(|f| f.flatten || f.skip_if) {
                            return true;
                        }
                        nodes.extend(named.iter().map(|f| &f.schema));
                    }
                }
            }
            continue;
        }
        let Some(node) = nodes.pop() else {
            return false;
        };
        match node {
            Node::Any | Node::Opaque(_) => return true,
            Node::Compact(inner) | Node::Option(inner) | Node::List(inner) | Node::Set(inner) => {
                nodes.push(inner)
            }
            Node::Array { item, .. } => nodes.push(item),
            Node::Map { key, value } => nodes.extend([&**key, &**value]),
            Node::Tuple(items) => nodes.extend(items),
            Node::Foreign { compact, .. } => nodes.push(compact),
            Node::Type(inline) => types.push(inline),
            _ => {}
        }
    }
}

fn root_version(doc: &Document) -> u32 {
    match &doc.root {
        Node::Named(index) => doc.named(*index).map_or(1, |t| t.version),
        Node::Type(t) => t.version,
        _ => 1,
    }
}

/// What a node stands for once named types and transparent types are seen through.
enum Target<'a> {
    /// A value one Rust type converts (foreign types among them: their forms differ by
    /// backend).
    Leaf(leaf::Leaf),
    Shaped(&'a Type, &'a Shape),
    /// A value of several: option, sequence, tuple or map.
    Node(&'a Node),
}

/// Named types a node may pass through before reaching a shape: a chain of transparent types
/// longer than this can only come from a forged document.
const MAX_HOPS: usize = 256;

fn target<'a>(doc: &'a Document, mut node: &'a Node) -> std::result::Result<Target<'a>, String> {
    for _ in 0..MAX_HOPS {
        let named = match node {
            Node::Named(index) => doc
                .named(*index)
                .ok_or_else(|| format!("the writer's schema has no type {index}"))?,
            Node::Type(named) => named,
            node => {
                return match leaf::Leaf::of(node) {
                    Ok(leaf) => Ok(Target::Leaf(leaf)),
                    Err(leaf::NotLeaf::Composite) => Ok(Target::Node(node)),
                    Err(leaf::NotLeaf::Unknown(what)) => {
                        Err(format!("the writer's schema has {what}"))
                    }
                }
            }
        };
        if let Some(leaf) = leaf::Leaf::of_type(named) {
            return Ok(Target::Leaf(leaf));
        }
        match &named.definition {
            Definition::Schema(inner)
            | Definition::Shape {
                shape: Shape::Transparent(inner),
                ..
            } => node = inner,
            Definition::Shape { shape, .. } => return Ok(Target::Shaped(named, shape)),
        }
    }
    Err("the writer's schema passes through more than 256 named types without a value".to_owned())
}
