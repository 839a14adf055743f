//! What every envelope says about its value, and the checks a reader makes before the body.

use std::borrow::Cow;

use crate::error::{ErrorKind, Result};
use crate::KimeraHandler;

/// The identity an envelope gives its value, read without touching the body.
///
/// ```
/// use kimera_core::Header;
/// let header = Header { type_name: "shop.Order".into(), version: 3, fingerprint: None };
/// assert!(header.check::<u32>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// The type name (`shop.Order`, `list<u8>`).
    pub type_name: Cow<'a, str>,
    /// The schema version of the type that wrote the value.
    pub version: u32,
    /// The writer's schema fingerprint, where the format carries one (binary does, JSON does not).
    pub fingerprint: Option<u64>,
}

impl Header<'_> {
    /// Checks that this envelope holds a `T` this reader can decode: same type name, same
    /// version, and (where carried) the same fingerprint, in that order: a wrong type is
    /// reported as such even when its version or fingerprint differ too.
    pub fn check<T: KimeraHandler + ?Sized>(&self) -> Result<()> {
        check_name::<T>(&self.type_name)?;
        check_version::<T>(self.version)?;
        match self.fingerprint {
            Some(found) => check_fingerprint::<T>(self.version, found),
            None => Ok(()),
        }
    }
}

/// Checks that `type_name` names `T`.
pub fn check_name<T: KimeraHandler + ?Sized>(type_name: &str) -> Result<()> {
    if T::REFERENCE.name_matches(type_name) {
        return Ok(());
    }
    Err(ErrorKind::TypeMismatch {
        expected: T::type_name().into_owned(),
        found: type_name.to_owned(),
    }
    .into())
}

/// Checks that `version` is the reader's version of `T`.
pub fn check_version<T: KimeraHandler + ?Sized>(version: u32) -> Result<()> {
    use std::cmp::Ordering;
    match version.cmp(&T::VERSION) {
        Ordering::Equal => Ok(()),
        Ordering::Greater => Err(ErrorKind::NewerVersion {
            type_name: T::type_name().into_owned(),
            found: version,
            known: T::VERSION,
        }
        .into()),
        Ordering::Less => Err(ErrorKind::NoMigration {
            type_name: T::type_name().into_owned(),
            found: version,
            current: T::VERSION,
        }
        .into()),
    }
}

/// Checks that `found`, the writer's fingerprint of `T` at `version`, is the reader's.
///
/// Kept apart from the name and version checks so that formats that carry no fingerprint
/// (JSON) never evaluate [`KimeraHandler::FINGERPRINT`], which mutually recursive generic types
/// can only compute with `#[kimera(recursive)]`.
pub fn check_fingerprint<T: KimeraHandler + ?Sized>(version: u32, found: u64) -> Result<()> {
    if found == T::FINGERPRINT {
        return Ok(());
    }
    Err(ErrorKind::FingerprintMismatch {
        type_name: T::type_name().into_owned(),
        version,
        expected: T::FINGERPRINT,
        found,
    }
    .into())
}

/// A data error while decoding a `T`, at `path`.
pub fn data_error<T: KimeraHandler + ?Sized>(
    path: impl ToString,
    message: impl ToString,
) -> ErrorKind {
    ErrorKind::Data {
        type_name: T::type_name().into_owned(),
        version: T::VERSION,
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// An error while encoding a `T`, at `path`.
pub fn encode_error<T: KimeraHandler + ?Sized>(
    path: impl ToString,
    message: impl ToString,
) -> ErrorKind {
    ErrorKind::Encode {
        type_name: T::type_name().into_owned(),
        path: path.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_then_version_then_fingerprint() {
        let check = |type_name: &'static str, version, fingerprint| {
            let header = Header {
                type_name: type_name.into(),
                version,
                fingerprint,
            };
            header.check::<u8>()
        };
        let kind = |r: Result<()>| r.unwrap_err().into_kind();
        assert!(matches!(
            kind(check("u16", 9, Some(0))),
            ErrorKind::TypeMismatch { .. }
        ));
        assert!(matches!(
            kind(check("u8", 2, Some(0))),
            ErrorKind::NewerVersion {
                found: 2,
                known: 1,
                ..
            }
        ));
        assert!(matches!(
            kind(check("u8", 0, None)),
            ErrorKind::NoMigration { .. }
        ));
        assert!(matches!(
            kind(check("u8", 1, Some(7))),
            ErrorKind::FingerprintMismatch { found: 7, .. }
        ));
        assert!(check("u8", 1, Some(u8::FINGERPRINT)).is_ok());
        assert!(check("u8", 1, None).is_ok());
    }
}
