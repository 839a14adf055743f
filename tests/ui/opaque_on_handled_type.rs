use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Account {
    #[kimera(opaque)]
    id: uuid::Uuid,
}

fn main() {}
