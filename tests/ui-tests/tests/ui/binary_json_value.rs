use kimera::snapshot::SnapshotStore;
use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "svc.State")]
struct State {
    counter: u64,
    settings: serde_json::Value,
}

fn main() {
    let state = State {
        counter: 1,
        settings: serde_json::json!({"mode": "fast"}),
    };
    let _ = kimera::json::to_string(&state); // JSON carries it
    let _ = kimera::binary::to_vec(&state);
    // A snapshot store (binary by default) refuses it too, before anything is written.
    let mut store = SnapshotStore::open("/nonexistent").unwrap();
    let _ = store.save(&state);
}
