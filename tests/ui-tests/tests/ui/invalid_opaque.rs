use kimera::Kimera;
use serde::Serialize;

#[derive(Serialize, Kimera)]
struct A {
    #[kimera(opaque = 5)]
    id: u64,
}

fn main() {}
