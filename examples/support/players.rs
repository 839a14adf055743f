//! The `game.Player` type of two releases of one service, for `examples/evolution.rs` (and for
//! `tests/history.rs`, which pins the schema history the example embeds). In a real service
//! each release has one `Player`; here both live in one program, so neither is registered.
#![allow(dead_code)]

use kimera::Kimera;
use serde::{Deserialize, Serialize};

/// What release 1 had.
pub mod release1 {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Player", register = false)]
    pub struct Player {
        pub name: String,
        pub level: u8,
        pub guild: Option<String>,
        pub inventory: Vec<Item>,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Item", register = false)]
    pub struct Item {
        pub id: u32,
        pub count: u16,
    }
}

/// What release 2 has: no version bump, no frozen copy, no conversion.
pub mod release2 {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Player", register = false)]
    pub struct Player {
        pub name: String,
        /// Was `u8`: widened.
        pub level: u32,
        /// Was `guild`: renamed, still reading the old name.
        #[serde(alias = "guild")]
        pub clan: Option<String>,
        pub inventory: Vec<Item>,
        /// New, with a default.
        #[serde(default)]
        pub achievements: Vec<String>,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
    #[kimera(name = "game.Item", register = false)]
    pub struct Item {
        pub id: u32,
        pub count: u16,
        /// New, optional.
        pub enchantment: Option<String>,
    }
}
