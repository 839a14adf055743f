//! [`Dispatcher`]: routes encoded values to typed handlers by the type their envelope names.

use std::collections::BTreeMap;

use kimera_core::envelope::quoted_name;
use kimera_core::{KimeraHandler, Result};

use super::LookupError;
use serde::de::DeserializeOwned;

/// Routes each encoded value to the handler of its type.
///
/// A handler is a closure taking the value by its type; [`dispatch`](Self::dispatch) reads the
/// envelope's type name, decodes the value as that type (migrating an older version first),
/// and calls the handler with it. Handlers may return a value (`R`, `()` by default).
///
/// A type needs no registration to be handled: the dispatcher decodes it through its own
/// handler. The [registry](super) only sharpens the error for a type the dispatcher does not
/// handle: [`LookupError::NoHandler`] for a registered type, listing the types the dispatcher
/// handles, and [`LookupError::UnknownType`] for a name nothing knows, listing the registered and
/// handled types.
///
/// ```
/// use kimera::registry::{Dispatcher, LookupError};
/// use kimera::Kimera;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Kimera)]
/// #[kimera(name = "bank.Deposit")]
/// struct Deposit { cents: u64 }
///
/// #[derive(Serialize, Deserialize, Kimera)]
/// #[kimera(name = "bank.Withdrawal")]
/// struct Withdrawal { cents: u64 }
///
/// let mut dispatcher = Dispatcher::new()
///     .on(|d: Deposit| d.cents as i64)
///     .on(|w: Withdrawal| -(w.cents as i64));
/// let mut balance = 0;
/// balance += dispatcher.dispatch(&kimera::json::to_vec(&Deposit { cents: 500 })?)?;
/// balance += dispatcher.dispatch(&kimera::binary::to_vec(&Withdrawal { cents: 120 })?)?;
/// assert_eq!(balance, 380);
///
/// let err = dispatcher.dispatch(&kimera::json::to_vec("text")?).unwrap_err();
/// assert!(matches!(err.downcast_ref(), Some(LookupError::UnknownType { .. })));
/// # Ok::<(), kimera::Error>(())
/// ```
pub struct Dispatcher<'h, R = ()> {
    /// Every name an envelope of a handled type may carry (its own and its aliases), with the
    /// handlers for it: one per origin, when types with default names share it.
    routes: BTreeMap<String, Vec<Handled>>,
    handlers: Vec<Route<'h, R>>,
}

/// A handler's index and the origins of its type (`Schema::origin_hash`).
#[derive(Clone, Copy)]
struct Handled {
    origin: Option<u32>,
    index: usize,
    rust_type: &'static str,
}

// `Send`, so that a dispatcher can live in a task of a multi-threaded async runtime.
type Route<'h, R> = Box<dyn FnMut(&[u8]) -> Result<R> + Send + 'h>;

impl<'h, R> Dispatcher<'h, R> {
    /// A dispatcher with no handlers.
    pub fn new() -> Self {
        Dispatcher {
            routes: BTreeMap::new(),
            handlers: Vec::new(),
        }
    }

    /// Handles values of type `T` with `handler`, under `T`'s name and aliases. A later handler
    /// for one of those names replaces the earlier one for that name, except that types with
    /// default names from different modules (`api::Event`, `db::Event`) each keep theirs: an
    /// envelope's origin picks.
    #[must_use]
    pub fn on<T, F>(mut self, mut handler: F) -> Self
    where
        T: KimeraHandler + DeserializeOwned + 'h,
        F: FnMut(T) -> R + Send + 'h,
    {
        let index = self.handlers.len();
        self.handlers.push(Box::new(move |bytes| {
            crate::from_slice::<T>(bytes).map(&mut handler)
        }));
        let origin = T::REFERENCE.origin_hash();
        for name in super::envelope_names::<T>() {
            let routes = self.routes.entry(name).or_default();
            routes.retain(|h| origin.is_some() && h.origin.is_some() && h.origin != origin);
            routes.push(Handled {
                origin,
                index,
                rust_type: std::any::type_name::<T>(),
            });
        }
        self
    }

    /// Decodes `bytes` (one envelope of any enabled backend) and calls the handler of its type.
    ///
    /// # Errors
    ///
    /// [`LookupError::NoHandler`](super::LookupError::NoHandler) for a type no handler was
    /// given for, [`LookupError::AmbiguousType`](super::LookupError::AmbiguousType) for a name
    /// two handled types share without the envelope saying which, and the errors of decoding
    /// the envelope as that type (see [`Format::decode`](crate::Format::decode)).
    pub fn dispatch(&mut self, bytes: &[u8]) -> Result<R> {
        // The handler's decode verifies the checksum: it is computed once.
        let (backend, header) = crate::sniff_header(bytes, false)?;
        if let Some(routes) = self.routes.get(&*header.type_name) {
            // The handler of the envelope's origin; else the only one (whose decoding names a
            // mismatch). Namesakes without the envelope saying which are ambiguous.
            let route = routes
                .iter()
                .find(|h| h.origin.is_some() && h.origin == header.origin)
                .or(match routes.as_slice() {
                    [only] => Some(only),
                    _ => None,
                });
            let Some(route) = route else {
                backend.header(bytes, true)?;
                return Err(LookupError::AmbiguousType {
                    type_name: quoted_name(&header.type_name),
                    claimants: routes.iter().map(|h| h.rust_type.to_owned()).collect(),
                }
                .into());
            };
            return (self.handlers[route.index])(bytes);
        }
        // No handler decodes it: a damaged envelope is named as such, not by its type name.
        backend.header(bytes, true)?;
        let handled = self.routes.keys().cloned().collect();
        let registered = &super::registry().by_name;
        let name = quoted_name(&header.type_name);
        Err(match registered.contains_key(&*header.type_name) {
            true => LookupError::NoHandler {
                type_name: name,
                handled,
            },
            false => {
                // What this program knows: the registered types, and the handled ones (which
                // need not be registered).
                let mut known: Vec<String> = registered.keys().cloned().chain(handled).collect();
                known.sort();
                known.dedup();
                LookupError::UnknownType { found: name, known }
            }
        }
        .into())
    }

    /// The names of the types handled, aliases included.
    pub fn handled(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }
}

impl<R> Default for Dispatcher<'_, R> {
    fn default() -> Self {
        Self::new()
    }
}
