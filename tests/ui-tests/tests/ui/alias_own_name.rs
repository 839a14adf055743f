use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", alias = "shop.Order")]
struct Order {
    id: u64,
}

fn main() {}
