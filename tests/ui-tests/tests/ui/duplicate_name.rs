use kimera::Kimera;
use serde::{Deserialize, Serialize};

mod billing {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "shop.Order", version = 2)]
    pub struct Order {
        pub id: u64,
    }
}

mod shipping {
    use super::*;

    // Same name and version as billing::Order: a reader could not tell them apart.
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "shop.Order", version = 2)]
    pub struct Order {
        pub address: String,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "shop.Customer", alias = "crm.Client")]
    pub struct Customer {
        pub name: String,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "shop.Account", alias = "crm.Client")]
    pub struct Account {
        pub name: String,
    }
}

fn main() {}
