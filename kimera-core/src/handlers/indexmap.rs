//! `indexmap::{IndexMap, IndexSet}` (feature `indexmap`): a map and a set, in insertion order.
//!
//! They share the map and set families' names, so an `IndexMap` written reads back as a
//! `BTreeMap` and the reverse; the order of the entries is the order they were written in.

use indexmap::{IndexMap, IndexSet};

use crate::{KimeraHandler, Schema};

impl<K: KimeraHandler, V: KimeraHandler, S> KimeraHandler for IndexMap<K, V, S> {
    const SCHEMA: &'static Schema = <std::collections::BTreeMap<K, V>>::SCHEMA;
    const FINGERPRINT: u64 = <std::collections::BTreeMap<K, V>>::FINGERPRINT;
    const DECODE_BOUND: Option<crate::DecodeBound> =
        <std::collections::BTreeMap<K, V>>::DECODE_BOUND;
    const BINARY_INCOMPATIBILITY: Option<&'static str> =
        <std::collections::BTreeMap<K, V>>::BINARY_INCOMPATIBILITY;
}

impl<T: KimeraHandler, S> KimeraHandler for IndexSet<T, S> {
    const SCHEMA: &'static Schema = <std::collections::BTreeSet<T>>::SCHEMA;
    const FINGERPRINT: u64 = <std::collections::BTreeSet<T>>::FINGERPRINT;
    const DECODE_BOUND: Option<crate::DecodeBound> = <std::collections::BTreeSet<T>>::DECODE_BOUND;
    const BINARY_INCOMPATIBILITY: Option<&'static str> =
        <std::collections::BTreeSet<T>>::BINARY_INCOMPATIBILITY;
}
