use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(nmae = "x")]
struct Order {
    id: u64,
}

fn main() {}
