//! `kimera::pickle` against CPython's own `pickle` module (`tools/python/pickle_differential.py`,
//! stdlib only; Python 3.11 or later on the path as `python3`).
//!
//! Both sides describe each value in the same exact JSON (ints as text, floats as their bits,
//! containers with their types), so they compare values, not bytes: Python's random values
//! pickled at every protocol are read here and compared; random values pickled here are loaded
//! by Python and compared; Python's pickles of other classes and functions, and hand-made
//! hostile pickles, are refused with the global's name or a bounded error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use kimera::pickle::{self, Decimal, PickleError, Time, TimeZone, Value};
use kimera::Kimera;
use pickle_values::{describe, hex, same, to_hex};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

#[path = "support/pickle_values.rs"]
mod pickle_values;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/python/pickle_differential.py")
}

/// Runs the script; the test fails if Python is missing (CI has it; so does every machine
/// this project builds on).
fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .expect("python3 runs (Python 3.11 or later is needed for these tests)");
    assert!(
        out.status.success(),
        "pickle_differential.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kimera-pickle-{}-{name}", std::process::id()))
}

#[derive(Default, Debug)]
struct Counts {
    tried: usize,
    equal: usize,
    refused: usize,
}

#[test]
fn python_pickles_at_every_protocol_read_as_python_sees_them() {
    let out = temp("gen.jsonl");
    python(&["gen", "20261203", "700", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let mut counts: BTreeMap<u64, Counts> = BTreeMap::new();
    for line in text.lines() {
        let record: Json = serde_json::from_str(line).unwrap();
        let protocol = record["protocol"].as_u64().unwrap();
        let bytes = hex(record["pickle"].as_str().unwrap());
        let counts = counts.entry(protocol).or_default();
        counts.tried += 1;
        let result = Value::from_pickle(&bytes);
        if let Some(reason) = record["refuse"].as_str() {
            let err = result.expect_err(&format!("refused ({reason}): {line}"));
            assert!(err.to_string().contains(reason), "{reason}: {err}");
            counts.refused += 1;
            continue;
        }
        let value = result.unwrap_or_else(|e| panic!("{e}\n{line}"));
        assert!(
            same(&describe(&value), &record["expect"]),
            "protocol {protocol}: read {value:?}\nexpected {}",
            record["expect"]
        );
        counts.equal += 1;
    }
    println!("Python wrote, Rust read: {counts:?}");
    for (protocol, c) in &counts {
        assert_eq!(c.tried, c.equal + c.refused, "protocol {protocol}");
        assert!(
            c.equal >= 700 && c.refused > 50,
            "protocol {protocol}: {c:?}"
        );
    }
    assert_eq!(counts.len(), 6);
}

/// A small deterministic generator (xorshift), so a failure names a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self) -> String {
        const ALPHABET: [&str; 9] = ["a", "Z", " ", "\n", "\\", "é", "中", "😀", "\0"];
        (0..self.below(10))
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize])
            .collect()
    }
    fn tz(&mut self) -> Option<TimeZone> {
        match self.below(4) {
            0 => None,
            1 => Some(TimeZone::utc()),
            n => Some(TimeZone {
                offset: FixedOffset::east_opt(self.below(46 * 1800) as i32 - 23 * 1800).unwrap(),
                name: (n == 3).then(|| format!("Z{}", self.below(100))),
            }),
        }
    }
    fn scalar(&mut self) -> Value {
        match self.below(14) {
            0 => Value::None,
            1 => Value::Bool(self.below(2) == 0),
            2 => Value::Int(self.below(600) as i128 - 300),
            3 => Value::Int(
                (i128::from(self.next()) << 64 | i128::from(self.next())) >> self.below(127),
            ),
            4 => Value::Float(
                [
                    0.0,
                    -0.0,
                    1.5,
                    1e-5,
                    1e16,
                    f64::INFINITY,
                    f64::NAN,
                    f64::from_bits(self.next()),
                ][self.below(8) as usize],
            ),
            5 => Value::Str(self.text()),
            6 => Value::Bytes((0..self.below(300)).map(|_| self.next() as u8).collect()),
            7 => Value::ByteArray((0..self.below(5)).map(|_| self.next() as u8).collect()),
            8 => Value::Date(
                NaiveDate::from_ymd_opt(
                    1 + self.below(9999) as i32,
                    1 + self.below(12) as u32,
                    1 + self.below(28) as u32,
                )
                .unwrap(),
            ),
            9 => Value::Time(Time {
                time: NaiveTime::from_num_seconds_from_midnight_opt(
                    self.below(86_400) as u32,
                    self.below(1_000_000) as u32 * 1000,
                )
                .unwrap(),
                tz: self.tz(),
            }),
            10 => Value::DateTime(pickle::DateTime {
                at: NaiveDate::from_ymd_opt(
                    1 + self.below(9999) as i32,
                    1 + self.below(12) as u32,
                    1 + self.below(28) as u32,
                )
                .unwrap()
                .and_hms_micro_opt(
                    self.below(24) as u32,
                    self.below(60) as u32,
                    self.below(60) as u32,
                    self.below(1_000_000) as u32,
                )
                .unwrap(),
                tz: self.tz(),
            }),
            11 => Value::TimeDelta(
                pickle::TimeDelta::from_microseconds(i128::from(self.next() as i64 / 1000))
                    .unwrap(),
            ),
            12 => Value::Decimal(
                Decimal::new(
                    ["0", "-0", "1.50", "1E+3", "NaN", "-Infinity", "sNaN"][self.below(7) as usize],
                )
                .unwrap(),
            ),
            _ => Value::Int(i128::from(self.next())),
        }
    }
    fn key(&mut self, depth: u32) -> Value {
        match self.below(5) {
            0 if depth > 0 => {
                Value::Tuple((0..self.below(3)).map(|_| self.key(depth - 1)).collect())
            }
            1 => Value::Int(self.below(2000) as i128 - 1000),
            2 => Value::Date(
                NaiveDate::from_ymd_opt(2000 + self.below(30) as i32, 1, 1 + self.below(28) as u32)
                    .unwrap(),
            ),
            _ => Value::Str(self.text()),
        }
    }
    /// Distinct keys, as a dict or set must have (Python's equality: the reader's check).
    fn keys(&mut self, n: u64) -> Vec<Value> {
        let mut keys: Vec<Value> = Vec::new();
        for _ in 0..n {
            let key = self.key(1);
            if !keys.iter().any(|k| describe(k) == describe(&key)) {
                keys.push(key);
            }
        }
        keys
    }
    fn value(&mut self, depth: u32) -> Value {
        if depth == 0 || self.below(3) == 0 {
            return self.scalar();
        }
        let n = self.below(5);
        match self.below(5) {
            0 => Value::List((0..n).map(|_| self.value(depth - 1)).collect()),
            1 => Value::Tuple((0..n).map(|_| self.value(depth - 1)).collect()),
            2 => {
                let keys = self.keys(n);
                Value::Dict(
                    keys.into_iter()
                        .map(|k| (k, self.value(depth - 1)))
                        .collect(),
                )
            }
            3 => Value::Set(self.keys(n)),
            _ => Value::FrozenSet(self.keys(n)),
        }
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Session")]
struct Session {
    id: u64,
    user: String,
    started: DateTime<Utc>,
    local: DateTime<FixedOffset>,
    day: NaiveDate,
    at: NaiveDateTime,
    idle: TimeDelta,
    tags: HashSet<String>,
    scores: HashMap<u32, f64>,
    cells: BTreeMap<(u8, u8), Option<String>>,
    events: Vec<Event>,
    token: serde_bytes::ByteBuf,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Event")]
enum Event {
    Started,
    Moved { to: (i32, i32), when: NaiveTime },
    Said(String),
}

fn session(rng: &mut Rng) -> Session {
    let instant =
        DateTime::from_timestamp(self_secs(rng), (rng.below(1_000_000) * 1000) as u32).unwrap();
    Session {
        id: rng.next(),
        user: rng.text(),
        started: instant,
        local: instant
            .with_timezone(&FixedOffset::east_opt(rng.below(20) as i32 * 1800 - 18_000).unwrap()),
        day: instant.date_naive(),
        at: instant.naive_utc(),
        idle: TimeDelta::microseconds(rng.next() as i32 as i64),
        tags: (0..rng.below(4)).map(|_| rng.text()).collect(),
        scores: (0..rng.below(4))
            .map(|_| (rng.next() as u32, rng.below(1000) as f64 / 8.0))
            .collect(),
        cells: (0..rng.below(4))
            .map(|_| {
                (
                    (rng.next() as u8, rng.next() as u8),
                    Some(rng.text()).filter(|_| rng.below(2) == 0),
                )
            })
            .collect(),
        events: (0..rng.below(4))
            .map(|_| match rng.below(3) {
                0 => Event::Started,
                1 => Event::Moved {
                    to: (rng.next() as i32, rng.next() as i32),
                    when: instant.time(),
                },
                _ => Event::Said(rng.text()),
            })
            .collect(),
        token: serde_bytes::ByteBuf::from(
            (0..rng.below(20))
                .map(|_| rng.next() as u8)
                .collect::<Vec<_>>(),
        ),
    }
}

fn self_secs(rng: &mut Rng) -> i64 {
    rng.below(200 * 365 * 86_400) as i64 - 50 * 365 * 86_400
}

#[test]
fn rust_pickles_load_in_python_as_equal_values() {
    let mut rng = Rng(0x5eed_2026_1203);
    let mut lines = String::new();
    let mut written = 0;
    for i in 0..2000 {
        let value = if i % 4 == 3 {
            // A derived type: dates and sets as Python's, the value Python must see.
            pickle::to_value(&session(&mut rng)).unwrap()
        } else {
            rng.value(4)
        };
        let bytes = value.to_pickle().unwrap();
        assert_eq!(
            Value::from_pickle(&bytes).map(|v| describe(&v)).unwrap(),
            describe(&value)
        );
        lines.push_str(
            &json!({"id": i, "pickle": to_hex(&bytes), "expect": describe(&value)}).to_string(),
        );
        lines.push('\n');
        written += 1;
    }
    let path = temp("rust.jsonl");
    std::fs::write(&path, lines).unwrap();
    let report: Json = serde_json::from_str(&python(&["check", path.to_str().unwrap()])).unwrap();
    std::fs::remove_file(&path).unwrap();
    println!("Rust wrote, Python read: {report}");
    assert_eq!(report, json!({"tried": written, "equal": written}));
}

#[test]
fn typed_values_round_trip_and_python_sees_datetimes() {
    let mut rng = Rng(7);
    for _ in 0..200 {
        let session = session(&mut rng);
        let bytes = pickle::to_vec(&session).unwrap();
        let back: Session = pickle::from_slice(&bytes).unwrap();
        assert_eq!(back, session);
    }
    let session = session(&mut rng);
    let Value::Dict(fields) = pickle::to_value(&session).unwrap() else {
        panic!("a struct is a dict")
    };
    let field = |name: &str| {
        &fields
            .iter()
            .find(|(k, _)| *k == Value::Str(name.into()))
            .unwrap()
            .1
    };
    assert!(matches!(field("started"), Value::DateTime(d) if d.tz == Some(TimeZone::utc())));
    assert!(matches!(field("day"), Value::Date(_)));
    assert!(matches!(field("idle"), Value::TimeDelta(_)));
    assert!(matches!(field("tags"), Value::Set(_)));
    assert!(matches!(field("token"), Value::Bytes(_)));
    assert!(
        matches!(field("scores"), Value::Dict(e) if e.iter().all(|(k, _)| matches!(k, Value::Int(_))))
    );
}

#[test]
fn python_dicts_read_into_derived_types() {
    let code = r#"
import pickle, sys, datetime
v = {"id": 2**64 - 1, "user": "ada", "started": datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc),
     "local": datetime.datetime(2024, 3, 1, 14, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
     "day": datetime.date(2024, 3, 1), "at": datetime.datetime(2024, 3, 1, 12, 0, 0, 5),
     "idle": datetime.timedelta(seconds=-1, microseconds=3), "tags": {"a", "b"}, "scores": {7: float("nan")},
     "cells": {(1, 2): None, (3, 4): "x"}, "events": ["Started", {"Moved": {"to": (1, -2), "when": datetime.time(9, 30)}}, {"Said": "hi"}],
     "token": b"\x00\xff"}
sys.stdout.write(pickle.dumps(v, protocol=int(sys.argv[1])).hex())
"#;
    for protocol in 0..=5 {
        let out = Command::new("python3")
            .args(["-c", code, &protocol.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = hex(std::str::from_utf8(&out.stdout).unwrap());
        let session: Session =
            pickle::from_slice(&bytes).unwrap_or_else(|e| panic!("protocol {protocol}: {e}"));
        assert_eq!(session.id, u64::MAX);
        assert_eq!(session.started.to_rfc3339(), "2024-03-01T12:00:00+00:00");
        assert_eq!(session.local.offset().local_minus_utc(), 7200);
        assert_eq!(session.at.and_utc().timestamp_subsec_micros(), 5);
        assert_eq!(session.idle, TimeDelta::microseconds(-999_997));
        assert!(session.scores[&7].is_nan());
        assert_eq!(session.cells[&(3, 4)].as_deref(), Some("x"));
        assert_eq!(
            session.events[1],
            Event::Moved {
                to: (1, -2),
                when: NaiveTime::from_hms_opt(9, 30, 0).unwrap()
            }
        );
        assert_eq!(session.token.as_slice(), [0, 255]);
    }
}

#[test]
fn other_globals_are_refused_by_name() {
    let out = temp("hostile.jsonl");
    python(&["hostile", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let mut refused = 0;
    for line in text.lines() {
        let record: Json = serde_json::from_str(line).unwrap();
        let names = record["name"].as_str().unwrap();
        let err = Value::from_pickle(&hex(record["pickle"].as_str().unwrap())).unwrap_err();
        let pickle = err.downcast_ref::<PickleError>().expect("a PickleError");
        assert!(pickle.offset().is_some());
        let text = err.to_string();
        assert!(
            names
                .split('|')
                .any(|name| text.contains(&format!("`{name}`"))),
            "{names}: {err}"
        );
        refused += 1;
    }
    println!("hostile pickles from Python refused by name: {refused}");
    assert!(refused >= 30);
}

#[test]
fn hand_made_hostile_pickles_are_refused_with_bounded_errors() {
    let refuse = |bytes: &[u8], needle: &str| {
        let err = Value::from_pickle(bytes).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(needle), "{needle}: {text}");
        assert!(text.len() < 1500, "{}", text.len());
    };
    // os.system by protocol 0's GLOBAL, with its call.
    refuse(b"cos\nsystem\n(S'echo pwned'\ntR.", "`os.system`");
    refuse(b"\x80\x04\x8c\x02os\x8c\x06system\x93.", "`os.system`");
    refuse(b"ios\nsystem\n(S'x'\n.", "`os.system`");
    refuse(b"\x80\x04NN.", "stops with");
    // A memo bomb: each list holds the one before it twice, 60 times over (2^60 copies).
    let mut bomb = b"\x80\x04]\x94".to_vec();
    for i in 0..60u32 {
        // Replace the top with a list of two references to it.
        bomb.extend_from_slice(b"0](");
        for _ in 0..2 {
            bomb.push(b'j');
            bomb.extend_from_slice(&i.to_le_bytes());
        }
        bomb.extend_from_slice(b"e\x94");
    }
    bomb.push(b'.');
    refuse(&bomb, "memo bomb");
    // Deep nesting: a million lists inside each other.
    let mut deep = b"\x80\x04".to_vec();
    deep.extend(std::iter::repeat_n(b']', 1_000_000));
    deep.extend(std::iter::repeat_n(b'a', 999_999));
    deep.push(b'.');
    let err = Value::from_pickle(&deep).unwrap_err();
    assert!(
        matches!(err.kind(), kimera::ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
    // A recursive list.
    refuse(b"\x80\x04]\x94h\x00a.", "contains itself");
    // Lengths far beyond the input.
    refuse(b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f", "truncated");
    refuse(b"\x80\x04\x8a\xffabc", "truncated");
    refuse(b"\x80\x04\x8b\xff\xff\xff\x7f", "truncated");
    refuse(b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xffN.", "frame");
    // Duplicate keys: Python would keep one.
    refuse(b"\x80\x04}(K\x01K\x02\x88K\x03u.", "twice");
    refuse(b"\x80\x04}(]K\x02u.", "cannot hash");
    refuse(b"\x80\x06N.", "protocol 6");
    refuse(b"\x80\x04N.N", "follow");
    refuse(b"", "empty");
}

#[test]
fn damaged_pickles_never_panic() {
    let mut rng = Rng(99);
    let mut refused = 0;
    for _ in 0..300 {
        let value = rng.value(3);
        let bytes = value.to_pickle().unwrap();
        for cut in 0..bytes.len() {
            assert!(Value::from_pickle(&bytes[..cut]).is_err());
        }
        for _ in 0..20 {
            let mut damaged = bytes.clone();
            let at = rng.below(damaged.len() as u64) as usize;
            damaged[at] = rng.next() as u8;
            if Value::from_pickle(&damaged).is_err() {
                refused += 1;
            }
        }
    }
    assert!(refused > 1000, "{refused}");
}

#[test]
fn what_python_could_not_read_back_is_refused_when_written() {
    let write = |value: Value, needle: &str| {
        let err = value.to_pickle().unwrap_err();
        assert!(err.to_string().contains(needle), "{needle}: {err}");
    };
    write(
        Value::Dict(vec![
            (Value::Int(1), Value::None),
            (Value::Bool(true), Value::None),
        ]),
        "twice",
    );
    write(Value::Set(vec![Value::Float(2.0), Value::Int(2)]), "twice");
    write(
        Value::Dict(vec![(Value::List(vec![]), Value::None)]),
        "cannot hash",
    );
    let nanos = NaiveTime::from_hms_nano_opt(1, 2, 3, 4).unwrap();
    write(
        Value::Time(Time {
            time: nanos,
            tz: None,
        }),
        "nanoseconds",
    );
}

/// The value of `tests/golden/pickle/`, as `golden_value()` in the Python script builds it.
fn golden_value() -> Value {
    let s = |text: &str| Value::Str(text.to_owned());
    let at = |y, mo, d, h, mi, se, us| {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_micro_opt(h, mi, se, us)
            .unwrap()
    };
    let shared = Value::List(vec![Value::Int(1)]);
    Value::Dict(vec![
        (s("id"), Value::Int(7)),
        (s("name"), s("Ada é😀\n\\")),
        (s("big"), Value::Int(-(1i128 << 100))),
        (s("ratio"), Value::Float(0.1)),
        (s("flags"), Value::Set(vec![Value::Int(1), Value::Int(2)])),
        (s("blob"), Value::Bytes(vec![0, 255])),
        (s("buf"), Value::ByteArray(b"ab".to_vec())),
        (
            s("when"),
            Value::DateTime(pickle::DateTime {
                at: at(2024, 3, 1, 12, 30, 45, 123_456),
                tz: Some(TimeZone::utc()),
            }),
        ),
        (
            s("local"),
            Value::DateTime(pickle::DateTime {
                at: at(2024, 3, 1, 7, 30, 0, 0),
                tz: Some(TimeZone {
                    offset: FixedOffset::west_opt(5 * 3600).unwrap(),
                    name: Some("EST".into()),
                }),
            }),
        ),
        (
            s("naive"),
            Value::DateTime(pickle::DateTime {
                at: at(964, 12, 10, 1, 2, 3, 0),
                tz: None,
            }),
        ),
        (
            s("day"),
            Value::Date(NaiveDate::from_ymd_opt(964, 12, 10).unwrap()),
        ),
        (
            s("at"),
            Value::Time(Time {
                time: NaiveTime::from_hms_micro_opt(9, 30, 0, 5).unwrap(),
                tz: None,
            }),
        ),
        (
            s("idle"),
            Value::TimeDelta(
                pickle::TimeDelta::from_microseconds(-86_400_000_000 + 5_000_007).unwrap(),
            ),
        ),
        (s("price"), Value::Decimal(Decimal::new("12.50").unwrap())),
        (s("tags"), Value::FrozenSet(vec![s("x")])),
        (
            s("pair"),
            Value::Tuple(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::None,
                Value::Bool(true),
            ]),
        ),
        (
            s("items"),
            Value::List(vec![
                Value::None,
                Value::List(vec![]),
                Value::Dict(vec![]),
                Value::Tuple(vec![]),
            ]),
        ),
        (s("shared"), Value::List(vec![shared.clone(), shared])),
    ])
}

#[test]
fn golden_pickles_read_and_write_as_pinned() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pickle");
    for protocol in 0..=5 {
        let bytes = std::fs::read(dir.join(format!("python-p{protocol}.pickle"))).unwrap();
        assert_eq!(
            Value::from_pickle(&bytes).unwrap(),
            golden_value(),
            "protocol {protocol}"
        );
    }
    // What this crate writes is pinned too, and Python loads it as the same value.
    let path = dir.join("rust-p4.pickle");
    let written = golden_value().to_pickle().unwrap();
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, &written).unwrap();
    }
    assert_eq!(
        written,
        std::fs::read(&path).unwrap(),
        "the writer's bytes changed"
    );
    python(&["golden-check", path.to_str().unwrap()]);
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Fleet")]
struct Fleet {
    peers: HashMap<uuid::Uuid, Peer>,
    routes: BTreeMap<std::net::IpAddr, Vec<u16>>,
    settings: serde_json::Value,
    log: Vec<Happening>,
    nested: Option<Option<u8>>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Peer")]
struct Peer {
    addr: std::net::SocketAddr,
    seen: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Happening")]
#[serde(tag = "type", rename_all = "snake_case")]
enum Happening {
    Joined {
        peer: uuid::Uuid,
        at: DateTime<Utc>,
    },
    Left {
        peer: uuid::Uuid,
        reason: Option<String>,
    },
}

#[test]
fn service_shapes_round_trip_and_load_in_python() {
    let at = DateTime::from_timestamp(1_700_000_000, 123_000).unwrap();
    let id = uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
    let fleet = Fleet {
        peers: HashMap::from([(
            id,
            Peer {
                addr: "[::1]:8080".parse().unwrap(),
                seen: at,
            },
        )]),
        routes: BTreeMap::from([
            ("10.0.0.1".parse().unwrap(), vec![80, 443]),
            ("::1".parse().unwrap(), vec![]),
        ]),
        settings: json!({"retries": 3, "ratio": 0.5, "tags": ["a", null], "deep": {"on": true}}),
        log: vec![
            Happening::Joined { peer: id, at },
            Happening::Left {
                peer: id,
                reason: None,
            },
        ],
        nested: Some(None),
    };
    let bytes = pickle::to_vec(&fleet).unwrap();
    let back: Fleet = pickle::from_slice(&bytes).unwrap();
    // `Some(None)` is Python's one None: it reads back as `None` (the module docs say so).
    assert_eq!(
        back,
        Fleet {
            nested: None,
            ..fleet.clone()
        }
    );
    let value = pickle::to_value(&fleet).unwrap();
    let Value::Dict(fields) = &value else {
        panic!("a dict")
    };
    let Value::Dict(peers) = &fields[0].1 else {
        panic!("peers is a dict")
    };
    assert_eq!(peers[0].0, Value::Str(id.to_string()));
    let Value::Dict(peer) = &peers[0].1 else {
        panic!("a peer is a dict")
    };
    assert!(matches!(&peer[1].1, Value::DateTime(d) if d.tz == Some(TimeZone::utc())));
    // Inside an internally tagged enum too, found by the tag.
    let Value::List(log) = &fields[3].1 else {
        panic!("a list")
    };
    let Value::Dict(joined) = &log[0] else {
        panic!("a dict")
    };
    assert_eq!(
        joined[0],
        (Value::Str("type".into()), Value::Str("joined".into()))
    );
    assert!(matches!(&joined[2].1, Value::DateTime(_)), "{joined:?}");
    // Python loads the same value (uuid and address keys as str, the datetime aware).
    let path = temp("fleet.jsonl");
    std::fs::write(
        &path,
        json!({"id": 0, "pickle": to_hex(&bytes), "expect": describe(&value)}).to_string() + "\n",
    )
    .unwrap();
    let report: Json = serde_json::from_str(&python(&["check", path.to_str().unwrap()])).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(report, json!({"tried": 1, "equal": 1}));
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Due")]
#[serde(tag = "kind", content = "data")]
enum Due {
    On(NaiveDate),
    Between { from: NaiveDate, to: NaiveDate },
}

#[test]
fn adjacently_tagged_dates_are_python_dates() {
    let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    for due in [Due::On(day), Due::Between { from: day, to: day }] {
        let Value::Dict(entries) = pickle::to_value(&due).unwrap() else {
            panic!("a dict")
        };
        let content = &entries[1].1;
        let date = match content {
            Value::Dict(fields) => &fields[0].1,
            other => other,
        };
        assert_eq!(date, &Value::Date(day), "{entries:?}");
        assert_eq!(
            pickle::from_slice::<Due>(&pickle::to_vec(&due).unwrap()).unwrap(),
            due
        );
    }
}
