//! The JSON reader.
#![no_main]

use kimera::{Format, Json};
use kimera_fuzz::{round_trips, Service, Tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let json = Json::new();
    if let Ok(value) = json.decode::<Service>(data) {
        round_trips(&json, &value);
    }
    if let Ok(value) = json.decode::<Tree>(data) {
        round_trips(&json, &value);
    }
    let _ = kimera::json::from_reader::<_, Service>(data);
});
