//! Change detection: the diff's JSON Patch, applied by an independent implementation (the
//! `json-patch` crate), turns the old value's JSON into the new one's; paths, kinds and values
//! of the changes, floats and NaN, maps, enums, options, and encoded snapshots.

use std::collections::{BTreeMap, HashMap};

use kimera::diff::{ChangeKind, Value};
use kimera::{Binary, Format, Json, Kimera};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Doc")]
struct Doc {
    id: u64,
    name: String,
    score: f64,
    tags: BTreeMap<String, f64>,
    flags: HashMap<u32, bool>,
    items: Vec<Item>,
    status: Status,
    note: Option<String>,
    pair: (i8, char),
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Item")]
struct Item {
    sku: String,
    qty: u32,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Status")]
enum Status {
    Open,
    Held(String),
    Shipped { carrier: String, parcels: u8 },
    Split(u8, u8),
}

fn doc() -> Doc {
    Doc {
        id: 1,
        name: "first".into(),
        score: 0.5,
        tags: BTreeMap::from([("a".into(), 1.0), ("b".into(), 2.0)]),
        flags: HashMap::from([(1, true), (2, false)]),
        items: vec![
            Item {
                sku: "x".into(),
                qty: 1,
            },
            Item {
                sku: "y".into(),
                qty: 2,
            },
        ],
        status: Status::Open,
        note: None,
        pair: (1, 'a'),
    }
}

/// Applies the diff's patch to `old`'s JSON with the `json-patch` crate.
fn patched(old: &Doc, new: &Doc) -> serde_json::Value {
    let patch = kimera::diff::between(old, new)
        .expect("diffs")
        .to_json_patch()
        .expect("finite values have a JSON patch");
    let patch: json_patch::Patch = serde_json::from_value(patch).expect("a valid RFC 6902 patch");
    let mut doc = serde_json::to_value(old).expect("to JSON");
    json_patch::patch(&mut doc, &patch).expect("the patch applies");
    doc
}

fn any_status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Open),
        "[a-c]{0,2}".prop_map(Status::Held),
        ("[a-c/~]{0,3}", 0u8..3)
            .prop_map(|(carrier, parcels)| Status::Shipped { carrier, parcels }),
        (0u8..2, 0u8..2).prop_map(|(a, b)| Status::Split(a, b)),
    ]
}

fn any_doc() -> impl Strategy<Value = Doc> {
    let float = prop_oneof![Just(0.0), Just(-0.0), Just(1.5), -1e9..1e9f64];
    (
        0u64..3,
        "[a-c]{0,3}",
        float.clone(),
        prop::collection::btree_map("[a-c~/]{0,2}", float, 0..4),
        prop::collection::hash_map(0u32..4, any::<bool>(), 0..4),
        prop::collection::vec(
            ("[xy]", 0u32..3).prop_map(|(sku, qty)| Item { sku, qty }),
            0..4,
        ),
        any_status(),
        prop::option::of("[a-c]{0,2}"),
        (any::<i8>(), prop::char::range('a', 'c')),
    )
        .prop_map(
            |(id, name, score, tags, flags, items, status, note, pair)| Doc {
                id,
                name,
                score,
                tags,
                flags,
                items,
                status,
                note,
                pair,
            },
        )
}

proptest! {
    #[test]
    fn the_patch_turns_old_into_new(old in any_doc(), new in any_doc()) {
        let diff = kimera::diff::between(&old, &new).unwrap();
        prop_assert_eq!(patched(&old, &new), serde_json::to_value(&new).unwrap());
        prop_assert_eq!(diff.is_empty(), old == new && old.score.to_bits() == new.score.to_bits()
            && old.tags.values().zip(new.tags.values()).all(|(a, b)| a.to_bits() == b.to_bits()));
        // Every change names a path in the JSON form, and prints on one line.
        for change in diff.changes() {
            prop_assert!(change.path().starts_with('/'));
            prop_assert!(!change.to_string().contains('\n'));
        }
    }

    #[test]
    fn a_value_has_no_changes_from_itself(doc in any_doc()) {
        prop_assert!(kimera::diff::between(&doc, &doc.clone()).unwrap().is_empty());
    }
}

#[test]
fn changes_have_paths_kinds_and_both_values() {
    let old = doc();
    let mut new = doc();
    new.items[1].qty = 5;
    new.items.push(Item {
        sku: "z".into(),
        qty: 1,
    });
    new.tags.remove("a");
    new.tags.insert("c/d~e".into(), 3.0);
    new.flags.insert(2, true);
    let diff = kimera::diff::between(&old, &new).unwrap();
    let summary: Vec<_> = diff
        .changes()
        .iter()
        .map(|c| (c.path(), c.kind()))
        .collect();
    assert_eq!(
        summary,
        [
            ("/tags/a", ChangeKind::Removed),
            ("/tags/c~1d~0e", ChangeKind::Added),
            ("/flags/2", ChangeKind::Changed),
            ("/items/1/qty", ChangeKind::Changed),
            ("/items/2", ChangeKind::Added),
        ]
    );
    let qty = &diff.changes()[3];
    assert_eq!(qty.old_value(), Some(&Value::UInt(2)));
    assert_eq!(qty.new_value(), Some(&Value::UInt(5)));
    assert_eq!(
        diff.to_string(),
        "removed /tags/a: 1.0\n\
         added /tags/c~1d~0e: 3.0\n\
         changed /flags/2: false -> true\n\
         changed /items/1/qty: 2 -> 5\n\
         added /items/2: {\"sku\": \"z\", \"qty\": 1}"
    );
    assert_eq!(patched(&old, &new), serde_json::to_value(&new).unwrap());
}

#[test]
fn shorter_sequences_are_removed_from_the_end() {
    let diff = kimera::diff::between(&vec![1, 2, 3, 4], &vec![9]).unwrap();
    assert_eq!(
        diff.to_string(),
        "changed /0: 1 -> 9\nremoved /3: 4\nremoved /2: 3\nremoved /1: 2"
    );
}

#[test]
fn enums_options_and_whole_values() {
    let old = doc();
    let mut new = doc();
    new.status = Status::Shipped {
        carrier: "DHL".into(),
        parcels: 1,
    };
    new.note = Some("gift".into());
    let diff = kimera::diff::between(&old, &new).unwrap();
    assert_eq!(
        diff.to_string(),
        "changed /status: \"Open\" -> {\"Shipped\": {\"carrier\": \"DHL\", \"parcels\": 1}}\n\
         changed /note: null -> \"gift\""
    );
    assert_eq!(patched(&old, &new), serde_json::to_value(&new).unwrap());

    // Within one variant, the change is inside it.
    let mut newer = new.clone();
    newer.status = Status::Shipped {
        carrier: "UPS".into(),
        parcels: 1,
    };
    let diff = kimera::diff::between(&new, &newer).unwrap();
    assert_eq!(
        diff.to_string(),
        "changed /status/Shipped/carrier: \"DHL\" -> \"UPS\""
    );

    // A top-level scalar changes as a whole, at the empty pointer.
    let diff = kimera::diff::between(&1u8, &2u8).unwrap();
    assert_eq!(diff.changes()[0].path(), "");
    assert_eq!(diff.to_string(), "changed (the whole value): 1 -> 2");
    assert_eq!(
        diff.to_json_patch().unwrap(),
        serde_json::json!([{ "op": "replace", "path": "", "value": 2 }])
    );
    assert_eq!(
        kimera::diff::between(&1u8, &1u8).unwrap().to_string(),
        "no changes"
    );
}

#[test]
fn floats_nan_and_signed_zero() {
    let mut old = doc();
    old.score = f64::NAN;
    let mut new = old.clone();
    // NaN staying NaN is no change.
    assert!(kimera::diff::between(&old, &new).unwrap().is_empty());
    new.score = 1.0;
    let diff = kimera::diff::between(&old, &new).unwrap();
    assert_eq!(diff.to_string(), "changed /score: NaN -> 1.0");
    // The patch can say 1.0 but not NaN: the reverse patch is refused, not written as null.
    assert!(diff.to_json_patch().is_ok());
    let err = kimera::diff::between(&new, &old)
        .unwrap()
        .to_json_patch()
        .unwrap_err();
    assert!(
        err.to_string().contains("JSON cannot hold the float NaN"),
        "{err}"
    );
    // 0.0 and -0.0 are written differently, so they differ.
    let diff = kimera::diff::between(&0.0f64, &-0.0f64).unwrap();
    assert_eq!(diff.to_string(), "changed (the whole value): 0.0 -> -0.0");
    let diff = kimera::diff::between(&f64::INFINITY, &f64::NEG_INFINITY).unwrap();
    assert_eq!(diff.to_string(), "changed (the whole value): inf -> -inf");
    // Integers JSON cannot hold are diffed exactly, and refused in a patch.
    let diff = kimera::diff::between(&u128::MAX, &0u128).unwrap();
    assert_eq!(
        diff.to_string(),
        "changed (the whole value): 340282366920938463463374607431768211455 -> 0"
    );
    assert!(kimera::diff::between(&0u128, &u128::MAX)
        .unwrap()
        .to_json_patch()
        .is_err());
}

/// v2 of a type whose v1 kept a single SKU.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Cart", version = 2, previous = CartV1)]
struct Cart {
    skus: Vec<String>,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "test.Cart")]
struct CartV1 {
    sku: String,
}

impl From<CartV1> for Cart {
    fn from(v1: CartV1) -> Self {
        Cart { skus: vec![v1.sku] }
    }
}

#[test]
fn encoded_snapshots_in_any_backend_and_version() {
    let old = Json::new().encode(&CartV1 { sku: "a".into() }).unwrap();
    let new = Binary::new()
        .encode(&Cart {
            skus: vec!["a".into(), "b".into()],
        })
        .unwrap();
    let diff = kimera::diff::between_encoded::<Cart>(&old, &new).unwrap();
    assert_eq!(diff.to_string(), "added /skus/1: \"b\"");
    // Bad input is the decode error.
    assert!(kimera::diff::between_encoded::<Cart>(&old, b"junk").is_err());
}

/// A flattened map holding a field's name: serde_json keeps the last value of the key, and so
/// does the diff, whose patch then applies.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Flat")]
struct Flat {
    x: u8,
    #[serde(flatten)]
    rest: BTreeMap<String, u8>,
}

#[test]
fn keys_are_those_serde_json_writes() {
    let old = Flat {
        x: 1,
        rest: BTreeMap::from([("x".into(), 2), ("a".into(), 3)]),
    };
    let mut new = old.clone();
    new.rest.insert("x".into(), 5);
    new.rest.remove("a");
    let patch = kimera::diff::between(&old, &new)
        .unwrap()
        .to_json_patch()
        .unwrap();
    let patch: json_patch::Patch = serde_json::from_value(patch).unwrap();
    let mut doc = serde_json::to_value(&old).unwrap();
    json_patch::patch(&mut doc, &patch).unwrap();
    assert_eq!(doc, serde_json::to_value(&new).unwrap());

    // Float keys are written by serde_json in their shortest form, f32 as f32.
    #[derive(Serialize, Kimera)]
    #[kimera(name = "test.FloatKeys")]
    struct FloatKeys(#[kimera(opaque)] BTreeMap<Key, u8>);
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct Key(#[serde(serialize_with = "as_f32")] u32);
    fn as_f32<S: serde::Serializer>(bits: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f32(f32::from_bits(*bits))
    }
    let key = Key(0.1f32.to_bits());
    let diff = kimera::diff::between(
        &FloatKeys(BTreeMap::from([(key, 1)])),
        &FloatKeys(BTreeMap::from([(Key(0.1f32.to_bits()), 2)])),
    )
    .unwrap();
    assert_eq!(diff.changes()[0].path(), "/0.1");
}

#[test]
fn integers_json_can_hold_are_in_the_patch() {
    let big = i128::from(u64::MAX);
    let patch = kimera::diff::between(&0i128, &big)
        .unwrap()
        .to_json_patch()
        .unwrap();
    assert_eq!(patch[0]["value"], serde_json::json!(u64::MAX));
    let err = kimera::diff::between(&0i128, &(big + 1))
        .unwrap()
        .to_json_patch()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot encode `JSON Patch` at the top level: JSON cannot hold the integer 18446744073709551616 exactly"
    );
}
