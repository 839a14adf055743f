use std::ffi::OsString;

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Peer {
    name: String,
    addr: OsString,
}

fn main() {}
