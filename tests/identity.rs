//! Identities that tell the truth: a fingerprint covers every derived type reachable from any
//! field, whatever holds it, and no name or fingerprint depends on how a path is spelled.

use kimera::{ErrorKind, Kimera, KimeraHandler};
use serde::{Deserialize, Serialize};

/// Two versions of one type that differ only in the order of two same-typed fields, and an
/// outer type holding it as `$field`. Bytes of the outer type written before the reorder must
/// be refused after it: read positionally, they would swap the fields silently.
macro_rules! reorder_is_refused {
    ($($test:ident: $field:ty = $value:expr;)*) => {$(
        #[test]
        fn $test() {
            mod before {
                use super::*;

                #[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
                #[kimera(name = "test.Stack", register = false)]
                pub struct Stack {
                    pub slot: u8,
                    pub count: u8,
                }

                #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
                #[kimera(name = "test.Bank", register = false)]
                pub struct Bank {
                    pub held: $field,
                }
            }
            mod after {
                use super::*;

                #[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
                #[kimera(name = "test.Stack", register = false)]
                pub struct Stack {
                    pub count: u8,
                    pub slot: u8,
                }

                #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
                #[kimera(name = "test.Bank", register = false)]
                pub struct Bank {
                    pub held: $field,
                }
            }
            let stack = before::Stack { slot: 3, count: 64 };
            #[allow(clippy::redundant_closure_call)]
            let held = ($value)(stack);
            let bytes = kimera::binary::to_vec(&before::Bank { held }).unwrap();
            assert_ne!(before::Bank::FINGERPRINT, after::Bank::FINGERPRINT);
            let err = kimera::binary::from_slice::<after::Bank>(&bytes).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::FingerprintMismatch { type_name, holds, .. }
                    if type_name == "test.Bank" && holds.iter().any(|h| h == "test.Stack")),
                "{err}"
            );
            // The message names the inner type as where the change may be.
            let message = err.to_string();
            assert!(message.contains("in it or in a type it holds (`"), "{message}");
            assert!(message.contains("`test.Stack`"), "{message}");
        }
    )*};
}

/// A generic wrapper: the inner type reaches the fingerprint as a generic argument.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Page", register = false)]
pub struct Page<T> {
    items: Vec<T>,
}

reorder_is_refused! {
    through_a_vec: Vec<Stack> = |s| vec![s];
    through_map_values: std::collections::HashMap<uuid::Uuid, Stack> =
        |s| [(uuid::Uuid::from_u128(7), s)].into_iter().collect();
    through_map_keys: std::collections::BTreeMap<Stack, u8> = |s| [(s, 1)].into_iter().collect();
    through_an_option: Option<Stack> = Some;
    through_a_tuple: (u8, Stack) = |s| (1, s);
    through_an_array: [Stack; 2] = |s: before::Stack| [s.clone(), s];
    through_a_box: Box<Stack> = Box::new;
    through_a_set: std::collections::BTreeSet<Stack> = |s| [s].into_iter().collect();
    through_a_result: Result<Stack, String> = Ok;
    through_a_generic_argument: super::Page<Stack> = |s| Page { items: vec![s] };
    through_an_index_map: indexmap::IndexMap<String, Stack> =
        |s| [("a".to_owned(), s)].into_iter().collect();
    through_a_range: std::ops::Range<Stack> = |s: before::Stack| s.clone()..s;
}

/// `#[kimera(with = T)]`: the target's fingerprint is the field's.
#[test]
fn through_a_with_target() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct RawStack {
        slot: u8,
        count: u8,
    }
    mod before {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera)]
        #[kimera(name = "test.Stack", register = false)]
        pub struct Stack {
            pub slot: u8,
            pub count: u8,
        }
    }
    mod after {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera)]
        #[kimera(name = "test.Stack", register = false)]
        pub struct Stack {
            pub count: u8,
            pub slot: u8,
        }
    }
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "test.Bank", register = false)]
    struct BankBefore {
        #[kimera(with = before::Stack)]
        held: RawStack,
    }
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "test.Bank", register = false)]
    struct BankAfter {
        #[kimera(with = after::Stack)]
        held: RawStack,
    }
    assert_ne!(BankBefore::FINGERPRINT, BankAfter::FINGERPRINT);
}

mod spelled_in_full {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "test.Account", register = false)]
    pub struct Account {
        pub id: uuid::Uuid,
        pub peer: std::net::SocketAddr,
        #[serde(with = "kimera::compact")]
        pub opened: chrono::NaiveDateTime,
        #[serde(with = "::kimera::compact")]
        pub closed: Option<chrono::NaiveDate>,
    }
}

mod spelled_short {
    use std::net::SocketAddr as Peer;

    use chrono::{NaiveDate, NaiveDateTime};
    use kimera::compact as kc;
    use uuid::Uuid;

    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "test.Account", register = false)]
    pub struct Account {
        pub id: Uuid,
        pub peer: Peer,
        #[serde(with = "kc")]
        pub opened: NaiveDateTime,
        #[serde(with = "self::kc")]
        pub closed: Option<NaiveDate>,
    }
}

#[test]
fn renamed_imports_change_no_name_or_fingerprint() {
    use spelled_in_full::Account as Full;
    use spelled_short::Account as Short;
    assert_eq!(Full::SCHEMA, Short::SCHEMA);
    assert_eq!(Full::FINGERPRINT, Short::FINGERPRINT);
    assert_eq!(
        Short::SCHEMA.to_string(),
        "test.Account@1 struct { id: uuid, peer: socket_addr, opened: compact<datetime>, \
         closed: option<compact<date>> }"
    );
    let full = Full {
        id: uuid::Uuid::from_u128(1),
        peer: "127.0.0.1:80".parse().unwrap(),
        opened: chrono::DateTime::from_timestamp(1_795_599_000, 0)
            .unwrap()
            .naive_utc(),
        closed: None,
    };
    let bytes = kimera::binary::to_vec(&full).unwrap();
    let short: Short = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!(
        (short.id, short.peer, short.opened),
        (full.id, full.peer, full.opened)
    );
}

/// A field type with no handler, from "another crate".
mod remote {
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Coordinates(pub f64, pub f64);
}

#[test]
fn opaque_names_do_not_depend_on_the_path() {
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "test.Place", register = false)]
    struct Full {
        #[kimera(opaque)]
        at: remote::Coordinates,
    }
    use remote::Coordinates as Here;
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "test.Place", register = false)]
    struct Short {
        #[kimera(opaque)]
        at: Here,
    }
    assert_eq!(Full::FINGERPRINT, Short::FINGERPRINT);
    assert_eq!(
        Full::SCHEMA.to_string(),
        "test.Place@1 struct { at: opaque }"
    );
    // JSON carries opaque fields.
    let text = kimera::json::to_string(&Full {
        at: remote::Coordinates(1.5, -2.0),
    })
    .unwrap();
    let back: Short = kimera::json::from_str(&text).unwrap();
    assert_eq!((back.at.0, back.at.1), (1.5, -2.0));
}

#[test]
fn a_user_with_module_is_json_only_until_described() {
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "test.Hits", register = false)]
    struct Hits {
        #[serde(with = "as_text")]
        hits: u32,
    }
    assert!(Hits::BINARY_INCOMPATIBILITY
        .unwrap()
        .contains("`#[serde(with = ...)]` on field `hits`"));
    let text = kimera::json::to_string(&Hits { hits: 3 }).unwrap();
    assert!(text.contains(r#""hits":"3""#), "{text}");
    assert_eq!(
        kimera::json::from_str::<Hits>(&text).unwrap(),
        Hits { hits: 3 }
    );
    // Run-time backend choice refuses it by name rather than writing what cannot be read.
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "test.Hits", register = false)]
    struct Described {
        #[serde(with = "as_text")]
        #[kimera(with = String)]
        hits: u32,
    }
    assert_eq!(Described::BINARY_INCOMPATIBILITY, None);
    let bytes = kimera::binary::to_vec(&Described { hits: 9 }).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Described>(&bytes).unwrap(),
        Described { hits: 9 }
    );
    let err = kimera::from_slice::<Hits>(&bytes).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unsupported(_)), "{err}");
}

/// Two services' types that share an identifier, with default names.
mod api {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    pub struct Event {
        pub id: u64,
        pub kind: String,
    }
}

mod db {
    /// The same shape as `api::Event`, even: still another type.
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    pub struct Event {
        pub id: u64,
        pub kind: String,
    }

    /// A different shape under the same name.
    pub mod other {
        #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
        pub struct Event {
            pub id: u64,
        }
    }
}

/// The same type as `api::Event`, moved, that keeps reading its values under an explicit name.
mod moved {
    #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    #[kimera(name = "Event", register = false)]
    pub struct Event {
        pub id: u64,
        pub kind: String,
    }
}

fn is_collision(err: &kimera::Error) -> bool {
    matches!(err.kind(), ErrorKind::NameCollision { type_name, reader }
        if type_name == "Event" && reader.ends_with("db::Event"))
        && err
            .to_string()
            .starts_with("two different types are named `Event`")
}

#[test]
fn types_sharing_a_default_name_do_not_read_each_other() {
    assert_eq!(api::Event::type_name(), db::Event::type_name());
    assert_eq!(api::Event::FINGERPRINT, db::Event::FINGERPRINT);
    assert_eq!(api::Event::REFERENCE.origin(), Some("identity::api::Event"));
    let event = api::Event {
        id: 1,
        kind: "signup".into(),
    };
    let text = kimera::json::to_string(&event).unwrap();
    assert_eq!(
        text,
        r#"{"kimera":1,"type":"Event","version":1,"origin":"identity::api::Event","value":{"id":1,"kind":"signup"}}"#
    );
    assert_eq!(kimera::json::from_str::<api::Event>(&text).unwrap(), event);
    let err = kimera::json::from_str::<db::Event>(&text).unwrap_err();
    assert!(is_collision(&err), "{err}");
    // In another key order too, and through the general reader.
    let reordered = r#"{"value":{"id":1,"kind":"signup"},"origin":"identity::api::Event","version":1,"type":"Event","kimera":1}"#;
    assert_eq!(
        kimera::json::from_str::<api::Event>(reordered).unwrap(),
        event
    );
    assert!(is_collision(
        &kimera::json::from_str::<db::Event>(reordered).unwrap_err()
    ));

    let bytes = kimera::binary::to_vec(&event).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<api::Event>(&bytes).unwrap(),
        event
    );
    let err = kimera::binary::from_slice::<db::Event>(&bytes).unwrap_err();
    assert!(is_collision(&err), "{err}");
    // With different shapes, the diagnosis is still the shared name, not a schema change.
    let err = kimera::binary::from_slice::<db::other::Event>(&bytes).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );
    let err = kimera::json::from_str::<db::other::Event>(&text).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );
    // The header says where the value came from.
    let header = kimera::Format::header(&kimera::Binary::new(), &bytes).unwrap();
    assert_eq!(
        header.origin,
        Some(kimera_core::envelope::origin_hash("identity::api::Event"))
    );
    assert_eq!(header.origin, api::Event::REFERENCE.origin_hash());
}

#[test]
fn a_moved_type_keeps_reading_under_an_explicit_name() {
    let event = api::Event {
        id: 2,
        kind: "login".into(),
    };
    let text = kimera::json::to_string(&event).unwrap();
    let back: moved::Event = kimera::json::from_str(&text).unwrap();
    assert_eq!((back.id, back.kind.as_str()), (2, "login"));
    let bytes = kimera::binary::to_vec(&event).unwrap();
    let back: moved::Event = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!((back.id, back.kind.as_str()), (2, "login"));
    // Explicit names carry no origin: the name is the promise.
    assert_eq!(moved::Event::REFERENCE.origin_hash(), None);
    assert!(!kimera::json::to_string(&back).unwrap().contains("origin"));
}

#[test]
fn containers_of_types_sharing_a_default_name_do_not_read_each_other() {
    use std::collections::HashMap;
    let event = || api::Event {
        id: 3,
        kind: "refund".into(),
    };
    let list = vec![event()];
    assert_eq!(
        <Vec<api::Event>>::REFERENCE.origins().to_string(),
        "identity::api::Event"
    );
    let text = kimera::json::to_string(&list).unwrap();
    assert!(
        text.contains(r#""origin":"identity::api::Event""#),
        "{text}"
    );
    assert_eq!(
        kimera::json::from_str::<Vec<api::Event>>(&text).unwrap(),
        list
    );
    let err = kimera::json::from_str::<Vec<db::Event>>(&text).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );
    let bytes = kimera::binary::to_vec(&list).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Vec<api::Event>>(&bytes).unwrap(),
        list
    );
    let err = kimera::binary::from_slice::<Vec<db::Event>>(&bytes).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );

    // A map of both, and a generic type with an explicit name over them.
    let map: HashMap<String, (api::Event, db::Event)> = HashMap::from([(
        "k".to_owned(),
        (
            event(),
            db::Event {
                id: 4,
                kind: "x".into(),
            },
        ),
    )]);
    assert_eq!(
        <HashMap<String, (api::Event, db::Event)>>::REFERENCE
            .origins()
            .to_string(),
        "identity::api::Event,identity::db::Event"
    );
    let text = kimera::json::to_string(&map).unwrap();
    let back: HashMap<String, (api::Event, db::Event)> = kimera::json::from_str(&text).unwrap();
    assert_eq!(back, map);
    let swapped = kimera::json::from_str::<HashMap<String, (db::Event, api::Event)>>(&text);
    assert!(matches!(
        swapped.unwrap_err().kind(),
        ErrorKind::NameCollision { .. }
    ));
    let bytes = kimera::binary::to_vec(&map).unwrap();
    let swapped = kimera::binary::from_slice::<HashMap<String, (db::Event, api::Event)>>(&bytes);
    assert!(matches!(
        swapped.unwrap_err().kind(),
        ErrorKind::NameCollision { .. }
    ));

    let page = Page {
        items: vec![event()],
    };
    let bytes = kimera::binary::to_vec(&page).unwrap();
    let err = kimera::binary::from_slice::<Page<db::Event>>(&bytes).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );
    let text = kimera::json::to_string(&page).unwrap();
    let err = kimera::json::from_str::<Page<db::Event>>(&text).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );
    assert_eq!(
        kimera::json::from_str::<Page<api::Event>>(&text).unwrap(),
        page
    );
}

/// A default-named type whose frozen older version lives in another module: values of the
/// old version (written by the type at its old place) still migrate.
mod tickets {
    use super::*;

    pub mod v1 {
        use super::*;

        #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
        #[kimera(register = false)]
        pub struct Ticket {
            pub id: u64,
        }
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(version = 2, previous = v1::Ticket, register = false)]
    pub struct Ticket {
        pub id: u64,
        pub note: String,
    }

    impl From<v1::Ticket> for Ticket {
        fn from(old: v1::Ticket) -> Self {
            Ticket {
                id: old.id,
                note: String::new(),
            }
        }
    }
}

#[test]
fn older_versions_migrate_whatever_their_origin() {
    use tickets::{v1, Ticket};
    let text = kimera::json::to_string(&v1::Ticket { id: 5 }).unwrap();
    assert!(
        text.contains(r#""origin":"identity::tickets::v1::Ticket""#),
        "{text}"
    );
    let want = Ticket {
        id: 5,
        note: String::new(),
    };
    assert_eq!(kimera::json::from_str::<Ticket>(&text).unwrap(), want);
    let bytes = kimera::binary::to_vec(&v1::Ticket { id: 5 }).unwrap();
    assert_eq!(kimera::binary::from_slice::<Ticket>(&bytes).unwrap(), want);
}

#[test]
fn an_origin_after_the_value_is_checked_before_it() {
    // Another writer's key order, and a body that `db::other::Event` could not read anyway.
    let text = r#"{"kimera":1,"type":"Event","version":1,"value":{"id":"x"},"origin":"identity::api::Event"}"#;
    let err = kimera::json::from_str::<db::other::Event>(text).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NameCollision { .. }),
        "{err}"
    );
    // Without an origin (a writer that does not know them), the value is read.
    let text = r#"{"kimera":1,"type":"Event","version":1,"value":{"id":7}}"#;
    assert_eq!(
        kimera::json::from_str::<db::other::Event>(text).unwrap(),
        db::other::Event { id: 7 }
    );
}

/// A field type holding braces (a const generic expression) in a checked attribute.
#[derive(Serialize, Deserialize)]
pub struct Buf<const N: usize>(Vec<u8>);

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(register = false)]
pub struct Braced {
    #[kimera(opaque)]
    pub b: Buf<{ 2 + 2 }>,
}

#[test]
fn braces_in_field_types_compile() {
    assert_eq!(Braced::SCHEMA.to_string(), "Braced@1 struct { b: opaque }");
}

#[test]
fn a_mismatch_lists_namesakes_as_two_types() {
    mod writer {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera)]
        #[kimera(name = "test.Both", register = false)]
        pub struct Both {
            pub a: api::Event,
            pub b: db::Event,
            pub x: u8,
        }
    }
    mod reader {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera, Debug)]
        #[kimera(name = "test.Both", register = false)]
        pub struct Both {
            pub a: api::Event,
            pub b: db::Event,
            pub x: u16,
        }
    }
    let event = || api::Event {
        id: 1,
        kind: "k".into(),
    };
    let value = writer::Both {
        a: event(),
        b: db::Event {
            id: 2,
            kind: "k".into(),
        },
        x: 1,
    };
    let err = kimera::binary::from_slice::<reader::Both>(&kimera::binary::to_vec(&value).unwrap())
        .unwrap_err();
    let ErrorKind::FingerprintMismatch { holds, .. } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(
        holds,
        &[
            "Event from identity::api::Event",
            "Event from identity::db::Event"
        ]
    );
}

mod as_text {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr<Err: Display>,
        D: Deserializer<'de>,
    {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with)]` on a variant: its fields' types say nothing of their shape.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Reading", register = false)]
pub enum Reading {
    #[serde(with = "as_text")]
    Text(#[kimera(with = String)] u64),
    Plain(u64),
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "test.Undescribed", register = false)]
pub enum Undescribed {
    #[serde(with = "as_text")]
    Text(u64),
}

/// A `with` naming a type of the same shape is redundant, and compiles.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Count", register = false)]
pub struct Count {
    #[kimera(with = u64)]
    pub n: usize,
}

#[test]
fn variant_level_with_is_described_by_its_fields_attributes() {
    assert_eq!(
        Reading::SCHEMA.to_string(),
        "test.Reading@1 enum { Text(str), Plain(u64) }"
    );
    let bytes = kimera::binary::to_vec(&Reading::Text(42)).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Reading>(&bytes).unwrap(),
        Reading::Text(42)
    );
    assert!(Undescribed::BINARY_INCOMPATIBILITY.is_some());
    let bytes = kimera::binary::to_vec(&Count { n: 3 }).unwrap();
    assert_eq!(
        kimera::binary::from_slice::<Count>(&bytes).unwrap(),
        Count { n: 3 }
    );
}
