//! The Python Kimera library's wire format, dynamic and typed.
#![no_main]

use kimera::python::Value;
use kimera_fuzz::Node;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = Value::from_wire(wire) {
        // What reads writes (a repeated dict key aside, which Python keeps once), and what it
        // writes reads as itself.
        if let Ok(text) = value.to_wire() {
            let again = Value::from_wire(&text).expect("written wire text reads back");
            assert_eq!(again.to_wire().expect("it writes again"), text);
        }
    }
    if let Ok(node) = kimera::python::from_str::<Node>(wire) {
        let text = kimera::python::to_string(&node).expect("a read node writes");
        assert_eq!(
            kimera::python::from_str::<Node>(&text).expect("reads back"),
            node
        );
    }
});
