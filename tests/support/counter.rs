//! The state the snapshot tests save: a counter whose history varies in length with its value.

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Counter")]
pub struct Counter {
    pub value: u64,
    pub history: Vec<u64>,
}

/// The counter at `value`.
pub fn counter(value: u64) -> Counter {
    Counter {
        value,
        history: (0..value % 7).collect(),
    }
}
