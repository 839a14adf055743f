//! Tuples of 1 to 12 elements.

use super::collections::first_incompatibility;
use crate::{KimeraHandler, Schema};

macro_rules! tuple_handlers {
    ($(($($name:ident),+))*) => {$(
        impl<$($name: KimeraHandler),+> KimeraHandler for ($($name,)+) {
            const SCHEMA: &'static Schema = &Schema::Tuple(&[$($name::REFERENCE),+]);
            const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[$($name::FINGERPRINT),+]);
            const DECODE_BOUND: Option<crate::DecodeBound> =
                Self::SCHEMA.decode_bound_with(&[$($name::DECODE_BOUND),+]);
            const BINARY_INCOMPATIBILITY: Option<&'static str> =
                first_incompatibility(&[$($name::BINARY_INCOMPATIBILITY),+]);
        }
    )*};
}

tuple_handlers! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}

#[cfg(test)]
mod tests {
    use crate::KimeraHandler;

    #[test]
    fn tuples_name_their_elements() {
        assert_eq!(<(u8,)>::type_name(), "tuple<u8>");
        assert_eq!(<(i32, String, bool)>::type_name(), "tuple<i32,str,bool>");
        type Twelve = (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8);
        assert_eq!(Twelve::type_name().matches("u8").count(), 12);
    }
}
