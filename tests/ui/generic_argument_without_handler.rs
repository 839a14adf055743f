use std::net::Ipv4Addr;

use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera)]
struct Page<T> {
    items: Vec<T>,
    next: Option<u32>,
}

fn main() {
    let page = Page {
        items: vec![Ipv4Addr::LOCALHOST],
        next: None,
    };
    let _ = kimera::json::to_string(&page);
}
