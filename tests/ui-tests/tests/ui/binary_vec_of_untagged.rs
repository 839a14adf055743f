use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[serde(untagged)]
enum Value {
    Int(i64),
    Text(String),
}

fn main() {
    let _ = kimera::binary::to_vec(&vec![Value::Int(1), Value::Text("x".into())]);
}
