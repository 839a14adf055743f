//! What the benchmarks measure, shared by the criterion benches (`benches/formats.rs`) and the
//! interleaved table (`examples/bench_table.rs`): the datasets, and for each one the cases
//! (a codec on that data) with their encode and decode.

pub mod datasets;

use std::hint::black_box;
use std::rc::Rc;

use kimera::{Binary, ErrorKind, Format, KimeraHandler};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The two families a case belongs to; each compares against its raw crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Json,
    Binary,
    /// The Python Kimera library's wire format (feature `python`), against that library's
    /// own figures rather than a raw crate.
    #[cfg(feature = "python")]
    Python,
}

/// One codec on one dataset.
pub struct Case {
    /// `serde_json`, `kimera::json`, `bincode`, `kimera::binary`, …
    pub codec: &'static str,
    pub family: Family,
    /// The raw crate every other case of the family is compared with.
    pub baseline: bool,
    /// The dataset, encoded by this codec.
    pub encoded: Vec<u8>,
    encode: Box<dyn Fn() -> Vec<u8>>,
    decode: Box<DecodeFn>,
}

/// Decodes bytes and drops the value.
type DecodeFn = dyn Fn(&[u8]);

impl Case {
    /// Encodes the dataset.
    pub fn encode(&self) -> Vec<u8> {
        (self.encode)()
    }

    /// Decodes [`Case::encoded`] and drops the value (both inside the measurement, for every
    /// codec alike).
    pub fn decode(&self) {
        (self.decode)(&self.encoded)
    }
}

/// A dataset and the cases run on it.
pub struct Dataset {
    pub name: &'static str,
    /// What the dataset holds, for the table.
    pub about: &'static str,
    /// What the baseline of each family is: `raw` (the raw crate), `current` (Kimera's
    /// current-version path), `typed` (Kimera's typed decode).
    pub against: &'static str,
    pub cases: Vec<Case>,
}

/// All datasets of the benchmark; `scale` divides their sizes (1 for the published figures).
pub fn all(scale: usize) -> Vec<Dataset> {
    let events = datasets::events(10_000 / scale);
    let compact: Vec<datasets::CompactEvent> = events.iter().map(Into::into).collect();
    let mut event_cases = standard(&events);
    event_cases.push(case(
        "kimera::binary compact",
        Family::Binary,
        Rc::new(compact),
        kimera::binary::to_vec,
        |bytes| kimera::binary::from_slice(bytes),
    ));
    let logs = datasets::logs(10_000 / scale);
    let old_logs: Vec<datasets::OldLog> = logs.iter().map(Into::into).collect();
    vec![
        Dataset {
            name: "log",
            about: "10,000 web-server log records",
            against: "raw",
            cases: standard(&logs),
        },
        Dataset {
            name: "resolve",
            about: "the log records written by an older shape of `bench.Log` (`size: u32`), \
                    read through the writer's schema",
            against: "current",
            cases: resolving(&logs, old_logs),
        },
        Dataset {
            name: "resolve-one",
            about: "one log record per envelope, the older shape read through the writer's schema",
            against: "current",
            cases: resolving(&logs[0], datasets::OldLog::from(&logs[0])),
        },
        Dataset {
            name: "mesh",
            about: "30,000 triangles of four f32 3-vectors",
            against: "raw",
            cases: standard(&datasets::mesh(30_000 / scale)),
        },
        Dataset {
            name: "mesh-full",
            about: "125,000 triangles, the size of the public rust_serialization_benchmark",
            against: "raw",
            cases: standard(&datasets::mesh(125_000 / scale)),
        },
        Dataset {
            name: "events",
            about: "10,000 events: chrono fields, Vec, BTreeMap<String, f64>, enum, Options",
            against: "raw",
            cases: event_cases,
        },
        Dataset {
            name: "rpc",
            about: "one ~100-byte request, per message",
            against: "raw",
            cases: standard(&datasets::request()),
        },
        Dataset {
            name: "dispatch",
            about: "the rpc request decoded by type name: `registry::Dispatcher` and \
                    `registry::decode_any` against a typed decode",
            against: "typed",
            cases: dispatching(&datasets::request()),
        },
    ]
}

/// What the Python Kimera library (`KimeraSerializer`) takes on [`PYTHON_LOGS`] log records, in
/// milliseconds: the figures `kimera::python` is compared with.
#[cfg(feature = "python")]
pub const PYTHON_LIBRARY_MS: (f64, f64) = (80.0, 250.0);

/// How many log records the Python library's figures are for.
#[cfg(feature = "python")]
pub const PYTHON_LOGS: usize = 2000;

/// `kimera::python` on the log records: typed (`to_string`, `from_str`) and through the dynamic
/// `Value` (`to_wire`, `from_wire`). Decoding reads the text it was given as a `&str`, as a
/// Python caller hands over a `str`: the UTF-8 check of bytes is not part of the figure.
#[cfg(feature = "python")]
pub fn python(scale: usize) -> Vec<Case> {
    use kimera::python::{self, Value};
    let logs = Rc::new(datasets::logs(PYTHON_LOGS / scale));
    let wire = python::to_string(&*logs).expect("the logs encode");
    let dynamic = Rc::new(Value::from_wire(&wire).expect("the logs decode"));
    let (typed_text, dynamic_text) = (wire.clone(), wire);
    let mut cases = vec![
        case(
            "kimera::python typed",
            Family::Python,
            logs,
            |v| python::to_string(v).map(String::into_bytes),
            move |_| python::from_str(&typed_text),
        ),
        case(
            "kimera::python Value",
            Family::Python,
            dynamic,
            |v| v.to_wire().map(String::into_bytes),
            move |_| Value::from_wire(&dynamic_text),
        ),
    ];
    cases[0].baseline = true;
    cases
}

/// The codecs every dataset goes through: the raw crates, Kimera's, and the formats a user
/// would pick instead (each in its serde mode, compared with bincode).
fn standard<T>(value: &T) -> Vec<Case>
where
    T: Serialize + DeserializeOwned + KimeraHandler + Clone + PartialEq + 'static,
{
    let value = Rc::new(value.clone());
    let config = bincode::config::standard();
    let no_crc = Binary::new().without_checksum();
    vec![
        case(
            "serde_json",
            Family::Json,
            value.clone(),
            |v| serde_json::to_vec(v).map_err(|e| e.to_string()),
            |bytes| serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        ),
        case(
            "kimera::json",
            Family::Json,
            value.clone(),
            kimera::json::to_vec,
            |bytes| kimera::json::from_slice(bytes),
        ),
        case(
            "bincode",
            Family::Binary,
            value.clone(),
            move |v| bincode::serde::encode_to_vec(v, config).map_err(|e| e.to_string()),
            move |bytes| {
                bincode::serde::decode_from_slice(bytes, config)
                    .map(|(v, _)| v)
                    .map_err(|e| e.to_string())
            },
        ),
        case(
            "kimera::binary",
            Family::Binary,
            value.clone(),
            kimera::binary::to_vec,
            |bytes| kimera::binary::from_slice(bytes),
        ),
        case(
            "kimera::binary no CRC",
            Family::Binary,
            value.clone(),
            move |v| no_crc.encode(v),
            move |bytes| no_crc.decode(bytes),
        ),
        peer("postcard", value.clone(), postcard::to_stdvec, |bytes| {
            postcard::from_bytes(bytes)
        }),
        peer(
            "bitcode (serde)",
            value.clone(),
            bitcode::serialize,
            |bytes| bitcode::deserialize(bytes),
        ),
        peer("rmp-serde", value.clone(), rmp_serde::to_vec, |bytes| {
            rmp_serde::from_slice(bytes)
        }),
        peer(
            "ciborium",
            value,
            |v| {
                let mut out = Vec::new();
                ciborium::into_writer(v, &mut out).map(|()| out)
            },
            |bytes| ciborium::from_reader(bytes),
        ),
    ]
}

/// The resolving decoder against the current-version one, in `kimera::binary` on the same data:
/// the baseline is the current shape written plainly (the current-version path), then the
/// current shape written `with_schema()` (same fingerprint: still that path, with the document
/// in the bytes), then `old`, the same data in an older shape of the type, written
/// `with_schema()` and read as `T` (another fingerprint: the body is walked through the
/// writer's document).
fn resolving<T, O>(current: &T, old: O) -> Vec<Case>
where
    T: Serialize + DeserializeOwned + KimeraHandler + Clone + PartialEq + 'static,
    O: Serialize + KimeraHandler + 'static,
{
    let current = Rc::new(current.clone());
    let old = Rc::new(old);
    let with_schema = Binary::new().with_schema();
    // The old shape really is another schema: without its document, its bytes are refused.
    let plain_old = kimera::binary::to_vec(&*old).expect("the old shape encodes");
    let refused = kimera::binary::from_slice::<T>(&plain_old).map(drop);
    assert!(
        matches!(
            refused.as_ref().map_err(|e| e.kind()),
            Err(ErrorKind::FingerprintMismatch { .. })
        ),
        "the old shape should have another fingerprint: {refused:?}"
    );
    let mut cases = vec![
        case(
            "kimera::binary",
            Family::Binary,
            current.clone(),
            kimera::binary::to_vec,
            |bytes| kimera::binary::from_slice(bytes),
        ),
        case(
            "kimera::binary with_schema, same shape",
            Family::Binary,
            current.clone(),
            move |v| with_schema.encode(v),
            |bytes| kimera::binary::from_slice(bytes),
        ),
        read_as(
            "kimera::binary with_schema, resolving",
            Family::Binary,
            old,
            current,
            move |v| with_schema.encode(v),
            |bytes| kimera::binary::from_slice(bytes),
        ),
    ];
    cases[0].baseline = true;
    cases
}

/// Decoding by the type name an envelope carries, in both backends, against Kimera's typed
/// decode of the same bytes (the baseline of each family).
fn dispatching<T>(value: &T) -> Vec<Case>
where
    T: Serialize + DeserializeOwned + KimeraHandler + Clone + PartialEq + Send + 'static,
{
    let value = Rc::new(value.clone());
    let json = by_name(
        Family::Json,
        [
            "kimera::json",
            "kimera::json, Dispatcher",
            "kimera::json, decode_any",
        ],
        &value,
        kimera::json::to_vec,
        |bytes| kimera::json::from_slice(bytes),
    );
    let binary = by_name(
        Family::Binary,
        [
            "kimera::binary",
            "kimera::binary, Dispatcher",
            "kimera::binary, decode_any",
        ],
        &value,
        kimera::binary::to_vec,
        |bytes| kimera::binary::from_slice(bytes),
    );
    json.into_iter().chain(binary).collect()
}

/// One backend's typed decode (the baseline), `Dispatcher::dispatch` and `decode_any`.
fn by_name<T>(
    family: Family,
    codecs: [&'static str; 3],
    value: &Rc<T>,
    encode: fn(&T) -> kimera::Result<Vec<u8>>,
    decode: impl Fn(&[u8]) -> kimera::Result<T> + 'static,
) -> [Case; 3]
where
    T: DeserializeOwned + KimeraHandler + PartialEq + Send + 'static,
{
    let dispatcher = std::cell::RefCell::new(kimera::registry::Dispatcher::new().on::<T, _>(|v| v));
    let any = |bytes: &[u8]| {
        kimera::registry::decode_any(bytes)?
            .downcast::<T>()
            .map_err(|_| kimera::Error::from(ErrorKind::Unsupported("another type")))
    };
    let [typed, dispatched, found] = codecs;
    let mut typed = case(typed, family, value.clone(), encode, decode);
    typed.baseline = true;
    [
        typed,
        case(dispatched, family, value.clone(), encode, move |bytes| {
            dispatcher.borrow_mut().dispatch(bytes)
        }),
        case(found, family, value.clone(), encode, any),
    ]
}

/// A format a user would pick instead, compared with bincode.
fn peer<T, E, F, D>(
    codec: &'static str,
    value: Rc<T>,
    encode: F,
    decode: impl Fn(&[u8]) -> Result<T, D> + 'static,
) -> Case
where
    T: PartialEq + 'static,
    E: std::fmt::Display,
    D: std::fmt::Display,
    F: Fn(&T) -> Result<Vec<u8>, E> + 'static,
{
    case(
        codec,
        Family::Binary,
        value,
        move |v| encode(v).map_err(|e| e.to_string()),
        move |bytes| decode(bytes).map_err(|e| e.to_string()),
    )
}

fn case<T, E, F, D>(codec: &'static str, family: Family, value: Rc<T>, encode: F, decode: D) -> Case
where
    T: PartialEq + 'static,
    E: std::fmt::Display + std::fmt::Debug,
    F: Fn(&T) -> Result<Vec<u8>, E> + 'static,
    D: Fn(&[u8]) -> Result<T, E> + 'static,
{
    read_as(codec, family, value.clone(), value, encode, decode)
}

/// A case whose codec writes `value` and reads back `expected`, a value of another type (the
/// same data in another shape of it), or the same.
fn read_as<W, R, E, F, D>(
    codec: &'static str,
    family: Family,
    value: Rc<W>,
    expected: Rc<R>,
    encode: F,
    decode: D,
) -> Case
where
    W: 'static,
    R: PartialEq + 'static,
    E: std::fmt::Display + std::fmt::Debug,
    F: Fn(&W) -> Result<Vec<u8>, E> + 'static,
    D: Fn(&[u8]) -> Result<R, E> + 'static,
{
    let encoded = encode(&value).unwrap_or_else(|e| panic!("{codec}: encode: {e}"));
    // A benchmark of a codec that does not round-trip would measure nothing.
    let back = decode(&encoded).unwrap_or_else(|e| panic!("{codec}: decode: {e}"));
    assert!(back == *expected, "{codec}: the value does not round-trip");
    let baseline = matches!(codec, "serde_json" | "bincode");
    Case {
        codec,
        family,
        baseline,
        encoded,
        encode: Box::new(move || encode(black_box(&value)).expect("encoded once already")),
        decode: Box::new(move |bytes| {
            drop(black_box(decode(black_box(bytes)).expect("decoded once")))
        }),
    }
}
