//! The registry of handled types: decode a value whose type you learn only from its envelope.
//!
//! Every type that derives [`Kimera`](crate::Kimera) and has no generic parameters registers
//! itself at compile time; a generic type is registered per instantiation with
//! [`register!`](crate::register). A consumer of a queue then decodes whatever arrives:
//!
//! ```
//! use kimera::registry::{self, Dispatcher};
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "shop.Ping")]
//! struct Ping { seq: u32 }
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "shop.Note")]
//! struct Note { text: String }
//!
//! let bytes = kimera::binary::to_vec(&Ping { seq: 7 })?;
//!
//! // A value of any registered type, downcast when you know what it is...
//! let any = registry::decode_any(&bytes)?;
//! assert_eq!(any.type_name(), "shop.Ping");
//! assert!(any.is::<Ping>());
//! assert_eq!(any.downcast::<Ping>().ok(), Some(Ping { seq: 7 }));
//!
//! // ...or routed to a handler per type.
//! let mut dispatcher = Dispatcher::new()
//!     .on(|ping: Ping| format!("ping {}", ping.seq))
//!     .on(|note: Note| format!("note {}", note.text));
//! assert_eq!(dispatcher.dispatch(&bytes)?, "ping 7");
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # Why `inventory`
//!
//! Registration uses the [`inventory`](https://docs.rs/inventory) crate: each derive submits a
//! small static that is collected before `main`, from any crate linked into the program. The
//! alternative, `linkme`, gathers entries into one linker section, which needs a
//! `#[distributed_slice]` declared upstream and is not supported on every target (notably
//! WebAssembly); `inventory` works on the platforms Rust services run on, needs nothing
//! declared by the user, and costs one pointer push per type at start-up.
//!
//! # Names, versions and conflicts
//!
//! A name (or an alias) may be claimed by several types only when they are versions of one
//! type: the one with the highest version reads the name, and the others must be links of its
//! migration chain (`#[kimera(previous = ...)]`). Anything else is a conflict:
//! [`check`] lists them all, so a service can refuse to start with a clear message, and
//! decoding an ambiguous name is [`LookupError::AmbiguousType`]. Within one crate, the derive
//! already refuses two types with the same explicit name and version at compile time. Types
//! with default names in different modules (`api::Event`, `db::Event`) are no conflict:
//! envelopes carry their origins, and the registry picks by origin.

mod any;
mod dispatch;
mod error;
pub(crate) mod register;

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use kimera_core::envelope::quoted_name;
use kimera_core::{KimeraHandler, Result, Schema};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Backend;

pub use any::{AnyFormat, AnyValue};
pub use dispatch::Dispatcher;
pub use error::{Conflict, Conflicts, LookupError};
use register::{Previous, Registration};

/// A registered type: its identity, as [`types`] lists it.
pub struct RegisteredType {
    name: String,
    version: u32,
    fingerprint: u64,
    schema: &'static Schema,
    reference: &'static Schema,
    binary: bool,
    aliases: Vec<String>,
    rust_type: &'static str,
    type_id: TypeId,
    /// The origins of the default-named types in its name (`Schema::origin_hash`).
    origin: Option<u32>,
    previous: Option<Previous>,
    decoder: Option<Decoder>,
}

impl RegisteredType {
    /// The type's Kimera name (`shop.Order`, `Page<i32>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its current version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Its schema fingerprint, as binary envelopes carry it.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Its full schema.
    pub fn schema(&self) -> &'static Schema {
        self.schema
    }

    /// How it appears inside other schemas and names its envelopes
    /// ([`KimeraHandler::REFERENCE`]).
    pub fn reference(&self) -> &'static Schema {
        self.reference
    }

    /// Whether the binary backend carries it ([`KimeraHandler::BINARY_INCOMPATIBILITY`] is
    /// `None`).
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// The other names it reads (`#[kimera(alias = ...)]`), spelled as envelopes carry them.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.aliases.iter().map(String::as_str)
    }

    /// The Rust type (`std::any::type_name`), for people: not stable across compilers.
    pub fn rust_type(&self) -> &'static str {
        self.rust_type
    }

    /// The version of the type it migrates from (`#[kimera(previous = ...)]`), if any.
    pub fn previous_version(&self) -> Option<u32> {
        self.previous.map(|p| p.version)
    }

    /// Whether [`decode_any`] can decode it (it is `Serialize + DeserializeOwned + Send +
    /// 'static`).
    pub fn is_decodable(&self) -> bool {
        self.decoder.is_some()
    }

    /// The names envelopes of this type may carry: its own, then its aliases.
    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name()).chain(self.aliases())
    }

    fn of<T: KimeraHandler + ?Sized + 'static>(
        previous: Option<Previous>,
        decoder: Option<Decoder>,
    ) -> Self {
        let mut names = envelope_names::<T>().into_iter();
        let name = names.next().unwrap_or_default();
        RegisteredType {
            version: T::VERSION,
            fingerprint: T::FINGERPRINT,
            schema: T::SCHEMA,
            reference: T::REFERENCE,
            binary: T::BINARY_INCOMPATIBILITY.is_none(),
            name,
            aliases: names.collect(),
            rust_type: std::any::type_name::<T>(),
            type_id: TypeId::of::<T>(),
            origin: T::REFERENCE.origin_hash(),
            previous,
            decoder,
        }
    }

    fn label(&self) -> String {
        format!("{} v{} ({})", self.name, self.version, self.rust_type)
    }
}

impl fmt::Debug for RegisteredType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredType")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("fingerprint", &format_args!("{:016x}", self.fingerprint))
            .field("aliases", &self.aliases)
            .field("rust_type", &self.rust_type)
            .field("previous_version", &self.previous_version())
            .field("decodable", &self.is_decodable())
            .finish()
    }
}

/// The names envelopes of `T` may carry: its own first, then its aliases, each replacing the
/// base name (`old.Page<i32>` for `Page<i32>` aliased `old.Page`).
fn envelope_names<T: KimeraHandler + ?Sized>() -> Vec<String> {
    let name = T::type_name();
    let args = match T::REFERENCE {
        Schema::Named(r) => name.get(r.name.len()..).unwrap_or_default(),
        _ => "",
    };
    let aliases = T::ALIASES
        .iter()
        .map(|alias| format!("{}{args}", alias.name));
    std::iter::once(name.to_string()).chain(aliases).collect()
}

/// A decoded value of a type known at run time.
type Boxed = Box<dyn Any + Send>;

/// How the registry decodes one type: monomorphized functions behind pointers.
struct Decoder {
    decode: fn(Backend, &[u8]) -> Result<Boxed>,
    encode: fn(&(dyn Any + Send), any::Options) -> Result<Vec<u8>>,
    #[cfg(feature = "json")]
    to_json_value: fn(&(dyn Any + Send)) -> Result<serde_json::Value>,
}

impl Decoder {
    fn of<T: KimeraHandler + Serialize + DeserializeOwned + Send + 'static>() -> Self {
        Decoder {
            decode: |backend, bytes| Ok(Box::new(backend.decode::<T>(bytes)?)),
            encode: |value, options| options.encode(registered::<T>(value)?),
            #[cfg(feature = "json")]
            to_json_value: |value| kimera_json::to_json_value(registered::<T>(value)?),
        }
    }
}

/// `value` as the `T` it was decoded as.
fn registered<T: KimeraHandler + 'static>(value: &(dyn Any + Send)) -> Result<&T> {
    value.downcast_ref::<T>().ok_or_else(|| {
        kimera_core::envelope::encode_error::<T>(".", "the value is not of its registered type")
            .into()
    })
}

/// Every registered type, sorted by name then version.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
/// #[kimera(name = "docs.Listed", version = 2)]
/// struct Listed { id: u8 }
///
/// let listed = kimera::registry::types()
///     .find(|t| t.name() == "docs.Listed")
///     .expect("registered by the derive");
/// assert_eq!(listed.version(), 2);
/// assert!(listed.is_decodable());
/// ```
pub fn types() -> impl Iterator<Item = &'static RegisteredType> {
    registry().types.iter()
}

/// Checks that no two registered types claim one name (or alias), except versions of one type
/// linked by `previous`: call it at start-up to fail fast.
///
/// # Errors
///
/// [`Conflicts`], naming each name claimed twice and the types claiming it; it converts into
/// [`kimera::Error`](crate::Error) with `?`.
///
/// ```
/// kimera::registry::check().expect("no two types claim one name");
///
/// // Or with `?`, in a function returning `kimera::Result`.
/// fn start() -> kimera::Result<()> {
///     kimera::registry::check()?;
///     Ok(())
/// }
/// start()?;
/// # Ok::<(), kimera::Error>(())
/// ```
pub fn check() -> std::result::Result<(), Conflicts> {
    let conflicts: Vec<Conflict> = registry()
        .by_name
        .iter()
        .filter(|(_, claim)| claim.conflict)
        .map(|(name, claim)| Conflict {
            name: name.clone(),
            claimants: claim.claimants.iter().map(|t| t.label()).collect(),
        })
        .collect();
    match conflicts.is_empty() {
        true => Ok(()),
        false => Err(Conflicts(conflicts)),
    }
}

/// Decodes a value of any registered type from an envelope of any enabled backend, migrating
/// an older version to the current one first.
///
/// # Errors
///
/// An unknown name is [`LookupError::UnknownType`], listing the registered names; a name
/// several types claim [`LookupError::AmbiguousType`]; and the envelope's own errors.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
/// #[kimera(name = "docs.Temperature")]
/// struct Temperature { celsius: f64 }
///
/// let bytes = kimera::json::to_vec(&Temperature { celsius: 21.5 })?;
/// let any = kimera::registry::decode_any(&bytes)?;
/// assert_eq!((any.type_name(), any.version()), ("docs.Temperature", 1));
/// let t: Temperature = any.downcast().expect("a Temperature");
/// assert_eq!(t.celsius, 21.5);
///
/// let unknown = kimera::json::to_vec(&(1u8, 2u8))?;
/// assert!(kimera::registry::decode_any(&unknown).is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
pub fn decode_any(bytes: &[u8]) -> Result<AnyValue> {
    // The type's decode verifies the checksum: it is computed once. Where no type decodes
    // it, a damaged envelope is named as such, not by its type name.
    let (backend, header) = crate::sniff_header(bytes, false)?;
    let ty = match lookup(&header.type_name, header.origin) {
        Ok(ty) => ty,
        Err(err) => {
            backend.header(bytes, true)?;
            return Err(err);
        }
    };
    let decoder = ty
        .decoder
        .as_ref()
        .ok_or_else(|| LookupError::NotDecodable {
            type_name: ty.name().to_owned(),
            rust_type: ty.rust_type,
        })?;
    let value = (decoder.decode)(backend, bytes)?;
    Ok(AnyValue::new(value, ty, header.version))
}

/// The registered type that reads envelopes named `name` carrying `origin`: the one type
/// claiming it, or, among types with default names that share it, the one from that origin.
fn lookup(name: &str, origin: Option<u32>) -> Result<&'static RegisteredType> {
    let registry = registry();
    let Some(claim) = registry.by_name.get(name) else {
        return Err(LookupError::UnknownType {
            found: quoted_name(name),
            known: registry.by_name.keys().cloned().collect(),
        }
        .into());
    };
    let from_origin = || {
        let origin = origin?;
        let (_, ty) = claim.by_origin.iter().find(|(o, _)| *o == origin)?;
        Some(*ty)
    };
    claim.reader.or_else(from_origin).ok_or_else(|| {
        LookupError::AmbiguousType {
            type_name: quoted_name(name),
            claimants: claim.claimants.iter().map(|t| t.label()).collect(),
        }
        .into()
    })
}

/// The types claiming one name, and which of them reads envelopes carrying it: resolved once,
/// when the registry is built, rather than per decode.
struct Claim {
    /// Highest version first.
    claimants: Vec<&'static RegisteredType>,
    /// The type reading every envelope of the name: the newest, if the claimants are versions
    /// of one type.
    reader: Option<&'static RegisteredType>,
    /// Else, per origin whose claimants are versions of one type, the type reading envelopes
    /// from that origin.
    by_origin: Vec<(u32, &'static RegisteredType)>,
    /// Whether [`check`] reports the name: envelopes cannot say which claimant wrote them.
    conflict: bool,
}

impl Claim {
    fn new(
        name: &str,
        mut claimants: Vec<&'static RegisteredType>,
        by_id: &HashMap<TypeId, &'static RegisteredType>,
    ) -> Self {
        claimants.sort_by_key(|t| std::cmp::Reverse(t.version));
        let reader = resolve_claim(&claimants, by_id);
        let groups: Vec<_> = by_origin(&claimants)
            .iter()
            .map(|group| (group[0].origin, resolve_claim(group, by_id)))
            .collect();
        // Types with default names that differ in origin are told apart by envelopes; not
        // under an alias, whose envelopes carry a former writer's origin.
        let apart = claimants
            .iter()
            .all(|t| t.origin.is_some() && t.name() == name)
            && groups.iter().all(|(_, reader)| reader.is_some());
        Claim {
            conflict: reader.is_none() && !apart,
            reader,
            by_origin: groups
                .into_iter()
                .filter_map(|(origin, reader)| Some((origin?, reader?)))
                .collect(),
            claimants,
        }
    }
}

/// The type that reads a name claimed by `claimants` (sorted by version, highest first): the
/// newest, when it is the only one of its version and every other claimant is a link of its
/// migration chain; else none, all of them being in conflict.
fn resolve_claim(
    claimants: &[&'static RegisteredType],
    by_id: &HashMap<TypeId, &'static RegisteredType>,
) -> Option<&'static RegisteredType> {
    let head = claimants[0];
    if claimants
        .get(1)
        .is_some_and(|next| next.version == head.version)
    {
        return None;
    }
    // The chain, link by link through every registered type (a link may carry another name
    // than the head, such as the one before a rename); each link must be older than the last.
    let mut chain = HashSet::from([head.type_id]);
    let mut link = head;
    while let Some(previous) = link.previous {
        match by_id.get(&previous.type_id) {
            Some(&next) if next.version < link.version => {
                chain.insert(next.type_id);
                link = next;
            }
            _ => break,
        }
    }
    claimants
        .iter()
        .all(|t| chain.contains(&t.type_id))
        .then_some(head)
}

/// `claimants` grouped by origin, each group in the order given.
fn by_origin(claimants: &[&'static RegisteredType]) -> Vec<Vec<&'static RegisteredType>> {
    let mut origins: Vec<Option<u32>> = claimants.iter().map(|t| t.origin).collect();
    origins.sort_unstable();
    origins.dedup();
    origins
        .into_iter()
        .map(|origin| {
            claimants
                .iter()
                .copied()
                .filter(|t| t.origin == origin)
                .collect()
        })
        .collect()
}

struct Registry {
    /// Sorted by name, then version; each Rust type once.
    types: &'static [RegisteredType],
    /// Every name and alias, with the types claiming it.
    by_name: BTreeMap<String, Claim>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut types: Vec<RegisteredType> = inventory::iter::<Registration>
            .into_iter()
            .map(|registration| (registration.0)())
            .collect();
        types.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
        // `register!` of one instantiation in two crates registers it twice: one type.
        let mut seen = HashSet::new();
        types.retain(|t| seen.insert(t.type_id));
        // Built once and kept for the life of the program, like the statics it comes from.
        let types: &'static [RegisteredType] = Vec::leak(types);
        let by_id: HashMap<_, _> = types.iter().map(|t| (t.type_id, t)).collect();
        let mut claimants: BTreeMap<&str, Vec<&'static RegisteredType>> = BTreeMap::new();
        for ty in types {
            for name in ty.names() {
                claimants.entry(name).or_default().push(ty);
            }
        }
        let by_name = claimants
            .into_iter()
            .map(|(name, claimants)| (name.to_owned(), Claim::new(name, claimants, &by_id)))
            .collect();
        Registry { types, by_name }
    })
}
