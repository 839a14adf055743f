//! Smoke.
use kimera::{Binary, Format, Kimera};
use serde::{Deserialize, Serialize};

mod old {
    use super::*;
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Player", register = false)]
    pub struct Player {
        pub name: String,
        pub level: u8,
        pub flag: Option<bool>,
        pub kind: Kind,
        pub gone: Vec<String>,
    }
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Kind", register = false)]
    pub enum Kind {
        A,
        B(u16),
        C { x: i32 },
    }
}

mod new {
    use super::*;
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Player", register = false)]
    pub struct Player {
        pub kind: Kind,
        #[serde(alias = "flag")]
        pub enabled: Option<bool>,
        pub name: String,
        pub level: u64,
        #[serde(default)]
        pub score: u32,
        pub nick: Option<String>,
    }
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Kind", register = false)]
    pub enum Kind {
        D,
        C { x: i64 },
        B(Option<u32>),
        A,
    }
}

#[test]
fn smoke() {
    let v = vec![
        old::Player {
            name: "a".into(),
            level: 3,
            flag: Some(true),
            kind: old::Kind::C { x: -5 },
            gone: vec!["x".into()],
        },
        old::Player {
            name: "b".into(),
            level: 4,
            flag: None,
            kind: old::Kind::B(7),
            gone: vec![],
        },
    ];
    let bytes = Binary::new().with_schema().encode(&v).unwrap();
    let back: Vec<new::Player> = Binary::new().decode(&bytes).unwrap();
    println!("{back:?}");
    let bytes = Binary::new().with_schema().encode(&back).unwrap();
    let err = Binary::new()
        .decode::<Vec<old::Player>>(&bytes)
        .unwrap_err();
    println!("{err}");
    let plain = Binary::new().encode(&v).unwrap();
    println!(
        "{}",
        Binary::new()
            .decode::<Vec<new::Player>>(&plain)
            .unwrap_err()
    );
}
