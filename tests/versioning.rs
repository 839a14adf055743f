//! Schema evolution: values written by older versions of a type decode into the current one
//! through its chain of `previous` types, in both backends; what cannot be read is refused
//! with an error naming the type and the versions.
//!
//! The files in `tests/golden/versions/` were written by the v1 and v2 types below and are
//! checked in: the tests only read them. `KIMERA_WRITE_GOLDEN=1 cargo test --all-features --test versioning`
//! writes them again (only ever needed if the old types below were wrong).

use std::path::PathBuf;

use kimera::{Binary, ErrorKind, Format, Json, Kimera, KimeraHandler};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The current shape: several lines, each with a price in cents, and a note.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order", version = 3, previous = OrderV2)]
struct Order {
    id: u64,
    lines: Vec<Line>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Line", version = 2)]
struct Line {
    sku: String,
    qty: u32,
    cents: u64,
}

/// v2, frozen: several lines with a price in (whole) currency units.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
struct OrderV2 {
    id: u64,
    lines: Vec<LineV1>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Line")]
struct LineV1 {
    sku: String,
    qty: u32,
    price: u32,
}

/// v1, frozen: one item per order.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order")]
struct OrderV1 {
    id: u64,
    sku: String,
    qty: u32,
    price: u32,
}

impl From<OrderV1> for OrderV2 {
    fn from(v1: OrderV1) -> Self {
        OrderV2 {
            id: v1.id,
            lines: vec![LineV1 {
                sku: v1.sku,
                qty: v1.qty,
                price: v1.price,
            }],
        }
    }
}

/// Fallible: a v2 line with no quantity was a bug of the v2 writer; v3 refuses it.
impl TryFrom<OrderV2> for Order {
    type Error = String;

    fn try_from(v2: OrderV2) -> Result<Self, String> {
        let lines = v2
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, line)| match line.qty {
                0 => Err(format!("line {i} ({}) has no quantity", line.sku)),
                qty => Ok(Line {
                    sku: line.sku,
                    qty,
                    cents: u64::from(line.price) * 100,
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Order {
            id: v2.id,
            lines,
            note: None,
        })
    }
}

fn v1() -> OrderV1 {
    OrderV1 {
        id: 7,
        sku: "KB-101".into(),
        qty: 2,
        price: 49,
    }
}

fn v2() -> OrderV2 {
    OrderV2 {
        id: 8,
        lines: vec![
            LineV1 {
                sku: "KB-101".into(),
                qty: 1,
                price: 49,
            },
            LineV1 {
                sku: "é✓".into(),
                qty: 3,
                price: 5,
            },
        ],
    }
}

fn golden(file: &str, format: impl Format, value: &(impl KimeraHandler + Serialize)) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/versions")
        .join(file);
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("creates the dir");
        std::fs::write(&path, format.encode(value).expect("encodes")).expect("writes");
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn both<T: KimeraHandler + DeserializeOwned>(json: &[u8], binary: &[u8]) -> (T, T) {
    let from_json = Json::new().decode(json).expect("the JSON file decodes");
    let from_binary = Binary::new()
        .decode(binary)
        .expect("the binary file decodes");
    (from_json, from_binary)
}

#[test]
fn golden_files_of_older_versions_decode_into_the_current_one() {
    let v1_json = golden("order_v1.json", Json::new(), &v1());
    let v1_bin = golden("order_v1.bin", Binary::new(), &v1());
    let v2_json = golden("order_v2.json", Json::new(), &v2());
    let v2_bin = golden("order_v2.bin", Binary::new(), &v2());
    assert!(
        v1_json.starts_with(br#"{"kimera":1,"type":"shop.Order","version":1,"#),
        "{}",
        String::from_utf8_lossy(&v1_json)
    );

    let expected_from_v1 = Order {
        id: 7,
        lines: vec![Line {
            sku: "KB-101".into(),
            qty: 2,
            cents: 4900,
        }],
        note: None,
    };
    let (json, binary) = both::<Order>(&v1_json, &v1_bin);
    assert_eq!(json, expected_from_v1);
    assert_eq!(binary, expected_from_v1);

    let (json, binary) = both::<Order>(&v2_json, &v2_bin);
    assert_eq!(json.lines[1].cents, 500);
    assert_eq!(json.lines[1].sku, "é✓");
    assert_eq!(json, binary);

    // Each link reads its own version and the ones before it, never a newer one.
    let (json, binary) = both::<OrderV2>(&v1_json, &v1_bin);
    assert_eq!((json.clone(), binary), (OrderV2::from(v1()), json));
    let err = Json::new().decode::<OrderV1>(&v2_json).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`shop.Order` version 2 is newer than version 1, the newest this reader knows"
    );
}

#[test]
fn the_current_version_reads_as_before() {
    let order = Order::try_from(v2()).expect("valid v2");
    for bytes in [
        Json::new().encode(&order).expect("encodes"),
        Binary::new().encode(&order).expect("encodes"),
    ] {
        assert_eq!(kimera::from_slice::<Order>(&bytes).expect("decodes"), order);
    }
}

/// A newer version of the type, as a newer writer would have it (that program's type, so kept
/// out of this one's registry).
#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 4, register = false)]
struct OrderV4 {
    id: u64,
}

#[test]
fn newer_versions_are_refused() {
    for bytes in [
        Json::new().encode(&OrderV4 { id: 1 }).expect("encodes"),
        Binary::new().encode(&OrderV4 { id: 1 }).expect("encodes"),
    ] {
        let err = kimera::from_slice::<Order>(&bytes).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::NewerVersion {
                    found: 4,
                    known: 3,
                    ..
                }
            ),
            "{err}"
        );
    }
}

/// A chain with a gap: v3 reads v1, but nothing reads v2.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Gapped", version = 3, previous = GappedV1)]
struct Gapped {
    n: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Gapped")]
struct GappedV1 {
    n: u32,
}

#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.Gapped", version = 2)]
struct GappedV2 {
    n: u32,
}

impl From<GappedV1> for Gapped {
    fn from(v1: GappedV1) -> Self {
        Gapped { n: v1.n.into() }
    }
}

#[test]
fn versions_without_a_migration_path_are_named() {
    for bytes in [
        Json::new().encode(&GappedV2 { n: 1 }).expect("encodes"),
        Binary::new().encode(&GappedV2 { n: 1 }).expect("encodes"),
    ] {
        let err = kimera::from_slice::<Gapped>(&bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`shop.Gapped` version 2 is older than version 3, and no migration from it is declared"
        );
    }
    let bytes = Binary::new().encode(&GappedV1 { n: 5 }).expect("encodes");
    assert_eq!(
        Binary::new().decode::<Gapped>(&bytes).unwrap(),
        Gapped { n: 5 }
    );
    // A type with no chain reads only its own version.
    let bytes = Json::new().encode(&GappedV1 { n: 5 }).expect("encodes");
    let err = Json::new().decode::<GappedV2>(&bytes).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::NoMigration {
            found: 1,
            current: 2,
            ..
        }
    ));
}

#[test]
fn a_failed_conversion_is_a_migration_error_naming_both_versions() {
    let mut bad = v2();
    bad.lines[1].qty = 0;
    for bytes in [
        Json::new().encode(&bad).expect("encodes"),
        Binary::new().encode(&bad).expect("encodes"),
    ] {
        let err = kimera::from_slice::<Order>(&bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot migrate `shop.Order` from version 2 to version 3: line 1 (é✓) has no quantity"
        );
    }
}

/// What a writer had as v2 after changing the shape without bumping the version.
#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 2, register = false)]
struct OrderV2Changed {
    id: u64,
    lines: Vec<LineV1>,
    rush: bool,
}

#[test]
fn a_shape_changed_without_a_version_bump_needs_the_writers_schema() {
    let changed = OrderV2Changed {
        id: 1,
        lines: v2().lines,
        rush: true,
    };
    let bytes = Binary::new().encode(&changed).expect("encodes");
    let err = Binary::new().decode::<Order>(&bytes).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "`shop.Order` v2 was written with another schema than this reader's, in it or in a type it holds"
        ),
        "{err}"
    );
    // With it, the link of version 2 reads the shape by field name (`rush` is dropped), then
    // migrates as ever.
    let bytes = Binary::new()
        .with_schema()
        .encode(&changed)
        .expect("encodes");
    let order = Binary::new().decode::<Order>(&bytes).expect("resolves");
    assert_eq!(order.lines.len(), 2);
    // JSON carries no fingerprint: the v2 type reads the body as serde does, ignoring the
    // unknown field.
    let text = Json::new().encode(&changed).expect("encodes");
    let order = Json::new()
        .decode::<Order>(&text)
        .expect("serde ignores `rush`");
    assert_eq!(order.lines.len(), 2);
}

#[test]
fn data_errors_in_an_older_version_name_that_version_and_the_field() {
    let text = br#"{"kimera":1,"type":"shop.Order","version":1,"value":{"id":1,"sku":"A","qty":-1,"price":3}}"#;
    let err = Json::new().decode::<Order>(text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid `shop.Order` v1 at `qty`: invalid value: integer `-1`"),
        "{err}"
    );
    // The sku's first byte made invalid UTF-8, in an envelope without a checksum.
    let unchecked = Binary::new().without_checksum();
    let mut bytes = unchecked.encode(&v1()).expect("encodes");
    let at = bytes
        .windows(6)
        .position(|w| w == b"KB-101")
        .expect("the sku is in the body");
    bytes[at] = 0xff;
    let err = unchecked.decode::<Order>(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid `shop.Order` v1 at `sku`"),
        "{err}"
    );
}

/// A type renamed from `crm.Client`, whose v1 was written under the old name.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Customer", version = 2, alias = "crm.Client", previous = ClientV1)]
struct Customer {
    name: String,
    vip: bool,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "crm.Client")]
struct ClientV1 {
    name: String,
}

/// v2 as written under the old name, before the rename (by the old program: kept out of this
/// one's registry, where `Customer` reads that name).
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "crm.Client", version = 2, register = false)]
struct ClientV2 {
    name: String,
    vip: bool,
}

impl From<ClientV1> for Customer {
    fn from(v1: ClientV1) -> Self {
        Customer {
            name: v1.name,
            vip: false,
        }
    }
}

#[test]
fn aliases_read_values_written_under_the_old_name() {
    let old_current = ClientV2 {
        name: "Ada".into(),
        vip: true,
    };
    let old_v1 = ClientV1 { name: "Bo".into() };
    for (current, older) in [
        (
            Json::new().encode(&old_current).unwrap(),
            Json::new().encode(&old_v1).unwrap(),
        ),
        (
            Binary::new().encode(&old_current).unwrap(),
            Binary::new().encode(&old_v1).unwrap(),
        ),
    ] {
        let customer: Customer = kimera::from_slice(&current).expect("reads the old name");
        assert_eq!((customer.name.as_str(), customer.vip), ("Ada", true));
        let customer: Customer = kimera::from_slice(&older).expect("migrates the old name");
        assert_eq!((customer.name.as_str(), customer.vip), ("Bo", false));
    }
    // Written under the new name only.
    let text = kimera::json::to_string(&Customer {
        name: "Cy".into(),
        vip: false,
    })
    .unwrap();
    assert!(text.contains(r#""type":"shop.Customer""#), "{text}");
    // An alias is not a wildcard.
    let other = Json::new().encode(&("x".to_string(),)).unwrap();
    assert!(matches!(
        kimera::from_slice::<Customer>(&other).unwrap_err().kind(),
        ErrorKind::TypeMismatch { .. }
    ));
}

/// Renamed from `old.Item`, but the v1 link does not carry the old name.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.Item", version = 2, alias = "old.Item", previous = ItemV1)]
struct Item {
    n: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Item")]
struct ItemV1 {
    n: u32,
}

impl From<ItemV1> for Item {
    fn from(v1: ItemV1) -> Self {
        Item { n: v1.n.into() }
    }
}

/// The old program's v1, under the old name.
#[derive(Serialize, Kimera)]
#[kimera(name = "old.Item", register = false)]
struct OldItemV1 {
    n: u32,
}

#[test]
fn an_old_version_under_an_old_name_needs_a_link_with_that_name() {
    for bytes in [
        Json::new().encode(&OldItemV1 { n: 1 }).unwrap(),
        Binary::new().encode(&OldItemV1 { n: 1 }).unwrap(),
    ] {
        let err = kimera::from_slice::<Item>(&bytes).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::UnnamedLink { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "`old.Item` version 1 is read by `shop.Item`, the link of the migration chain with \
             that version, which does not carry the name `old.Item`: give it \
             `#[kimera(alias = \"old.Item\")]`"
        );
    }
}

#[test]
fn errors_in_an_old_json_body_are_named_as_in_a_current_one() {
    // v2 nests lines inside the order: three levels, over a limit of two.
    let strict = Json::new().with_limits(kimera::Limits::default().with_max_depth(2));
    let v2_text = Json::new().encode(&v2()).unwrap();
    let err = strict.decode::<Order>(&v2_text).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
    let broken = br#"{"kimera":1,"type":"shop.Order","version":1,"value":{"id":1,"sku":}}"#;
    let err = Json::new().decode::<Order>(broken).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Data { .. }), "{err}");
}

#[test]
fn chains_and_aliases_are_in_the_handler() {
    assert_eq!(Customer::ALIASES.len(), 1);
    assert_eq!(Customer::ALIASES[0].name, "crm.Client");
    // The shape under the old name is the shape the old writer had.
    assert_eq!(Customer::ALIASES[0].fingerprint, ClientV2::FINGERPRINT);
    assert!(Order::ALIASES.is_empty());
    assert_eq!(Order::VERSION, 3);
}

fn any_v1() -> impl Strategy<Value = OrderV1> {
    (any::<u64>(), "\\PC{0,12}", any::<u32>(), any::<u32>()).prop_map(|(id, sku, qty, price)| {
        OrderV1 {
            id,
            sku,
            qty: qty.max(1),
            price,
        }
    })
}

proptest! {
    /// Any v1 value reaches the same v3 value through JSON and through binary, and it is the
    /// value the conversions give in memory.
    #[test]
    fn any_v1_value_migrates_alike_in_both_backends(old in any_v1()) {
        let expected = Order::try_from(OrderV2::from(old.clone())).expect("qty is not 0");
        let from_json: Order = Json::new().decode(&Json::new().encode(&old).unwrap()).unwrap();
        let from_binary: Order =
            Binary::new().decode(&Binary::new().encode(&old).unwrap()).unwrap();
        prop_assert_eq!(&from_json, &expected);
        prop_assert_eq!(&from_binary, &expected);
    }
}
