//! Kimera: typed, versioned, checksummed serialization for values that outlive a process.
//!
//! Derive [`Kimera`] next to serde's derives, pick a backend, and every encoded value travels in
//! a small typed envelope: a reader knows what it holds, and refuses what it was not meant to read
//! with an error that says what was expected, what was found and where.
//!
//! ```
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "shop.Order", version = 3)]
//! struct Order {
//!     id: u64,
//!     lines: Vec<Line>,
//! }
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! struct Line {
//!     sku: String,
//!     qty: u32,
//! }
//!
//! let order = Order { id: 7, lines: vec![Line { sku: "A-1".into(), qty: 2 }] };
//!
//! let text = kimera::json::to_string(&order)?;
//! assert_eq!(
//!     text,
//!     r#"{"kimera":1,"type":"shop.Order","version":3,"value":{"id":7,"lines":[{"sku":"A-1","qty":2}]}}"#
//! );
//! assert_eq!(kimera::json::from_str::<Order>(&text)?, order);
//!
//! // A reader that expects another type says so.
//! let err = kimera::json::from_str::<Line>(&text).unwrap_err();
//! assert_eq!(err.to_string(), "type mismatch: expected `Line`, found `shop.Order`");
//!
//! // Field paths in data errors.
//! let bad = r#"{"kimera":1,"type":"shop.Order","version":3,"value":{"id":7,"lines":[{"sku":"A-1","qty":-2}]}}"#;
//! let err = kimera::json::from_str::<Order>(bad).unwrap_err();
//! assert!(err.to_string().starts_with("invalid `shop.Order` v3 at `lines[0].qty`: invalid value"));
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # Backends
//!
//! | feature | module | format type | what it writes |
//! |---|---|---|---|
//! | `json` (default) | [`json`] | [`Json`] | one plain JSON object any language reads |
//! | `binary` | [`binary`] | [`Binary`] | compact bytes: bincode 2 body, CRC-32 checked |
//!
//! [`encode`] and [`decode`] are generic over the [`Format`]; [`from_slice`] detects which
//! enabled backend wrote a buffer. Both wire layouts are specified byte by byte in
//! [`guide::wire_format`].
//!
//! # Features
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `json` | yes | [`json`] and [`Json`]: plain JSON envelopes on serde_json; JSON without an envelope ([`json::from_plain_str`], [`json::from_plain_slice`], [`json::to_json_value`]); handlers for `serde_json::{Value, Map, Number}` (JSON only); with `registry`, the schema [`history`] and [`schema_history!`] |
//! | `binary` | no | [`binary`] and [`Binary`]: compact checksummed envelopes on bincode 2 (no serde_json in the tree) |
//! | `derive` | yes | [`#[derive(Kimera)]`](derive@Kimera) |
//! | `registry` | yes | the program-wide registries, collected before `main` with `inventory`: the [`registry`] of types ([`registry::decode_any`], [`registry::Dispatcher`], [`registry::check`], [`register!`]) and, with `json`, embedded schema histories ([`schema_history!`]). Off, derived types register nothing and `inventory` leaves the tree |
//! | `chrono` | yes | handlers for chrono's `NaiveDate`, `NaiveTime`, `NaiveDateTime`, `DateTime<Utc>`, `DateTime<FixedOffset>` and `TimeDelta`, and [`compact`], which writes them as integers |
//! | `tokio` | no | [`codec`]: tokio-util `Encoder`s and `Decoder`s for the frames of [`frame`] (adds `tokio-util` and `bytes`) |
//! | `rusqlite` | no | [`sqlite`]: values in SQLite BLOB and TEXT columns through rusqlite 0.40 (re-exported as `sqlite::rusqlite`), linked to the system's SQLite (implies `json` and `binary`) |
//! | `rusqlite-bundled` | no | `rusqlite`, with SQLite compiled in (rusqlite's `bundled`) |
//! | `pickle` | no | [`pickle`]: CPython's pickles, read without running code ([`pickle::from_slice`], [`pickle::Value::from_pickle`]) and written ([`pickle::to_vec`]) |
//! | `redis` | no | [`redis`](mod@redis): values in Redis through the redis crate 1.x (re-exported as `redis::redis`), envelopes of either backend, the Python library's JSON and pickles (implies `json`, `binary`, `python` and `pickle`) |
//! | `python` | no | [`python`]: the Python Kimera library's wire format, typed ([`python::to_string`], [`python::from_str`]) and dynamic ([`python::Value`]) |
//! | `snapshot` | no | [`snapshot`]: [`SnapshotStore`](snapshot::SnapshotStore), crash-safe, checksummed snapshots in a directory (implies `binary`; adds `fs4` for the lock file) |
//! | `uuid` | no | a handler for `uuid::Uuid` (text in JSON, 16 bytes in binary) |
//! | `url` | no | a handler for `url::Url` |
//! | `rust_decimal` | no | a handler for `rust_decimal::Decimal`, as exact text (turns on rust_decimal's `serde-str`) |
//! | `time` | no | handlers for the `time` crate's `Date`, `Time`, `PrimitiveDateTime`, `OffsetDateTime` and `Duration` (text in JSON, numbers in binary; turns on time's `serde-human-readable`) |
//! | `bytes` | no | handlers for `bytes::{Bytes, BytesMut}` |
//! | `serde_bytes` | no | handlers for `serde_bytes::{ByteBuf, Bytes, ByteArray<N>}` |
//! | `indexmap` | no | handlers for `indexmap::{IndexMap, IndexSet}` |
//!
//! Features are additive. Every handled type, and the exact shape each backend gets for it, is
//! listed in [`guide::schema`](guide::schema#foreign-types-what-each-backend-gets).
//!
//! # Handlers
//!
//! [`KimeraHandler`] gives a type its identity: name, version, [`Schema`] and fingerprint. The
//! standard type families have built-in handlers (see [`handlers`]), so any of them can be a
//! top-level value, and derived handlers compose the way the fields do.
//!
//! # Beyond one value
//!
//! - Versions: `#[kimera(previous = OrderV2)]` reads values of older versions through a chain of
//!   migrations, and `#[kimera(alias = "...")]` values written under a former name (see
//!   [`derive@Kimera`] and [`guide::versioning`]).
//! - [`registry`]: decode a value whose type only its envelope says ([`registry::decode_any`]),
//!   or route values to typed handlers ([`registry::Dispatcher`]).
//! - [`diff`]: what changed between two values, with JSON Pointer paths and an RFC
//!   6902 patch.
//! - [`frame`]: envelopes over `Read`/`Write` streams with length prefixes; `codec` (feature
//!   `tokio`): the same frames for tokio's `Framed`.
//! - `snapshot` (feature `snapshot`): crash-safe, checksummed snapshots in a directory.
//! - `sqlite` (feature `rusqlite`): values in SQLite BLOB and TEXT columns.
//! - `pickle` (feature `pickle`): CPython's pickle format, read safely and written.
//! - `redis` (feature `redis`): values in Redis, shared with Python services.
//! - `python` (feature `python`): the wire format of the Python Kimera library.
//!
//! # Guides
//!
//! The specifications and guides of the repository's `docs/` folder are the modules of
//! [`guide`]: [`guide::versioning`] (changing types, migrations, the registry),
//! [`guide::wire_format`], [`guide::schema`], [`guide::performance`] and
//! [`guide::dependencies`].
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use kimera_core::Header;
use serde::{Deserialize, Serialize};

pub use kimera_core::{
    handlers, Error, ErrorKind, Format, KimeraHandler, Limit, Limits, Result, Schema,
};

#[cfg(feature = "binary")]
#[cfg_attr(docsrs, doc(cfg(feature = "binary")))]
pub use kimera_binary::Binary;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use kimera_json::Json;

#[cfg(feature = "binary")]
#[cfg_attr(docsrs, doc(cfg(feature = "binary")))]
pub mod binary;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod codec;
#[cfg(feature = "chrono")]
#[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
pub mod compact;
#[cfg(feature = "derive")]
mod derive;
pub mod diff;
pub mod format;
pub mod frame;
#[cfg(all(feature = "json", feature = "registry"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "json", feature = "registry"))))]
pub mod history;
#[cfg(all(feature = "json", feature = "binary"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "json", feature = "binary"))))]
pub mod inspect;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub mod json;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub mod json_schema;
#[cfg(feature = "pickle")]
#[cfg_attr(docsrs, doc(cfg(feature = "pickle")))]
#[doc(inline)]
pub use kimera_pickle as pickle;
#[cfg(feature = "python")]
#[cfg_attr(docsrs, doc(cfg(feature = "python")))]
#[doc(inline)]
pub use kimera_python as python;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
#[cfg(feature = "registry")]
#[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
pub mod registry;
pub mod schema;
#[cfg(feature = "snapshot")]
#[cfg_attr(docsrs, doc(cfg(feature = "snapshot")))]
#[doc(inline)]
pub use kimera_snapshot as snapshot;
#[cfg(feature = "rusqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "rusqlite")))]
pub mod sqlite;

#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use derive::Kimera;

/// Encodes `value` in the format `F` with its default options.
///
/// ```
/// use kimera::{Json, KimeraHandler};
///
/// let bytes = kimera::encode::<Json, _>(&[1u8, 2, 3])?;
/// let back: [u8; 3] = kimera::decode::<Json, _>(&bytes)?;
/// assert_eq!(back, [1, 2, 3]);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as `F`'s encoder can: [`ErrorKind::Encode`], with the field path, for a
/// value the format cannot write exactly (see [`json::to_vec`] and [`binary::to_vec`]).
pub fn encode<F: Format, T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    F::default().encode(value)
}

/// Decodes a `T` from an envelope of the format `F`, with its default options.
///
/// ```
/// use kimera::Json;
///
/// let bytes = kimera::encode::<Json, _>("hi")?;
/// assert_eq!(kimera::decode::<Json, String>(&bytes)?, "hi");
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as `F`'s decoder can (see [`json::from_slice`] and
/// [`binary::from_slice`]): if `bytes` are not one whole envelope of `F`
/// ([`ErrorKind::NotAnEnvelope`], [`ErrorKind::Truncated`], ...), hold another type or a version or
/// shape of `T` this reader cannot read ([`ErrorKind::TypeMismatch`], [`ErrorKind::NewerVersion`],
/// ...), are damaged ([`ErrorKind::ChecksumMismatch`]), do not hold a valid `T`
/// ([`ErrorKind::Data`]), or exceed the default [`Limits`] ([`ErrorKind::LimitExceeded`]).
pub fn decode<'de, F: Format, T: KimeraHandler + Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    F::default().decode(bytes)
}

/// Decodes a `T` from an envelope of any enabled backend, detected from its first bytes.
///
/// A binary envelope starts with the magic bytes `4B E5`, a JSON envelope with `{`. Each is
/// read with its format's default options: a binary envelope must carry its checksum (read one
/// written `without_checksum` with `Binary::new().without_checksum()`). A type the binary
/// backend cannot carry (one holding a `serde_json::Value`, say) compiles here, since the
/// bytes may be JSON, and a binary envelope of it is refused with a named error.
///
/// ```
/// let from_json: Vec<u8> = kimera::from_slice(&kimera::json::to_vec(&vec![1u8])?)?;
/// assert_eq!(from_json, [1]);
/// assert!(kimera::from_slice::<u8>(b"not an envelope").is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail with [`ErrorKind::NotAnEnvelope`] if `bytes` start like no enabled
/// backend's envelope (the message names the feature to turn on when they start like a disabled
/// backend's), and otherwise as that backend's `from_slice` can ([`json::from_slice`],
/// [`binary::from_slice`]); a binary envelope of a type the binary backend cannot carry is
/// [`ErrorKind::Unsupported`].
pub fn from_slice<'de, T: KimeraHandler + Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    Backend::of(bytes)?.decode(bytes)
}

/// The header of the envelope `bytes` hold, of whichever enabled backend wrote it (detected as
/// [`from_slice`] detects it), without decoding the value; a damaged envelope is an error (a
/// binary checksum is verified). For tools and logs: the type and version a buffer holds.
///
/// ```
/// let bytes = kimera::binary::to_vec(&("a", 1u8))?;
/// let header = kimera::read_header(&bytes)?;
/// assert_eq!((&*header.type_name, header.version), ("tuple<str,u8>", 1));
/// assert!(header.fingerprint.is_some());
///
/// let json = kimera::json::to_vec(&1u8)?;
/// assert_eq!(kimera::read_header(&json)?.type_name, "u8");
/// assert!(kimera::read_header(b"not an envelope").is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This can fail with [`ErrorKind::NotAnEnvelope`] if `bytes` start like no enabled backend's
/// envelope or their header is malformed, and with the backend's error for an incomplete or damaged
/// envelope ([`ErrorKind::Truncated`], [`ErrorKind::TrailingBytes`],
/// [`ErrorKind::UnsupportedWireVersion`], [`ErrorKind::ChecksumMismatch`],
/// [`ErrorKind::ChecksumMissing`], [`ErrorKind::LimitExceeded`]). The header is not checked against
/// any type.
pub fn read_header(bytes: &[u8]) -> Result<Header<'_>> {
    sniff_header(bytes, true).map(|(_, header)| header)
}

/// The backend that wrote `bytes`, and the header of its envelope, detected as [`from_slice`]
/// does. See [`Backend::header`] for `verify`.
fn sniff_header(bytes: &[u8], verify: bool) -> Result<(Backend, Header<'_>)> {
    let backend = Backend::of(bytes)?;
    Ok((backend, backend.header(bytes, verify)?))
}

/// The enabled backend whose envelope `bytes` start like.
#[derive(Clone, Copy)]
enum Backend {
    #[cfg(feature = "binary")]
    Binary,
    #[cfg(feature = "json")]
    Json,
}

#[cfg_attr(
    not(any(feature = "json", feature = "binary")),
    allow(unused_variables)
)]
impl Backend {
    fn of(bytes: &[u8]) -> Result<Backend> {
        #[cfg(feature = "binary")]
        if Binary::sniff(bytes) {
            return Ok(Backend::Binary);
        }
        #[cfg(feature = "json")]
        if Json::sniff(bytes) {
            return Ok(Backend::Json);
        }
        Err(no_backend(bytes))
    }

    /// Decodes `bytes`, which start like this backend's envelope.
    fn decode<'de, T: KimeraHandler + Deserialize<'de>>(self, bytes: &'de [u8]) -> Result<T> {
        match self {
            // Run-time check: a type the binary backend cannot carry may still come in as JSON.
            #[cfg(feature = "binary")]
            Backend::Binary => Binary::new().decode_checked_at_run_time(bytes),
            #[cfg(feature = "json")]
            Backend::Json => Json::new().decode(bytes),
        }
    }

    /// The header of the envelope `bytes` hold. Without `verify`, only the header is read (a
    /// binary checksum is not computed, a JSON value not parsed): for choosing the type an
    /// envelope is decoded as, when that decode checks the rest. A caller that reports
    /// something from the header without decoding verifies it first, so that a damaged
    /// envelope is named as damaged.
    fn header(self, bytes: &[u8], verify: bool) -> Result<Header<'_>> {
        match self {
            #[cfg(feature = "binary")]
            Backend::Binary if verify => Binary::new().header(bytes),
            #[cfg(feature = "binary")]
            Backend::Binary => Binary::new().peek_header(bytes),
            #[cfg(feature = "json")]
            Backend::Json if verify => Json::new().header(bytes),
            #[cfg(feature = "json")]
            Backend::Json => Json::new().peek_header(bytes),
        }
    }
}

/// The first bytes of a binary envelope (`kimera_binary::MAGIC`), known without the backend so
/// that a build without it can say what it was given.
const BINARY_MAGIC: [u8; 2] = [0x4B, 0xE5];

fn no_backend(bytes: &[u8]) -> Error {
    let json_like = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let disabled = match () {
        () if cfg!(not(feature = "binary")) && bytes.starts_with(&BINARY_MAGIC) => Some("binary"),
        () if cfg!(not(feature = "json")) && json_like => Some("json"),
        () => None,
    };
    let reason = match disabled {
        Some(backend) => format!(
            "the input looks like a {backend} envelope, and this build has no {backend} \
             backend: enable kimera's `{backend}` feature"
        ),
        None => {
            let enabled: &[&str] = &[
                #[cfg(feature = "json")]
                "json",
                #[cfg(feature = "binary")]
                "binary",
            ];
            let enabled = match enabled {
                [] => "none".to_owned(),
                _ => enabled.join(", "),
            };
            format!("the input starts like no enabled backend's envelope (enabled: {enabled})")
        }
    };
    ErrorKind::NotAnEnvelope {
        format: "kimera",
        reason,
    }
    .into()
}

/// Registers generic types, one instantiation each, with the [`registry`]: the derive
/// registers every type without generic parameters by itself.
///
/// ```
/// use kimera::Kimera;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
/// #[kimera(name = "docs.Page")]
/// struct Page<T> { items: Vec<T> }
///
/// kimera::register!(Page<u32>, Page<String>);
///
/// let bytes = kimera::json::to_vec(&Page { items: vec![1u32, 2] })?;
/// let any = kimera::registry::decode_any(&bytes)?;
/// assert_eq!(any.type_name(), "docs.Page<u32>");
/// assert_eq!(any.downcast::<Page<u32>>().unwrap().items, [1, 2]);
/// # Ok::<(), kimera::Error>(())
/// ```
#[cfg(feature = "registry")]
#[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
#[macro_export]
macro_rules! register {
    ($($ty:ty),+ $(,)?) => {$(
        $crate::__private::register!(::core::option::Option::None; $ty);
    )+};
}

/// Registers `$ty`, which migrates from the link `$previous` names (an
/// `Option<__private::Previous>`): [`register!`] and the derive expand to this.
#[cfg(feature = "registry")]
#[doc(hidden)]
#[macro_export]
macro_rules! __register {
    ($previous:expr; $ty:ty) => {
        const _: () = {
            fn registration() -> $crate::registry::RegisteredType {
                #[allow(unused_imports)]
                use $crate::__private::{Decodable as _, ListedOnly as _};
                (&&<$crate::__private::Probe<$ty> as ::core::default::Default>::default())
                    .registered($previous)
            }
            $crate::__private::inventory::submit! {
                $crate::__private::Registration(registration)
            }
        };
    };
}

/// Without the registry, the derive registers nothing.
#[cfg(not(feature = "registry"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __register {
    ($previous:expr; $ty:ty) => {};
}

/// Support for `#[derive(Kimera)]`; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__register as register;
    #[cfg(feature = "registry")]
    pub use inventory;
    pub use kimera_core::__private::{
        describes_otherwise, first_incompatibility, names_one_of, no_migration, schema_of, upgrade,
        with_fallback, with_fingerprint, with_incompatibility, with_reference, HandlerProbe,
        NoHandler, Older,
    };

    #[cfg(feature = "registry")]
    pub use crate::registry::register::{Decodable, ListedOnly, Previous, Probe, Registration};
    pub use kimera_core::{
        Alias, DecodeBound, EnumRepr, Field, FieldAttrs, Fields, KimeraHandler, Result, Schema,
        Shape, TypeDef, TypeRef, Variant,
    };
}

pub mod guide;

#[cfg(all(test, feature = "binary"))]
mod tests {
    #[test]
    fn the_magic_known_without_the_backend_is_the_backends() {
        assert_eq!(super::BINARY_MAGIC, kimera_binary::MAGIC);
    }
}
