//! [`KimeraHandler`]: a type's identity on the wire.

use std::borrow::Cow;

use crate::error::Result;
use crate::limits::DecodeBound;
use crate::migration::Older;
use crate::schema::Schema;

/// What Kimera knows about a type: its name, its schema version, the shape serde writes and
/// that shape's fingerprint.
///
/// Serde does the fields; a handler adds the identity that an envelope carries, so a reader knows
/// what a buffer holds and refuses what it was not meant to read. Handlers exist for the standard
/// type families (see the [`handlers`](crate::handlers) module) and are derived for your own types
/// with `#[derive(Kimera)]`.
///
/// Everything is an associated constant, computed at compile time: encoding and decoding pay
/// nothing for them.
///
/// # Implementing it by hand
///
/// Deriving is the usual way. A hand-written handler is a schema and, for a named type, its
/// version:
///
/// ```
/// use kimera::schema::{schema_of, TypeRef};
/// use kimera::{KimeraHandler, Schema};
///
/// /// Written by serde as a plain string.
/// struct Email(String);
///
/// impl KimeraHandler for Email {
///     const VERSION: u32 = 1;
///     const SCHEMA: &'static Schema = &Schema::Str;
///     // How the type is named inside other schemas and in envelopes.
///     const REFERENCE: &'static Schema = &Schema::Named(&TypeRef::new("Email", 1, schema_of::<Email>));
/// }
///
/// assert_eq!(Email::type_name(), "Email");
/// assert_eq!(Email::FINGERPRINT, Schema::Str.fingerprint());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no Kimera handler",
    label = "`{Self}` does not implement `KimeraHandler`",
    note = "add `#[derive(Kimera)]` to the type if it is yours",
    note = "for a type from another crate, turn on the Kimera feature named after that crate if there is one (`uuid`, `url`, `time`, ...: see `kimera::handlers`), or mark the field `#[kimera(with = T)]` (T a handled type that serde writes the same way in every format) or `#[kimera(opaque)]` (JSON only)"
)]
pub trait KimeraHandler {
    /// The schema version of this type (`#[kimera(version = N)]`; 1 when unset).
    const VERSION: u32 = 1;

    /// The full shape of this type as serde writes it.
    const SCHEMA: &'static Schema;

    /// How this type appears inside other schemas and what names it in an envelope.
    ///
    /// Built-in handlers are structural and use their [`SCHEMA`](Self::SCHEMA); named types use a
    /// [`Schema::Named`] reference, which keeps recursive types finite.
    const REFERENCE: &'static Schema = Self::SCHEMA;

    /// The stable fingerprint of this type's full shape, carried by binary envelopes.
    ///
    /// The default hashes [`SCHEMA`](Self::SCHEMA) alone, right for a type with no children. A
    /// handler whose schema has children passes their fingerprints to
    /// [`Schema::fingerprint_with`], so that a change anywhere inside a nested named type changes
    /// this one too; built-in and derived handlers do.
    const FINGERPRINT: u64 = Self::SCHEMA.fingerprint();

    /// What decoding a value of this type from a binary body can cost, if its schema bounds it
    /// (no recursion, no sequence or map of elements that take no bytes, no owned strings);
    /// `None` if not. See `docs/schema.md`, "Decode bounds".
    ///
    /// Where it is `Some` and within the reader's depth limit, the binary backend decodes with
    /// bincode's own decoder and no [`Guard`](crate::Guard) around it: the guard could never
    /// step in, and costs up to several times the decode under fat LTO. Built-in and derived
    /// handlers compute it. The default is `None`, since only the handler's author knows that
    /// [`SCHEMA`](Self::SCHEMA) describes everything its `Deserialize` impl reads; such a
    /// handler opts in with [`Schema::decode_bound_with`], passing the bounds of its schema's
    /// named children:
    ///
    /// ```
    /// use kimera::schema::DecodeBound;
    /// use kimera::{KimeraHandler, Schema};
    ///
    /// struct Celsius(f64); // with serde impls that read and write one f64
    ///
    /// impl KimeraHandler for Celsius {
    ///     const SCHEMA: &'static Schema = &Schema::F64;
    ///     const DECODE_BOUND: Option<DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    /// }
    /// assert!(Celsius::DECODE_BOUND.is_some());
    /// ```
    const DECODE_BOUND: Option<DecodeBound> = None;

    /// Why this type cannot go through a non-self-describing format such as the binary backend,
    /// if it cannot: a message naming the serde attribute (`#[serde(untagged)]`, `flatten`, ...).
    ///
    /// Such formats check it at compile time; see [`Format`](crate::Format).
    const BINARY_INCOMPATIBILITY: Option<&'static str> = None;

    /// Former names of this type whose values it still reads (`#[kimera(alias = "old.Name")]`).
    ///
    /// Envelopes are always written under [`type_name`](Self::type_name); a reader accepts an
    /// envelope under an alias too (with the same generic arguments, for a generic type).
    const ALIASES: &'static [Alias] = &[];

    /// Decodes a value written by an older version of this type, `older.version()` below
    /// [`VERSION`](Self::VERSION), through the chain of `#[kimera(previous = ...)]` types.
    ///
    /// Formats call it only when the envelope's version is older: the current version's path
    /// never comes here. The default knows no older version and returns
    /// [`ErrorKind::NoMigration`](crate::ErrorKind::NoMigration); the derive writes the chain
    /// (see `docs/versioning.md`).
    fn migrate<'de, O: Older<'de>>(older: O) -> Result<Self>
    where
        Self: Sized,
    {
        Err(crate::migration::no_migration::<Self>(older.version()))
    }

    /// The name carried in envelopes: `shop.Order`, `list<str>`, `Page<i32>`.
    ///
    /// ```
    /// use kimera::KimeraHandler;
    /// assert_eq!(<Vec<(String, u8)>>::type_name(), "list<tuple<str,u8>>");
    /// ```
    fn type_name() -> Cow<'static, str> {
        Self::REFERENCE.type_name()
    }
}

/// A former name of a type ([`KimeraHandler::ALIASES`]), with the fingerprint the type's
/// shape has under it: a fingerprint covers the name, so binary values written under the old
/// name carry this one.
///
/// ```
/// use kimera::schema::Alias;
/// use kimera::KimeraHandler;
/// let alias = Alias::of("old.Bytes", <Vec<u8>>::SCHEMA, &[]);
/// assert_eq!(alias.name, "old.Bytes");
/// // A structural schema has no name to replace: its fingerprint is the type's own.
/// assert_eq!(alias.fingerprint, <Vec<u8>>::FINGERPRINT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Alias {
    /// The former name.
    pub name: &'static str,
    /// The fingerprint of the type's shape under that name.
    pub fingerprint: u64,
}

impl Alias {
    /// The alias `name` of the type whose full schema is `schema`, with its direct children
    /// hashed as `nested` (see [`Schema::fingerprint_with`]).
    pub const fn of(name: &'static str, schema: &Schema, nested: &[u64]) -> Alias {
        Alias {
            name,
            fingerprint: schema.fingerprint_as(name, nested),
        }
    }
}
