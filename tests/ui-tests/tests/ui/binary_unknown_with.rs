use kimera::Kimera;
use serde::{Deserialize, Serialize};

mod as_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Serialize, Deserialize, Kimera)]
struct Counter {
    #[serde(with = "as_text")]
    hits: u32,
}

fn main() {
    let _ = kimera::binary::to_vec(&Counter { hits: 3 });
}
