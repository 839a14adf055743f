use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Peer {
    #[kimera(with = String, opaque)]
    addr: String,
}

fn main() {}
