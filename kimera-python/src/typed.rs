//! The typed bridge: Rust values of handled types to and from the Python library's values.
//!
//! Writing is a serde `Serializer` that writes the wire text as it goes, guided by the type's
//! schema where the Python side has a handler serde does not (dates, tuples); reading is a
//! serde `Deserializer` straight over the text where it is as the Python library writes it
//! (`in_place.rs`), and otherwise one over the [`Value`] the text holds (`de.rs`).

use std::borrow::Cow;
use std::collections::HashSet;

use kimera_core::envelope::data_error;
use kimera_core::{
    EnumRepr, Error, ErrorKind, Fields, KimeraHandler, Limits, Result, Schema, Shape,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Out, Value};

mod de;
mod in_place;
mod key;
mod ser;

/// Writes `value` as the Python library's wire text: structs and maps as dicts keyed by the
/// names serde writes, sequences as lists, tuples as tuples, `None` and `()` as None, and the
/// fields the type's schema says are `NaiveDateTime` or `NaiveDate` with the date handlers.
///
/// ```
/// use chrono::NaiveDate;
/// use kimera::Kimera;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
/// struct Member { name: String, joined: NaiveDate, scores: (u8, u8) }
///
/// let member = Member {
///     name: "Ada".into(),
///     joined: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
///     scores: (7, 9),
/// };
/// let wire = kimera::python::to_string(&member)?;
/// assert!(wire.ends_with(r#""serializer": "DictSerializerHandler"}"#));
/// let back: Member = kimera::python::from_str(&wire)?;
/// assert_eq!(back, member);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if `T`'s `Serialize` implementation fails ([`ErrorKind::Encode`]), if
/// the value holds what the Python format cannot (an integer beyond the 64-bit signed range, a
/// map that writes one key twice, a date or datetime [`Value::to_wire`] refuses: a [`WireError`]
/// saying where), or if its text would nest deeper or be longer than the default [`Limits`]
/// allow ([`ErrorKind::LimitExceeded`]).
///
/// [`ErrorKind::Encode`]: kimera_core::ErrorKind::Encode
/// [`ErrorKind::LimitExceeded`]: kimera_core::ErrorKind::LimitExceeded
/// [`Limits`]: kimera_core::Limits
/// [`WireError`]: crate::WireError
pub fn to_string<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> Result<String> {
    let limits = &Limits::DEFAULT;
    let mut out = Out::new(limits.max_size);
    let writer = ser::Writer::new(&mut out, T::SCHEMA, limits);
    value.serialize(writer).map_err(|err| match err {
        ser::Failure::Wire(err) => err,
        ser::Failure::Custom(message) => Error::from(ErrorKind::Encode {
            type_name: std::any::type_name::<T>().to_owned(),
            path: ".".to_owned(),
            message,
        }),
    })?;
    out.finish()
}

/// Reads a `T` from the Python library's wire text, as [`to_string`] writes it (or as
/// the Python side writes the same shapes).
///
/// ```
/// use std::collections::BTreeMap;
///
/// // Floats keep NaN and infinities; tuple keys are written as their text and read back.
/// let map = BTreeMap::from([((1, 'a'), f64::INFINITY)]);
/// let wire = kimera::python::to_string(&map)?;
/// let back: BTreeMap<(i32, char), f64> = kimera::python::from_str(&wire)?;
/// assert_eq!(back, map);
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`Value::from_wire`] can, and if the value is not a valid `T`
/// ([`ErrorKind::Data`], with the field path).
///
/// [`ErrorKind::Data`]: kimera_core::ErrorKind::Data
pub fn from_str<T: KimeraHandler + DeserializeOwned>(wire: &str) -> Result<T> {
    // Text as the Python library writes it, read in place; any other (and every error) through
    // the value model, which says what is wrong and where.
    match in_place::read(wire, &Limits::DEFAULT) {
        Some(value) => Ok(value),
        None => through_value(wire),
    }
}

/// [`from_str`] through the value model.
fn through_value<T: KimeraHandler + DeserializeOwned>(wire: &str) -> Result<T> {
    let value = Value::from_wire(wire)?;
    serde_path_to_error::deserialize::<_, T>(de::Reader(&value))
        .map_err(|err| data_error::<T>(err.path(), err.inner()).into())
}

/// What guides the writing of a value: its schema, the fields of a struct or variant, or
/// nothing (below a shape the schema walk does not follow, every value is written by its serde
/// shape alone).
#[derive(Clone, Copy)]
enum Guide {
    Plain,
    Schema(&'static Schema),
    Fields(&'static Fields),
}

impl Guide {
    /// The guide with the forms that change nothing on the wire looked through: names, foreign
    /// types' readable form, options (`None` is None whatever the schema), transparent and
    /// newtype structs. Bounded, for a type whose schema only refers to itself.
    fn resolved(self) -> Guide {
        let mut guide = self;
        for _ in 0..64 {
            guide = match guide {
                Guide::Schema(Schema::Named(r)) => Guide::Schema((r.definition)()),
                Guide::Schema(Schema::Foreign(f)) => Guide::Schema(f.readable),
                Guide::Schema(Schema::Option(inner)) => Guide::Schema(inner),
                Guide::Schema(Schema::Type(def)) => match &def.shape {
                    Shape::Transparent(inner) => Guide::Schema(inner),
                    Shape::Struct(fields) => Guide::Fields(fields),
                    _ => return guide,
                },
                Guide::Fields(Fields::Newtype(inner)) => Guide::Schema(inner),
                _ => return guide,
            };
        }
        Guide::Plain
    }

    /// The guides of a sequence's items, and whether it is a tuple, for `len` items if known.
    fn items(self, len: Option<usize>) -> (Items, bool) {
        match self.resolved() {
            Guide::Schema(Schema::List(item) | Schema::Set(item) | Schema::Array(item, _)) => {
                (Items::Same(item), false)
            }
            Guide::Schema(Schema::Tuple(schemas)) | Guide::Fields(Fields::Tuple(schemas))
                if len == Some(schemas.len()) =>
            {
                (Items::Each(schemas), true)
            }
            _ => (Items::Plain, false),
        }
    }

    /// The guide of the value under `key`, the `index`th entry, in a map or struct (a struct's
    /// fields come in their order, so the `index`th is looked at first).
    fn entry(self, key: &str, index: usize) -> Guide {
        match self.resolved() {
            Guide::Schema(Schema::Map(_, value)) => Guide::Schema(value),
            Guide::Fields(Fields::Named(fields)) => fields
                .get(index)
                // The same text, usually the same constant: compared by address first.
                .filter(|f| std::ptr::eq(f.name, key) || f.name == key)
                .or_else(|| fields.iter().find(|f| f.name == key))
                .map_or(Guide::Plain, |f| Guide::Schema(f.schema)),
            _ => Guide::Plain,
        }
    }

    /// The guide of an enum variant's content.
    fn variant(self, name: &str) -> Guide {
        match self.resolved() {
            Guide::Schema(Schema::Type(def)) => match &def.shape {
                Shape::Enum {
                    repr: EnumRepr::External,
                    variants,
                } => variants
                    .iter()
                    .find(|v| v.name == name)
                    .map_or(Guide::Plain, |v| Guide::Fields(&v.fields)),
                _ => Guide::Plain,
            },
            _ => Guide::Plain,
        }
    }
}

/// The guides of a sequence's items.
#[derive(Clone, Copy)]
enum Items {
    Plain,
    Same(&'static Schema),
    Each(&'static [&'static Schema]),
}

impl Items {
    fn at(self, i: usize) -> Guide {
        match self {
            Items::Plain => Guide::Plain,
            Items::Same(schema) => Guide::Schema(schema),
            Items::Each(schemas) => schemas.get(i).map_or(Guide::Plain, |s| Guide::Schema(s)),
        }
    }
}

/// The keys of a dict written or read, to find one that is there twice.
#[derive(Default)]
struct Keys<'k> {
    /// Searched while there are few, each beside its [`fingerprint`] (compared first).
    few: Vec<(u64, Cow<'k, str>)>,
    many: HashSet<Cow<'k, str>>,
}

/// A key's first bytes and length in one word, a filter: equal keys have equal fingerprints.
fn fingerprint(key: &str) -> u64 {
    let mut word = [0u8; 8];
    let start = key.len().min(7);
    word[..start].copy_from_slice(&key.as_bytes()[..start]);
    word[7] = key.len() as u8;
    u64::from_le_bytes(word)
}

impl<'k> Keys<'k> {
    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }

    /// Adds `key`; `false` if it was there.
    fn insert(&mut self, key: Cow<'k, str>) -> bool {
        const SEARCHED: usize = 16;
        if self.few.len() < SEARCHED {
            let print = fingerprint(&key);
            if self.few.iter().any(|(p, k)| *p == print && *k == key) {
                return false;
            }
            self.few.push((print, key));
            return true;
        }
        if self.many.is_empty() {
            self.many.extend(self.few.iter().map(|(_, k)| k.clone()));
        }
        self.many.insert(key)
    }
}
