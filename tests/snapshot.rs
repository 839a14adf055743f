//! Snapshots: saves are atomic and durable, damaged files are skipped and set aside, one writer
//! at a time, and a process killed with SIGKILL at random moments always restarts from a
//! snapshot at least as new as the last one it reported saved.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kimera::snapshot::{Fsync, Generation, Options, SnapshotStore};
use kimera::{ErrorKind, Json, Kimera};
use serde::{Deserialize, Serialize};
use support::{crc32, XorShift};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Counter")]
struct Counter {
    value: u64,
    history: Vec<u64>,
}

fn counter(value: u64) -> Counter {
    Counter {
        value,
        history: (0..value % 7).collect(),
    }
}

/// A fresh directory under the target directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("snapshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn quick() -> Options {
    Options::new().fsync(Fsync::Never)
}

fn file_of(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("snapshot-{generation:020}.kimera"))
}

#[test]
fn saves_load_back_and_old_generations_are_pruned() {
    let dir = TempDir::new("prune");
    let mut store = SnapshotStore::open_with(&dir.0, quick().keep(2)).unwrap();
    assert_eq!(store.latest::<Counter>().unwrap(), None);
    for value in 1..=5 {
        assert_eq!(store.save(&counter(value)).unwrap(), Generation(value));
    }
    assert_eq!(store.generations().unwrap(), [Generation(4), Generation(5)]);
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(5), counter(5)))
    );
    assert_eq!(store.load::<Counter>(Generation(4)).unwrap(), counter(4));
    let err = store.load::<Counter>(Generation(1)).unwrap_err();
    assert!(
        err.to_string()
            .contains("snapshot-00000000000000000001.kimera"),
        "{err}"
    );
    drop(store);
    // Numbering goes on after a restart.
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    assert_eq!(store.save(&counter(6)).unwrap(), Generation(6));
}

/// The file layout of docs/wire-format.md, byte for byte: a header, a binary envelope, a CRC.
#[test]
fn the_file_layout_is_pinned() {
    let dir = TempDir::new("golden");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&counter(3)).unwrap();
    let written = std::fs::read(file_of(&dir.0, 1)).unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/counter.snapshot");
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::write(&golden, &written).unwrap();
    }
    assert_eq!(written, std::fs::read(&golden).unwrap());
    let envelope = kimera::binary::to_vec(&counter(3)).unwrap();
    let mut expected = b"KSNP\x01".to_vec();
    expected.extend(1u64.to_le_bytes());
    expected.extend((envelope.len() as u64).to_le_bytes());
    expected.extend(&envelope);
    let crc = crc32(&expected);
    expected.extend(crc.to_le_bytes());
    assert_eq!(written, expected);
}

#[test]
fn one_writer_at_a_time() {
    let dir = TempDir::new("lock");
    let store = SnapshotStore::open(&dir.0).unwrap();
    let err = SnapshotStore::open(&dir.0).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Locked { .. }), "{err}");
    assert!(err.to_string().contains("kimera-snapshots.lock"), "{err}");
    assert!(
        err.to_string().contains("locked by another writer"),
        "{err}"
    );
    drop(store);
    SnapshotStore::open(&dir.0).expect("free again once the first store is dropped");
}

/// Damages the newest of three generations with `damage`, then checks that `latest` falls back
/// to the one before, says why, and sets the damaged file aside without deleting it.
fn falls_back_over(name: &str, damage: impl FnOnce(&Path), reason: &str) {
    let dir = TempDir::new(name);
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    for value in 1..=3 {
        store.save(&counter(value)).unwrap();
    }
    let newest = file_of(&dir.0, 3);
    damage(&newest);
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(2), counter(2)))
    );
    let skipped = store.skipped();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].generation, Generation(3));
    assert!(skipped[0].reason.contains(reason), "{:?}", skipped[0]);
    let aside = skipped[0].set_aside.clone().expect("set aside");
    assert!(aside.ends_with("snapshot-00000000000000000003.kimera.corrupt"));
    assert!(aside.exists() && !newest.exists());
    assert_eq!(store.generations().unwrap(), [Generation(1), Generation(2)]);
    // The next save does not reuse the number of the file set aside.
    assert_eq!(store.save(&counter(4)).unwrap(), Generation(4));
    let err = store.load::<Counter>(Generation(3)).unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[test]
fn a_truncated_file_is_skipped_and_set_aside() {
    falls_back_over(
        "truncated",
        |path| {
            let bytes = std::fs::read(path).unwrap();
            std::fs::write(path, &bytes[..bytes.len() - 5]).unwrap();
        },
        "torn or truncated",
    );
}

#[test]
fn a_flipped_byte_is_skipped_and_set_aside() {
    falls_back_over(
        "flipped",
        |path| {
            let mut bytes = std::fs::read(path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x10;
            std::fs::write(path, bytes).unwrap();
        },
        "checksum mismatch",
    );
}

#[test]
fn an_empty_file_is_skipped_and_set_aside() {
    falls_back_over(
        "empty",
        |path| std::fs::write(path, b"").unwrap(),
        "shorter than the 21-byte header",
    );
}

#[test]
fn a_damaged_file_is_an_error_when_asked_for_by_number() {
    let dir = TempDir::new("load-damaged");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    let generation = store.save(&counter(1)).unwrap();
    let path = file_of(&dir.0, 1);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] = b'X';
    std::fs::write(&path, bytes).unwrap();
    let err = store.load::<Counter>(generation).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains("expected magic bytes"), "{err}");
    assert!(path.exists(), "load leaves the file where it is");
}

#[test]
fn an_intact_file_of_another_type_is_an_error_not_a_corruption() {
    let dir = TempDir::new("other-type");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&"not a counter").unwrap();
    let err = store.latest::<Counter>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
    assert!(store.skipped().is_empty());
    assert_eq!(store.generations().unwrap(), [Generation(1)]);
}

#[test]
fn stray_temporary_files_are_removed_at_open() {
    let dir = TempDir::new("stray");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&counter(1)).unwrap();
    drop(store);
    // What a process killed between writing and renaming leaves behind.
    let stray = dir.0.join("snapshot-00000000000000000002.kimera.tmp");
    std::fs::write(&stray, b"half a snap").unwrap();
    // Files that are not the store's are left alone.
    let other = dir.0.join("notes.txt");
    std::fs::write(&other, b"mine").unwrap();
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    assert!(!stray.exists() && other.exists());
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(1), counter(1)))
    );
    assert_eq!(store.save(&counter(2)).unwrap(), Generation(2));
}

#[test]
fn an_empty_directory_has_no_snapshot() {
    let dir = TempDir::new("empty-dir");
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut store = SnapshotStore::open(&dir.0).unwrap();
    assert_eq!(store.latest::<Counter>().unwrap(), None);
    assert!(store.generations().unwrap().is_empty());
    assert!(store.skipped().is_empty());
}

#[test]
fn a_directory_that_cannot_be_written_is_a_clear_error() {
    // A regular file where the directory should be.
    let dir = TempDir::new("not-a-dir");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("plain-file");
    std::fs::write(&file, b"").unwrap();
    let err = SnapshotStore::open(&file).unwrap_err();
    assert!(
        err.to_string().contains("cannot create the directory"),
        "{err}"
    );
    assert!(err.to_string().contains("plain-file"), "{err}");

    // A directory without write permission. Root writes anywhere, so there the test uses
    // procfs, which no one can create files in.
    let read_only = dir.0.join("read-only");
    std::fs::create_dir_all(&read_only).unwrap();
    let target = if running_as_root() {
        PathBuf::from("/proc/self")
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
        read_only.clone()
    };
    let err = SnapshotStore::open(&target).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
    assert!(
        err.to_string().contains("cannot create the lock file"),
        "{err}"
    );
    assert!(
        err.to_string().contains(&target.display().to_string()),
        "{err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o755));
    }
}

fn running_as_root() -> bool {
    // The owner of a file this process just created is its effective user.
    use std::os::unix::fs::MetadataExt;
    let probe =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("uid-{}", std::process::id()));
    std::fs::write(&probe, b"").unwrap();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    let _ = std::fs::remove_file(&probe);
    uid == 0
}

#[test]
fn json_snapshots_and_a_change_of_format() {
    let dir = TempDir::new("json");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&counter(1)).unwrap();
    drop(store);
    let mut store = SnapshotStore::open_with(&dir.0, quick().format(Json::new().pretty())).unwrap();
    let generation = store.save(&counter(2)).unwrap();
    let text = std::fs::read(file_of(&dir.0, 2)).unwrap();
    assert!(text[21..].starts_with(b"{\n  \"kimera\": 1"));
    assert_eq!(store.load::<Counter>(generation).unwrap(), counter(2));
    // The binary file written before the switch still reads.
    assert_eq!(store.load::<Counter>(Generation(1)).unwrap(), counter(1));
}

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
    let dir = TempDir::new("crash");
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
            .env("KIMERA_CRASH_DIR", &dir.0)
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
        let mut store = SnapshotStore::open(&dir.0).expect("the lock died with the child");
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
}
