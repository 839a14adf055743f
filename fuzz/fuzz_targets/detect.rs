//! `kimera::from_slice`, which picks the backend from the first bytes.
#![no_main]

use kimera_fuzz::{decode_all, Service, Tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kimera::from_slice::<Service>(data);
    let _ = kimera::from_slice::<Tree>(data);
    decode_all::<Tree>(data);
});
