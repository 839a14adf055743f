use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[serde(tag = "t", content = "c")]
enum Event {
    Start(u64),
    Stop(u64),
}

fn main() {
    let _ = kimera::binary::to_vec(&Event::Start(1));
}
