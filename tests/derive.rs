//! What `#[derive(Kimera)]` generates: names, versions, schemas, fingerprints.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kimera::{Kimera, KimeraHandler};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Order", version = 3)]
struct Order {
    id: u64,
    #[serde(rename = "lines")]
    items: Vec<Line>,
    #[serde(skip)]
    cache: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Line {
    sku_code: String,
    qty: u32,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Pair(i8, String);

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Marker;

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Shape {
    Empty,
    Circle(f64),
    Segment(i32, i32),
    Rect { w: u16, h: u16 },
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Page<T> {
    items: Vec<T>,
    next: Option<u32>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Borrowed<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    raw: &'a str,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Tree {
    Leaf,
    Node(Box<Tree>, Box<Tree>),
}

#[test]
fn names_and_versions_default_and_can_be_set() {
    assert_eq!(Order::type_name(), "shop.Order");
    assert_eq!(Order::VERSION, 3);
    assert_eq!(Line::type_name(), "Line");
    assert_eq!(Line::VERSION, 1);
}

#[test]
fn schema_is_what_serde_writes() {
    assert_eq!(
        Order::SCHEMA.to_string(),
        "shop.Order@3 struct { id: u64, lines: list<Line>, note: str #default }"
    );
    assert_eq!(
        Line::SCHEMA.to_string(),
        "Line@1 struct { skuCode: str, qty: u32 }"
    );
    assert_eq!(Meters::SCHEMA.to_string(), "Meters@1 struct(f64)");
    assert_eq!(Pair::SCHEMA.to_string(), "Pair@1 struct(i8, str)");
    assert_eq!(Marker::SCHEMA.to_string(), "Marker@1 struct");
    assert_eq!(
        Shape::SCHEMA.to_string(),
        "Shape@1 enum { Empty, Circle(f64), Segment(i32, i32), Rect { w: u16, h: u16 } }"
    );
    assert_eq!(
        Tree::SCHEMA.to_string(),
        "Tree@1 enum { Leaf, Node(Tree, Tree) }"
    );
}

#[test]
fn generic_arguments_are_part_of_the_identity() {
    assert_eq!(<Page<i32>>::type_name(), "Page<i32>");
    assert_eq!(<Page<Line>>::type_name(), "Page<Line>");
    assert_ne!(<Page<i32>>::FINGERPRINT, <Page<u32>>::FINGERPRINT);
    assert_ne!(<Page<i32>>::FINGERPRINT, <Page<String>>::FINGERPRINT);
    assert_eq!(<Page<i32>>::FINGERPRINT, <Page<i32>>::SCHEMA.fingerprint());
}

/// No handler, no serde: only a marker.
#[derive(Debug, PartialEq)]
struct Unit;

/// A parameter only in `PhantomData` changes no byte: it needs no handler and is not in the name.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(register = false)]
struct Id<T> {
    raw: u64,
    #[serde(skip)]
    marker: std::marker::PhantomData<fn() -> T>,
}

/// A parameter only in a skipped field: the same.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(register = false)]
struct Cached<T: Default, U> {
    key: Vec<U>,
    #[serde(skip)]
    cache: T,
}

trait Table {
    type Key;
}

impl Table for Unit {
    type Key = u32;
}

/// The inferred `T: KimeraHandler` is not the bound this type needs: `bound` replaces it.
#[derive(Serialize, Deserialize, Kimera)]
#[kimera(register = false, bound = "T: Table, T::Key: kimera::KimeraHandler")]
#[serde(bound = "T::Key: Serialize + serde::de::DeserializeOwned")]
struct Row<T: Table> {
    key: T::Key,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "Row", register = false)]
struct RowOfU32 {
    key: u32,
}

#[test]
fn parameters_that_write_nothing_need_no_handler() {
    assert_eq!(<Id<Unit>>::type_name(), "Id");
    assert_eq!(<Id<Unit>>::FINGERPRINT, <Id<String>>::FINGERPRINT);
    let id = Id::<Unit> {
        raw: 7,
        marker: std::marker::PhantomData,
    };
    let back: Id<Unit> = kimera::binary::from_slice(&kimera::binary::to_vec(&id).unwrap()).unwrap();
    assert_eq!(back, id);

    // Only the written parameter is in the name, and needs a handler.
    assert_eq!(<Cached<std::cell::Cell<u8>, u8>>::type_name(), "Cached<u8>");
    let cached = Cached {
        key: vec![1u8],
        cache: std::cell::Cell::new(9u8),
    };
    let back: Cached<std::cell::Cell<u8>, u8> =
        kimera::json::from_slice(&kimera::json::to_vec(&cached).unwrap()).unwrap();
    assert_eq!((back.key, back.cache.get()), (vec![1], 0));

    // `T` itself writes nothing: its key does, and the schema says so.
    assert_eq!(<Row<Unit>>::type_name(), "Row");
    assert_eq!(<Row<Unit>>::FINGERPRINT, <RowOfU32>::FINGERPRINT);
    let back: Row<Unit> =
        kimera::json::from_slice(&kimera::json::to_vec(&Row::<Unit> { key: 3 }).unwrap()).unwrap();
    assert_eq!(back.key, 3);
}

#[test]
fn fingerprints_hash_the_schema_with_nested_fingerprints() {
    assert_eq!(
        Order::FINGERPRINT,
        Order::SCHEMA.fingerprint_with(&[
            u64::FINGERPRINT,
            <Vec<Line>>::FINGERPRINT,
            String::FINGERPRINT
        ])
    );
    assert_ne!(Order::FINGERPRINT, Line::FINGERPRINT);
    assert_ne!(Meters::FINGERPRINT, <f64>::FINGERPRINT);
    // Fields of built-in types alone: the plain schema hash.
    assert_eq!(Line::FINGERPRINT, Line::SCHEMA.fingerprint());
    // A self-referencing field enters by reference, keeping the constant finite.
    assert_eq!(Tree::FINGERPRINT, Tree::SCHEMA.fingerprint());
}

/// Two versions of one program: `Line` gained a field without a version bump, `Order` did not
/// change at all. Order's fingerprint must still change, or bytes written by the old program
/// would be decoded by the new one as garbage.
mod before {
    use super::*;

    // The other program's types: kept out of this crate's registry and name check. Named
    // explicitly, since the two programs would define `Line` at the same path (an origin).
    #[derive(Serialize, Kimera)]
    #[kimera(name = "Line", register = false)]
    pub struct Line {
        pub qty: u32,
    }

    #[derive(Serialize, Kimera)]
    #[kimera(name = "shop.Order", register = false)]
    pub struct Order {
        pub lines: Vec<Line>,
        pub by_sku: BTreeMap<String, (Line, Option<Box<Line>>)>,
    }
}

mod after {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug)]
    #[kimera(name = "Line", register = false)]
    pub struct Line {
        pub qty: u32,
        pub price: u64,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug)]
    #[kimera(name = "shop.Order")]
    pub struct Order {
        pub lines: Vec<Line>,
        pub by_sku: BTreeMap<String, (Line, Option<Box<Line>>)>,
    }
}

#[test]
fn a_changed_nested_type_changes_every_fingerprint_above_it() {
    // The schemas alone name `Line` version 1 in both programs...
    assert_eq!(before::Order::SCHEMA, after::Order::SCHEMA);
    assert_eq!(
        before::Order::SCHEMA.fingerprint(),
        after::Order::SCHEMA.fingerprint()
    );
    // ...the fingerprints see through the names, in every container.
    assert_ne!(before::Line::FINGERPRINT, after::Line::FINGERPRINT);
    assert_ne!(before::Order::FINGERPRINT, after::Order::FINGERPRINT);
    assert_ne!(
        <Vec<before::Line>>::FINGERPRINT,
        <Vec<after::Line>>::FINGERPRINT
    );
    assert_ne!(
        <BTreeMap<String, (before::Line, Option<Box<before::Line>>)>>::FINGERPRINT,
        <BTreeMap<String, (after::Line, Option<Box<after::Line>>)>>::FINGERPRINT
    );
    assert_ne!(
        <[Option<before::Line>; 2]>::FINGERPRINT,
        <[Option<after::Line>; 2]>::FINGERPRINT
    );

    let bytes = kimera::binary::to_vec(&before::Order {
        lines: vec![before::Line { qty: 1 }],
        by_sku: BTreeMap::new(),
    })
    .unwrap();
    let err = kimera::binary::from_slice::<after::Order>(&bytes).unwrap_err();
    assert!(
        matches!(err.kind(), kimera::ErrorKind::FingerprintMismatch { .. }),
        "{err}"
    );
}

#[test]
fn borrowed_fields_round_trip_in_both_backends() {
    let value = Borrowed {
        name: Cow::Borrowed("ann"),
        raw: "raw",
    };
    let text = kimera::json::to_string(&value).unwrap();
    let back: Borrowed<'_> = kimera::json::from_str(&text).unwrap();
    assert_eq!(back, value);
    assert!(matches!(back.name, Cow::Borrowed(_)) || matches!(back.name, Cow::Owned(_)));
    let bytes = kimera::binary::to_vec(&value).unwrap();
    let back: Borrowed<'_> = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!(back, value);
}

#[test]
fn all_shapes_round_trip_in_both_backends() {
    fn both<T>(value: T)
    where
        T: Serialize + for<'de> Deserialize<'de> + KimeraHandler + PartialEq + std::fmt::Debug,
    {
        let text = kimera::json::to_string(&value).unwrap();
        assert_eq!(kimera::json::from_str::<T>(&text).unwrap(), value, "{text}");
        let bytes = kimera::binary::to_vec(&value).unwrap();
        assert_eq!(kimera::binary::from_slice::<T>(&bytes).unwrap(), value);
    }
    both(Order {
        id: 1,
        items: vec![Line {
            sku_code: "a".into(),
            qty: 2,
        }],
        cache: None,
        note: "n".into(),
    });
    both(Meters(1.5));
    both(Pair(-1, "x".into()));
    both(Marker);
    for shape in [
        Shape::Empty,
        Shape::Circle(2.0),
        Shape::Segment(1, 2),
        Shape::Rect { w: 3, h: 4 },
    ] {
        both(shape);
    }
    both(Page {
        items: vec![Shape::Empty],
        next: Some(2),
    });
    both(Tree::Node(
        Box::new(Tree::Leaf),
        Box::new(Tree::Node(Box::new(Tree::Leaf), Box::new(Tree::Leaf))),
    ));
    both(BTreeMap::from([(
        "k".to_string(),
        Page::<u8> {
            items: vec![1],
            next: None,
        },
    )]));
}

#[test]
fn binary_data_errors_name_fields_and_variants() {
    #[derive(Serialize)]
    enum RawShape {
        #[allow(dead_code)]
        Empty,
        #[allow(dead_code)]
        Circle(f64),
        #[allow(dead_code)]
        Segment(i32, i32),
        Rect {
            w: u16,
            h: i64,
        },
    }
    #[derive(Serialize)]
    struct RawPage {
        items: Vec<RawShape>,
        next: Option<u32>,
    }
    // The same bytes a Page<Shape> would have, but `h` holds a number too big for a u16.
    let raw = RawPage {
        items: vec![RawShape::Rect { w: 1, h: 1 << 40 }],
        next: None,
    };
    let body = bincode::serde::encode_to_vec(&raw, bincode::config::standard()).unwrap();
    let mut bytes = kimera::binary::to_vec(&Page::<Shape> {
        items: vec![],
        next: None,
    })
    .unwrap();
    // Rebuild the envelope around the forged body, without a checksum.
    let header_len = bytes.len() - 4 - 2; // 2-byte body (empty list, None), 4-byte CRC
    bytes.truncate(header_len - 3);
    bytes[2] &= !0x01; // the checksum flag; the origin flag (a default name) stays
    bytes.extend([body.len() as u8 | 0x80, 0x80, 0x00]);
    bytes.extend(&body);
    let unchecked = kimera::Binary::new().without_checksum();
    let err = kimera::Format::decode::<Page<Shape>>(&unchecked, &bytes).unwrap_err();
    match err.kind() {
        kimera::ErrorKind::Data { path, .. } => assert_eq!(path, "items[0].Rect.h"),
        other => panic!("{other:?}"),
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[serde(untagged)]
enum Loose {
    Number(i64),
    Text(String),
}

#[test]
fn json_carries_what_binary_cannot_and_detection_says_why() {
    assert!(Loose::BINARY_INCOMPATIBILITY
        .unwrap()
        .contains("#[serde(untagged)]"));
    let text = kimera::json::to_vec(&vec![Loose::Number(1), Loose::Text("x".into())]).unwrap();
    let back: Vec<Loose> = kimera::from_slice(&text).unwrap();
    assert_eq!(back, [Loose::Number(1), Loose::Text("x".into())]);
    // Bytes that look binary: refused at run time, since from_slice picks the backend then.
    let binary = kimera::binary::to_vec(&vec![1i64]).unwrap();
    let err = kimera::from_slice::<Vec<Loose>>(&binary).unwrap_err();
    assert!(
        matches!(err.kind(), kimera::ErrorKind::Unsupported(reason) if reason.contains("untagged"))
    );
    assert!(Order::BINARY_INCOMPATIBILITY.is_none());
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[serde(tag = "kind", rename = "point")]
struct TaggedPoint {
    x: i32,
    y: i32,
}

#[test]
fn a_tagged_struct_records_its_tag_and_goes_through_json() {
    assert_eq!(
        TaggedPoint::SCHEMA.to_string(),
        r#"TaggedPoint@1 struct(tag "kind": "point") { x: i32, y: i32 }"#
    );
    assert!(TaggedPoint::BINARY_INCOMPATIBILITY
        .unwrap()
        .contains(r#"`#[serde(tag = "kind")]` on struct `TaggedPoint`"#));
    let value = TaggedPoint { x: 1, y: -2 };
    let text = kimera::json::to_string(&value).unwrap();
    assert!(
        text.contains(r#""value":{"kind":"point","x":1,"y":-2}"#),
        "{text}"
    );
    assert_eq!(kimera::json::from_str::<TaggedPoint>(&text).unwrap(), value);
}

/// Variants skipped after every readable one keep serde's written and read indices equal.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Command {
    Start,
    Stop(u8),
    #[serde(skip)]
    #[allow(dead_code)]
    Internal(u64),
    // Readable but never written: no written index lands on it.
    #[serde(skip_serializing)]
    #[allow(dead_code)]
    Legacy,
}

#[test]
fn trailing_skipped_variants_are_binary_compatible() {
    assert_eq!(Command::BINARY_INCOMPATIBILITY, None);
    assert_eq!(
        Command::SCHEMA.to_string(),
        "Command@1 enum { Start, Stop(u8) }"
    );
    for value in [Command::Start, Command::Stop(7)] {
        let bytes = kimera::binary::to_vec(&value).unwrap();
        assert_eq!(
            kimera::binary::from_slice::<Command>(&bytes).unwrap(),
            value
        );
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Buf<const N: usize> {
    data: Vec<u8>,
}

/// Const generic arguments are not part of the identity (README, known limitations): serde
/// writes `Buf<3>` and `Buf<4>` alike, and each reads the other's values.
#[test]
fn const_generic_arguments_are_not_part_of_the_identity() {
    assert_eq!(<Buf<3>>::type_name(), "Buf");
    assert_eq!(<Buf<3>>::FINGERPRINT, <Buf<4>>::FINGERPRINT);
    let bytes = kimera::binary::to_vec(&Buf::<3> { data: vec![1] }).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Buf<4>>(&bytes).unwrap(),
        Buf { data: vec![1] }
    );
}

/// Mutually recursive generic types need `#[kimera(recursive)]` only for the binary backend,
/// whose fingerprint would otherwise contain itself; JSON never evaluates the fingerprint.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Parent<T> {
    child: Option<Box<Child<T>>>,
    value: T,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Child<T> {
    parents: Vec<Parent<T>>,
}

#[test]
fn mutually_recursive_generic_types_go_through_json_without_attributes() {
    let value = Parent {
        child: Some(Box::new(Child {
            parents: vec![Parent {
                child: None,
                value: 2u8,
            }],
        })),
        value: 1u8,
    };
    let text = kimera::json::to_string(&value).unwrap();
    assert_eq!(kimera::json::from_str::<Parent<u8>>(&text).unwrap(), value);
    let header = kimera::Format::header(&kimera::Json::new(), text.as_bytes()).unwrap();
    assert_eq!(header.type_name, "Parent<u8>");
}

/// What a self-referencing field hides (docs/schema.md): the types beside the recursion enter
/// by reference, so an incompatible one is found when decoding, as a data error, not a crash.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Nest {
    kids: Vec<(Nest, Loose)>,
}

#[test]
fn types_beside_a_recursive_reference_are_checked_when_decoding() {
    assert_eq!(Nest::BINARY_INCOMPATIBILITY, None);
    let value = Nest {
        kids: vec![(Nest { kids: vec![] }, Loose::Number(1))],
    };
    let bytes = kimera::binary::to_vec(&value).unwrap();
    match kimera::binary::from_slice::<Nest>(&bytes)
        .unwrap_err()
        .kind()
    {
        kimera::ErrorKind::Data { path, .. } => assert_eq!(path, "kids[0][1]"),
        other => panic!("{other:?}"),
    }
    let text = kimera::json::to_string(&value).unwrap();
    assert_eq!(kimera::json::from_str::<Nest>(&text).unwrap(), value);
}

/// Types of one identifier in two modules, with default names: they compile, and their
/// envelopes carry their origins, so neither reads the other's values (`tests/identity.rs`).
mod billing {
    #[derive(serde::Serialize, kimera::Kimera)]
    pub struct Event {
        pub amount: u64,
    }
}

mod audit {
    #[derive(serde::Serialize, kimera::Kimera)]
    pub struct Event {
        pub who: String,
    }
}

#[test]
fn default_names_may_repeat_across_modules() {
    assert_eq!(billing::Event::type_name(), audit::Event::type_name());
    assert_ne!(billing::Event::FINGERPRINT, audit::Event::FINGERPRINT);
    assert_ne!(
        billing::Event::REFERENCE.origin_hash(),
        audit::Event::REFERENCE.origin_hash()
    );
}

/// Decode bounds (`DECODE_BOUND`): what lets the binary backend skip its guard. Derived types
/// combine their fields' bounds as they combine fingerprints; recursion is never bounded.
mod bounds {
    use kimera::{Kimera, KimeraHandler};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Pair<T> {
        a: T,
        b: T,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    pub enum Shape {
        Empty,
        Dot(Pair<f32>),
        Box {
            corners: [Pair<f32>; 2],
            depth: Option<u8>,
        },
    }

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Stamp {
        #[serde(with = "kimera::compact")]
        at: chrono::DateTime<chrono::Utc>,
        shapes: Vec<Shape>,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Node {
        value: u8,
        next: Option<Box<Node>>,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Ping<T> {
        #[kimera(recursive)]
        pong: Option<Box<Pong<T>>>,
        value: T,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Pong<T> {
        pings: Vec<Ping<T>>,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Marker;

    pub struct Secret(u32);

    #[derive(Serialize, Deserialize, Kimera)]
    pub struct Tagged {
        #[kimera(opaque)]
        #[serde(with = "secret")]
        extra: Secret,
    }

    mod secret {
        pub fn serialize<S: serde::Serializer>(v: &super::Secret, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u32(v.0)
        }
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<super::Secret, D::Error> {
            <u32 as serde::Deserialize>::deserialize(d).map(super::Secret)
        }
    }

    #[test]
    fn derived_bounds_follow_the_fields() {
        let pair = Pair::<f32>::DECODE_BOUND.expect("a pair of floats is bounded");
        assert_eq!(pair.depth, 2);
        let shape = Shape::DECODE_BOUND.expect("an enum of bounded variants is bounded");
        // The enum, the struct variant, the array, the pair, the float.
        assert!(shape.depth >= 5, "{shape:?}");
        let stamp = Stamp::DECODE_BOUND.expect("compact chrono fields are integers");
        assert!(stamp.depth > shape.depth);
        assert_eq!(Pair::<String>::DECODE_BOUND, None);
        assert_eq!(Pair::<Vec<()>>::DECODE_BOUND, None);
        assert_eq!(<Vec<Marker>>::DECODE_BOUND, None);
        assert!(<[Marker; 2]>::DECODE_BOUND.is_some());
        assert_eq!(Tagged::DECODE_BOUND, None);
    }

    #[test]
    fn recursive_types_are_never_bounded() {
        assert_eq!(Node::DECODE_BOUND, None);
        assert_eq!(Ping::<u8>::DECODE_BOUND, None);
        assert_eq!(Pong::<u8>::DECODE_BOUND, None);
        assert_eq!(<Vec<Pong<u8>>>::DECODE_BOUND, None);
    }
}
