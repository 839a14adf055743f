//! A worker consuming a Redis Stream that Python producers fill with Kimera JSON envelopes of
//! several types and versions, dispatched to typed handlers.
//!
//! ```sh
//! redis-server --port 6379 --save "" --appendonly no &
//! python3 tools/python/redis_producer.py --port 6379
//! cargo run --features redis --example redis_worker -- --port 6379 --count 7
//! ```
//!
//! It reads as a member of a consumer group (`XREADGROUP`), acknowledges each entry once it is
//! done with it (`XACK`), and moves what it cannot handle (an unknown type, bytes that are no
//! envelope) to a dead-letter stream, `<stream>:dead`, with Kimera's reason. Payments are
//! added up in Redis under `paid:<order>`, a JSON envelope (`kimera::redis::JsonValue`).
//! Without `--count` it runs until stopped; with it, it stops after that many entries, and
//! fails if they do not come within 30 s.

use std::time::{Duration, Instant};

use kimera::redis::redis::streams::{StreamReadOptions, StreamReadReply};
use kimera::redis::redis::{self, Commands, Connection, Value};
use kimera::redis::JsonValue;
use kimera::registry::{self, Dispatcher};
use kimera::Kimera;
use serde::{Deserialize, Serialize};

/// v2: several lines; v1 had a single SKU.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "shop.OrderPlaced", version = 2, previous = OrderPlacedV1)]
struct OrderPlaced {
    order: u64,
    skus: Vec<String>,
}

/// v1, frozen as older producers still write it.
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

struct Args {
    port: u16,
    stream: String,
    group: String,
    consumer: String,
    count: Option<usize>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        port: 6379,
        stream: "kimera:orders".into(),
        group: "workers".into(),
        consumer: format!("worker-{}", std::process::id()),
        count: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| format!("{flag} takes {what}, found `{value}`");
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| number("a port"))?,
            "--stream" => args.stream = value,
            "--group" => args.group = value,
            "--consumer" => args.consumer = value,
            "--count" => args.count = Some(value.parse().map_err(|_| number("a number"))?),
            _ => {
                return Err(format!(
                    "unknown option `{flag}` (options: --port, --stream, --group, --consumer, \
                     --count)"
                ))
            }
        }
    }
    Ok(args)
}

/// What a handler gives: a line for the log, or a failure of Redis itself (the entry then
/// stays pending, to be delivered again, rather than dead-lettered).
type Outcome = Result<String, Box<dyn std::error::Error>>;

/// Adds `cents` to what `order` has been paid, kept in Redis as a JSON envelope.
fn add_payment(
    con: &mut Connection,
    order: u64,
    cents: u64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let key = format!("paid:{order}");
    let paid: Option<JsonValue<u64>> = con.get(&key)?;
    let total = paid.map_or(0, JsonValue::into_inner) + cents;
    let () = con.set(&key, JsonValue(total).encode()?)?;
    Ok(total)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    registry::check()?;
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", args.port))?;
    let mut con = client.get_connection()?;
    // The payments handler's own connection: the worker's reads with the other.
    let mut store = client.get_connection()?;

    // From the stream's start, so that entries added before the first worker are read too; a
    // group that exists already is fine.
    let created: redis::RedisResult<()> =
        con.xgroup_create_mkstream(&args.stream, &args.group, "0");
    if let Err(err) = created {
        if err.code() != Some("BUSYGROUP") {
            return Err(err.into());
        }
    }

    let mut dispatcher = Dispatcher::<Outcome>::new()
        .on(|o: OrderPlaced| Ok(format!("order {} placed: {}", o.order, o.skus.join(", "))))
        .on(move |p: PaymentReceived| {
            let total = add_payment(&mut store, p.order, p.cents)?;
            Ok(format!(
                "order {} paid {} cents ({total} in all)",
                p.order, p.cents
            ))
        })
        .on(|s: Shipped| Ok(format!("order {} shipped with {}", s.order, s.carrier)));

    let dead = format!("{}:dead", args.stream);
    let options = StreamReadOptions::default()
        .group(&args.group, &args.consumer)
        .count(16)
        .block(1000);
    let (mut handled, mut dead_lettered) = (0, 0);
    let mut last_entry = Instant::now();
    while args
        .count
        .is_none_or(|count| handled + dead_lettered < count)
    {
        if args.count.is_some() && last_entry.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "{} of {} entries came within 30 s",
                handled + dead_lettered,
                args.count.unwrap_or_default()
            )
            .into());
        }
        let reply: Option<StreamReadReply> =
            con.xread_options(&[&args.stream], &[">"], &options)?;
        for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
            last_entry = Instant::now();
            // Kimera's reason for an entry no handler can take; a handler's own failure ends
            // the worker.
            let outcome = match entry.map.get("envelope") {
                Some(Value::BulkString(bytes)) => {
                    dispatcher.dispatch(bytes).map_err(|err| err.to_string())
                }
                _ => Err("the entry has no `envelope` field".to_owned()),
            };
            match outcome {
                Ok(line) => {
                    let line = line?;
                    handled += 1;
                    println!("handled       {} {line}", entry.id);
                }
                Err(reason) => {
                    dead_lettered += 1;
                    println!("dead-lettered {} {reason}", entry.id);
                    let envelope = match entry.map.get("envelope") {
                        Some(Value::BulkString(bytes)) => bytes.clone(),
                        _ => Vec::new(),
                    };
                    let fields = [
                        ("from", entry.id.clone().into_bytes()),
                        ("reason", reason.into_bytes()),
                        ("envelope", envelope),
                    ];
                    let _: String = con.xadd(&dead, "*", &fields)?;
                }
            }
            let _: usize = con.xack(&args.stream, &args.group, &[&entry.id])?;
        }
    }
    println!(
        "{} entries: {handled} handled, {dead_lettered} dead-lettered to {dead}",
        handled + dead_lettered
    );
    Ok(())
}
