//! The registry's own failures, held in the [`kimera::Error`](crate::Error) its functions
//! return: [`Error::downcast_ref`](crate::Error::downcast_ref) finds them.

use std::fmt;

use kimera_core::ErrorKind;

/// Two or more registered types claiming one name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conflict {
    /// The name (or alias) claimed.
    pub name: String,
    /// The types claiming it: `name vN (rust::Type)`.
    pub claimants: Vec<String>,
}

/// What [`check`](super::check) found: every name claimed by types that are not versions of one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflicts(pub Vec<Conflict>);

impl fmt::Display for Conflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} type names are claimed twice:", self.0.len())?;
        for conflict in &self.0 {
            write!(
                f,
                "\n  `{}` by {}",
                conflict.name,
                conflict.claimants.join(" and ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Conflicts {}

/// So that `registry::check()?` works in a function returning [`kimera::Result`](crate::Result);
/// [`Error::downcast_ref`](crate::Error::downcast_ref) gives the conflicts back.
impl From<Conflicts> for crate::Error {
    fn from(conflicts: Conflicts) -> Self {
        ErrorKind::Other(Box::new(conflicts)).into()
    }
}

/// Why an envelope found no type to decode it as, in [`decode_any`](super::decode_any) or a
/// [`Dispatcher`](super::Dispatcher).
///
/// Its message (`{}`) names the envelope's type (quoted within a bound) and no other, so that
/// a server can send it to a peer without listing the program's types; the alternate form
/// (`{:#}`, through [`kimera::Error`](crate::Error) too) adds the types the registry or the
/// dispatcher knows, for logs, at most 64 of them. The fields hold the full lists.
///
/// ```
/// use kimera::registry::{self, LookupError};
///
/// let err = registry::decode_any(&kimera::json::to_vec(&(1u8,))?).unwrap_err();
/// match err.downcast_ref::<LookupError>() {
///     Some(LookupError::UnknownType { found, .. }) => assert_eq!(found, "tuple<u8>"),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(err.to_string(), "no registered type is named `tuple<u8>`");
/// assert!(format!("{err:#}").starts_with("no registered type is named `tuple<u8>` (registered: "));
/// # Ok::<(), kimera::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No registered (or, for a dispatcher, handled) type has the envelope's name.
    UnknownType {
        /// The name in the envelope.
        found: String,
        /// The names the registry (and the dispatcher) know.
        known: Vec<String>,
    },
    /// The type is registered, but the dispatcher has no handler for it.
    NoHandler {
        /// The name in the envelope.
        type_name: String,
        /// The names the dispatcher handles.
        handled: Vec<String>,
    },
    /// Several registered types claim the name, and none of them migrates from the others
    /// ([`check`](super::check) lists such conflicts).
    AmbiguousType {
        /// The name in the envelope.
        type_name: String,
        /// The Rust types claiming it, with their versions.
        claimants: Vec<String>,
    },
    /// The type is registered but cannot be decoded into a value of its own.
    NotDecodable {
        /// The type's Kimera name.
        type_name: String,
        /// The Rust type.
        rust_type: &'static str,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (message, names) = match self {
            LookupError::UnknownType { found, known } => (
                format!("no registered type is named `{found}`"),
                Some(("registered", known)),
            ),
            LookupError::NoHandler { type_name, handled } => (
                format!("no handler for `{type_name}` in this dispatcher"),
                Some(("it handles", handled)),
            ),
            LookupError::AmbiguousType {
                type_name,
                claimants,
            } => (
                format!("`{type_name}` is claimed by several registered types"),
                Some(("claimed by", claimants)),
            ),
            LookupError::NotDecodable { type_name, rust_type } => (
                format!("`{type_name}` ({rust_type}) is registered but cannot be decoded through the registry: it needs `Serialize + DeserializeOwned + Send + 'static`"),
                None,
            ),
        };
        f.write_str(&message)?;
        match names {
            Some((label, names)) if f.alternate() => write!(f, " ({label}: {})", List(names)),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for LookupError {}

impl From<LookupError> for crate::Error {
    fn from(err: LookupError) -> Self {
        ErrorKind::Other(Box::new(err)).into()
    }
}

/// Names for messages: `a, b, c`, or `none`; at most [`List::MAX`], then how many more.
struct List<'a>(&'a [String]);

impl List<'_> {
    const MAX: usize = 64;
}

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("none"),
            names if names.len() <= Self::MAX => f.write_str(&names.join(", ")),
            names => write!(
                f,
                "{} and {} more",
                names[..Self::MAX].join(", "),
                names.len() - Self::MAX
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_no_other_type_and_logs_a_bounded_list() {
        let known: Vec<String> = (0..1000).map(|i| format!("app.Type{i}")).collect();
        let err = LookupError::UnknownType {
            found: "app.Nope".into(),
            known,
        };
        assert_eq!(err.to_string(), "no registered type is named `app.Nope`");
        let logged = format!("{err:#}");
        assert!(logged.contains("app.Type63 and 936 more)"), "{logged}");
        assert!(!logged.contains("app.Type64,"), "{logged}");
        let err = crate::Error::from(LookupError::NoHandler {
            type_name: "app.Nope".into(),
            handled: vec!["app.A".into()],
        });
        assert_eq!(
            format!("{err:#}"),
            "no handler for `app.Nope` in this dispatcher (it handles: app.A)"
        );
    }
}
