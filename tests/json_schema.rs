//! `kimera::json_schema`: the JSON Schema of a type, checked by an independent validator (the
//! `jsonschema` crate, draft 2020-12, formats on). Every value `kimera::json` writes validates,
//! random ones by the thousand; documents broken by hand in a key, a type, a tag or a shape do
//! not.

#[path = "support/strategies.rs"]
mod strategies;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use kimera::schema::document::Document;
use kimera::{Kimera, KimeraHandler};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use strategies::{ip, uuid};
use uuid::Uuid;

/// A service's state as a JSON API holds it: serde's renames, every enum representation,
/// flattened fields (a struct and a catch-all map), defaults and skipped fields, foreign keys,
/// free-form settings, chrono text and compact forms.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Node", version = 4)]
#[serde(rename_all = "camelCase")]
struct ServiceNode {
    node_id: Uuid,
    peers: BTreeMap<Uuid, Peer>,
    ports: HashMap<IpAddr, Vec<u16>>,
    #[serde(rename = "ev")]
    events: Vec<Event>,
    commands: Vec<Command>,
    replies: Vec<Reply>,
    statuses: Vec<Status>,
    #[serde(default)]
    weight: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip)]
    cache: u64,
    #[serde(flatten)]
    meta: Meta,
    labels: Labels,
    #[serde(with = "kimera::compact")]
    checked: DateTime<FixedOffset>,
    since: DateTime<Utc>,
    offset_at: DateTime<FixedOffset>,
    day: NaiveDate,
    settings: BTreeMap<String, Value>,
    big: u128,
    low: i128,
    ratio: f32,
    letter: char,
    window: (i64, f64, bool),
    limits: [u8; 3],
    ttl: Duration,
    seen: SystemTime,
    shard: ShardId,
    marker: Marker,
    counts: BTreeMap<u32, i8>,
    tags: BTreeSet<String>,
}

/// Default-named: its envelope carries its origin.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
struct Peer {
    addr: IpAddr,
    last: Option<NaiveDateTime>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Meta")]
struct Meta {
    region: String,
    zone: Option<u8>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Labels")]
struct Labels {
    name: String,
    #[serde(flatten)]
    extra: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Event")]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Event {
    Started,
    Joined { node: Uuid, at: NaiveDateTime },
    Moved(Move),
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Move")]
struct Move {
    from: IpAddr,
    to: IpAddr,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Command")]
#[serde(tag = "op", content = "args")]
enum Command {
    Ping,
    Set(String, i64),
    Drop { key: String },
    Weight(u16),
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Reply")]
#[serde(untagged)]
enum Reply {
    Code(u16),
    Text(String),
    Pair { ok: bool, detail: Option<String> },
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Status")]
enum Status {
    Up,
    Down(String),
    Moved(IpAddr, u16),
    #[serde(rename = "gone")]
    Gone {
        reason: String,
    },
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.ShardId")]
struct ShardId(u64);

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Marker")]
struct Marker;

/// A recursive type: its schema refers to itself.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "svc.Tree")]
struct Tree {
    label: String,
    children: Vec<Tree>,
}

fn compile(schema: &Value) -> jsonschema::Validator {
    assert!(
        jsonschema::draft202012::meta::is_valid(schema),
        "not a valid draft 2020-12 schema: {schema:#}"
    );
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema compiles")
}

/// Why `instance` does not validate, if it does not.
fn problems(validator: &jsonschema::Validator, instance: &Value) -> Option<String> {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

/// Instants over chrono's whole range: years before 0 and after 9999, any nanosecond.
fn utc() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    prop_oneof![
        (min..max, 0..1_000_000_000u32),
        (0..4_102_444_800i64, 0..1_000_000_000u32),
    ]
    .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).expect("in range"))
}

fn offset_time() -> impl Strategy<Value = DateTime<FixedOffset>> {
    // Offsets of whole minutes (chrono's text rounds others) away from the range's ends,
    // where chrono's own `Serialize` panics.
    (0..4_102_444_800i64, 0..1_000_000_000u32, -1439..1440i32).prop_map(|(secs, nanos, mins)| {
        DateTime::from_timestamp(secs, nanos)
            .expect("in range")
            .with_timezone(&FixedOffset::east_opt(mins * 60).expect("in range"))
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{0,8}", any::<String>()]
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
}

fn setting() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        finite().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Started),
        (uuid(), utc()).prop_map(|(node, at)| Event::Joined {
            node,
            at: at.naive_utc()
        }),
        (ip(), ip()).prop_map(|(from, to)| Event::Moved(Move { from, to })),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Ping),
        (text(), any::<i64>()).prop_map(|(k, v)| Command::Set(k, v)),
        text().prop_map(|key| Command::Drop { key }),
        any::<u16>().prop_map(Command::Weight),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        any::<u16>().prop_map(Reply::Code),
        text().prop_map(Reply::Text),
        (any::<bool>(), prop::option::of(text()))
            .prop_map(|(ok, detail)| Reply::Pair { ok, detail }),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Up),
        text().prop_map(Status::Down),
        (ip(), any::<u16>()).prop_map(|(a, p)| Status::Moved(a, p)),
        text().prop_map(|reason| Status::Gone { reason }),
    ]
}

fn peer() -> impl Strategy<Value = Peer> {
    (ip(), prop::option::of(utc())).prop_map(|(addr, last)| Peer {
        addr,
        last: last.map(|t| t.naive_utc()),
    })
}

prop_compose! {
    fn node()(
        ids in (uuid(), prop::collection::btree_map(uuid(), peer(), 0..3)),
        ports in prop::collection::hash_map(ip(), prop::collection::vec(any::<u16>(), 0..3), 0..3),
        lists in (
            prop::collection::vec(event(), 0..4),
            prop::collection::vec(command(), 0..4),
            prop::collection::vec(reply(), 0..4),
            prop::collection::vec(status(), 0..4),
        ),
        who in (any::<u32>(), prop::option::of(text()), text(), prop::option::of(any::<u8>())),
        labels in (text(), prop::collection::btree_map("[a-z]{1,6}", text(), 0..3)),
        times in (offset_time(), utc(), offset_time(), -3_000_000..3_000_000i32),
        settings in prop::collection::btree_map(text(), setting(), 0..3),
        numbers in (any::<u128>(), any::<i128>(), any::<f32>().prop_filter("finite", |f| f.is_finite()), any::<char>()),
        shapes in ((any::<i64>(), finite(), any::<bool>()), any::<[u8; 3]>(), (any::<u64>(), 0..1_000_000_000u32)),
        rest in ((0..100_000_000_000u64, 0..1_000_000_000u32), any::<u64>(),
            prop::collection::btree_map(any::<u32>(), any::<i8>(), 0..3),
            prop::collection::btree_set(text(), 0..3)),
    ) -> ServiceNode {
        let (node_id, peers) = ids;
        let (events, commands, replies, statuses) = lists;
        let (weight, owner, region, zone) = who;
        let (checked, since, offset_at, days) = times;
        let (big, low, ratio, letter) = numbers;
        let (window, limits, (secs, nanos)) = shapes;
        let ((seen_secs, seen_nanos), shard, counts, tags) = rest;
        ServiceNode {
            node_id,
            peers,
            ports,
            events,
            commands,
            replies,
            statuses,
            weight,
            owner,
            cache: 0,
            meta: Meta { region, zone },
            labels: Labels { name: labels.0, extra: labels.1 },
            checked,
            since,
            offset_at,
            day: NaiveDate::from_num_days_from_ce_opt(days).expect("in range"),
            settings,
            big,
            low,
            ratio,
            letter,
            window,
            limits,
            ttl: Duration::new(secs, nanos),
            seen: UNIX_EPOCH + Duration::new(seen_secs, seen_nanos),
            shard: ShardId(shard),
            marker: Marker,
            counts,
            tags,
        }
    }
}

fn envelope(node: &ServiceNode) -> Value {
    serde_json::from_str(&kimera::json::to_string(node).expect("encodes")).expect("JSON")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every value `kimera::json` writes validates, as an envelope and as a bare value.
    #[test]
    fn every_written_value_validates(node in node()) {
        thread_local! {
            static VALIDATORS: (jsonschema::Validator, jsonschema::Validator) = (
                compile(&kimera::json_schema::of::<ServiceNode>()),
                compile(&kimera::json_schema::value_of::<ServiceNode>()),
            );
        }
        let envelope = envelope(&node);
        VALIDATORS.with(|(whole, value)| {
            prop_assert_eq!(problems(whole, &envelope), None);
            prop_assert_eq!(problems(value, &envelope["value"]), None);
            Ok(())
        })?;
    }
}

/// One value with every part filled in, for the hand-broken documents below.
fn sample() -> ServiceNode {
    let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    let at = DateTime::from_timestamp(1_709_296_245, 123_456_789).expect("in range");
    ServiceNode {
        node_id: id,
        peers: BTreeMap::from([(
            id,
            Peer {
                addr: IpAddr::from([10, 0, 0, 1]),
                last: Some(at.naive_utc()),
            },
        )]),
        ports: HashMap::from([("::1".parse().expect("an address"), vec![80, 443])]),
        events: vec![
            Event::Started,
            Event::Joined {
                node: id,
                at: at.naive_utc(),
            },
            Event::Moved(Move {
                from: IpAddr::from([10, 0, 0, 1]),
                to: "fe80::1".parse().expect("an address"),
            }),
        ],
        commands: vec![
            Command::Ping,
            Command::Set("k".into(), -1),
            Command::Drop { key: "k".into() },
            Command::Weight(3),
        ],
        replies: vec![
            Reply::Code(200),
            Reply::Text("ok".into()),
            Reply::Pair {
                ok: true,
                detail: None,
            },
        ],
        statuses: vec![
            Status::Up,
            Status::Down("disk".into()),
            Status::Moved(IpAddr::from([10, 0, 0, 2]), 8080),
            Status::Gone {
                reason: "retired".into(),
            },
        ],
        weight: 5,
        owner: Some("ops".into()),
        cache: 0,
        meta: Meta {
            region: "eu-west".into(),
            zone: Some(2),
        },
        labels: Labels {
            name: "web".into(),
            extra: BTreeMap::from([("tier".into(), "front".into())]),
        },
        checked: at.fixed_offset(),
        since: at,
        offset_at: at.with_timezone(&FixedOffset::east_opt(3600).expect("an offset")),
        day: at.date_naive(),
        settings: BTreeMap::from([("retries".into(), json!({"max": 3, "backoff": [1.5, 2]}))]),
        big: u128::MAX,
        low: i128::MIN,
        ratio: 0.1,
        letter: 'é',
        window: (-7, 2.5, true),
        limits: [1, 2, 3],
        ttl: Duration::new(30, 5),
        seen: UNIX_EPOCH + Duration::new(1_709_296_245, 1),
        shard: ShardId(7),
        marker: Marker,
        counts: BTreeMap::from([(1, -1), (u32::MAX, 127)]),
        tags: BTreeSet::from(["a".into(), "b".into()]),
    }
}

#[test]
fn documents_broken_by_hand_do_not_validate() {
    let validator = compile(&kimera::json_schema::of::<ServiceNode>());
    let written = envelope(&sample());
    assert_eq!(problems(&validator, &written), None);

    type Break = fn(&mut Value);
    let broken: &[(&str, Break)] = &[
        ("a required field removed", |v| {
            drop(v["value"].as_object_mut().unwrap().remove("nodeId"))
        }),
        ("a field under its Rust name", |v| {
            let id = v["value"]
                .as_object_mut()
                .unwrap()
                .remove("nodeId")
                .unwrap();
            v["value"]["node_id"] = id;
        }),
        ("an unknown field", |v| v["value"]["extra"] = json!(1)),
        ("a number as text", |v| v["value"]["weight"] = json!("5")),
        ("a u32 out of range", |v| {
            v["value"]["weight"] = json!(4_294_967_296u64)
        }),
        ("a negative u128", |v| v["value"]["big"] = json!(-1)),
        ("an array of the wrong length", |v| {
            v["value"]["limits"] = json!([1, 2])
        }),
        ("a byte out of range", |v| {
            v["value"]["limits"] = json!([1, 2, 256])
        }),
        ("a malformed uuid", |v| {
            v["value"]["nodeId"] = json!("not-a-uuid")
        }),
        ("an upper-case uuid", |v| {
            v["value"]["nodeId"] = json!("0123456789AB-CDEF-0123-4567-89abcdef")
        }),
        ("a date in another format", |v| {
            v["value"]["day"] = json!("2024/03/01")
        }),
        ("a UTC time with an offset", |v| {
            v["value"]["since"] = json!("2024-03-01T12:30:45+01:00")
        }),
        ("a compact time as text", |v| {
            v["value"]["checked"] = json!("2024-03-01T12:30:45Z")
        }),
        ("an unknown internal tag", |v| {
            v["value"]["ev"][0] = json!({"kind": "exploded"})
        }),
        ("an internal tag in Rust's case", |v| {
            v["value"]["ev"][0] = json!({"kind": "Started"})
        }),
        ("a field beside an internal tag", |v| {
            v["value"]["ev"][0]["extra"] = json!(1)
        }),
        ("a moved event without its struct", |v| {
            v["value"]["ev"][2] = json!({"kind": "moved"})
        }),
        ("adjacent content of the wrong arity", |v| {
            v["value"]["commands"][1]["args"] = json!(["k"])
        }),
        ("adjacent content for a unit variant", |v| {
            v["value"]["commands"][0]["args"] = json!(1)
        }),
        ("an untagged value of no variant", |v| {
            v["value"]["replies"][0] = json!({"ok": "yes"})
        }),
        ("an external variant renamed back", |v| {
            v["value"]["statuses"][3] = json!({"Gone": {"reason": "x"}})
        }),
        ("two external variants at once", |v| {
            v["value"]["statuses"][1] = json!({"Down": "x", "Up": null})
        }),
        ("a flattened field removed", |v| {
            drop(v["value"].as_object_mut().unwrap().remove("region"))
        }),
        ("a catch-all entry of the wrong type", |v| {
            v["value"]["labels"]["tier"] = json!(5)
        }),
        ("a char of two characters", |v| {
            v["value"]["letter"] = json!("ab")
        }),
        ("a tuple too long", |v| {
            v["value"]["window"] = json!([1, 2.5, true, 4])
        }),
        ("a unit struct as a number", |v| {
            v["value"]["marker"] = json!(0)
        }),
        ("a duration without nanoseconds", |v| {
            v["value"]["ttl"] = json!({"secs": 1})
        }),
        ("an integer key as text", |v| {
            v["value"]["counts"] = json!({"one": 1})
        }),
        ("a set with a repeated item", |v| {
            v["value"]["tags"] = json!(["a", "a"])
        }),
        ("a map keyed by a non-uuid", |v| {
            v["value"]["peers"] = json!({"x": {"addr": "10.0.0.1", "last": null}})
        }),
        ("an invalid IPv6 key's value", |v| {
            v["value"]["ev"][2]["to"] = json!("fe80:::1")
        }),
        ("another type name", |v| v["type"] = json!("svc.Other")),
        ("another version", |v| v["version"] = json!(3)),
        ("another wire version", |v| v["kimera"] = json!(2)),
        ("an unknown envelope key", |v| v["extra"] = json!(true)),
        ("the value as a string", |v| {
            v["value"] = json!(v["value"].to_string())
        }),
    ];
    for (what, damage) in broken {
        let mut doc = written.clone();
        damage(&mut doc);
        assert_ne!(doc, written, "{what}: the damage changed nothing");
        assert!(
            problems(&validator, &doc).is_some(),
            "{what}: validates, but kimera::json never writes it"
        );
    }

    // What a reader fills in itself may be left out by a producer. (Read from the text with
    // `big` and `low` in range of `serde_json::Value`, which holds 128-bit numbers as floats.)
    let mut expected = sample();
    (expected.big, expected.low) = (1, -1);
    type Fill = fn(&mut ServiceNode);
    let lenient: &[(&str, &str, Fill)] = &[
        ("a default field", "weight", |n| n.weight = 0),
        ("a skipped-if-none field", "owner", |n| n.owner = None),
        ("an Option field", "zone", |n| n.meta.zone = None),
    ];
    for (what, key, filled) in lenient {
        let mut doc = written.clone();
        doc["value"].as_object_mut().unwrap().remove(*key);
        assert_eq!(problems(&validator, &doc), None, "{what}");
        (doc["value"]["big"], doc["value"]["low"]) = (json!(1), json!(-1));
        let read: ServiceNode = kimera::json::from_str(&doc.to_string()).expect("reads");
        let mut expected = expected.clone();
        filled(&mut expected);
        assert_eq!(read, expected, "{what}");
    }
}

#[test]
fn a_default_named_type_s_envelope_requires_its_origin() {
    let schema = kimera::json_schema::of::<Peer>();
    let validator = compile(&schema);
    let peer = Peer {
        addr: IpAddr::from([10, 0, 0, 1]),
        last: None,
    };
    let mut doc: Value =
        serde_json::from_str(&kimera::json::to_string(&peer).expect("encodes")).expect("JSON");
    assert_eq!(problems(&validator, &doc), None);
    assert_eq!(schema["properties"]["origin"]["const"], doc["origin"]);
    doc.as_object_mut().unwrap().remove("origin");
    assert!(problems(&validator, &doc).is_some());
}

#[test]
fn recursive_and_built_in_types_have_schemas() {
    let tree = Tree {
        label: "root".into(),
        children: vec![Tree {
            label: "leaf".into(),
            children: vec![],
        }],
    };
    let validator = compile(&kimera::json_schema::value_of::<Tree>());
    let mut doc = serde_json::to_value(&tree).expect("JSON");
    assert_eq!(problems(&validator, &doc), None);
    doc["children"][0]["children"] = json!([{"label": 1, "children": []}]);
    assert!(
        problems(&validator, &doc).is_some(),
        "a deep item is checked"
    );

    let validator = compile(&kimera::json_schema::value_of::<
        BTreeMap<i64, Option<Vec<u8>>>,
    >());
    assert_eq!(
        problems(&validator, &json!({"-5": [1, 2], "7": null})),
        None
    );
    assert!(problems(&validator, &json!({"5.0": null})).is_some());
    assert!(problems(&validator, &json!({"5": [300]})).is_some());
}

#[test]
fn a_document_from_a_history_gives_the_same_schema() {
    let doc = Document::of::<ServiceNode>();
    let text = serde_json::to_string(&doc).expect("a document is data");
    let read: Document = serde_json::from_str(&text).expect("reads");
    assert_eq!(
        kimera::json_schema::of_document(&read, ServiceNode::VERSION).expect("valid"),
        kimera::json_schema::of::<ServiceNode>()
    );
    // A forged document is refused, not walked.
    let forged: Document =
        serde_json::from_str(r#"{"root":{"named":7},"types":[]}"#).expect("reads");
    assert!(kimera::json_schema::of_document(&forged, 1).is_err());
}
