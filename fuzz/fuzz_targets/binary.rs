//! The binary reader, with and without the checksum, as a peer's bytes reach it.
#![no_main]

use kimera::{Binary, Format};
use kimera_fuzz::{round_trips, Service, Tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for binary in [Binary::new(), Binary::new().without_checksum()] {
        if let Ok(value) = binary.decode::<Service>(data) {
            round_trips(&binary, &value);
        }
        if let Ok(value) = binary.decode::<Tree>(data) {
            round_trips(&binary, &value);
        }
        let _ = binary.decode::<Vec<(String, Option<u64>)>>(data);
        let _ = kimera::binary::from_reader::<_, Service>(data);
    }
});
