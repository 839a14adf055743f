//! Schemas: what the values of a type look like in each backend, as the derive and the
//! built-in handlers describe them.
//!
//! Every [`KimeraHandler`](crate::KimeraHandler) has a [`Schema`] (`T::SCHEMA`, or
//! [`schema_of::<T>()`](schema_of)), from which its fingerprint is computed and its schema
//! [`document`] is built: the canonical form that travels with data and is kept in a schema
//! history file. [`guide::schema`](crate::guide::schema) specifies both.
//!
//! ```
//! use kimera::schema::{schema_of, Fields, Shape};
//! use kimera::{Kimera, Schema};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Kimera)]
//! #[kimera(name = "shop.Line")]
//! struct Line { sku: String, qty: u32 }
//!
//! let Schema::Type(def) = schema_of::<Line>() else { unreachable!() };
//! assert_eq!(def.name, "shop.Line");
//! let Shape::Struct(Fields::Named(fields)) = def.shape else { unreachable!() };
//! assert_eq!(fields.iter().map(|f| f.name).collect::<Vec<_>>(), ["sku", "qty"]);
//! ```
//!
//! Hand-written handlers build these types too; [`format`](crate::format) has the rest of
//! what a handler or a format of your own needs.

pub use kimera_core::{document, fingerprint};
pub use kimera_core::{
    schema_of, Alias, DecodeBound, DisplayName, DisplayOrigins, EnumRepr, Field, FieldAttrs,
    Fields, Foreign, Schema, Shape, TypeDef, TypeRef, Variant,
};
