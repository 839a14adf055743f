//! Kimera against raw serde_json and raw bincode 2, and the formats a user would pick instead
//! (postcard, bitcode, MessagePack, CBOR), as markdown tables.
//!
//! `cargo run --profile optimized --example bench_table --features binary` (fat LTO, one codegen unit: how
//! performance-minded users build), and `cargo run --release --example bench_table --features binary` for the
//! default release profile. Options: `--seconds N` per figure, default 3; `--quick` for a
//! smoke run on smaller data; `--only log,rpc`; `--profile mesh/bincode/decode` runs one case
//! alone for the time of one figure, for a profiler. With `--features binary,python`, a last
//! table times `kimera::python` against the Python Kimera library's own figures
//! (`--only python` for that table alone).
//!
//! `resolve` and `resolve-one` time the resolving decoder (an older shape of the log record,
//! written `with_schema()`, read as the current one) against `kimera::binary` reading the current
//! shape, on the 10,000 log records in one envelope and on one record per envelope.
//!
//! The cases of one family (JSON or binary) on one dataset run interleaved, in rounds, each
//! round in a rotated order, so that drift of the machine (frequency, other load) hits all of
//! them alike. A ratio is the median over rounds of kimera's time over the raw crate's time in
//! that same round; a time is the median of its own samples. Peak memory is the most the heap
//! grew during one decode, counted by a global allocator.

#[path = "../benches/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{Case, Dataset, Family};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grow(new_size);
        }
        new
    }
}

fn grow(size: usize) {
    let now = IN_USE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How much the heap grows, at most, while `f` runs.
fn peak_during(f: impl FnOnce()) -> usize {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - before
}

struct Options {
    budget: Duration,
    scale: usize,
    only: Option<Vec<String>>,
    profile: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        budget: Duration::from_secs(3),
        scale: 1,
        only: None,
        profile: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                options.budget = Duration::from_millis(50);
                options.scale = 10;
            }
            "--seconds" => {
                let secs = args.next().and_then(|s| s.parse::<f64>().ok());
                let secs = secs.unwrap_or_else(|| usage("--seconds needs a number"));
                options.budget = Duration::from_secs_f64(secs);
            }
            "--only" => {
                let names = args.next().unwrap_or_else(|| usage("--only needs names"));
                options.only = Some(names.split(',').map(str::to_owned).collect());
            }
            "--profile" => {
                let what = args
                    .next()
                    .unwrap_or_else(|| usage("--profile needs a case"));
                options.profile = Some(what);
            }
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    options
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: bench_table [--quick] [--seconds N] \
         [--only log,mesh,mesh-full,events,rpc,dispatch,resolve,resolve-one,python] \
         [--profile DATASET/CODEC/encode|decode]"
    );
    std::process::exit(2)
}

#[derive(Clone, Copy)]
enum Op {
    Encode,
    Decode,
}

fn run(case: &Case, op: Op) {
    match op {
        Op::Encode => drop(std::hint::black_box(case.encode())),
        Op::Decode => case.decode(),
    }
}

/// Per case, the time of one operation in each round (nanoseconds), measured interleaved.
fn measure(cases: &[&Case], op: Op, budget: Duration) -> Vec<Vec<f64>> {
    // Enough repetitions per sample that a sample lasts about a millisecond: timer resolution
    // then does not matter, even for a 100 ns message.
    let slowest = cases
        .iter()
        .map(|case| {
            run(case, op); // warm-up
            let start = Instant::now();
            run(case, op);
            start.elapsed()
        })
        .max()
        .unwrap_or_default();
    let reps = (Duration::from_millis(1).as_nanos() / slowest.as_nanos().max(1)).max(1) as u32;
    let mut samples = vec![Vec::new(); cases.len()];
    let start = Instant::now();
    let mut round = 0;
    while round < 5 || (start.elapsed() < budget && round < 100_000) {
        for i in 0..cases.len() {
            let i = (i + round) % cases.len();
            let t = Instant::now();
            for _ in 0..reps {
                run(cases[i], op);
            }
            samples[i].push(t.elapsed().as_nanos() as f64 / f64::from(reps));
        }
        round += 1;
    }
    samples
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Row {
    codec: &'static str,
    baseline: bool,
    encode: f64,
    encode_ratio: f64,
    encode_extra: f64,
    decode: f64,
    decode_ratio: f64,
    decode_extra: f64,
    size: usize,
    size_extra: i64,
    peak: usize,
}

/// Medians of one family's cases, each compared with the family's baseline round by round.
fn family_rows(cases: &[&Case], budget: Duration) -> Vec<Row> {
    let base = cases.iter().position(|c| c.baseline).expect("a baseline");
    let encode = measure(cases, Op::Encode, budget);
    let decode = measure(cases, Op::Decode, budget);
    let paired = |samples: &[Vec<f64>], i: usize, f: fn(f64, f64) -> f64| {
        median(
            samples[i]
                .iter()
                .zip(&samples[base])
                .map(|(&k, &r)| f(k, r))
                .collect(),
        )
    };
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| Row {
            codec: case.codec,
            baseline: case.baseline,
            encode: median(encode[i].clone()),
            encode_ratio: paired(&encode, i, |k, r| k / r),
            encode_extra: paired(&encode, i, |k, r| k - r),
            decode: median(decode[i].clone()),
            decode_ratio: paired(&decode, i, |k, r| k / r),
            decode_extra: paired(&decode, i, |k, r| k - r),
            size: case.encoded.len(),
            size_extra: case.encoded.len() as i64 - cases[base].encoded.len() as i64,
            peak: peak_during(|| case.decode()),
        })
        .collect()
}

fn table(dataset: &Dataset, budget: Duration) {
    let rows: Vec<Row> = [Family::Json, Family::Binary]
        .into_iter()
        .flat_map(|family| {
            let cases: Vec<&Case> = dataset
                .cases
                .iter()
                .filter(|c| c.family == family)
                .collect();
            if cases.is_empty() {
                return Vec::new();
            }
            family_rows(&cases, budget)
        })
        .collect();
    let against = dataset.against;
    // Per-message figures in nanoseconds, whole datasets in microseconds.
    let per_message = rows.iter().all(|r| r.encode < 10_000.0);
    let (unit, div) = if per_message {
        ("ns", 1.0)
    } else {
        ("µs", 1000.0)
    };
    println!("\n### {}: {}\n", dataset.name, dataset.about);
    println!(
        "| codec | encode ({unit}) | × {against} | decode ({unit}) | × {against} | size (bytes) \
         | size − {against} | decode peak (KiB) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let ratio = |x: f64| {
            if r.baseline {
                "1".to_owned()
            } else {
                format!("{x:.3}")
            }
        };
        println!(
            "| {} | {:.1} | {} | {:.1} | {} | {} | {:+} | {:.1} |",
            r.codec,
            r.encode / div,
            ratio(r.encode_ratio),
            r.decode / div,
            ratio(r.decode_ratio),
            r.size,
            r.size_extra,
            r.peak as f64 / 1024.0,
        );
    }
    if per_message {
        println!();
        for r in rows.iter().filter(|r| !r.baseline) {
            println!(
                "- {}: {:+.0} ns per message beyond {against} (encode {:+.0}, decode {:+.0})",
                r.codec,
                r.encode_extra + r.decode_extra,
                r.encode_extra,
                r.decode_extra,
            );
        }
    }
    if let Some(envelope) = dataset.cases.iter().find(|c| c.codec == "kimera::binary") {
        checksum_line(&envelope.encoded, budget);
    }
}

/// The CRC-32's own time on a binary envelope's bytes, so that its share of each figure shows.
fn checksum_line(bytes: &[u8], budget: Duration) {
    let reps = (1 << 20) / bytes.len().max(1) + 1;
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 5 || (start.elapsed() < budget / 4 && samples.len() < 100_000) {
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(crc32fast::hash(std::hint::black_box(bytes)));
        }
        samples.push(t.elapsed().as_nanos() as f64 / reps as f64);
    }
    let each = median(samples);
    println!(
        "\nThe CRC-32 of the {} bytes of the `kimera::binary` envelope takes {} ({:.1} GB/s), each way.",
        bytes.len(),
        match each < 10_000.0 {
            true => format!("{each:.0} ns"),
            false => format!("{:.1} µs", each / 1000.0),
        },
        bytes.len() as f64 / each,
    );
}

/// `kimera::python` against the Python Kimera library's own figures on the same log records
/// (feature `python`): each case timed alone, a time the median of its samples.
#[cfg(feature = "python")]
fn python_table(scale: usize, budget: Duration) {
    let (encode_ms, decode_ms) = support::PYTHON_LIBRARY_MS;
    println!(
        "\n### python: {} log records, against the Python library ({encode_ms} ms to encode, \
         {decode_ms} ms to decode)\n",
        support::PYTHON_LOGS / scale
    );
    println!("| codec | encode (ms) | × faster | decode (ms) | × faster | size (bytes) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for case in support::python(scale) {
        let ms = |op| median(measure(&[&case], op, budget).remove(0)) / 1e6;
        let (encode, decode) = (ms(Op::Encode), ms(Op::Decode));
        println!(
            "| {} | {encode:.3} | {:.0} | {decode:.3} | {:.0} | {} |",
            case.codec,
            encode_ms / scale as f64 / encode,
            decode_ms / scale as f64 / decode,
            case.encoded.len(),
        );
    }
}

/// The cargo profile this runner was built with, from where cargo put it
/// (`target/<profile>/examples/`), with what it sets.
fn build_profile() -> String {
    let exe = std::env::current_exe().ok();
    let dir = exe.as_deref().and_then(|exe| {
        exe.parent()?
            .parent()?
            .file_name()?
            .to_str()
            .map(str::to_owned)
    });
    match dir.as_deref() {
        Some("optimized") => "`optimized` profile (release, fat LTO, 1 codegen unit)".to_owned(),
        Some("release") => "default `release` profile".to_owned(),
        Some("debug") => "debug build (figures mean nothing)".to_owned(),
        Some(other) => format!("`{other}` profile"),
        None => "unknown profile".to_owned(),
    }
}

/// Runs one case's operation over and over, for a profiler to watch.
fn profile(what: &str, scale: usize, budget: Duration) {
    let mut parts = what.split('/');
    let (Some(name), Some(codec), Some(op), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        usage("--profile takes DATASET/CODEC/OP, such as mesh/kimera::binary/decode")
    };
    let op = match op {
        "encode" => Op::Encode,
        "decode" => Op::Decode,
        _ => usage("the operation is encode or decode"),
    };
    let datasets = support::all(scale);
    let case = datasets
        .iter()
        .filter(|d| d.name == name)
        .flat_map(|d| &d.cases)
        .find(|c| c.codec == codec)
        .unwrap_or_else(|| usage(&format!("no case {name}/{codec}")));
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < budget {
        run(case, op);
        count += 1;
    }
    let each = start.elapsed().as_nanos() as f64 / count as f64;
    println!("{what}: {count} runs, {each:.0} ns each");
}

fn main() {
    let options = options();
    if let Some(what) = &options.profile {
        return profile(what, options.scale, options.budget);
    }
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Machine: {cpu}, {threads} threads. {}. Median of interleaved rounds, \
         {:.1} s per figure{}.",
        build_profile(),
        options.budget.as_secs_f64(),
        if options.scale > 1 {
            ", data scaled down (--quick)"
        } else {
            ""
        },
    );
    for dataset in support::all(options.scale) {
        if let Some(only) = &options.only {
            if !only.iter().any(|name| name == dataset.name) {
                continue;
            }
        }
        table(&dataset, options.budget);
    }
    #[cfg(feature = "python")]
    if options
        .only
        .as_ref()
        .is_none_or(|only| only.iter().any(|n| n == "python"))
    {
        python_table(options.scale, options.budget);
    }
}
