//! Scalars, text and `std::time::Duration`.

use std::num::{
    NonZeroI128, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroI8, NonZeroIsize, NonZeroU128,
    NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU8, NonZeroUsize,
};

use crate::{KimeraHandler, Schema};

macro_rules! scalar_handlers {
    ($($ty:ty => $schema:ident),* $(,)?) => {$(
        impl KimeraHandler for $ty {
            // Built in, so its schema is known to cover what it reads.
            const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
            const SCHEMA: &'static Schema = &Schema::$schema;
        }

        impl crate::with::BuiltIn for $ty {}
    )*};
}

scalar_handlers! {
    bool => Bool,
    i8 => I8, i16 => I16, i32 => I32, i64 => I64, i128 => I128, isize => I64,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64, u128 => U128, usize => U64,
    f32 => F32, f64 => F64,
    char => Char,
    str => Str, String => Str,
    () => Unit,
    std::time::Duration => Duration,
}

// A non-zero integer is written as the integer (and a zero is refused when reading).
scalar_handlers! {
    NonZeroI8 => I8, NonZeroI16 => I16, NonZeroI32 => I32, NonZeroI64 => I64,
    NonZeroI128 => I128, NonZeroIsize => I64,
    NonZeroU8 => U8, NonZeroU16 => U16, NonZeroU32 => U32, NonZeroU64 => U64,
    NonZeroU128 => U128, NonZeroUsize => U64,
}

impl<T: ?Sized> KimeraHandler for std::marker::PhantomData<T> {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = &Schema::Unit;
}

#[cfg(test)]
mod tests {
    use crate::KimeraHandler;

    #[test]
    fn pointer_sized_integers_have_fixed_width_names() {
        assert_eq!(usize::type_name(), "u64");
        assert_eq!(isize::type_name(), "i64");
        assert_eq!(usize::FINGERPRINT, u64::FINGERPRINT);
    }

    #[test]
    fn text_types_share_a_name() {
        assert_eq!(String::type_name(), "str");
        assert_eq!(<str>::type_name(), "str");
        assert_eq!(String::FINGERPRINT, <&str>::FINGERPRINT);
    }
}
