use std::net::Ipv4Addr;

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Peer {
    name: String,
    addr: Ipv4Addr,
}

fn main() {}
