//! Handlers for the foreign types services use: random values round-trip through JSON and
//! binary (where allowed), at the top level, nested in a derived struct, and inside a snapshot
//! that is reopened. `serde_json::Value` and its kin go through JSON only (the binary backend
//! refuses them at compile time: `tests/ui-tests/tests/ui/binary_json_value.rs`).
#![cfg(unix)]

#[path = "support/shape.rs"]
mod shape;

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, LinkedList};
use std::fmt::Debug;
use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::num::{NonZeroI64, NonZeroU32, Saturating, Wrapping};
use std::ops::{Bound, Range, RangeFrom, RangeInclusive, RangeTo};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kimera::snapshot::{Fsync, Options, SnapshotStore};
use kimera::{Format, Json, Kimera, KimeraHandler};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A derived struct holding the value between two other fields, so that a handler whose
/// schema is wrong about the value's length garbles the field after it.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "test.Held")]
struct Held<T> {
    before: u8,
    value: T,
    after: String,
}

fn held<T>(value: T) -> Held<T> {
    Held {
        before: 7,
        value,
        after: "after".into(),
    }
}

/// Values compare by their `Debug` text: stricter than `PartialEq` where that is loose (a
/// `Decimal`'s scale), and available where `PartialEq` is not (`Mutex`).
fn same<T: Debug>(a: &T, b: &T) -> Result<(), TestCaseError> {
    prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
    Ok(())
}

/// Saves `value` in a new snapshot directory, reopens it and reads the value back.
fn through_snapshot<F, T>(options: Options<F>, value: &T) -> T
where
    F: Format + Clone,
    T: KimeraHandler + Serialize + DeserializeOwned,
{
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "foreign-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = SnapshotStore::open_with(&dir, options.clone()).unwrap();
    store.save(value).unwrap();
    drop(store);
    let mut store = SnapshotStore::open_with(&dir, options).unwrap();
    let (_, back) = store.latest::<T>().unwrap().expect("a saved snapshot");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
    back
}

fn quick() -> Options {
    Options::new().with_fsync(Fsync::Never)
}

fn json_round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: KimeraHandler + Serialize + DeserializeOwned + Debug,
{
    let text = kimera::json::to_string(value).unwrap();
    same(&kimera::json::from_str::<T>(&text).unwrap(), value)?;
    let plain = serde_json::to_value(value).unwrap();
    shape::check_json(T::SCHEMA, &plain).map_err(TestCaseError::fail)?;
    let nested = held(value);
    let plain = serde_json::to_value(&nested).unwrap();
    shape::check_json(<Held<&T>>::SCHEMA, &plain).map_err(TestCaseError::fail)?;
    let text = kimera::json::to_string(&nested).unwrap();
    let back: Held<T> = kimera::json::from_str(&text).unwrap();
    same(&back.value, value)?;
    prop_assert_eq!((back.before, back.after.as_str()), (7, "after"));
    same(
        &through_snapshot(quick().with_format(Json::new()), value),
        value,
    )
}

fn binary_round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: KimeraHandler + Serialize + DeserializeOwned + Debug,
{
    let bytes = kimera::binary::to_vec(value).unwrap();
    same(&kimera::binary::from_slice::<T>(&bytes).unwrap(), value)?;
    let body = bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap();
    shape::check_binary(T::SCHEMA, &body).map_err(TestCaseError::fail)?;
    let nested = held(value);
    let body = bincode::serde::encode_to_vec(&nested, bincode::config::standard()).unwrap();
    shape::check_binary(<Held<&T>>::SCHEMA, &body).map_err(TestCaseError::fail)?;
    let bytes = kimera::binary::to_vec(&nested).unwrap();
    let back: Held<T> = kimera::binary::from_slice(&bytes).unwrap();
    same(&back.value, value)?;
    prop_assert_eq!((back.before, back.after.as_str()), (7, "after"));
    same(&through_snapshot(quick(), value), value)
}

/// One property test per type: both backends.
macro_rules! round_trips {
    ($($name:ident: $ty:ty = $strategy:expr;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]
            $(
                #[test]
                fn $name(value in $strategy) {
                    let value: $ty = value;
                    json_round_trip(&value)?;
                    binary_round_trip(&value)?;
                }
            )*
        }
    };
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

fn socket_v4() -> impl Strategy<Value = SocketAddrV4> {
    (ipv4(), any::<u16>()).prop_map(|(ip, port)| SocketAddrV4::new(ip, port))
}

/// Without flow information or scope id: serde's impl does not write them (see
/// `std_handlers_describe_serde_s_shapes`).
fn socket_v6() -> impl Strategy<Value = SocketAddrV6> {
    (ipv6(), any::<u16>()).prop_map(|(ip, port)| SocketAddrV6::new(ip, port, 0, 0))
}

fn time_date() -> impl Strategy<Value = time::Date> {
    (-9999i32..=9999, 1u16..=365)
        .prop_map(|(year, day)| time::Date::from_ordinal_date(year, day).unwrap())
}

fn time_time() -> impl Strategy<Value = time::Time> {
    (0u8..24, 0u8..60, 0u8..60, 0u32..1_000_000_000)
        .prop_map(|(h, m, s, n)| time::Time::from_hms_nano(h, m, s, n).unwrap())
}

fn time_primitive() -> impl Strategy<Value = time::PrimitiveDateTime> {
    (time_date(), time_time()).prop_map(|(d, t)| time::PrimitiveDateTime::new(d, t))
}

fn chrono_at() -> impl Strategy<Value = chrono::NaiveDateTime> {
    (
        -8_000_000_000_000i64..8_000_000_000_000,
        0u32..1_000_000_000,
    )
        .prop_map(|(s, n)| {
            chrono::DateTime::from_timestamp(s / 1000, n)
                .expect("in range")
                .naive_utc()
        })
}

round_trips! {
    // Handlers from before, in the same matrix (snapshots included).
    std_duration: Duration = (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n));
    naive_datetime: chrono::NaiveDateTime = chrono_at();
    datetime_utc: chrono::DateTime<chrono::Utc> = chrono_at().prop_map(|at| at.and_utc());
    compact_datetime: kimera::compact::Compact<chrono::NaiveDateTime> =
        chrono_at().prop_map(kimera::compact::Compact);
    compact_date: Option<kimera::compact::Compact<chrono::NaiveDate>> =
        prop::option::of(chrono_at().prop_map(|at| kimera::compact::Compact(at.date())));
    ipv4_addr: Ipv4Addr = ipv4();
    ipv6_addr: Ipv6Addr = ipv6();
    ip_addr: IpAddr = prop_oneof![ipv4().prop_map(IpAddr::V4), ipv6().prop_map(IpAddr::V6)];
    socket_addr_v4: SocketAddrV4 = socket_v4();
    socket_addr_v6: SocketAddrV6 = socket_v6();
    socket_addr: SocketAddr =
        prop_oneof![socket_v4().prop_map(SocketAddr::V4), socket_v6().prop_map(SocketAddr::V6)];
    path_buf: PathBuf = "[a-zA-Z0-9_./ é-]{0,40}".prop_map(PathBuf::from);
    system_time: SystemTime = (0u64..1 << 40, 0u32..1_000_000_000)
        .prop_map(|(s, n)| UNIX_EPOCH + Duration::new(s, n));
    non_zero_u32: NonZeroU32 = (1..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap());
    non_zero_i64: NonZeroI64 = any::<i64>().prop_filter_map("zero", NonZeroI64::new);
    wrapping: Wrapping<u16> = any::<u16>().prop_map(Wrapping);
    saturating: Saturating<i8> = any::<i8>().prop_map(Saturating);
    reverse: Reverse<i32> = any::<i32>().prop_map(Reverse);
    range: Range<u32> = (any::<u32>(), any::<u32>()).prop_map(|(a, b)| a..b);
    range_inclusive: RangeInclusive<i64> = (any::<i64>(), any::<i64>()).prop_map(|(a, b)| a..=b);
    range_from: RangeFrom<u8> = any::<u8>().prop_map(|a| a..);
    range_to: RangeTo<u8> = any::<u8>().prop_map(|b| ..b);
    bound: Bound<String> = prop_oneof![
        Just(Bound::Unbounded),
        ".{0,8}".prop_map(Bound::Included),
        ".{0,8}".prop_map(Bound::Excluded),
    ];
    cell: Cell<u8> = any::<u8>().prop_map(Cell::new);
    ref_cell: RefCell<Vec<u8>> = any::<Vec<u8>>().prop_map(RefCell::new);
    mutex: Mutex<u64> = any::<u64>().prop_map(Mutex::new);
    rw_lock: RwLock<String> = ".{0,8}".prop_map(RwLock::new);
    phantom: PhantomData<String> = Just(PhantomData);
    boxed_slice: Box<[u16]> = any::<Vec<u16>>().prop_map(Vec::into_boxed_slice);
    linked_list: LinkedList<u8> = any::<Vec<u8>>().prop_map(|v| v.into_iter().collect());
    uuid: uuid::Uuid = any::<u128>().prop_map(uuid::Uuid::from_u128);
    url: url::Url = ("[a-z]{1,10}", "[a-z0-9/]{0,12}", "[a-z=&]{0,8}").prop_map(|(host, path, query)| {
        url::Url::parse(&format!("https://{host}.example/{path}?{query}")).unwrap()
    });
    decimal: rust_decimal::Decimal =
        (any::<i64>(), 0u32..=28).prop_map(|(m, scale)| rust_decimal::Decimal::new(m, scale));
    bytes: bytes::Bytes = any::<Vec<u8>>().prop_map(bytes::Bytes::from);
    bytes_mut: bytes::BytesMut = any::<Vec<u8>>().prop_map(|v| bytes::BytesMut::from(&v[..]));
    index_map: indexmap::IndexMap<String, u32> =
        prop::collection::vec((".{0,6}", any::<u32>()), 0..8).prop_map(|v| v.into_iter().collect());
    index_set: indexmap::IndexSet<u16> =
        any::<Vec<u16>>().prop_map(|v| v.into_iter().collect());
    byte_buf: serde_bytes::ByteBuf = any::<Vec<u8>>().prop_map(serde_bytes::ByteBuf::from);
    byte_array: serde_bytes::ByteArray<5> = any::<[u8; 5]>().prop_map(serde_bytes::ByteArray::new);
    time_date_: time::Date = time_date();
    time_time_: time::Time = time_time();
    time_primitive_datetime: time::PrimitiveDateTime = time_primitive();
    time_offset_datetime: time::OffsetDateTime = (time_primitive(), -86_399i32..=86_399)
        .prop_map(|(at, offset)| at.assume_offset(time::UtcOffset::from_whole_seconds(offset).unwrap()));
    time_duration: time::Duration = (-1_000_000_000_000i64..1_000_000_000_000, -999_999_999i32..=999_999_999)
        .prop_map(|(s, n)| time::Duration::new(s, n));
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn json_values_go_through_json(value in json_value()) {
        json_round_trip(&value)?;
        let map: serde_json::Map<String, serde_json::Value> =
            [("settings".to_owned(), value.clone())].into_iter().collect();
        json_round_trip(&map)?;
        if let serde_json::Value::Number(number) = value {
            json_round_trip(&number)?;
        }
    }

    #[test]
    fn binary_heaps_keep_their_elements(items in any::<Vec<u8>>()) {
        let heap: BinaryHeap<u8> = items.into_iter().collect();
        let sorted = heap.clone().into_sorted_vec();
        let back: BinaryHeap<u8> = kimera::binary::from_slice(&kimera::binary::to_vec(&heap).unwrap()).unwrap();
        prop_assert_eq!(back.into_sorted_vec(), sorted.clone());
        let back: BinaryHeap<u8> = kimera::json::from_str(&kimera::json::to_string(&heap).unwrap()).unwrap();
        prop_assert_eq!(back.into_sorted_vec(), sorted);
    }
}

#[test]
fn the_shape_checks_catch_a_schema_that_lies() {
    // What `#[kimera(with = String)]` on an `IpAddr` used to claim.
    let addr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let body = bincode::serde::encode_to_vec(addr, bincode::config::standard()).unwrap();
    assert!(shape::check_binary(&kimera::Schema::Str, &body).is_err());
    shape::check_binary(IpAddr::SCHEMA, &body).unwrap();
    let plain = serde_json::to_value(addr).unwrap();
    assert!(shape::check_json(&kimera::Schema::Array(&kimera::Schema::U8, 4), &plain).is_err());
    shape::check_json(IpAddr::SCHEMA, &plain).unwrap();
    // A field too few: bytes are left over.
    let body = bincode::serde::encode_to_vec((1u8, 2u8), bincode::config::standard()).unwrap();
    assert!(shape::check_binary(&kimera::Schema::U8, &body).is_err());
}

/// The forms each backend writes, pinned (the table in `docs/schema.md`).
#[test]
fn each_backend_gets_its_own_form() {
    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }
    fn body<T: Serialize>(value: &T) -> Vec<u8> {
        bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap()
    }
    let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    assert_eq!(json(&id), r#""01234567-89ab-cdef-0123-456789abcdef""#);
    assert_eq!(body(&id)[0], 16);
    assert_eq!(&body(&id)[1..], id.as_bytes());
    let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    assert_eq!(json(&ip), r#""10.0.0.1""#);
    assert_eq!(body(&ip), [0, 10, 0, 0, 1]); // variant V4, then the octets
    let date = time::Date::from_ordinal_date(2024, 61).unwrap();
    let at = date.with_hms_milli(12, 30, 45, 500).unwrap();
    assert_eq!(json(&date), r#""2024-03-01""#);
    assert_eq!(json(&at.time()), r#""12:30:45.5""#);
    assert_eq!(
        json(&at.assume_offset(time::UtcOffset::from_hms(1, 0, 0).unwrap())),
        r#""2024-03-01 12:30:45.5 +01:00:00""#
    );
    assert_eq!(json(&time::Duration::new(-1, -500)), r#""-1.000000500""#);
    assert_eq!(body(&date), [251, 0xd0, 0x0f, 61]); // year 2024 zigzagged (4048) as a varint, day 61
    let decimal = rust_decimal::Decimal::new(150, 2);
    assert_eq!(json(&decimal), r#""1.50""#);
    let socket: SocketAddrV6 = "[fe80::1%2]:80".parse().unwrap();
    assert_eq!(json(&socket), r#""[fe80::1%2]:80""#);
}

/// Unsized types are written as their owned forms are, and read back as them.
#[test]
fn borrowed_forms_encode_as_their_owned_ones() {
    let path = std::path::Path::new("/srv/data");
    let bytes = kimera::binary::to_vec(path).unwrap();
    assert_eq!(kimera::binary::from_slice::<PathBuf>(&bytes).unwrap(), path);
    let text = kimera::json::to_string(path).unwrap();
    assert_eq!(kimera::json::from_str::<PathBuf>(&text).unwrap(), path);
    let raw = serde_bytes::Bytes::new(b"\x00\xffkimera");
    let bytes = kimera::binary::to_vec(raw).unwrap();
    let owned: serde_bytes::ByteBuf = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!(owned.as_slice(), &raw[..]);
    let borrowed: &serde_bytes::Bytes = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!(borrowed, raw);
    let text = kimera::json::to_string(raw).unwrap();
    let owned: serde_bytes::ByteBuf = kimera::json::from_str(&text).unwrap();
    assert_eq!(owned.as_slice(), &raw[..]);
}
