use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
struct Order {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order")]
struct OrderV1 {
    id: u32,
}

fn main() {}
