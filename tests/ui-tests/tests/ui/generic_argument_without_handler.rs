use std::ffi::OsString;

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Page<T> {
    items: Vec<T>,
    next: Option<u32>,
}

fn main() {
    let page = Page {
        items: vec![OsString::from("localhost")],
        next: None,
    };
    let _ = kimera::json::to_string(&page);
}
