//! CPython pickles: the reader, dynamic and typed, and the writer on what it read.
#![no_main]

use kimera::pickle::{self, Value};
use kimera_fuzz::Service;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = Value::from_pickle(data) {
        // What reads writes (its keys are distinct and hashable, its times in microseconds),
        // and what it writes reads as itself (compared as bytes: NaN is not equal to itself).
        let bytes = value.to_pickle().expect("a read value writes");
        let again = Value::from_pickle(&bytes).expect("a written pickle reads back");
        assert_eq!(again.to_pickle().expect("it writes again"), bytes);
    }
    if let Ok(service) = pickle::from_slice::<Service>(data) {
        let bytes = pickle::to_vec(&service).expect("a read service writes");
        let again: Service = pickle::from_slice(&bytes).expect("reads back");
        assert_eq!(pickle::to_vec(&again).expect("writes again"), bytes);
    }
});
