//! `kimera::inspect`: envelopes converted between the backends with nothing but the writer's
//! schema document give exactly the bytes the typed program writes, and what is not a value of
//! that schema is refused with its path.

#[path = "support/strategies.rs"]
mod strategies;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use kimera::inspect::{Backend, Envelope, Schemas, ToBinary};
use kimera::schema::document::Document;
use kimera::{Binary, ErrorKind, Format as _, Kimera, KimeraHandler};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use strategies::{ip, uuid};
use uuid::Uuid;

/// A service's state, in the shapes services keep: maps keyed by `Uuid` and `IpAddr`, an event
/// enum, options, times as text and compact, fixed arrays, tuples, a newtype and a unit struct.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "ops.Cluster", version = 2)]
struct Cluster {
    id: Uuid,
    nodes: BTreeMap<Uuid, Member>,
    ports: HashMap<IpAddr, Vec<u16>>,
    events: Vec<Event>,
    owner: Option<String>,
    since: DateTime<Utc>,
    #[serde(with = "kimera::compact")]
    checked: DateTime<FixedOffset>,
    ttl: Duration,
    window: (i64, f64, char),
    blob: Vec<u8>,
    limits: [u32; 3],
    big: u128,
    low: i128,
    seen: SystemTime,
    flag: Option<bool>,
    labels: BTreeSet<String>,
    shard: ShardId,
    marker: Marker,
}

/// Default-named: its envelopes carry its origin.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
struct Member {
    addr: SocketAddr,
    name: String,
    weight: f32,
    last: Option<NaiveDateTime>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "ops.Event")]
enum Event {
    Started,
    Joined { node: Uuid, on: NaiveDate },
    Left(Uuid),
    Moved(IpAddr, IpAddr),
    Renamed { from: String, to: String },
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "ops.ShardId")]
struct ShardId(u64);

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "ops.Marker")]
struct Marker;

/// Finite floats: JSON has no NaN or infinity.
fn float() -> impl Strategy<Value = f64> {
    (any::<i32>(), 0i32..=6).prop_map(|(m, k)| f64::from(m) / 10f64.powi(k))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (-100_000i32..1_000_000).prop_map(|days| {
        NaiveDate::from_num_days_from_ce_opt(days + 719_163).expect("in chrono's range")
    })
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-10_000_000_000i64..10_000_000_000, 0u32..2_000_000_000).prop_map(|(secs, nanos)| {
        DateTime::from_timestamp(secs, nanos % 1_000_000_000).expect("in range")
    })
}

fn member() -> impl Strategy<Value = Member> {
    (
        (ip(), any::<u16>()),
        ".{0,12}",
        any::<i16>(),
        proptest::option::of(instant()),
    )
        .prop_map(|((ip, port), name, weight, last)| Member {
            addr: SocketAddr::new(ip, port),
            name,
            weight: f32::from(weight) / 8.0,
            last: last.map(|t| t.naive_utc()),
        })
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Started),
        (uuid(), date()).prop_map(|(node, on)| Event::Joined { node, on }),
        uuid().prop_map(Event::Left),
        (ip(), ip()).prop_map(|(a, b)| Event::Moved(a, b)),
        (".{0,8}", "\\PC{0,8}").prop_map(|(from, to)| Event::Renamed { from, to }),
    ]
}

fn cluster() -> impl Strategy<Value = Cluster> {
    (
        (
            uuid(),
            proptest::collection::btree_map(uuid(), member(), 0..4),
            proptest::collection::hash_map(
                ip(),
                proptest::collection::vec(any::<u16>(), 0..4),
                0..4,
            ),
            proptest::collection::vec(event(), 0..6),
            proptest::option::of("\\PC{0,16}"),
            instant(),
            (instant(), -86_399i32..86_400),
        ),
        (
            (any::<u64>(), 0u32..1_000_000_000),
            (any::<i64>(), float(), any::<char>()),
            proptest::collection::vec(any::<u8>(), 0..32),
            any::<[u32; 3]>(),
            any::<u128>(),
            any::<i128>(),
            (0u64..10_000_000_000, 0u32..1_000_000_000),
            proptest::option::of(any::<bool>()),
            proptest::collection::btree_set(".{0,6}", 0..4),
            any::<u64>(),
        ),
    )
        .prop_map(
            |(
                (id, nodes, ports, events, owner, since, (checked, offset)),
                (ttl, window, blob, limits, big, low, seen, flag, labels, shard),
            )| Cluster {
                id,
                nodes,
                ports,
                events,
                owner,
                since,
                checked: checked.with_timezone(&FixedOffset::east_opt(offset).expect("offset")),
                ttl: Duration::new(ttl.0, ttl.1),
                window,
                blob,
                limits,
                big,
                low,
                seen: UNIX_EPOCH + Duration::new(seen.0, seen.1),
                flag,
                labels,
                shard: ShardId(shard),
                marker: Marker,
            },
        )
}

fn schemas() -> Schemas {
    Schemas::new()
        .with_document(Document::of::<Cluster>())
        .expect("a valid document")
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

fn ok<T>(result: kimera::Result<T>) -> Result<T, TestCaseError> {
    result.map_err(|err| TestCaseError::fail(err.to_string()))
}

proptest! {
    #![proptest_config(config())]

    /// binary → JSON is what `kimera::json` writes; JSON → binary what `kimera::binary` writes.
    #[test]
    fn conversions_are_the_typed_programs_bytes(value in cluster()) {
        let schemas = schemas();
        let binary = ok(kimera::binary::to_vec(&value))?;
        let json = ok(kimera::json::to_vec(&value))?;
        let pretty = ok(kimera::json::to_vec_pretty(&value))?;

        let envelope = ok(Envelope::parse(&binary))?;
        prop_assert_eq!(envelope.backend(), Backend::Binary);
        prop_assert_eq!(&ok(envelope.to_json(&schemas, false))?, &json);
        prop_assert_eq!(&ok(envelope.to_json(&schemas, true))?, &pretty);
        prop_assert_eq!(&ok(envelope.to_binary(&schemas, ToBinary::new()))?, &binary);

        for text in [&json, &pretty] {
            let envelope = ok(Envelope::parse(text))?;
            prop_assert_eq!(envelope.backend(), Backend::Json);
            prop_assert_eq!(&ok(envelope.to_binary(&schemas, ToBinary::new()))?, &binary);
            prop_assert_eq!(&ok(envelope.to_json(&schemas, false))?, &json);
        }
        let bare = ok(Binary::new().without_checksum().encode(&value))?;
        let envelope = ok(Envelope::parse(&json))?;
        prop_assert_eq!(
            &ok(envelope.to_binary(&schemas, ToBinary::new().without_checksum()))?,
            &bare
        );
    }

    /// An envelope that carries its schema converts without any given.
    #[test]
    fn a_carried_schema_is_enough(value in cluster()) {
        let with_schema = ok(Binary::new().with_schema().encode(&value))?;
        let envelope = ok(Envelope::parse(&with_schema))?;
        prop_assert!(envelope.schema().is_some());
        let json = ok(envelope.to_json(&Schemas::new(), false))?;
        prop_assert_eq!(&json, &ok(kimera::json::to_vec(&value))?);
        let back = ok(Envelope::parse(&json))?;
        prop_assert_eq!(
            &ok(back.to_binary(&schemas(), ToBinary::new().with_schema()))?,
            &with_schema
        );
    }

    /// The changes between two envelopes of either backend are those `kimera::diff` finds
    /// between the typed values.
    #[test]
    fn diffs_are_the_typed_diffs(old in cluster(), new in cluster(), json_old in any::<bool>()) {
        let schemas = schemas();
        let old_bytes = match json_old {
            true => ok(kimera::json::to_vec(&old))?,
            false => ok(kimera::binary::to_vec(&old))?,
        };
        let new_bytes = ok(kimera::binary::to_vec(&new))?;
        let diff = ok(ok(Envelope::parse(&old_bytes))?.diff(&ok(Envelope::parse(&new_bytes))?, &schemas))?;
        let typed = ok(kimera::diff::between(&old, &new))?;
        prop_assert_eq!(diff.to_string(), typed.to_string());
        // Both refuse a patch of what JSON cannot hold (a u128 beyond 2^64) alike.
        let patch = |d: &kimera::diff::Diff| d.to_json_patch().map_err(|e| e.to_string());
        prop_assert_eq!(patch(&diff), patch(&typed));
        let same = ok(ok(Envelope::parse(&new_bytes))?.diff(&ok(Envelope::parse(&new_bytes))?, &schemas))?;
        prop_assert!(same.is_empty());
    }

    /// Bytes the checksum does not cover are never read as another value: each is refused, or
    /// converts to a value the typed reader reads the same way.
    #[test]
    fn damaged_bodies_are_refused_or_read_as_typed(value in cluster(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = ok(Binary::new().without_checksum().encode(&value))?;
        let header = ok(Envelope::parse(&bytes))?.sizes().0;
        let i = header + at.index(bytes.len() - header);
        bytes[i] = byte;
        let typed: kimera::Result<Cluster> = Binary::new().without_checksum().decode(&bytes);
        let converted = Envelope::parse(&bytes).and_then(|e| e.to_json(&schemas(), false));
        match (typed, converted) {
            (Ok(typed), Ok(json)) => {
                prop_assert_eq!(ok(kimera::json::from_slice::<Cluster>(&json))?, typed);
            }
            (Err(_), Err(_)) => {}
            // A value chrono or Uuid reads but serde's derive would not (or the reverse) is
            // a disagreement between the typed reader and the schema walk.
            (typed, converted) => prop_assert!(false, "typed {typed:?}, converted {converted:?}"),
        }
    }
}

fn sample() -> Cluster {
    Cluster {
        id: Uuid::from_u128(7),
        nodes: BTreeMap::from([(
            Uuid::from_u128(1),
            Member {
                addr: "10.0.0.1:7000".parse().expect("address"),
                name: "a".into(),
                weight: 1.5,
                last: None,
            },
        )]),
        ports: HashMap::new(),
        events: vec![Event::Started, Event::Left(Uuid::from_u128(2))],
        owner: None,
        since: DateTime::from_timestamp(1_700_000_000, 0).expect("in range"),
        checked: DateTime::from_timestamp(1_700_000_000, 5)
            .expect("in range")
            .fixed_offset(),
        ttl: Duration::from_secs(30),
        window: (1, 0.5, 'x'),
        blob: vec![1, 2],
        limits: [1, 2, 3],
        big: 1,
        low: -1,
        seen: UNIX_EPOCH,
        flag: Some(true),
        labels: BTreeSet::new(),
        shard: ShardId(9),
        marker: Marker,
    }
}

/// The JSON of `sample()` with `edit` applied to its value.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&kimera::json::to_vec(&sample()).expect("encodes")).expect("JSON");
    edit(&mut doc["value"]);
    serde_json::to_vec(&doc).expect("JSON")
}

fn refusal(json: &[u8]) -> (String, String) {
    let err = Envelope::parse(json)
        .and_then(|e| e.to_binary(&schemas(), ToBinary::new()))
        .expect_err("refused");
    match err.kind() {
        ErrorKind::Data { path, message, .. } => (path.clone(), message.clone()),
        other => panic!("not a data error: {other}"),
    }
}

#[test]
fn json_that_is_not_a_value_of_the_schema_is_refused_with_its_path() {
    let (path, message) = refusal(&edited(|v| {
        v["nodes"][Uuid::from_u128(1).to_string()]["weight"] = "heavy".into()
    }));
    assert!(path.starts_with("nodes"), "{path}");
    assert!(path.ends_with("weight"), "{path}");
    assert!(message.contains("heavy"), "{message}");

    let (path, message) = refusal(&edited(|v| v["extra"] = 1.into()));
    assert!(message.contains("extra"), "{path}: {message}");

    let (_, message) = refusal(&edited(|v| {
        v.as_object_mut().expect("object").remove("owner");
    }));
    assert!(message.contains("owner"), "{message}");

    let (path, message) = refusal(&edited(|v| v["events"][1] = serde_json::json!({"Gone": 1})));
    assert!(path.starts_with("events[1]"), "{path}");
    assert!(message.contains("Gone"), "{message}");

    let (path, message) = refusal(&edited(|v| v["id"] = "not-a-uuid".into()));
    assert_eq!(path, "id");
    assert!(!message.is_empty());

    let (path, _) = refusal(&edited(|v| v["limits"] = serde_json::json!([1, 2])));
    assert!(path.starts_with("limits"), "{path}");
}

#[test]
fn errors_stay_small_however_large_the_input_they_quote() {
    let huge = "x".repeat(1 << 20);
    let (path, message) = refusal(&edited(|v| v["window"] = serde_json::json!([1, huge, "c"])));
    assert!(path.len() + message.len() < 400, "{path}: {message}");
    let (path, message) = refusal(&edited(|v| v[huge.as_str()] = 1.into()));
    assert!(path.len() + message.len() < 400, "{path}: {message}");
    let err = Envelope::parse(format!("{{\"kimera\":1,\"{huge}\":1}}").as_bytes())
        .expect_err("not an envelope");
    assert!(err.to_string().len() < 400, "{err}");
}

#[test]
fn a_repeated_map_key_is_refused() {
    let json = kimera::json::to_vec(&sample()).expect("encodes");
    let text = String::from_utf8(json).expect("UTF-8");
    let key = format!("\"{}\":", Uuid::from_u128(1));
    let at = text.find(&key).expect("the key");
    let end = text[at..].find('}').expect("end of member") + at + 1;
    let twice = format!("{},{}", &text[..end], &text[at..]);
    let (path, message) = refusal(twice.as_bytes());
    assert!(path.starts_with("nodes"), "{path}: {message}");
}

#[test]
fn an_unknown_writer_schema_is_refused() {
    let bytes = kimera::binary::to_vec(&sample()).expect("encodes");
    let err = Envelope::parse(&bytes)
        .and_then(|e| e.to_json(&Schemas::new(), false))
        .expect_err("no schema");
    assert!(matches!(err.kind(), ErrorKind::BadSchema { .. }), "{err}");
    assert!(err.to_string().contains("ops.Cluster"), "{err}");

    // Another type's schema is not taken for the writer's.
    let other = Schemas::new()
        .with_document(Document::of::<Member>())
        .expect("valid");
    let json = kimera::json::to_vec(&sample()).expect("encodes");
    let err = Envelope::parse(&json)
        .and_then(|e| e.to_binary(&other, ToBinary::new()))
        .expect_err("no schema");
    assert!(matches!(err.kind(), ErrorKind::BadSchema { .. }), "{err}");
}

#[test]
fn a_float_json_cannot_hold_is_refused() {
    let mut value = sample();
    value.window.1 = f64::NAN;
    let bytes = kimera::binary::to_vec(&value).expect("binary holds NaN");
    let err = Envelope::parse(&bytes)
        .and_then(|e| e.to_json(&schemas(), false))
        .expect_err("JSON cannot hold NaN");
    assert!(kimera::json::to_vec(&value).is_err());
    assert!(err.to_string().contains("window"), "{err}");
}

#[test]
fn header_and_sizes() {
    let bytes = kimera::binary::to_vec(&sample()).expect("encodes");
    let envelope = Envelope::parse(&bytes).expect("parses");
    let (header, body, trailer) = envelope.sizes();
    assert_eq!(header + body + trailer, bytes.len());
    assert_eq!(trailer, 4);
    assert_eq!(envelope.header().type_name, "ops.Cluster");
    assert_eq!(envelope.header().version, 2);
    assert_eq!(envelope.header().fingerprint, Some(Cluster::FINGERPRINT));
    assert_eq!(envelope.checksum(), Some(true));

    let member = kimera::json::to_vec(&sample().nodes[&Uuid::from_u128(1)]).expect("encodes");
    let envelope = Envelope::parse(&member).expect("parses");
    assert_eq!(envelope.origins(), Some("inspect::Member"));
    let (header, body, trailer) = envelope.sizes();
    assert_eq!(header + body + trailer, member.len());
    assert_eq!(envelope.checksum(), None);

    let mut damaged = bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(matches!(
        Envelope::parse(&damaged).expect_err("damaged").kind(),
        ErrorKind::ChecksumMismatch { .. }
    ));
    assert!(Envelope::parse(b"not an envelope").is_err());
}

/// A JSON envelope carries no fingerprint: of the schemas recorded for its name and version
/// (a history keeps every shape a version has had), the newest that reads it is used.
#[test]
fn a_json_envelope_is_read_with_the_schema_of_its_version_that_fits() {
    mod older {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera)]
        #[kimera(name = "ops.Shard", register = false)]
        pub struct Shard {
            pub id: u32,
            pub legacy: String,
        }
    }
    mod newer {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera)]
        #[kimera(name = "ops.Shard", register = false)]
        pub struct Shard {
            pub id: u32,
            #[serde(default)]
            pub region: String,
        }
    }
    let mut schemas = Schemas::new();
    schemas.insert(Document::of::<older::Shard>()).unwrap();
    schemas.insert(Document::of::<newer::Shard>()).unwrap();
    let old = older::Shard {
        id: 7,
        legacy: "x".into(),
    };
    let json = kimera::json::to_vec(&old).unwrap();
    let binary = Envelope::parse(&json)
        .unwrap()
        .to_binary(&schemas, ToBinary::new())
        .unwrap();
    assert_eq!(binary, kimera::binary::to_vec(&old).unwrap());
    let new = newer::Shard {
        id: 8,
        region: "eu".into(),
    };
    let json = kimera::json::to_vec(&new).unwrap();
    assert_eq!(
        Envelope::parse(&json)
            .unwrap()
            .to_json(&schemas, false)
            .unwrap(),
        json
    );
    // Neither fits: the newest one's error.
    let other = br#"{"kimera":1,"type":"ops.Shard","version":1,"value":{"id":"nine"}}"#;
    let err = Envelope::parse(other)
        .unwrap()
        .to_json(&schemas, false)
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Data { .. }), "{err}");
}

/// A schema of shapes only JSON holds is refused by name, not walked as if binary held it.
#[test]
fn a_json_only_schema_is_unsupported() {
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "ops.Tagged", register = false)]
    #[serde(tag = "kind")]
    enum Tagged {
        On { level: u8 },
    }
    let schemas = Schemas::new()
        .with_document(Document::of::<Tagged>())
        .unwrap();
    let json = kimera::json::to_vec(&Tagged::On { level: 3 }).unwrap();
    let err = Envelope::parse(&json)
        .unwrap()
        .to_json(&schemas, false)
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported(_)), "{err}");
}
