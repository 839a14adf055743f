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
    let mut store = SnapshotStore::open("/nonexistent").unwrap();
    let state = State {
        counter: 1,
        settings: serde_json::Value::Null,
    };
    let _ = store.save(&state);
}
