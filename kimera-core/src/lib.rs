//! The core of [Kimera](https://docs.rs/kimera): handlers, schemas and fingerprints, the
//! [`Format`] trait, envelope checks, errors and limits.
//!
//! Most users depend on the `kimera` facade instead, which re-exports what is here. Depend on
//! `kimera-core` directly to write a new [`Format`] or to implement [`KimeraHandler`] without
//! the rest.
//!
//! ```
//! use kimera::{KimeraHandler, Schema};
//!
//! assert_eq!(<Vec<Option<String>>>::type_name(), "list<option<str>>");
//! assert_eq!(<Vec<u8>>::SCHEMA, &Schema::List(&Schema::U8));
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "chrono")]
pub mod compact;
pub mod document;
pub mod envelope;
mod error;
pub mod fingerprint;
mod format;
mod handler;
pub mod handlers;
mod limits;
pub mod migration;
pub mod path;
mod schema;
pub mod value;
mod with;

pub use envelope::{Header, Reading};
pub use error::{Error, ErrorKind, Limit, Result};
pub use format::Format;
pub use handler::{Alias, KimeraHandler};
pub use limits::{DecodeBound, Guard, Guarded, GuardedSeed, Limits};
pub use schema::{
    schema_of, DisplayName, DisplayOrigins, EnumRepr, Field, FieldAttrs, Fields, Foreign, Schema,
    Shape, TypeDef, TypeRef, Variant,
};

/// Support for `#[derive(Kimera)]`; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::handlers::collections::first_incompatibility;
    pub use crate::migration::derive::names_one_of;
    pub use crate::migration::{no_migration, upgrade, Older};
    pub use crate::schema::schema_of;
    pub use crate::with::{
        describes_otherwise, with_fallback, with_fingerprint, with_incompatibility, with_reference,
        HandlerProbe, NoHandler, WithModule,
    };
    pub use crate::Alias;

    // The crates of the foreign types with handlers, for `kimera::inspect`, which converts
    // their values between the two backends' forms by the types themselves.
    #[cfg(feature = "chrono")]
    pub use chrono;
    #[cfg(feature = "rust_decimal")]
    pub use rust_decimal;
    #[cfg(feature = "time")]
    pub use time;
    #[cfg(feature = "url")]
    pub use url;
    #[cfg(feature = "uuid")]
    pub use uuid;
}
