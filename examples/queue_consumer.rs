//! A queue consumer: one byte stream carrying several message types, in several versions and
//! both backends, dispatched to typed handlers.
//!
//! Run with `cargo run --example queue_consumer --features binary`.
//!
//! Producers of different ages write to the stream: an old one still sends `OrderPlaced` v1 as
//! JSON, a new one sends v2 in binary, a logistics service still uses the name `Shipped` had
//! before it was renamed, and a service from the future sends a type this consumer has never
//! heard of. The stream frames each envelope with a 4-byte little-endian length.

use kimera::registry::{self, Dispatcher};
use kimera::{Kimera, KimeraHandler};
use serde::{Deserialize, Serialize};

/// v2: several lines; v1 had a single SKU.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.OrderPlaced", version = 2, previous = OrderPlacedV1)]
struct OrderPlaced {
    order: u64,
    skus: Vec<String>,
}

/// v1, frozen as it was.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.OrderPlaced")]
struct OrderPlacedV1 {
    order: u64,
    sku: String,
}

impl From<OrderPlacedV1> for OrderPlaced {
    fn from(v1: OrderPlacedV1) -> Self {
        OrderPlaced {
            order: v1.order,
            skus: vec![v1.sku],
        }
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.PaymentReceived")]
struct PaymentReceived {
    order: u64,
    cents: u64,
}

/// Renamed from `logistics.Dispatched`; messages under the old name still arrive.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.Shipped", alias = "logistics.Dispatched")]
struct Shipped {
    order: u64,
    carrier: String,
}

/// Registered (so the registry can decode it for the audit log) but not handled below.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.PriceChanged")]
struct PriceChanged {
    sku: String,
    cents: u64,
}

/// The producers' side: types as other services define them.
mod producers {
    use super::*;

    /// The logistics service, before the rename.
    #[derive(Serialize, Kimera)]
    #[kimera(name = "logistics.Dispatched", register = false)]
    pub struct Dispatched {
        pub order: u64,
        pub carrier: String,
    }

    /// A service newer than this consumer.
    #[derive(Serialize, Kimera)]
    #[kimera(name = "shop.LoyaltyPointsGranted", register = false)]
    pub struct LoyaltyPointsGranted {
        pub customer: u64,
        pub points: u32,
    }
}

fn frame(stream: &mut Vec<u8>, envelope: kimera::Result<Vec<u8>>) -> kimera::Result<()> {
    let envelope = envelope?;
    let len = u32::try_from(envelope.len()).expect("messages are far below 4 GiB");
    stream.extend_from_slice(&len.to_le_bytes());
    stream.extend_from_slice(&envelope);
    Ok(())
}

/// The envelopes of a stream, in order; a cut-off last frame ends it with an error.
fn frames(mut stream: &[u8]) -> impl Iterator<Item = Result<&[u8], String>> {
    std::iter::from_fn(move || {
        if stream.is_empty() {
            return None;
        }
        let Some((len, rest)) = stream.split_first_chunk::<4>() else {
            stream = &[];
            return Some(Err("the stream ends inside a length prefix".to_owned()));
        };
        let len = u32::from_le_bytes(*len) as usize;
        let Some((envelope, rest)) = rest.split_at_checked(len) else {
            stream = &[];
            return Some(Err(format!("the stream ends inside a {len}-byte frame")));
        };
        stream = rest;
        Some(Ok(envelope))
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Fail fast if two types claim one name.
    registry::check()?;
    println!("registered types:");
    for ty in registry::types() {
        let aliases: Vec<_> = ty.aliases().collect();
        println!(
            "  {} v{} fingerprint {:016x}{}",
            ty.name(),
            ty.version(),
            ty.fingerprint(),
            match aliases.is_empty() {
                true => String::new(),
                false => format!(" (also read as {})", aliases.join(", ")),
            }
        );
    }

    let mut stream = Vec::new();
    let old_order = OrderPlacedV1 {
        order: 1,
        sku: "KB-101".into(),
    };
    frame(&mut stream, kimera::json::to_vec(&old_order))?;
    let order = OrderPlaced {
        order: 2,
        skus: vec!["KB-101".into(), "MS-7".into()],
    };
    frame(&mut stream, kimera::binary::to_vec(&order))?;
    let payment = PaymentReceived {
        order: 2,
        cents: 12_900,
    };
    frame(&mut stream, kimera::binary::to_vec(&payment))?;
    let dispatched = producers::Dispatched {
        order: 1,
        carrier: "DHL".into(),
    };
    frame(&mut stream, kimera::json::to_vec(&dispatched))?;
    let price = PriceChanged {
        sku: "MS-7".into(),
        cents: 2_500,
    };
    frame(&mut stream, kimera::json::to_vec(&price))?;
    let points = producers::LoyaltyPointsGranted {
        customer: 42,
        points: 100,
    };
    frame(&mut stream, kimera::binary::to_vec(&points))?;
    println!(
        "\nthe stream: {} bytes, 6 messages of 5 types\n",
        stream.len()
    );

    let mut dispatcher = Dispatcher::new()
        .on(|o: OrderPlaced| format!("order {} placed: {}", o.order, o.skus.join(", ")))
        .on(|p: PaymentReceived| format!("order {} paid: {} cents", p.order, p.cents))
        .on(|s: Shipped| format!("order {} shipped with {}", s.order, s.carrier));

    let (mut handled, mut unhandled) = (0, 0);
    for envelope in frames(&stream) {
        let envelope = envelope?;
        match dispatcher.dispatch(envelope) {
            Ok(line) => {
                handled += 1;
                println!("handled    {line}");
            }
            Err(err) => {
                unhandled += 1;
                // What the registry can still say about it, for the audit log.
                match registry::decode_any(envelope) {
                    Ok(any) => println!(
                        "audit      {} v{}: {} ({err})",
                        any.type_name(),
                        any.version(),
                        any.to_json_value()?
                    ),
                    Err(_) => println!("skipped    {err}"),
                }
            }
        }
    }
    println!("\n{handled} messages handled, {unhandled} not");
    assert_eq!((handled, unhandled), (4, 2));
    assert_eq!(OrderPlaced::VERSION, 2);
    Ok(())
}
