//! Schema documents in the binary format: the bincode of a [`Document`], carried by envelopes
//! that ask for it (`docs/wire-format.md`, "Schema documents"), and where a reader finds the
//! writer's document when the fingerprints differ.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, RwLock};

use kimera_core::document::{known_for, Document, StreamSchemas};
use kimera_core::envelope::{encode_error, origin_of};
use kimera_core::{Error, ErrorKind, Guard, Header, KimeraHandler, Limits, Result};

use crate::envelope::config;

/// The encoded document of `T`'s schema, built once per type and kept for the program's life.
pub(crate) fn encoded<T: KimeraHandler + ?Sized>() -> Result<Arc<[u8]>> {
    type Cache = RwLock<HashMap<(u64, Option<u32>), Arc<[u8]>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    // The origin is not in the fingerprint, and the document carries it.
    let key = (T::FINGERPRINT, const { origin_of::<T>() });
    let cache = CACHE.get_or_init(Default::default);
    if let Some(doc) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(doc.clone());
    }
    let doc = Document::of::<T>();
    if doc.fingerprint() != Ok(T::FINGERPRINT) {
        // Readers would refuse it: fail here rather than write what cannot be read.
        return Err(encode_error::<T>(
            ".",
            "its handler's fingerprint is not the one its schema gives, so its schema cannot \
             travel with its values (a hand-written `KimeraHandler` must pass its children's \
             fingerprints to `Schema::fingerprint_with`)",
        )
        .into());
    }
    let bytes: Arc<[u8]> = encode(&doc).into();
    let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
    Ok(cache.entry(key).or_insert(bytes).clone())
}

/// The bincode of `doc`.
pub(crate) fn encode(doc: &Document) -> Vec<u8> {
    bincode::serde::encode_to_vec(doc, config()).expect("documents have no values bincode refuses")
}

/// Reads a document from `bytes`, under `limits` (a document is input like any other).
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> std::result::Result<Document, String> {
    let guard = Guard::new(limits, bytes.len());
    let seed = guard.seed(PhantomData::<Document>);
    match bincode::serde::seed_decode_from_slice(seed, bytes, config()) {
        Ok((doc, read)) if read == bytes.len() => Ok(doc),
        Ok((_, read)) => Err(format!("{} bytes follow it", bytes.len() - read)),
        Err(err) => Err(match guard.exceeded() {
            Some(limit) => limit.to_string(),
            None => crate::message::decode(&err),
        }),
    }
}

/// The writer's schema of an envelope of `T` whose fingerprint is not `T`'s, checked to resolve
/// into `T`'s shape: the document the envelope carries (checked against its fingerprint, and
/// kept in `stream` if there is one), else one the stream carried earlier, else one the program
/// knows ([`kimera_core::document::known_for`] `T`). `None` if there is none;
/// [`ErrorKind::Unresolvable`] if it does not resolve. A verdict on a known schema, or on one a
/// stream keeps, is kept too: a stream of old values is checked once.
pub(crate) fn resolvable<'s, T: KimeraHandler + ?Sized>(
    header: &Header<'_>,
    carried: Option<&[u8]>,
    limits: &Limits,
    stream: Option<&'s mut StreamSchemas>,
) -> Result<Option<Cow<'s, Document>>> {
    let Some(fingerprint) = header.fingerprint else {
        return Ok(None);
    };
    let Some(stream) = stream else {
        return match carried {
            Some(bytes) => {
                let doc = verified(header, bytes, limits)?;
                check::<T>(header, &doc)?;
                Ok(Some(Cow::Owned(doc)))
            }
            None => known::<T>(header, fingerprint),
        };
    };
    if stream.learned(fingerprint).is_none() {
        let Some(bytes) = carried else {
            return known::<T>(header, fingerprint);
        };
        if let Some(unkept) = stream.learn(fingerprint, verified(header, bytes, limits)?) {
            check::<T>(header, &unkept)?;
            return Ok(Some(Cow::Owned(unkept)));
        }
    }
    if !stream.resolves(fingerprint, T::SCHEMA) {
        let learned = stream.learned(fingerprint).expect("learned above");
        check::<T>(header, learned)?;
        stream.mark_resolves(fingerprint, T::SCHEMA);
    }
    let stream: &'s StreamSchemas = stream;
    Ok(stream.learned(fingerprint).map(Cow::Borrowed))
}

/// A schema the program knows, checked once per reader.
fn known<T: KimeraHandler + ?Sized>(
    header: &Header<'_>,
    fingerprint: u64,
) -> Result<Option<Cow<'static, Document>>> {
    type Verdicts = RwLock<HashSet<(usize, usize)>>;
    static RESOLVE: OnceLock<Verdicts> = OnceLock::new();
    let Some(doc) = known_for(T::REFERENCE, fingerprint) else {
        return Ok(None);
    };
    // Known documents live as long as the program, and so does each type's schema: their
    // addresses stand for them.
    let key = (
        doc as *const Document as usize,
        T::SCHEMA as *const _ as usize,
    );
    let verdicts = RESOLVE.get_or_init(Default::default);
    if !verdicts
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&key)
    {
        check::<T>(header, doc)?;
        verdicts
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
    }
    Ok(Some(Cow::Borrowed(doc)))
}

/// Checks that `doc`, the writer's schema of the envelope `header` heads, resolves into `T`'s.
fn check<T: KimeraHandler + ?Sized>(header: &Header<'_>, doc: &Document) -> Result<()> {
    kimera_core::document::check::check(doc, T::SCHEMA, false).map_err(|mismatch| {
        ErrorKind::Unresolvable {
            type_name: T::type_name().into_owned(),
            version: header.version,
            writer: header.fingerprint.unwrap_or_default(),
            reader: T::FINGERPRINT,
            path: mismatch.path().to_owned(),
            reason: mismatch.reason().to_owned(),
        }
        .into()
    })
}

/// The document an envelope carries, checked against the envelope's fingerprint.
fn verified(header: &Header<'_>, bytes: &[u8], limits: &Limits) -> Result<Document> {
    let bad = |reason: String| -> Error {
        ErrorKind::BadSchema {
            context: format!("in this `{}` envelope", header.type_name),
            reason,
        }
        .into()
    };
    let doc = decode(bytes, limits).map_err(bad)?;
    let fingerprint = header.fingerprint.unwrap_or_default();
    match doc.fingerprint() {
        Ok(found) if found == fingerprint => Ok(doc),
        Ok(found) => Err(bad(format!(
            "it describes schema {found:016x}, and the envelope says {fingerprint:016x}"
        ))),
        Err(invalid) => Err(bad(invalid.reason().to_owned())),
    }
}
