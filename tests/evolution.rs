//! Old and new data read without frozen copies: values written by one build of a type read by
//! the next and by the one before, in both backends, when the writer's schema travels with the
//! binary value (`Binary::with_schema`, snapshots). `tests/history.rs` does the same with the
//! schemas from a history file instead.

#[path = "support/evolution.rs"]
mod evolution;

use evolution::{
    added_default, decode, downgrades, encode, nested, refusal, removed_reordered, renamed,
    unresolvable, upgrades, values, variant_added, widened, written,
};
use kimera::{Binary, ErrorKind, Format, Kimera, KimeraHandler};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// The binary backend with the schema in the envelope, and JSON.
const BOTH: &[&str] = &["schema.bin", "json"];

#[test]
fn an_added_field_needs_no_code() {
    let (old, new) = values::added();
    upgrades("added", BOTH, &old, &new);
    let newer = added_default::v2::T {
        score: 99,
        nick: Some("a".into()),
        ..new
    };
    downgrades("added", BOTH, &newer, &old);
}

#[test]
fn removed_and_reordered_fields_need_no_code() {
    let old = removed_reordered::v1::T {
        a: 1,
        legacy: vec![1, 2, 3],
        b: "b".into(),
        c: true,
    };
    let new = removed_reordered::v2::T {
        c: true,
        a: 1,
        b: "b".into(),
    };
    upgrades("removed", BOTH, &old, &new);
}

#[test]
fn a_field_renamed_with_an_alias_needs_no_code() {
    let old = renamed::v1::T { id: 1, qty: 5 };
    upgrades(
        "renamed",
        BOTH,
        &old,
        &renamed::v2::T { id: 1, quantity: 5 },
    );
}

#[test]
fn added_variants_reach_old_readers_through_serde_other() {
    use variant_added::{v1, v2};
    upgrades(
        "variant",
        BOTH,
        &vec![v1::T::Opened, v1::T::Paid(5), v1::T::Unknown],
        &vec![v2::T::Opened, v2::T::Paid(5), v2::T::Unknown],
    );
    downgrades(
        "variant",
        BOTH,
        &vec![v2::T::Closed, v2::T::Paid(3), v2::T::Opened],
        &vec![v1::T::Unknown, v1::T::Paid(3), v1::T::Opened],
    );
    // A new variant that holds values is not dropped into the unit `other` variant unread.
    let refunded = vec![v2::T::Refunded {
        amount: 1,
        reason: "late".into(),
    }];
    for form in BOTH {
        let text = refusal::<Vec<v1::T>>(form, &encode(form, &refunded));
        assert!(
            text.contains("invalid `list<ev.Event>` v1 at `[0]"),
            "{form}: {text}"
        );
    }
}

#[test]
fn integers_widen_and_values_become_options() {
    let old = widened::v1::T {
        a: 200,
        b: -70_000,
        c: 65_535,
        d: 1.5,
        e: 4_000_000_000,
        f: vec![1, 255],
    };
    let new = widened::v2::T {
        a: 200,
        b: -70_000,
        c: 65_535.0,
        d: 1.5,
        e: Some(4_000_000_000),
        f: Some(vec![1, 255]),
    };
    upgrades("widened", BOTH, &old, &new);
}

#[test]
fn foreign_and_time_types_resolve_in_their_binary_shapes() {
    use evolution::foreign::{v1, v2};
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
    let old = v1::T {
        id: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        peer: "2001:db8::1".parse().unwrap(),
        ttl: std::time::Duration::new(90, 5),
        started: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        at,
        compact_at: at.naive_utc(),
        day: at.date_naive(),
        took: chrono::TimeDelta::milliseconds(-1500),
        hits: 7,
    };
    let new = v2::T {
        id: old.id,
        peer: old.peer,
        ttl: old.ttl,
        started: old.started,
        at: old.at,
        compact_at: old.compact_at,
        day: old.day,
        took: old.took,
        hits: 7,
        user_agent: String::new(),
    };
    upgrades("foreign", BOTH, &old, &new);
}

#[test]
fn a_changed_named_type_resolves_wherever_it_is_held() {
    upgrades("nested", BOTH, &values::order1(), &values::order2());
    downgrades("nested", BOTH, &values::order2(), &values::order1());
    // A top-level collection of it too: `Vec<Line>` written before `Line` changed.
    let lines = values::order1().lines;
    upgrades("lines", BOTH, &lines, &values::order2().lines);
    let page = values::order1().page;
    upgrades("page", BOTH, &page, &values::order2().page);
}

/// Each unresolvable change, refused with the type, both fingerprints, the field and what to do
/// in binary, and with serde's own error at the field in JSON.
#[test]
fn unresolvable_changes_are_named_errors() {
    use unresolvable::{v1, v2};
    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "no_default",
            refusal::<v2::NoDefault>("schema.bin", &written("no_default", "v1", "schema.bin", &v1::NoDefault { id: 1 })),
            refusal::<v2::NoDefault>("json", &written("no_default", "v1", "json", &v1::NoDefault { id: 1 })),
            "at `must`: the writer's `ev.NoDefault` has no field `must`, and the reader's has no default for it: give it `#[serde(default)]` or an `Option` type",
        ),
        (
            "narrowed",
            refusal::<v2::Narrowed>("schema.bin", &written("narrowed", "v1", "schema.bin", &v1::Narrowed { n: 300 })),
            refusal::<v2::Narrowed>("json", &written("narrowed", "v1", "json", &v1::Narrowed { n: 300 })),
            "at `n`: the writer's `u64` does not fit the reader's `u8`",
        ),
        (
            "retyped",
            refusal::<v2::Retyped>("schema.bin", &written("retyped", "v1", "schema.bin", &v1::Retyped { tags: vec!["x".into()] })),
            refusal::<v2::Retyped>("json", &written("retyped", "v1", "json", &v1::Retyped { tags: vec!["x".into()] })),
            "at `tags[]`: the writer wrote `str`, the reader reads `u32`",
        ),
    ];
    for (case, binary, json, why) in cases {
        assert!(binary.starts_with("cannot read `ev."), "{case}: {binary}");
        assert!(binary.contains(why), "{case}: {binary}");
        assert!(
            binary
                .contains("bump the version and keep the old shape as `#[kimera(previous = ...)]`"),
            "{binary}"
        );
        assert!(json.starts_with("invalid `ev."), "{case}: {json}");
    }
    // A variant the old reader does not know, with no `#[serde(other)]`: refused when a value
    // holds it, in both backends; the other values still read.
    for form in ["schema.bin", "json"] {
        let text = refusal::<v1::Closed>(
            form,
            &written("closed", "v2", form, &v2::Closed::C("x".into())),
        );
        assert!(
            text.contains("unknown variant `C`, expected `A` or `B`"),
            "{form}: {text}"
        );
        let b = decode::<v1::Closed>(form, &written("closed_b", "v2", form, &v2::Closed::B(3)))
            .unwrap();
        assert_eq!(b, v1::Closed::B(3));
    }
}

/// The schema refused is pinned with its fingerprints, so a user can find both builds.
#[test]
fn refusals_name_both_fingerprints() {
    use unresolvable::{v1, v2};
    let bytes = written("narrowed", "v1", "schema.bin", &v1::Narrowed { n: 300 });
    let err = Binary::new().decode::<v2::Narrowed>(&bytes).unwrap_err();
    match err.kind() {
        ErrorKind::Unresolvable {
            type_name,
            version,
            writer,
            reader,
            path,
            ..
        } => {
            assert_eq!(
                (type_name.as_str(), *version, path.as_str()),
                ("ev.Narrowed", 1, "n")
            );
            assert_eq!(
                (*writer, *reader),
                (v1::Narrowed::FINGERPRINT, v2::Narrowed::FINGERPRINT)
            );
        }
        other => panic!("{other:?}"),
    }
    // Without the writer's schema, the reader says how to give it one.
    let plain = encode("bin", &v1::Narrowed { n: 3 });
    let text = Binary::new()
        .decode::<v2::Narrowed>(&plain)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("this reader does not know the writer's schema"),
        "{text}"
    );
    assert!(text.contains("`Binary::with_schema`"), "{text}");
}

/// Semantic changes keep their migration chain; the writer's shape of an older version is
/// resolved into that version's frozen type, then migrated.
mod chain {
    use super::*;

    /// What the v1 build had: written before a semantic change (cents to a decimal string).
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "ev.Price", register = false)]
    pub struct OldBuildV1 {
        pub cents: u32,
        pub currency: String,
        pub note: String,
    }

    /// The frozen copy the v2 build keeps of v1: `note` has been dropped since, and `tag`
    /// added, without a bump (both resolvable).
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "ev.Price", register = false)]
    pub struct PriceV1 {
        pub cents: u32,
        pub currency: String,
        #[serde(default)]
        pub tag: Option<String>,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "ev.Price", version = 2, previous = PriceV1, register = false)]
    pub struct Price {
        pub amount: String,
        pub currency: String,
    }

    impl From<PriceV1> for Price {
        fn from(p: PriceV1) -> Self {
            Price {
                amount: format!("{}.{:02}", p.cents / 100, p.cents % 100),
                currency: p.currency,
            }
        }
    }

    #[test]
    fn resolution_then_migration() {
        let old = OldBuildV1 {
            cents: 1234,
            currency: "EUR".into(),
            note: "n".into(),
        };
        let expected = Price {
            amount: "12.34".into(),
            currency: "EUR".into(),
        };
        upgrades("chain", &["schema.bin", "json"], &old, &expected);
    }

    #[test]
    fn a_newer_version_is_still_refused() {
        let bytes = encode(
            "schema.bin",
            &Price {
                amount: "1".into(),
                currency: "EUR".into(),
            },
        );
        let err = Binary::new().decode::<OldBuildV1>(&bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::NewerVersion { .. }),
            "{err}"
        );
    }
}

/// Random old values read as the new shape equal what the hand-written conversion gives.
mod property {
    use super::*;
    use evolution::nested::{v1, v2, Page};

    fn line() -> impl Strategy<Value = v1::Line> {
        ("[a-z]{0,8}", any::<u16>()).prop_map(|(sku, qty)| v1::Line { sku, qty })
    }

    fn order() -> impl Strategy<Value = v1::T> {
        (
            proptest::collection::vec(line(), 0..6),
            proptest::collection::btree_map("[a-z]{0,4}", line(), 0..4),
            proptest::option::of(line()),
            (line(), any::<u8>()),
            proptest::collection::vec(line(), 0..3),
            proptest::option::of(line()),
        )
            .prop_map(|(lines, by_sku, best, pair, items, next)| v1::T {
                lines,
                by_sku,
                best: best.map(Box::new),
                pair,
                page: Page {
                    items,
                    next: next.map(Box::new),
                },
            })
    }

    /// The conversion a user would have written by hand.
    fn by_hand(old: v1::T) -> v2::T {
        let l = |l: v1::Line| v2::Line {
            sku: l.sku,
            qty: l.qty,
            gift: false,
        };
        v2::T {
            lines: old.lines.into_iter().map(l).collect(),
            by_sku: old.by_sku.into_iter().map(|(k, v)| (k, l(v))).collect(),
            best: old.best.map(|b| Box::new(l(*b))),
            pair: (l(old.pair.0), old.pair.1),
            page: Page {
                items: old.page.items.into_iter().map(l).collect(),
                next: old.page.next.map(|b| Box::new(l(*b))),
            },
        }
    }

    fn widened() -> impl Strategy<Value = evolution::widened::v1::T> {
        (
            any::<u8>(),
            any::<i32>(),
            any::<u16>(),
            -1e6f32..1e6,
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..8),
        )
            .prop_map(|(a, b, c, d, e, f)| evolution::widened::v1::T { a, b, c, d, e, f })
    }

    proptest! {
        #[test]
        fn old_orders_read_as_new_ones(old in order()) {
            for form in ["schema.bin", "json"] {
                let read: v2::T = decode(form, &encode(form, &old)).unwrap();
                prop_assert_eq!(read, by_hand(old.clone()));
            }
        }

        #[test]
        fn widened_values_keep_their_value(old in widened()) {
            use evolution::widened::v2;
            let expected = v2::T {
                a: old.a.into(),
                b: old.b.into(),
                c: old.c.into(),
                d: old.d.into(),
                e: Some(old.e.into()),
                f: Some(old.f.iter().map(|&b| b.into()).collect()),
            };
            let read: v2::T = decode("schema.bin", &encode("schema.bin", &old)).unwrap();
            prop_assert_eq!(&read, &expected);
            // JSON holds an `f32` as its shortest decimal, which is the `f64` read back: the
            // same number as an `f32`, not the same bits as an `f64`.
            let read: v2::T = decode("json", &encode("json", &old)).unwrap();
            prop_assert_eq!(read.d as f32, old.d);
            prop_assert_eq!(v2::T { d: expected.d, ..read }, expected);
        }
    }
}

/// Hostile input on the resolving path: a mutated body or schema gives an error, never a
/// panic, an abort or a runaway allocation.
mod hostile {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn mutated_envelopes_are_errors(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
            let mut bytes = Binary::new().with_schema().without_checksum().encode(&values::order1()).unwrap();
            for (at, byte) in flips {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            // Any outcome but a panic: resolved into some value, or a named error.
            let _ = Binary::new().without_checksum().decode::<nested::v2::T>(&bytes);
        }

        #[test]
        fn truncated_envelopes_are_errors(cut in any::<prop::sample::Index>()) {
            let bytes = Binary::new().with_schema().encode(&values::order1()).unwrap();
            let cut = cut.index(bytes.len());
            prop_assert!(Binary::new().decode::<nested::v2::T>(&bytes[..cut]).is_err());
        }
    }

    /// A document that claims the envelope's fingerprint but describes another shape is
    /// refused before the body is read.
    #[test]
    fn a_document_that_does_not_match_is_refused() {
        let (old, _) = values::added();
        let mut bytes = Binary::new()
            .with_schema()
            .without_checksum()
            .encode(&old)
            .unwrap();
        // The document's first field name, `id`, becomes `ix`.
        let at = bytes.windows(2).position(|w| w == b"id").unwrap();
        bytes[at + 1] = b'x';
        let err = Binary::new()
            .without_checksum()
            .decode::<added_default::v2::T>(&bytes)
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::BadSchema { .. }), "{err}");
        assert!(err.to_string().contains("it describes schema"), "{err}");
    }
}

/// Crash recovery across a schema change: snapshots written by one build, read by the next.
#[test]
fn snapshots_of_one_build_load_in_the_next() {
    use kimera::snapshot::SnapshotStore;
    let dir = std::env::temp_dir().join(format!("kimera-evolution-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let mut store = SnapshotStore::open(&dir).unwrap();
        store.save(&values::order1()).unwrap();
    }
    let mut store = SnapshotStore::open(&dir).unwrap();
    let (_, state) = store.latest::<nested::v2::T>().unwrap().unwrap();
    assert_eq!(state, values::order2());
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A stream of frames carries each type's schema once: a reader of the next build resolves
/// every frame, and the frames after the first of a type are no larger than without schemas.
#[test]
fn streams_carry_each_schema_once() {
    use kimera::frame::{FrameReader, FrameWriter};
    let (old, new) = values::added();
    let mut with = Vec::new();
    let mut writer = FrameWriter::binary(&mut with).with_schemas();
    for _ in 0..3 {
        writer.write(&old).unwrap();
        writer.write(&values::order1()).unwrap();
    }
    let mut without = Vec::new();
    let mut writer = FrameWriter::binary(&mut without);
    for _ in 0..3 {
        writer.write(&old).unwrap();
        writer.write(&values::order1()).unwrap();
    }
    let first_two = |stream: &[u8]| {
        let a = u32::from_le_bytes(stream[..4].try_into().unwrap()) as usize + 4;
        let b = u32::from_le_bytes(stream[a..a + 4].try_into().unwrap()) as usize + 4;
        a + b
    };
    // The schemas cost something once, and nothing after.
    assert!(first_two(&with) > first_two(&without));
    assert_eq!(
        with.len() - first_two(&with),
        without.len() - first_two(&without)
    );
    let mut reader = FrameReader::new(&with[..]);
    for _ in 0..3 {
        assert_eq!(
            reader.read::<added_default::v2::T>().unwrap(),
            Some(new.clone())
        );
        assert_eq!(
            reader.read::<nested::v2::T>().unwrap(),
            Some(values::order2())
        );
    }
    assert_eq!(reader.read::<nested::v2::T>().unwrap(), None);
    // Without them, a reader of the next build is told what is missing.
    let err = FrameReader::new(&without[..])
        .read::<added_default::v2::T>()
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::FingerprintMismatch { .. }),
        "{err}"
    );
}

/// A frame the stream refused (too long) does not count its schema as sent, even when a value
/// of another type goes through before the next one of its type.
#[test]
fn a_refused_frame_sends_its_schema_later() {
    use kimera::frame::{FrameReader, FrameWriter};
    let (old, new) = values::added();
    let big = vec![values::order1(); 64];
    let mut stream = Vec::new();
    let mut writer = FrameWriter::binary(&mut stream)
        .with_max_frame_len(600)
        .with_schemas();
    writer.write(&old).unwrap();
    assert!(writer.write(&big).is_err(), "over the frame limit");
    writer.write(&old).unwrap();
    // The type of the refused frame: its schema must come with it now.
    writer.write(&vec![values::order1()]).unwrap();
    let mut reader = FrameReader::new(&stream[..]);
    assert_eq!(
        reader.read::<added_default::v2::T>().unwrap(),
        Some(new.clone())
    );
    assert_eq!(reader.read::<added_default::v2::T>().unwrap(), Some(new));
    assert_eq!(
        reader.read::<Vec<nested::v2::T>>().unwrap(),
        Some(vec![values::order2()])
    );
}

/// The tokio codec does the same on a connection.
#[test]
fn the_codec_carries_each_schema_once() {
    use kimera::codec::KimeraCodec;
    use tokio_util::codec::{Decoder, Encoder};
    let (old, new) = values::added();
    let mut sender = KimeraCodec::<(), Binary>::binary()
        .sending::<kimera::codec::Mixed>()
        .with_schemas();
    let mut wire = bytes::BytesMut::new();
    sender.encode(&old, &mut wire).unwrap();
    let first = wire.len();
    sender.encode(&old, &mut wire).unwrap();
    assert!(
        wire.len() - first < first,
        "the second frame carries no schema"
    );
    let mut receiver = KimeraCodec::<added_default::v2::T, Binary>::binary();
    assert_eq!(receiver.decode(&mut wire).unwrap(), Some(new.clone()));
    assert_eq!(receiver.decode(&mut wire).unwrap(), Some(new));
    assert_eq!(receiver.decode(&mut wire).unwrap(), None);
}

/// Cases a new user found.
mod regressions {
    use super::*;

    mod before {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
        #[kimera(name = "ev.Defaults", register = false)]
        pub struct Defaults {
            pub a: u8,
        }

        #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
        #[kimera(name = "ev.In", register = false)]
        pub struct In {
            pub x: u8,
        }

        #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
        #[kimera(name = "ev.Holder", register = false)]
        pub struct Holder {
            pub inner: In,
        }

        #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
        #[kimera(name = "ev.Bumped", register = false)]
        pub struct Bumped {
            pub level: u8,
        }
    }

    /// `#[serde(default)]` on the struct gives every field a default.
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone, Default)]
    #[kimera(name = "ev.Defaults", register = false)]
    #[serde(default)]
    struct Defaults {
        a: u8,
        b: u8,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "ev.Holder", register = false)]
    struct Holder {
        inner: Option<before::In>,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "ev.Bumped", version = 2, previous = before::Bumped, register = false)]
    struct Bumped {
        level: u32,
    }

    impl From<before::Bumped> for Bumped {
        fn from(b: before::Bumped) -> Self {
            Bumped {
                level: u32::from(b.level) * 10,
            }
        }
    }

    #[test]
    fn a_struct_level_default_fills_missing_fields() {
        let bytes = encode("schema.bin", &before::Defaults { a: 3 });
        let read: Defaults = decode("schema.bin", &bytes).unwrap();
        assert_eq!(read, Defaults { a: 3, b: 0 });
    }

    #[test]
    fn a_struct_becomes_an_option_of_it() {
        let old = before::Holder {
            inner: before::In { x: 1 },
        };
        for form in BOTH {
            let read: Holder = decode(form, &encode(form, &old)).unwrap();
            assert_eq!(
                read,
                Holder {
                    inner: Some(before::In { x: 1 })
                },
                "{form}"
            );
        }
    }

    /// A bumped type inside a collection is not migrated element by element: in binary it is
    /// refused, rather than resolved past its conversion into a different value.
    #[test]
    fn a_bumped_type_inside_a_collection_is_refused_not_resolved() {
        let old = vec![before::Bumped { level: 20 }];
        let bytes = encode("schema.bin", &old);
        let text = refusal::<Vec<Bumped>>("schema.bin", &bytes);
        assert!(
            text.contains("the writer's `ev.Bumped` is version 1, the reader's version 2"),
            "{text}"
        );
        // At the top level the chain converts it.
        let one: Bumped = decode("schema.bin", &encode("schema.bin", &old[0])).unwrap();
        assert_eq!(one, Bumped { level: 200 });
    }
}

/// Forged schema documents, each of which passes the fingerprint check: named errors, never a
/// crash, a hang or a runaway allocation (found by review).
mod forged {
    use super::*;
    use kimera::schema::document::{Definition, Document, Field, Fields, Node, Shape, Type};

    /// An envelope named `name` (no checksum) carrying `doc` and `body`, with the document's own
    /// fingerprint, or `fingerprint` if the document has none.
    fn envelope(name: &str, doc: &Document, body: &[u8]) -> Vec<u8> {
        let fingerprint = doc.fingerprint().unwrap_or(1);
        let doc = bincode::serde::encode_to_vec(doc, bincode::config::standard()).unwrap();
        let mut out = vec![0x4B, 0xE5, 0x14];
        leb(&mut out, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
        out.push(1);
        out.extend_from_slice(&fingerprint.to_le_bytes());
        leb(&mut out, doc.len() as u64);
        out.extend_from_slice(&doc);
        leb(&mut out, body.len() as u64);
        out.extend_from_slice(body);
        out
    }

    fn leb(out: &mut Vec<u8>, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn named(name: &str, shape: Shape, by_reference: Vec<u32>) -> Type {
        Type {
            name: name.into(),
            version: 1,
            params: vec![],
            origin: None,
            definition: Definition::Shape {
                shape,
                by_reference,
            },
        }
    }

    fn field(name: &str, schema: Node) -> Field {
        Field {
            name: name.into(),
            schema,
            default: false,
            flatten: false,
            skip_if: false,
            aliases: vec![],
        }
    }

    fn read(bytes: &[u8]) -> String {
        match Binary::new()
            .without_checksum()
            .decode::<added_default::v2::T>(bytes)
        {
            Ok(value) => panic!("read {value:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_transparent_type_holding_itself() {
        let doc = Document {
            root: Node::Named(0),
            types: vec![named(
                "ev.Added",
                Shape::Transparent(Node::Named(0)),
                vec![0],
            )],
        };
        let text = read(&envelope("ev.Added", &doc, &[]));
        assert!(text.contains("deeper than"), "{text}");
    }

    #[test]
    fn a_type_reached_only_by_reference_is_checked_too() {
        let bad = Type {
            definition: Definition::Schema(Node::Named(99)),
            ..named("ev.Bad", Shape::Struct(Fields::Unit), vec![])
        };
        let doc = Document {
            root: Node::Named(0),
            types: vec![
                named(
                    "ev.Added",
                    Shape::Struct(Fields::Named(vec![field(
                        "id",
                        Node::Option(Box::new(Node::Named(1))),
                    )])),
                    vec![0],
                ),
                bad,
            ],
        };
        assert!(doc.fingerprint().is_err());
        let text = read(&envelope("ev.Added", &doc, &[0]));
        assert!(
            text.contains("the schema document in this `ev.Added` envelope cannot be used"),
            "{text}"
        );
    }

    #[test]
    fn repeated_generic_arguments_cost_linear_time() {
        let mut types: Vec<Type> = (0..64)
            .map(|i| Type {
                params: vec![Node::Named(i + 1), Node::Named(i + 1)],
                ..named("ev.P", Shape::Struct(Fields::Unit), vec![])
            })
            .collect();
        types.push(named("ev.P", Shape::Struct(Fields::Unit), vec![]));
        let doc = Document {
            root: Node::Named(0),
            types,
        };
        assert!(doc.fingerprint().is_ok());
        assert!(doc.type_name().len() < 2048);
        let text = read(&envelope("ev.Added", &doc, &[]));
        assert!(!text.is_empty());
    }

    /// A field the reader skips is walked under the reader's limits.
    #[test]
    fn skipped_fields_are_bounded() {
        let huge = Node::Array {
            item: Box::new(Node::Unit),
            len: u64::MAX,
        };
        let doc = Document {
            root: Node::Named(0),
            types: vec![named(
                "ev.Added",
                Shape::Struct(Fields::Named(vec![
                    field("id", Node::U32),
                    field("name", Node::Str),
                    field("extra", huge),
                ])),
                vec![],
            )],
        };
        let text = read(&envelope("ev.Added", &doc, &[1, 0]));
        assert!(text.contains("limit"), "{text}");
    }

    /// A real old value, deeply nested in a field the new reader removed.
    #[test]
    fn a_deep_removed_field_is_a_depth_error() {
        mod old {
            use super::*;
            #[derive(Serialize, Deserialize, Kimera)]
            #[kimera(name = "ev.Deep", register = false)]
            pub struct Deep {
                pub x: u8,
                pub next: Option<Box<Deep>>,
            }
        }
        #[derive(Serialize, Deserialize, Kimera, Debug)]
        #[kimera(name = "ev.Deep", register = false)]
        struct Deep {
            x: u8,
        }
        let mut value = old::Deep { x: 0, next: None };
        for x in 0..1_000u32 {
            value = old::Deep {
                x: x as u8,
                next: Some(Box::new(value)),
            };
        }
        let bytes = Binary::new().with_schema().encode(&value).unwrap();
        // Dropping the value recursively would exhaust the stack: take it apart.
        let mut next = value.next.take();
        while let Some(mut deep) = next {
            next = deep.next.take();
        }
        let err = Binary::new().decode::<Deep>(&bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
            "{err}"
        );
    }

    /// A renamed variant's fields are checked like the variant's own.
    #[test]
    fn a_variant_read_under_an_alias_is_checked() {
        mod old {
            use super::*;
            #[derive(Serialize, Deserialize, Kimera)]
            #[kimera(name = "ev.Money", register = false)]
            pub enum Money {
                Price(f64),
            }
        }
        #[derive(Serialize, Deserialize, Kimera, Debug)]
        #[kimera(name = "ev.Money", register = false)]
        enum Money {
            #[serde(alias = "Price")]
            Cost(f32),
        }
        let bytes = Binary::new()
            .with_schema()
            .encode(&old::Money::Price(0.1))
            .unwrap();
        let err = Binary::new().decode::<Money>(&bytes).unwrap_err();
        assert!(
            err.to_string()
                .contains("at `::Price`: the writer wrote `f64`, the reader reads `f32`"),
            "{err}"
        );
    }
}

/// A hand-written handler whose fingerprint its schema does not give travels without a schema,
/// so snapshots (which carry schemas) still save it.
#[test]
fn a_handler_that_cannot_carry_its_schema_still_saves() {
    use kimera::schema::{schema_of, TypeRef};
    use kimera::Schema;
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Lines(Vec<evolution::nested::v1::Line>);
    impl KimeraHandler for Lines {
        // The default `FINGERPRINT` hashes the line type by reference.
        const SCHEMA: &'static Schema =
            &Schema::List(<evolution::nested::v1::Line as KimeraHandler>::REFERENCE);
        const REFERENCE: &'static Schema =
            &Schema::Named(&TypeRef::new("h.Lines", 1, schema_of::<Lines>));
    }
    let value = Lines(vec![values::nested_line1("a", 1)]);
    let bytes = Binary::new().with_schema().encode(&value).unwrap();
    assert_eq!(bytes, Binary::new().encode(&value).unwrap());
    assert_eq!(Binary::new().decode::<Lines>(&bytes).unwrap(), value);
}
