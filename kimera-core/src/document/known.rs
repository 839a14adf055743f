//! The schemas a program knows besides its own types': documents of earlier shapes, found by
//! fingerprint when a value written with one of them is read.
//!
//! Each [`KnownSchemas`] submitted with `inventory` (the facade's `kimera::schema_history!`
//! submits the history file it embeds) is loaded on the first lookup; every document is checked
//! against its fingerprint then, and one that fails is left out (it could only describe bytes
//! wrongly). Without the `inventory` feature nothing is submitted, and only the schemas that
//! travel with the data are known.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use super::{Document, Node};
use crate::Schema;

/// A set of schema documents submitted to every reader of the program (see the module
/// documentation).
#[derive(Debug)]
pub struct KnownSchemas {
    /// Where they come from, for people: the history file's path.
    pub origin: &'static str,
    /// Loads them (parsing the embedded file); called once, on the first lookup.
    pub load: fn() -> Vec<Document>,
}

#[cfg(feature = "inventory")]
inventory::collect!(KnownSchemas);

/// The document of the schema whose fingerprint is `fingerprint`, if a [`KnownSchemas`] of
/// the program holds it.
///
/// ```
/// // No history is embedded in this doctest.
/// assert!(kimera::schema::document::known(0x1234).is_none());
/// ```
pub fn known(fingerprint: u64) -> Option<&'static Document> {
    store().get(&fingerprint)
}

fn store() -> &'static HashMap<u64, Document> {
    static KNOWN: OnceLock<HashMap<u64, Document>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        #[cfg_attr(not(feature = "inventory"), allow(unused_mut))]
        let mut known = HashMap::new();
        #[cfg(feature = "inventory")]
        for source in inventory::iter::<KnownSchemas> {
            for doc in (source.load)() {
                if let Ok(fingerprint) = doc.fingerprint() {
                    known.entry(fingerprint).or_insert(doc);
                }
            }
        }
        known
    })
}

/// The writer's schema of a `reader` value whose fingerprint is `fingerprint`, from the known
/// schemas: recorded as it is, or, for a value whose type is not itself a named type
/// (`list<shop.Order>`, `map<str,shop.Order>`), composed of the recorded schemas of the named
/// types it holds: a history records named types, and a `Vec<Order>` written before `Order`
/// changed holds the `Order` of then.
///
/// Compositions are searched once per reader and fingerprint and kept for the program's life
/// (those found; of those not found, the first 4096), so that a stream of old values pays for
/// the search once.
pub fn known_for(reader: &'static Schema, fingerprint: u64) -> Option<&'static Document> {
    type Composed = RwLock<HashMap<(usize, u64), Option<&'static Document>>>;
    static COMPOSED: OnceLock<Composed> = OnceLock::new();
    const MAX_MISSES: usize = 4096;
    if let Some(doc) = known(fingerprint) {
        return Some(doc);
    }
    // The reader's address stands for its schema: a type's schema has one.
    let key = (reader as *const Schema as usize, fingerprint);
    let composed = COMPOSED.get_or_init(Default::default);
    if let Some(&found) = composed.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return found;
    }
    let found = compose(reader, fingerprint).map(|doc| &*Box::leak(Box::new(doc)));
    let mut composed = composed.write().unwrap_or_else(|e| e.into_inner());
    let misses = composed.values().filter(|found| found.is_none()).count();
    if found.is_some() || misses < MAX_MISSES {
        return *composed.entry(key).or_insert(found);
    }
    found
}

/// The composition [`known_for`] looks for.
fn compose(reader: &'static Schema, fingerprint: u64) -> Option<Document> {
    let mut doc = Document::from_schema(reader);
    if let Node::Named(_) = doc.root {
        return None;
    }
    let mut slots = Vec::new();
    doc.root.for_each_named(&mut |index| slots.push(*index));
    slots.sort_unstable();
    slots.dedup();
    let candidates: Vec<Vec<&'static Document>> = slots
        .iter()
        .map(|&slot| {
            let named = &doc.types[slot as usize];
            let mut found = vec![];
            for candidate in store().values() {
                if let Node::Named(root) = candidate.root {
                    let t = &candidate.types[root as usize];
                    if (&t.name, &t.origin) == (&named.name, &named.origin) {
                        found.push(candidate);
                    }
                }
            }
            found
        })
        .collect();
    // Every combination of the recorded shapes of each named type, up to a bound.
    const MAX_COMBINATIONS: usize = 4096;
    let total = candidates
        .iter()
        .try_fold(1usize, |n, c| n.checked_mul(c.len()))
        .filter(|&n| n <= MAX_COMBINATIONS)?;
    for mut combination in 0..total {
        let mut types = Vec::new();
        let mut remap = Vec::with_capacity(slots.len());
        for options in &candidates {
            let chosen = options[combination % options.len()];
            combination /= options.len();
            let offset = types.len() as u32;
            // Appended at `offset`: every index of the chosen document moves by it.
            types.extend(chosen.types.iter().cloned().map(|mut t| {
                t.for_each_named(&mut |index| *index += offset);
                t
            }));
            let Node::Named(root) = chosen.root else {
                unreachable!("candidates are named types")
            };
            remap.push(offset + root);
        }
        let mut root = doc.root.clone();
        root.for_each_named(&mut |index| {
            let slot = slots
                .binary_search(index)
                .expect("every slot was collected");
            *index = remap[slot];
        });
        let composed = Document { root, types };
        if composed.fingerprint() == Ok(fingerprint) {
            return Some(composed);
        }
    }
    None
}
