//! `kimera::inspect`: envelopes read without their Rust type, by the schema documents they
//! carry (the schema-document reader is reached here), converted both ways.
#![no_main]

use kimera::inspect::{Envelope, Schemas, ToBinary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::parse(data) else {
        return;
    };
    let schemas = Schemas::new();
    let binary = ToBinary::new().with_schema();
    if let Ok(json) = envelope.to_json(&schemas, false) {
        // A conversion is the typed program's bytes: it converts back, and again to itself.
        let schema = envelope.writer_schema(&schemas).cloned();
        let with = match schema {
            Some(doc) => Schemas::new()
                .with_document(doc)
                .expect("a schema that converted"),
            None => Schemas::new(),
        };
        let parsed = Envelope::parse(&json).expect("converted JSON parses");
        let back = parsed
            .to_binary(&with, binary)
            .expect("converted JSON converts back");
        let again = Envelope::parse(&back).expect("converted binary parses");
        assert_eq!(again.to_json(&with, false).expect("and again"), json);
    }
    let _ = envelope.to_binary(&schemas, binary);
});
