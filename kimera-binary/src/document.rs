//! Schema documents in the binary format: the bincode of a [`Document`], carried by envelopes
//! that ask for it (`docs/wire-format.md`, "Schema documents"), and where a reader finds the
//! writer's document when the fingerprints differ.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, RwLock};

use kimera_core::document::{known_for, Document, StreamSchemas};
use kimera_core::envelope::origin_of;
use kimera_core::{Error, ErrorKind, Guard, Header, KimeraHandler, Limits, Result};

use crate::body::config;

/// The encoded document of `T`'s schema, built once per type and kept for the program's life;
/// `None` for a type whose handler's fingerprint is not the one its schema gives (a
/// hand-written handler that hashes its children by reference): readers would refuse that
/// document, so its values travel without one, and are read only by their own shape.
pub(crate) fn encoded<T: KimeraHandler + ?Sized>() -> Option<Arc<[u8]>> {
    type Cache = RwLock<HashMap<(u64, Option<u32>), Option<Arc<[u8]>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    // The origin is not in the fingerprint, and the document carries it.
    let key = (T::FINGERPRINT, const { origin_of::<T>() });
    let cache = CACHE.get_or_init(Default::default);
    if let Some(doc) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return doc.clone();
    }
    let doc = Document::of::<T>();
    let bytes: Option<Arc<[u8]>> = match doc.fingerprint() {
        Ok(fingerprint) if fingerprint == T::FINGERPRINT => Some(encode(&doc).into()),
        _ => None,
    };
    let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
    cache.entry(key).or_insert(bytes).clone()
}

/// The bincode of `doc`.
pub(crate) fn encode(doc: &Document) -> Vec<u8> {
    bincode::serde::encode_to_vec(doc, config()).expect("documents have no values bincode refuses")
}

/// Longest schema document a reader accepts, in bytes: a thousand times a large real one.
pub(crate) const MAX_DOCUMENT_LEN: usize = 1 << 20;

/// Reads a document from `bytes`, bounded as a value is: in size (at most
/// [`MAX_DOCUMENT_LEN`]), element count and depth (a document nests about three levels per
/// level of the schema it describes, so it gets its own bound rather than the value's).
pub(crate) fn decode(bytes: &[u8]) -> std::result::Result<Document, String> {
    const LIMITS: Limits = Limits::DEFAULT
        .with_max_depth(1024)
        .with_max_size(MAX_DOCUMENT_LEN as u64);
    if bytes.len() > MAX_DOCUMENT_LEN {
        return Err(format!(
            "it is {} bytes long, and readers accept at most {MAX_DOCUMENT_LEN}",
            bytes.len()
        ));
    }
    let guard = Guard::new(&LIMITS, bytes.len());
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
    stream: Option<&'s mut StreamSchemas>,
) -> Result<Option<Cow<'s, Document>>> {
    let Some(fingerprint) = header.fingerprint else {
        return Ok(None);
    };
    let Some(stream) = stream else {
        return match carried {
            Some(bytes) => match kept(header, bytes)? {
                Cow::Borrowed(doc) => checked_once::<T>(header, doc).map(Some),
                Cow::Owned(doc) => {
                    check::<T>(header, &doc)?;
                    Ok(Some(Cow::Owned(doc)))
                }
            },
            None => known::<T>(header, fingerprint),
        };
    };
    if stream.learned(fingerprint).is_none() {
        let Some(bytes) = carried else {
            return known::<T>(header, fingerprint);
        };
        if let Some(unkept) = stream.learn(fingerprint, verified(header, bytes)?, bytes.len()) {
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
    match known_for(T::REFERENCE, fingerprint) {
        Some(doc) => checked_once::<T>(header, doc).map(Some),
        None => Ok(None),
    }
}

/// `doc`, checked to resolve into `T` the first time this pair is met.
fn checked_once<T: KimeraHandler + ?Sized>(
    header: &Header<'_>,
    doc: &'static Document,
) -> Result<Cow<'static, Document>> {
    type Verdicts = RwLock<HashSet<(usize, usize)>>;
    static RESOLVE: OnceLock<Verdicts> = OnceLock::new();
    // The documents kept live as long as the program, and so does each type's schema: their
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
    Ok(Cow::Borrowed(doc))
}

/// The document an envelope carries, decoded and verified once for each distinct encoding:
/// values written `with_schema` one by one (rows, messages) carry the same bytes again and
/// again. Identical bytes are the identical document, so keeping them trusts nothing new. At
/// most 256 documents of 4 MiB in all are kept; beyond, each is read afresh.
fn kept(header: &Header<'_>, bytes: &[u8]) -> Result<Cow<'static, Document>> {
    type Kept = RwLock<(HashMap<Box<[u8]>, (u64, &'static Document)>, usize)>;
    static KEPT: OnceLock<Kept> = OnceLock::new();
    const MAX_KEPT: usize = 256;
    const MAX_KEPT_BYTES: usize = 4 << 20;
    let kept = KEPT.get_or_init(Default::default);
    if let Some(&(fingerprint, doc)) = kept.read().unwrap_or_else(|e| e.into_inner()).0.get(bytes) {
        if Some(fingerprint) != header.fingerprint {
            return Err(bad_schema(header, mismatched(fingerprint, header)));
        }
        return Ok(Cow::Borrowed(doc));
    }
    let doc = verified(header, bytes)?;
    let mut kept = kept.write().unwrap_or_else(|e| e.into_inner());
    let (map, total) = &mut *kept;
    if map.len() >= MAX_KEPT || *total + bytes.len() > MAX_KEPT_BYTES {
        return Ok(Cow::Owned(doc));
    }
    *total += bytes.len();
    let doc: &'static Document = Box::leak(Box::new(doc));
    let fingerprint = header.fingerprint.unwrap_or_default();
    map.insert(bytes.into(), (fingerprint, doc));
    Ok(Cow::Borrowed(doc))
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
pub(crate) fn verified(header: &Header<'_>, bytes: &[u8]) -> Result<Document> {
    let doc = decode(bytes).map_err(|reason| bad_schema(header, reason))?;
    match doc.fingerprint() {
        Ok(found) if Some(found) == header.fingerprint => Ok(doc),
        Ok(found) => Err(bad_schema(header, mismatched(found, header))),
        Err(invalid) => Err(bad_schema(header, invalid.reason().to_owned())),
    }
}

fn mismatched(found: u64, header: &Header<'_>) -> String {
    format!(
        "it describes schema {found:016x}, and the envelope says {:016x}",
        header.fingerprint.unwrap_or_default()
    )
}

fn bad_schema(header: &Header<'_>, reason: String) -> Error {
    ErrorKind::BadSchema {
        context: format!("in this `{}` envelope", header.type_name),
        reason,
    }
    .into()
}
