//! Built-in handlers for the standard type families and the foreign types services use.
//!
//! | family | Rust types | type name |
//! |---|---|---|
//! | text | `String`, `str`, `Box<str>`, `Cow<str>`, `&str` | `str` |
//! | scalars | `bool`, `char`, all integers, `f32`, `f64`, `()`, `PhantomData<T>` | `bool`, `char`, `i8` … `u128`, `f32`, `f64`, `unit` |
//! | non-zero integers | `NonZeroU8` … `NonZeroI128`, `NonZeroUsize`, `NonZeroIsize` | the integer's (`u32`, …) |
//! | options | `Option<T>` | `option<T>` |
//! | results | `Result<T, E>` (the enum `Ok(T)` / `Err(E)` serde writes) | `result<T,E>` |
//! | sequences | `Vec<T>`, `VecDeque<T>`, `LinkedList<T>`, `BinaryHeap<T>`, `[T]`, `Box<[T]>` | `list<T>` |
//! | arrays | `[T; N]` | `array<T,N>` |
//! | tuples | `(A,)` … 12-tuples | `tuple<A,B,…>` |
//! | maps | `HashMap<K, V>`, `BTreeMap<K, V>` | `map<K,V>` |
//! | sets | `HashSet<T>`, `BTreeSet<T>` | `set<T>` |
//! | pointers | `Box<T>`, `Rc<T>`, `Arc<T>`, `&T`, `Cow<T>` | the same as `T` |
//! | wrappers | `Cell<T>`, `RefCell<T>`, `Mutex<T>`, `RwLock<T>`, `Wrapping<T>`, `Saturating<T>`, `Reverse<T>` | the same as `T` |
//! | ranges | `Range<T>`, `RangeInclusive<T>`, `RangeFrom<T>`, `RangeTo<T>`, `Bound<T>` | `range<T>`, `range_inclusive<T>`, `range_from<T>`, `range_to<T>`, `bound<T>` |
//! | network | `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr`, `SocketAddrV4`, `SocketAddrV6` (text in JSON, numbers and enums in binary) | `ip`, `ipv4`, `ipv6`, `socket_addr`, `socket_addr_v4`, `socket_addr_v6` |
//! | system | `PathBuf`, `Path` (UTF-8 text), `SystemTime` (since the Unix epoch) | `path`, `system_time` |
//! | time | `std::time::Duration` | `duration` |
//! | chrono (feature `chrono`) | `NaiveDate`, `NaiveTime`, `NaiveDateTime`, `DateTime<Utc>`, `DateTime<FixedOffset>`, `TimeDelta` | `date`, `time`, `datetime`, `datetime_utc`, `datetime_offset`, `timedelta` |
//! | compact chrono (feature `chrono`) | [`Compact<T>`](crate::compact::Compact), or `#[serde(with = "kimera::compact")]` on a field | `compact<date>`, `compact<datetime>`, … |
//! | `uuid` (feature `uuid`) | `Uuid` (text in JSON, 16 bytes in binary) | `uuid` |
//! | `url` (feature `url`) | `Url` | `url` |
//! | `rust_decimal` (feature `rust_decimal`) | `Decimal` (exact text) | `decimal` |
//! | `bytes` (feature `bytes`) | `Bytes`, `BytesMut` | `bytes` |
//! | `serde_bytes` (feature `serde_bytes`) | `ByteBuf`, `Bytes`, `ByteArray<N>` | `bytes` |
//! | `indexmap` (feature `indexmap`) | `IndexMap<K, V>`, `IndexSet<T>` | `map<K,V>`, `set<T>` |
//! | `time` (feature `time`) | `Date`, `Time`, `PrimitiveDateTime`, `OffsetDateTime`, `Duration` (text in JSON, numbers in binary) | `time.date`, `time.time`, `time.primitive_datetime`, `time.offset_datetime`, `time.duration` |
//! | JSON values (feature `json`; JSON backend only) | `serde_json::Value`, `Map<String, Value>`, `Number` | `any`, `map<str,any>`, `json_number` |
//!
//! Where serde writes a type one way in human-readable formats and another way in compact ones,
//! its schema is a [`Foreign`](crate::Foreign) holding both, and the fingerprint covers both.
//! `docs/schema.md` lists the exact shapes, and the few serde impls that lose information
//! (`SocketAddrV6`'s flow information and scope id).
//!
//! Types of one family share a name, so a value written as a `Vec<T>` reads back as a
//! `VecDeque<T>`, and a `BTreeMap` as a `HashMap`. `usize` and `isize` are written as `u64` and
//! `i64` on every platform.

#[cfg(feature = "bytes")]
mod bytes;
#[cfg(feature = "chrono")]
mod chrono;
pub(crate) mod collections;
#[cfg(feature = "indexmap")]
mod indexmap;
mod net;
mod pointers;
mod ranges;
mod result;
#[cfg(feature = "rust_decimal")]
mod rust_decimal;
mod scalars;
#[cfg(feature = "serde_bytes")]
mod serde_bytes;
#[cfg(feature = "serde_json")]
mod serde_json;
mod system;
#[cfg(feature = "time")]
mod time;
mod tuples;
#[cfg(feature = "url")]
mod url;
#[cfg(feature = "uuid")]
mod uuid;
