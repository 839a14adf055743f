use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(version = "3")]
struct Order {
    id: u64,
}

fn main() {}
