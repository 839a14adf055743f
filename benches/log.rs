//! Kimera against raw serde_json and raw bincode 2 on 10,000 web-server log records.
//!
//! `cargo bench --bench log`. Each pair (raw, kimera) is measured in the same process, one
//! after the other, on the same data.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kimera::{Binary, Format, Kimera};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Clone, Debug, PartialEq)]
#[kimera(name = "bench.Log")]
struct Log {
    address: [u8; 4],
    identity: String,
    userid: String,
    date: String,
    request: String,
    code: u16,
    size: u64,
}

/// Deterministic records from a fixed seed (xorshift64*), no downloads.
fn logs(count: usize) -> Vec<Log> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    const PATHS: [&str; 6] = [
        "/",
        "/index.html",
        "/api/v1/users",
        "/static/app.js",
        "/img/logo.png",
        "/search?q=kimera+serialization",
    ];
    (0..count)
        .map(|i| {
            let r = next();
            Log {
                address: (r as u32).to_le_bytes(),
                identity: "-".into(),
                userid: if r % 3 == 0 {
                    format!("user{}", r % 1000)
                } else {
                    "-".into()
                },
                date: format!(
                    "{:02}/Nov/2026:{:02}:{:02}:{:02} +0000",
                    1 + r % 28,
                    (r >> 8) % 24,
                    (r >> 16) % 60,
                    i % 60
                ),
                request: format!("GET {} HTTP/1.1", PATHS[(r >> 24) as usize % PATHS.len()]),
                code: [200, 200, 200, 304, 404, 500][(r >> 32) as usize % 6],
                size: (r >> 40) % 100_000,
            }
        })
        .collect()
}

fn json(c: &mut Criterion) {
    let data = logs(10_000);
    let raw = serde_json::to_vec(&data).unwrap();
    let enveloped = kimera::json::to_vec(&data).unwrap();
    let mut group = c.benchmark_group("log/json");
    group.throughput(Throughput::Elements(data.len() as u64));
    group.bench_function(BenchmarkId::new("encode", "serde_json"), |b| {
        b.iter(|| serde_json::to_vec(&data).unwrap())
    });
    group.bench_function(BenchmarkId::new("encode", "kimera"), |b| {
        b.iter(|| kimera::json::to_vec(&data).unwrap())
    });
    group.bench_function(BenchmarkId::new("decode", "serde_json"), |b| {
        b.iter(|| serde_json::from_slice::<Vec<Log>>(&raw).unwrap())
    });
    group.bench_function(BenchmarkId::new("decode", "kimera"), |b| {
        b.iter(|| kimera::json::from_slice::<Vec<Log>>(&enveloped).unwrap())
    });
    group.finish();
}

fn binary(c: &mut Criterion) {
    let data = logs(10_000);
    let config = bincode::config::standard();
    let raw = bincode::serde::encode_to_vec(&data, config).unwrap();
    let enveloped = kimera::binary::to_vec(&data).unwrap();
    let no_crc = Binary::new().without_checksum();
    let mut group = c.benchmark_group("log/binary");
    group.throughput(Throughput::Elements(data.len() as u64));
    group.bench_function(BenchmarkId::new("encode", "bincode"), |b| {
        b.iter(|| bincode::serde::encode_to_vec(&data, config).unwrap())
    });
    group.bench_function(BenchmarkId::new("encode", "kimera"), |b| {
        b.iter(|| kimera::binary::to_vec(&data).unwrap())
    });
    group.bench_function(BenchmarkId::new("encode", "kimera-no-crc"), |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(128);
            no_crc.encode_into(&data, &mut out).unwrap();
            out
        })
    });
    group.bench_function(BenchmarkId::new("decode", "bincode"), |b| {
        b.iter(|| bincode::serde::decode_from_slice::<Vec<Log>, _>(&raw, config).unwrap())
    });
    group.bench_function(BenchmarkId::new("decode", "kimera"), |b| {
        b.iter(|| kimera::binary::from_slice::<Vec<Log>>(&enveloped).unwrap())
    });
    group.finish();
}

criterion_group!(benches, json, binary);
criterion_main!(benches);
