use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "Page", version = 2, previous = PageV1<T>)]
struct Page<T> {
    items: Vec<T>,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "Page")]
struct PageV1<T> {
    items: Vec<T>,
}

fn main() {}
