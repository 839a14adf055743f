//! A serde `Deserializer` adapter that bounds nesting depth and element counts.
//!
//! Depth is counted where recursion really happens: each time a visitor is handed a nested
//! deserializer or access (`visit_seq`, `visit_map`, `visit_enum`, `visit_some`,
//! `visit_newtype_struct`). Only the counters are touched on the happy path.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::Limits;
use crate::error::{ErrorKind, Limit};

/// Shared counters for one decode. Wrap the format's deserializer with
/// [`deserializer`](Guard::deserializer), decode, then on failure ask [`exceeded`](Guard::exceeded)
/// whether a limit was the cause.
///
/// ```
/// use kimera::format::Guard;
/// use kimera::Limits;
/// use serde::Deserialize;
///
/// let json = "[[[[1]]]]";
/// let guard = Guard::new(&Limits::default().with_max_depth(3), json.len());
/// let mut de = serde_json::Deserializer::from_str(json);
/// assert!(Vec::<Vec<Vec<Vec<u8>>>>::deserialize(guard.deserializer(&mut de)).is_err());
/// assert!(guard.exceeded().is_some());
/// ```
///
/// The type parameter only tells guards apart: [`Guard::of`] makes a guard of its own type for
/// each type of value decoded, so that the `Deserialize` impls of the types inside it are
/// compiled for that value alone. LLVM inlines an impl with one caller into a loop over a
/// sequence of it; shared by every top-level type, it stays out of line.
#[derive(Debug)]
pub struct Guard<M: ?Sized = ()> {
    depth_left: Cell<u32>,
    elements_left: Cell<u64>,
    elements_max: u64,
    limits: Limits,
    exceeded: Cell<Option<Limit>>,
    marker: PhantomData<fn(&M)>,
}

impl Guard {
    /// Counters for decoding `input_len` bytes under `limits`.
    pub fn new(limits: &Limits, input_len: usize) -> Self {
        Guard::of(limits, input_len)
    }
}

impl<M: ?Sized> Guard<M> {
    /// [`Guard::new`], as a type of its own for values of `M` (see the type's documentation).
    ///
    /// ```
    /// use kimera::format::Guard;
    /// use kimera::Limits;
    /// use serde::Deserialize;
    ///
    /// let guard = Guard::<Vec<u8>>::of(&Limits::default(), 3);
    /// let mut de = serde_json::Deserializer::from_str("[1]");
    /// assert_eq!(Vec::<u8>::deserialize(guard.deserializer(&mut de)).unwrap(), [1]);
    /// ```
    pub fn of(limits: &Limits, input_len: usize) -> Self {
        let elements_max = (input_len as u64).saturating_add(limits.zero_size_allowance);
        Guard {
            depth_left: Cell::new(limits.max_depth),
            elements_left: Cell::new(elements_max),
            elements_max,
            limits: *limits,
            exceeded: Cell::new(None),
            marker: PhantomData,
        }
    }

    /// Wraps a deserializer so that everything decoded through it is bounded.
    pub fn deserializer<'g, D>(&'g self, inner: D) -> Guarded<'g, D, M> {
        Guarded { inner, guard: self }
    }

    /// Wraps a seed so that what it decodes is bounded.
    pub fn seed<'g, S>(&'g self, inner: S) -> GuardedSeed<'g, S, M> {
        GuardedSeed { inner, guard: self }
    }

    /// The limit that stopped decoding, if one did, as an error kind.
    pub fn exceeded(&self) -> Option<ErrorKind> {
        self.exceeded.get().map(|limit| {
            limit.exceeded(match limit {
                Limit::Depth => self.limits.max_depth.into(),
                Limit::Size => self.limits.max_size,
                Limit::Elements => self.elements_max,
            })
        })
    }

    fn fail<E: de::Error>(&self, limit: Limit) -> E {
        self.exceeded.set(Some(limit));
        E::custom(format_args!("{limit} limit exceeded"))
    }

    #[inline(always)]
    fn nested<E: de::Error, R>(&self, f: impl FnOnce() -> Result<R, E>) -> Result<R, E> {
        let left = self.depth_left.get();
        if left == 0 {
            return Err(self.fail(Limit::Depth));
        }
        self.depth_left.set(left - 1);
        let result = f();
        self.depth_left.set(left);
        result
    }

    /// Takes `claimed` elements from the budget before a sequence or map whose length came from
    /// the input is read: one check per container, nothing per element. Self-describing formats
    /// claim nothing (`None`); they spend at least one input byte per element anyway.
    #[inline(always)]
    fn claim<E: de::Error>(&self, claimed: Option<usize>) -> Result<(), E> {
        let Some(claimed) = claimed else {
            return Ok(());
        };
        match self.elements_left.get().checked_sub(claimed as u64) {
            Some(left) => {
                self.elements_left.set(left);
                Ok(())
            }
            None => Err(self.fail(Limit::Elements)),
        }
    }
}

/// A deserializer bounded by a [`Guard`].
#[derive(Debug)]
pub struct Guarded<'g, D, M: ?Sized = ()> {
    inner: D,
    guard: &'g Guard<M>,
}

/// A seed bounded by a [`Guard`].
#[derive(Debug)]
pub struct GuardedSeed<'g, S, M: ?Sized = ()> {
    inner: S,
    guard: &'g Guard<M>,
}

struct GuardedVisitor<'g, V, M: ?Sized> {
    inner: V,
    guard: &'g Guard<M>,
    /// Whether the length this visitor sees was read from the input (sequences and maps) and
    /// must be paid for. Tuples, structs and variants have lengths fixed by the type.
    claims: bool,
}

struct GuardedAccess<'g, A, M: ?Sized> {
    inner: A,
    guard: &'g Guard<M>,
}

impl<'de, S: DeserializeSeed<'de>, M: ?Sized> DeserializeSeed<'de> for GuardedSeed<'_, S, M> {
    type Value = S::Value;

    #[inline(always)]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.inner
            .deserialize(self.guard.deserializer(deserializer))
    }
}

macro_rules! forward_deserialize {
    (claims: $claims:literal; $($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline(always)]
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let visitor = GuardedVisitor { inner: visitor, guard: self.guard, claims: $claims };
            self.inner.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>, M: ?Sized> Deserializer<'de> for Guarded<'_, D, M> {
    type Error = D::Error;

    forward_deserialize! {
        claims: true;
        deserialize_any();
        deserialize_seq();
        deserialize_map();
    }

    forward_deserialize! {
        claims: false;
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_bytes();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    /// Read as `str`: a format decoding from a slice then checks the claimed length against the
    /// bytes really there before anything is allocated. (bincode's `deserialize_string`
    /// allocates the claimed length first: 2^60 bytes for a forged 9-byte body.) Visitors of
    /// owned strings accept `visit_str` and `visit_borrowed_str`.
    #[inline(always)]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_str(visitor)
    }

    /// Read as bytes, for the same reason as [`deserialize_string`](Self::deserialize_string).
    #[inline(always)]
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_bytes(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        #[inline(always)]
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>, M: ?Sized> Visitor<'de> for GuardedVisitor<'_, V, M> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    #[inline(always)]
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    #[inline(always)]
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    #[inline(always)]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let guard = self.guard;
        guard.nested(|| self.inner.visit_some(guard.deserializer(d)))
    }

    #[inline(always)]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let guard = self.guard;
        guard.nested(|| self.inner.visit_newtype_struct(guard.deserializer(d)))
    }

    #[inline(always)]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let guard = self.guard;
        if self.claims {
            guard.claim(seq.size_hint())?;
        }
        guard.nested(|| self.inner.visit_seq(GuardedAccess { inner: seq, guard }))
    }

    #[inline(always)]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let guard = self.guard;
        if self.claims {
            guard.claim(map.size_hint())?;
        }
        guard.nested(|| self.inner.visit_map(GuardedAccess { inner: map, guard }))
    }

    #[inline(always)]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let guard = self.guard;
        guard.nested(|| self.inner.visit_enum(GuardedAccess { inner: data, guard }))
    }
}

impl<'de, A: SeqAccess<'de>, M: ?Sized> SeqAccess<'de> for GuardedAccess<'_, A, M> {
    type Error = A::Error;

    #[inline(always)]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.inner.next_element_seed(self.guard.seed(seed))
    }

    #[inline(always)]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>, M: ?Sized> MapAccess<'de> for GuardedAccess<'_, A, M> {
    type Error = A::Error;

    #[inline(always)]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.inner.next_key_seed(self.guard.seed(seed))
    }

    #[inline(always)]
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.next_value_seed(self.guard.seed(seed))
    }

    #[inline(always)]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'g, 'de, A: EnumAccess<'de>, M: ?Sized> EnumAccess<'de> for GuardedAccess<'g, A, M> {
    type Error = A::Error;
    type Variant = GuardedAccess<'g, A::Variant, M>;

    #[inline(always)]
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Self::Error> {
        let guard = self.guard;
        let (value, variant) = self.inner.variant_seed(guard.seed(seed))?;
        Ok((
            value,
            GuardedAccess {
                inner: variant,
                guard,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>, M: ?Sized> VariantAccess<'de> for GuardedAccess<'_, A, M> {
    type Error = A::Error;

    #[inline(always)]
    fn unit_variant(self) -> Result<(), Self::Error> {
        self.inner.unit_variant()
    }

    #[inline(always)]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.inner.newtype_variant_seed(self.guard.seed(seed))
    }

    #[inline(always)]
    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let guard = self.guard;
        self.inner.tuple_variant(
            len,
            GuardedVisitor {
                inner: visitor,
                guard,
                claims: false,
            },
        )
    }

    #[inline(always)]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let guard = self.guard;
        self.inner.struct_variant(
            fields,
            GuardedVisitor {
                inner: visitor,
                guard,
                claims: false,
            },
        )
    }
}
