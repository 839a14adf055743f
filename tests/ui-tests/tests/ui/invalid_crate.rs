use kimera::Kimera;
use serde::Serialize;

#[derive(Serialize, Kimera)]
#[kimera(crate = "not a path")]
struct A;

#[derive(Serialize, Kimera)]
#[kimera(crate = kimera)]
struct B;

fn main() {}
