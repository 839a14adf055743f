//! Reading values written by older versions of a type: the chain of `previous` types.
//!
//! A derived type declares the version before it with `#[kimera(previous = OrderV2)]`, where
//! `OrderV2` is a frozen copy of the old shape, and converts it with `From` or `TryFrom`. When
//! an envelope holds an older version, the format hands the undecoded body to
//! [`KimeraHandler::migrate`] as an [`Older`] value; each link of the chain either decodes it
//! (its version is the one written) or passes it on to the link before it, then upgrades the
//! result one step.
//!
//! ```
//! use kimera_core::migration::upgrade;
//! use kimera_core::{KimeraHandler, Schema, TypeRef, schema_of};
//!
//! struct Celsius(f64);
//! struct Kelvin(f64);
//! impl From<Celsius> for Kelvin {
//!     fn from(c: Celsius) -> Self { Kelvin(c.0 + 273.15) }
//! }
//! # macro_rules! named { ($t:ty, $v:expr) => {
//! #   impl KimeraHandler for $t {
//! #       const VERSION: u32 = $v;
//! #       const SCHEMA: &'static Schema = &Schema::F64;
//! #       const REFERENCE: &'static Schema =
//! #           &Schema::Named(&TypeRef::new("temp", $v, schema_of::<$t>));
//! #   }
//! # } }
//! # named!(Celsius, 1);
//! # named!(Kelvin, 2);
//! let kelvin: Kelvin = upgrade(Celsius(0.0))?;
//! assert_eq!(kelvin.0, 273.15);
//! # Ok::<(), kimera_core::Error>(())
//! ```

use std::fmt::Display;

use serde::Deserialize;

use crate::envelope::{check_fingerprint, check_name};
use crate::error::{Error, ErrorKind, Result};
use crate::{Header, KimeraHandler};

/// A value written by an older version of a type, its body not yet decoded.
///
/// Formats implement it over their body; [`KimeraHandler::migrate`] consumes it. The reader's
/// type is the chain's to know: a version that no link reads is [`no_migration`], which the
/// chain returns itself.
pub trait Older<'de> {
    /// The version that wrote the value.
    fn version(&self) -> u32;

    /// Decodes the body as `U`, the type of [`version`](Older::version), checking its
    /// fingerprint where the format carries one.
    fn decode<U: KimeraHandler + Deserialize<'de>>(self) -> Result<U>;
}

/// Converts `previous`, a value of the version before `T`, into a `T` with `TryFrom` (which
/// every `From` conversion also provides); a conversion error becomes
/// [`ErrorKind::Migration`], naming both versions.
pub fn upgrade<P, T>(previous: P) -> Result<T>
where
    P: KimeraHandler,
    T: KimeraHandler + TryFrom<P>,
    T::Error: Display,
{
    T::try_from(previous).map_err(|err| {
        ErrorKind::Migration {
            type_name: T::type_name().into_owned(),
            from: P::VERSION,
            to: T::VERSION,
            message: err.to_string(),
        }
        .into()
    })
}

/// Checks that `U`, the link of a migration chain with the envelope's version, reads it: the
/// envelope carries `U`'s name or one of its aliases (values written under a former name are
/// read by a link that carries that name), and, where the format carries one, `U`'s
/// fingerprint under that name.
pub fn check_link<U: KimeraHandler + ?Sized>(header: &Header<'_>) -> Result<()> {
    if check_name::<U>(&header.type_name).is_err() {
        return Err(ErrorKind::UnnamedLink {
            found: crate::envelope::quoted_name(&header.type_name),
            version: header.version,
            link: U::type_name().into_owned(),
        }
        .into());
    }
    match header.fingerprint {
        Some(found) => check_fingerprint::<U>(&header.type_name, header.version, found),
        None => Ok(()),
    }
}

/// The error for a value of `T` written by `version`, which no migration reads.
pub fn no_migration<T: KimeraHandler + ?Sized>(version: u32) -> Error {
    ErrorKind::NoMigration {
        type_name: T::type_name().into_owned(),
        found: version,
        current: T::VERSION,
    }
    .into()
}

/// Derive plumbing, reachable from other crates only through `__private`.
pub(crate) mod derive {
    use crate::Schema;

    /// Whether `schema` names a type called `name` or one of `aliases`: the compile-time check
    /// that a `previous` link belongs to the same type.
    pub const fn names_one_of(schema: &Schema, name: &str, aliases: &[&str]) -> bool {
        let found = match schema {
            Schema::Named(r) => r.name,
            Schema::Type(t) => t.name,
            _ => return false,
        };
        if str_eq(found, name) {
            return true;
        }
        let mut i = 0;
        while i < aliases.len() {
            if str_eq(found, aliases[i]) {
                return true;
            }
            i += 1;
        }
        false
    }

    const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::derive::names_one_of;
    use super::*;
    use crate::{schema_of, Schema, TypeRef};

    struct V1(u8);
    #[derive(Debug)]
    struct V2(u8);

    impl KimeraHandler for V1 {
        const SCHEMA: &'static Schema = &Schema::U8;
        const REFERENCE: &'static Schema = &Schema::Named(&TypeRef::new("t", 1, schema_of::<V1>));
    }

    impl KimeraHandler for V2 {
        const VERSION: u32 = 2;
        const SCHEMA: &'static Schema = &Schema::U8;
        const REFERENCE: &'static Schema = &Schema::Named(&TypeRef::new("t", 2, schema_of::<V2>));
    }

    impl TryFrom<V1> for V2 {
        type Error = &'static str;
        fn try_from(v: V1) -> Result<Self, Self::Error> {
            v.0.checked_mul(2).map(V2).ok_or("too large to double")
        }
    }

    #[test]
    fn failed_conversions_name_both_versions() {
        assert_eq!(upgrade::<V1, V2>(V1(3)).unwrap().0, 6);
        let err = upgrade::<V1, V2>(V1(200)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot migrate `t` from version 1 to version 2: too large to double"
        );
    }

    #[test]
    fn names_are_compared_with_aliases() {
        assert!(names_one_of(V1::REFERENCE, "t", &[]));
        assert!(names_one_of(V1::REFERENCE, "u", &["v", "t"]));
        assert!(!names_one_of(V1::REFERENCE, "u", &["tt"]));
        assert!(!names_one_of(&Schema::U8, "u8", &[]));
    }
}
