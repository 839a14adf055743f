//! Field paths for formats that do not write field names.
//!
//! A non-self-describing format (bincode) reads a struct as a sequence, so `serde_path_to_error`
//! can only say "element 1 of element 0". The schema knows which field each position is: walking
//! the path through it turns `[0][1][1]` into `lines[1].on`.
//!
//! Formats find the path on the error path only: the fast decode fails, then [`decode_path`]
//! (or [`encode_path`]) runs it again with `serde_path_to_error` tracking where it stops.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_path_to_error::{Path, Segment, Track};

use crate::schema::{Fields, Schema, Shape, TypeDef};

/// `path` with the positions of struct fields and enum variants replaced by their names, as
/// serde writes them. Positions the schema cannot explain are kept as they are.
///
/// ```
/// use kimera_core::path::field_path;
/// use kimera_core::KimeraHandler;
/// use serde::Deserialize;
///
/// // A vector of pairs read from a sequence-only format; the error is in element 1, field 1.
/// let json = "[[1, true], [2, 3]]";
/// let mut de = serde_json::Deserializer::from_str(json);
/// let err = serde_path_to_error::deserialize::<_, Vec<(u8, bool)>>(&mut de).unwrap_err();
/// assert_eq!(field_path(<Vec<(u8, bool)>>::SCHEMA, err.path()), "[1][1]");
/// ```
pub fn field_path(schema: &'static Schema, path: &Path) -> String {
    let mut out = String::new();
    let mut at = At::Schema(schema);
    for segment in path {
        at = step(at.resolve(), segment, &mut out);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Error path only: runs `decode` again with a seed that decodes a `T` and records where it
/// fails, and returns that path (empty, shown as `.`, if this time it did not fail).
///
/// ```
/// use kimera_core::path::decode_path;
/// use serde::de::DeserializeSeed;
///
/// let mut de = serde_json::Deserializer::from_str(r#"{"a": [1, "x"]}"#);
/// let path = decode_path::<std::collections::BTreeMap<String, Vec<u8>>>(|seed| {
///     let _ = seed.deserialize(&mut de);
/// });
/// assert_eq!(path.to_string(), "a[1]");
/// ```
pub fn decode_path<'de, T: Deserialize<'de>>(decode: impl FnOnce(PathSeed<'_, T>)) -> Path {
    let path = RefCell::new(None);
    decode(PathSeed::new(&path));
    path.into_inner().unwrap_or_else(|| Track::new().path())
}

/// Decodes a `T` through `serde_path_to_error`, recording where it fails; for a format whose
/// decoder takes a seed inside its own (an envelope's value). [`decode_path`] is the usual way.
///
/// ```
/// use std::cell::RefCell;
/// use kimera_core::path::PathSeed;
/// use serde::de::DeserializeSeed;
///
/// let path = RefCell::new(None);
/// let mut de = serde_json::Deserializer::from_str("[true, 2]");
/// assert!(PathSeed::<(bool, bool)>::new(&path).deserialize(&mut de).is_err());
/// assert_eq!(path.into_inner().unwrap().to_string(), "[1]");
/// ```
pub struct PathSeed<'a, T> {
    path: &'a RefCell<Option<Path>>,
    marker: PhantomData<fn() -> T>,
}

impl<'a, T> PathSeed<'a, T> {
    /// A seed that stores the path of a failure in `path`.
    pub fn new(path: &'a RefCell<Option<Path>>) -> Self {
        PathSeed {
            path,
            marker: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for PathSeed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            *self.path.borrow_mut() = Some(err.path().clone());
            err.into_inner()
        })
    }
}

/// Error path only: runs `encode` again over `value`, wrapped to record where serializing it
/// fails, and returns that path (empty, shown as `.`, if this time it did not fail).
///
/// ```
/// use std::collections::BTreeMap;
/// use kimera_core::path::encode_path;
/// use serde::Serialize;
///
/// // JSON keys are strings: a map keyed by pairs does not serialize.
/// let value = (1u8, BTreeMap::from([((0u8, 0u8), true)]));
/// assert!(serde_json::to_value(&value).is_err());
/// let path = encode_path(&value, |tracked| {
///     let _ = tracked.serialize(serde_json::value::Serializer);
/// });
/// assert_eq!(path.to_string(), "[1]");
/// ```
pub fn encode_path<T: Serialize + ?Sized>(value: &T, encode: impl FnOnce(&Tracked<'_, T>)) -> Path {
    let tracked = Tracked {
        value,
        track: RefCell::new(Track::new()),
    };
    encode(&tracked);
    tracked.track.into_inner().path()
}

/// A value that serializes through `serde_path_to_error`, for [`encode_path`].
pub struct Tracked<'a, T: ?Sized> {
    value: &'a T,
    track: RefCell<Track>,
}

impl<T: Serialize + ?Sized> Serialize for Tracked<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut track = self.track.borrow_mut();
        self.value
            .serialize(serde_path_to_error::Serializer::new(serializer, &mut track))
    }
}

/// Where the walk is in the schema.
#[derive(Clone, Copy)]
enum At {
    Schema(&'static Schema),
    /// The fields of an enum variant.
    Fields(&'static Fields),
    /// Somewhere the schema does not describe.
    Lost,
}

impl At {
    /// Steps through what adds no path segment: references, options, newtypes, transparent types.
    fn resolve(self) -> At {
        let At::Schema(mut schema) = self else {
            return self;
        };
        // Bounded: a newtype of itself (`struct A(Box<A>)`) would otherwise loop.
        for _ in 0..64 {
            schema = match schema {
                Schema::Named(r) => (r.definition)(),
                // Paths are computed for compact formats, which get a foreign type's compact shape.
                Schema::Foreign(f) => f.compact,
                Schema::Option(inner) => inner,
                Schema::Type(TypeDef {
                    shape: Shape::Transparent(inner),
                    ..
                })
                | Schema::Type(TypeDef {
                    shape: Shape::Struct(Fields::Newtype(inner)),
                    ..
                }) => inner,
                _ => return At::Schema(schema),
            };
        }
        At::Lost
    }
}

fn step(at: At, segment: &Segment, out: &mut String) -> At {
    match segment {
        Segment::Seq { index } => match fields_of(at) {
            Some(Fields::Named(fields)) if *index < fields.len() => {
                push_name(out, fields[*index].name);
                At::Schema(fields[*index].schema)
            }
            Some(Fields::Tuple(items)) if *index < items.len() => {
                let _ = write!(out, "[{index}]");
                At::Schema(items[*index])
            }
            _ => {
                let _ = write!(out, "[{index}]");
                match at {
                    At::Schema(Schema::List(item) | Schema::Set(item) | Schema::Array(item, _)) => {
                        At::Schema(item)
                    }
                    At::Schema(Schema::Tuple(items)) => {
                        items.get(*index).map_or(At::Lost, |s| At::Schema(s))
                    }
                    _ => At::Lost,
                }
            }
        },
        Segment::Map { key } => {
            push_name(out, key);
            match (at, fields_of(at)) {
                (At::Schema(Schema::Map(_, value)), _) => At::Schema(value),
                (_, Some(Fields::Named(fields))) => fields
                    .iter()
                    .find(|f| f.name == key)
                    .map_or(At::Lost, |f| At::Schema(f.schema)),
                _ => At::Lost,
            }
        }
        Segment::Enum { variant } => {
            let At::Schema(Schema::Type(TypeDef {
                shape: Shape::Enum { variants, .. },
                ..
            })) = at
            else {
                push_name(out, variant);
                return At::Lost;
            };
            // Self-describing formats give the name, bincode the index.
            let found = variants
                .iter()
                .find(|v| v.name == variant)
                .or_else(|| variant.parse::<usize>().ok().and_then(|i| variants.get(i)));
            match found {
                Some(v) => {
                    push_name(out, v.name);
                    match &v.fields {
                        Fields::Newtype(inner) => At::Schema(inner),
                        fields => At::Fields(fields),
                    }
                }
                None => {
                    push_name(out, variant);
                    At::Lost
                }
            }
        }
        Segment::Unknown => {
            push_name(out, "?");
            At::Lost
        }
    }
}

/// The fields a sequence position or map key selects in, if `at` is a struct or a variant.
fn fields_of(at: At) -> Option<&'static Fields> {
    match at {
        At::Fields(fields) => Some(fields),
        At::Schema(Schema::Type(TypeDef {
            shape: Shape::Struct(fields) | Shape::TaggedStruct { fields, .. },
            ..
        })) => Some(fields),
        _ => None,
    }
}

fn push_name(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(name);
}
