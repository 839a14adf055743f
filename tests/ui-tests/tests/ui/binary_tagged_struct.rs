use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[serde(tag = "kind")]
struct Point {
    x: i32,
    y: i32,
}

fn main() {
    let _ = kimera::binary::from_slice::<Point>(&[]);
}
