//! The schemas a program knows besides its own types': documents of earlier shapes, found by
//! fingerprint when a value written with one of them is read.
//!
//! Each [`KnownSchemas`] submitted with [`inventory`] (the facade's `kimera::schema_history!`
//! submits the history file it embeds) is loaded on the first lookup; every document is checked
//! against its fingerprint then, and one that fails is left out (it could only describe bytes
//! wrongly).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Document;

/// A set of schema documents submitted to every reader of the program (see the module
/// documentation).
#[derive(Debug)]
pub struct KnownSchemas {
    /// Where they come from, for people: the history file's path.
    pub origin: &'static str,
    /// Loads them (parsing the embedded file); called once, on the first lookup.
    pub load: fn() -> Vec<Document>,
}

inventory::collect!(KnownSchemas);

/// The document of the schema whose fingerprint is `fingerprint`, if a [`KnownSchemas`] of
/// the program holds it.
///
/// ```
/// // No history is embedded in this doctest.
/// assert!(kimera_core::document::known(0x1234).is_none());
/// ```
pub fn known(fingerprint: u64) -> Option<&'static Document> {
    static KNOWN: OnceLock<HashMap<u64, Document>> = OnceLock::new();
    KNOWN
        .get_or_init(|| {
            let mut known = HashMap::new();
            for source in inventory::iter::<KnownSchemas> {
                for doc in (source.load)() {
                    if let Ok(fingerprint) = doc.fingerprint() {
                        known.entry(fingerprint).or_insert(doc);
                    }
                }
            }
            known
        })
        .get(&fingerprint)
}
