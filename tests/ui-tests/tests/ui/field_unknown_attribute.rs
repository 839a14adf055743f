use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Order {
    #[kimera(opaqe)]
    id: u64,
}

fn main() {}
