use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 2, previous = InvoiceV1)]
struct Order {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Invoice")]
struct InvoiceV1 {
    id: u32,
}

impl From<InvoiceV1> for Order {
    fn from(v: InvoiceV1) -> Self {
        Order { id: v.id.into() }
    }
}

fn main() {}
