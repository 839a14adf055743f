//! `diff::between_encoded`: two envelopes of one type, from the two halves of the input.
#![no_main]

use kimera_fuzz::Service;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (old, new) = data.split_at(data.len() / 2);
    if let Ok(diff) = kimera::diff::between_encoded::<Service>(old, new) {
        let _ = diff.to_json_patch();
    }
});
