//! The registry: `decode_any` and a `Dispatcher`, which read the type name first.
#![no_main]

use kimera::registry::{self, Dispatcher};
use kimera_fuzz::{Node, Service};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = registry::decode_any(data);
    let mut dispatcher = Dispatcher::new()
        .on(|service: Service| service.nodes.len())
        .on(|node: Node| node.labels.len());
    let _ = dispatcher.dispatch(data);
});
