//! What `#[derive(Kimera)]` and [`register!`](crate::register) submit: reachable from user code
//! only through `kimera::__private`.

use std::any::TypeId;

use kimera_core::KimeraHandler;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Decoder, RegisteredType};

/// The link a type migrates from (`#[kimera(previous = ...)]`), as the derive registers it.
#[derive(Clone, Copy, Debug)]
pub struct Previous {
    pub(super) version: u32,
    pub(super) type_id: TypeId,
}

impl Previous {
    /// The link `P`.
    pub fn of<P: KimeraHandler + 'static>() -> Self {
        Previous {
            version: P::VERSION,
            type_id: TypeId::of::<P>(),
        }
    }
}

/// One registration, submitted by the derive or [`register!`](crate::register).
pub struct Registration(pub fn() -> RegisteredType);

inventory::collect!(Registration);

/// Chooses, per type, whether the registry can decode it: autoref specialization, resolved at
/// the registration site where the type is concrete.
pub struct Probe<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Probe(std::marker::PhantomData)
    }
}

/// Picked for a type the registry can decode.
pub trait Decodable {
    /// The type's registration.
    fn registered(&self, previous: Option<Previous>) -> RegisteredType;
}

impl<T: KimeraHandler + Serialize + DeserializeOwned + Send + 'static> Decodable for &Probe<T> {
    fn registered(&self, previous: Option<Previous>) -> RegisteredType {
        RegisteredType::of::<T>(previous, Some(Decoder::of::<T>()))
    }
}

/// Picked for any other type: listed, not decodable.
pub trait ListedOnly {
    /// The type's registration.
    fn registered(&self, previous: Option<Previous>) -> RegisteredType;
}

impl<T: KimeraHandler + ?Sized + 'static> ListedOnly for Probe<T> {
    fn registered(&self, previous: Option<Previous>) -> RegisteredType {
        RegisteredType::of::<T>(previous, None)
    }
}
