//! Documentation of `#[derive(Kimera)]`.

/// Derives [`KimeraHandler`](crate::KimeraHandler) for a struct or enum that also derives serde's
/// `Serialize` and `Deserialize`.
///
/// ```
/// use kimera::{Kimera, KimeraHandler};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Kimera)]
/// #[kimera(name = "shop.Order", version = 3)]
/// struct Order {
///     id: u64,
///     #[serde(rename = "lines")]
///     items: Vec<String>,
/// }
///
/// assert_eq!(Order::type_name(), "shop.Order");
/// assert_eq!(Order::VERSION, 3);
/// assert_eq!(
///     Order::SCHEMA.to_string(),
///     "shop.Order@3 struct { id: u64, lines: list<str> }"
/// );
/// ```
///
/// # Container attributes
///
/// - `#[kimera(name = "shop.Order")]`: the name envelopes carry (default: the type's identifier).
///   ASCII letters, digits and `. _ - : /`.
/// - `#[kimera(version = 3)]`: the schema version (default 1). Bump it whenever the shape changes:
///   the binary backend refuses bytes whose fingerprint differs from the reader's for the same
///   version.
/// - `#[kimera(previous = OrderV2)]`: the type of the version before this one, a frozen copy of
///   its shape with the same name (or an alias) and a smaller version. `Self` must implement
///   `From<OrderV2>` or `TryFrom<OrderV2>` (whose error becomes [`ErrorKind::Migration`](crate::ErrorKind::Migration)).
///   Values written by any older version are decoded by the link of the chain with that version
///   (checking its fingerprint, in binary) and upgraded step by step; the current version's
///   path is unchanged. A link that is not older or has another name is a compile error.
///   Types without generic parameters only. See
///   [`guide::versioning`](crate::guide::versioning).
///
///   ```
///   # use kimera::Kimera;
///   # use serde::{Deserialize, Serialize};
///   #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
///   #[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
///   struct Order { id: u64, lines: Vec<String> }
///
///   #[derive(Serialize, Deserialize, Kimera)]
///   #[kimera(name = "shop.Order")]
///   struct OrderV1 { id: u64, item: String }
///
///   impl From<OrderV1> for Order {
///       fn from(v1: OrderV1) -> Self {
///           Order { id: v1.id, lines: vec![v1.item] }
///       }
///   }
///
///   let old = kimera::json::to_string(&OrderV1 { id: 1, item: "pen".into() })?;
///   let order: Order = kimera::json::from_str(&old)?;
///   assert_eq!(order, Order { id: 1, lines: vec!["pen".into()] });
///   # Ok::<(), kimera::Error>(())
///   ```
/// - `#[kimera(alias = "old.Name")]` (repeatable): a former name whose values this type still
///   reads. Values are written under the current name only.
/// - `#[kimera(register = false)]`: keeps the type out of the
///   [registry](crate::registry) and out of the crate's duplicate-name check (types without
///   generic parameters are registered, and explicit names and aliases claimed, by default). For
///   test doubles of another program's types, which share their names.
/// - `#[kimera(bound = "T: Trait, T::Key: kimera::KimeraHandler")]`: the impl's
///   where-predicates, replacing the inferred ones. By default each type parameter that a
///   written field names gets `KimeraHandler`; parameters only in `PhantomData` or in skipped
///   fields write nothing, so they need no handler and are not part of the type's name
///   (`Id<User>` is named `Id`). An associated type (`T::Key`) needs this attribute.
///
///   ```
///   use kimera::{Kimera, KimeraHandler};
///   use serde::{Deserialize, Serialize};
///   use std::marker::PhantomData;
///
///   struct User; // no handler, no serde
///
///   #[derive(Serialize, Deserialize, Kimera)]
///   #[kimera(register = false)]
///   struct Id<T> { raw: u64, #[serde(skip)] of: PhantomData<fn() -> T> }
///
///   assert_eq!(<Id<User>>::type_name(), "Id");
///   ```
/// - `#[kimera(crate = "path::to::kimera")]`: where the `kimera` crate is, if renamed.
///
/// # Field attributes
///
/// Most field types need no attribute: std's and the enabled features' foreign types have
/// handlers (see [`handlers`](crate::handlers)), whose schemas say what serde writes in each
/// backend.
///
/// - `#[kimera(with = T)]`: describe the field as the handled type `T`. Your promise that serde
///   writes the field exactly as it writes a `T`, **in every backend** (many serde impls write
///   text in JSON and something else in bincode); Kimera cannot check it. Typically next to a
///   `#[serde(with = "...")]` module of your own:
///
///   ```
///   # use kimera::Kimera;
///   # use serde::{Deserialize, Serialize};
///   #[derive(Serialize, Deserialize, Kimera)]
///   struct Meter {
///       // as_text writes the reading as a string, in every format.
///       #[serde(with = "as_text")]
///       #[kimera(with = String)]
///       reading: u64,
///   }
///   # mod as_text {
///   #     use serde::{Deserialize, Deserializer, Serializer};
///   #     pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> { s.collect_str(n) }
///   #     pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
///   #         String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
///   #     }
///   # }
///   let bytes = kimera::binary::to_vec(&Meter { reading: 42 })?;
///   # Ok::<(), kimera::Error>(())
///   ```
///
///   On a field whose type has a handler and no `#[serde(with)]`, `with` is a compile error:
///   the handler already says what serde writes (`#[kimera(with = String)]` on an `IpAddr`
///   would describe bytes bincode never writes). Field types that name the type's generic
///   parameters or lifetimes are not checked (the check runs outside the impl).
/// - `#[kimera(opaque)]` or `#[kimera(opaque = "name")]`: the field's shape is unknown to
///   Kimera; the schema records `opaque` (or the name given), never the type's path, so renaming
///   an import changes nothing. **JSON only**: a type holding an opaque field is a compile error
///   with the binary backend, naming the field and the fixes, since bincode's bytes cannot be
///   read back without their shape.
/// - `#[serde(with = "module")]` with no kimera attribute: if the module describes what it writes
///   (as `kimera::compact` does), the field has that schema, however the module's path is
///   spelled (`use kimera::compact as kc; #[serde(with = "kc")]` is the same field). Any other
///   module, and `serialize_with`/`deserialize_with` functions, make the field opaque.
/// - `#[kimera(recursive)]`: the field's type refers back to this one. It is left out of the
///   compile-time binary check and enters the fingerprint by name and version only, since its
///   full constants would contain themselves. Fields whose type names the type itself
///   (`Box<Self>`, `Vec<Tree>`) are treated so automatically; mutually recursive types need the
///   attribute on one side, or the compiler reports a cycle.
///
/// # Serde attributes
///
/// The schema follows serde: `rename`, `rename_all`, `skip`, `default`, `tag`, `content`,
/// `untagged`, `flatten`, `transparent`, `into` and `with` are read the way serde reads them.
/// Attributes that need a self-describing format (`untagged`, internally and adjacently tagged
/// enums, `tag` on a struct, `flatten`, `skip_serializing_if`, a field skipped only one way, a
/// skipped variant followed by a readable one) make the type a compile error with the binary
/// backend, naming the attribute; JSON keeps working.
///
/// # Generics
///
/// Every type parameter must have a handler, and the type's name and fingerprint include them:
/// `Page<i32>` and `Page<String>` are different types on the wire.
pub use kimera_derive::Kimera;
