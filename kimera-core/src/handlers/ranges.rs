//! `Range`, `RangeInclusive`, `RangeFrom`, `RangeTo` and `Bound`: the structs and the enum
//! serde writes for them, the same in every format.

use std::ops::{Bound, Range, RangeFrom, RangeInclusive, RangeTo};

use crate::{EnumRepr, Field, FieldAttrs, Fields, KimeraHandler, Schema, Shape, TypeDef, Variant};

const fn field(name: &'static str, schema: &'static Schema) -> Field {
    Field {
        name,
        schema,
        attrs: FieldAttrs {
            default: false,
            flatten: false,
            skip_if: false,
            aliases: &[],
        },
    }
}

/// A struct of `T` fields, named `$name` with the parameter `T`.
macro_rules! range_handlers {
    ($($ty:ty => $name:literal { $($field:literal),+ };)*) => {$(
        impl<T: KimeraHandler> KimeraHandler for $ty {
            const SCHEMA: &'static Schema = &Schema::Type(&TypeDef {
                name: $name,
                version: 1,
                params: &[T::REFERENCE],
                origin: None,
                by_reference: &[],
                shape: Shape::Struct(Fields::Named(&[$(field($field, T::REFERENCE)),+])),
            });
            const FINGERPRINT: u64 =
                Self::SCHEMA.fingerprint_with(&[$({ let _ = $field; T::FINGERPRINT }),+]);
            const DECODE_BOUND: Option<crate::DecodeBound> =
                Self::SCHEMA.decode_bound_with(&[$({ let _ = $field; T::DECODE_BOUND }),+]);
            const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
        }
    )*};
}

range_handlers! {
    Range<T> => "range" { "start", "end" };
    RangeInclusive<T> => "range_inclusive" { "start", "end" };
    RangeFrom<T> => "range_from" { "start" };
    RangeTo<T> => "range_to" { "end" };
}

impl<T: KimeraHandler> KimeraHandler for Bound<T> {
    const SCHEMA: &'static Schema = &Schema::Type(&TypeDef {
        name: "bound",
        version: 1,
        params: &[T::REFERENCE],
        origin: None,
        by_reference: &[],
        shape: Shape::Enum {
            repr: EnumRepr::External,
            variants: &[
                Variant {
                    name: "Unbounded",
                    fields: Fields::Unit,
                    untagged: false,
                    aliases: &[],
                },
                Variant {
                    name: "Included",
                    fields: Fields::Newtype(T::REFERENCE),
                    untagged: false,
                    aliases: &[],
                },
                Variant {
                    name: "Excluded",
                    fields: Fields::Newtype(T::REFERENCE),
                    untagged: false,
                    aliases: &[],
                },
            ],
        },
    });
    const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[T::FINGERPRINT, T::FINGERPRINT]);
    const DECODE_BOUND: Option<crate::DecodeBound> =
        Self::SCHEMA.decode_bound_with(&[T::DECODE_BOUND, T::DECODE_BOUND]);
    const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
}

#[cfg(test)]
mod tests {
    use std::ops::{Bound, Range, RangeInclusive};

    use crate::KimeraHandler;

    #[test]
    fn ranges_are_named_by_their_bounds() {
        assert_eq!(<Range<u32>>::type_name(), "range<u32>");
        assert_eq!(<Bound<i8>>::type_name(), "bound<i8>");
        assert_ne!(
            <Range<u32>>::FINGERPRINT,
            <RangeInclusive<u32>>::FINGERPRINT
        );
        assert_ne!(<Range<u32>>::FINGERPRINT, <Range<u64>>::FINGERPRINT);
    }
}
