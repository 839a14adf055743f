use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[serde(tag = "t")]
enum Event {
    Start { at: u64 },
    Stop { at: u64 },
}

fn main() {
    let _ = kimera::binary::to_vec(&Event::Start { at: 1 });
}
