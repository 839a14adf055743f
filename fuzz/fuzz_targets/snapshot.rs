//! Snapshot files: the file layout, then the envelope inside, as `latest` reads them.
#![no_main]

use kimera_fuzz::{round_trips, Service};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, envelope)) = kimera::snapshot::__private::parse_file(data) {
        if let Ok(value) = kimera::from_slice::<Service>(envelope) {
            round_trips(&kimera::Binary::new().with_schema(), &value);
        }
    }
});
