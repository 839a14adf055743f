//! The crash test: a child process saves snapshots in a loop and reports each generation once
//! `save` has returned; it is killed with SIGKILL at random moments, and after each kill the
//! newest snapshot must load and be at least as new as the last one reported.
//!
//! In a test binary of its own: a process forked while a store is open shares its lock until it
//! execs, so other tests reopening stores in this process would race with the children.
#![cfg(unix)]

#[path = "support/counter.rs"]
mod counter;
mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use counter::{counter, Counter};
use kimera::snapshot::SnapshotStore;
use support::XorShift;

/// The child side of the crash test: saves counters in a loop and reports each generation once
/// `save` has returned. Run only by `kill_9_at_random_moments_loses_nothing_reported`.
#[test]
#[ignore = "the crash test's child process; run by the crash test"]
fn crash_child_process() {
    let Some(dir) = std::env::var_os("KIMERA_CRASH_DIR") else {
        return;
    };
    let mut store = SnapshotStore::open(&dir).expect("the previous child is dead");
    let mut state = match store.latest::<Counter>().expect("loads") {
        Some((_, state)) => state,
        None => counter(0),
    };
    loop {
        state = counter(state.value + 1);
        let generation = store.save(&state).expect("saves");
        println!("saved {generation}");
    }
}

#[test]
fn kill_9_at_random_moments_loses_nothing_reported() {
    const KILLS: usize = 200;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("snapshot-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let exe = std::env::current_exe().unwrap();
    let mut rng = XorShift(0x5eed_cafe_f00d_0001);
    let started = Instant::now();
    let (mut reported, mut recoveries, mut empty_runs) = (0u64, 0usize, 0usize);
    for kill in 0..KILLS {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "{kill} kills took over 4 minutes"
        );
        let mut child = Command::new(&exe)
            .args([
                "crash_child_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("KIMERA_CRASH_DIR", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| line.strip_prefix("saved ")?.parse::<u64>().ok())
                .max()
        });
        // Between 0 and ~40 ms: some kills land before the store is even open.
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let last = reader.join().unwrap();
        match last {
            Some(generation) => reported = reported.max(generation),
            None => empty_runs += 1,
        }
        let mut store = SnapshotStore::open(&dir).expect("the lock died with the child");
        let latest = store.latest::<Counter>().expect("an intact snapshot loads");
        assert!(store.skipped().is_empty(), "{:?}", store.skipped());
        match latest {
            Some((generation, state)) => {
                assert!(
                    generation.0 >= reported,
                    "kill {kill}: latest is {generation}, the child had reported {reported}"
                );
                // Each save increments the counter by one from the one before.
                assert_eq!(state, counter(generation.0));
                recoveries += 1;
            }
            None => assert_eq!(reported, 0, "kill {kill}: nothing loads after {reported}"),
        }
    }
    eprintln!(
        "crash test: {KILLS} kills in {:.1} s, {recoveries} recoveries at or after the last \
         reported generation, newest generation {reported}, {empty_runs} children killed \
         before their first save",
        started.elapsed().as_secs_f64()
    );
    assert!(
        reported > 0,
        "no child ever reported a save: the test did not test"
    );
    // The next build, whose state type has changed since, recovers what the killed children
    // left: the snapshots carry their writer's schema.
    let mut store = SnapshotStore::open(&dir).unwrap();
    let (generation, state) = store.latest::<NextCounter>().unwrap().expect("a snapshot");
    assert!(generation.0 >= reported);
    let old = counter(generation.0);
    assert_eq!(
        state,
        NextCounter {
            value: old.value.into(),
            history: old.history,
            label: None,
        }
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `Counter` as the next build has it: a widened field and an added one, no version bump.
#[derive(serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
#[kimera(name = "test.Counter", register = false)]
struct NextCounter {
    value: u128,
    history: Vec<u64>,
    label: Option<String>,
}
