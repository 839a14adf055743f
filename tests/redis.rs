//! Kimera values in a real Redis shared with Python: each test starts its own `redis-server`
//! on a free port of 127.0.0.1, and a Python process (`tools/python/redis_interop.py`, with the
//! `redis` package) writes what a Python service writes and checks what Rust wrote.
//!
//! Without `redis-server` or the Python package the server tests print why and pass, except
//! under CI (`CI` set), where `.ci/run` installs both and a missing one is a failure.

#[path = "support/pickle_values.rs"]
mod pickle_values;
#[path = "support/python_values.rs"]
mod python_values;
mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use kimera::python::{self, Value};
use kimera::redis::redis::{self, Commands};
use kimera::redis::{BinaryValue, JsonValue, Pickle, PickleValue, PythonJson, PythonValue};
use kimera::{Kimera, KimeraHandler};
use python_values::{describe, described, vectors};
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::XorShift;

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
struct Order {
    id: u64,
    customer: String,
    lines: Vec<Line>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Line")]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order")]
struct OrderV1 {
    id: u64,
    customer: String,
}

impl From<OrderV1> for Order {
    fn from(v1: OrderV1) -> Self {
        Order {
            id: v1.id,
            customer: v1.customer,
            lines: Vec::new(),
            note: Some("migrated from v1".into()),
        }
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Event")]
enum Event {
    Placed { order: u64, at: NaiveDateTime },
    Cancelled(u64, String),
    Audited,
}

/// `MEMBER` of `tools/python/redis_interop.py`, field for field.
#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "crm.Member")]
struct Member {
    name: String,
    age: u32,
    joined: NaiveDate,
    last_seen: NaiveDateTime,
    nickname: Option<String>,
    scores: Vec<f64>,
    pair: (i64, String),
    attributes: BTreeMap<String, i64>,
    active: bool,
}

fn member() -> Member {
    Member {
        name: "Ada Lovelace".into(),
        age: 36,
        joined: NaiveDate::from_ymd_opt(1843, 7, 10).unwrap(),
        last_seen: NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_micro_opt(12, 30, 45, 123_456)
            .unwrap(),
        nickname: None,
        scores: vec![1.5, -0.25, 1e-05],
        pair: (7, "seven".into()),
        attributes: [("a".to_owned(), 1), ("b".to_owned(), -2)].into(),
        active: true,
    }
}

/// A `redis-server` of this test's own, in a directory of its own; killed and removed when
/// dropped, however the test ends.
struct Server {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Server {
    /// A running server, or `None` (having said why) where the tools are not installed.
    fn start(name: &str) -> Option<Server> {
        if let Err(err) = Command::new("redis-server").arg("--version").output() {
            return missing(&format!("redis-server cannot be run ({err})"));
        }
        let python = Command::new("python3")
            .args(["-c", "import redis"])
            .stderr(Stdio::null())
            .status();
        if !python.is_ok_and(|status| status.success()) {
            return missing("python3 with the `redis` package is not available");
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("redis-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A free port: the system's pick for a socket bound and closed at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&dir)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let mut server = Server { child, dir, port };
        server.wait_until_it_answers();
        Some(server)
    }

    fn wait_until_it_answers(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut con) = self.connection() {
                if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                panic!("redis-server exited ({status}) before answering:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 20 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn connection(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))?.get_connection()
    }

    /// Runs `tools/python/redis_interop.py MODE` against this server; the family counts it
    /// prints.
    fn python(&self, mode: &str) -> BTreeMap<String, u64> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/python/redis_interop.py");
        let out = Command::new("python3")
            .arg(script)
            .args([mode, "--port", &self.port.to_string()])
            .output()
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "redis_interop.py {mode} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("counts")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn missing(why: &str) -> Option<Server> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}: under CI this test must run (.ci/run installs redis-server and \
         tools/python/requirements-redis.txt)"
    );
    eprintln!("skipped: {why}");
    None
}

/// Counts `value` and every value nested in it by family, as `redis_interop.py` does.
fn count(value: &Value, counts: &mut BTreeMap<String, u64>) {
    let family = match value {
        Value::None => "None",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) => "str",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Dict(_) => "dict",
        Value::DateTime(_) => "datetime",
        Value::Date(_) => "date",
    };
    *counts.entry(family.to_owned()).or_default() += 1;
    match value {
        Value::List(items) | Value::Tuple(items) => items.iter().for_each(|v| count(v, counts)),
        Value::Dict(entries) => entries.iter().for_each(|(_, v)| count(v, counts)),
        _ => {}
    }
}

/// The message of the redis error for a value that does not decode: the redis crate's
/// prefix, then Kimera's own sentence.
fn redis_message(kimera: impl std::fmt::Display) -> String {
    format!("Incompatible type - {kimera}")
}

#[test]
fn values_python_writes_are_read_in_rust() {
    let Some(server) = Server::start("from-python") else {
        return;
    };
    let written = server.python("write");
    let mut con = server.connection().unwrap();
    let mut read = BTreeMap::new();

    for (id, value, wire) in vectors() {
        let key = format!("py:vector:{id}");
        let raw: Vec<u8> = con.get(&key).unwrap();
        assert_eq!(
            raw,
            wire.as_bytes(),
            "{key}: Python wrote the library's bytes"
        );
        let got: PythonValue = con.get(&key).unwrap();
        assert_eq!(*got, value, "{key}");
        assert_eq!(got.encode().unwrap().as_bytes(), raw, "{key} written back");
        count(&got, &mut read);
    }
    for i in 0.. {
        let key = format!("py:random:{i}");
        let Some(description) = con
            .get::<_, Option<String>>(format!("{key}:described"))
            .unwrap()
        else {
            assert_eq!(i, 300, "Python wrote 300 random values");
            break;
        };
        let expected = described(&serde_json::from_str(&description).unwrap());
        let raw: Vec<u8> = con.get(&key).unwrap();
        let got: PythonValue = con.get(&key).unwrap();
        assert_eq!(*got, expected, "{key}");
        // Bytes, so that -0.0 is not 0.0: Rust writes what Python wrote.
        assert_eq!(got.encode().unwrap().as_bytes(), raw, "{key} written back");
        count(&got, &mut read);
    }
    let typed: PythonJson<Member> = con.get("py:member").unwrap();
    assert_eq!(typed.0, member());
    count(&con.get::<_, PythonValue>("py:member").unwrap(), &mut read);
    assert_eq!(read, written, "every value Python wrote, by family");
    println!("written by Python, read by Rust: {read:?}");
    assert!(
        ["None", "bool", "int", "float", "str", "list", "tuple", "dict", "datetime", "date"]
            .iter()
            .all(|family| read[*family] >= 20),
        "{read:?}"
    );

    // An older Python producer's JSON envelope, migrated, through either envelope wrapper.
    let migrated = Order {
        id: 41,
        customer: "py".into(),
        lines: vec![],
        note: Some("migrated from v1".into()),
    };
    let json: JsonValue<Order> = con.get("py:envelope:order-v1").unwrap();
    let binary: BinaryValue<Order> = con.get("py:envelope:order-v1").unwrap();
    assert_eq!((json.0, binary.0), (migrated.clone(), migrated));

    // Hostile values a Python service can write: Kimera's errors, word for word.
    for (name, contains) in [
        ("short-year", "years below 1000 without zero padding"),
        ("big-int", "is beyond the 64-bit range"),
        ("custom-handler", "unknown handler `MoneySerializerHandler`"),
        ("truncated", "unexpected end inside a string"),
        ("not-json", "expected a JSON value at byte 0"),
    ] {
        let key = format!("py:hostile:{name}");
        let raw: String = con.get(&key).unwrap();
        let kimera = python::Value::from_wire(&raw).unwrap_err();
        let err = con.get::<_, PythonValue>(&key).unwrap_err();
        assert_eq!(err.to_string(), redis_message(&kimera), "{key}");
        assert!(err.to_string().contains(contains), "{key}: {err}");
        let typed = con.get::<_, PythonJson<Member>>(&key).unwrap_err();
        assert_eq!(typed.to_string(), redis_message(&kimera), "{key}");
        let envelope = con.get::<_, JsonValue<Order>>(&key).unwrap_err();
        let kimera = kimera::from_slice::<Order>(raw.as_bytes()).unwrap_err();
        assert_eq!(envelope.to_string(), redis_message(&kimera), "{key}");
    }
}

/// A random value of the Python model, nested at most three deep, of what the format holds
/// exactly (finite floats: the descriptions are JSON; years the Python side reads back).
fn random_value(rng: &mut XorShift, depth: u32) -> Value {
    let families = if depth < 3 { 10 } else { 7 };
    match rng.below(families) {
        0 => Value::None,
        1 => Value::Bool(rng.next() % 2 == 0),
        2 => Value::Int(match rng.below(2) {
            0 => rng.below(2001) as i64 - 1000,
            _ => rng.next() as i64,
        }),
        3 => loop {
            let x = f64::from_bits(rng.next());
            if x.is_finite() {
                break Value::Float(x);
            }
        },
        4 => {
            let alphabet: Vec<char> = "ab \"\\/\n\t\u{0}\u{1f}\u{7f}ñ€日😀".chars().collect();
            let len = rng.below(13);
            Value::Str(
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect(),
            )
        }
        5 | 6 => {
            let date = NaiveDate::from_ymd_opt(
                1000 + rng.below(9000) as i32,
                1 + rng.below(12) as u32,
                1 + rng.below(28) as u32,
            )
            .unwrap();
            match rng.below(2) {
                0 => Value::Date(date),
                _ => Value::DateTime(
                    date.and_hms_micro_opt(
                        rng.below(24) as u32,
                        rng.below(60) as u32,
                        rng.below(60) as u32,
                        rng.below(1_000_000) as u32,
                    )
                    .unwrap(),
                ),
            }
        }
        family => {
            let len = rng.below(5);
            let items: Vec<Value> = (0..len).map(|_| random_value(rng, depth + 1)).collect();
            match family {
                7 => Value::List(items),
                8 => Value::Tuple(items),
                _ => Value::Dict(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (format!("k{i}-ñ"), v))
                        .collect(),
                ),
            }
        }
    }
}

/// Writes `value` as both envelopes under `rs:envelope:{name}`, and what Python must read from
/// them (`:expected`: type, version and the value as serde_json writes it).
fn write_envelopes<T: KimeraHandler + Serialize>(
    con: &mut redis::Connection,
    name: &str,
    value: &T,
) {
    let base = format!("rs:envelope:{name}");
    let expected = json!({
        "type": T::type_name(),
        "version": T::VERSION,
        "value": serde_json::to_value(value).unwrap(),
    });
    let () = con
        .set(
            format!("{base}:binary"),
            BinaryValue(value).encode().unwrap(),
        )
        .unwrap();
    let () = con
        .set(format!("{base}:json"), JsonValue(value).encode().unwrap())
        .unwrap();
    let () = con
        .set(format!("{base}:expected"), expected.to_string())
        .unwrap();
}

#[test]
fn values_rust_writes_are_read_in_python() {
    let Some(server) = Server::start("from-rust") else {
        return;
    };
    let mut con = server.connection().unwrap();
    let mut written = BTreeMap::new();

    let mut put = |con: &mut redis::Connection, key: String, value: &Value| {
        let () = con
            .set(&key, PythonValue(value.clone()).encode().unwrap())
            .unwrap();
        let () = con
            .set(format!("{key}:described"), describe(value).to_string())
            .unwrap();
        count(value, &mut written);
    };
    for (id, value, _) in vectors() {
        put(&mut con, format!("rs:python:vector:{id}"), &value);
    }
    let mut rng = XorShift(0x5EED_4BE5);
    for i in 0..300 {
        put(
            &mut con,
            format!("rs:python:random:{i}"),
            &random_value(&mut rng, 0),
        );
    }
    let () = con
        .set("rs:member", PythonJson(&member()).encode().unwrap())
        .unwrap();
    count(
        &Value::from_wire(&python::to_string(&member()).unwrap()).unwrap(),
        &mut written,
    );

    let at = |d: u32| {
        NaiveDate::from_ymd_opt(2024, 3, d)
            .unwrap()
            .and_hms_micro_opt(9, 0, d, d * 1000)
            .unwrap()
    };
    let orders = (0..5u64).map(|id| Order {
        id,
        customer: format!("customer-ñ-{id}"),
        lines: (0..id)
            .map(|n| Line {
                sku: format!("SKU-{n}"),
                qty: n as u32 + 1,
            })
            .collect(),
        note: (id % 2 == 0).then(|| format!("note {id}")),
    });
    for (i, order) in orders.enumerate() {
        write_envelopes(&mut con, &format!("order-{i}"), &order);
    }
    let events = [
        Event::Placed {
            order: 1,
            at: at(1),
        },
        Event::Cancelled(2, "changed my mind".into()),
        Event::Audited,
    ];
    for (i, event) in events.iter().enumerate() {
        write_envelopes(&mut con, &format!("event-{i}"), event);
    }
    let totals: BTreeMap<String, Vec<i64>> =
        [("a".into(), vec![1, -2]), ("b".into(), vec![i64::MIN])].into();
    write_envelopes(&mut con, "totals", &totals);
    // Python reads binary bodies with the writers' schemas, as a deployment ships them.
    for (name, document) in [
        ("order", kimera::schema::document::Document::of::<Order>()),
        ("event", kimera::schema::document::Document::of::<Event>()),
    ] {
        let () = con
            .set(
                format!("rs:schema:{name}"),
                serde_json::to_string(&document).unwrap(),
            )
            .unwrap();
    }
    written.insert("binary envelope".into(), 9);
    written.insert("json envelope".into(), 9);

    let checked = server.python("check");
    assert_eq!(checked, written, "every value Rust wrote, by family");
    println!("written by Rust, read by Python: {checked:?}");
}

#[test]
fn older_versions_are_migrated_from_either_backend() {
    let Some(server) = Server::start("migration") else {
        return;
    };
    let mut con = server.connection().unwrap();
    let v1 = OrderV1 {
        id: 9,
        customer: "old".into(),
    };
    let () = con
        .set("v1:binary", BinaryValue(&v1).encode().unwrap())
        .unwrap();
    let () = con
        .set("v1:json", JsonValue(&v1).encode().unwrap())
        .unwrap();
    let expected = Order::from(v1);
    for key in ["v1:binary", "v1:json"] {
        let BinaryValue(binary) = con.get::<_, BinaryValue<Order>>(key).unwrap();
        let JsonValue(json) = con.get::<_, JsonValue<Order>>(key).unwrap();
        assert_eq!((&binary, &json), (&expected, &expected), "{key}");
    }
}

#[test]
fn missing_keys_and_replies_that_hold_no_value() {
    let Some(server) = Server::start("replies") else {
        return;
    };
    let mut con = server.connection().unwrap();
    let err = con.get::<_, BinaryValue<Order>>("absent").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Incompatible type - the key holds no value (a nil reply), expected a Kimera envelope"
    );
    let err = con.get::<_, PythonValue>("absent").unwrap_err();
    assert!(
        err.to_string()
            .contains("expected the Python Kimera library's JSON"),
        "{err}"
    );
    assert_eq!(
        con.get::<_, Option<JsonValue<Order>>>("absent").unwrap(),
        None
    );

    let order = Order {
        id: 1,
        customer: "c".into(),
        lines: vec![],
        note: None,
    };
    let () = con
        .set("present", JsonValue(&order).encode().unwrap())
        .unwrap();
    let both: Vec<Option<BinaryValue<Order>>> = con.mget(&["present", "absent"]).unwrap();
    assert_eq!(both, [Some(BinaryValue(order.clone())), None]);

    // Hash fields are values too.
    let () = con
        .hset("orders", "1", BinaryValue(&order).encode().unwrap())
        .unwrap();
    let field: JsonValue<Order> = con.hget("orders", "1").unwrap();
    assert_eq!(field.0, order);

    // Replies that are not strings: an integer, an array.
    let err = redis::cmd("INCR")
        .arg("counter")
        .query::<JsonValue<u64>>(&mut con)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Incompatible type - expected a string reply holding a Kimera envelope, found an integer"
    );
    let err = redis::cmd("KEYS")
        .arg("present")
        .query::<PythonValue>(&mut con)
        .unwrap_err();
    assert!(
        err.to_string().ends_with("found an array of 1 replies"),
        "{err}"
    );
}

#[test]
fn garbage_in_a_key_is_a_kimera_error_never_a_panic() {
    let Some(server) = Server::start("garbage") else {
        return;
    };
    let mut con = server.connection().unwrap();
    let order = Order {
        id: 5,
        customer: "five".into(),
        lines: vec![Line {
            sku: "S".into(),
            qty: 2,
        }],
        note: Some("n".into()),
    };
    let good = [
        BinaryValue(&order).encode().unwrap().into_bytes(),
        JsonValue(&order).encode().unwrap().into_bytes(),
        PythonJson(&member()).encode().unwrap().into_bytes(),
    ];
    let mut rng = XorShift(0xBAD_C0DE);
    let mut inputs: Vec<Vec<u8>> = vec![vec![], b"{".to_vec(), vec![0x4B, 0xE5], vec![0xFF; 64]];
    for _ in 0..300 {
        let mut bytes = good[rng.below(good.len())].clone();
        match rng.below(3) {
            0 => bytes.truncate(rng.below(bytes.len())),
            1 => {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            _ => bytes = (0..rng.below(80)).map(|_| rng.byte()).collect(),
        }
        inputs.push(bytes);
    }
    let (mut refused, mut accepted) = (0, 0);
    for (i, bytes) in inputs.iter().enumerate() {
        let key = format!("garbage:{i}");
        let () = con.set(&key, bytes).unwrap();
        let direct = kimera::from_slice::<Order>(bytes);
        let envelope = con.get::<_, BinaryValue<Order>>(&key);
        match (&direct, &envelope) {
            (Err(kimera), Err(err)) => {
                assert_eq!(err.to_string(), redis_message(kimera), "{key}");
                assert!(err.to_string().len() < 2048, "{key}: bounded");
                refused += 1;
            }
            // A flipped bit the format cannot see (in the JSON text of a number, say).
            (Ok(direct), Ok(BinaryValue(read))) => {
                assert_eq!(direct, read, "{key}");
                accepted += 1;
            }
            _ => panic!("{key}: the wrapper disagrees with kimera::from_slice"),
        }
        let python = con.get::<_, PythonValue>(&key);
        match std::str::from_utf8(bytes) {
            Ok(text) => match (python::Value::from_wire(text), python) {
                (Err(kimera), Err(err)) => assert_eq!(err.to_string(), redis_message(kimera)),
                (Ok(direct), Ok(read)) => assert_eq!(direct, *read, "{key}"),
                _ => panic!("{key}: the wrapper disagrees with python::Value::from_wire"),
            },
            Err(_) => assert!(
                python.unwrap_err().to_string().contains("not UTF-8 text"),
                "{key}"
            ),
        }
    }
    assert!(refused > 250, "{refused} refused, {accepted} accepted");
}

/// What Kimera cannot write never reaches Redis: `encode` says why (no server needed).
#[test]
fn values_no_format_can_hold_are_refused_before_redis() {
    let err = JsonValue(f64::NAN).encode().unwrap_err();
    assert!(
        matches!(err.kind(), kimera::ErrorKind::Encode { .. }),
        "{err}"
    );
    let ancient = Value::Date(NaiveDate::from_ymd_opt(0, 1, 1).unwrap());
    let err = PythonValue(ancient).encode().unwrap_err();
    assert!(
        err.to_string().contains("outside Python's 1 to 9999"),
        "{err}"
    );
    let big: HashMap<&str, u64> = [("n", u64::MAX)].into();
    let err = PythonJson(&big).encode().unwrap_err();
    assert!(err.to_string().contains("64-bit"), "{err}");
}

/// Counts a described pickle value and every value nested in it by family, as
/// `redis_interop.py` does.
fn pickle_families(
    description: &serde_json::Value,
    prefix: &str,
    counts: &mut BTreeMap<String, u64>,
) {
    let family = description["t"].as_str().unwrap();
    *counts.entry(format!("{prefix} {family}")).or_default() += 1;
    let items = description["v"].as_array();
    match family {
        "dict" => items
            .unwrap()
            .iter()
            .flat_map(|pair| pair.as_array().unwrap())
            .for_each(|d| pickle_families(d, prefix, counts)),
        "list" | "tuple" | "set" | "frozenset" => items
            .unwrap()
            .iter()
            .for_each(|d| pickle_families(d, prefix, counts)),
        _ => {}
    }
}

#[test]
fn pickles_python_stores_are_read_in_rust_and_rust_pickles_load_in_python() {
    let Some(server) = Server::start("pickle") else {
        return;
    };
    let written = server.python("write-pickles");
    let mut con = server.connection().unwrap();
    let mut read = BTreeMap::new();
    let values = 150;
    for i in 0..values {
        let description: String = con.get(format!("py:pickle:{i}:described")).unwrap();
        let description: serde_json::Value = serde_json::from_str(&description).unwrap();
        let mut first = None;
        for protocol in 0..6 {
            let key = format!("py:pickle:{i}:p{protocol}");
            let PickleValue(value) = con.get(&key).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert!(
                pickle_values::same(&pickle_values::describe(&value), &description),
                "{key}: {value:?}"
            );
            pickle_families(&description, &format!("p{protocol}"), &mut read);
            first.get_or_insert(value);
        }
        // Rust's own pickle of the value, for Python to load.
        let _: () = con
            .set(
                format!("rs:pickle:{i}"),
                PickleValue(first.unwrap()).encode().unwrap(),
            )
            .unwrap();
    }
    assert_eq!(
        read, written,
        "every family Python pickled, at every protocol, read"
    );
    for protocol in 0..6 {
        let Pickle(typed): Pickle<Member> =
            con.get(format!("py:pickle:member:p{protocol}")).unwrap();
        assert_eq!(typed, member(), "protocol {protocol}");
    }
    let _: () = con
        .set("rs:pickle:member", Pickle(&member()).encode().unwrap())
        .unwrap();
    let err = con.get::<_, PickleValue>("py:pickle:hostile").unwrap_err();
    assert!(err.to_string().contains("`posix.system`"), "{err}");

    let checked = server.python("check-pickles");
    assert_eq!(checked.get("rust member"), Some(&1));
    let rust: u64 = checked
        .iter()
        .filter(|(k, _)| k.starts_with("rust "))
        .map(|(_, n)| n)
        .sum();
    let p4: u64 = written
        .iter()
        .filter(|(k, _)| k.starts_with("p4 "))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        rust,
        p4 + 1,
        "every value Rust pickled, loaded and equal in Python"
    );
    println!("pickles through Redis: Python wrote {written:?}; Python loaded Rust's {checked:?}");
}
