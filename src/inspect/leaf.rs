//! The values a schema document names but does not spell out: numbers, text, chrono values,
//! `Duration`, compact forms and foreign types. Each is converted between the two backends'
//! forms by the Rust type itself (decoded from one format, encoded in the other), so the bytes
//! are exactly what a typed program writes, and nothing is written that the type would refuse
//! to read (a date that is not one, a `Uuid` that does not parse).

use std::sync::OnceLock;

use kimera_core::document::{Document, Node, Type};
use serde::de::{Deserialize, DeserializeOwned};
use serde::Serialize;

/// A leaf: a node whose values one Rust type reads and writes in both backends.
#[derive(Clone, Copy)]
pub(super) enum Leaf {
    Bool,
    I8,
    I16,
    I32,
    I64,
    I128,
    U8,
    U16,
    U32,
    U64,
    U128,
    F32,
    F64,
    Char,
    Str,
    Bytes,
    Unit,
    Duration,
    SystemTime,
    #[cfg(feature = "chrono")]
    Chrono(Chrono),
    /// A foreign type of this build (by its schema name).
    Foreign(Foreign),
}

/// chrono's types, as text or in their compact form.
#[cfg(feature = "chrono")]
#[derive(Clone, Copy)]
pub(super) enum Chrono {
    Date,
    Time,
    DateTime,
    DateTimeUtc,
    DateTimeOffset,
    TimeDelta,
    CompactDate,
    CompactTime,
    CompactDateTime,
    CompactDateTimeUtc,
    CompactDateTimeOffset,
}

/// Why a node is not a leaf this build can convert.
pub(super) enum NotLeaf {
    /// It has children: the walkers go through it.
    Composite,
    /// It needs a feature this build lacks, or is a foreign type it does not know.
    Unknown(String),
}

/// The Rust type of each leaf, handed to `$then` as `pattern => type` arms: one list for both
/// directions, so they cannot disagree.
macro_rules! leaves {
    ($then:ident) => {
        $then! {
            Leaf::Bool => bool,
            Leaf::I8 => i8,
            Leaf::I16 => i16,
            Leaf::I32 => i32,
            Leaf::I64 => i64,
            Leaf::I128 => i128,
            Leaf::U8 => u8,
            Leaf::U16 => u16,
            Leaf::U32 => u32,
            Leaf::U64 => u64,
            Leaf::U128 => u128,
            Leaf::F32 => f32,
            Leaf::F64 => f64,
            Leaf::Char => char,
            Leaf::Str => String,
            Leaf::Bytes => serde_bytes_like::ByteBuf,
            Leaf::Unit => (),
            Leaf::Duration => std::time::Duration,
            Leaf::SystemTime => std::time::SystemTime,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::Date) => chrono::NaiveDate,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::Time) => chrono::NaiveTime,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::DateTime) => chrono::NaiveDateTime,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::DateTimeUtc) => chrono::DateTime<chrono::Utc>,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::DateTimeOffset) => chrono::DateTime<chrono::FixedOffset>,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::TimeDelta) => chrono::TimeDelta,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::CompactDate) => Compact<chrono::NaiveDate>,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::CompactTime) => Compact<chrono::NaiveTime>,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::CompactDateTime) => Compact<chrono::NaiveDateTime>,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::CompactDateTimeUtc) => Compact<chrono::DateTime<chrono::Utc>>,
            #[cfg(feature = "chrono")] Leaf::Chrono(Chrono::CompactDateTimeOffset) => Compact<chrono::DateTime<chrono::FixedOffset>>,
            Leaf::Foreign(Foreign::Ipv4) => std::net::Ipv4Addr,
            Leaf::Foreign(Foreign::Ipv6) => std::net::Ipv6Addr,
            Leaf::Foreign(Foreign::Ip) => std::net::IpAddr,
            Leaf::Foreign(Foreign::SocketV4) => std::net::SocketAddrV4,
            Leaf::Foreign(Foreign::SocketV6) => std::net::SocketAddrV6,
            Leaf::Foreign(Foreign::Socket) => std::net::SocketAddr,
            Leaf::Foreign(Foreign::Path) => std::path::PathBuf,
            #[cfg(feature = "uuid")] Leaf::Foreign(Foreign::Uuid) => kimera_core::__private::uuid::Uuid,
            #[cfg(feature = "url")] Leaf::Foreign(Foreign::Url) => kimera_core::__private::url::Url,
            #[cfg(feature = "rust_decimal")] Leaf::Foreign(Foreign::Decimal) => kimera_core::__private::rust_decimal::Decimal,
            #[cfg(feature = "time")] Leaf::Foreign(Foreign::TimeDate) => kimera_core::__private::time::Date,
            #[cfg(feature = "time")] Leaf::Foreign(Foreign::TimeTime) => kimera_core::__private::time::Time,
            #[cfg(feature = "time")] Leaf::Foreign(Foreign::TimePrimitive) => kimera_core::__private::time::PrimitiveDateTime,
            #[cfg(feature = "time")] Leaf::Foreign(Foreign::TimeOffset) => kimera_core::__private::time::OffsetDateTime,
            #[cfg(feature = "time")] Leaf::Foreign(Foreign::TimeDuration) => kimera_core::__private::time::Duration,
        }
    };
}

#[cfg(feature = "chrono")]
use crate::compact::Compact;

impl Leaf {
    /// The leaf `node` is, if it is one.
    pub(super) fn of(node: &Node) -> Result<Leaf, NotLeaf> {
        Ok(match node {
            Node::Bool => Leaf::Bool,
            Node::I8 => Leaf::I8,
            Node::I16 => Leaf::I16,
            Node::I32 => Leaf::I32,
            Node::I64 => Leaf::I64,
            Node::I128 => Leaf::I128,
            Node::U8 => Leaf::U8,
            Node::U16 => Leaf::U16,
            Node::U32 => Leaf::U32,
            Node::U64 => Leaf::U64,
            Node::U128 => Leaf::U128,
            Node::F32 => Leaf::F32,
            Node::F64 => Leaf::F64,
            Node::Char => Leaf::Char,
            Node::Str => Leaf::Str,
            Node::Bytes => Leaf::Bytes,
            Node::Unit => Leaf::Unit,
            Node::Duration => Leaf::Duration,
            Node::Date
            | Node::Time
            | Node::DateTime
            | Node::DateTimeUtc
            | Node::DateTimeOffset
            | Node::TimeDelta
            | Node::Compact(_) => return chrono(node),
            Node::Foreign { name, .. } => match Foreign::named(name) {
                Some(foreign) => Leaf::Foreign(foreign),
                None => {
                    return Err(NotLeaf::Unknown(format!(
                        "the foreign type `{}`, which this build of kimera does not know (a \
                         handler feature such as `uuid` or `time` may be off)",
                        kimera_core::envelope::quoted_name(name)
                    )))
                }
            },
            _ => return Err(NotLeaf::Composite),
        })
    }

    /// The leaf a named type is: a built-in one whose values its schema does not bound (a
    /// `SystemTime`'s nanoseconds are below 10^9), so that the conversion refuses what the
    /// type would.
    pub(super) fn of_type(named: &Type) -> Option<Leaf> {
        static SYSTEM_TIME: OnceLock<Document> = OnceLock::new();
        let system_time = SYSTEM_TIME.get_or_init(Document::of::<std::time::SystemTime>);
        let is = |doc: &Document| match &doc.root {
            Node::Type(t) => **t == *named,
            Node::Named(index) => doc.named(*index) == Some(named),
            _ => false,
        };
        is(system_time).then_some(Leaf::SystemTime)
    }

    /// Reads one value of this leaf from the front of `body` (advancing it) and writes it to
    /// `serializer`.
    pub(super) fn to_json<S: serde::Serializer>(
        self,
        body: &mut &[u8],
        serializer: S,
    ) -> Result<S::Ok, LeafError<S::Error>> {
        macro_rules! typed {
            ($($(#[$cfg:meta])* $leaf:pat => $ty:ty,)*) => {
                match self {
                    $($(#[$cfg])* $leaf => transcode::<$ty, S>(body, serializer),)*
                }
            };
        }
        leaves!(typed)
    }

    /// Reads one value of this leaf from `deserializer` and appends its bincode to `out`.
    pub(super) fn to_binary<'de, D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
        out: &mut Vec<u8>,
    ) -> Result<(), LeafError<D::Error>> {
        macro_rules! typed {
            ($($(#[$cfg:meta])* $leaf:pat => $ty:ty,)*) => {
                match self {
                    $($(#[$cfg])* $leaf => encode::<$ty, D>(deserializer, out),)*
                }
            };
        }
        leaves!(typed)
    }
}

#[cfg(feature = "chrono")]
use kimera_core::__private::chrono;

#[cfg(feature = "chrono")]
fn chrono(node: &Node) -> Result<Leaf, NotLeaf> {
    Ok(Leaf::Chrono(match node {
        Node::Date => Chrono::Date,
        Node::Time => Chrono::Time,
        Node::DateTime => Chrono::DateTime,
        Node::DateTimeUtc => Chrono::DateTimeUtc,
        Node::DateTimeOffset => Chrono::DateTimeOffset,
        Node::TimeDelta => Chrono::TimeDelta,
        Node::Compact(form) => match **form {
            Node::Date => Chrono::CompactDate,
            Node::Time => Chrono::CompactTime,
            Node::DateTime => Chrono::CompactDateTime,
            Node::DateTimeUtc => Chrono::CompactDateTimeUtc,
            Node::DateTimeOffset => Chrono::CompactDateTimeOffset,
            _ => {
                return Err(NotLeaf::Unknown(
                    "a compact form of no chrono type".to_owned(),
                ))
            }
        },
        _ => return Err(NotLeaf::Composite),
    }))
}

#[cfg(not(feature = "chrono"))]
fn chrono(_: &Node) -> Result<Leaf, NotLeaf> {
    Err(NotLeaf::Unknown(
        "a chrono value, and this build of kimera has no `chrono` feature".to_owned(),
    ))
}

/// A foreign type with a handler in this build (its Rust type is in [`leaves`]).
#[derive(Clone, Copy)]
pub(super) enum Foreign {
    Ipv4,
    Ipv6,
    Ip,
    SocketV4,
    SocketV6,
    Socket,
    Path,
    #[cfg(feature = "uuid")]
    Uuid,
    #[cfg(feature = "url")]
    Url,
    #[cfg(feature = "rust_decimal")]
    Decimal,
    #[cfg(feature = "time")]
    TimeDate,
    #[cfg(feature = "time")]
    TimeTime,
    #[cfg(feature = "time")]
    TimePrimitive,
    #[cfg(feature = "time")]
    TimeOffset,
    #[cfg(feature = "time")]
    TimeDuration,
}

impl Foreign {
    /// The foreign type of this schema name.
    fn named(name: &str) -> Option<Foreign> {
        Some(match name {
            "ipv4" => Foreign::Ipv4,
            "ipv6" => Foreign::Ipv6,
            "ip" => Foreign::Ip,
            "socket_addr_v4" => Foreign::SocketV4,
            "socket_addr_v6" => Foreign::SocketV6,
            "socket_addr" => Foreign::Socket,
            "path" => Foreign::Path,
            #[cfg(feature = "uuid")]
            "uuid" => Foreign::Uuid,
            #[cfg(feature = "url")]
            "url" => Foreign::Url,
            #[cfg(feature = "rust_decimal")]
            "decimal" => Foreign::Decimal,
            #[cfg(feature = "time")]
            "time.date" => Foreign::TimeDate,
            #[cfg(feature = "time")]
            "time.time" => Foreign::TimeTime,
            #[cfg(feature = "time")]
            "time.primitive_datetime" => Foreign::TimePrimitive,
            #[cfg(feature = "time")]
            "time.offset_datetime" => Foreign::TimeOffset,
            #[cfg(feature = "time")]
            "time.duration" => Foreign::TimeDuration,
            _ => return None,
        })
    }
}

/// Byte strings as serde's byte methods read and write them (`serde_bytes`' `ByteBuf`,
/// written here because the `serde_bytes` crate is an optional feature): a JSON array of
/// numbers, a length and the bytes in binary.
mod serde_bytes_like {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    use serde::{Deserialize, Serialize, Serializer};

    pub(crate) struct ByteBuf(Vec<u8>);

    impl Serialize for ByteBuf {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for ByteBuf {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Bytes;
            impl<'de> Visitor<'de> for Bytes {
                type Value = ByteBuf;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a byte string")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v.to_vec()))
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
                    let mut out = Vec::new();
                    while let Some(byte) = seq.next_element()? {
                        out.push(byte);
                    }
                    Ok(ByteBuf(out))
                }
            }
            deserializer.deserialize_byte_buf(Bytes)
        }
    }
}

/// A leaf that failed: the other format's error, or the bincode side's in a sentence.
pub(super) enum LeafError<E> {
    Format(E),
    Binary(String),
}

fn transcode<'de, T: Deserialize<'de> + Serialize, S: serde::Serializer>(
    body: &mut &'de [u8],
    serializer: S,
) -> Result<S::Ok, LeafError<S::Error>> {
    // Through the guard, a string or byte string is read borrowed: bincode would allocate an
    // owned one at its claimed length before finding the bytes are not there.
    let guard = kimera_core::Guard::new(&kimera_core::Limits::DEFAULT, body.len());
    let (value, read) = kimera_binary::__private::bincode::serde::seed_decode_from_slice(
        guard.seed(std::marker::PhantomData::<T>),
        body,
        kimera_binary::__private::config(),
    )
    .map_err(|err| LeafError::Binary(kimera_binary::__private::decode_message(&err)))?;
    *body = &body[read..];
    value.serialize(serializer).map_err(LeafError::Format)
}

fn encode<'de, T: DeserializeOwned + Serialize, D: serde::Deserializer<'de>>(
    deserializer: D,
    out: &mut Vec<u8>,
) -> Result<(), LeafError<D::Error>> {
    let value = T::deserialize(deserializer).map_err(LeafError::Format)?;
    let config = kimera_binary::__private::config();
    kimera_binary::__private::bincode::serde::encode_into_std_write(&value, out, config)
        .map(drop)
        .map_err(|err| LeafError::Binary(kimera_binary::__private::encode_message(&err)))
}
