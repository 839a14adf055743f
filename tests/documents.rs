//! Schema documents: built from every kind of schema, their fingerprint computed from the
//! document alone equals the handler's, and they survive both backends' encodings.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::ops::{Bound, Range};

use kimera::schema::document::Document;
use kimera::{Kimera, KimeraHandler};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Line")]
struct Line {
    sku: String,
    #[serde(alias = "quantity")]
    qty: u32,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 3)]
struct Order {
    id: uuid::Uuid,
    lines: Vec<Line>,
    #[serde(default)]
    note: Option<String>,
    by_region: HashMap<String, BTreeMap<u8, Line>>,
    peer: IpAddr,
    window: Range<u64>,
    limit: Bound<Line>,
    outcome: Result<Line, String>,
}

#[derive(Serialize, Deserialize, Kimera)]
struct Tree {
    label: String,
    kids: Vec<Tree>,
    best: Option<Box<Tree>>,
    line: Line,
}

#[derive(Serialize, Deserialize, Kimera)]
struct Parent<T> {
    #[kimera(recursive)]
    child: Option<Box<Child<T>>>,
    value: T,
}

#[derive(Serialize, Deserialize, Kimera)]
struct Child<T> {
    parents: Vec<Parent<T>>,
    line: Line,
}

#[derive(Serialize, Deserialize, Kimera)]
enum Event {
    Created(Order),
    Renamed { from: String, to: String },
    Closed,
    Pair(Line, Tree),
}

#[derive(Serialize, Deserialize, Kimera)]
#[serde(transparent)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Kimera)]
struct Page<T> {
    items: Vec<T>,
    next: Option<T>,
}

fn assert_verifies<T: KimeraHandler + ?Sized>() {
    let doc = Document::of::<T>();
    assert_eq!(
        doc.fingerprint(),
        Ok(T::FINGERPRINT),
        "{}: {doc:#?}",
        T::type_name()
    );
    assert_eq!(doc.type_name(), T::type_name());
    let json = serde_json::to_string(&doc).unwrap();
    assert_eq!(serde_json::from_str::<Document>(&json).unwrap(), doc);
}

#[test]
fn documents_compute_their_handlers_fingerprints() {
    assert_verifies::<u8>();
    assert_verifies::<Vec<Option<(String, char)>>>();
    assert_verifies::<Line>();
    assert_verifies::<Order>();
    assert_verifies::<Vec<Order>>();
    assert_verifies::<HashMap<uuid::Uuid, Vec<Order>>>();
    assert_verifies::<Tree>();
    assert_verifies::<Parent<u8>>();
    assert_verifies::<Child<Line>>();
    assert_verifies::<Event>();
    assert_verifies::<Meters>();
    assert_verifies::<Page<Line>>();
    assert_verifies::<Page<Page<Tree>>>();
    assert_verifies::<std::time::SystemTime>();
    assert_verifies::<chrono::DateTime<chrono::Utc>>();
    assert_verifies::<url::Url>();
    assert_verifies::<rust_decimal::Decimal>();
    assert_verifies::<time::OffsetDateTime>();
    assert_verifies::<bytes::Bytes>();
    assert_verifies::<indexmap::IndexMap<String, Line>>();
    assert_verifies::<serde_bytes::ByteBuf>();
    assert_verifies::<Result<Tree, Event>>();
}

#[test]
fn documents_hold_each_named_type_once() {
    let doc = Document::of::<Tree>();
    let names: Vec<_> = doc.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Tree", "shop.Line"]);
    assert_eq!(doc.root, kimera::schema::document::Node::Named(0));
}
