//! Hostile input: decoding never panics, aborts, hangs or allocates what the input merely claims,
//! and every failure is a named `kimera::ErrorKind`.
//!
//! Tests that feed input able to kill the process (a stack overflow or a failed allocation
//! aborts, it does not unwind) run in a child process, so that such a crash is reported as the
//! failure of one test, with a time limit that turns a hang into a failure too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kimera::{Binary, ErrorKind, Format, Json, Kimera, KimeraHandler, Limit, Limits};
use serde::{Deserialize, Serialize};

mod support;
use support::XorShift;

// ---------------------------------------------------------------------------------------------
// Measuring allocations: the largest single request made by the current thread.
// ---------------------------------------------------------------------------------------------

struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: forwards every call to `System` unchanged; only records the requested sizes.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Runs `f` and returns its result with the largest single allocation it requested (this thread).
fn largest_allocation_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|largest| largest.set(0));
    let result = f();
    (result, LARGEST.with(Cell::get))
}

/// Far above what any input in this file needs, far below what the forged lengths claim.
const ALLOCATION_BOUND: usize = 16 << 20;

// ---------------------------------------------------------------------------------------------
// Running a test in a child process.
// ---------------------------------------------------------------------------------------------

const CHILD_ENV: &str = "KIMERA_SAFETY_CHILD";

/// Runs `f` in a child process (this test binary, filtered to the test `name`), so that an abort
/// or a stack overflow fails this test instead of killing the whole harness, and so that a hang
/// is cut off after `limit`. `name` must be the name of the test calling this.
fn isolated(name: &str, limit: Duration, f: impl FnOnce()) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        f();
        return;
    }
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([name, "--exact", "--include-ignored", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the test binary");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().expect("kill the child");
            child.wait().expect("reap the child");
            panic!("`{name}` did not finish within {limit:?}: decoding hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        status.success(),
        "`{name}` crashed or failed in its child process ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child process did not run `{name}`:\n{stdout}"
    );
}

// ---------------------------------------------------------------------------------------------
// Building binary envelopes by hand (layout: kimera-binary/src/envelope.rs).
// ---------------------------------------------------------------------------------------------

/// CRC-32 (IEEE, reflected), as the binary envelope's trailer.
fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, entry) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *entry = c;
    }
    !bytes.iter().fold(!0u32, |crc, &b| {
        table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8)
    })
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The header of a binary envelope, up to and including the body length. Below 2 MiB the body
/// length is padded to 3 bytes, as the writer does.
fn binary_header(
    name: &str,
    version: u32,
    fingerprint: u64,
    body_len: u64,
    checksum: bool,
) -> Vec<u8> {
    binary_header_from(name, version, fingerprint, None, body_len, checksum)
}

/// The origin hash as `docs/wire-format.md` specifies it, computed independently: the low 32
/// bits of 64-bit FNV-1a over each origin's length (`u32` LE) and bytes, in order.
fn origin_hash(origins: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for origin in origins.split(',') {
        let len = (origin.len() as u32).to_le_bytes();
        for byte in len.iter().chain(origin.as_bytes()) {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash as u32
}

/// [`binary_header`] with the origin of a default-named type.
fn binary_header_from(
    name: &str,
    version: u32,
    fingerprint: u64,
    origin: Option<&str>,
    body_len: u64,
    checksum: bool,
) -> Vec<u8> {
    let flags = u8::from(checksum) | u8::from(origin.is_some()) << 1;
    let mut out = vec![0x4B, 0xE5, 0x10 | flags];
    leb128(&mut out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    leb128(&mut out, version.into());
    out.extend_from_slice(&fingerprint.to_le_bytes());
    if let Some(origin) = origin {
        out.extend_from_slice(&origin_hash(origin).to_le_bytes());
    }
    if body_len < 1 << 21 {
        out.extend_from_slice(&[
            body_len as u8 | 0x80,
            (body_len >> 7) as u8 | 0x80,
            (body_len >> 14) as u8,
        ]);
    } else {
        leb128(&mut out, body_len);
    }
    out
}

/// A complete binary envelope claiming to hold a `T`, around an arbitrary body.
fn envelope_of<T: KimeraHandler + ?Sized>(body: &[u8], checksum: bool) -> Vec<u8> {
    let mut out = binary_header_from(
        &T::type_name(),
        T::VERSION,
        T::FINGERPRINT,
        T::REFERENCE
            .origin_hash()
            .map(|_| T::REFERENCE.origins().to_string())
            .as_deref(),
        body.len() as u64,
        checksum,
    );
    out.extend_from_slice(body);
    if checksum {
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
    }
    out
}

fn bincode_body<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("bincode body")
}

/// bincode 2 varint of a `u64` at least 2^32: the marker 0xFD, then 8 bytes little-endian.
fn huge_varint(value: u64) -> Vec<u8> {
    assert!(value >= 1 << 32);
    let mut out = vec![0xFD];
    out.extend_from_slice(&value.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Types.
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Tree {
    Leaf,
    Node(Box<Tree>),
}

impl Tree {
    fn nested(depth: usize) -> Tree {
        (0..depth).fold(Tree::Leaf, |inner, _| Tree::Node(Box::new(inner)))
    }
}

/// The bincode body of `depth` nested `Node`s around a `Leaf`: one variant index per level.
fn tree_body(depth: usize) -> Vec<u8> {
    let mut body = vec![1u8; depth];
    body.push(0);
    body
}

/// A JSON envelope of `depth` nested `Node`s around a `Leaf`.
fn tree_json(depth: usize, value_first: bool) -> Vec<u8> {
    let mut value = r#"{"Node":"#.repeat(depth);
    value.push_str(r#""Leaf""#);
    value.push_str(&"}".repeat(depth));
    let header = r#""kimera":1,"type":"Tree","version":1"#;
    let text = if value_first {
        format!(r#"{{"value":{value},{header}}}"#)
    } else {
        format!(r#"{{{header},"value":{value}}}"#)
    };
    text.into_bytes()
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "shop.Order", version = 3)]
struct Order {
    id: u64,
    customer: String,
    lines: Vec<Line>,
    note: Option<String>,
    tags: BTreeMap<String, u32>,
    status: Status,
    total: f64,
    placed: chrono::NaiveDateTime,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
struct Line {
    sku: String,
    qty: u32,
    price: f64,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
enum Status {
    Draft,
    Paid { amount: f64, by: String },
    Shipped(String),
}

fn order() -> Order {
    Order {
        id: 90_210,
        customer: "Zoë Ångström «VIP»".into(),
        lines: vec![
            Line {
                sku: "A-1".into(),
                qty: 2,
                price: 9.5,
            },
            Line {
                sku: "B-22".into(),
                qty: 300,
                price: 0.125,
            },
            Line {
                sku: "C-333".into(),
                qty: 70_000,
                price: 1234.75,
            },
        ],
        note: Some("leave at the door\n\"back\" entrance".into()),
        tags: BTreeMap::from([("gift".into(), 1), ("priority".into(), 65_535)]),
        status: Status::Paid {
            amount: 87_000.25,
            by: "card".into(),
        },
        total: 87_000.25,
        placed: NaiveDate::from_ymd_opt(2024, 2, 29)
            .unwrap()
            .and_hms_nano_opt(23, 59, 58, 123_456_789)
            .unwrap(),
    }
}

fn kind_of<T: std::fmt::Debug>(result: kimera::Result<T>) -> ErrorKind {
    match result {
        Ok(value) => panic!("expected an error, decoded {value:?}"),
        Err(err) => err.into_kind(),
    }
}

/// Decodes an envelope of `T` around `body`, which must be refused without any allocation near
/// what it claims; the kind of error.
fn refused_without_allocating<T>(body: &[u8]) -> ErrorKind
where
    T: KimeraHandler + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let bytes = envelope_of::<T>(body, true);
    let (result, largest) = largest_allocation_of(|| kimera::binary::from_slice::<T>(&bytes));
    assert!(
        largest < ALLOCATION_BOUND,
        "{}: allocated {largest} bytes",
        T::type_name()
    );
    kind_of(result)
}

// ---------------------------------------------------------------------------------------------
// Recursion bound.
// ---------------------------------------------------------------------------------------------

#[test]
fn hand_built_envelopes_match_the_writer() {
    // The helpers below forge envelopes; check them against the real writer first.
    for value in [Tree::Leaf, Tree::nested(3)] {
        let body = bincode_body(&value);
        assert_eq!(body, tree_body(if value == Tree::Leaf { 0 } else { 3 }));
        assert_eq!(
            envelope_of::<Tree>(&body, true),
            kimera::binary::to_vec(&value).unwrap()
        );
        let mut plain = Vec::new();
        Binary::new()
            .without_checksum()
            .encode_into(&value, &mut plain)
            .unwrap();
        assert_eq!(envelope_of::<Tree>(&body, false), plain);
    }
    let order = order();
    assert_eq!(
        envelope_of::<Order>(&bincode_body(&order), true),
        kimera::binary::to_vec(&order).unwrap()
    );
    assert_eq!(
        kimera::json::from_slice::<Tree>(&tree_json(3, false)).unwrap(),
        Tree::nested(3)
    );
    assert_eq!(
        kimera::json::from_slice::<Tree>(&tree_json(3, true)).unwrap(),
        Tree::nested(3)
    );
}

#[test]
fn binary_nesting_a_million_deep_is_a_depth_error() {
    isolated(
        "binary_nesting_a_million_deep_is_a_depth_error",
        Duration::from_secs(60),
        || {
            let depth = 1_000_000;
            for checksum in [true, false] {
                let bytes = envelope_of::<Tree>(&tree_body(depth), checksum);
                assert!(bytes.len() > depth);
                let binary = if checksum {
                    Binary::new()
                } else {
                    Binary::new().without_checksum()
                };
                let (result, largest) = largest_allocation_of(|| binary.decode::<Tree>(&bytes));
                match kind_of(result) {
                    ErrorKind::LimitExceeded {
                        limit: Limit::Depth,
                        max: 128,
                    } => {}
                    other => panic!("expected the depth limit, got {other:?}"),
                }
                assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");
                // The same through a reader and (checksummed) through auto-detection.
                if checksum {
                    assert!(matches!(
                        kind_of(kimera::from_slice::<Tree>(&bytes)),
                        ErrorKind::LimitExceeded {
                            limit: Limit::Depth,
                            ..
                        }
                    ));
                }
                assert!(matches!(
                    kind_of(binary.decode_from_reader::<_, Tree>(&bytes[..])),
                    ErrorKind::LimitExceeded {
                        limit: Limit::Depth,
                        ..
                    }
                ));
            }
        },
    );
}

#[test]
fn json_nesting_a_million_deep_is_a_depth_error() {
    isolated(
        "json_nesting_a_million_deep_is_a_depth_error",
        Duration::from_secs(60),
        || {
            let text = tree_json(1_000_000, false);
            for result in [
                kimera::json::from_slice::<Tree>(&text),
                kimera::from_slice::<Tree>(&text),
                kimera::json::from_reader::<_, Tree>(&text[..]),
            ] {
                match kind_of(result) {
                    ErrorKind::LimitExceeded {
                        limit: Limit::Depth,
                        max,
                    } => assert!(max <= 128, "max {max}"),
                    other => panic!("expected the depth limit, got {other:?}"),
                }
            }
            // Reading only the header skips the body without recursing (or failing).
            assert_eq!(Json::new().header(&text).unwrap().type_name, "Tree");
        },
    );
}

#[test]
fn max_depth_is_configurable_in_both_backends() {
    let limits = Limits::default().with_max_depth(8);
    let binary = Binary::new().with_limits(limits);
    let json = Json::new().with_limits(limits);

    for depth in [0, 1, 5, 7] {
        let bytes = kimera::binary::to_vec(&Tree::nested(depth)).unwrap();
        assert_eq!(binary.decode::<Tree>(&bytes).unwrap(), Tree::nested(depth));
        let text = kimera::json::to_vec(&Tree::nested(depth)).unwrap();
        assert_eq!(json.decode::<Tree>(&text).unwrap(), Tree::nested(depth));
    }
    for depth in [8, 20, 1000] {
        let bytes = envelope_of::<Tree>(&tree_body(depth), true);
        assert!(
            matches!(
                kind_of(binary.decode::<Tree>(&bytes)),
                ErrorKind::LimitExceeded {
                    limit: Limit::Depth,
                    max: 8
                }
            ),
            "binary, depth {depth}"
        );
        // The default limit lets the moderate ones through.
        if depth < 100 {
            assert_eq!(
                kimera::binary::from_slice::<Tree>(&bytes).unwrap(),
                Tree::nested(depth)
            );
        }
        assert!(
            matches!(
                kind_of(json.decode::<Tree>(&tree_json(depth, false))),
                ErrorKind::LimitExceeded {
                    limit: Limit::Depth,
                    max: 8
                }
            ),
            "json, depth {depth}"
        );
    }
    let err = binary
        .decode::<Tree>(&envelope_of::<Tree>(&tree_body(20), true))
        .unwrap_err();
    assert_eq!(err.to_string(), "nesting depth limit of 8 exceeded");
}

// ---------------------------------------------------------------------------------------------
// Allocation bound.
// ---------------------------------------------------------------------------------------------

#[test]
fn forged_sequence_lengths_are_refused_without_allocating() {
    isolated(
        "forged_sequence_lengths_are_refused_without_allocating",
        Duration::from_secs(60),
        || {
            let claim = huge_varint(1 << 60);

            // Elements that cost bytes: the input runs out.
            let bytes = envelope_of::<Vec<u64>>(&claim, true);
            let (result, largest) =
                largest_allocation_of(|| kimera::binary::from_slice::<Vec<u64>>(&bytes));
            let kind = kind_of(result);
            assert!(
                matches!(
                    kind,
                    ErrorKind::Data { .. } | ErrorKind::LimitExceeded { .. }
                ),
                "{kind:?}"
            );
            assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");

            // Zero-sized elements cost no input: only the element budget stops them.
            let start = Instant::now();
            let bytes = envelope_of::<Vec<()>>(&claim, true);
            let (result, largest) =
                largest_allocation_of(|| kimera::binary::from_slice::<Vec<()>>(&bytes));
            match kind_of(result) {
                ErrorKind::LimitExceeded {
                    limit: Limit::Elements,
                    max,
                } => assert_eq!(
                    max,
                    claim.len() as u64 + Limits::default().zero_size_allowance
                ),
                other => panic!("expected the element limit, got {other:?}"),
            }
            assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");

            // A map of zero-sized keys and values.
            let bytes = envelope_of::<BTreeMap<(), ()>>(&claim, true);
            assert!(matches!(
                kind_of(kimera::binary::from_slice::<BTreeMap<(), ()>>(&bytes)),
                ErrorKind::LimitExceeded {
                    limit: Limit::Elements,
                    ..
                }
            ));
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "zero-sized claims took {:?}",
                start.elapsed()
            );

            // Zero-sized elements inside the allowance decode.
            let body = bincode_body(&vec![(); 1000]);
            assert_eq!(
                kimera::binary::from_slice::<Vec<()>>(&envelope_of::<Vec<()>>(&body, true))
                    .unwrap()
                    .len(),
                1000
            );
        },
    );
}

/// The element budget pays for lengths read from the input, not for the fields of tuples and
/// structs, so a legitimate body of many small records is never mistaken for a forged one.
#[test]
fn many_small_records_fit_the_element_budget() {
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    struct Pixel {
        x: u8,
        y: u8,
        rgb: (u8, u8, u8),
        unit: (),
    }

    let pixels: Vec<Pixel> = (0..1_000_000u32)
        .map(|i| Pixel {
            x: i as u8,
            y: (i >> 8) as u8,
            rgb: (1, 2, 3),
            unit: (),
        })
        .collect();
    let bytes = kimera::binary::to_vec(&pixels).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Vec<Pixel>>(&bytes).unwrap(),
        pixels
    );

    let pairs: Vec<(u8, u8)> = (0..1_000_000u32).map(|i| (i as u8, 7)).collect();
    let bytes = kimera::binary::to_vec(&pairs).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Vec<(u8, u8)>>(&bytes).unwrap(),
        pairs
    );
}

#[test]
fn forged_string_lengths_are_refused_without_allocating() {
    isolated(
        "forged_string_lengths_are_refused_without_allocating",
        Duration::from_secs(60),
        || {
            // A moderate claim first (4 GiB in a 9-byte body), then 2^60 bytes.
            for claim in [1u64 << 32, 1 << 60] {
                let body = huge_varint(claim);
                let kind = refused_without_allocating::<String>(&body);
                assert!(
                    matches!(
                        kind,
                        ErrorKind::Data { .. } | ErrorKind::LimitExceeded { .. }
                    ),
                    "a {claim}-byte claim: {kind:?}"
                );
                // Inside a struct, as a field.
                refused_without_allocating::<Line>(&body);
            }
        },
    );
}

#[test]
fn forged_string_lengths_borrowed_are_refused() {
    // `&str` borrows from the input instead of allocating: the claim is checked against it.
    for claim in [1u64 << 32, 1 << 60] {
        let bytes = envelope_of::<&str>(&huge_varint(claim), true);
        let (result, largest) =
            largest_allocation_of(|| kimera::binary::from_slice::<&str>(&bytes).map(str::len));
        assert!(matches!(kind_of(result), ErrorKind::Data { .. }));
        assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");
    }
}

#[test]
fn forged_body_lengths_are_refused_without_allocating() {
    isolated(
        "forged_body_lengths_are_refused_without_allocating",
        Duration::from_secs(60),
        || {
            // A header claiming a body of 2^40 bytes, followed by 6 bytes of it.
            let mut stream = binary_header("list<u8>", 1, <Vec<u8>>::FINGERPRINT, 1 << 40, true);
            stream.extend_from_slice(&[5, 1, 2, 3, 4, 5]);

            // Over the default `max_size`: refused from the header alone.
            let (result, largest) =
                largest_allocation_of(|| kimera::binary::from_reader::<_, Vec<u8>>(&stream[..]));
            match kind_of(result) {
                ErrorKind::LimitExceeded {
                    limit: Limit::Size,
                    max,
                } => assert_eq!(max, Limits::default().max_size),
                other => panic!("expected the size limit, got {other:?}"),
            }
            assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");
            assert!(matches!(
                kind_of(kimera::binary::from_slice::<Vec<u8>>(&stream)),
                ErrorKind::LimitExceeded {
                    limit: Limit::Size,
                    ..
                }
            ));

            // With no size limit, the stream ends first: truncated, and nothing allocated for
            // the 2^40 bytes it claimed.
            let unlimited = Binary::new().with_limits(Limits::default().with_max_size(u64::MAX));
            let (result, largest) =
                largest_allocation_of(|| unlimited.decode_from_reader::<_, Vec<u8>>(&stream[..]));
            match kind_of(result) {
                ErrorKind::Truncated { offset, .. } => assert_eq!(offset, stream.len() as u64),
                other => panic!("expected truncation, got {other:?}"),
            }
            assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");
            assert!(matches!(
                kind_of(unlimited.decode::<Vec<u8>>(&stream)),
                ErrorKind::Truncated { .. }
            ));

            // A small `max_size` refuses a body that really is there.
            let bytes = kimera::binary::to_vec(&vec![7u8; 100]).unwrap();
            let small = Binary::new().with_limits(Limits::default().with_max_size(99));
            assert!(matches!(
                kind_of(small.decode::<Vec<u8>>(&bytes)),
                ErrorKind::LimitExceeded {
                    limit: Limit::Size,
                    max: 99
                }
            ));
            assert!(matches!(
                kind_of(small.decode_from_reader::<_, Vec<u8>>(&bytes[..])),
                ErrorKind::LimitExceeded {
                    limit: Limit::Size,
                    max: 99
                }
            ));

            // JSON reads a stream to its end: an endless stream stops at `max_size`.
            let json = Json::new().with_limits(Limits::default().with_max_size(1 << 16));
            let endless = std::io::Read::chain(&b"{\"kimera\":1,"[..], std::io::repeat(b' '));
            let (result, largest) =
                largest_allocation_of(|| json.decode_from_reader::<_, u8>(endless));
            assert!(matches!(
                kind_of(result),
                ErrorKind::LimitExceeded {
                    limit: Limit::Size,
                    max: 65536
                }
            ));
            assert!(largest < ALLOCATION_BOUND, "allocated {largest} bytes");
        },
    );
}

/// Type names readers would refuse are refused when writing instead.
#[test]
fn binary_refuses_to_write_type_names_it_cannot_read() {
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(
        name = "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
    )]
    struct Wrap<T>(T);

    // 1000 bytes of name alone fit; with `<u8>` it is 1004, with `<list<str>>` 1011.
    let bytes = kimera::binary::to_vec(&Wrap(1u8)).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Wrap<u8>>(&bytes).unwrap(),
        Wrap(1)
    );
    let long = Wrap(Wrap(Wrap(vec![String::new()])));
    assert!(<Wrap<Wrap<Wrap<Vec<String>>>>>::type_name().len() > 1024);
    let mut out = vec![1, 2, 3];
    match Binary::new()
        .encode_into(&long, &mut out)
        .unwrap_err()
        .into_kind()
    {
        ErrorKind::Encode { message, .. } => assert!(message.contains("at most 1024"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        out,
        [1, 2, 3],
        "a failed encode leaves the buffer as it was"
    );
    // JSON carries any name.
    let text = kimera::json::to_string(&long).unwrap();
    assert_eq!(
        kimera::json::from_str::<Wrap<Wrap<Wrap<Vec<String>>>>>(&text).unwrap(),
        long
    );
}

/// A `Serialize` impl that panics mid-value leaves the caller's buffer as it was.
#[test]
fn a_panicking_serialize_keeps_the_callers_bytes() {
    struct Bomb;
    impl Serialize for Bomb {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            panic!("boom")
        }
    }
    impl KimeraHandler for Bomb {
        const SCHEMA: &'static kimera::Schema = &kimera::Schema::Unit;
    }

    let mut out = vec![7; 10];
    let value = (vec![1u32; 100], Bomb);
    let result = catch_unwind(AssertUnwindSafe(|| {
        Binary::new().encode_into(&value, &mut out)
    }));
    assert!(result.is_err());
    assert_eq!(out, [7; 10]);
}

/// A `Serialize` impl that fails and then, asked again for the error's field path, panics:
/// the caller's buffer still holds only its own bytes.
#[test]
fn a_failing_then_panicking_serialize_keeps_the_callers_bytes() {
    struct Flaky(Cell<u32>);
    impl Serialize for Flaky {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.set(self.0.get() + 1);
            if self.0.get() > 1 {
                panic!("asked twice");
            }
            let _ = s;
            Err(serde::ser::Error::custom("refused"))
        }
    }
    impl KimeraHandler for Flaky {
        const SCHEMA: &'static kimera::Schema = &kimera::Schema::Unit;
    }

    let mut out = b"keep".to_vec();
    let value = (vec![1u32; 100], Flaky(Cell::new(0)));
    let result = catch_unwind(AssertUnwindSafe(|| {
        Binary::new().encode_into(&value, &mut out)
    }));
    assert!(result.is_err());
    assert_eq!(out, b"keep");
}

/// Encoding from a destructor while a panic unwinds is an ordinary encode.
#[test]
fn binary_encodes_while_a_panic_unwinds() {
    use std::sync::Mutex;
    static ENCODED: Mutex<Option<Vec<u8>>> = Mutex::new(None);
    struct EncodeOnDrop;
    impl Drop for EncodeOnDrop {
        fn drop(&mut self) {
            *ENCODED.lock().unwrap() = Some(kimera::binary::to_vec(&order()).unwrap());
        }
    }
    let unwound = std::thread::spawn(|| {
        let _guard = EncodeOnDrop;
        panic!("unwinding on purpose");
    })
    .join();
    assert!(unwound.is_err());
    let bytes = ENCODED.lock().unwrap().take().expect("the destructor ran");
    assert_eq!(
        kimera::binary::from_slice::<Order>(&bytes).unwrap(),
        order()
    );
}

#[test]
fn hostile_binary_headers_are_named_errors() {
    let good = kimera::binary::to_vec(&7u8).unwrap();
    let fp = u8::FINGERPRINT;
    let header_then = |prefix: &[u8], rest: &[u8]| {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(rest);
        bytes
    };

    // Name length far beyond the input, and beyond the 1024-byte cap.
    let mut long_name = vec![0x4B, 0xE5, 0x11];
    leb128(&mut long_name, 1 << 40);
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(&long_name)),
        ErrorKind::NotAnEnvelope {
            format: "binary",
            ..
        }
    ));
    let mut name_1025 = vec![0x4B, 0xE5, 0x11];
    leb128(&mut name_1025, 1025);
    name_1025.extend_from_slice(&[b'a'; 1025]);
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(&name_1025)),
        ErrorKind::NotAnEnvelope { .. }
    ));
    // A name that is not UTF-8.
    let bad_name = header_then(&[0x4B, 0xE5, 0x11, 2, 0xC3, 0x28], &[1]);
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(&bad_name)),
        ErrorKind::NotAnEnvelope { .. }
    ));
    // A version that does not fit in 32 bits.
    let mut big_version = vec![0x4B, 0xE5, 0x11, 2, b'u', b'8'];
    leb128(&mut big_version, 1 << 33);
    big_version.extend_from_slice(&fp.to_le_bytes());
    big_version.push(1);
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(&big_version)),
        ErrorKind::NotAnEnvelope { .. }
    ));
    // A body length varint that overflows 64 bits.
    let mut overflow = vec![0x4B, 0xE5, 0x11, 2, b'u', b'8', 1];
    overflow.extend_from_slice(&fp.to_le_bytes());
    overflow.extend_from_slice(&[0xFF; 11]);
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(&overflow)),
        ErrorKind::NotAnEnvelope { .. }
    ));
    assert!(matches!(
        kind_of(kimera::binary::from_reader::<_, u8>(&overflow[..])),
        ErrorKind::NotAnEnvelope { .. }
    ));
    // Unknown flag bits.
    let mut flags = good.clone();
    flags[2] = 0x19;
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(&flags)),
        ErrorKind::NotAnEnvelope { .. }
    ));
    // Every prefix of the header through a reader: truncated, never a hang.
    for len in 0..good.len() {
        assert!(matches!(
            kind_of(kimera::binary::from_reader::<_, u8>(&good[..len])),
            ErrorKind::Truncated { .. }
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a realistic value.
// ---------------------------------------------------------------------------------------------

/// Decodes `bytes` with `decode`, turning a panic into a test failure that shows the input.
fn no_panic<'a, T>(what: &str, bytes: &'a [u8], decode: impl FnOnce(&'a [u8]) -> T) -> T {
    match catch_unwind(AssertUnwindSafe(|| decode(bytes))) {
        Ok(result) => result,
        Err(_) => panic!("decoding panicked on {what}: {bytes:02x?}"),
    }
}

/// Where the body starts in a checksummed binary envelope of `Order`.
fn order_body_start() -> usize {
    binary_header(
        &Order::type_name(),
        Order::VERSION,
        Order::FINGERPRINT,
        0,
        true,
    )
    .len()
}

#[test]
fn binary_truncation_at_every_length_is_an_error() {
    let bytes = kimera::binary::to_vec(&order()).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Order>(&bytes).unwrap(),
        order()
    );
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        let result = no_panic("a truncation", cut, kimera::binary::from_slice::<Order>);
        match kind_of(result) {
            ErrorKind::Truncated { offset, .. } => assert_eq!(offset, len as u64),
            other => panic!("cut at {len}: expected truncation, got {other:?}"),
        }
        let result = no_panic("a truncated stream", cut, |cut| {
            kimera::binary::from_reader::<_, Order>(cut)
        });
        assert!(
            matches!(kind_of(result), ErrorKind::Truncated { .. }),
            "stream cut at {len}"
        );
    }
}

#[test]
fn binary_every_single_byte_change_is_rejected() {
    let bytes = kimera::binary::to_vec(&order()).unwrap();
    let body_start = order_body_start();
    for pos in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut mutated = bytes.clone();
            mutated[pos] ^= mask;
            let result = no_panic(
                "a byte change",
                &mutated,
                kimera::binary::from_slice::<Order>,
            );
            let kind = match result {
                Ok(value) => panic!("byte {pos} ^ {mask:#04x} decoded: {value:?}"),
                Err(err) => err.into_kind(),
            };
            // From the body on, only the checksum can tell.
            if pos >= body_start {
                assert!(
                    matches!(kind, ErrorKind::ChecksumMismatch { .. }),
                    "byte {pos} ^ {mask:#04x}: {kind:?}"
                );
            }
            assert!(kimera::from_slice::<Order>(&mutated).is_err());
        }
    }
}

#[test]
fn binary_random_insertions_and_deletions_are_rejected() {
    let bytes = kimera::binary::to_vec(&order()).unwrap();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for case in 0..600 {
        let mut mutated = bytes.clone();
        let count = 1 + rng.below(4);
        let what = if case % 3 == 0 {
            let pos = rng.below(mutated.len() - count + 1);
            mutated.drain(pos..pos + count);
            format!("delete {count} at {pos}")
        } else if case % 3 == 1 {
            let pos = rng.below(mutated.len() + 1);
            let new: Vec<u8> = (0..count).map(|_| rng.byte()).collect();
            mutated.splice(pos..pos, new.iter().copied());
            format!("insert {new:02x?} at {pos}")
        } else {
            // Overwrite with random bytes, at least one of them different.
            let pos = rng.below(mutated.len() - count + 1);
            for b in &mut mutated[pos..pos + count] {
                *b = rng.byte();
            }
            if mutated == bytes {
                continue;
            }
            format!("overwrite {count} at {pos}")
        };
        let result = no_panic(&what, &mutated, kimera::binary::from_slice::<Order>);
        assert!(result.is_err(), "{what}: decoded {result:?}");
        let result = no_panic(&what, &mutated, |m| {
            kimera::binary::from_reader::<_, Order>(m)
        });
        assert!(result.is_err(), "{what} (reader): decoded {result:?}");
    }
}

#[test]
fn binary_without_checksum_survives_random_mutations() {
    // Without the CRC a corrupted body may decode to another value; it must still never panic,
    // and whatever it decodes must be a value the type can hold.
    let mut bytes = Vec::new();
    Binary::new()
        .without_checksum()
        .encode_into(&order(), &mut bytes)
        .unwrap();
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut decoded = 0;
    for _ in 0..2000 {
        let mut mutated = bytes.clone();
        for _ in 0..1 + rng.below(3) {
            let pos = rng.below(mutated.len());
            match rng.below(3) {
                0 => mutated[pos] = rng.byte(),
                1 => mutated.insert(pos, rng.byte()),
                _ => {
                    mutated.remove(pos);
                }
            }
        }
        let unchecked = |bytes| Binary::new().without_checksum().decode::<Order>(bytes);
        if let Ok(value) = no_panic("a mutation", &mutated, unchecked) {
            decoded += 1;
            // It re-encodes and reads back as itself (NaN aside, compared through bits).
            let again = kimera::binary::to_vec(&value).unwrap();
            let back = kimera::binary::from_slice::<Order>(&again).unwrap();
            assert_eq!(
                kimera::binary::to_vec(&back).unwrap(),
                again,
                "{mutated:02x?}"
            );
        }
    }
    // Sanity: the mutations reached the body decoder (without a checksum, some corruptions
    // decode), and most were still refused.
    eprintln!("{decoded} of 2000 mutations decoded without a checksum");
    assert!(decoded > 0 && decoded < 1000, "{decoded}");
}

#[test]
fn json_truncation_at_every_length_is_an_error() {
    let text = kimera::json::to_vec(&order()).unwrap();
    assert_eq!(kimera::json::from_slice::<Order>(&text).unwrap(), order());
    for len in 0..text.len() {
        let cut = &text[..len];
        let result = no_panic("a truncation", cut, kimera::json::from_slice::<Order>);
        match kind_of(result) {
            ErrorKind::Truncated { offset, .. } => assert_eq!(offset, len as u64),
            other => panic!(
                "cut at {len} ({:?}): expected truncation, got {other:?}",
                String::from_utf8_lossy(cut)
            ),
        }
        assert!(kimera::json::from_reader::<_, Order>(cut).is_err());
    }
}

#[test]
fn json_random_mutations_never_panic() {
    let text = kimera::json::to_vec(&order()).unwrap();
    let pretty = kimera::json::to_string_pretty(&order())
        .unwrap()
        .into_bytes();
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let interesting = b"{}[]\":,0123456789.-+eEtrufalsn\\ \n\x00\xff\xc3";
    for case in 0..3000 {
        let mut mutated = if case % 2 == 0 {
            text.clone()
        } else {
            pretty.clone()
        };
        for _ in 0..1 + rng.below(2) {
            let pos = rng.below(mutated.len());
            let byte = if rng.below(2) == 0 {
                interesting[rng.below(interesting.len())]
            } else {
                rng.byte()
            };
            match rng.below(3) {
                0 => mutated[pos] = byte,
                1 => mutated.insert(pos, byte),
                _ => {
                    mutated.remove(pos);
                }
            }
        }
        let result = no_panic("a mutation", &mutated, kimera::json::from_slice::<Order>);
        if let Ok(value) = result {
            // Accepted only if it still is JSON, and then the value is consistent with itself.
            assert!(
                serde_json::from_slice::<serde_json::Value>(&mutated).is_ok(),
                "accepted invalid JSON: {}",
                String::from_utf8_lossy(&mutated)
            );
            let again = kimera::json::to_vec(&value).unwrap();
            assert_eq!(kimera::json::from_slice::<Order>(&again).unwrap(), value);
        }
        let _ = no_panic("a mutation (header)", &mutated, |m| Json::new().header(m));
        let _ = no_panic("a mutation (auto)", &mutated, kimera::from_slice::<Order>);
    }
}

// ---------------------------------------------------------------------------------------------
// Envelope errors.
// ---------------------------------------------------------------------------------------------

#[test]
fn trailing_bytes_are_counted() {
    let mut bytes = kimera::binary::to_vec(&order()).unwrap();
    bytes.extend_from_slice(&[0, 1, 2]);
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<Order>(&bytes)),
        ErrorKind::TrailingBytes { count: 3 }
    ));
    assert!(matches!(
        kind_of(kimera::from_slice::<Order>(&bytes)),
        ErrorKind::TrailingBytes { count: 3 }
    ));
    let mut plain = Vec::new();
    Binary::new()
        .without_checksum()
        .encode_into(&order(), &mut plain)
        .unwrap();
    plain.push(0);
    assert!(matches!(
        kind_of(Binary::new().without_checksum().decode::<Order>(&plain)),
        ErrorKind::TrailingBytes { count: 1 }
    ));

    let mut text = kimera::json::to_vec(&order()).unwrap();
    text.extend_from_slice(b"xyz");
    assert!(matches!(
        kind_of(kimera::json::from_slice::<Order>(&text)),
        ErrorKind::TrailingBytes { count: 3 }
    ));
    assert!(matches!(
        kind_of(kimera::from_slice::<Order>(&text)),
        ErrorKind::TrailingBytes { count: 3 }
    ));
    let mut text = kimera::json::to_string_pretty(&order()).unwrap();
    text.push_str("\n{}");
    assert!(matches!(
        kind_of(kimera::json::from_str::<Order>(&text)),
        ErrorKind::TrailingBytes { count: 2 }
    ));
    // Trailing whitespace is not a second value.
    let mut text = kimera::json::to_vec(&order()).unwrap();
    text.extend_from_slice(b" \n");
    assert_eq!(kimera::json::from_slice::<Order>(&text).unwrap(), order());
}

#[test]
fn empty_and_foreign_input_are_named_errors() {
    for empty in [&b""[..], b"   \n"] {
        assert!(matches!(
            kind_of(kimera::json::from_slice::<u8>(empty)),
            ErrorKind::Truncated { .. }
        ));
        assert!(matches!(
            kind_of(kimera::from_slice::<u8>(empty)),
            ErrorKind::NotAnEnvelope { .. }
        ));
        assert!(kimera::json::from_reader::<_, u8>(empty).is_err());
    }
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<u8>(b"")),
        ErrorKind::Truncated { offset: 0, .. }
    ));
    assert!(matches!(
        kind_of(kimera::binary::from_reader::<_, u8>(&b""[..])),
        ErrorKind::Truncated { .. }
    ));

    for foreign in [
        &b"hello, world"[..],
        b"\x00\x00\x00\x00",
        b"[1,2,3]",
        b"\"kimera\"",
        b"\xff\xfe{",
    ] {
        assert!(
            matches!(
                kind_of(kimera::from_slice::<u8>(foreign)),
                ErrorKind::NotAnEnvelope {
                    format: "kimera",
                    ..
                }
            ),
            "{foreign:?}"
        );
        assert!(matches!(
            kind_of(kimera::json::from_slice::<u8>(foreign)),
            ErrorKind::NotAnEnvelope { format: "json", .. }
        ));
        assert!(matches!(
            kind_of(kimera::binary::from_slice::<u8>(foreign)),
            ErrorKind::NotAnEnvelope {
                format: "binary",
                ..
            }
        ));
    }
    // JSON objects that are not envelopes.
    for object in [
        &br#"{}"#[..],
        br#"{"a":1}"#,
        br#"{"kimera":"1","type":"u8","version":1,"value":7}"#,
        br#"{"kimera":1,"type":"u8","version":1}"#,
        br#"{"kimera":1,"type":"u8","value":7}"#,
        br#"{"kimera":1,"type":"u8","version":1,"value":7,"value":7}"#,
        br#"{"kimera":1,"kimera":1,"type":"u8","version":1,"value":7}"#,
        br#"{"kimera":1,"type":"u8","version":-1,"value":7}"#,
        br#"{"kimera":1,"type":"u8","version":4294967296,"value":7}"#,
        br#"{"kimera":1,"type":7,"version":1,"value":7}"#,
    ] {
        assert!(
            matches!(
                kind_of(kimera::json::from_slice::<u8>(object)),
                ErrorKind::NotAnEnvelope { format: "json", .. }
            ),
            "{}",
            String::from_utf8_lossy(object)
        );
    }
    // Wrong magic.
    let mut bytes = kimera::binary::to_vec(&7u8).unwrap();
    bytes[1] = 0xE6;
    match kind_of(kimera::binary::from_slice::<u8>(&bytes)) {
        ErrorKind::NotAnEnvelope { reason, .. } => assert!(reason.contains("magic"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsupported_wire_versions_are_named() {
    let mut bytes = kimera::binary::to_vec(&order()).unwrap();
    bytes[2] = 0x21; // wire version 2, checksum flag
    let err = kimera::binary::from_slice::<Order>(&bytes).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::UnsupportedWireVersion {
            format: "binary",
            found: 2,
            supported: 1
        }
    ));
    assert_eq!(
        err.to_string(),
        "unsupported binary wire version 2: this reader knows version 1"
    );
    assert!(matches!(
        kind_of(kimera::from_slice::<Order>(&bytes)),
        ErrorKind::UnsupportedWireVersion { found: 2, .. }
    ));
    assert!(matches!(
        kind_of(kimera::binary::from_reader::<_, Order>(&bytes[..])),
        ErrorKind::UnsupportedWireVersion { found: 2, .. }
    ));

    let text = kimera::json::to_string(&order()).unwrap();
    let text = text.replacen(r#""kimera":1"#, r#""kimera":2"#, 1);
    let err = kimera::json::from_str::<Order>(&text).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::UnsupportedWireVersion {
            format: "json",
            found: 2,
            supported: 1
        }
    ));
    // Also when the wire version comes last, even after a type name this reader does not
    // expect: a newer wire version may name types differently.
    let text = r#"{"type":"u8","version":1,"value":7,"kimera":2}"#;
    assert!(matches!(
        kind_of(kimera::json::from_str::<u8>(text)),
        ErrorKind::UnsupportedWireVersion { found: 2, .. }
    ));
    let text = r#"{"type":"u8/v2","version":1,"value":7,"kimera":2}"#;
    assert!(matches!(
        kind_of(kimera::json::from_str::<u8>(text)),
        ErrorKind::UnsupportedWireVersion { found: 2, .. }
    ));
    // With wire version 1 the same name is a type mismatch, wherever the keys are.
    let text = r#"{"type":"u8/v2","version":1,"value":7,"kimera":1}"#;
    assert!(matches!(
        kind_of(kimera::json::from_str::<u8>(text)),
        ErrorKind::TypeMismatch { .. }
    ));
}

#[test]
fn json_max_size_bounds_the_whole_envelope() {
    let text = kimera::json::to_vec(&order()).unwrap();
    let tight = Json::new().with_limits(Limits::default().with_max_size(text.len() as u64 - 1));
    for result in [
        tight.decode::<Order>(&text),
        tight.decode_from_reader::<_, Order>(&text[..]),
    ] {
        assert!(matches!(
            kind_of(result),
            ErrorKind::LimitExceeded {
                limit: Limit::Size,
                ..
            }
        ));
    }
    let exact = Json::new().with_limits(Limits::default().with_max_size(text.len() as u64));
    assert_eq!(exact.decode::<Order>(&text).unwrap(), order());
    assert_eq!(
        exact.decode_from_reader::<_, Order>(&text[..]).unwrap(),
        order()
    );
}

mod v3 {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "doc.Note", version = 3)]
    pub struct Note {
        pub text: String,
    }
}

mod v2 {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "doc.Note", version = 2)]
    pub struct Note {
        pub text: String,
    }
}

#[test]
fn newer_and_older_type_versions_are_named() {
    let note = v3::Note { text: "hi".into() };
    let bytes = kimera::binary::to_vec(&note).unwrap();
    let text = kimera::json::to_vec(&note).unwrap();
    for err in [
        kimera::binary::from_slice::<v2::Note>(&bytes).unwrap_err(),
        kimera::json::from_slice::<v2::Note>(&text).unwrap_err(),
        kimera::from_slice::<v2::Note>(&bytes).unwrap_err(),
        kimera::from_slice::<v2::Note>(&text).unwrap_err(),
    ] {
        assert!(
            matches!(
                err.kind(),
                ErrorKind::NewerVersion { type_name, found: 3, known: 2 } if type_name == "doc.Note"
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "`doc.Note` version 3 is newer than version 2, the newest this reader knows"
        );
    }
    let old = v2::Note { text: "hi".into() };
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<v3::Note>(
            &kimera::binary::to_vec(&old).unwrap()
        )),
        ErrorKind::NoMigration {
            found: 2,
            current: 3,
            ..
        }
    ));
    assert!(matches!(
        kind_of(kimera::json::from_slice::<v3::Note>(
            &kimera::json::to_vec(&old).unwrap()
        )),
        ErrorKind::NoMigration {
            found: 2,
            current: 3,
            ..
        }
    ));
}

mod writer {
    use super::*;

    // Another program's type of the same name and version: kept out of this one's registry.
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "T", register = false)]
    pub struct A {
        pub x: u32,
    }
}

mod reader {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "T")]
    pub struct B {
        pub x: u64,
    }
}

#[test]
fn fingerprint_mismatch_is_named() {
    use reader::B;
    use writer::A;
    assert_ne!(A::FINGERPRINT, B::FINGERPRINT);
    let bytes = kimera::binary::to_vec(&A { x: 5 }).unwrap();
    for err in [
        kimera::binary::from_slice::<B>(&bytes).unwrap_err(),
        kimera::binary::from_reader::<_, B>(&bytes[..]).unwrap_err(),
        kimera::from_slice::<B>(&bytes).unwrap_err(),
    ] {
        match err.kind() {
            ErrorKind::FingerprintMismatch {
                type_name,
                version,
                expected,
                found,
                holds,
            } => {
                assert!(holds.is_empty(), "{holds:?}");
                assert_eq!(type_name, "T");
                assert_eq!(*version, 1);
                assert_eq!(*expected, B::FINGERPRINT);
                assert_eq!(*found, A::FINGERPRINT);
            }
            other => panic!("{other:?}"),
        }
        assert!(err
            .to_string()
            .contains(&format!("{:016x}", A::FINGERPRINT)));
    }
}

#[test]
fn checksum_mismatch_is_named() {
    let bytes = kimera::binary::to_vec(&order()).unwrap();
    let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
    assert_eq!(stored, crc32(&bytes[..bytes.len() - 4]));
    let mut corrupted = bytes.clone();
    let pos = order_body_start() + 10;
    corrupted[pos] ^= 0x10;
    match kind_of(kimera::binary::from_slice::<Order>(&corrupted)) {
        ErrorKind::ChecksumMismatch {
            stored: s,
            computed,
        } => {
            assert_eq!(s, stored);
            assert_eq!(computed, crc32(&corrupted[..corrupted.len() - 4]));
        }
        other => panic!("{other:?}"),
    }
    // A corrupted checksum itself.
    let mut corrupted = bytes.clone();
    *corrupted.last_mut().unwrap() ^= 0x01;
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<Order>(&corrupted)),
        ErrorKind::ChecksumMismatch { .. }
    ));
}

/// Clearing the checksum flag must not switch the check off: a checksumming reader refuses
/// envelopes without one, from a slice, from a stream, and through auto-detection.
#[test]
fn a_cleared_checksum_flag_is_refused() {
    let mut bytes = kimera::binary::to_vec(&order()).unwrap();
    bytes[2] &= !0x01;
    let missing = |kind: ErrorKind| matches!(kind, ErrorKind::ChecksumMissing { format: "binary" });
    assert!(missing(kind_of(kimera::binary::from_slice::<Order>(
        &bytes
    ))));
    assert!(missing(kind_of(kimera::from_slice::<Order>(&bytes))));
    // The reader would otherwise stop before the CRC and leave it in the stream. It refuses
    // from the first three bytes, before reading the body.
    let mut stream = &bytes[..];
    assert!(missing(kind_of(kimera::binary::from_reader::<_, Order>(
        &mut stream
    ))));
    assert!(missing(kind_of(kimera::binary::from_reader::<_, Order>(
        &bytes[..3]
    ))));

    // A reader configured without the checksum reads both kinds.
    let unchecked = Binary::new().without_checksum();
    let mut plain = Vec::new();
    unchecked.encode_into(&order(), &mut plain).unwrap();
    assert_eq!(unchecked.decode::<Order>(&plain).unwrap(), order());
    let checked = kimera::binary::to_vec(&order()).unwrap();
    assert_eq!(unchecked.decode::<Order>(&checked).unwrap(), order());
    assert!(missing(kind_of(kimera::binary::from_slice::<Order>(
        &plain
    ))));
}

#[test]
fn type_mismatch_names_both_types() {
    let bytes = kimera::binary::to_vec(&7u64).unwrap();
    let text = kimera::json::to_vec(&7u64).unwrap();
    for err in [
        kimera::binary::from_slice::<String>(&bytes).unwrap_err(),
        kimera::json::from_slice::<String>(&text).unwrap_err(),
        kimera::from_slice::<String>(&bytes).unwrap_err(),
    ] {
        assert!(
            matches!(err.kind(), ErrorKind::TypeMismatch { expected, found } if expected == "str" && found == "u64")
        );
        assert_eq!(
            err.to_string(),
            "type mismatch: expected `str`, found `u64`"
        );
    }
    let bytes = kimera::binary::to_vec(&order()).unwrap();
    let err = kimera::binary::from_slice::<Vec<Line>>(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: expected `list<Line>`, found `shop.Order`"
    );
    let text = kimera::json::to_vec(&order()).unwrap();
    let err = kimera::json::from_slice::<Line>(&text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: expected `Line`, found `shop.Order`"
    );
}

// ---------------------------------------------------------------------------------------------
// Values a format cannot hold.
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Sensor {
    name: String,
    readings: Vec<f64>,
    peak: f32,
    last: Option<Option<u8>>,
}

#[test]
fn json_refuses_non_finite_floats_with_their_path() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -f64::NAN] {
        let sensor = Sensor {
            name: "s".into(),
            readings: vec![1.0, 2.0, bad, 4.0],
            peak: 1.0,
            last: None,
        };
        let mut out = b"keep".to_vec();
        let err = Json::new().encode_into(&sensor, &mut out).unwrap_err();
        assert_eq!(out, b"keep", "a failed encode leaves the output as it was");
        match err.kind() {
            ErrorKind::Encode {
                type_name,
                path,
                message,
            } => {
                assert_eq!(type_name, "Sensor");
                assert_eq!(path, "readings[2]");
                assert!(message.contains("NaN"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err
            .to_string()
            .starts_with("cannot encode `Sensor` at `readings[2]`"));
        // And the binary backend carries it.
        let back: Sensor =
            kimera::binary::from_slice(&kimera::binary::to_vec(&sensor).unwrap()).unwrap();
        assert_eq!(back.readings[2].to_bits(), bad.to_bits());
    }
    let sensor = Sensor {
        name: "s".into(),
        readings: vec![],
        peak: f32::NAN,
        last: None,
    };
    assert!(matches!(
        kind_of(kimera::json::to_vec(&sensor)),
        ErrorKind::Encode { path, .. } if path == "peak"
    ));
    assert!(matches!(
        kind_of(kimera::json::to_vec(&f64::INFINITY)),
        ErrorKind::Encode { .. }
    ));
}

#[test]
fn binary_carries_float_bits_exactly() {
    let doubles = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7FF0_0000_0000_0001), // signalling NaN
        f64::from_bits(0xFFF8_DEAD_BEEF_0001), // NaN with a payload
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        f64::from_bits(1), // smallest subnormal
        f64::MAX,
        f64::MIN,
    ];
    let back: Vec<f64> =
        kimera::binary::from_slice(&kimera::binary::to_vec(&doubles.to_vec()).unwrap()).unwrap();
    assert_eq!(
        back.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
        doubles.iter().map(|f| f.to_bits()).collect::<Vec<_>>()
    );
    let singles = [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7F80_0001),
        -0.0f32,
        f32::INFINITY,
        f32::from_bits(1),
    ];
    let back: [f32; 6] =
        kimera::binary::from_slice(&kimera::binary::to_vec(&singles).unwrap()).unwrap();
    assert_eq!(back.map(f32::to_bits), singles.map(f32::to_bits));
    // -0.0 keeps its sign in JSON too.
    let back: f64 = kimera::json::from_slice(&kimera::json::to_vec(&-0.0f64).unwrap()).unwrap();
    assert_eq!(back.to_bits(), (-0.0f64).to_bits());
}

#[test]
fn json_refuses_some_none_and_binary_carries_it() {
    let err = kimera::json::to_vec(&Some(None::<u8>)).unwrap_err();
    match err.kind() {
        ErrorKind::Encode { message, .. } => assert!(message.contains("None"), "{message}"),
        other => panic!("{other:?}"),
    }
    let sensor = Sensor {
        name: "s".into(),
        readings: vec![],
        peak: 0.0,
        last: Some(None),
    };
    assert!(matches!(
        kind_of(kimera::json::to_vec(&sensor)),
        ErrorKind::Encode { path, .. } if path == "last"
    ));
    assert!(matches!(
        kind_of(kimera::json::to_vec(&vec![Some(())])),
        ErrorKind::Encode { path, .. } if path == "[0]"
    ));
    for value in [None, Some(None), Some(Some(0u8)), Some(Some(255))] {
        let back: Option<Option<u8>> =
            kimera::binary::from_slice(&kimera::binary::to_vec(&value).unwrap()).unwrap();
        assert_eq!(back, value);
    }
    let back: Sensor =
        kimera::binary::from_slice(&kimera::binary::to_vec(&sensor).unwrap()).unwrap();
    assert_eq!(back, sensor);
    // What JSON can hold still goes through.
    for value in [None, Some(Some(7u8))] {
        let back: Option<Option<u8>> =
            kimera::json::from_slice(&kimera::json::to_vec(&value).unwrap()).unwrap();
        assert_eq!(back, value);
    }
}

#[test]
fn json_refuses_map_keys_it_cannot_hold() {
    let map: BTreeMap<(u8, u8), u8> = BTreeMap::from([((1, 2), 3)]);
    let mut out = Vec::new();
    let err = Json::new().encode_into(&map, &mut out).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Encode { .. }), "{err:?}");
    assert!(out.is_empty());
    let nested: BTreeMap<String, BTreeMap<Vec<u8>, u8>> =
        BTreeMap::from([("k".to_string(), BTreeMap::from([(vec![1], 1)]))]);
    assert!(matches!(
        kind_of(kimera::json::to_vec(&nested)),
        ErrorKind::Encode { .. }
    ));
    let back: BTreeMap<(u8, u8), u8> =
        kimera::binary::from_slice(&kimera::binary::to_vec(&map).unwrap()).unwrap();
    assert_eq!(back, map);
}

// ---------------------------------------------------------------------------------------------
// Data errors carry the field path.
// ---------------------------------------------------------------------------------------------

#[test]
fn json_data_errors_carry_the_field_path() {
    let good = kimera::json::to_string(&order()).unwrap();
    let bad = good.replacen(r#""qty":300"#, r#""qty":"three hundred""#, 1);
    assert_ne!(bad, good);
    let err = kimera::json::from_str::<Order>(&bad).unwrap_err();
    match err.kind() {
        ErrorKind::Data {
            type_name,
            version,
            path,
            message,
        } => {
            assert_eq!(type_name, "shop.Order");
            assert_eq!(*version, 3);
            assert_eq!(path, "lines[1].qty");
            assert!(message.contains("invalid type"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("`lines[1].qty`"));
    // Deeper: inside an enum variant, and a bad date.
    let bad = good.replacen(r#""by":"card""#, r#""by":5"#, 1);
    assert!(matches!(
        kind_of(kimera::json::from_str::<Order>(&bad)),
        ErrorKind::Data { path, .. } if path == "status.Paid.by"
    ));
    let bad = good.replacen("2024-02-29", "2023-02-29", 1);
    assert!(matches!(
        kind_of(kimera::json::from_str::<Order>(&bad)),
        ErrorKind::Data { path, .. } if path == "placed"
    ));
}

/// `text`, a JSON envelope as Kimera writes it, with its `value` moved before the header keys
/// (as another writer may order them).
fn value_first(text: &str) -> String {
    let start = text.find(r#","value":"#).expect("a Kimera JSON envelope");
    let header = &text[1..start];
    let value = &text[start + 1..text.len() - 1];
    let moved = format!("{{{value},{header}}}");
    assert!(serde_json::from_str::<serde_json::Value>(&moved).is_ok());
    moved
}

#[test]
fn json_body_before_the_header_fails_with_named_errors() {
    isolated(
        "json_body_before_the_header_fails_with_named_errors",
        Duration::from_secs(60),
        || {
            // Valid bodies in that order decode.
            let good = kimera::json::to_string(&order()).unwrap();
            assert_eq!(
                kimera::json::from_str::<Order>(&value_first(&good)).unwrap(),
                order()
            );
            // The smallest invalid one.
            let minimal = r#"{"value":"x","kimera":1,"type":"u8","version":1}"#;
            let result = no_panic("a body before the header", minimal.as_bytes(), |m| {
                kimera::json::from_slice::<u8>(m)
            });
            assert!(matches!(kind_of(result), ErrorKind::Data { .. }));
            // A wrong type deep inside: the path is the same as in Kimera's key order.
            let bad = value_first(&good.replacen(r#""qty":300"#, r#""qty":"three hundred""#, 1));
            let result = no_panic("a body before the header", bad.as_bytes(), |m| {
                kimera::json::from_slice::<Order>(m)
            });
            assert!(matches!(
                kind_of(result),
                ErrorKind::Data { path, .. } if path == "lines[1].qty"
            ));
            // The depth limit, configured and default, a million levels deep.
            let json = Json::new().with_limits(Limits::default().with_max_depth(8));
            assert_eq!(
                json.decode::<Tree>(&tree_json(5, true)).unwrap(),
                Tree::nested(5)
            );
            assert!(matches!(
                kind_of(json.decode::<Tree>(&tree_json(20, true))),
                ErrorKind::LimitExceeded {
                    limit: Limit::Depth,
                    max: 8
                }
            ));
            let deep = tree_json(1_000_000, true);
            for result in [
                kimera::json::from_slice::<Tree>(&deep),
                kimera::from_slice::<Tree>(&deep),
            ] {
                assert!(matches!(
                    kind_of(result),
                    ErrorKind::LimitExceeded {
                        limit: Limit::Depth,
                        ..
                    }
                ));
            }
        },
    );
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Flags {
    lines: Vec<Flag>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Flag {
    name: String,
    on: bool,
}

#[test]
fn binary_data_errors_carry_the_field_path() {
    // The same layout with a u8 where `on` is a bool, so that a 2 can be written there.
    #[derive(Serialize)]
    struct RawFlags {
        lines: Vec<(String, u8)>,
    }
    let raw = RawFlags {
        lines: vec![("a".into(), 1), ("b".into(), 2)],
    };
    let bytes = envelope_of::<Flags>(&bincode_body(&raw), true);
    let err = kimera::binary::from_slice::<Flags>(&bytes).unwrap_err();
    match err.kind() {
        ErrorKind::Data {
            type_name,
            path,
            message,
            ..
        } => {
            assert_eq!(type_name, "Flags");
            // bincode reads structs as sequences; the schema turns positions back into names.
            assert_eq!(path, "lines[1].on");
            assert!(message.contains("2"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Invalid UTF-8 in a string field.
    let raw = RawFlags {
        lines: vec![("a".into(), 1)],
    };
    let mut body = bincode_body(&raw);
    let a = body.iter().position(|&b| b == b'a').unwrap();
    body[a] = 0xFF;
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<Flags>(&envelope_of::<Flags>(&body, true))),
        ErrorKind::Data { path, .. } if path == "lines[0].name"
    ));
    // A body with bytes after the value.
    let mut body = bincode_body(&Flags { lines: vec![] });
    body.push(0);
    match kind_of(kimera::binary::from_slice::<Flags>(&envelope_of::<Flags>(
        &body, true,
    ))) {
        ErrorKind::Data { message, .. } => assert!(message.contains("after the value")),
        other => panic!("{other:?}"),
    }
    // An unknown enum variant.
    let body = vec![7u8];
    assert!(matches!(
        kind_of(kimera::binary::from_slice::<Tree>(&envelope_of::<Tree>(
            &body, true
        ))),
        ErrorKind::Data { .. }
    ));
}

#[test]
fn binary_data_errors_name_the_fields() {
    fn path_of<T: std::fmt::Debug>(result: kimera::Result<T>) -> String {
        match kind_of(result) {
            ErrorKind::Data { path, .. } => path,
            other => panic!("expected a data error, got {other:?}"),
        }
    }
    // The order made invalid at the same place as in the JSON test: a date that does not exist.
    let mut body = bincode_body(&order());
    let date = body.windows(10).position(|w| w == b"2024-02-29").unwrap();
    body[date + 3] = b'3';
    let bytes = envelope_of::<Order>(&body, true);
    let placed = path_of(kimera::binary::from_slice::<Order>(&bytes));
    assert_eq!(placed, "placed");
}

/// A data error quotes what it found, but never more than a few dozen bytes of it: a 1 MB
/// unknown variant or map key gives a message of a few hundred bytes.
#[test]
fn errors_stay_small_whatever_the_input_quotes() {
    #[derive(Serialize, Deserialize, Kimera, Debug)]
    #[kimera(name = "test.Small", register = false)]
    enum Kind {
        One,
    }
    let huge = "x".repeat(1 << 20);
    let text = format!(r#"{{"kimera":1,"type":"test.Small","version":1,"value":"{huge}"}}"#);
    let err = kimera::json::from_str::<Kind>(&text)
        .unwrap_err()
        .to_string();
    assert!(err.len() < 300, "{} bytes", err.len());
    assert!(err.contains("unknown variant `xxxx"), "{err}");
    let text =
        format!(r#"{{"kimera":1,"type":"map<str,u8>","version":1,"value":{{"{huge}":-1}}}}"#);
    let err = kimera::json::from_str::<BTreeMap<String, u8>>(&text).unwrap_err();
    assert!(
        err.to_string().len() < 400,
        "{} bytes",
        err.to_string().len()
    );
    // In the envelope's header too: an unknown key of 1 MB.
    let text = format!(r#"{{"kimera":1,"{huge}":1,"type":"u8","version":1,"value":1}}"#);
    let err = kimera::json::from_str::<u8>(&text).unwrap_err().to_string();
    assert!(err.len() < 400, "{} bytes", err.len());
    assert!(
        err.starts_with("not a Kimera json envelope: unknown field `xxxx"),
        "{err}"
    );
}

/// A type name of 100 MB, the type of an envelope a peer sends: the type-mismatch error keeps
/// its start and says how long it was, through the JSON reader and the detecting one.
#[test]
fn a_huge_type_name_gives_a_small_error() {
    let name = "y".repeat(100 << 20);
    let text = format!(r#"{{"kimera":1,"type":"{name}","version":1,"value":1}}"#);
    let expected = format!("found `{}… ({} bytes)`", "y".repeat(64), 100 << 20);
    for err in [
        kimera::json::from_str::<u8>(&text).unwrap_err(),
        kimera::from_slice::<u8>(text.as_bytes()).unwrap_err(),
    ] {
        let message = err.to_string();
        assert!(
            matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
            "{}",
            &message[..200]
        );
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.ends_with(&expected), "{message}");
        assert!(format!("{err:?}").len() < 400);
    }
}

// ---------------------------------------------------------------------------------------------
// The unguarded decoder: types whose schema bounds their decoding (`DECODE_BOUND`) are read by
// bincode's own decoder without the guard. It must accept and refuse exactly what the guarded
// one does.
// ---------------------------------------------------------------------------------------------

/// `T` with a hand-written handler that claims no bound: decoded through the guard, on the
/// same envelopes (same name, version and fingerprint).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(transparent)]
struct Guarded<T>(T);

impl<T: KimeraHandler> KimeraHandler for Guarded<T> {
    const VERSION: u32 = T::VERSION;
    const SCHEMA: &'static kimera::Schema = T::SCHEMA;
    const REFERENCE: &'static kimera::Schema = T::REFERENCE;
    const FINGERPRINT: u64 = T::FINGERPRINT;
    const DECODE_BOUND: Option<kimera::schema::DecodeBound> = None;
}

#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
struct Point {
    x: f32,
    y: f32,
    z: f32,
}

#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
enum Sample {
    Missing,
    Reading(f64),
    Span {
        from: Point,
        to: Point,
        weight: Option<u16>,
    },
    Tuple(i8, u64),
}

#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
struct Series {
    id: u64,
    points: Vec<Point>,
    samples: Vec<Sample>,
    by_hour: BTreeMap<u8, Vec<i32>>,
    flags: [bool; 3],
    #[serde(with = "kimera::compact")]
    day: NaiveDate,
}

fn series() -> Series {
    Series {
        id: 9_000_000_001,
        points: (0..5)
            .map(|i| Point {
                x: i as f32,
                y: -1.5,
                z: 1e9,
            })
            .collect(),
        samples: vec![
            Sample::Missing,
            Sample::Reading(-0.25),
            Sample::Span {
                from: Point {
                    x: 0.0,
                    y: 1.0,
                    z: 2.0,
                },
                to: Point {
                    x: 3.0,
                    y: 4.0,
                    z: 5.0,
                },
                weight: Some(700),
            },
            Sample::Tuple(-3, u64::MAX),
        ],
        by_hour: [(1, vec![1, -1]), (23, vec![])].into(),
        flags: [true, false, true],
        day: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
    }
}

#[test]
fn bounded_types_are_decoded_without_the_guard() {
    assert!(Series::DECODE_BOUND.is_some());
    assert!(<Vec<Series>>::DECODE_BOUND.is_some());
    // What keeps the guard: recursion, zero-sized elements, strings.
    assert_eq!(Tree::DECODE_BOUND, None);
    assert_eq!(<Vec<()>>::DECODE_BOUND, None);
    assert_eq!(Order::DECODE_BOUND, None);
    // The bound is at least the depth the guard counts: a value of the type decodes through
    // the guard with exactly that depth allowed.
    let depth = Series::DECODE_BOUND.unwrap().depth;
    let bytes = kimera::binary::to_vec(&series()).unwrap();
    let tight = Binary::new().with_limits(Limits::default().with_max_depth(depth));
    assert_eq!(tight.decode::<Guarded<Series>>(&bytes).unwrap().0, series());
}

#[test]
fn the_unguarded_decoder_accepts_and_refuses_what_the_guard_does() {
    let unchecked = Binary::new().without_checksum();
    let mut bytes = Vec::new();
    unchecked.encode_into(&series(), &mut bytes).unwrap();
    let body_start = bytes.len() - bincode_body(&series()).len();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut decoded, mut refused) = (0, 0);
    for _ in 0..5000 {
        let mut mutated = bytes.clone();
        // Inside the body, where the two decoders differ (the header is checked before).
        for _ in 0..1 + rng.below(3) {
            let pos = body_start + rng.below(mutated.len() - body_start);
            match rng.below(3) {
                0 => mutated[pos] = rng.byte(),
                1 => mutated.insert(pos, rng.byte()),
                _ => {
                    mutated.remove(pos);
                }
            }
        }
        let fast = no_panic("a mutation", &mutated, |b| unchecked.decode::<Series>(b));
        let slow = no_panic("a mutation", &mutated, |b| {
            unchecked.decode::<Guarded<Series>>(b)
        });
        match (fast, slow) {
            (Ok(fast), Ok(slow)) => {
                // NaN aside: compared as bytes.
                assert_eq!(bincode_body(&fast), bincode_body(&slow.0), "{mutated:02x?}");
                decoded += 1;
            }
            (Err(fast), Err(slow)) => {
                assert_eq!(fast.to_string(), slow.to_string(), "{mutated:02x?}");
                refused += 1;
            }
            (fast, slow) => panic!("{mutated:02x?}: unguarded {fast:?}, guarded {slow:?}"),
        }
    }
    assert!(
        decoded > 0 && refused > 0,
        "{decoded} decoded, {refused} refused"
    );
}

#[test]
fn forged_lengths_are_refused_without_the_guard() {
    isolated(
        "forged_lengths_are_refused_without_the_guard",
        Duration::from_secs(60),
        || {
            let claim = huge_varint(1 << 60);
            let start = Instant::now();
            fn refused<T>(body: &[u8])
            where
                T: KimeraHandler + serde::de::DeserializeOwned + std::fmt::Debug,
            {
                assert!(T::DECODE_BOUND.is_some(), "{}", T::type_name());
                // Named by the guarded decoder, which reads the body again for the error.
                let kind = refused_without_allocating::<T>(body);
                assert!(
                    matches!(
                        kind,
                        ErrorKind::Data { .. } | ErrorKind::LimitExceeded { .. }
                    ),
                    "{kind:?}"
                );
            }
            refused::<Vec<Point>>(&claim);
            refused::<Vec<u64>>(&claim);
            refused::<BTreeMap<u32, u8>>(&claim);
            refused::<std::collections::HashMap<u8, ()>>(&claim);
            // An outer sequence of inner ones, each claiming 2^60.
            let mut nested = bincode_body(&3u64);
            for _ in 0..3 {
                nested.extend_from_slice(&claim);
            }
            refused::<Vec<Vec<Point>>>(&nested);
            // Deep inside a record: the samples of a series.
            let mut body = bincode_body(&(7u64, Vec::<Point>::new()));
            body.extend_from_slice(&claim);
            refused::<Series>(&body);
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "forged claims took {:?}",
                start.elapsed()
            );
        },
    );
}

/// Types whose serde impl reads more than their schema says written keep the guard: a variant
/// read but never written, a field written as one type and read by another's impl.
#[test]
fn types_read_beyond_their_schema_keep_the_guard() {
    #[allow(dead_code)] // decoded from hostile bytes only
    #[derive(Serialize, Deserialize, Kimera, Debug)]
    enum LegacyText {
        #[serde(skip_serializing)]
        Old(String),
        New(u64),
    }
    #[allow(dead_code)] // decoded from hostile bytes only
    #[derive(Serialize, Deserialize, Kimera, Debug)]
    enum LegacyUnits {
        New(u64),
        #[serde(skip_serializing)]
        Old(Vec<()>),
    }
    #[allow(dead_code)] // decoded from hostile bytes only
    #[derive(Serialize, Deserialize, Kimera, Debug)]
    enum LegacyNest {
        Leaf(u8),
        #[serde(skip_serializing)]
        Deeper(Box<LegacyNest>),
    }
    #[allow(dead_code)] // decoded from hostile bytes only
    #[derive(Serialize, Deserialize, Kimera, Debug)]
    struct Blob {
        #[kimera(with = Vec<u8>)]
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    }
    #[derive(Deserialize)]
    struct PackedWire {
        #[serde(with = "serde_bytes")]
        v: Vec<u8>,
    }
    #[allow(dead_code)] // decoded from hostile bytes only
    #[derive(Serialize, Deserialize, Kimera, Debug)]
    #[serde(from = "PackedWire")]
    struct Packed {
        v: Vec<u8>,
    }
    impl From<PackedWire> for Packed {
        fn from(wire: PackedWire) -> Self {
            Packed { v: wire.v }
        }
    }

    assert_eq!(LegacyText::DECODE_BOUND, None);
    assert_eq!(LegacyUnits::DECODE_BOUND, None);
    assert_eq!(LegacyNest::DECODE_BOUND, None);
    assert_eq!(Blob::DECODE_BOUND, None);
    assert_eq!(Packed::DECODE_BOUND, None);
    isolated(
        "types_read_beyond_their_schema_keep_the_guard",
        Duration::from_secs(60),
        || {
            let claim = huge_varint(1 << 60);
            let with_variant = |index: u8| [&[index][..], &claim].concat();
            // Each is an error (`kind_of` panics on a value), without the allocation claimed.
            refused_without_allocating::<LegacyText>(&with_variant(0));
            refused_without_allocating::<LegacyUnits>(&with_variant(1));
            refused_without_allocating::<LegacyNest>(&[vec![1u8; 1_000_000], vec![0, 7]].concat());
            refused_without_allocating::<Blob>(&claim);
            refused_without_allocating::<Packed>(&claim);
        },
    );
}
