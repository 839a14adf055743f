use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
enum Event {
    Started,
    Stopped(u8),
    #[serde(skip_deserializing)]
    Legacy(u8),
}

fn main() {
    let _ = kimera::binary::to_vec(&Event::Stopped(5));
}
