use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
enum Event {
    Started,
    #[serde(skip)]
    Internal(u64),
    Stopped(u8),
}

fn main() {
    let _ = kimera::binary::to_vec(&Event::Stopped(5));
}
