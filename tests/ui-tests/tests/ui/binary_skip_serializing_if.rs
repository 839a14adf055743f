use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Doc {
    id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn main() {
    let _ = kimera::binary::to_vec(&Doc { id: 1, note: None });
}
