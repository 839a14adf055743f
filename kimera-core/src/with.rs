//! What a field written by a `#[serde(with = "module")]` looks like, found from the module
//! itself rather than from how its path is spelled.
//!
//! `#[derive(Kimera)]` cannot resolve paths, so for such a field it writes
//!
//! ```text
//! { use __private::with_fallback::*; { use module::*; __KIMERA_WITH } }
//! ```
//!
//! An item of the inner block's glob shadows the outer block's: a module that describes its
//! output exports its own `__KIMERA_WITH` (as `kimera::compact` does) and gets it, any other
//! module gets the fallback's `UnknownWith`. Renaming the import (`use kimera::compact as kc`)
//! changes nothing, since the module is the same.

use crate::schema::Schema;
use crate::KimeraHandler;

/// The shape a `with` module writes for a field of type `T`.
pub trait WithModule<T: ?Sized> {
    /// Whether the module described its output (`false` for `UnknownWith`).
    const KNOWN: bool;
    /// The field's schema.
    const REFERENCE: &'static Schema;
    /// The field's fingerprint.
    const FINGERPRINT: u64;
    /// Why the field cannot go through bincode, if it cannot.
    const BINARY_INCOMPATIBILITY: Option<&'static str>;
}

/// A module that says nothing about its output: the field is opaque.
pub struct UnknownWith;

/// The schema of a field written by a module Kimera cannot see into.
pub const UNKNOWN_WITH: &Schema = &Schema::Opaque("with");

impl<T: ?Sized> WithModule<T> for UnknownWith {
    const KNOWN: bool = false;
    const REFERENCE: &'static Schema = UNKNOWN_WITH;
    const FINGERPRINT: u64 = UNKNOWN_WITH.fingerprint();
    const BINARY_INCOMPATIBILITY: Option<&'static str> = None;
}

/// Where the outer block of the probe finds `__KIMERA_WITH` when the module has none.
pub mod with_fallback {
    /// The fallback: an unknown module.
    pub const __KIMERA_WITH: super::UnknownWith = super::UnknownWith;
}

/// The schema of a field of type `T` written by the module that `W` stands for.
pub const fn with_reference<T: ?Sized, W: WithModule<T>>(_: &W) -> &'static Schema {
    W::REFERENCE
}

/// The fingerprint of such a field.
pub const fn with_fingerprint<T: ?Sized, W: WithModule<T>>(_: &W) -> u64 {
    W::FINGERPRINT
}

/// Why such a field cannot go through bincode: `unknown` when the module is unknown (its bytes
/// are not described, so they could not be read back).
pub const fn with_incompatibility<T: ?Sized, W: WithModule<T>>(
    _: &W,
    unknown: &'static str,
) -> Option<&'static str> {
    match W::KNOWN {
        true => W::BINARY_INCOMPATIBILITY,
        false => Some(unknown),
    }
}

/// Whether `T` has a built-in handler, one that no feature turns on, and its fingerprint:
/// `HandlerProbe::<T>::FINGERPRINT`, with `NoHandler` in scope.
///
/// The inherent constant applies when its bound holds; otherwise the trait's does. Used to
/// refuse `#[kimera(with = ...)]` and `#[kimera(opaque)]` on a field whose type has such a
/// handler. Handlers behind features are left out: a feature turned on by another crate of the
/// build must not break this one.
pub struct HandlerProbe<T: ?Sized>(core::marker::PhantomData<fn() -> *const T>);

impl<T: KimeraHandler + BuiltIn + ?Sized> HandlerProbe<T> {
    /// `T` has a built-in handler, with this fingerprint.
    pub const FINGERPRINT: Option<u64> = Some(T::FINGERPRINT);
}

/// Types whose handlers are always there (std's), for `HandlerProbe`.
pub trait BuiltIn {}

impl<T: BuiltIn> BuiltIn for Option<T> {}
impl<T: BuiltIn> BuiltIn for Vec<T> {}
impl<T: BuiltIn + ?Sized> BuiltIn for Box<T> {}

/// The fallback of `HandlerProbe`.
pub trait NoHandler {
    /// `T` has no built-in handler.
    const FINGERPRINT: Option<u64> = None;
}

/// Whether a field whose type's built-in handler has `handled` as its fingerprint (if it has
/// one) is described otherwise by an attribute whose schema has fingerprint `described` (`None`
/// for `opaque`).
pub const fn describes_otherwise(handled: Option<u64>, described: Option<u64>) -> bool {
    match (handled, described) {
        (Some(handled), Some(described)) => handled != described,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

impl<T: ?Sized> NoHandler for HandlerProbe<T> {}
