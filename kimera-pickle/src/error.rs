//! What goes wrong: bytes that are not a pickle this crate reads, or a value it cannot write.

use kimera_core::ErrorKind;
pub(crate) use kimera_core::{Error, Result};

/// A pickle that cannot be read, or a value that cannot be written as one: what a
/// `kimera::Error` from this module holds when the pickle or the value is at fault (others are
/// the errors every decoder gives: limits, or a typed value's data error).
///
/// ```
/// use kimera::pickle::{self, PickleError};
///
/// // `pickle.dumps(os.system)`, protocol 4 — never constructed.
/// let bytes = b"\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94.";
/// let err = pickle::Value::from_pickle(bytes).unwrap_err();
/// let pickle = err.downcast_ref::<PickleError>().unwrap();
/// assert_eq!(pickle.offset(), Some(28));
/// assert!(err.to_string().contains("`posix.system`"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("pickle, {location}: {message}")]
pub struct PickleError {
    location: Location,
    message: String,
}

#[derive(Debug)]
enum Location {
    Offset(u64),
    Path(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Offset(offset) => write!(f, "at byte {offset}"),
            Location::Path(path) => write!(f, "at `{path}`"),
        }
    }
}

impl PickleError {
    /// Where in the pickle, for an error reading one: the offset of the opcode at fault.
    pub fn offset(&self) -> Option<u64> {
        match self.location {
            Location::Offset(offset) => Some(offset),
            Location::Path(_) => None,
        }
    }

    /// Where in the value, for an error writing one or reading into a type: `$` for the whole
    /// value, then `[index]` or `[key]` per level.
    pub fn path(&self) -> Option<&str> {
        match &self.location {
            Location::Offset(_) => None,
            Location::Path(path) => Some(path),
        }
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<PickleError> for Error {
    fn from(err: PickleError) -> Self {
        ErrorKind::Other(Box::new(err)).into()
    }
}

/// An error at byte `offset` of a pickle, bounded however much of the input it quotes.
pub(crate) fn at_offset(offset: usize, message: impl Into<String>) -> Error {
    let (message, _) = kimera_core::envelope::bounded_message(message.into(), "");
    PickleError {
        location: Location::Offset(offset as u64),
        message,
    }
    .into()
}

/// An error at `path` in a value (`$`, `$[2]`, `$["key"]`), bounded likewise.
pub(crate) fn at_path(path: &str, message: impl Into<String>) -> Error {
    let (message, path) = kimera_core::envelope::bounded_message(message.into(), path);
    PickleError {
        location: Location::Path(path),
        message,
    }
    .into()
}
