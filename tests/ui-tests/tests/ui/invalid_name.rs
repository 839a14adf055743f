use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "has space")]
struct WithSpace {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "")]
struct Empty {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "list<u8>")]
struct LooksBuiltIn {
    id: u64,
}

fn main() {}
