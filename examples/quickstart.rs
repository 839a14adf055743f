//! Derive a handler, encode a value both ways, print both encodings, decode them, and show what
//! a reader says when it is handed a value of another type.
//!
//! Run with `cargo run --example quickstart --features binary`.

use chrono::NaiveDate;
use kimera::{Kimera, KimeraHandler};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Order", version = 3)]
struct Order {
    id: u64,
    placed: NaiveDate,
    lines: Vec<Line>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "shop.Line")]
struct Line {
    sku: String,
    qty: u32,
    unit_price: f64,
}

#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.Invoice")]
struct Invoice {
    order_id: u64,
    total: f64,
}

fn main() -> Result<(), kimera::Error> {
    let order = Order {
        id: 1042,
        placed: NaiveDate::from_ymd_opt(2026, 11, 23).expect("a valid date"),
        lines: vec![
            Line {
                sku: "KB-101".into(),
                qty: 2,
                unit_price: 49.5,
            },
            Line {
                sku: "MS-7".into(),
                qty: 1,
                unit_price: 19.0,
            },
        ],
        note: Some("gift wrap".into()),
    };
    println!(
        "type {} v{}, schema {}",
        Order::type_name(),
        Order::VERSION,
        Order::SCHEMA
    );
    println!("fingerprint {:016x}\n", Order::FINGERPRINT);

    let json = kimera::json::to_string(&order)?;
    println!("JSON ({} bytes):\n{json}\n", json.len());

    let binary = kimera::binary::to_vec(&order)?;
    println!("binary ({} bytes):\n{}\n", binary.len(), hex(&binary));

    let from_json: Order = kimera::json::from_str(&json)?;
    let from_binary: Order = kimera::binary::from_slice(&binary)?;
    let detected: Order = kimera::from_slice(&binary)?;
    assert_eq!(from_json, order);
    assert_eq!(from_binary, order);
    assert_eq!(detected, order);
    println!("decoded both ways: {from_binary:?}\n");

    match kimera::binary::from_slice::<Invoice>(&binary) {
        Ok(invoice) => println!("unexpectedly decoded {invoice:?}"),
        Err(err) => println!("reading an order as an invoice: {err}"),
    }
    match kimera::json::from_str::<Invoice>(&json) {
        Ok(invoice) => println!("unexpectedly decoded {invoice:?}"),
        Err(err) => println!("the same from JSON:             {err}"),
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|row| {
            row.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
