//! The registry: derived types register themselves, `decode_any` and `Dispatcher` find them by
//! the name their envelope carries, `check` reports names claimed twice.

use kimera::registry::{self, Conflict, Dispatcher, LookupError};
use kimera::{Binary, ErrorKind, Format, Json, Kimera, KimeraHandler};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
struct Order {
    id: u64,
    skus: Vec<String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order")]
struct OrderV1 {
    id: u64,
    sku: String,
}

impl From<OrderV1> for Order {
    fn from(v1: OrderV1) -> Self {
        Order {
            id: v1.id,
            skus: vec![v1.sku],
        }
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Refund", alias = "shop.Chargeback")]
struct Refund {
    order: u64,
    cents: u64,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Page")]
struct Page<T> {
    items: Vec<T>,
}

kimera::register!(Page<u32>);
// Registering an instantiation twice (in two crates, typically) registers it once.
kimera::register!(Page<u32>, Page<String>);

/// A type renamed from `crm.Client` after v1, then changed again: both later versions read
/// the old name.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Customer", version = 3, alias = "crm.Client", previous = CustomerV2)]
struct Customer {
    name: String,
    vip: bool,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Customer", version = 2, alias = "crm.Client", previous = ClientV1)]
struct CustomerV2 {
    name: String,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "crm.Client")]
struct ClientV1 {
    name: String,
}

impl From<ClientV1> for CustomerV2 {
    fn from(v1: ClientV1) -> Self {
        CustomerV2 { name: v1.name }
    }
}

impl From<CustomerV2> for Customer {
    fn from(v2: CustomerV2) -> Self {
        Customer {
            name: v2.name,
            vip: false,
        }
    }
}

/// Encodable only: listed, but `decode_any` cannot produce one.
#[derive(Serialize, Kimera)]
#[kimera(name = "test.WriteOnly")]
struct WriteOnly {
    n: u8,
}

/// Two unrelated types claiming one name at different versions, which the derive cannot see
/// as a conflict (the versions differ) but `check` does.
mod left {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
    #[kimera(name = "test.Clash", version = 1)]
    pub struct Clash {
        pub a: u8,
    }
}

mod right {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
    #[kimera(name = "test.Clash", version = 2)]
    pub struct Clash {
        pub b: String,
    }
}

fn encodings<T: KimeraHandler + Serialize>(value: &T) -> [Vec<u8>; 2] {
    [
        Json::new().encode(value).expect("encodes"),
        Binary::new().encode(value).expect("encodes"),
    ]
}

#[test]
fn derived_types_are_listed_with_their_identity() {
    let order = registry::types()
        .find(|t| t.name() == "shop.Order" && t.version() == 2)
        .expect("Order is registered");
    assert_eq!(order.fingerprint(), Order::FINGERPRINT);
    assert_eq!(order.schema(), Order::SCHEMA);
    assert_eq!(order.previous_version(), Some(1));
    assert!(order.rust_type().ends_with("Order"));
    assert!(order.is_decodable());

    let refund = registry::types()
        .find(|t| t.name() == "shop.Refund")
        .unwrap();
    assert_eq!(refund.aliases().collect::<Vec<_>>(), ["shop.Chargeback"]);

    let names: Vec<_> = registry::types().map(|t| (t.name(), t.version())).collect();
    for expected in [
        ("shop.Order", 1),
        ("test.Page<u32>", 1),
        ("test.WriteOnly", 1),
    ] {
        assert!(names.contains(&expected), "{expected:?} in {names:?}");
    }
    // Sorted by name, then version.
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(!registry::types()
        .find(|t| t.name() == "test.WriteOnly")
        .unwrap()
        .is_decodable());
}

#[test]
fn decode_any_reads_every_registered_type_from_either_backend() {
    let order = Order {
        id: 1,
        skus: vec!["a".into(), "b".into()],
    };
    for bytes in encodings(&order) {
        let any = registry::decode_any(&bytes).expect("decodes");
        assert_eq!((any.type_name(), any.version()), ("shop.Order", 2));
        assert!(any.is::<Order>() && !any.is::<OrderV1>());
        let any = any.downcast::<Refund>().expect_err("not a Refund");
        assert_eq!(any.downcast::<Order>().unwrap(), order);
    }
    for bytes in encodings(&Page { items: vec![3u32] }) {
        let page: Page<u32> = registry::decode_any(&bytes).unwrap().downcast().unwrap();
        assert_eq!(page.items, [3]);
    }
}

#[test]
fn older_versions_are_migrated_before_they_are_returned() {
    let old = OrderV1 {
        id: 9,
        sku: "x".into(),
    };
    for bytes in encodings(&old) {
        let any = registry::decode_any(&bytes).expect("decodes");
        assert_eq!((any.version(), any.written_version()), (2, 1));
        assert_eq!(any.downcast::<Order>().unwrap(), Order::from(old.clone()));
    }
}

#[test]
fn aliases_find_the_renamed_type() {
    #[derive(Serialize, Kimera)]
    #[kimera(name = "shop.Chargeback", register = false)]
    struct Chargeback {
        order: u64,
        cents: u64,
    }
    for bytes in encodings(&Chargeback {
        order: 4,
        cents: 250,
    }) {
        let any = registry::decode_any(&bytes).expect("decodes under the alias");
        assert_eq!(any.type_name(), "shop.Refund");
        assert_eq!(
            any.downcast::<Refund>().unwrap(),
            Refund {
                order: 4,
                cents: 250
            }
        );
    }
}

#[test]
fn a_renamed_chain_is_one_type_under_both_names() {
    let old = kimera::binary::to_vec(&ClientV1 { name: "Ada".into() }).unwrap();
    let any = registry::decode_any(&old).expect("crm.Client v1 reads as shop.Customer v3");
    assert_eq!(
        (any.type_name(), any.written_version()),
        ("shop.Customer", 1)
    );
    assert_eq!(
        any.downcast::<Customer>().unwrap(),
        Customer {
            name: "Ada".into(),
            vip: false
        }
    );
    let pages = registry::types().filter(|t| t.name() == "test.Page<u32>");
    assert_eq!(pages.count(), 1);
}

#[test]
fn the_json_view_is_plain_json() {
    let any =
        registry::decode_any(&kimera::binary::to_vec(&Refund { order: 1, cents: 2 }).unwrap())
            .unwrap();
    assert_eq!(
        any.to_json_value().unwrap(),
        serde_json::json!({ "order": 1, "cents": 2 })
    );
    assert_eq!(
        format!("{any:?}"),
        "AnyValue { type_name: \"shop.Refund\", version: 1, written_version: 1, .. }"
    );
}

/// An unknown type name of 100 MB gives a small error from `decode_any` and a `Dispatcher`.
#[test]
fn a_huge_unknown_type_name_gives_a_small_error() {
    let name = "z".repeat(100 << 20);
    let text = format!(r#"{{"kimera":1,"type":"{name}","version":1,"value":1}}"#);
    let mut dispatcher = Dispatcher::new().on(|refund: Refund| refund.cents);
    for err in [
        registry::decode_any(text.as_bytes()).unwrap_err(),
        dispatcher.dispatch(text.as_bytes()).unwrap_err(),
    ] {
        let lookup = err.downcast_ref::<LookupError>();
        assert!(
            matches!(lookup, Some(LookupError::UnknownType { .. })),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains(&format!("`{}… ({} bytes)`", "z".repeat(64), 100 << 20)));
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(format!("{err:#}").len() < 8 << 10);
    }
}

/// A JSON-only type in the registry: `decode_any` reads it from JSON, and it cannot be
/// forwarded as binary.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Setting")]
#[serde(tag = "kind")]
enum Setting {
    Flag { on: bool },
}

#[test]
fn values_are_forwarded_in_either_backend_as_their_current_version() {
    // An old value, under its old name, migrated on the way in and written as it is now.
    let old = kimera::binary::to_vec(&ClientV1 { name: "Ada".into() }).unwrap();
    let any = registry::decode_any(&old).unwrap();
    let current = Customer {
        name: "Ada".into(),
        vip: false,
    };
    for (format, bytes) in [
        ("json", any.to_vec(&Json::new()).unwrap()),
        ("binary", any.to_vec(&Binary::new()).unwrap()),
    ] {
        assert_eq!(
            kimera::from_slice::<Customer>(&bytes).unwrap(),
            current,
            "{format}"
        );
        let header = kimera::read_header(&bytes).unwrap();
        assert_eq!((&*header.type_name, header.version), ("shop.Customer", 3));
    }
    // The format's options apply.
    let bare = any.to_vec(&Binary::new().without_checksum()).unwrap();
    assert!(kimera::binary::from_slice::<Customer>(&bare).is_err());
    let back: Customer = Binary::new().without_checksum().decode(&bare).unwrap();
    assert_eq!(back, current);

    let setting =
        registry::decode_any(&kimera::json::to_vec(&Setting::Flag { on: true }).unwrap()).unwrap();
    let err = setting.to_vec(&Binary::new()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported(_)), "{err}");
    let json = setting.to_vec(&Json::new()).unwrap();
    assert_eq!(
        kimera::json::from_slice::<Setting>(&json).unwrap(),
        Setting::Flag { on: true }
    );
}

#[test]
fn unknown_undecodable_and_ambiguous_names_are_errors() {
    let err = registry::decode_any(&kimera::json::to_vec(&(1u8,)).unwrap()).unwrap_err();
    match err.downcast_ref::<LookupError>() {
        Some(LookupError::UnknownType { found, known }) => {
            assert_eq!(found, "tuple<u8>");
            assert!(known.iter().any(|k| k == "shop.Refund"), "{known:?}");
        }
        other => panic!("{other:?}"),
    }
    // What a peer may be sent names no other type; the alternate form, for logs, lists them.
    assert_eq!(err.to_string(), "no registered type is named `tuple<u8>`");
    assert!(format!("{err:#}").starts_with("no registered type is named `tuple<u8>` (registered: "));

    let err =
        registry::decode_any(&kimera::json::to_vec(&WriteOnly { n: 1 }).unwrap()).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LookupError::NotDecodable { type_name, .. }) if type_name == "test.WriteOnly"),
        "{err}"
    );

    let bytes = kimera::json::to_vec(&right::Clash { b: "b".into() }).unwrap();
    let err = registry::decode_any(&bytes).unwrap_err();
    assert!(
        format!("{err:#}").starts_with(
            "`test.Clash` is claimed by several registered types (claimed by: test.Clash v2"
        ),
        "{err}"
    );
    // Not garbage either: a mangled envelope is an envelope error.
    assert!(registry::decode_any(b"{\"kimera\":1").is_err());
    assert!(registry::decode_any(&[0x4b, 0xe5, 0x11]).is_err());
}

#[test]
fn check_reports_names_claimed_by_unrelated_types_only() {
    let conflicts = registry::check().expect_err("test.Clash is claimed twice");
    // With `?` in a function returning kimera::Result, they stay what they were.
    let err = (|| -> kimera::Result<()> { Ok(registry::check()?) })().unwrap_err();
    assert_eq!(err.to_string(), conflicts.to_string());
    assert_eq!(err.downcast_ref::<registry::Conflicts>(), Some(&conflicts));
    // The chain of shop.Order (v2 migrating from v1) is not a conflict, nor are the
    // default-named namesakes `alpha::Signal` and `beta::Signal`; `Ticket`, a default name and
    // another type's alias, is.
    assert_eq!(conflicts.0.len(), 2, "{conflicts}");
    let Conflict {
        name, claimants, ..
    } = &conflicts.0[1];
    assert_eq!(name, "test.Clash");
    assert_eq!(claimants.len(), 2, "{claimants:?}");
    let Conflict {
        name, claimants, ..
    } = &conflicts.0[0];
    assert_eq!(name, "Ticket");
    assert_eq!(claimants.len(), 2, "{claimants:?}");
    let Conflict {
        name, claimants, ..
    } = &conflicts.0[1];
    assert_eq!(name, "test.Clash");
    assert_eq!(claimants.len(), 2);
    assert!(claimants[0].starts_with("test.Clash v2 ("), "{claimants:?}");
    assert!(claimants[1].starts_with("test.Clash v1 ("), "{claimants:?}");
    let text = conflicts.to_string();
    assert!(
        text.starts_with("2 type names are claimed twice:\n  `Ticket` by "),
        "{text}"
    );
    assert!(text.contains("\n  `test.Clash` by test.Clash v2"), "{text}");
}

#[test]
fn a_dispatcher_routes_values_to_typed_handlers() {
    let mut dispatcher = Dispatcher::new()
        .on(|order: Order| format!("order {} {:?}", order.id, order.skus))
        .on(|refund: Refund| format!("refund {}", refund.cents))
        .on(|page: Page<u32>| format!("page {:?}", page.items));
    let stream = [
        kimera::json::to_vec(&Order {
            id: 1,
            skus: vec!["a".into()],
        })
        .unwrap(),
        kimera::binary::to_vec(&OrderV1 {
            id: 2,
            sku: "b".into(),
        })
        .unwrap(),
        kimera::binary::to_vec(&Refund { order: 1, cents: 5 }).unwrap(),
        kimera::json::to_vec(&Page { items: vec![7u32] }).unwrap(),
    ];
    let seen: Vec<String> = stream
        .iter()
        .map(|bytes| dispatcher.dispatch(bytes).expect("handled"))
        .collect();
    assert_eq!(
        dispatcher.handled().collect::<Vec<_>>(),
        [
            "shop.Chargeback",
            "shop.Order",
            "shop.Refund",
            "test.Page<u32>"
        ]
    );

    // Registered but not handled here, and not registered at all: both name the type, and,
    // for logs, what the dispatcher handles.
    let err = dispatcher
        .dispatch(&kimera::json::to_vec(&left::Clash { a: 1 }).unwrap())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no handler for `test.Clash` in this dispatcher"
    );
    assert_eq!(
        format!("{err:#}"),
        "no handler for `test.Clash` in this dispatcher (it handles: shop.Chargeback, \
         shop.Order, shop.Refund, test.Page<u32>)"
    );
    let err = dispatcher
        .dispatch(&kimera::json::to_vec(&"text").unwrap())
        .unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LookupError::UnknownType { found, .. }) if found == "str"),
        "{err}"
    );
    // A bad value of a handled type is the decode error of that type.
    let err = dispatcher
        .dispatch(br#"{"kimera":1,"type":"shop.Refund","version":1,"value":{"order":1}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("missing field `cents`"), "{err}");
    assert_eq!(
        seen,
        ["order 1 [\"a\"]", "order 2 [\"b\"]", "refund 5", "page [7]"]
    );
}

#[test]
fn handlers_may_return_values() {
    let mut dispatcher: Dispatcher<'_, Result<u64, String>> = Dispatcher::new()
        .on(|refund: Refund| Ok(refund.cents))
        .on(|order: Order| Err(format!("orders are not refunds: {}", order.id)));
    let bytes = kimera::json::to_vec(&Refund { order: 1, cents: 5 }).unwrap();
    assert_eq!(dispatcher.dispatch(&bytes).unwrap(), Ok(5));
}

/// Two types with one default name in two modules: envelopes carry their origins, so the
/// registry and a dispatcher tell them apart (and `check` does not count them as a conflict:
/// see `check_reports_names_claimed_by_unrelated_types_only`).
mod alpha {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    pub struct Signal {
        pub level: u8,
    }
}

mod beta {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    pub struct Signal {
        pub label: String,
    }
}

#[test]
fn types_sharing_a_default_name_are_told_apart_by_origin() {
    let a = alpha::Signal { level: 3 };
    let b = beta::Signal { label: "up".into() };
    for bytes in encodings(&a) {
        let any = registry::decode_any(&bytes).unwrap();
        assert_eq!(
            any.downcast::<alpha::Signal>().ok(),
            Some(alpha::Signal { level: 3 })
        );
    }
    for bytes in encodings(&b) {
        let any = registry::decode_any(&bytes).unwrap();
        assert!(any.is::<beta::Signal>());
    }
    let mut dispatcher = Dispatcher::new()
        .on(|s: alpha::Signal| format!("alpha {}", s.level))
        .on(|s: beta::Signal| format!("beta {}", s.label));
    for bytes in encodings(&a) {
        assert_eq!(dispatcher.dispatch(&bytes).unwrap(), "alpha 3");
    }
    for bytes in encodings(&b) {
        assert_eq!(dispatcher.dispatch(&bytes).unwrap(), "beta up");
    }
    // Without an origin (another writer), the name alone cannot choose.
    let text = br#"{"kimera":1,"type":"Signal","version":1,"value":{"level":1}}"#;
    let err = registry::decode_any(text).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LookupError::AmbiguousType { .. })),
        "{err}"
    );
    let err = dispatcher.dispatch(text).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LookupError::AmbiguousType { claimants, .. }) if claimants.len() == 2),
        "{err}"
    );
}

/// A default name that is also another type's alias: envelopes under the alias carry a former
/// writer's origin, so the two cannot be told apart, and `check` says so.
mod ticket_a {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
    pub struct Ticket {
        pub x: u8,
    }
}

mod ticket_b {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
    #[kimera(alias = "Ticket")]
    pub struct Voucher {
        pub x: u8,
    }
}

/// Routing reads the header without the checksum (the typed decode verifies it, once), so a
/// damaged envelope must still be named as damaged, whether or not its type is handled.
#[test]
fn damaged_binary_envelopes_are_checksum_errors_when_routed() {
    let mut dispatcher = Dispatcher::new().on(|refund: Refund| refund.cents);
    let damage = |mut bytes: Vec<u8>| {
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        bytes
    };
    let handled = damage(kimera::binary::to_vec(&Refund { order: 1, cents: 5 }).unwrap());
    let unhandled = damage(
        kimera::binary::to_vec(&Order {
            id: 1,
            skus: vec![],
        })
        .unwrap(),
    );
    let unknown = damage(kimera::binary::to_vec(&(1u8, 2u8)).unwrap());
    for bytes in [&handled, &unhandled, &unknown] {
        let err = dispatcher.dispatch(bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ChecksumMismatch { .. }),
            "dispatch: {err}"
        );
        let err = registry::decode_any(bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ChecksumMismatch { .. }),
            "decode_any: {err}"
        );
    }
    // A JSON envelope is routed by its first bytes: a broken one of an unknown type is named
    // as broken, not as unknown.
    let broken = br#"{"kimera":1,"type":"nobody.Knows","version":1,"value":[1,"#;
    for err in [
        dispatcher.dispatch(broken).unwrap_err(),
        registry::decode_any(broken).unwrap_err(),
    ] {
        assert!(
            !matches!(err.downcast_ref(), Some(LookupError::UnknownType { .. })),
            "a broken envelope: {err}"
        );
    }
    // Undamaged, each is what it was.
    let intact = kimera::binary::to_vec(&(1u8, 2u8)).unwrap();
    assert!(matches!(
        dispatcher.dispatch(&intact).unwrap_err().downcast_ref(),
        Some(LookupError::UnknownType { .. })
    ));
}
