//! A counter service that survives `kill -9`: it saves a snapshot after every step and, when
//! started again, resumes from the newest good one.
//!
//! ```sh
//! cargo run --example crash_recovery --features snapshot -- /tmp/counter            # counts until killed
//! kill -9 <pid>                                                                    # or Ctrl-C
//! cargo run --example crash_recovery --features snapshot -- /tmp/counter            # resumes where it was
//! cargo run --example crash_recovery --features snapshot -- /tmp/counter --steps 3  # three steps, then exits
//! ```

use std::time::Duration;

use kimera::snapshot::{Options, SnapshotStore};
use kimera::Kimera;
use serde::{Deserialize, Serialize};

/// The service's whole state.
#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "example.CounterState")]
struct CounterState {
    count: u64,
    /// How many times the service has (re)started.
    starts: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| {
        std::env::temp_dir()
            .join("kimera-counter")
            .display()
            .to_string()
    });
    let steps: Option<u64> = match (args.next().as_deref(), args.next()) {
        (Some("--steps"), Some(n)) => Some(n.parse()?),
        (None, _) => None,
        _ => return Err("usage: crash_recovery [DIR] [--steps N]".into()),
    };

    let mut store = SnapshotStore::open_with(&dir, Options::new().with_keep(3))?;
    let mut state = match store.latest::<CounterState>()? {
        Some((generation, state)) => {
            println!(
                "resuming from generation {generation}: count {}, start #{}",
                state.count,
                state.starts + 1
            );
            state
        }
        None => {
            println!("no snapshot in {dir}: starting from zero");
            CounterState {
                count: 0,
                starts: 0,
            }
        }
    };
    for skipped in store.skipped() {
        println!(
            "skipped damaged generation {}: {}",
            skipped.generation, skipped.reason
        );
    }
    state.starts += 1;

    let mut done = 0;
    while steps.is_none_or(|steps| done < steps) {
        state.count += 1;
        let generation = store.save(&state)?;
        println!("count {} saved as generation {generation}", state.count);
        done += 1;
        if steps.is_none() {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    Ok(())
}
