use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
enum Shape {
    Empty,
    #[kimera(version = 2)]
    Circle(f64),
}

fn main() {}
