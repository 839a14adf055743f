//! `Result<T, E>`: serde writes it as an enum with the variants `Ok` and `Err`.

use crate::{EnumRepr, Fields, KimeraHandler, Schema, Shape, TypeDef, Variant};

/// Named `result<T,E>`, and described as the enum serde writes, so that it needs no schema
/// form of its own.
impl<T: KimeraHandler, E: KimeraHandler> KimeraHandler for Result<T, E> {
    const SCHEMA: &'static Schema = &Schema::Type(&TypeDef {
        name: "result",
        version: 1,
        params: &[T::REFERENCE, E::REFERENCE],
        origin: None,
        by_reference: &[],
        shape: Shape::Enum {
            repr: EnumRepr::External,
            variants: &[
                Variant {
                    name: "Ok",
                    fields: Fields::Newtype(T::REFERENCE),
                    untagged: false,
                    aliases: &[],
                },
                Variant {
                    name: "Err",
                    fields: Fields::Newtype(E::REFERENCE),
                    untagged: false,
                    aliases: &[],
                },
            ],
        },
    });
    const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[T::FINGERPRINT, E::FINGERPRINT]);
    const DECODE_BOUND: Option<crate::DecodeBound> =
        Self::SCHEMA.decode_bound_with(&[T::DECODE_BOUND, E::DECODE_BOUND]);
    const BINARY_INCOMPATIBILITY: Option<&'static str> =
        super::collections::first_incompatibility(&[
            T::BINARY_INCOMPATIBILITY,
            E::BINARY_INCOMPATIBILITY,
        ]);
}

#[cfg(test)]
mod tests {
    use crate::KimeraHandler;

    #[test]
    fn results_are_named_by_their_arguments() {
        assert_eq!(<Result<u8, String>>::type_name(), "result<u8,str>");
        assert_ne!(
            <Result<u8, String>>::FINGERPRINT,
            <Result<String, u8>>::FINGERPRINT
        );
    }
}
