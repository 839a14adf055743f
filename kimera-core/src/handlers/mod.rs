//! Built-in handlers for the standard type families.
//!
//! | family | Rust types | type name |
//! |---|---|---|
//! | text | `String`, `str`, `Box<str>`, `Cow<str>`, `&str` | `str` |
//! | scalars | `bool`, `char`, all integers, `f32`, `f64`, `()` | `bool`, `char`, `i8` … `u128`, `f32`, `f64`, `unit` |
//! | options | `Option<T>` | `option<T>` |
//! | results | `Result<T, E>` (the enum `Ok(T)` / `Err(E)` serde writes) | `result<T,E>` |
//! | sequences | `Vec<T>`, `VecDeque<T>`, `[T]` | `list<T>` |
//! | arrays | `[T; N]` | `array<T,N>` |
//! | tuples | `(A,)` … 12-tuples | `tuple<A,B,…>` |
//! | maps | `HashMap<K, V>`, `BTreeMap<K, V>` | `map<K,V>` |
//! | sets | `HashSet<T>`, `BTreeSet<T>` | `set<T>` |
//! | pointers | `Box<T>`, `Rc<T>`, `Arc<T>`, `&T`, `Cow<T>` | the same as `T` |
//! | time | `std::time::Duration` | `duration` |
//! | chrono (feature `chrono`) | `NaiveDate`, `NaiveTime`, `NaiveDateTime`, `DateTime<Utc>`, `DateTime<FixedOffset>`, `TimeDelta` | `date`, `time`, `datetime`, `datetime_utc`, `datetime_offset`, `timedelta` |
//! | compact chrono (feature `chrono`) | [`Compact<T>`](crate::compact::Compact), or `#[serde(with = "kimera::compact")]` on a field | `compact<date>`, `compact<datetime>`, … |
//!
//! Types of one family share a name, so a value written as a `Vec<T>` reads back as a
//! `VecDeque<T>`, and a `BTreeMap` as a `HashMap`. `usize` and `isize` are written as `u64` and
//! `i64` on every platform.

#[cfg(feature = "chrono")]
mod chrono;
pub(crate) mod collections;
mod pointers;
mod result;
mod scalars;
mod tuples;
