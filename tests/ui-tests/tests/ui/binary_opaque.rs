use kimera::Kimera;
use serde::{Deserialize, Serialize};

// A type from another crate with no Kimera handler.
#[derive(Serialize, Deserialize)]
struct Coordinates(f64, f64);

#[derive(Serialize, Deserialize, Kimera)]
struct Place {
    name: String,
    #[kimera(opaque)]
    at: Coordinates,
}

fn main() {
    let place = Place {
        name: "home".into(),
        at: Coordinates(0.0, 0.0),
    };
    let _ = kimera::json::to_string(&place); // JSON carries it
    let _ = kimera::binary::to_vec(&place);
}
