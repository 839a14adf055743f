use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
enum Value {
    Int(i64),
    #[serde(untagged)]
    Other(String),
}

fn main() {
    let _ = kimera::binary::to_vec(&Value::Int(1));
}
