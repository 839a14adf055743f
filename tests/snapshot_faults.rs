//! Snapshots under faults other than kills, on a small filesystem the test mounts itself (a
//! tmpfs, which needs root; skipped with the reason printed otherwise): the disk filling up
//! in the middle of a save, the directory turning read-only, a rename that fails. After each,
//! the committed generations are intact, `latest` returns the newest of them, the failure is
//! a named error, and the next save succeeds once the fault clears. (A failing `fsync` cannot
//! be injected from a test without a fault-injecting filesystem; it takes the path of the
//! write errors tested here.)
#![cfg(target_os = "linux")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use kimera::snapshot::{Generation, Options, SnapshotStore};
use kimera::{ErrorKind, Kimera};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "test.Blob")]
struct Blob {
    seq: u64,
    data: Vec<u8>,
}

fn blob(seq: u64, len: usize) -> Blob {
    Blob {
        seq,
        data: vec![seq as u8; len],
    }
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted and removed when dropped. One
/// at a time: a `mount` run by one test while another's store is open would inherit, for an
/// instant, the lock file's descriptor, and with it the lock (the reopen below would fail).
struct Tmpfs {
    dir: PathBuf,
    _turn: std::sync::MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Tmpfs {
    /// `None` (with the reason printed) where this process cannot mount one.
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("faults-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        match mount(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &dir,
        ) {
            Ok(()) => Some(Tmpfs { dir, _turn: turn }),
            Err(reason) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs on {} ({reason}); the fault tests need root",
                    dir.display()
                );
                let _ = std::fs::remove_dir(&dir);
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Whatever is mounted on it, innermost first.
        while Command::new("umount")
            .arg(&self.dir)
            .output()
            .is_ok_and(|o| o.status.success())
        {}
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn mount(args: &[&str], on: &Path) -> Result<(), String> {
    let output = Command::new("mount")
        .args(args)
        .arg(on)
        .output()
        .map_err(|err| format!("cannot run mount: {err}"))?;
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
    }
}

fn umount(on: &Path) {
    let output = Command::new("umount").arg(on).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Names in `dir` other than the store's lock and its snapshot files.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "kimera-snapshots.lock" && n != "filler" && !n.ends_with(".kimera"))
        .collect()
}

fn io_kind(err: &kimera::Error) -> Option<std::io::ErrorKind> {
    match err.kind() {
        ErrorKind::Io(io) => Some(io.kind()),
        _ => None,
    }
}

#[test]
fn a_full_disk_fails_the_save_and_the_store_goes_on_when_space_returns() {
    let Some(fs) = Tmpfs::mount("full", "256k") else {
        return;
    };
    let mut store = SnapshotStore::open_with(&fs.dir, Options::new()).unwrap();
    assert_eq!(store.save(&blob(1, 10_000)).unwrap(), Generation(1));

    // Fill what is left, then save more than a page: the write stops half way.
    let mut filler = std::fs::File::create(fs.dir.join("filler")).unwrap();
    while filler.write_all(&[0; 4096]).is_ok() {}
    drop(filler);
    let err = store.save(&blob(2, 50_000)).unwrap_err();
    assert_eq!(
        io_kind(&err),
        Some(std::io::ErrorKind::StorageFull),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("snapshot-00000000000000000002.kimera.tmp"),
        "{message}"
    );
    assert!(
        leftovers(&fs.dir).is_empty(),
        "the half-written file is removed: {:?}",
        leftovers(&fs.dir)
    );
    assert_eq!(
        store.latest::<Blob>().unwrap(),
        Some((Generation(1), blob(1, 10_000)))
    );

    // Space returns: the next save is the next generation.
    std::fs::remove_file(fs.dir.join("filler")).unwrap();
    assert_eq!(store.save(&blob(2, 50_000)).unwrap(), Generation(2));
    assert_eq!(
        store.latest::<Blob>().unwrap(),
        Some((Generation(2), blob(2, 50_000)))
    );
    drop(store);
    // And a reopened store agrees.
    let mut store = SnapshotStore::open(&fs.dir).unwrap();
    assert_eq!(
        store.latest::<Blob>().unwrap().map(|(g, _)| g),
        Some(Generation(2))
    );
}

#[test]
fn a_directory_turned_read_only_fails_saves_until_it_is_writable_again() {
    let Some(fs) = Tmpfs::mount("read-only", "1m") else {
        return;
    };
    let mut store = SnapshotStore::open_with(&fs.dir, Options::new()).unwrap();
    assert_eq!(store.save(&blob(1, 100)).unwrap(), Generation(1));

    // A read-only filesystem mounted over the directory while the store runs: the path it
    // writes to refuses every write (the store's open lock file keeps the one below busy, so
    // that one cannot be remounted read-only in place).
    mount(&["-t", "tmpfs", "-o", "ro,size=4k", "tmpfs"], &fs.dir).unwrap();
    let err = store.save(&blob(2, 100)).unwrap_err();
    assert_eq!(
        io_kind(&err),
        Some(std::io::ErrorKind::ReadOnlyFilesystem),
        "{err}"
    );
    assert!(err.to_string().contains("cannot create"), "{err}");

    // Writable again: nothing committed was lost, and saves go on.
    umount(&fs.dir);
    assert_eq!(
        store.latest::<Blob>().unwrap(),
        Some((Generation(1), blob(1, 100)))
    );
    assert_eq!(store.save(&blob(2, 100)).unwrap(), Generation(2));
    assert_eq!(
        store.latest::<Blob>().unwrap(),
        Some((Generation(2), blob(2, 100)))
    );
}

#[test]
fn a_rename_that_fails_leaves_the_committed_generations_and_is_retried() {
    let Some(fs) = Tmpfs::mount("rename", "1m") else {
        return;
    };
    let mut store = SnapshotStore::open_with(&fs.dir, Options::new()).unwrap();
    assert_eq!(store.save(&blob(1, 100)).unwrap(), Generation(1));

    // A directory where the next generation's file goes: the rename into place fails.
    let in_the_way = fs.dir.join("snapshot-00000000000000000002.kimera");
    std::fs::create_dir(&in_the_way).unwrap();
    let err = store.save(&blob(2, 100)).unwrap_err();
    assert!(io_kind(&err).is_some(), "{err}");
    assert!(
        err.to_string().contains("cannot rename into place"),
        "{err}"
    );
    assert!(leftovers(&fs.dir).is_empty(), "{:?}", leftovers(&fs.dir));
    assert_eq!(
        store.latest::<Blob>().unwrap(),
        Some((Generation(1), blob(1, 100)))
    );

    // Cleared: the same number is used, as nothing was committed under it.
    std::fs::remove_dir(&in_the_way).unwrap();
    assert_eq!(store.save(&blob(2, 100)).unwrap(), Generation(2));
    assert_eq!(
        store.latest::<Blob>().unwrap(),
        Some((Generation(2), blob(2, 100)))
    );
}
