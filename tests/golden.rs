//! The wire formats are a public contract: these files pin them byte for byte.
//!
//! Each case encodes a fixed value and compares the result with a file in `tests/golden/`, then
//! decodes the file. The files are checked in; a test never rewrites them. After a deliberate
//! format change (which needs a new wire version), write new files with
//! `KIMERA_WRITE_GOLDEN=1 cargo test --all-features --test golden` and review the diff.

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use kimera::{Binary, Format, Json, Kimera, KimeraHandler};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use support::crc32;

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Order", version = 3)]
struct Order {
    id: u64,
    placed: NaiveDateTime,
    lines: Vec<Line>,
    status: Status,
    tags: BTreeMap<String, i32>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Line")]
struct Line {
    sku: String,
    qty: u32,
    price: f64,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Status {
    Open,
    Shipped { carrier: String },
}

fn order() -> Order {
    let placed = NaiveDate::from_ymd_opt(2024, 3, 1)
        .and_then(|d| d.and_hms_nano_opt(12, 30, 45, 123_456_789))
        .expect("valid date");
    Order {
        id: 1042,
        placed,
        lines: vec![
            Line {
                sku: "KB-101".into(),
                qty: 2,
                price: 49.5,
            },
            Line {
                sku: "é✓".into(),
                qty: 1,
                price: -0.25,
            },
        ],
        status: Status::Shipped {
            carrier: "DHL".into(),
        },
        tags: BTreeMap::from([("gift".into(), 1), ("vip".into(), -3)]),
        note: None,
    }
}

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn check<F, T>(format: F, value: &T, file: &str)
where
    F: Format,
    T: KimeraHandler + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let mut encoded = Vec::new();
    format.encode_into(value, &mut encoded).expect("encodes");
    let path = path(file);
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, &encoded).expect("writes the golden file");
    }
    let golden = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        encoded == golden,
        "{file}: the encoding changed\n new: {encoded:02x?}\n old: {golden:02x?}"
    );
    let decoded: T = format.decode(&golden).expect("the golden file decodes");
    assert_eq!(&decoded, value, "{file}");
}

#[test]
fn json_order() {
    check(Json::new(), &order(), "order.json");
}

#[test]
fn json_pretty_order() {
    check(Json::new().with_pretty(true), &order(), "order.pretty.json");
}

#[test]
fn binary_order() {
    check(Binary::new(), &order(), "order.bin");
}

#[test]
fn binary_order_without_checksum() {
    check(
        Binary::new().without_checksum(),
        &order(),
        "order.nocrc.bin",
    );
}

#[test]
fn built_in_top_level_values() {
    check(Json::new(), &vec![1u8, 2, 3], "list_u8.json");
    check(Binary::new(), &vec![1u8, 2, 3], "list_u8.bin");
    check(
        Json::new(),
        &("text".to_string(), -7i64, true),
        "tuple.json",
    );
    check(
        Binary::new(),
        &("text".to_string(), -7i64, true),
        "tuple.bin",
    );
    check(Binary::new(), &u128::MAX, "u128_max.bin");
    check(Json::new(), &u128::MAX, "u128_max.json");
}

/// Every compact chrono form (docs/wire-format.md, "Compact chrono values"), at instants with
/// nanoseconds, a leap second, a date before 1970 and an offset with seconds.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.CompactTimes")]
struct CompactTimes {
    #[serde(with = "kimera::compact")]
    date: NaiveDate,
    #[serde(with = "kimera::compact")]
    time: NaiveTime,
    #[serde(with = "kimera::compact")]
    at: NaiveDateTime,
    #[serde(with = "kimera::compact")]
    utc: DateTime<Utc>,
    #[serde(with = "kimera::compact")]
    local: DateTime<FixedOffset>,
    #[serde(with = "kimera::compact")]
    none: Option<NaiveDate>,
}

fn compact_times() -> CompactTimes {
    let at = order().placed;
    let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
        .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_000_000_001))
        .expect("valid leap second");
    let offset = FixedOffset::east_opt(5 * 3600 + 30 * 60 + 17).expect("valid offset");
    CompactTimes {
        date: NaiveDate::from_ymd_opt(1969, 7, 20).expect("valid date"),
        time: leap.time(),
        at,
        utc: leap.and_utc(),
        local: at.and_utc().with_timezone(&offset),
        none: None,
    }
}

#[test]
fn compact_chrono_forms() {
    check(Json::new(), &compact_times(), "compact_times.json");
    check(Binary::new(), &compact_times(), "compact_times.bin");
}

/// The annotated example of docs/wire-format.md, byte by byte.
#[test]
fn documented_binary_example() {
    let bytes = kimera::binary::to_vec(&vec![1u8, 2, 3]).expect("encodes");
    #[rustfmt::skip]
    let mut expected = vec![
        0x4b, 0xe5,                                      // magic
        0x11,                                            // wire version 1, flags: checksum
        0x08, b'l', b'i', b's', b't', b'<', b'u', b'8', b'>', // type name
        0x01,                                            // version 1
    ];
    expected.extend(<Vec<u8>>::FINGERPRINT.to_le_bytes()); // fingerprint
    expected.extend([0x84, 0x80, 0x00]); // body length 4, padded to 3 bytes
    expected.extend([0x03, 0x01, 0x02, 0x03]); // bincode: length 3, then the bytes
    let crc = crc32(&expected);
    expected.extend(crc.to_le_bytes());
    assert_eq!(bytes, expected);
    assert_eq!(
        <Vec<u8>>::FINGERPRINT,
        0xf561_c743_f866_c0df,
        "fingerprint of list<u8>"
    );
}

/// A default-named type, whose envelopes carry its origin (docs/wire-format.md, "Origins"),
/// holding foreign types whose JSON and binary forms differ (docs/schema.md).
mod svc {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    pub struct Peer {
        pub id: uuid::Uuid,
        pub addr: std::net::SocketAddr,
        pub v6: std::net::Ipv6Addr,
        pub seen: std::time::SystemTime,
        pub home: std::path::PathBuf,
    }
}

fn peer() -> svc::Peer {
    svc::Peer {
        id: uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
        addr: "10.1.2.3:8080".parse().expect("valid address"),
        v6: "fe80::1".parse().expect("valid address"),
        seen: std::time::UNIX_EPOCH + std::time::Duration::new(1_795_599_000, 5),
        home: "/srv/peers/é".into(),
    }
}

#[test]
fn origins_and_foreign_forms() {
    assert_eq!(svc::Peer::REFERENCE.origin(), Some("golden::svc::Peer"));
    check(Json::new(), &peer(), "peer.json");
    check(Binary::new(), &peer(), "peer.bin");
}

/// `kimera::inspect` converts each golden binary file to its golden JSON file and back, byte
/// for byte, with nothing but the writer's schema document.
#[test]
fn inspect_converts_golden_files() {
    use kimera::inspect::{Envelope, Schemas, ToBinary};
    use kimera::schema::document::Document;

    let schemas = [
        Document::of::<Order>(),
        Document::of::<Vec<u8>>(),
        Document::of::<(String, i64, bool)>(),
        Document::of::<u128>(),
        Document::of::<CompactTimes>(),
        Document::of::<svc::Peer>(),
    ]
    .into_iter()
    .try_fold(Schemas::new(), Schemas::with_document)
    .expect("valid documents");
    let read = |file: &str| std::fs::read(path(file)).expect("golden file");
    let pairs = [
        ("order.bin", "order.json"),
        ("list_u8.bin", "list_u8.json"),
        ("tuple.bin", "tuple.json"),
        ("u128_max.bin", "u128_max.json"),
        ("compact_times.bin", "compact_times.json"),
        ("peer.bin", "peer.json"),
    ];
    for (bin, json) in pairs {
        let (bin_bytes, json_bytes) = (read(bin), read(json));
        let envelope = Envelope::parse(&bin_bytes).expect(bin);
        assert_eq!(
            envelope.to_json(&schemas, false).expect(bin),
            json_bytes,
            "{bin}"
        );
        let back = Envelope::parse(&json_bytes).expect(json);
        assert_eq!(
            back.to_binary(&schemas, ToBinary::new()).expect(json),
            bin_bytes,
            "{json}"
        );
    }
    let pretty = Envelope::parse(&read("order.bin"))
        .and_then(|e| e.to_json(&schemas, true))
        .expect("pretty");
    assert_eq!(pretty, read("order.pretty.json"));
    let nocrc = Envelope::parse(&read("order.pretty.json"))
        .and_then(|e| e.to_binary(&schemas, ToBinary::new().without_checksum()))
        .expect("without checksum");
    assert_eq!(nocrc, read("order.nocrc.bin"));
}
