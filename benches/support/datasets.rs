//! The benchmark datasets, generated from a fixed seed: the same values on every run and every
//! machine, with nothing to download.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use kimera::Kimera;
use serde::{Deserialize, Serialize};

/// SplitMix64: a tiny, well-mixed generator whose output never changes between versions (the
/// `rand` crate's generators make no such promise).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SEED: u64 = 0x4b69_6d65_7261; // "Kimera"

/// One line of a web server's access log.
#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
#[kimera(name = "bench.Log")]
pub struct Log {
    pub address: [u8; 4],
    pub identity: String,
    pub userid: String,
    pub date: String,
    pub request: String,
    pub code: u16,
    pub size: u64,
}

/// [`Log`] as an older build wrote it: the same record with a `u32` size, under the same name
/// and version, so its envelopes carry another fingerprint and a reader of [`Log`] resolves them
/// through the writer's schema. Out of the registry, which holds one shape per name.
#[derive(Serialize, Kimera, Clone, Debug, PartialEq)]
#[kimera(name = "bench.Log", register = false)]
pub struct OldLog {
    pub address: [u8; 4],
    pub identity: String,
    pub userid: String,
    pub date: String,
    pub request: String,
    pub code: u16,
    pub size: u32,
}

impl From<&Log> for OldLog {
    fn from(log: &Log) -> Self {
        let log = log.clone();
        OldLog {
            address: log.address,
            identity: log.identity,
            userid: log.userid,
            date: log.date,
            request: log.request,
            code: log.code,
            size: u32::try_from(log.size).expect("log sizes are below 100,000"),
        }
    }
}

/// `count` log records, with request lines from a few to a few dozen characters.
pub fn logs(count: usize) -> Vec<Log> {
    const METHODS: [&str; 4] = ["GET", "GET", "POST", "HEAD"];
    const PATHS: [&str; 8] = [
        "/",
        "/a",
        "/index.html",
        "/api/v1/users",
        "/static/app.js",
        "/img/logo.png",
        "/search?q=kimera+serialization",
        "/api/v2/orders/8842/lines?page=3&per_page=50",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut rng = Rng::new(SEED);
    (0..count)
        .map(|_| Log {
            address: (rng.next() as u32).to_le_bytes(),
            identity: "-".into(),
            userid: if rng.below(3) == 0 {
                format!("user{}", rng.below(1000))
            } else {
                "-".into()
            },
            date: format!(
                "{:02}/{}/2026:{:02}:{:02}:{:02} +0000",
                1 + rng.below(28),
                rng.pick(&MONTHS),
                rng.below(24),
                rng.below(60),
                rng.below(60),
            ),
            request: format!("{} {} HTTP/1.1", rng.pick(&METHODS), rng.pick(&PATHS)),
            code: *rng.pick(&[200, 200, 200, 304, 404, 500]),
            size: rng.below(100_000),
        })
        .collect()
}

/// A point or direction in space.
#[derive(Serialize, Deserialize, Kimera, Clone, Copy, Debug, PartialEq)]
#[kimera(name = "bench.Vec3")]
pub struct Vec3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

/// A triangle of a mesh: three vertices and its normal.
#[derive(Serialize, Deserialize, Kimera, Clone, Copy, Debug, PartialEq)]
#[kimera(name = "bench.Triangle")]
pub struct Triangle {
    pub v0: Vec3,
    pub v1: Vec3,
    pub v2: Vec3,
    pub normal: Vec3,
}

/// `count` triangles with coordinates in `[-100, 100)`.
pub fn mesh(count: usize) -> Vec<Triangle> {
    let mut rng = Rng::new(SEED);
    let mut vec3 = |scale: f64| Vec3 {
        x: ((rng.unit() * 2.0 - 1.0) * scale) as f32,
        y: ((rng.unit() * 2.0 - 1.0) * scale) as f32,
        z: ((rng.unit() * 2.0 - 1.0) * scale) as f32,
    };
    (0..count)
        .map(|_| Triangle {
            v0: vec3(100.0),
            v1: vec3(100.0),
            v2: vec3(100.0),
            normal: vec3(1.0),
        })
        .collect()
}

/// What happened, in an event.
#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
#[kimera(name = "bench.EventKind")]
pub enum EventKind {
    Click { x: u16, y: u16 },
    View(String),
    Purchase { amount: f64, currency: String },
    Logout,
}

/// Declares an event record twice: once with chrono's own serde impls (ISO 8601 text), once
/// with Kimera's compact chrono handlers (integers). Same fields, same data.
macro_rules! event_types {
    ($(#[$meta:meta])* $name:ident, $(#[$time:meta])*) => {
        #[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
        $(#[$meta])*
        pub struct $name {
            pub id: u64,
            $(#[$time])*
            pub at: NaiveDateTime,
            $(#[$time])*
            pub day: NaiveDate,
            pub kind: EventKind,
            pub tags: Vec<String>,
            pub metrics: BTreeMap<String, f64>,
            $(#[$time])*
            pub expires: Option<NaiveDateTime>,
            pub parent: Option<u64>,
        }
    };
}

event_types!(
    /// A product-analytics event, with chrono fields as ISO 8601 text.
    #[kimera(name = "bench.Event")]
    Event,
);

event_types!(
    /// [`Event`] with its chrono fields in Kimera's compact form.
    #[kimera(name = "bench.CompactEvent")]
    CompactEvent,
    #[serde(with = "kimera::compact")]
);

impl From<&Event> for CompactEvent {
    fn from(e: &Event) -> Self {
        let e = e.clone();
        CompactEvent {
            id: e.id,
            at: e.at,
            day: e.day,
            kind: e.kind,
            tags: e.tags,
            metrics: e.metrics,
            expires: e.expires,
            parent: e.parent,
        }
    }
}

/// `count` events spread over 2026.
pub fn events(count: usize) -> Vec<Event> {
    const TAGS: [&str; 6] = ["mobile", "web", "beta", "eu", "returning", "campaign-42"];
    const METRICS: [&str; 5] = ["latency_ms", "scroll", "dwell_s", "cpu", "score"];
    let start = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date");
    let mut rng = Rng::new(SEED);
    (0..count)
        .map(|i| {
            let at = start
                + TimeDelta::seconds(rng.below(365 * 86_400) as i64)
                + TimeDelta::microseconds(rng.below(1_000_000) as i64);
            let kind = match rng.below(4) {
                0 => EventKind::Click {
                    x: rng.below(1920) as u16,
                    y: rng.below(1080) as u16,
                },
                1 => EventKind::View(format!("/products/{}", rng.below(5000))),
                2 => EventKind::Purchase {
                    amount: (rng.below(100_000) as f64) / 100.0,
                    currency: rng.pick(&["EUR", "USD", "JPY"]).to_string(),
                },
                _ => EventKind::Logout,
            };
            Event {
                id: i as u64,
                at,
                day: at.date(),
                kind,
                tags: (0..rng.below(4))
                    .map(|_| rng.pick(&TAGS).to_string())
                    .collect(),
                metrics: (0..1 + rng.below(4))
                    .map(|_| (rng.pick(&METRICS).to_string(), rng.unit() * 1000.0))
                    .collect(),
                expires: (rng.below(2) == 0).then(|| at + TimeDelta::days(30)),
                parent: (i > 0 && rng.below(3) == 0).then(|| rng.below(i as u64)),
            }
        })
        .collect()
}

/// A small RPC request, about 100 bytes encoded.
#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
#[kimera(name = "rpc.GetOrders")]
pub struct Request {
    pub request_id: u64,
    pub method: String,
    pub customer: String,
    pub limit: u32,
    pub offset: u32,
    pub include_lines: bool,
    pub trace: Option<String>,
}

pub fn request() -> Request {
    Request {
        request_id: 0x5eed_0000_1234,
        method: "orders.list".into(),
        customer: "customer-000042".into(),
        limit: 50,
        offset: 150,
        include_lines: true,
        trace: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-01".into()),
    }
}
