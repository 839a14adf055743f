//! The Python reference reader (`tools/python/kimera_reader.py`) reads what Kimera writes.
//!
//! Thousands of random values, in the shapes services keep, are written as single binary
//! envelopes carrying their schema, as one frame stream `with_schemas()` and as snapshot files,
//! next to the JSON envelope `kimera::json` writes for each; the reader's tests
//! (`tools/python/test_kimera_reader.py`, class `GeneratedCases`) check that every binary form
//! decodes to exactly that JSON's value. The reader's own tests (golden files, damaged inputs)
//! run here too. Python 3.11 or later must be on the path as `python3`.

#[path = "support/strategies.rs"]
mod strategies;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{
    DateTime, Datelike as _, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
};
use kimera::frame::FrameWriter;
use kimera::snapshot::{Fsync, Options, SnapshotStore};
use kimera::{Binary, Format as _, Kimera, KimeraHandler};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use strategies::{ip, ipv6, uuid};
use url::Url;
use uuid::Uuid;

/// A service's state: maps keyed by `Uuid`, `IpAddr` and by every kind of key JSON writes as
/// text, an event enum, times as text and compact, foreign types, a recursive tree.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Service", version = 3)]
struct Service {
    id: Uuid,
    nodes: BTreeMap<Uuid, Member>,
    ports: HashMap<IpAddr, Vec<u16>>,
    events: Vec<Event>,
    owner: Option<String>,
    labels: BTreeSet<String>,
    times: Times,
    numbers: Numbers,
    shard: ShardId,
    marker: Marker,
    pair: Pair,
    unit: (),
    outcome: Result<u16, String>,
    tree: Tree,
    foreign: Foreign,
    keys: Keys,
}

/// Default-named: envelopes of types holding it in their name carry its origin.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
struct Member {
    addr: SocketAddr,
    name: String,
    weight: f32,
    last: Option<NaiveDateTime>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Event")]
enum Event {
    Started,
    Joined { node: Uuid, on: NaiveDate },
    Left(Uuid),
    Moved(IpAddr, IpAddr),
    Renamed { from: String, to: String },
    Tagged(Vec<Kind>),
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[kimera(name = "pyr.Kind")]
enum Kind {
    Alpha,
    Beta,
    Gamma,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Times")]
struct Times {
    since: DateTime<Utc>,
    zoned: DateTime<FixedOffset>,
    local: NaiveDateTime,
    on: NaiveDate,
    at: NaiveTime,
    #[serde(with = "kimera::compact")]
    checked: DateTime<FixedOffset>,
    #[serde(with = "kimera::compact")]
    day: NaiveDate,
    #[serde(with = "kimera::compact")]
    tick: NaiveTime,
    #[serde(with = "kimera::compact")]
    stamp: Option<NaiveDateTime>,
    took: TimeDelta,
    ttl: Duration,
    seen: SystemTime,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Numbers")]
struct Numbers {
    window: (i64, f64, char),
    ratio: f32,
    ints: (i8, i16, i32, u8, u16, u32, u64),
    big: u128,
    low: i128,
    limits: [u32; 3],
    blob: Vec<u8>,
    raw: serde_bytes::ByteBuf,
    flag: Option<bool>,
    /// Never `Some(None)`, which JSON cannot hold.
    nested: Option<Option<u8>>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[kimera(name = "pyr.ShardId")]
struct ShardId(u64);

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Marker")]
struct Marker;

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Pair")]
struct Pair(u8, String);

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Tree")]
struct Tree {
    value: i32,
    kids: Vec<Tree>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Foreign")]
struct Foreign {
    addrs: Vec<SocketAddr>,
    v6: Vec<Ipv6Addr>,
    /// Scope id 0: binary does not carry it (docs/schema.md), so JSON would differ otherwise.
    sock6: SocketAddrV6,
    path: PathBuf,
    url: Url,
    price: Decimal,
    date: time::Date,
    time: time::Time,
    plain: time::PrimitiveDateTime,
    offset: time::OffsetDateTime,
    span: time::Duration,
}

/// Keys serde_json writes as text: floats, bools, chars, unit variants, big integers, dates,
/// newtypes.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "pyr.Keys")]
struct Keys {
    by_f64: HashMap<F64Key, u8>,
    by_f32: HashMap<F32Key, u8>,
    by_flag: BTreeMap<bool, u8>,
    by_char: BTreeMap<char, u8>,
    by_kind: BTreeMap<Kind, u8>,
    by_i128: BTreeMap<i128, u8>,
    by_date: BTreeMap<NaiveDate, u8>,
    by_shard: BTreeMap<ShardId, u8>,
}

/// A float usable as a map key: equal and hashed by its bits (finite only).
macro_rules! float_key {
    ($name:ident, $float:ty, $kimera:literal) => {
        #[derive(Serialize, Deserialize, Kimera, Debug, Clone, Copy)]
        #[kimera(name = $kimera)]
        struct $name($float);

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.to_bits() == other.0.to_bits()
            }
        }

        impl Eq for $name {}

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.0.to_bits().hash(state);
            }
        }
    };
}

float_key!(F64Key, f64, "pyr.F64Key");
float_key!(F32Key, f32, "pyr.F32Key");

// Strategies: values over the whole range of each type, with the edge cases the reader must get
// right (IPv6 zero runs and mapped addresses, leap seconds, every float bit pattern).

fn text() -> impl Strategy<Value = String> {
    "(?s).{0,10}"
}

fn socket() -> impl Strategy<Value = SocketAddr> {
    (ip(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::new(ip, port))
}

fn f64_any() -> impl Strategy<Value = f64> {
    any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |x| x.is_finite())
}

/// Any finite f32, and powers of two often: the next smaller f32 is half as far from them as
/// the next larger one, which decides the shortest text of a few.
fn f32_any() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>()
            .prop_map(f32::from_bits)
            .prop_filter("finite", |x| x.is_finite()),
        (any::<bool>(), 0u32..255)
            .prop_map(|(sign, exp)| f32::from_bits(u32::from(sign) << 31 | exp << 23)),
        any::<i16>().prop_map(|n| f32::from(n) / 8.0),
    ]
}

fn date() -> impl Strategy<Value = NaiveDate> {
    let (min, max) = (
        NaiveDate::MIN.num_days_from_ce(),
        NaiveDate::MAX.num_days_from_ce(),
    );
    (min..=max).prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).expect("in range"))
}

/// Times of day, a leap second among them now and then.
fn time_of_day() -> impl Strategy<Value = NaiveTime> {
    (0u32..86_400, 0u32..1_000_000_000, any::<bool>()).prop_map(|(secs, nanos, leap)| {
        let secs = if leap { secs - secs % 60 + 59 } else { secs };
        let nanos = if leap { nanos + 1_000_000_000 } else { nanos };
        NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).expect("valid")
    })
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-10_000_000_000i64..10_000_000_000, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).expect("in range"))
}

fn zoned() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (instant(), -86_399i32..86_400)
        .prop_map(|(t, offset)| t.with_timezone(&FixedOffset::east_opt(offset).expect("offset")))
}

fn times() -> impl Strategy<Value = Times> {
    (
        (
            instant(),
            zoned(),
            instant(),
            date(),
            time_of_day(),
            zoned(),
        ),
        (date(), time_of_day(), proptest::option::of(instant())),
        (any::<i64>(), 0u32..1_000_000_000),
        (any::<u64>(), 0u32..1_000_000_000),
        (0u64..100_000_000_000, 0u32..1_000_000_000),
    )
        .prop_map(
            |((since, zoned, local, on, at, checked), (day, tick, stamp), took, ttl, seen)| Times {
                since,
                zoned,
                local: local.naive_utc(),
                on,
                at,
                checked,
                day,
                tick,
                stamp: stamp.map(|t| t.naive_utc()),
                took: TimeDelta::new(took.0 / 1000, took.1).unwrap_or_default(),
                ttl: Duration::new(ttl.0, ttl.1),
                seen: UNIX_EPOCH + Duration::new(seen.0, seen.1),
            },
        )
}

fn numbers() -> impl Strategy<Value = Numbers> {
    (
        (any::<i64>(), f64_any(), any::<char>()),
        f32_any(),
        any::<(i8, i16, i32, u8, u16, u32, u64)>(),
        (any::<u128>(), any::<i128>(), any::<[u32; 3]>()),
        (
            proptest::collection::vec(any::<u8>(), 0..12),
            proptest::collection::vec(any::<u8>(), 0..12),
        ),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
    )
        .prop_map(
            |(window, ratio, ints, (big, low, limits), (blob, raw), flag, nested, some)| Numbers {
                window,
                ratio,
                ints,
                big,
                low,
                limits,
                blob,
                raw: serde_bytes::ByteBuf::from(raw),
                flag,
                nested: some.then_some(nested).flatten().map(Some),
            },
        )
}

fn member() -> impl Strategy<Value = Member> {
    (socket(), text(), f32_any(), proptest::option::of(instant())).prop_map(
        |(addr, name, weight, last)| Member {
            addr,
            name,
            weight,
            last: last.map(|t| t.naive_utc()),
        },
    )
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Alpha), Just(Kind::Beta), Just(Kind::Gamma)]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Started),
        (uuid(), date()).prop_map(|(node, on)| Event::Joined { node, on }),
        uuid().prop_map(Event::Left),
        (ip(), ip()).prop_map(|(a, b)| Event::Moved(a, b)),
        (text(), text()).prop_map(|(from, to)| Event::Renamed { from, to }),
        proptest::collection::vec(kind(), 0..3).prop_map(Event::Tagged),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    any::<i32>()
        .prop_map(|value| Tree {
            value,
            kids: Vec::new(),
        })
        .prop_recursive(3, 8, 3, |inner| {
            (any::<i32>(), proptest::collection::vec(inner, 0..3))
                .prop_map(|(value, kids)| Tree { value, kids })
        })
}

fn time_crate() -> impl Strategy<Value = (time::Date, time::Time, time::UtcOffset, time::Duration)>
{
    (
        (-9000i32..9000, 1u16..=365),
        (0u8..24, 0u8..60, 0u8..60, 0u32..1_000_000_000),
        // West of UTC by minutes only (`-00:30:00`) too; durations under a second either side.
        (any::<bool>(), 0i8..=25, 0i8..60, 0i8..60),
        (
            prop_oneof![-2i64..=2, -1_000_000_000_000i64..1_000_000_000_000],
            -999_999_999i32..=999_999_999,
        ),
    )
        .prop_map(
            |((y, d), (h, m, s, ns), (west, oh, om, os), (secs, nanos))| {
                let sign = if west { -1 } else { 1 };
                (
                    time::Date::from_ordinal_date(y, d).expect("a day of the year"),
                    time::Time::from_hms_nano(h, m, s, ns).expect("a time"),
                    time::UtcOffset::from_hms(sign * oh, sign * om, sign * os).expect("an offset"),
                    time::Duration::new(secs, nanos),
                )
            },
        )
}

fn foreign() -> impl Strategy<Value = Foreign> {
    (
        proptest::collection::vec(socket(), 0..3),
        proptest::collection::vec(ipv6(), 0..4),
        (ipv6(), any::<u16>()),
        (text(), "[a-z0-9]{0,8}", any::<u16>()),
        (any::<i64>(), 0u32..=12),
        time_crate(),
    )
        .prop_map(
            |(addrs, v6, (ip, port), (path, segment, query), (mantissa, scale), t)| {
                let (date, time, offset, span) = t;
                Foreign {
                    addrs,
                    v6,
                    sock6: SocketAddrV6::new(ip, port, 0, 0),
                    path: PathBuf::from(path),
                    url: Url::parse(&format!("https://example.com/{segment}?q={query}"))
                        .expect("a URL"),
                    price: Decimal::new(mantissa, scale),
                    date,
                    time,
                    plain: time::PrimitiveDateTime::new(date, time),
                    offset: time::PrimitiveDateTime::new(date, time).assume_offset(offset),
                    span,
                }
            },
        )
}

fn keys() -> impl Strategy<Value = Keys> {
    use proptest::collection::{btree_map, hash_map};
    (
        hash_map(f64_any().prop_map(F64Key), any::<u8>(), 0..4),
        hash_map(f32_any().prop_map(F32Key), any::<u8>(), 0..4),
        btree_map(any::<bool>(), any::<u8>(), 0..3),
        btree_map(any::<char>(), any::<u8>(), 0..3),
        btree_map(kind(), any::<u8>(), 0..3),
        btree_map(any::<i128>(), any::<u8>(), 0..3),
        btree_map(date(), any::<u8>(), 0..3),
        btree_map(any::<u64>().prop_map(ShardId), any::<u8>(), 0..3),
    )
        .prop_map(
            |(by_f64, by_f32, by_flag, by_char, by_kind, by_i128, by_date, by_shard)| Keys {
                by_f64,
                by_f32,
                by_flag,
                by_char,
                by_kind,
                by_i128,
                by_date,
                by_shard,
            },
        )
}

fn service() -> impl Strategy<Value = Service> {
    (
        (
            uuid(),
            proptest::collection::btree_map(uuid(), member(), 0..3),
            proptest::collection::hash_map(
                ip(),
                proptest::collection::vec(any::<u16>(), 0..3),
                0..3,
            ),
            proptest::collection::vec(event(), 0..5),
            proptest::option::of(text()),
            proptest::collection::btree_set(text(), 0..3),
        ),
        (times(), numbers(), any::<u64>(), (any::<u8>(), text())),
        (
            prop_oneof![any::<u16>().prop_map(Ok), text().prop_map(Err)],
            tree(),
            foreign(),
            keys(),
        ),
    )
        .prop_map(
            |(
                (id, nodes, ports, events, owner, labels),
                (times, numbers, shard, (a, b)),
                (outcome, tree, foreign, keys),
            )| Service {
                id,
                nodes,
                ports,
                events,
                owner,
                labels,
                times,
                numbers,
                shard: ShardId(shard),
                marker: Marker,
                pair: Pair(a, b),
                unit: (),
                outcome,
                tree,
                foreign,
                keys,
            },
        )
}

/// One random value of `strategy` per call, the same on every run.
struct Values(TestRunner);

impl Values {
    fn next<S: Strategy>(&mut self, strategy: &S) -> S::Value {
        strategy.new_tree(&mut self.0).expect("a value").current()
    }
}

/// A directory of the test's own, removed when it ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kimera-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON-lines file of cases.
struct Lines(std::io::BufWriter<std::fs::File>);

impl Lines {
    fn create(path: &Path) -> Self {
        Lines(std::io::BufWriter::new(
            std::fs::File::create(path).expect("a cases file"),
        ))
    }

    fn push(&mut self, case: serde_json::Value) {
        writeln!(self.0, "{case}").expect("writes");
    }
}

fn json<T: KimeraHandler + Serialize + ?Sized>(value: &T) -> String {
    kimera::json::to_string(value).expect("kimera::json writes every generated value")
}

/// Single envelopes, each carrying its schema, of the service and of values whose type names
/// are built from other types (origins among them).
fn write_singles(dir: &Path, values: &mut Values) {
    let mut lines = Lines::create(&dir.join("singles.jsonl"));
    let format = Binary::new().with_schema();
    let mut push = |bin: Vec<u8>, json: String| {
        lines.push(serde_json::json!({ "bin": hex(&bin), "json": json }));
    };
    for _ in 0..1000 {
        let value = values.next(&service());
        push(format.encode(&value).expect("encodes"), json(&value));
    }
    for _ in 0..150 {
        // Two origins in one name: `tuple<list<Member>,option<Member>>`.
        let members = values.next(&(
            proptest::collection::vec(member(), 0..3),
            proptest::option::of(member()),
        ));
        push(format.encode(&members).expect("encodes"), json(&members));
        let tuple = values.next(&(any::<u128>(), any::<i128>(), f32_any(), ipv6()));
        push(format.encode(&tuple).expect("encodes"), json(&tuple));
        let event = values.next(&proptest::option::of(event()));
        push(format.encode(&event).expect("encodes"), json(&event));
    }
}

/// One stream of frames, types interleaved, each type's schema sent once.
fn write_frames(dir: &Path, values: &mut Values) {
    let mut lines = Lines::create(&dir.join("frames.jsonl"));
    let mut writer = FrameWriter::binary(Vec::new()).with_schemas();
    for i in 0..1000 {
        let text = match i % 4 {
            0 => {
                let members = values.next(&proptest::collection::vec(member(), 0..3));
                writer.write(&members).expect("writes");
                json(&members)
            }
            1 => {
                let event = values.next(&event());
                writer.write(&event).expect("writes");
                json(&event)
            }
            _ => {
                let value = values.next(&service());
                writer.write(&value).expect("writes");
                json(&value)
            }
        };
        lines.push(serde_json::json!({ "json": text }));
    }
    std::fs::write(dir.join("frames.bin"), writer.into_inner()).expect("writes the stream");
}

/// Snapshot files, one per generation, as a store writes them.
fn write_snapshots(dir: &Path, values: &mut Values) {
    let mut lines = Lines::create(&dir.join("snapshots.jsonl"));
    let options = Options::new().with_keep(1000).with_fsync(Fsync::Never);
    let mut store = SnapshotStore::open_with(dir.join("snapshots"), options).expect("a store");
    for _ in 0..50 {
        let value = values.next(&service());
        let generation = store.save(&value).expect("saves");
        lines.push(serde_json::json!({ "generation": generation.0, "json": json(&value) }));
    }
}

/// Values binary holds and JSON cannot: the reader must refuse them as `kimera::json` does.
fn write_refusals(dir: &Path, values: &mut Values) {
    let mut lines = Lines::create(&dir.join("refused.jsonl"));
    let mut nan = values.next(&service());
    nan.numbers.window.1 = f64::NAN;
    let mut infinite = values.next(&service());
    infinite.numbers.ratio = f32::NEG_INFINITY;
    let mut some_none = values.next(&service());
    some_none.numbers.nested = Some(None);
    let cases = [
        (nan, "NaN"),
        (infinite, "infinity"),
        (some_none, "read back as None"),
    ];
    for (value, why) in cases {
        assert!(kimera::json::to_string(&value).is_err(), "{why}");
        let bin = Binary::new()
            .with_schema()
            .encode(&value)
            .expect("binary holds it");
        lines.push(serde_json::json!({ "bin": hex(&bin), "why": why }));
    }
}

/// Runs the reader's unit tests (`args` selects among them) and fails with their output if
/// they fail.
fn run_python_tests(args: &[&str], cases: Option<&Path>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("python3");
    command
        .arg(root.join("tools/python/test_kimera_reader.py"))
        .args(args)
        .current_dir(root);
    if let Some(dir) = cases {
        command.env("KIMERA_READER_CASES", dir);
    }
    let output = command.output().unwrap_or_else(|err| {
        panic!(
            "cannot run `python3` ({err}): the reference reader's tests need Python 3.11 or \
             later on the path"
        )
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python reader's tests failed ({})\n--- stdout\n{}\n--- stderr\n{stderr}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
    );
    eprintln!("{stderr}");
}

#[test]
fn the_python_reader_reads_what_rust_writes() {
    let dir = TempDir::new("python-reader");
    let mut values = Values(TestRunner::deterministic());
    write_singles(&dir.0, &mut values);
    write_frames(&dir.0, &mut values);
    write_snapshots(&dir.0, &mut values);
    write_refusals(&dir.0, &mut values);
    run_python_tests(&["GeneratedCases"], Some(&dir.0));
}

#[test]
fn the_python_readers_own_tests_pass() {
    run_python_tests(&[], None);
}
