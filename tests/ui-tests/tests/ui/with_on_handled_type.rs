use std::net::IpAddr;

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Server {
    // serde writes an `IpAddr` as text in JSON but as an enum in bincode: not a `String`.
    #[kimera(with = String)]
    addr: IpAddr,
}

fn main() {}

#[derive(Serialize, Deserialize, Kimera)]
struct Counter {
    // A `u32` is no `String` either.
    #[kimera(with = String)]
    hits: Option<u32>,
}
