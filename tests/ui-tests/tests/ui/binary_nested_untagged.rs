use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[serde(untagged)]
enum Value {
    Int(i64),
    Text(String),
}

#[derive(Serialize, Deserialize, Kimera)]
struct Setting {
    key: String,
    value: Value,
}

fn main() {
    let setting = Setting {
        key: "retries".into(),
        value: Value::Int(3),
    };
    let _ = kimera::binary::to_vec(&setting);
}
