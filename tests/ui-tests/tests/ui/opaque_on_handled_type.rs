use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Upload {
    #[kimera(opaque)]
    path: std::path::PathBuf,
}

fn main() {}
