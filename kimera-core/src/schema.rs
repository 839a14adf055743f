//! [`Schema`]: what a handled type looks like on the wire, as serde writes it.
//!
//! Schemas are plain `'static` data built in `const` context, so a type's fingerprint is computed
//! at compile time and costs nothing when encoding or decoding. A derived type describes its own
//! shape in full ([`Schema::Type`]) and appears inside other schemas by reference
//! ([`Schema::Named`]: name, version and generic arguments), which keeps recursive types finite.
//! Fingerprints see through those references ([`Schema::fingerprint_with`]).

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::fingerprint::Fnv64;
use crate::KimeraHandler;

/// The shape of a value as serde writes it.
///
/// ```
/// use kimera::{KimeraHandler, Schema};
///
/// assert_eq!(<Vec<u8> as KimeraHandler>::SCHEMA, &Schema::List(&Schema::U8));
/// assert_eq!(Schema::List(&Schema::U8).type_name(), "list<u8>");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Schema {
    /// `bool`.
    Bool,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64` (and `isize`, which is written as `i64` on every platform).
    I64,
    /// `i128`.
    I128,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64` (and `usize`, which is written as `u64` on every platform).
    U64,
    /// `u128`.
    U128,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`.
    Char,
    /// Text: `String`, `str`, `Box<str>`, `Cow<str>`.
    Str,
    /// `()`, and anything else serde writes as a unit.
    Unit,
    /// A byte string (serde's `serialize_bytes`): `serde_bytes::ByteBuf`, `bytes::Bytes`. The
    /// binary backend writes a length and the bytes, JSON an array of numbers.
    Bytes,
    /// Any value a self-describing format can hold, read with serde's `deserialize_any`
    /// (`serde_json::Value`): JSON carries it, the binary backend cannot.
    Any,
    /// `chrono::NaiveDate`.
    Date,
    /// `chrono::NaiveTime`.
    Time,
    /// `chrono::NaiveDateTime`.
    DateTime,
    /// `chrono::DateTime<Utc>`.
    DateTimeUtc,
    /// `chrono::DateTime<FixedOffset>`.
    DateTimeOffset,
    /// `chrono::TimeDelta` (alias `chrono::Duration`): seconds and nanoseconds.
    TimeDelta,
    /// `std::time::Duration`: seconds and nanoseconds.
    Duration,
    /// The compact form of a chrono type: integers instead of text (`kimera::compact`).
    Compact(&'static Schema),
    /// `Option<T>`.
    Option(&'static Schema),
    /// A variable-length sequence: `Vec<T>`, `VecDeque<T>`, `[T]`.
    List(&'static Schema),
    /// A set: `HashSet<T>`, `BTreeSet<T>`.
    Set(&'static Schema),
    /// A map: `HashMap<K, V>`, `BTreeMap<K, V>`.
    Map(&'static Schema, &'static Schema),
    /// A tuple of fixed arity.
    Tuple(&'static [&'static Schema]),
    /// A fixed-size array `[T; N]`.
    Array(&'static Schema, usize),
    /// A reference to a named type whose full shape is described elsewhere.
    Named(&'static TypeRef),
    /// The full shape of a named (usually derived) type.
    Type(&'static TypeDef),
    /// A type from another crate (or std) whose serde impl may write one shape in
    /// human-readable formats and another in compact ones: a `Uuid` is a string in JSON and 16
    /// bytes in bincode.
    Foreign(&'static Foreign),
    /// A value whose shape Kimera does not know (`#[kimera(opaque)]`, a `#[serde(with = ...)]`
    /// module Kimera cannot see into); the string names it for people and the fingerprint.
    /// Only self-describing formats (JSON) accept types holding one.
    Opaque(&'static str),
}

/// A foreign type's name and the shapes its serde impl writes ([`Schema::Foreign`]).
///
/// Serde lets an impl ask `is_human_readable()`: the JSON backend answers yes and gets
/// `readable`, the binary backend answers no and gets `compact`. The fingerprint covers both, so
/// a handler that describes either differently is a different schema.
///
/// ```
/// use kimera::schema::{Foreign, Schema};
///
/// // `std::net::Ipv4Addr`: "10.0.0.1" in JSON, four bytes in bincode.
/// static IPV4: Foreign = Foreign::new("ipv4", &Schema::Str, &Schema::Array(&Schema::U8, 4));
/// assert_eq!(Schema::Foreign(&IPV4).type_name(), "ipv4");
/// assert_eq!(IPV4.shape(true), &Schema::Str);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Foreign {
    /// The name values of this type carry in envelopes (`uuid`, `ipv4`, `time.date`).
    pub name: &'static str,
    /// The shape written for human-readable formats (JSON).
    pub readable: &'static Schema,
    /// The shape written for compact formats (the binary backend).
    pub compact: &'static Schema,
}

impl Foreign {
    /// A foreign type named `name`, written as `readable` by human-readable formats and as
    /// `compact` by the others.
    pub const fn new(
        name: &'static str,
        readable: &'static Schema,
        compact: &'static Schema,
    ) -> Self {
        Foreign {
            name,
            readable,
            compact,
        }
    }

    /// The same shape in every format.
    pub const fn uniform(name: &'static str, schema: &'static Schema) -> Self {
        Foreign::new(name, schema, schema)
    }

    /// The shape written by a format that is (`true`) or is not human-readable.
    pub const fn shape(&self, human_readable: bool) -> &'static Schema {
        match human_readable {
            true => self.readable,
            false => self.compact,
        }
    }
}

/// A named type as seen from inside another schema.
///
/// Two references are equal when they name the same type, version and arguments.
///
/// ```
/// use kimera::schema::{schema_of, Schema, TypeRef};
///
/// static PAGE: TypeRef = TypeRef::new("docs.Page", 2, schema_of::<Vec<u8>>)
///     .with_params(&[&Schema::U8]);
/// assert_eq!(Schema::Named(&PAGE).type_name(), "docs.Page<u8>");
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct TypeRef {
    /// The type's Kimera name (`shop.Order`).
    pub name: &'static str,
    /// The type's schema version.
    pub version: u32,
    /// The schemas of its generic type arguments, in declaration order.
    pub params: &'static [&'static Schema],
    /// Where a type with a default name is defined (`my_crate::api::Event`); `None` for an
    /// explicit name. See [`Schema::origin_hash`].
    pub origin: Option<&'static str>,
    /// The type's full schema, fetched when a tool walks into it (a function, so that
    /// recursive types stay finite): `kimera::schema::schema_of::<T>`.
    pub definition: fn() -> &'static Schema,
}

/// The builders of what [`TypeRef`] and [`TypeDef`] both say of a type: its generic arguments
/// and its origin.
macro_rules! identity_builders {
    ($what:literal) => {
        #[doc = concat!("This ", $what, " with the schemas of the type's generic arguments.")]
        #[must_use]
        pub const fn with_params(mut self, params: &'static [&'static Schema]) -> Self {
            self.params = params;
            self
        }

        #[doc = concat!("This ", $what, " with the path where a type with a default name is defined.")]
        #[must_use]
        pub const fn with_origin(mut self, origin: Option<&'static str>) -> Self {
            self.origin = origin;
            self
        }
    };
}

impl TypeRef {
    /// A reference to the type named `name` at `version`, with no generic arguments and an
    /// explicit name (no origin), whose full schema `definition` returns.
    pub const fn new(
        name: &'static str,
        version: u32,
        definition: fn() -> &'static Schema,
    ) -> Self {
        TypeRef {
            name,
            version,
            params: &[],
            origin: None,
            definition,
        }
    }

    identity_builders!("reference");
}

/// `T`'s full schema, as a function for [`TypeRef::definition`].
///
/// ```
/// use kimera::schema::schema_of;
/// use kimera::KimeraHandler;
/// assert_eq!(schema_of::<Vec<u8>>(), <Vec<u8>>::SCHEMA);
/// ```
pub fn schema_of<T: KimeraHandler + ?Sized>() -> &'static Schema {
    T::SCHEMA
}

impl PartialEq for TypeRef {
    fn eq(&self, other: &Self) -> bool {
        (self.name, self.version, self.params, self.origin)
            == (other.name, other.version, other.params, other.origin)
    }
}

impl Eq for TypeRef {}

impl std::hash::Hash for TypeRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.name, self.version, self.params, self.origin).hash(state);
    }
}

impl fmt::Debug for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypeRef")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// The full description of a named type.
///
/// ```
/// use kimera::schema::{Field, Fields, Schema, Shape, TypeDef};
///
/// static POINT: TypeDef = TypeDef::new(
///     "geo.Point",
///     1,
///     Shape::Struct(Fields::Named(&[Field::new("x", &Schema::F64), Field::new("y", &Schema::F64)])),
/// );
/// assert_eq!(Schema::Type(&POINT).type_name(), "geo.Point");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TypeDef {
    /// The type's Kimera name (`shop.Order`).
    pub name: &'static str,
    /// The type's schema version.
    pub version: u32,
    /// The schemas of its generic type arguments, in declaration order.
    pub params: &'static [&'static Schema],
    /// Where a type with a default name is defined; `None` for an explicit name (see
    /// [`TypeRef::origin`]).
    pub origin: Option<&'static str>,
    /// Its shape.
    pub shape: Shape,
    /// The children (numbered as [`Schema::fingerprint_with`] numbers them) that enter the
    /// type's fingerprint by reference only, as a field that refers back to the type does
    /// (`#[derive(Kimera)]` fills it; see `docs/schema.md`). Not hashed: it records how the
    /// fingerprint was computed, so that a [schema document](crate::document) can compute it
    /// again.
    pub by_reference: &'static [u32],
}

impl TypeDef {
    /// The type named `name` at `version`, of `shape`, with no generic arguments, an explicit
    /// name (no origin) and no child hashed by reference.
    pub const fn new(name: &'static str, version: u32, shape: Shape) -> Self {
        TypeDef {
            name,
            version,
            params: &[],
            origin: None,
            shape,
            by_reference: &[],
        }
    }

    identity_builders!("definition");

    /// This definition with the children that enter its fingerprint by reference only (see
    /// [`by_reference`](Self::by_reference)).
    #[must_use]
    pub const fn with_by_reference(mut self, by_reference: &'static [u32]) -> Self {
        self.by_reference = by_reference;
        self
    }
}

/// The shape of a named type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shape {
    /// A struct: named fields, a tuple struct, a newtype or a unit struct.
    Struct(Fields),
    /// `#[serde(tag = "t")]` on a struct: `{"t": "Name", ...fields}`.
    TaggedStruct {
        /// The tag key.
        tag: &'static str,
        /// The tag value: the struct's name as serde writes it.
        name: &'static str,
        /// The struct's named fields.
        fields: Fields,
    },
    /// `#[serde(transparent)]`: written exactly as its one field.
    Transparent(&'static Schema),
    /// An enum and the way serde tags it.
    Enum {
        /// How the variant is written.
        repr: EnumRepr,
        /// The variants serde writes, in declaration order.
        variants: &'static [Variant],
    },
}

/// The fields of a struct or an enum variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fields {
    /// No fields: `struct Marker;`, `Variant`.
    Unit,
    /// One unnamed field: `struct Meters(f64);`, `Variant(T)`.
    Newtype(&'static Schema),
    /// Several unnamed fields.
    Tuple(&'static [&'static Schema]),
    /// Named fields, as serde writes them (renamed, skipped fields left out).
    Named(&'static [Field]),
}

/// A named field.
///
/// ```
/// use kimera::schema::{Field, FieldAttrs, Schema};
///
/// static NOTE: Field = Field::new("note", &Schema::Str)
///     .with_attrs(FieldAttrs::new().with_default(true).with_aliases(&["comment"]));
/// assert!(NOTE.attrs.default && !NOTE.attrs.flatten);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Field {
    /// The name serde writes.
    pub name: &'static str,
    /// The field's schema.
    pub schema: &'static Schema,
    /// Serde attributes that change how the field is read or written.
    pub attrs: FieldAttrs,
}

impl Field {
    /// The field serde writes as `name`, of `schema`, with no attribute.
    pub const fn new(name: &'static str, schema: &'static Schema) -> Self {
        Field {
            name,
            schema,
            attrs: FieldAttrs::new(),
        }
    }

    /// This field with serde attributes.
    #[must_use]
    pub const fn with_attrs(mut self, attrs: FieldAttrs) -> Self {
        self.attrs = attrs;
        self
    }
}

/// Serde attributes of a field that the schema records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FieldAttrs {
    /// `#[serde(default)]`: the field may be missing when reading.
    pub default: bool,
    /// `#[serde(flatten)]`: the field's own fields are written inline.
    pub flatten: bool,
    /// `#[serde(skip_serializing_if = "...")]`: the field may be left out when writing.
    pub skip_if: bool,
    /// `#[serde(alias = "...")]`: other names the field is read under. Not hashed: they change
    /// what a reader accepts, not what it writes.
    pub aliases: &'static [&'static str],
}

impl FieldAttrs {
    /// No attribute (the same as `FieldAttrs::default()`, in a `const`).
    pub const fn new() -> Self {
        FieldAttrs {
            default: false,
            flatten: false,
            skip_if: false,
            aliases: &[],
        }
    }

    /// These attributes with `#[serde(default)]` or without.
    #[must_use]
    pub const fn with_default(mut self, default: bool) -> Self {
        self.default = default;
        self
    }

    /// These attributes with `#[serde(flatten)]` or without.
    #[must_use]
    pub const fn with_flatten(mut self, flatten: bool) -> Self {
        self.flatten = flatten;
        self
    }

    /// These attributes with `#[serde(skip_serializing_if = "...")]` or without.
    #[must_use]
    pub const fn with_skip_if(mut self, skip_if: bool) -> Self {
        self.skip_if = skip_if;
        self
    }

    /// These attributes with the names the field is also read under.
    #[must_use]
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
}

/// An enum variant.
///
/// ```
/// use kimera::schema::{Fields, Schema, Variant};
///
/// static SHIPPED: Variant = Variant::new("Shipped", Fields::Newtype(&Schema::U64));
/// assert!(!SHIPPED.untagged && SHIPPED.aliases.is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Variant {
    /// The name serde writes.
    pub name: &'static str,
    /// The variant's fields.
    pub fields: Fields,
    /// `#[serde(untagged)]` on this variant alone.
    pub untagged: bool,
    /// `#[serde(alias = "...")]`: other names the variant is read under (not hashed, as a
    /// field's).
    pub aliases: &'static [&'static str],
}

impl Variant {
    /// The variant serde writes as `name`, holding `fields`, tagged as its enum is, with no
    /// alias.
    pub const fn new(name: &'static str, fields: Fields) -> Self {
        Variant {
            name,
            fields,
            untagged: false,
            aliases: &[],
        }
    }

    /// This variant with `#[serde(untagged)]` or without.
    #[must_use]
    pub const fn with_untagged(mut self, untagged: bool) -> Self {
        self.untagged = untagged;
        self
    }

    /// This variant with the names it is also read under.
    #[must_use]
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
}

/// How serde writes an enum's variant (`#[serde(tag, content, untagged)]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnumRepr {
    /// The default: `{"Variant": content}`.
    External,
    /// `#[serde(tag = "t")]`: `{"t": "Variant", ...fields}`.
    Internal {
        /// The tag key.
        tag: &'static str,
    },
    /// `#[serde(tag = "t", content = "c")]`: `{"t": "Variant", "c": content}`.
    Adjacent {
        /// The tag key.
        tag: &'static str,
        /// The content key.
        content: &'static str,
    },
    /// `#[serde(untagged)]`: the content alone.
    Untagged,
}

// Node tags of the canonical byte stream hashed into a fingerprint (docs/schema.md).
// Never renumber: fingerprints of stored data depend on them.
pub(crate) mod tag {
    pub const BOOL: u8 = 0x01;
    pub const I8: u8 = 0x02;
    pub const I16: u8 = 0x03;
    pub const I32: u8 = 0x04;
    pub const I64: u8 = 0x05;
    pub const I128: u8 = 0x06;
    pub const U8: u8 = 0x07;
    pub const U16: u8 = 0x08;
    pub const U32: u8 = 0x09;
    pub const U64: u8 = 0x0a;
    pub const U128: u8 = 0x0b;
    pub const F32: u8 = 0x0c;
    pub const F64: u8 = 0x0d;
    pub const CHAR: u8 = 0x0e;
    pub const STR: u8 = 0x0f;
    pub const UNIT: u8 = 0x10;
    pub const BYTES: u8 = 0x11;
    pub const ANY: u8 = 0x12;
    pub const DATE: u8 = 0x20;
    pub const TIME: u8 = 0x21;
    pub const DATETIME: u8 = 0x22;
    pub const DATETIME_UTC: u8 = 0x23;
    pub const DATETIME_OFFSET: u8 = 0x24;
    pub const TIMEDELTA: u8 = 0x25;
    pub const DURATION: u8 = 0x26;
    pub const COMPACT: u8 = 0x27;
    pub const OPTION: u8 = 0x30;
    pub const LIST: u8 = 0x31;
    pub const SET: u8 = 0x32;
    pub const MAP: u8 = 0x33;
    pub const TUPLE: u8 = 0x34;
    pub const ARRAY: u8 = 0x35;
    pub const NAMED: u8 = 0x40;
    pub const TYPE: u8 = 0x41;
    pub const OPAQUE: u8 = 0x42;
    pub const FOREIGN: u8 = 0x43;
    pub const SHAPE_STRUCT: u8 = 0x50;
    pub const SHAPE_TRANSPARENT: u8 = 0x51;
    pub const SHAPE_ENUM: u8 = 0x52;
    pub const SHAPE_TAGGED_STRUCT: u8 = 0x53;
    pub const FIELDS_UNIT: u8 = 0x60;
    pub const FIELDS_NEWTYPE: u8 = 0x61;
    pub const FIELDS_TUPLE: u8 = 0x62;
    pub const FIELDS_NAMED: u8 = 0x63;
    pub const REPR_EXTERNAL: u8 = 0x70;
    pub const REPR_INTERNAL: u8 = 0x71;
    pub const REPR_ADJACENT: u8 = 0x72;
    pub const REPR_UNTAGGED: u8 = 0x73;
}

impl Schema {
    /// The stable 64-bit fingerprint of this schema alone (see `docs/schema.md`).
    ///
    /// Child schemas enter their parent's hash through their own fingerprint, Merkle-style; a
    /// [`Schema::Named`] reference enters by name, version and generic arguments. A handler's
    /// [`FINGERPRINT`](KimeraHandler::FINGERPRINT) goes deeper: see
    /// [`fingerprint_with`](Self::fingerprint_with).
    ///
    /// ```
    /// use kimera::Schema;
    /// const FP: u64 = Schema::List(&Schema::U8).fingerprint();
    /// assert_ne!(FP, Schema::List(&Schema::I8).fingerprint());
    /// ```
    pub const fn fingerprint(&self) -> u64 {
        self.fingerprint_with(&[])
    }

    /// The fingerprint of this schema with its direct children hashed as `nested`, when `nested`
    /// is not empty: one fingerprint per child, in the order the children appear (an option's or
    /// a list's item; a map's key then value; a tuple's items; a foreign type's readable then compact shape; a type's fields, variant by
    /// variant). Generic arguments of a type are not children.
    ///
    /// Handlers pass their children's [`FINGERPRINT`](KimeraHandler::FINGERPRINT)s, so a type's
    /// fingerprint covers the full shapes of the named types nested in it, not only their names
    /// and versions: a changed nested struct changes the fingerprint of every type that holds it.
    /// (`#[derive(Kimera)]` hashes a field that refers back to the type being defined by
    /// reference, which keeps recursive types finite; see `docs/schema.md` for what that hides.)
    ///
    /// ```
    /// use kimera::{KimeraHandler, Schema};
    ///
    /// // Over built-in types alone, it is the plain fingerprint.
    /// let list = Schema::List(&Schema::Str);
    /// assert_eq!(list.fingerprint_with(&[String::FINGERPRINT]), list.fingerprint());
    /// assert_eq!(<Vec<String>>::FINGERPRINT, list.fingerprint());
    /// ```
    ///
    /// # Panics
    ///
    /// When `nested` is neither empty nor one fingerprint per child (at compile time, in a
    /// `const`).
    pub const fn fingerprint_with(&self, nested: &[u64]) -> u64 {
        self.hash(None, nested)
    }

    /// [`fingerprint_with`](Self::fingerprint_with) as if the [`Schema::Type`] at the top were
    /// named `name`: the fingerprint a renamed type had under its former name (an
    /// [`Alias`](crate::Alias)). Other schemas have no name to replace.
    ///
    /// ```
    /// use kimera::{KimeraHandler, Schema};
    /// assert_eq!(Schema::Str.fingerprint_as("old", &[]), String::FINGERPRINT);
    /// ```
    pub const fn fingerprint_as(&self, name: &str, nested: &[u64]) -> u64 {
        self.hash(Some(name), nested)
    }

    const fn hash(&self, rename: Option<&str>, nested: &[u64]) -> u64 {
        let mut n = Nested {
            deep: nested,
            next: 0,
        };
        let h = Fnv64::new();
        let h = match *self {
            Schema::Bool => h.byte(tag::BOOL),
            Schema::I8 => h.byte(tag::I8),
            Schema::I16 => h.byte(tag::I16),
            Schema::I32 => h.byte(tag::I32),
            Schema::I64 => h.byte(tag::I64),
            Schema::I128 => h.byte(tag::I128),
            Schema::U8 => h.byte(tag::U8),
            Schema::U16 => h.byte(tag::U16),
            Schema::U32 => h.byte(tag::U32),
            Schema::U64 => h.byte(tag::U64),
            Schema::U128 => h.byte(tag::U128),
            Schema::F32 => h.byte(tag::F32),
            Schema::F64 => h.byte(tag::F64),
            Schema::Char => h.byte(tag::CHAR),
            Schema::Str => h.byte(tag::STR),
            Schema::Unit => h.byte(tag::UNIT),
            Schema::Bytes => h.byte(tag::BYTES),
            Schema::Any => h.byte(tag::ANY),
            Schema::Date => h.byte(tag::DATE),
            Schema::Time => h.byte(tag::TIME),
            Schema::DateTime => h.byte(tag::DATETIME),
            Schema::DateTimeUtc => h.byte(tag::DATETIME_UTC),
            Schema::DateTimeOffset => h.byte(tag::DATETIME_OFFSET),
            Schema::TimeDelta => h.byte(tag::TIMEDELTA),
            Schema::Duration => h.byte(tag::DURATION),
            Schema::Compact(inner) => h.byte(tag::COMPACT).u64(n.child(inner)),
            Schema::Option(inner) => h.byte(tag::OPTION).u64(n.child(inner)),
            Schema::List(item) => h.byte(tag::LIST).u64(n.child(item)),
            Schema::Set(item) => h.byte(tag::SET).u64(n.child(item)),
            Schema::Map(key, value) => {
                let h = h.byte(tag::MAP).u64(n.child(key));
                h.u64(n.child(value))
            }
            Schema::Tuple(items) => n.children(h.byte(tag::TUPLE), items),
            Schema::Array(item, len) => h.byte(tag::ARRAY).u64(n.child(item)).u64(len as u64),
            Schema::Named(r) => {
                Nested::shallow().children(h.byte(tag::NAMED).str(r.name).u32(r.version), r.params)
            }
            Schema::Type(def) => {
                let name = match rename {
                    Some(name) => name,
                    None => def.name,
                };
                let h = Nested::shallow()
                    .children(h.byte(tag::TYPE).str(name).u32(def.version), def.params);
                match def.shape {
                    Shape::Struct(fields) => n.fields(h.byte(tag::SHAPE_STRUCT), &fields),
                    Shape::TaggedStruct {
                        tag: t,
                        name,
                        fields,
                    } => {
                        let h = h.byte(tag::SHAPE_TAGGED_STRUCT).str(t).str(name);
                        n.fields(h, &fields)
                    }
                    Shape::Transparent(inner) => h.byte(tag::SHAPE_TRANSPARENT).u64(n.child(inner)),
                    Shape::Enum { repr, variants } => {
                        let mut h = match repr {
                            EnumRepr::External => h.byte(tag::SHAPE_ENUM).byte(tag::REPR_EXTERNAL),
                            EnumRepr::Internal { tag: t } => {
                                h.byte(tag::SHAPE_ENUM).byte(tag::REPR_INTERNAL).str(t)
                            }
                            EnumRepr::Adjacent { tag: t, content } => h
                                .byte(tag::SHAPE_ENUM)
                                .byte(tag::REPR_ADJACENT)
                                .str(t)
                                .str(content),
                            EnumRepr::Untagged => h.byte(tag::SHAPE_ENUM).byte(tag::REPR_UNTAGGED),
                        };
                        h = h.u32(variants.len() as u32);
                        let mut i = 0;
                        while i < variants.len() {
                            let v = &variants[i];
                            h = n.fields(h.str(v.name).byte(v.untagged as u8), &v.fields);
                            i += 1;
                        }
                        h
                    }
                }
            }
            Schema::Opaque(name) => h.byte(tag::OPAQUE).str(name),
            Schema::Foreign(f) => {
                let h = h.byte(tag::FOREIGN).str(f.name).u64(n.child(f.readable));
                h.u64(n.child(f.compact))
            }
        };
        assert!(
            n.deep.is_empty() || n.next == n.deep.len(),
            "fingerprint_with: one nested fingerprint per child schema"
        );
        h.finish()
    }

    /// The name this schema's values carry in an envelope: `u8`, `list<str>`, `shop.Order`,
    /// `Page<i32>`. Borrowed unless generic arguments have to be spelled out.
    ///
    /// ```
    /// use kimera::Schema;
    /// assert_eq!(Schema::Map(&Schema::Str, &Schema::F64).type_name(), "map<str,f64>");
    /// ```
    pub fn type_name(&self) -> Cow<'static, str> {
        match self.simple_name() {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(self.display_name().to_string()),
        }
    }

    /// A value that writes [`type_name`](Self::type_name) without allocating.
    pub fn display_name(&self) -> DisplayName<'_> {
        DisplayName(self)
    }

    /// The name when it is a single static string (no generic arguments to spell out).
    fn simple_name(&self) -> Option<&'static str> {
        Some(match *self {
            Schema::Bool => "bool",
            Schema::I8 => "i8",
            Schema::I16 => "i16",
            Schema::I32 => "i32",
            Schema::I64 => "i64",
            Schema::I128 => "i128",
            Schema::U8 => "u8",
            Schema::U16 => "u16",
            Schema::U32 => "u32",
            Schema::U64 => "u64",
            Schema::U128 => "u128",
            Schema::F32 => "f32",
            Schema::F64 => "f64",
            Schema::Char => "char",
            Schema::Str => "str",
            Schema::Unit => "unit",
            Schema::Bytes => "bytes",
            Schema::Any => "any",
            Schema::Date => "date",
            Schema::Time => "time",
            Schema::DateTime => "datetime",
            Schema::DateTimeUtc => "datetime_utc",
            Schema::DateTimeOffset => "datetime_offset",
            Schema::TimeDelta => "timedelta",
            Schema::Duration => "duration",
            Schema::Named(TypeRef {
                name, params: [], ..
            })
            | Schema::Type(TypeDef {
                name, params: [], ..
            }) => name,
            Schema::Opaque(name) => name,
            Schema::Foreign(f) => f.name,
            _ => return None,
        })
    }

    /// Where the named type at the top of this schema is defined, if it has a default name
    /// ([`TypeRef::origin`]).
    pub const fn origin(&self) -> Option<&'static str> {
        match *self {
            Schema::Named(r) => r.origin,
            Schema::Type(def) => def.origin,
            _ => None,
        }
    }

    /// The hash of the origins of every default-named type that appears in this schema's type
    /// name (the type itself and its generic arguments; a container's items, keys and values),
    /// in the order they appear: 64-bit FNV-1a over each origin as a string, truncated to 32
    /// bits. `None` when no default-named type appears (`docs/wire-format.md`, "Origins").
    ///
    /// Envelopes carry it so that two types sharing a default name, `api::Event` and
    /// `db::Event`, never read each other's values, nor `Vec<api::Event>` a `Vec<db::Event>`'s.
    /// It is not part of the fingerprint: moving a type to another module changes no
    /// fingerprint.
    ///
    /// ```
    /// use kimera::Schema;
    /// assert_eq!(Schema::List(&Schema::Str).origin_hash(), None);
    /// ```
    pub const fn origin_hash(&self) -> Option<u32> {
        match self.feed_origins(Fnv64::new(), false) {
            (h, true) => Some(h.finish() as u32),
            (_, false) => None,
        }
    }

    /// Feeds the origins of the type name's default-named types to `h`; `true` if any.
    const fn feed_origins(&self, h: Fnv64, found: bool) -> (Fnv64, bool) {
        const fn all(items: &[&Schema], mut h: Fnv64, mut found: bool) -> (Fnv64, bool) {
            let mut i = 0;
            while i < items.len() {
                (h, found) = items[i].feed_origins(h, found);
                i += 1;
            }
            (h, found)
        }
        match *self {
            Schema::Named(TypeRef { origin, params, .. })
            | Schema::Type(TypeDef { origin, params, .. }) => match origin {
                Some(origin) => all(params, h.str(origin), true),
                None => all(params, h, found),
            },
            Schema::Compact(item)
            | Schema::Option(item)
            | Schema::List(item)
            | Schema::Set(item) => item.feed_origins(h, found),
            Schema::Array(item, _) => item.feed_origins(h, found),
            Schema::Map(key, value) => {
                let (h, found) = key.feed_origins(h, found);
                value.feed_origins(h, found)
            }
            Schema::Tuple(items) => all(items, h, found),
            _ => (h, found),
        }
    }

    /// The origins [`origin_hash`](Self::origin_hash) hashes, in order, as JSON envelopes
    /// carry them: separated by commas.
    pub fn origins(&self) -> DisplayOrigins<'_> {
        DisplayOrigins(self)
    }

    /// Whether `found` is exactly this schema's type name, without allocating.
    ///
    /// ```
    /// use kimera::Schema;
    /// let s = Schema::List(&Schema::Str);
    /// assert!(s.name_matches("list<str>"));
    /// assert!(!s.name_matches("list<str>>"));
    /// ```
    pub fn name_matches(&self, found: &str) -> bool {
        if let Some(name) = self.simple_name() {
            return name == found;
        }
        let mut rest = Prefix(found);
        write!(rest, "{}", self.display_name()).is_ok() && rest.0.is_empty()
    }
}

/// Consumes a string as a prefix of what is written to it; fails on the first difference.
struct Prefix<'a>(&'a str);

impl fmt::Write for Prefix<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.0.strip_prefix(s) {
            Some(rest) => {
                self.0 = rest;
                Ok(())
            }
            None => Err(fmt::Error),
        }
    }
}

/// Writes the origins in a schema's type name; see [`Schema::origins`].
#[derive(Clone, Copy, Debug)]
pub struct DisplayOrigins<'a>(&'a Schema);

impl fmt::Display for DisplayOrigins<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn walk(schema: &Schema, f: &mut fmt::Formatter<'_>, first: &mut bool) -> fmt::Result {
            let items: &[&Schema] = match schema {
                Schema::Named(TypeRef { origin, params, .. })
                | Schema::Type(TypeDef { origin, params, .. }) => {
                    if let Some(origin) = origin {
                        if !std::mem::take(first) {
                            f.write_char(',')?;
                        }
                        f.write_str(origin)?;
                    }
                    params
                }
                Schema::Compact(item)
                | Schema::Option(item)
                | Schema::List(item)
                | Schema::Set(item)
                | Schema::Array(item, _) => std::slice::from_ref(item),
                Schema::Map(key, value) => {
                    walk(key, f, first)?;
                    return walk(value, f, first);
                }
                Schema::Tuple(items) => items,
                _ => &[],
            };
            items.iter().try_for_each(|item| walk(item, f, first))
        }
        walk(self.0, f, &mut true)
    }
}

/// Writes a schema's type name; see [`Schema::display_name`].
#[derive(Clone, Copy, Debug)]
pub struct DisplayName<'a>(&'a Schema);

impl fmt::Display for DisplayName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn args(f: &mut fmt::Formatter<'_>, name: &str, items: &[&Schema]) -> fmt::Result {
            f.write_str(name)?;
            if items.is_empty() {
                return Ok(());
            }
            f.write_char('<')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                fmt::Display::fmt(&item.display_name(), f)?;
            }
            f.write_char('>')
        }
        if let Some(name) = self.0.simple_name() {
            return f.write_str(name);
        }
        match *self.0 {
            Schema::Compact(inner) => args(f, "compact", &[inner]),
            Schema::Option(inner) => args(f, "option", &[inner]),
            Schema::List(item) => args(f, "list", &[item]),
            Schema::Set(item) => args(f, "set", &[item]),
            Schema::Map(key, value) => args(f, "map", &[key, value]),
            Schema::Tuple(items) => args(f, "tuple", items),
            Schema::Array(item, len) => write!(f, "array<{},{len}>", item.display_name()),
            Schema::Named(r) => args(f, r.name, r.params),
            Schema::Type(def) => args(f, def.name, def.params),
            _ => unreachable!("every other schema has a simple name"),
        }
    }
}

impl fmt::Display for Schema {
    /// A compact description: the type name for references, the full shape for definitions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Schema::Type(def) = self else {
            return fmt::Display::fmt(&self.display_name(), f);
        };
        write!(f, "{}@{} ", self.display_name(), def.version)?;
        match def.shape {
            Shape::Struct(fields) => write!(f, "struct{}", DisplayFields(&fields)),
            Shape::TaggedStruct { tag, name, fields } => {
                write!(f, "struct(tag {tag:?}: {name:?}){}", DisplayFields(&fields))
            }
            Shape::Transparent(inner) => write!(f, "transparent {inner}"),
            Shape::Enum { repr, variants } => {
                match repr {
                    EnumRepr::External => f.write_str("enum {")?,
                    EnumRepr::Internal { tag } => write!(f, "enum(tag = {tag:?}) {{")?,
                    EnumRepr::Adjacent { tag, content } => {
                        write!(f, "enum(tag = {tag:?}, content = {content:?}) {{")?
                    }
                    EnumRepr::Untagged => f.write_str("enum(untagged) {")?,
                }
                for (i, v) in variants.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}{}", v.name, DisplayFields(&v.fields))?;
                }
                f.write_str(" }")
            }
        }
    }
}

struct DisplayFields<'a>(&'a Fields);

impl fmt::Display for DisplayFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            Fields::Unit => Ok(()),
            Fields::Newtype(inner) => write!(f, "({inner})"),
            Fields::Tuple(items) => {
                f.write_char('(')?;
                for (i, item) in items.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{item}")?;
                }
                f.write_char(')')
            }
            Fields::Named(fields) => {
                f.write_str(" {")?;
                for (i, field) in fields.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}: {}", field.name, field.schema)?;
                    let attrs = field.attrs;
                    for (on, name) in [
                        (attrs.default, "default"),
                        (attrs.flatten, "flatten"),
                        (attrs.skip_if, "skip_if"),
                    ] {
                        if on {
                            write!(f, " #{name}")?;
                        }
                    }
                }
                f.write_str(" }")
            }
        }
    }
}

/// Where a node's children come from while hashing it: their own fingerprints (`deep` empty),
/// or fingerprints a handler supplies, in order.
struct Nested<'a> {
    deep: &'a [u64],
    next: usize,
}

impl Nested<'_> {
    /// Children hashed by their own fingerprints.
    const fn shallow() -> Nested<'static> {
        Nested { deep: &[], next: 0 }
    }

    const fn child(&mut self, schema: &Schema) -> u64 {
        if self.deep.is_empty() {
            return schema.fingerprint();
        }
        self.next += 1;
        self.deep[self.next - 1]
    }

    const fn children(&mut self, mut h: Fnv64, items: &[&Schema]) -> Fnv64 {
        h = h.u32(items.len() as u32);
        let mut i = 0;
        while i < items.len() {
            h = h.u64(self.child(items[i]));
            i += 1;
        }
        h
    }

    const fn fields(&mut self, h: Fnv64, fields: &Fields) -> Fnv64 {
        match *fields {
            Fields::Unit => h.byte(tag::FIELDS_UNIT),
            Fields::Newtype(inner) => h.byte(tag::FIELDS_NEWTYPE).u64(self.child(inner)),
            Fields::Tuple(items) => self.children(h.byte(tag::FIELDS_TUPLE), items),
            Fields::Named(fields) => {
                let mut h = h.byte(tag::FIELDS_NAMED).u32(fields.len() as u32);
                let mut i = 0;
                while i < fields.len() {
                    let field = &fields[i];
                    let attrs = field.attrs;
                    let flags = attrs.default as u8
                        | (attrs.flatten as u8) << 1
                        | (attrs.skip_if as u8) << 2;
                    h = h.str(field.name).u64(self.child(field.schema)).byte(flags);
                    i += 1;
                }
                h
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PAGE: TypeDef = TypeDef {
        name: "Page",
        version: 2,
        params: &[&Schema::I32],
        origin: None,
        shape: Shape::Struct(Fields::Named(&[Field {
            name: "items",
            schema: &Schema::List(&Schema::I32),
            attrs: FieldAttrs {
                default: false,
                flatten: false,
                skip_if: false,
                aliases: &[],
            },
        }])),
        by_reference: &[],
    };

    #[test]
    fn names_spell_out_generic_arguments() {
        let s = Schema::Map(
            &Schema::Str,
            &Schema::Tuple(&[&Schema::U8, &Schema::Option(&Schema::Date)]),
        );
        assert_eq!(s.type_name(), "map<str,tuple<u8,option<date>>>");
        assert!(s.name_matches("map<str,tuple<u8,option<date>>>"));
        assert!(!s.name_matches("map<str,tuple<u8,option<date>>"));
        assert!(!s.name_matches(""));
        assert_eq!(Schema::Type(&PAGE).type_name(), "Page<i32>");
        assert_eq!(Schema::Array(&Schema::F32, 3).type_name(), "array<f32,3>");
    }

    #[test]
    fn every_component_changes_the_fingerprint() {
        let base = Schema::Type(&PAGE).fingerprint();
        let renamed = TypeDef {
            name: "Pages",
            ..PAGE
        };
        let bumped = TypeDef { version: 3, ..PAGE };
        let other_param = TypeDef {
            params: &[&Schema::I64],
            ..PAGE
        };
        let field_default = TypeDef {
            shape: Shape::Struct(Fields::Named(&[Field {
                name: "items",
                schema: &Schema::List(&Schema::I32),
                attrs: FieldAttrs {
                    default: true,
                    flatten: false,
                    skip_if: false,
                    aliases: &[],
                },
            }])),
            ..PAGE
        };
        for other in [renamed, bumped, other_param, field_default] {
            let other: &'static TypeDef = Box::leak(Box::new(other));
            assert_ne!(Schema::Type(other).fingerprint(), base, "{other:?}");
        }
        assert_ne!(
            Schema::Tuple(&[&Schema::U8]).fingerprint(),
            Schema::List(&Schema::U8).fingerprint()
        );
        assert_ne!(
            Schema::Array(&Schema::U8, 2).fingerprint(),
            Schema::Array(&Schema::U8, 3).fingerprint()
        );
    }

    #[test]
    fn fingerprints_are_pinned() {
        // These values are part of the wire contract: stored binary data carries them.
        // Computed by an independent FNV-1a implementation from the stream in docs/schema.md.
        assert_eq!(Schema::Str.fingerprint(), 0xaf63_c24c_8601_c05e);
        assert_eq!(
            Schema::List(&Schema::Str).fingerprint(),
            0xfeed_815d_19e8_a64d
        );
    }

    #[test]
    fn display_describes_definitions() {
        assert_eq!(
            Schema::Type(&PAGE).to_string(),
            "Page<i32>@2 struct { items: list<i32> }"
        );
    }
}
