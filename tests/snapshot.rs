//! Snapshots: saves are atomic and durable, damaged files are skipped and set aside, one writer
//! at a time. The crash test is in `tests/crash.rs`.
#![cfg(unix)]

#[path = "support/counter.rs"]
mod counter;
mod support;

use std::path::{Path, PathBuf};

use counter::{counter, Counter};
use kimera::snapshot::{Fsync, Generation, Options, SnapshotStore, StoreError};
use kimera::{ErrorKind, Json};
use support::crc32;

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
    Options::new().with_fsync(Fsync::Never)
}

fn file_of(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("snapshot-{generation:020}.kimera"))
}

#[test]
fn saves_load_back_and_old_generations_are_pruned() {
    let dir = TempDir::new("prune");
    let mut store = SnapshotStore::open_with(&dir.0, quick().with_keep(2)).unwrap();
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

/// The file layout of docs/wire-format.md, byte for byte: a header, a binary envelope carrying
/// its schema, a CRC.
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
    let envelope =
        kimera::Format::encode(&kimera::Binary::new().with_schema(), &counter(3)).unwrap();
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
    assert!(
        matches!(err.downcast_ref(), Some(StoreError::Locked { .. })),
        "{err}"
    );
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
    assert!(
        matches!(err.downcast_ref(), Some(StoreError::CorruptFile { .. })),
        "{err}"
    );
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
    let mut store =
        SnapshotStore::open_with(&dir.0, quick().with_format(Json::new().with_pretty(true)))
            .unwrap();
    let generation = store.save(&counter(2)).unwrap();
    let text = std::fs::read(file_of(&dir.0, 2)).unwrap();
    assert!(text[21..].starts_with(b"{\n  \"kimera\": 1"));
    assert_eq!(store.load::<Counter>(generation).unwrap(), counter(2));
    // The binary file written before the switch still reads.
    assert_eq!(store.load::<Counter>(Generation(1)).unwrap(), counter(1));
}

#[test]
fn odd_files_in_the_directory_are_handled() {
    let dir = TempDir::new("odd");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&counter(1)).unwrap();
    // A directory named like a newer snapshot is not one.
    std::fs::create_dir(file_of(&dir.0, 5)).unwrap();
    assert_eq!(store.generations().unwrap(), [Generation(1)]);
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(1), counter(1)))
    );

    // A whole file of a newer file format: an error, not damage, and left where it is.
    let path = file_of(&dir.0, 2);
    let mut bytes = std::fs::read(file_of(&dir.0, 1)).unwrap();
    bytes.truncate(bytes.len() - 4);
    bytes[4] = 2;
    bytes[5] = 2; // its generation
    let crc = crc32(&bytes);
    bytes.extend(crc.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let err = store.latest::<Counter>().unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::UnsupportedWireVersion { found: 2, .. }
        ),
        "{err}"
    );
    assert!(path.exists() && store.skipped().is_empty());
    drop(store);
}

/// A file named with the last generation number, whatever it holds, does not stop saves: the
/// next one is numbered after the newest intact generation, before and after reopening.
#[test]
fn a_file_at_the_last_generation_number_does_not_stop_saves() {
    let garbage = |_: &Path| b"not a snapshot".to_vec();
    // A real generation's file copied under the last number: its content names another.
    let copy = |dir: &Path| std::fs::read(file_of(dir, 1)).unwrap();
    for (case, content) in [
        ("garbage", &garbage as &dyn Fn(&Path) -> Vec<u8>),
        ("copy", &copy),
    ] {
        let dir = TempDir::new(&format!("last-number-{case}"));
        let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
        store.save(&counter(1)).unwrap();
        std::fs::write(file_of(&dir.0, u64::MAX), content(&dir.0)).unwrap();
        drop(store);

        let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
        assert_eq!(store.save(&counter(2)).unwrap(), Generation(2), "{case}");
        let skipped = store.skipped();
        assert_eq!(skipped.len(), 1, "{case}: {skipped:?}");
        assert_eq!(skipped[0].generation, Generation(u64::MAX));
        assert!(!file_of(&dir.0, u64::MAX).exists());
        assert_eq!(
            store.latest::<Counter>().unwrap(),
            Some((Generation(2), counter(2)))
        );
        drop(store);

        // Set aside, it holds no number back.
        let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
        assert_eq!(store.save(&counter(3)).unwrap(), Generation(3), "{case}");
        assert_eq!(
            store.latest::<Counter>().unwrap(),
            Some((Generation(3), counter(3)))
        );
    }

    // With no intact generation at all, numbering starts again at 1.
    let dir = TempDir::new("last-number-alone");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(file_of(&dir.0, u64::MAX), b"").unwrap();
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    assert_eq!(store.save(&counter(1)).unwrap(), Generation(1));
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(1), counter(1)))
    );
}

/// A generation number set aside and used again sets the second file aside under a name of
/// its own: nothing set aside is overwritten.
#[test]
fn files_set_aside_are_never_overwritten() {
    let dir = TempDir::new("aside-twice");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&counter(1)).unwrap();
    for round in 0..2 {
        // Generation 2, saved then damaged; set aside on the next `latest`.
        assert_eq!(store.save(&counter(2)).unwrap(), Generation(2));
        std::fs::write(file_of(&dir.0, 2), format!("damage {round}")).unwrap();
        assert_eq!(
            store.latest::<Counter>().unwrap(),
            Some((Generation(1), counter(1)))
        );
        drop(store);
        store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    }
    let aside = |name: &str| std::fs::read_to_string(dir.0.join(name)).unwrap();
    let name = "snapshot-00000000000000000002.kimera.corrupt";
    assert_eq!(aside(name), "damage 0");
    assert_eq!(aside(&format!("{name}-2")), "damage 1");
}

/// A newest file over the size bound (written with a larger one, or put there) is skipped and
/// set aside by `latest`, which falls back to the older good generation; asked for by number,
/// it is the size error.
#[test]
fn an_oversized_newest_file_is_skipped() {
    let dir = TempDir::new("oversized");
    let mut store = SnapshotStore::open_with(&dir.0, quick()).unwrap();
    store.save(&counter(1)).unwrap();
    let big = Counter {
        value: 2,
        history: (0..1000).collect(),
    };
    store.save(&big).unwrap();
    drop(store);

    let mut store = SnapshotStore::open_with(&dir.0, quick().with_max_size(256)).unwrap();
    let err = store.load::<Counter>(Generation(2)).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { max: 256, .. }),
        "{err}"
    );
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(1), counter(1)))
    );
    let skipped = store.skipped();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].reason.contains("maximum of 256 bytes"),
        "{skipped:?}"
    );
    assert!(skipped[0].set_aside.as_ref().is_some_and(|p| p.exists()));
    assert_eq!(store.save(&counter(3)).unwrap(), Generation(3));
}

#[test]
fn a_state_over_the_size_bound_is_not_written() {
    let dir = TempDir::new("too-big");
    let mut store = SnapshotStore::open_with(&dir.0, quick().with_max_size(256)).unwrap();
    store.save(&counter(1)).unwrap();
    let big = Counter {
        value: 2,
        history: (0..1000).collect(),
    };
    let err = store.save(&big).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { max: 256, .. }),
        "{err}"
    );
    assert_eq!(
        store.latest::<Counter>().unwrap(),
        Some((Generation(1), counter(1)))
    );
}
