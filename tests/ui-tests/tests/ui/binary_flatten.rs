use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Meta {
    owner: String,
}

#[derive(Serialize, Deserialize, Kimera)]
struct Doc {
    id: u64,
    #[serde(flatten)]
    meta: Meta,
}

fn main() {
    let doc = Doc {
        id: 1,
        meta: Meta { owner: "me".into() },
    };
    let _ = kimera::binary::to_vec(&doc);
}
