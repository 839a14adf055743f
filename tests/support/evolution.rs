//! Pairs of types as two builds of one program have them: `v1` is the shape an old build wrote,
//! `v2` the shape of the next build, under the same Kimera name and version (a resolvable change
//! needs no version bump). Each case says what an old value becomes in the new shape and what
//! a new value becomes in the old one, the conversions a user would otherwise write by hand.
//!
//! Golden files under `tests/golden/evolution/` hold what each build wrote, in both backends,
//! plain and with the schema carried; `KIMERA_WRITE_GOLDEN=1` rewrites them from these types
//! (they are otherwise never written by the tests).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use kimera::{Binary, Format, Json, Kimera, KimeraHandler};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Derives for a test double of one build's type: not registered, so that both builds' types
/// share their names in one test binary.
macro_rules! build_type {
    ($name:literal, $item:item) => {
        #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
        #[kimera(name = $name, register = false)]
        $item
    };
}

pub mod added_default {
    use super::*;
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Added",
            pub struct T {
                pub id: u32,
                pub name: String,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Added",
            pub struct T {
                pub id: u32,
                pub name: String,
                #[serde(default)]
                pub score: u64,
                pub nick: Option<String>,
            }
        );
    }
}

pub mod removed_reordered {
    use super::*;
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Removed",
            pub struct T {
                pub a: u8,
                pub legacy: Vec<u8>,
                pub b: String,
                pub c: bool,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Removed",
            pub struct T {
                pub c: bool,
                pub a: u8,
                pub b: String,
            }
        );
    }
}

pub mod renamed {
    use super::*;
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Renamed",
            pub struct T {
                pub id: u32,
                pub qty: u32,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Renamed",
            pub struct T {
                pub id: u32,
                #[serde(alias = "qty")]
                pub quantity: u32,
            }
        );
    }
}

pub mod variant_added {
    use super::*;
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Event",
            pub enum T {
                Opened,
                Paid(u32),
                #[serde(other)]
                Unknown,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Event",
            pub enum T {
                Refunded { amount: u32, reason: String },
                Opened,
                Closed,
                Paid(u32),
                Unknown,
            }
        );
    }
}

pub mod widened {
    use super::*;
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Widened",
            pub struct T {
                pub a: u8,
                pub b: i32,
                pub c: u16,
                pub d: f32,
                pub e: u32,
                pub f: Vec<u8>,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Widened",
            pub struct T {
                pub a: u32,
                pub b: i64,
                pub c: f64,
                pub d: f64,
                pub e: Option<u64>,
                pub f: Option<Vec<u16>>,
            }
        );
    }
}

/// A named type changed inside containers, options, tuples, boxes and a generic argument of
/// the type holding it.
pub mod nested {
    use super::*;
    build_type!(
        "ev.Page",
        pub struct Page<L> {
            pub items: Vec<L>,
            pub next: Option<Box<L>>,
        }
    );
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Line",
            pub struct Line {
                pub sku: String,
                pub qty: u16,
            }
        );
        build_type!(
            "ev.Order",
            pub struct T {
                pub lines: Vec<Line>,
                pub by_sku: BTreeMap<String, Line>,
                pub best: Option<Box<Line>>,
                pub pair: (Line, u8),
                pub page: Page<Line>,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Line",
            pub struct Line {
                pub sku: String,
                pub qty: u16,
                #[serde(default)]
                pub gift: bool,
            }
        );
        build_type!(
            "ev.Order",
            pub struct T {
                pub lines: Vec<Line>,
                pub by_sku: BTreeMap<String, Line>,
                pub best: Option<Box<Line>>,
                pub pair: (Line, u8),
                pub page: Page<Line>,
            }
        );
    }
}

/// Foreign and time types, which bincode writes in shapes of their own, beside a changed field.
pub mod foreign {
    use super::*;
    use std::net::IpAddr;
    use std::time::{Duration, SystemTime};
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.Session",
            pub struct T {
                pub id: uuid::Uuid,
                pub peer: IpAddr,
                pub ttl: Duration,
                pub started: SystemTime,
                pub at: chrono::DateTime<chrono::Utc>,
                #[serde(with = "kimera::compact")]
                pub compact_at: chrono::NaiveDateTime,
                pub day: chrono::NaiveDate,
                pub took: chrono::TimeDelta,
                pub hits: u16,
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.Session",
            pub struct T {
                pub id: uuid::Uuid,
                pub peer: IpAddr,
                pub ttl: Duration,
                pub started: SystemTime,
                pub at: chrono::DateTime<chrono::Utc>,
                #[serde(with = "kimera::compact")]
                pub compact_at: chrono::NaiveDateTime,
                pub day: chrono::NaiveDate,
                pub took: chrono::TimeDelta,
                pub hits: u64,
                #[serde(default)]
                pub user_agent: String,
            }
        );
    }
}

/// Changes no reader can resolve: each is refused with a named error.
pub mod unresolvable {
    use super::*;
    pub mod v1 {
        use super::*;
        build_type!(
            "ev.NoDefault",
            pub struct NoDefault {
                pub id: u32,
            }
        );
        build_type!(
            "ev.Narrowed",
            pub struct Narrowed {
                pub n: u64,
            }
        );
        build_type!(
            "ev.Retyped",
            pub struct Retyped {
                pub tags: Vec<String>,
            }
        );
        build_type!(
            "ev.Closed",
            pub enum Closed {
                A,
                B(u8),
            }
        );
    }
    pub mod v2 {
        use super::*;
        build_type!(
            "ev.NoDefault",
            pub struct NoDefault {
                pub id: u32,
                pub must: u32,
            }
        );
        build_type!(
            "ev.Narrowed",
            pub struct Narrowed {
                pub n: u8,
            }
        );
        build_type!(
            "ev.Retyped",
            pub struct Retyped {
                pub tags: Vec<u32>,
            }
        );
        build_type!(
            "ev.Closed",
            pub enum Closed {
                A,
                B(u8),
                C(String),
            }
        );
    }
}

pub fn golden(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/evolution")
        .join(file)
}

pub fn encode<T: KimeraHandler + Serialize>(form: &str, value: &T) -> Vec<u8> {
    match form {
        "bin" => Binary::new().encode(value),
        "schema.bin" => Binary::new().with_schema().encode(value),
        "json" => Json::new().encode(value),
        other => unreachable!("{other}"),
    }
    .unwrap()
}

pub fn decode<T: KimeraHandler + DeserializeOwned>(form: &str, bytes: &[u8]) -> kimera::Result<T> {
    match form {
        "bin" | "schema.bin" => Binary::new().decode(bytes),
        "json" => Json::new().decode(bytes),
        other => unreachable!("{other}"),
    }
}

/// What `build` (`v1` or `v2`) wrote for `case` in `form`: read from the golden file, which
/// must be what the build's type writes today (the encoding is pinned too).
pub fn written<T: KimeraHandler + Serialize>(
    case: &str,
    build: &str,
    form: &str,
    value: &T,
) -> Vec<u8> {
    let path = golden(&format!("{case}.{build}.{form}"));
    let fresh = encode(form, value);
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        stored,
        fresh,
        "{} no longer matches what the type writes",
        path.display()
    );
    stored
}

/// `old`, as the old build wrote it in each of `forms` (`bin`: binary, the reader needs the
/// writer's schema from elsewhere; `schema.bin`: binary carrying it; `json`), reads as
/// `upgraded` in the new build.
pub fn upgrades<Old, New>(case: &str, forms: &[&str], old: &Old, upgraded: &New)
where
    Old: KimeraHandler + Serialize,
    New: KimeraHandler + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    reads(case, "v1", forms, old, upgraded);
}

/// `new`, as the new build wrote it, reads as `downgraded` in the old build (a rollback, or an
/// old instance during a rolling deploy).
pub fn downgrades<New, Old>(case: &str, forms: &[&str], new: &New, downgraded: &Old)
where
    New: KimeraHandler + Serialize,
    Old: KimeraHandler + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    reads(case, "v2", forms, new, downgraded);
}

fn reads<W, R>(case: &str, build: &str, forms: &[&str], value: &W, expected: &R)
where
    W: KimeraHandler + Serialize,
    R: KimeraHandler + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    for &form in forms {
        let bytes = written(case, build, form, value);
        let read: R = decode(form, &bytes).unwrap_or_else(|e| panic!("{case} {build} {form}: {e}"));
        assert_eq!(
            &read, expected,
            "{case}: {form} of {build} read by the other build"
        );
    }
}

/// What a reader of `T` says of `bytes` in `form`: the error, as text.
pub fn refusal<T: KimeraHandler + DeserializeOwned + std::fmt::Debug>(
    form: &str,
    bytes: &[u8],
) -> String {
    match decode::<T>(form, bytes) {
        Ok(value) => panic!("{form}: read {value:?}"),
        Err(err) => err.to_string(),
    }
}

pub mod values {
    use super::*;

    pub fn added() -> (added_default::v1::T, added_default::v2::T) {
        (
            added_default::v1::T {
                id: 7,
                name: "ada".into(),
            },
            added_default::v2::T {
                id: 7,
                name: "ada".into(),
                score: 0,
                nick: None,
            },
        )
    }

    pub fn nested_line1(sku: &str, qty: u16) -> nested::v1::Line {
        nested::v1::Line {
            sku: sku.into(),
            qty,
        }
    }

    pub fn nested_line2(sku: &str, qty: u16) -> nested::v2::Line {
        nested::v2::Line {
            sku: sku.into(),
            qty,
            gift: false,
        }
    }

    pub fn order1() -> nested::v1::T {
        let l = nested_line1;
        nested::v1::T {
            lines: vec![l("a", 1), l("b", 2)],
            by_sku: [("c".to_owned(), l("c", 3))].into(),
            best: Some(Box::new(l("d", 4))),
            pair: (l("e", 5), 9),
            page: nested::Page {
                items: vec![l("f", 6)],
                next: Some(Box::new(l("g", 7))),
            },
        }
    }

    /// `order1` as the new build has it: what a hand-written conversion gives.
    pub fn order2() -> nested::v2::T {
        let l = nested_line2;
        nested::v2::T {
            lines: vec![l("a", 1), l("b", 2)],
            by_sku: [("c".to_owned(), l("c", 3))].into(),
            best: Some(Box::new(l("d", 4))),
            pair: (l("e", 5), 9),
            page: nested::Page {
                items: vec![l("f", 6)],
                next: Some(Box::new(l("g", 7))),
            },
        }
    }
}
