//! Values from the operating system: paths and `SystemTime`.
//!
//! A path is written as text in every format; one that is not UTF-8 cannot be written (serde
//! refuses it, and Kimera reports an encode error). A `SystemTime` is the struct serde writes,
//! seconds and nanoseconds since the Unix epoch; one before the epoch cannot be written.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{Field, FieldAttrs, Fields, Foreign, KimeraHandler, Schema, Shape, TypeDef};

impl KimeraHandler for PathBuf {
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::uniform("path", &Schema::Str));
}

/// For encoding: a `&Path` is written as a `PathBuf` is.
impl KimeraHandler for Path {
    const SCHEMA: &'static Schema = PathBuf::SCHEMA;
}

impl crate::with::BuiltIn for PathBuf {}
impl crate::with::BuiltIn for SystemTime {}

const NO_ATTRS: FieldAttrs = FieldAttrs {
    default: false,
    flatten: false,
    skip_if: false,
    aliases: &[],
};

impl KimeraHandler for SystemTime {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = &Schema::Type(&TypeDef {
        name: "system_time",
        version: 1,
        params: &[],
        origin: None,
        by_reference: &[],
        shape: Shape::Struct(Fields::Named(&[
            Field {
                name: "secs_since_epoch",
                schema: &Schema::U64,
                attrs: NO_ATTRS,
            },
            Field {
                name: "nanos_since_epoch",
                schema: &Schema::U32,
                attrs: NO_ATTRS,
            },
        ])),
    });
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::SystemTime;

    use crate::KimeraHandler;

    #[test]
    fn system_values_have_names_of_their_own() {
        assert_eq!(PathBuf::type_name(), "path");
        assert_eq!(Path::FINGERPRINT, PathBuf::FINGERPRINT);
        assert_ne!(PathBuf::FINGERPRINT, String::FINGERPRINT);
        assert_eq!(SystemTime::type_name(), "system_time");
    }
}
