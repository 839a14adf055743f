//! Kimera against raw serde_json and raw bincode 2 on every dataset, with criterion.
//!
//! `cargo bench --features binary --bench formats` (filter with `-- log/`, `-- events/Binary`, …). Criterion measures one
//! case after the other, so machine drift between them shows up in the ratios; the published
//! table comes from the interleaved runner, `cargo run --release --example bench_table`.

mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use support::Family;

fn formats(c: &mut Criterion) {
    for dataset in support::all(1) {
        eprintln!(
            "{}: {} (each family against its {} case, run first)",
            dataset.name, dataset.about, dataset.against
        );
        for family in [Family::Json, Family::Binary] {
            let mut group = c.benchmark_group(format!("{}/{family:?}", dataset.name));
            // The raw crate first, then Kimera's codecs of the same family.
            let mut cases: Vec<_> = dataset
                .cases
                .iter()
                .filter(|c| c.family == family)
                .collect();
            cases.sort_by_key(|case| !case.baseline);
            for case in cases {
                group.bench_function(BenchmarkId::new("encode", case.codec), |b| {
                    b.iter(|| case.encode())
                });
                group.bench_function(BenchmarkId::new("decode", case.codec), |b| {
                    b.iter(|| case.decode())
                });
            }
            group.finish();
        }
    }
}

/// `kimera::python` on the log records the Python library's own figures are for (feature
/// `python`: `cargo bench --features binary,python --bench formats -- python`).
#[cfg(feature = "python")]
fn python(c: &mut Criterion) {
    let (encode_ms, decode_ms) = support::PYTHON_LIBRARY_MS;
    eprintln!(
        "python: {} log records (the Python library: {encode_ms} ms to encode, {decode_ms} ms \
         to decode)",
        support::PYTHON_LOGS
    );
    let mut group = c.benchmark_group("python");
    for case in support::python(1) {
        group.bench_function(BenchmarkId::new("encode", case.codec), |b| {
            b.iter(|| case.encode())
        });
        group.bench_function(BenchmarkId::new("decode", case.codec), |b| {
            b.iter(|| case.decode())
        });
    }
    group.finish();
}

#[cfg(feature = "python")]
criterion_group!(benches, formats, python);
#[cfg(not(feature = "python"))]
criterion_group!(benches, formats);
criterion_main!(benches);
