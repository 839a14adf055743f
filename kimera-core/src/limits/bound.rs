//! [`DecodeBound`]: what a type's schema proves about the cost of decoding one of its values
//! from a binary body, so that a backend can skip the [`Guard`](super::Guard) where it could
//! never step in.
//!
//! The guard bounds what bincode does not: nesting (a recursive type nested a million times
//! overflows the stack), element counts (a sequence of zero-sized elements claiming 2^60 of
//! them costs no input and runs for ever), and owned strings and byte buffers (bincode
//! allocates them at their claimed length before reading them; the guard has them read
//! borrowed). A schema without recursion, without sequences or maps of zero-byte elements and
//! without strings or byte strings bounds all three itself: its depth is fixed by the type,
//! every element a forged length claims must be paid for with input bytes, so the input runs
//! out first, and nothing is allocated at a length the input claims beyond serde's cautious
//! preallocation of sequences (at most 1 MiB each).

use crate::schema::{EnumRepr, Fields, Schema, Shape};

/// What decoding one value of a schema from a binary body can cost, when its schema bounds it
/// (see [`KimeraHandler::DECODE_BOUND`](crate::KimeraHandler::DECODE_BOUND)).
///
/// ```
/// use kimera::schema::DecodeBound;
/// use kimera::KimeraHandler;
///
/// // A list of pairs of floats: two levels at most, and no element costs zero bytes.
/// let bound = <Vec<(f32, f32)>>::DECODE_BOUND.unwrap();
/// assert!(bound.depth >= 2);
/// // A list of `()` can claim any number of elements for no input at all.
/// assert_eq!(<Vec<()>>::DECODE_BOUND, None);
/// // bincode allocates an owned string at its claimed length.
/// assert_eq!(String::DECODE_BOUND, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeBound {
    /// Nesting a value can reach, at least as deep as the guard counts it (sequences, maps,
    /// structs, enums, options and newtypes).
    pub depth: u32,
    /// The fewest bytes a value takes in a body (saturating).
    pub min_bytes: u64,
    /// Sequences and maps nested in each other, at most: a forged length at each of them costs
    /// serde's cautious preallocation (at most about 1 MiB for a `Vec`, 4 MiB for a hash set)
    /// before the input runs out.
    pub sequences: u32,
}

impl DecodeBound {
    /// A value that takes at least one byte and nests one level at most.
    const LEAF: DecodeBound = DecodeBound::new(1, 1);
    /// Nothing: the start of a sequence of fields.
    const NONE: DecodeBound = DecodeBound::new(0, 0);

    /// A bound of `depth` levels and `min_bytes` bytes, with no sequence.
    pub const fn new(depth: u32, min_bytes: u64) -> DecodeBound {
        DecodeBound {
            depth,
            min_bytes,
            sequences: 0,
        }
    }

    /// These bounds with `sequences` nested sequences and maps.
    #[must_use]
    pub const fn with_sequences(mut self, sequences: u32) -> DecodeBound {
        self.sequences = sequences;
        self
    }

    /// One level around `self`, taking `min_bytes`.
    const fn around(self, min_bytes: u64) -> DecodeBound {
        DecodeBound::new(self.depth + 1, min_bytes).with_sequences(self.sequences)
    }

    /// A sequence or map of `self` (a length and its elements).
    const fn sequence(self) -> DecodeBound {
        DecodeBound::new(self.depth + 1, 1).with_sequences(self.sequences + 1)
    }

    /// `self` followed by `next`: the deeper of the two, and both their bytes.
    const fn then(self, next: DecodeBound) -> DecodeBound {
        DecodeBound::new(
            max(self.depth, next.depth),
            self.min_bytes.saturating_add(next.min_bytes),
        )
        .with_sequences(max(self.sequences, next.sequences))
    }

    /// `self` or `other`: the deeper of the two, and the fewer bytes.
    const fn or(self, other: DecodeBound) -> DecodeBound {
        DecodeBound::new(
            max(self.depth, other.depth),
            match self.min_bytes < other.min_bytes {
                true => self.min_bytes,
                false => other.min_bytes,
            },
        )
        .with_sequences(max(self.sequences, other.sequences))
    }
}

const fn max(a: u32, b: u32) -> u32 {
    match a > b {
        true => a,
        false => b,
    }
}

/// Schema nodes walked before giving up (a schema that large gets the guard).
const FUEL: u32 = 20_000;
/// Deepest bound given; anything deeper gets the guard.
const MAX_DEPTH: u32 = 1024;

impl Schema {
    /// What decoding a value of this schema from a binary body can cost, if the schema bounds
    /// it; `None` if it may not, or if this cannot see it. With `nested` empty, the children are
    /// walked, and a [`Schema::Named`] reference (the only way a schema recurses) is `None`;
    /// otherwise `nested` holds one bound per child, in the order of
    /// [`fingerprint_with`](Self::fingerprint_with), and handlers pass their children's
    /// [`DECODE_BOUND`](crate::KimeraHandler::DECODE_BOUND)s.
    ///
    /// `None` also for strings and byte strings, `Any`, opaque schemas, and shapes only a
    /// self-describing format reads.
    ///
    /// ```
    /// use kimera::Schema;
    ///
    /// assert!(Schema::List(&Schema::U8).decode_bound_with(&[]).is_some());
    /// assert!(Schema::List(&Schema::Unit).decode_bound_with(&[]).is_none());
    /// ```
    ///
    /// # Panics
    ///
    /// When `nested` is neither empty nor one bound per child (at compile time, in a `const`).
    pub const fn decode_bound_with(&self, nested: &[Option<DecodeBound>]) -> Option<DecodeBound> {
        let mut children = Children {
            given: nested,
            next: 0,
            fuel: FUEL,
        };
        let bound = children.of(self);
        assert!(
            nested.is_empty() || children.next == nested.len(),
            "decode_bound_with: one nested bound per child schema"
        );
        bound
    }
}

/// The children of the schema being bounded: given, or walked.
struct Children<'a> {
    given: &'a [Option<DecodeBound>],
    next: usize,
    fuel: u32,
}

impl Children<'_> {
    const fn child(&mut self, schema: &Schema) -> Option<DecodeBound> {
        if self.given.is_empty() {
            return self.of(schema);
        }
        assert!(
            self.next < self.given.len(),
            "decode_bound_with: one nested bound per child schema"
        );
        self.next += 1;
        self.given[self.next - 1]
    }

    const fn of(&mut self, schema: &Schema) -> Option<DecodeBound> {
        if self.fuel == 0 {
            return None;
        }
        self.fuel -= 1;
        let bound = match *schema {
            Schema::Unit => DecodeBound::new(1, 0),
            Schema::Bool
            | Schema::I8
            | Schema::I16
            | Schema::I32
            | Schema::I64
            | Schema::I128
            | Schema::U8
            | Schema::U16
            | Schema::U32
            | Schema::U64
            | Schema::U128
            | Schema::F32
            | Schema::F64
            | Schema::Char
            // chrono reads these as borrowed strings: checked against the input, not allocated.
            | Schema::Date
            | Schema::Time
            | Schema::DateTime
            | Schema::DateTimeUtc
            | Schema::DateTimeOffset
            | Schema::TimeDelta
            | Schema::Duration => DecodeBound::LEAF,
            // Integers or tuples of integers (`kimera::compact`), whatever the child says.
            Schema::Compact(inner) => {
                let _ = self.child(inner);
                DecodeBound::LEAF
            }
            Schema::Option(item) => match self.child(item) {
                // The tag takes a byte.
                Some(item) => item.around(1),
                None => return None,
            },
            Schema::List(item) | Schema::Set(item) => match self.child(item) {
                Some(item) if item.min_bytes > 0 => item.sequence(),
                _ => return None,
            },
            Schema::Map(key, value) => match (self.child(key), self.child(value)) {
                (Some(key), Some(value)) if key.then(value).min_bytes > 0 => {
                    key.or(value).sequence()
                }
                _ => return None,
            },
            Schema::Tuple(items) => match self.all(items) {
                Some(items) => items.around(items.min_bytes),
                None => return None,
            },
            Schema::Array(item, len) => match self.child(item) {
                Some(item) => item.around(item.min_bytes.saturating_mul(len as u64)),
                None => return None,
            },
            Schema::Type(def) => match def.shape {
                Shape::Struct(fields) => match self.fields(&fields) {
                    Some(fields) => fields.around(fields.min_bytes),
                    None => return None,
                },
                Shape::Transparent(inner) => match self.child(inner) {
                    Some(inner) => inner.around(inner.min_bytes),
                    None => return None,
                },
                // Read through `deserialize_any`, not by a binary backend; its fields are
                // still visited, so that given bounds stay in step.
                Shape::TaggedStruct { fields, .. } => {
                    let _ = self.fields(&fields);
                    return None;
                }
                Shape::Enum { repr, variants } => {
                    // The variant's index takes a byte whatever the variant holds.
                    let mut deepest = DecodeBound::new(0, 1);
                    let mut bounded = matches!(repr, EnumRepr::External);
                    let mut i = 0;
                    while i < variants.len() {
                        match (variants[i].untagged, self.fields(&variants[i].fields)) {
                            (false, Some(fields)) => deepest = deepest.or(fields.around(0)),
                            _ => bounded = false,
                        }
                        i += 1;
                    }
                    match bounded {
                        true => deepest.around(1),
                        false => return None,
                    }
                }
            },
            Schema::Foreign(foreign) => {
                let _ = self.child(foreign.readable);
                match self.child(foreign.compact) {
                    Some(compact) => compact.around(compact.min_bytes),
                    None => return None,
                }
            }
            // Owned strings and byte buffers, which bincode allocates at their claimed length
            // before reading them (the guard reads them borrowed); recursion (only a reference
            // recurses); and what cannot be seen into.
            _ => return None,
        };
        match bound.depth <= MAX_DEPTH {
            true => Some(bound),
            false => None,
        }
    }

    /// A struct's or a variant's fields, one after the other.
    const fn fields(&mut self, fields: &Fields) -> Option<DecodeBound> {
        match *fields {
            Fields::Unit => Some(DecodeBound::NONE),
            Fields::Newtype(inner) => self.child(inner),
            Fields::Tuple(items) => self.all(items),
            Fields::Named(fields) => {
                let mut total = DecodeBound::NONE;
                // Every child is visited, so that given bounds stay in step.
                let mut bounded = true;
                let mut i = 0;
                while i < fields.len() {
                    let attrs = &fields[i].attrs;
                    match self.child(fields[i].schema) {
                        Some(field) if !attrs.flatten && !attrs.skip_if => {
                            total = total.then(field)
                        }
                        _ => bounded = false,
                    }
                    i += 1;
                }
                match bounded {
                    true => Some(total),
                    false => None,
                }
            }
        }
    }

    const fn all(&mut self, items: &[&Schema]) -> Option<DecodeBound> {
        let mut total = DecodeBound::NONE;
        let mut bounded = true;
        let mut i = 0;
        while i < items.len() {
            match self.child(items[i]) {
                Some(item) => total = total.then(item),
                None => bounded = false,
            }
            i += 1;
        }
        match bounded {
            true => Some(total),
            false => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::DecodeBound;
    use crate::{KimeraHandler, Schema};

    fn depth<T: KimeraHandler + ?Sized>() -> Option<u32> {
        T::DECODE_BOUND.map(|bound| bound.depth)
    }

    #[test]
    fn fixed_shapes_are_bounded_and_nest_as_deep_as_they_look() {
        assert_eq!(u64::DECODE_BOUND, Some(DecodeBound::new(1, 1)));
        assert_eq!(f64::DECODE_BOUND, Some(DecodeBound::new(1, 1)));
        assert_eq!(depth::<Vec<u8>>(), Some(2));
        assert_eq!(depth::<Option<Vec<(u8, f32)>>>(), Some(4));
        assert_eq!(depth::<BTreeMap<u32, Vec<i64>>>(), Some(3));
        let sequences = |bound: Option<DecodeBound>| bound.map(|bound| bound.sequences);
        assert_eq!(sequences(u8::DECODE_BOUND), Some(0));
        assert_eq!(sequences(<BTreeMap<u32, Vec<i64>>>::DECODE_BOUND), Some(2));
        assert_eq!(
            sequences(<(Vec<u8>, Option<Vec<Vec<u8>>>)>::DECODE_BOUND),
            Some(2)
        );
        // Pointers and wrappers are their content.
        assert_eq!(<Box<Vec<u8>>>::DECODE_BOUND, <Vec<u8>>::DECODE_BOUND);
        // A fixed number of zero-sized values claims nothing from the input.
        assert!(<[(); 4]>::DECODE_BOUND.is_some());
        assert!(<((), u8)>::DECODE_BOUND.is_some());
    }

    #[test]
    fn what_the_guard_must_bound_is_unbounded() {
        // Elements that take no bytes: a forged length costs no input.
        assert_eq!(<Vec<()>>::DECODE_BOUND, None);
        assert_eq!(<Vec<[u8; 0]>>::DECODE_BOUND, None);
        assert_eq!(<Vec<((), ())>>::DECODE_BOUND, None);
        assert_eq!(<HashMap<(), ()>>::DECODE_BOUND, None);
        // A map entry costs its key's bytes or its value's.
        assert!(<HashMap<(), u8>>::DECODE_BOUND.is_some());
        assert!(<HashMap<u8, ()>>::DECODE_BOUND.is_some());
        // bincode allocates owned strings and byte buffers at their claimed length.
        assert_eq!(String::DECODE_BOUND, None);
        assert_eq!(<Vec<(u8, String)>>::DECODE_BOUND, None);
        // And what this does not see into.
        assert_eq!(Schema::Any.decode_bound_with(&[]), None);
        assert_eq!(Schema::Opaque("with").decode_bound_with(&[]), None);
    }

    #[test]
    fn given_children_stand_for_the_walk() {
        let list = Schema::List(&Schema::U8);
        assert_eq!(
            list.decode_bound_with(&[Some(DecodeBound::new(7, 1))]),
            Some(DecodeBound::new(8, 1).with_sequences(1))
        );
        assert_eq!(list.decode_bound_with(&[None]), None);
        assert_eq!(
            list.decode_bound_with(&[Some(DecodeBound::new(1, 0))]),
            None
        );
    }

    #[test]
    #[should_panic(expected = "one nested bound per child schema")]
    fn a_wrong_number_of_children_is_refused() {
        let pair = Schema::Tuple(&[&Schema::U8, &Schema::U8]);
        let _ = pair.decode_bound_with(&[Some(DecodeBound::new(1, 1))]);
    }

    #[test]
    fn schemas_deeper_than_the_walk_follows_are_unbounded() {
        type Deep = Option<Option<Option<Option<Option<Option<Option<Option<u8>>>>>>>>;
        assert_eq!(depth::<Deep>(), Some(9));
        let mut schema: &'static Schema = &Schema::U8;
        for _ in 0..super::MAX_DEPTH + 1 {
            schema = Box::leak(Box::new(Schema::Option(schema)));
        }
        assert_eq!(schema.decode_bound_with(&[]), None);
    }
}
