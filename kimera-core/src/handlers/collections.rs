//! Options, sequences, arrays, maps and sets.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};

use crate::{KimeraHandler, Schema};

macro_rules! unary_handlers {
    ($($variant:ident: $($ty:ty),*;)*) => {$($(
        impl<T: KimeraHandler> KimeraHandler for $ty {
            const SCHEMA: &'static Schema = &Schema::$variant(T::REFERENCE);
            const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[T::FINGERPRINT]);
            const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[T::DECODE_BOUND]);
            const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
        }
    )*)*};
}

unary_handlers! {
    Option: Option<T>;
    List: Vec<T>, VecDeque<T>, LinkedList<T>, BinaryHeap<T>, [T];
    Set: BTreeSet<T>;
}

impl<T: KimeraHandler, S> KimeraHandler for HashSet<T, S> {
    const SCHEMA: &'static Schema = &Schema::Set(T::REFERENCE);
    const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[T::FINGERPRINT]);
    const DECODE_BOUND: Option<crate::DecodeBound> =
        Self::SCHEMA.decode_bound_with(&[T::DECODE_BOUND]);
    const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
}

impl<T: KimeraHandler, const N: usize> KimeraHandler for [T; N] {
    const SCHEMA: &'static Schema = &Schema::Array(T::REFERENCE, N);
    const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[T::FINGERPRINT]);
    const DECODE_BOUND: Option<crate::DecodeBound> =
        Self::SCHEMA.decode_bound_with(&[T::DECODE_BOUND]);
    const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
}

impl<K: KimeraHandler, V: KimeraHandler> KimeraHandler for BTreeMap<K, V> {
    const SCHEMA: &'static Schema = &Schema::Map(K::REFERENCE, V::REFERENCE);
    const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[K::FINGERPRINT, V::FINGERPRINT]);
    const DECODE_BOUND: Option<crate::DecodeBound> =
        Self::SCHEMA.decode_bound_with(&[K::DECODE_BOUND, V::DECODE_BOUND]);
    const BINARY_INCOMPATIBILITY: Option<&'static str> =
        first_incompatibility(&[K::BINARY_INCOMPATIBILITY, V::BINARY_INCOMPATIBILITY]);
}

impl<K: KimeraHandler, V: KimeraHandler, S> KimeraHandler for HashMap<K, V, S> {
    const SCHEMA: &'static Schema = <BTreeMap<K, V>>::SCHEMA;
    const FINGERPRINT: u64 = <BTreeMap<K, V>>::FINGERPRINT;
    const DECODE_BOUND: Option<crate::DecodeBound> = <BTreeMap<K, V>>::DECODE_BOUND;
    const BINARY_INCOMPATIBILITY: Option<&'static str> = <BTreeMap<K, V>>::BINARY_INCOMPATIBILITY;
}

/// The first `Some` of a list of incompatibilities (usable in `const` context).
pub const fn first_incompatibility(items: &[Option<&'static str>]) -> Option<&'static str> {
    let mut i = 0;
    while i < items.len() {
        if items[i].is_some() {
            return items[i];
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, VecDeque};

    use crate::KimeraHandler;

    #[test]
    fn one_family_one_name() {
        assert_eq!(<Vec<u8>>::type_name(), "list<u8>");
        assert_eq!(<VecDeque<u8>>::FINGERPRINT, <Vec<u8>>::FINGERPRINT);
        assert_eq!(<[u8]>::FINGERPRINT, <Vec<u8>>::FINGERPRINT);
        assert_eq!(<HashMap<String, f64>>::type_name(), "map<str,f64>");
        assert_eq!(
            <HashMap<String, f64>>::FINGERPRINT,
            <BTreeMap<String, f64>>::FINGERPRINT
        );
        assert_eq!(<[u8; 4]>::type_name(), "array<u8,4>");
        assert_ne!(<[u8; 4]>::FINGERPRINT, <Vec<u8>>::FINGERPRINT);
        assert_eq!(<Option<Option<i8>>>::type_name(), "option<option<i8>>");
    }
}
