use kimera::Kimera;
use serde::Serialize;

#[derive(Serialize, Kimera)]
#[kimera(bound = "T KimeraHandler")]
struct Page<T> {
    items: Vec<T>,
}

fn main() {}
