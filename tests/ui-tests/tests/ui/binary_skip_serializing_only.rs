use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Doc {
    id: u64,
    #[serde(default, skip_serializing)]
    cache: String,
}

fn main() {
    let doc = Doc {
        id: 1,
        cache: String::new(),
    };
    let _ = kimera::binary::to_vec(&doc);
}
