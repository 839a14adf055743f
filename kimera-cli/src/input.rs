//! What the command is given, found out from its first bytes: one envelope, a frame stream, a
//! snapshot file, or a snapshot directory; and the envelopes it holds, one at a time.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use kimera::frame::FrameReader;
use kimera::snapshot::__private::{parse_file, MAGIC};

/// One envelope of an input, or why it could not be taken out.
pub struct Item<'a> {
    /// Where it is: `frame 3 (at byte 1042)`, `snapshot-…07.kimera (generation 7)`.
    pub label: String,
    pub envelope: Result<&'a [u8], String>,
}

/// What an input holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Envelope,
    Frames,
    SnapshotFile,
    SnapshotDir,
    /// Empty, or nothing Kimera writes: one item, its error.
    Unknown,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Envelope => "one envelope",
            Kind::Frames => "a frame stream",
            Kind::SnapshotFile => "a snapshot file",
            Kind::SnapshotDir => "a snapshot directory",
            Kind::Unknown => "not Kimera data",
        }
    }
}

/// A file, a directory, or standard input (`-`).
pub struct Input {
    pub name: String,
    path: Option<PathBuf>,
}

impl Input {
    pub fn new(arg: Option<&Path>) -> Input {
        match arg {
            None => Input::stdin(),
            Some(path) if path == Path::new("-") => Input::stdin(),
            Some(path) => Input {
                name: path.display().to_string(),
                path: Some(path.to_owned()),
            },
        }
    }

    fn stdin() -> Input {
        Input {
            name: "standard input".to_owned(),
            path: None,
        }
    }

    fn open(&self) -> io::Result<Box<dyn Read>> {
        Ok(match &self.path {
            Some(path) => Box::new(BufReader::with_capacity(1 << 16, File::open(path)?)),
            None => Box::new(io::stdin().lock()),
        })
    }

    /// Calls `each` with every envelope the input holds, in order; the kind it found. Stops
    /// at an error that leaves nothing more to read (an I/O error, a torn frame stream), after
    /// handing it to `each`.
    pub fn for_each(
        &self,
        max_frame_len: u32,
        progress: &indicatif::ProgressBar,
        mut each: impl FnMut(Kind, Item<'_>),
    ) -> io::Result<Kind> {
        if let Some(dir) = self.path.as_ref().filter(|p| p.is_dir()) {
            return snapshot_dir(dir, progress, each).map(|()| Kind::SnapshotDir);
        }
        let mut reader = self.open()?;
        let mut head = Vec::with_capacity(6);
        (&mut reader).take(6).read_to_end(&mut head)?;
        let size = self
            .path
            .as_ref()
            .and_then(|p| p.metadata().ok())
            .map(|m| m.len());
        let Some(kind) = detect(&head, size) else {
            let start: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
            let error = match head.is_empty() {
                // Never what a writer leaves but for a stream of no frames: rather a file
                // that lost its content, which must not pass for a good one.
                true => "empty: it holds no envelope, frame or snapshot".to_owned(),
                false => format!(
                    "not Kimera data: it starts with {}, the start of neither an envelope (4b \
                     e5, or {{ for JSON), a snapshot file (KSNP) nor a frame stream (a 4-byte \
                     length, then an envelope)",
                    start.join(" ")
                ),
            };
            each(
                Kind::Unknown,
                Item {
                    label: self.name.clone(),
                    envelope: Err(error),
                },
            );
            return Ok(Kind::Unknown);
        };
        let mut whole = head.as_slice().chain(reader);
        match kind {
            Kind::Frames => {
                // A file, not a peer: an oversized frame is skipped whatever its length, so
                // that the frames after it are still read.
                let mut frames = FrameReader::new(whole)
                    .with_max_frame_len(max_frame_len)
                    .with_max_skip(u64::MAX);
                // Where the next frame starts, while known: a refused frame is skipped by a
                // length this side does not see.
                let mut at = Some(0u64);
                for n in 1.. {
                    let label = match at {
                        Some(at) => format!("frame {n} (at byte {at})"),
                        None => format!("frame {n}"),
                    };
                    match frames.read_frame() {
                        Ok(None) => break,
                        Ok(Some(envelope)) => {
                            at = at.map(|at| at + 4 + envelope.len() as u64);
                            progress.inc(4 + envelope.len() as u64);
                            each(
                                kind,
                                Item {
                                    label,
                                    envelope: Ok(envelope),
                                },
                            );
                        }
                        Err(err) => {
                            at = None;
                            let in_sync = frames.is_in_sync();
                            each(
                                kind,
                                Item {
                                    label,
                                    envelope: Err(err.to_string()),
                                },
                            );
                            if !in_sync {
                                break;
                            }
                        }
                    }
                }
            }
            Kind::Envelope | Kind::SnapshotFile => {
                let mut bytes = Vec::new();
                whole.read_to_end(&mut bytes)?;
                progress.inc(bytes.len() as u64);
                let item = match kind {
                    Kind::SnapshotFile => snapshot_item("the snapshot file".to_owned(), &bytes),
                    _ => Item {
                        label: "the envelope".to_owned(),
                        envelope: Ok(&bytes),
                    },
                };
                each(kind, item);
            }
            Kind::SnapshotDir | Kind::Unknown => unreachable!("found above"),
        }
        Ok(kind)
    }
}

/// A snapshot file starts with its magic; an envelope with its own (binary) or `{`; a frame
/// stream with a length, then an envelope. `None` for anything else, and for nothing. Of an
/// input of a known `size`, a first frame longer than it is not one: an envelope indented
/// by four spaces, or of a type name starting with `{`, looks like a frame's start.
fn detect(head: &[u8], size: Option<u64>) -> Option<Kind> {
    let envelope_start = |b: &[u8]| b.starts_with(&[0x4b, 0xe5]) || b.first() == Some(&b'{');
    let fits = |prefix: &[u8]| {
        let len = u32::from_le_bytes(prefix.try_into().expect("four bytes"));
        size.is_none_or(|size| u64::from(len) + 4 <= size)
    };
    if head.starts_with(&MAGIC) {
        Some(Kind::SnapshotFile)
    } else if head.len() > 4 && envelope_start(&head[4..]) && fits(&head[..4]) {
        Some(Kind::Frames)
    } else if envelope_start(head.trim_ascii_start()) {
        Some(Kind::Envelope)
    } else {
        None
    }
}

fn snapshot_item(label: String, bytes: &[u8]) -> Item<'_> {
    match parse_file(bytes) {
        Ok((generation, envelope)) => Item {
            label: format!("{label} (generation {generation})"),
            envelope: Ok(envelope),
        },
        Err(reason) => Item {
            label,
            envelope: Err(format!("not an intact snapshot file: {reason}")),
        },
    }
}

/// Every snapshot file of a store's directory, oldest first, and the files set aside as
/// corrupt (reported as damaged, for they are).
fn snapshot_dir(
    dir: &Path,
    progress: &indicatif::ProgressBar,
    mut each: impl FnMut(Kind, Item<'_>),
) -> io::Result<()> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let snapshot = name.starts_with("snapshot-")
            && (name.ends_with(".kimera") || name.contains(".kimera.corrupt"));
        if snapshot && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    names.sort();
    for name in names {
        let bytes = std::fs::read(dir.join(&name))?;
        progress.inc(bytes.len() as u64);
        if name.contains(".kimera.corrupt") {
            each(
                Kind::SnapshotDir,
                Item {
                    label: name,
                    envelope: Err("set aside as corrupt by the store".to_owned()),
                },
            );
            continue;
        }
        each(Kind::SnapshotDir, snapshot_item(name, &bytes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_told_apart_by_their_first_bytes() {
        assert_eq!(detect(b"KSNP\x01\x00", None), Some(Kind::SnapshotFile));
        let binary = [0x4b, 0xe5, 0x11, 0x08, b'l', b'i'];
        assert_eq!(detect(&binary, None), Some(Kind::Envelope));
        assert_eq!(detect(b"{\"kimera\"", None), Some(Kind::Envelope));
        assert_eq!(detect(b"\n {\"k", None), Some(Kind::Envelope));
        assert_eq!(detect(&[20, 0, 0, 0, 0x4b, 0xe5], None), Some(Kind::Frames));
        assert_eq!(detect(&[20, 0, 0, 0, b'{', b'"'], None), Some(Kind::Frames));
        assert_eq!(detect(b"hello!", None), None);
        assert_eq!(
            detect(b"", None),
            None,
            "an empty input is refused, not a stream of nothing"
        );
        // An indented JSON envelope: its spaces are no frame length a file of its size holds.
        assert_eq!(detect(b"    {\"kim", Some(80)), Some(Kind::Envelope));
        assert_eq!(detect(b"    {\"kim", None), Some(Kind::Frames));
        assert_eq!(
            detect(&[20, 0, 0, 0, b'{', b'"'], Some(24)),
            Some(Kind::Frames)
        );
    }
}
