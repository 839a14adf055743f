use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 2, previous = OrderV2)]
struct Order {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 2)]
struct OrderV2 {
    id: u32,
}

impl From<OrderV2> for Order {
    fn from(v: OrderV2) -> Self {
        Order { id: v.id.into() }
    }
}

fn main() {}
