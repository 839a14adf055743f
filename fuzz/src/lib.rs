//! What the fuzz targets share: service-shaped types, and the round-trip property every target
//! checks of what it decodes (a value that decodes re-encodes, and that decodes to the same
//! bytes again).

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use kimera::{Binary, Format, Json, Kimera, KimeraHandler};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "fuzz.Service", version = 2)]
pub struct Service {
    pub id: Uuid,
    pub nodes: BTreeMap<Uuid, Node>,
    pub ports: BTreeMap<IpAddr, Vec<u16>>,
    pub events: Vec<Event>,
    pub owner: Option<String>,
    pub since: DateTime<Utc>,
    pub load: f64,
    pub tree: Tree,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "fuzz.Node")]
pub struct Node {
    pub addr: IpAddr,
    pub weight: u32,
    pub labels: Vec<(String, i64)>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "fuzz.Event")]
pub enum Event {
    Started,
    Joined { node: Uuid, at: DateTime<Utc> },
    Left(Uuid),
    Note(String),
}

/// Recursive: the depth limits' business.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "fuzz.Tree")]
pub enum Tree {
    Leaf(u8),
    Branch(Vec<Tree>),
}

/// The decoded `value` re-encodes with `format`, and that decodes and re-encodes to the same
/// bytes: nothing read that is not what would be written. (Bytes, not values, are compared:
/// a NaN is not equal to itself.)
pub fn round_trips<T, F>(format: &F, value: &T)
where
    T: KimeraHandler + Serialize + DeserializeOwned,
    F: Format,
{
    let Ok(bytes) = format.encode(value) else {
        // What does not encode (a `Some(None)` in JSON, say) was refused on the way in too,
        // or is one of the documented refusals at encode time.
        return;
    };
    let again: T = format
        .decode(&bytes)
        .expect("a value the format wrote reads back");
    let bytes_again = format.encode(&again).expect("it encodes again");
    assert_eq!(
        bytes, bytes_again,
        "a decoded value changed on its way round"
    );
}

/// Decodes `data` as a `T` with each of the binary readers and the JSON reader, and checks
/// the round trip of what decodes.
pub fn decode_all<T>(data: &[u8])
where
    T: KimeraHandler + Serialize + DeserializeOwned,
{
    let binary = Binary::new();
    if let Ok(value) = binary.decode::<T>(data) {
        round_trips(&binary, &value);
    }
    let unchecked = Binary::new().without_checksum();
    if let Ok(value) = unchecked.decode::<T>(data) {
        round_trips(&unchecked, &value);
    }
    if let Ok(value) = Json::new().decode::<T>(data) {
        round_trips(&Json::new(), &value);
    }
}
