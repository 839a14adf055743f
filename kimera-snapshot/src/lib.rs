//! Crash-safe snapshots: save state periodically, restart from the newest good one.
//!
//! A [`SnapshotStore`] keeps numbered generations of one value in a directory. A save is atomic
//! and durable: the file is written under a temporary name, flushed to disk, renamed into
//! place, and the directory flushed, so a crash at any moment leaves either the previous
//! generations or the new one, never half of it. Every file carries a CRC-32; a torn or
//! corrupted file is never loaded: [`SnapshotStore::latest`] skips it, sets it aside (renamed,
//! not deleted), reports it in [`SnapshotStore::skipped`], and falls back to the newest good
//! generation. One writer at a time: a second store on the same directory gets
//! [`StoreError::Locked`]. (The lock is an OS file lock held by the store's open lock file; a
//! child process forked while the store is open shares it until the child execs or exits.)
//!
//! ```
//! use kimera::snapshot::SnapshotStore;
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "app.State")]
//! struct State { counter: u64 }
//!
//! # let dir = std::env::temp_dir().join(format!("kimera-doc-snapshot-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let mut store = SnapshotStore::open(&dir)?;
//! let state = match store.latest::<State>()? {
//!     Some((_generation, state)) => state, // restart where we left off
//!     None => State { counter: 0 },        // first start
//! };
//! let generation = store.save(&State { counter: state.counter + 1 })?;
//! assert_eq!(store.load::<State>(generation)?, State { counter: 1 });
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The file layout is specified in `docs/wire-format.md` ("Snapshot files").
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod file;

/// For the `kimera` command line: snapshot files read without a store.
#[doc(hidden)]
pub mod __private {
    use super::Generation;

    /// The generation and the envelope a snapshot file holds, or why it is not an intact
    /// snapshot file of this version.
    pub fn parse_file(bytes: &[u8]) -> Result<(Generation, &[u8]), String> {
        super::file::parse(bytes).map_err(|unfit| match unfit {
            super::file::Unfit::Corrupt(reason) => reason,
            super::file::Unfit::NewerVersion(found) => {
                format!("snapshot file format version {found}, newer than this reader's (1)")
            }
        })
    }

    /// The first bytes of every snapshot file.
    pub const MAGIC: [u8; 4] = super::file::MAGIC;
}

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use kimera_core::{Error, ErrorKind, Format, KimeraHandler, Limit, Limits, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use kimera_binary::Binary;

/// A store's own failures, held in the [`Error`] its methods return
/// ([`Error::downcast_ref`] finds them); I/O and decode failures are that error's own kinds.
///
/// ```
/// use kimera::snapshot::{SnapshotStore, StoreError};
///
/// # let dir = std::env::temp_dir().join(format!("kimera-doc-locked-{}", std::process::id()));
/// let store = SnapshotStore::open(&dir)?;
/// let err = SnapshotStore::open(&dir).unwrap_err();
/// assert!(matches!(err.downcast_ref::<StoreError>(), Some(StoreError::Locked { .. })));
/// assert!(err.to_string().ends_with("is locked by another writer; one writer at a time may use it"));
/// # drop(store);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another writer holds the directory's lock.
    #[error("`{}` is locked by another writer; one writer at a time may use it", .path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A snapshot file failed its checks: torn, truncated or corrupted.
    #[error("`{}` is corrupted: {reason}", .path.display())]
    CorruptFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        ErrorKind::Other(Box::new(err)).into()
    }
}

/// The number of a saved snapshot: 1 for the first save in a directory, then one more for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(pub u64);

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// When a save waits for the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fsync {
    /// Flush the file before the rename and the directory after it (the default): a saved
    /// generation survives a crash of the process and of the machine. (On Windows the
    /// directory is not flushed: the rename relies on NTFS's journal.)
    #[default]
    Always,
    /// Never flush: a saved generation survives a crash of the process (the rename is atomic)
    /// but maybe not a power cut, and since older generations are deleted as new ones are
    /// saved, a power cut may leave none at all. For tests and data that can be rebuilt.
    Never,
}

/// How a [`SnapshotStore`] saves: format, generations kept, flushing, size bound.
///
/// ```
/// use kimera::snapshot::{Fsync, Options};
/// use kimera::Json;
///
/// let options = Options::new().with_keep(5).with_fsync(Fsync::Never).with_format(Json::new());
/// assert_eq!(options.kept(), 5);
/// ```
#[derive(Clone, Debug)]
pub struct Options<F = Binary> {
    format: F,
    keep: usize,
    fsync: Fsync,
    max_size: u64,
}

impl Options {
    /// Binary envelopes (checksummed, carrying their writer's schema, so that a later build
    /// whose state type has changed resolves them: `docs/versioning.md`), 3 generations kept,
    /// [`Fsync::Always`], files up to [`Limits::DEFAULT`]'s `max_size`.
    pub fn new() -> Self {
        Options {
            format: Binary::new().with_schema(),
            keep: 3,
            fsync: Fsync::Always,
            max_size: Limits::DEFAULT.max_size,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Format> Options<F> {
    /// Writes snapshots in `format` (`Json::new()`, `Binary::new().without_checksum()`, ...).
    /// Files of either backend are read whatever the format.
    #[must_use]
    pub fn with_format<G: Format>(self, format: G) -> Options<G> {
        Options {
            format,
            keep: self.keep,
            fsync: self.fsync,
            max_size: self.max_size,
        }
    }

    /// Keeps the newest `keep` generations (at least 1); older ones are deleted once a newer
    /// one is durable.
    #[must_use]
    pub fn with_keep(mut self, keep: usize) -> Self {
        self.keep = keep.max(1);
        self
    }

    /// When saves wait for the disk.
    #[must_use]
    pub fn with_fsync(mut self, fsync: Fsync) -> Self {
        self.fsync = fsync;
        self
    }

    /// Refuses to write or read snapshot files larger than `max_size` bytes. The envelope
    /// inside is also bounded by the format's own [`Limits`] (256 MiB by default): give the
    /// format larger ones to store larger states.
    #[must_use]
    pub fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = max_size;
        self
    }

    /// The number of generations kept.
    pub fn kept(&self) -> usize {
        self.keep
    }
}

/// A snapshot file `latest` could not load, and where it was set aside.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// Its generation.
    pub generation: Generation,
    /// Why it was skipped.
    pub reason: String,
    /// Where it is now (`snapshot-<generation>.kimera.corrupt`, or `.corrupt-2` and on when
    /// that name is taken), or `None` if it could not be
    /// moved (it is then skipped again next time).
    pub set_aside: Option<PathBuf>,
}

const LOCK_FILE: &str = "kimera-snapshots.lock";
const PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".kimera";
const TEMP: &str = ".tmp";
const CORRUPT: &str = ".corrupt";
/// How many set-aside names (`.corrupt`, `.corrupt-2`, ...) one generation may take before a
/// damaged file stays where it is (skipped again on every `latest`).
const SET_ASIDE_TRIES: u32 = 100;

/// Numbered snapshots of one value in a directory, with one writer at a time.
///
/// See the [module](self) for an example.
pub struct SnapshotStore<F = Binary> {
    dir: PathBuf,
    options: Options<F>,
    /// Locked while the store lives; closing it releases the lock.
    _lock: File,
    next: u64,
    skipped: Vec<Skipped>,
}

impl SnapshotStore {
    /// Opens (creating it if needed) the snapshot directory `dir` with the default
    /// [`Options`], as its only writer.
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] if another store (in this process or another) has it open;
    /// [`ErrorKind::Io`] naming the path if it cannot be created, written or locked.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(dir, Options::new())
    }
}

impl<F: Format> SnapshotStore<F> {
    /// Opens `dir` with `options`; see [`SnapshotStore::open`].
    ///
    /// Leftover temporary files of saves that never finished (the process died before the
    /// rename) are deleted: a save that did not return was never durable.
    ///
    /// # Errors
    ///
    /// As [`SnapshotStore::open`], and [`ErrorKind::Io`] if the directory cannot be listed or a
    /// leftover temporary file cannot be deleted.
    pub fn open_with(dir: impl AsRef<Path>, options: Options<F>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let created = !dir.is_dir();
        fs::create_dir_all(&dir).map_err(|err| io_error("create the directory", &dir, err))?;
        if created && options.fsync == Fsync::Always {
            // The new directory's own entry, so that its snapshots are findable after a crash.
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|err| io_error("create the lock file", &lock_path, err))?;
        match fs4::FileExt::try_lock(&lock) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked { path: lock_path }.into())
            }
            Err(fs4::TryLockError::Error(err)) => {
                return Err(io_error("lock", &lock_path, err));
            }
        }
        let mut newest = 0;
        for entry in list(&dir)? {
            match entry {
                Entry::Temporary(path) => {
                    fs::remove_file(&path).map_err(|err| io_error("remove", &path, err))?;
                }
                Entry::Snapshot(generation) => newest = newest.max(generation.0),
            }
        }
        Ok(SnapshotStore {
            dir,
            options,
            _lock: lock,
            // At u64::MAX (a file named so by hand): `save` looks for the newest intact one.
            next: newest.saturating_add(1),
            skipped: Vec::new(),
        })
    }

    /// Saves `state` as a new generation and returns its number once it is durable (see
    /// [`Fsync`]); then deletes the generations beyond the kept count.
    ///
    /// # Errors
    ///
    /// This can fail if `state` does not encode in the store's format (that format's error, such as
    /// [`ErrorKind::Encode`]) or its file would be larger than the options' maximum
    /// ([`ErrorKind::LimitExceeded`]), and nothing is written then; or with [`ErrorKind::Io`],
    /// naming the path, if the file cannot be written, flushed or renamed into place, or the
    /// directory flushed (the generation is then not known to be durable). Failing to delete older
    /// generations is not an error: the next save tries again.
    pub fn save<T: KimeraHandler + Serialize + ?Sized>(&mut self, state: &T) -> Result<Generation> {
        if self.next == u64::MAX {
            // No store saves 2^64 times: a file named with the last number was put here by
            // hand. Number after the newest intact generation instead.
            self.recount()?;
        }
        if self.next == u64::MAX {
            return Err(io_error(
                "number a new generation in",
                &self.dir,
                io::Error::other("the generation numbers are exhausted"),
            ));
        }
        let generation = Generation(self.next);
        let bytes = file::encode(generation, &self.options.format.encode(state)?);
        if bytes.len() as u64 > self.options.max_size {
            // A file this store could not read back is not written.
            return Err(Limit::Size.exceeded(self.options.max_size).into());
        }
        let path = self.path(generation);
        let temp = self.dir.join(format!("{}{TEMP}", file_name(generation)));
        if let Err(err) = self.write_durably(&temp, &path, &bytes) {
            let _ = fs::remove_file(&temp);
            return Err(err);
        }
        // The generation is saved: failing to delete older ones (a file held open elsewhere)
        // must not say otherwise. The next save tries again.
        let _ = self.prune();
        Ok(generation)
    }

    fn write_durably(&mut self, temp: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)
            .map_err(|err| io_error("create", temp, err))?;
        file.write_all(bytes)
            .map_err(|err| io_error("write", temp, err))?;
        if self.options.fsync == Fsync::Always {
            file.sync_all()
                .map_err(|err| io_error("flush", temp, err))?;
        }
        drop(file);
        fs::rename(temp, path).map_err(|err| io_error("rename into place", path, err))?;
        // From here the generation may exist on disk: never hand its number out again.
        self.next += 1;
        if self.options.fsync == Fsync::Always {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Numbers the next save after the newest generation that passes its checks, setting
    /// aside (as `latest` does) the newer ones that do not.
    fn recount(&mut self) -> Result<()> {
        let mut newest = 0;
        for generation in self.generations()?.into_iter().rev() {
            match self.read(generation) {
                Ok(_) => {
                    newest = generation.0;
                    break;
                }
                Err(Unreadable::Corrupt(reason) | Unreadable::Oversized(reason)) => {
                    self.set_aside(generation, reason);
                }
                Err(Unreadable::Gone) => {}
                Err(Unreadable::Failed(err)) => return Err(err),
            }
        }
        self.next = newest.saturating_add(1);
        Ok(())
    }

    /// Renames the file of `generation` out of the way (`….kimera.corrupt`, or
    /// `….kimera.corrupt-2` and on if that is taken: nothing set aside is overwritten) and
    /// records it in [`skipped`](Self::skipped).
    fn set_aside(&mut self, generation: Generation, reason: String) {
        let path = self.path(generation);
        let name = file_name(generation);
        let free = (1..=SET_ASIDE_TRIES)
            .map(|n| match n {
                1 => self.dir.join(format!("{name}{CORRUPT}")),
                n => self.dir.join(format!("{name}{CORRUPT}-{n}")),
            })
            .find(|aside| !aside.exists());
        let set_aside = free.filter(|aside| fs::rename(&path, aside).is_ok());
        self.skipped.push(Skipped {
            generation,
            reason,
            set_aside,
        });
    }

    /// Deletes the oldest generations beyond the kept count.
    fn prune(&self) -> Result<()> {
        let generations = self.generations()?;
        let excess = generations.len().saturating_sub(self.options.keep);
        for &generation in &generations[..excess] {
            let path = self.path(generation);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(io_error("remove", &path, err)),
            }
        }
        Ok(())
    }

    /// The newest generation that loads, with its value; `None` if there is none.
    ///
    /// A file that is torn, truncated or corrupted (its checks fail), or larger than the
    /// options' maximum, is skipped: it is renamed to `snapshot-<generation>.kimera.corrupt`,
    /// recorded in [`skipped`](Self::skipped), and the next older generation is tried. A file that is intact but does not decode as `T`
    /// (another type, a version with no migration) is an error, not a corruption: it is left in
    /// place.
    ///
    /// # Errors
    ///
    /// This can fail with [`ErrorKind::Io`] if the directory or a file cannot be read, with
    /// [`ErrorKind::UnsupportedWireVersion`] for a file written by a newer snapshot format, and
    /// with the decode error if the newest intact generation is not a `T`
    /// ([`ErrorKind::TypeMismatch`], [`ErrorKind::NoMigration`], [`ErrorKind::Data`], ...).
    pub fn latest<T: KimeraHandler + DeserializeOwned>(
        &mut self,
    ) -> Result<Option<(Generation, T)>> {
        for generation in self.generations()?.into_iter().rev() {
            match self.read(generation) {
                Ok(envelope) => return self.decode(&envelope).map(|v| Some((generation, v))),
                Err(Unreadable::Corrupt(reason) | Unreadable::Oversized(reason)) => {
                    self.set_aside(generation, reason);
                }
                // Pruned since it was listed: not this store (it holds the lock), so by hand.
                Err(Unreadable::Gone) => {}
                Err(Unreadable::Failed(err)) => return Err(err),
            }
        }
        Ok(None)
    }

    /// The value saved as `generation`.
    ///
    /// # Errors
    ///
    /// [`StoreError::CorruptFile`] if the file fails its checks, [`ErrorKind::Io`] if it does not
    /// exist or cannot be read, [`ErrorKind::LimitExceeded`] if it is larger than the options'
    /// maximum, [`ErrorKind::UnsupportedWireVersion`] if a newer snapshot format wrote it, and the
    /// decode error if it is not a `T`.
    pub fn load<T: KimeraHandler + DeserializeOwned>(&self, generation: Generation) -> Result<T> {
        match self.read(generation) {
            Ok(envelope) => self.decode(&envelope),
            Err(Unreadable::Corrupt(reason)) => Err(StoreError::CorruptFile {
                path: self.path(generation),
                reason,
            }
            .into()),
            Err(Unreadable::Gone) => Err(io_error(
                "read",
                &self.path(generation),
                io::ErrorKind::NotFound.into(),
            )),
            Err(Unreadable::Oversized(_)) => {
                Err(Limit::Size.exceeded(self.options.max_size).into())
            }
            Err(Unreadable::Failed(err)) => Err(err),
        }
    }

    /// The generations in the directory, oldest first (set-aside files excluded).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`], naming the directory, if it cannot be listed.
    pub fn generations(&self) -> Result<Vec<Generation>> {
        let mut generations: Vec<Generation> = list(&self.dir)?
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Snapshot(generation) => Some(generation),
                _ => None,
            })
            .collect();
        generations.sort();
        Ok(generations)
    }

    /// The files skipped since the store was opened: by [`latest`](Self::latest), or by a
    /// [`save`](Self::save) numbering past a file named with the last generation number.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, generation: Generation) -> PathBuf {
        self.dir.join(file_name(generation))
    }

    /// The envelope in the file of `generation`, read whole and checked.
    fn read(&self, generation: Generation) -> std::result::Result<Vec<u8>, Unreadable> {
        let path = self.path(generation);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(Unreadable::Gone),
            Err(err) => return Err(Unreadable::Failed(io_error("open", &path, err))),
        };
        let max = self.options.max_size;
        let mut bytes = Vec::new();
        // One byte past the bound tells a file at the bound from a larger one.
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|err| Unreadable::Failed(io_error("read", &path, err)))?;
        if bytes.len() as u64 > max {
            return Err(Unreadable::Oversized(format!(
                "the file is larger than this store's maximum of {max} bytes"
            )));
        }
        match file::decode(&bytes, generation) {
            Ok(envelope) => Ok(envelope.to_vec()),
            Err(file::Unfit::Corrupt(reason)) => Err(Unreadable::Corrupt(reason)),
            Err(file::Unfit::NewerVersion(found)) => Err(Unreadable::Failed(
                ErrorKind::UnsupportedWireVersion {
                    format: "snapshot file",
                    found: found.into(),
                    supported: file::VERSION.into(),
                }
                .into(),
            )),
        }
    }

    /// Decodes with the store's format when it wrote the envelope, else with the default
    /// options of whichever backend did (a directory may hold files written before a change of
    /// format; JSON ones with the `json` feature).
    fn decode<T: KimeraHandler + DeserializeOwned>(&self, envelope: &[u8]) -> Result<T> {
        if F::sniff(envelope) {
            return self.options.format.decode(envelope);
        }
        #[cfg(feature = "json")]
        if kimera_json::Json::sniff(envelope) {
            return kimera_json::Json::new().decode(envelope);
        }
        // Checked at run time: a type the binary backend cannot carry may be in a JSON store.
        Binary::new().decode_checked_at_run_time(envelope)
    }
}

impl<F> fmt::Debug for SnapshotStore<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotStore")
            .field("dir", &self.dir)
            .field("next", &self.next)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

/// Why a snapshot file could not be read.
enum Unreadable {
    /// It failed its checks.
    Corrupt(String),
    /// It no longer exists.
    Gone,
    /// It is larger than the options' maximum: why.
    Oversized(String),
    /// Reading failed (or it is over the size bound): not the file's fault.
    Failed(Error),
}

/// A file of the snapshot directory, by its name.
enum Entry {
    Snapshot(Generation),
    Temporary(PathBuf),
}

/// The snapshot files in `dir`; other files are ignored, set-aside ones too: they are not
/// generations any more, and hold no number back.
fn list(dir: &Path) -> Result<Vec<Entry>> {
    let entries = fs::read_dir(dir).map_err(|err| io_error("list", dir, err))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| io_error("list", dir, err))?;
        // A directory or device named like a snapshot is not one.
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some((digits, suffix)) = rest.split_at_checked(20) else {
            continue;
        };
        let Some(generation) = digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok().map(Generation))
            .flatten()
        else {
            continue;
        };
        let Some(kind) = suffix.strip_prefix(SUFFIX) else {
            continue;
        };
        out.push(match kind {
            "" => Entry::Snapshot(generation),
            TEMP => Entry::Temporary(entry.path()),
            _ => continue,
        });
    }
    Ok(out)
}

fn file_name(generation: Generation) -> String {
    format!("{PREFIX}{:020}{SUFFIX}", generation.0)
}

/// Flushes the directory's entries (the rename) to disk.
fn sync_dir(dir: &Path) -> Result<()> {
    // Directories cannot be opened as files on Windows; NTFS journals the rename itself.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|err| io_error("flush", dir, err))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An I/O error naming what was being done and to which path.
fn io_error(doing: &str, path: &Path, err: io::Error) -> Error {
    ErrorKind::Io(io::Error::new(
        err.kind(),
        format!("cannot {doing} `{}`: {err}", path.display()),
    ))
    .into()
}
