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
    /// version, and (where carried) the same fingerprint.
    pub fn check<T: KimeraHandler + ?Sized>(&self) -> Result<()> {
        check_identity::<T>(&self.type_name, self.version, self.fingerprint)
    }
}

/// The checks of [`Header::check`] on borrowed parts, for formats that parse them one by one.
///
/// The order matters to users: a wrong type is reported as such even when its version or
/// fingerprint differ too.
pub fn check_identity<T: KimeraHandler + ?Sized>(
    type_name: &str,
    version: u32,
    fingerprint: Option<u64>,
) -> Result<()> {
    check_name::<T>(type_name)?;
    check_version::<T>(version)?;
    match fingerprint {
        Some(found) if found != T::FINGERPRINT => Err(ErrorKind::FingerprintMismatch {
            type_name: T::type_name().into_owned(),
            version,
            expected: T::FINGERPRINT,
            found,
        }
        .into()),
        _ => Ok(()),
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
        let kind = |r: Result<()>| r.unwrap_err().into_kind();
        assert!(matches!(
            kind(check_identity::<u8>("u16", 9, Some(0))),
            ErrorKind::TypeMismatch { .. }
        ));
        assert!(matches!(
            kind(check_identity::<u8>("u8", 2, Some(0))),
            ErrorKind::NewerVersion {
                found: 2,
                known: 1,
                ..
            }
        ));
        assert!(matches!(
            kind(check_identity::<u8>("u8", 0, None)),
            ErrorKind::NoMigration { .. }
        ));
        assert!(matches!(
            kind(check_identity::<u8>("u8", 1, Some(7))),
            ErrorKind::FingerprintMismatch { found: 7, .. }
        ));
        assert!(check_identity::<u8>("u8", 1, Some(u8::FINGERPRINT)).is_ok());
        assert!(check_identity::<Vec<u8>>("list<u8>", 1, None).is_ok());
    }
}
