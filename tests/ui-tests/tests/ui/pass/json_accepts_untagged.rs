use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[serde(untagged)]
enum Value {
    Int(i64),
    Text(String),
}

fn main() {
    for value in [Value::Int(3), Value::Text("three".into())] {
        let text = kimera::json::to_string(&value).unwrap();
        let back: Value = kimera::json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
