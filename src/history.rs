//! The schema history: every shape the program's types have had, in a JSON file kept in the
//! repository and embedded in the program, so that every reader knows the writers' schemas.
//! (Feature `json`, which reads the file; the binary readers it serves need nothing else.)
//!
//! The workflow ([`guide::versioning`](crate::guide::versioning)):
//!
//! 1. A test calls [`assert_history`], which fails when a registered type's current schema is
//!    not in the file, or when the current build cannot read a recorded one (naming the field
//!    and why). Run it with `KIMERA_SCHEMAS=overwrite` to record the current schemas.
//! 2. The program embeds the file with [`schema_history!`](crate::schema_history): a binary
//!    value written with any recorded schema is then resolved into the reader's shape.
//!
//! ```
//! use kimera::history::History;
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera)]
//! #[kimera(name = "docs.Player")]
//! struct Player { name: String }
//!
//! let mut history = History::new();
//! for entry in History::current() {
//!     history.record(entry);
//! }
//! assert!(history.entries().iter().any(|e| e.name == "docs.Player"));
//! assert!(history.check().is_empty());
//! let text = history.to_json();
//! assert_eq!(History::from_json(&text)?, history);
//! # Ok::<(), kimera::Error>(())
//! ```

use std::path::Path;

use kimera_core::document::{check, Document};
use kimera_core::{ErrorKind, KimeraHandler, Result};
use serde::{Deserialize, Serialize};

use crate::registry::{self, RegisteredType};

/// The environment variable that makes [`assert_history`] record the current schemas.
pub const UPDATE_VAR: &str = "KIMERA_SCHEMAS";

/// The version of the history file's layout.
const LAYOUT: u32 = 1;

/// The recorded schemas (see the [module](self) documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<Entry>,
}

/// One recorded schema of a type at a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Entry {
    /// The type's name, as envelopes carry it.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// The schema's fingerprint, 16 hexadecimal digits (JSON numbers cannot hold 64 bits in
    /// every language).
    pub fingerprint: String,
    /// The schema.
    pub schema: Document,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kimera_schema_history: u32,
    types: Vec<Entry>,
}

impl Entry {
    /// The entry of `T`'s schema.
    ///
    /// ```
    /// let entry = kimera::history::Entry::of::<Vec<u8>>();
    /// assert_eq!((entry.name.as_str(), entry.version), ("list<u8>", 1));
    /// ```
    pub fn of<T: KimeraHandler + ?Sized>() -> Entry {
        Entry {
            name: T::type_name().into_owned(),
            version: T::VERSION,
            fingerprint: hex(T::FINGERPRINT),
            schema: Document::of::<T>(),
        }
    }

    /// The entry of a registered type's current schema.
    pub fn registered(registered: &RegisteredType) -> Entry {
        Entry {
            name: registered.name().to_owned(),
            version: registered.version(),
            fingerprint: hex(registered.fingerprint()),
            schema: Document::from_schema(registered.reference()),
        }
    }
}

fn hex(fingerprint: u64) -> String {
    format!("{fingerprint:016x}")
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// Reads a history file's text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadSchema`] if the text is not a schema history or is of a layout this
    /// build does not read. The entries themselves are checked by [`check`](History::check).
    pub fn from_json(text: &str) -> Result<History> {
        let file: File = serde_json::from_str(text).map_err(|err| ErrorKind::BadSchema {
            context: "file".to_owned(),
            reason: format!("it is not a schema history file ({err})"),
        })?;
        if file.kimera_schema_history != LAYOUT {
            return Err(ErrorKind::BadSchema {
                context: "file".to_owned(),
                reason: format!(
                    "its layout is version {}, and this build reads version {LAYOUT}",
                    file.kimera_schema_history
                ),
            }
            .into());
        }
        Ok(History {
            entries: file.types,
        })
    }

    /// The file's text: pretty-printed, entries sorted by name and version (an entry recorded
    /// later for the same version comes after), so that a change is a readable diff.
    pub fn to_json(&self) -> String {
        let file = File {
            kimera_schema_history: LAYOUT,
            types: self.entries.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("a history is plain data");
        text.push('\n');
        text
    }

    /// The recorded entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Adds `entry` unless a schema of that name, version and fingerprint is recorded; returns
    /// whether it was added.
    pub fn record(&mut self, entry: Entry) -> bool {
        if self.holds(&entry) {
            return false;
        }
        self.entries.push(entry);
        self.entries
            .sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
        true
    }

    /// The entries of every registered type's current schema.
    pub fn current() -> Vec<Entry> {
        registry::types().map(Entry::registered).collect()
    }

    /// What is wrong with this history for the current build, one sentence each: an entry
    /// whose document does not give its fingerprint, a registered type's current schema that
    /// is not recorded, a recorded schema the current build cannot read.
    pub fn check(&self) -> Vec<String> {
        let mut problems = self.unreadable();
        problems.extend(self.missing(&Self::current()).into_iter().map(|current| {
            format!(
                "the current schema of `{}` v{} ({}) is not recorded",
                current.name, current.version, current.fingerprint
            )
        }));
        problems
    }

    /// What is wrong with this history on its own, without the program's types, one sentence
    /// each: the part of [`check`](History::check) that needs no build, for scripts and CI in
    /// any language (`kimera schemas check`). An entry whose document does not give its
    /// fingerprint, and a recorded schema that the newest one recorded for its type and version
    /// cannot read, in binary or in JSON: that newest schema stands for the program's reader of
    /// that version.
    ///
    /// ```
    /// use kimera::history::{Entry, History};
    ///
    /// // Two schemas recorded for `list<u8>` v1 (by hand here; a history holds one type's).
    /// let mut older = Entry::of::<Vec<u8>>();
    /// let mut newer = Entry::of::<Vec<u16>>();
    /// (older.name, newer.name) = ("ids".to_owned(), "ids".to_owned());
    /// let mut history = History::new();
    /// history.record(older.clone());
    /// history.record(newer.clone());
    /// assert!(history.check_recorded().is_empty());
    ///
    /// // The newest no longer reads the older: `u16` values do not fit `u8`.
    /// let mut history = History::new();
    /// history.record(newer);
    /// history.record(older);
    /// let problems = history.check_recorded();
    /// assert!(problems[0].contains("does not fit"), "{problems:?}");
    /// ```
    pub fn check_recorded(&self) -> Vec<String> {
        let mut problems: Vec<String> = self.entries.iter().filter_map(invalid).collect();
        problems.extend(self.unresolved(false));
        problems
    }

    /// What a program rolled back to an older recorded schema of a type and version cannot read
    /// of what the newest writes, one sentence each: for a service that must stay able to roll
    /// back, every additive change read in both directions.
    ///
    /// ```
    /// use kimera::history::{Entry, History};
    ///
    /// let mut older = Entry::of::<Vec<u8>>();
    /// let mut newer = Entry::of::<Vec<u16>>();
    /// (older.name, newer.name) = ("ids".to_owned(), "ids".to_owned());
    /// let mut history = History::new();
    /// history.record(older);
    /// history.record(newer);
    /// assert!(history.check_recorded().is_empty());
    /// assert_eq!(history.check_rollback().len(), 1);
    /// ```
    pub fn check_rollback(&self) -> Vec<String> {
        self.unresolved(true)
    }

    /// For each type and version, the recorded schemas the newest one cannot read (or, when
    /// `rollback`, that cannot read the newest), in binary and in JSON.
    fn unresolved(&self, rollback: bool) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, newest) in self.entries.iter().enumerate() {
            let same = |e: &&Entry| (&e.name, e.version) == (&newest.name, newest.version);
            if self.entries[i + 1..].iter().any(|e| same(&e)) {
                continue;
            }
            for older in self.entries[..i].iter().filter(same) {
                let (writer, reader) = match rollback {
                    false => (older, newest),
                    true => (newest, older),
                };
                for (readable, backend) in [(false, "binary"), (true, "JSON")] {
                    if let Err(mismatch) =
                        check::check_documents(&writer.schema, &reader.schema, readable)
                    {
                        problems.push(format!(
                            "`{}` v{}: the schema {} cannot read values written with {} in {backend}: {mismatch}",
                            newest.name, newest.version, reader.fingerprint, writer.fingerprint
                        ));
                        break;
                    }
                }
            }
        }
        problems
    }

    /// The recorded entries that are wrong, or that this build cannot read, one sentence each.
    fn unreadable(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for entry in &self.entries {
            problems.extend(invalid(entry));
            if let Some(problem) = unreadable(entry) {
                problems.push(format!("{}: {problem}", at(entry)));
            }
        }
        problems
    }

    /// The entries of `current` this history does not hold.
    fn missing(&self, current: &[Entry]) -> Vec<Entry> {
        current.iter().filter(|e| !self.holds(e)).cloned().collect()
    }

    /// Whether a schema of `entry`'s name, version and fingerprint is recorded.
    fn holds(&self, entry: &Entry) -> bool {
        self.entries.iter().any(|e| {
            (&e.name, e.version, &e.fingerprint) == (&entry.name, entry.version, &entry.fingerprint)
        })
    }

    /// The documents of every entry.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.entries.iter().map(|e| &e.schema)
    }
}

/// How problems name an entry: `shop.Order` v3 (fingerprint).
fn at(entry: &Entry) -> String {
    format!(
        "`{}` v{} ({})",
        entry.name, entry.version, entry.fingerprint
    )
}

/// Why `entry`'s document is not the schema of its fingerprint, if it is not.
fn invalid(entry: &Entry) -> Option<String> {
    match entry.schema.fingerprint() {
        Ok(fp) if hex(fp) == entry.fingerprint => None,
        Ok(fp) => Some(format!(
            "the recorded schema of {} has the fingerprint {}",
            at(entry),
            hex(fp)
        )),
        Err(invalid) => Some(format!("the recorded schema of {}: {invalid}", at(entry))),
    }
}

/// Why this build cannot read values written with `entry`'s schema, if it cannot.
fn unreadable(entry: &Entry) -> Option<String> {
    let claimants: Vec<_> = registry::types()
        .filter(|t| t.name() == entry.name)
        .collect();
    let current = claimants.iter().map(|t| t.version()).max()?;
    // A type no longer registered, or a version from a newer build: nothing here reads it.
    if entry.version > current {
        return None;
    }
    let Some(reader) = claimants.iter().find(|t| t.version() == entry.version) else {
        return Some(format!(
            "this build reads `{}` at version {current}, and its migration chain has no link of version {}: keep the type of that version as `#[kimera(previous = ...)]`",
            entry.name, entry.version
        ));
    };
    if hex(reader.fingerprint()) == entry.fingerprint {
        return None;
    }
    let backends: &[(bool, &str)] = match reader.is_binary() {
        true => &[(false, "binary"), (true, "JSON")],
        false => &[(true, "JSON")],
    };
    backends.iter().find_map(|&(readable, backend)| {
        check::check(&entry.schema, reader.schema(), readable)
            .err()
            .map(|mismatch| {
                format!(
                    "{} cannot read it in {backend}: {mismatch}",
                    reader.rust_type()
                )
            })
    })
}

/// The test helper that keeps a schema history honest. It panics, naming the type, field and
/// why, when the current build cannot read a schema recorded in the file at `path` (relative
/// to the crate being tested); then, when a registered type's current schema is not recorded,
/// it records it if the environment variable [`UPDATE_VAR`] is `overwrite`, and panics
/// otherwise. Nothing is recorded while a recorded schema is unreadable.
///
/// A missing or empty file is an empty history (`schema_history!` needs the file to exist:
/// create it empty). Call it from a test of the crate that defines the types: the types it
/// records are the ones registered in the test binary (derived types without generic
/// parameters, and instantiations listed with [`register!`](crate::register)).
///
/// ```no_run
/// #[test]
/// fn schema_history() {
///     kimera::history::assert_history("kimera-schemas.json");
/// }
/// ```
#[track_caller]
pub fn assert_history(path: impl AsRef<Path>) {
    let path = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => Path::new(&dir).join(path),
        None => path.as_ref().to_owned(),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => panic!("cannot read {}: {err}", path.display()),
    };
    let mut history = match text.trim().is_empty() {
        true => History::new(),
        false => match History::from_json(&text) {
            Ok(history) => history,
            Err(err) => panic!("{}: {err}", path.display()),
        },
    };
    let current = History::current();
    if current.is_empty() {
        panic!(
            "no type is registered in this test binary, so the schema history {} would record nothing: call `assert_history` from a test of the crate that defines the types (for a binary crate, a `#[cfg(test)]` module in it: integration tests in `tests/` do not link a binary's types)",
            path.display()
        );
    }
    let unreadable = history.unreadable();
    if !unreadable.is_empty() {
        panic!(
            "the schema history {} does not hold for this build (nothing was recorded):\n- {}\nMake each change one that resolves, or declare it with a version bump and `#[kimera(previous = ...)]` (docs/versioning.md).",
            path.display(),
            unreadable.join("\n- ")
        );
    }
    let missing = history.missing(&current);
    if missing.is_empty() {
        return;
    }
    if std::env::var(UPDATE_VAR).as_deref() == Ok("overwrite") {
        missing.into_iter().for_each(|entry| {
            history.record(entry);
        });
        if let Err(err) = std::fs::write(&path, history.to_json()) {
            panic!("cannot write {}: {err}", path.display());
        }
        return;
    }
    let names: Vec<String> = missing
        .iter()
        .map(|e| format!("`{}` v{} ({})", e.name, e.version, e.fingerprint))
        .collect();
    panic!(
        "the schema history {} does not record the current schemas of {}: record them with `{UPDATE_VAR}=overwrite cargo test` and commit the file",
        path.display(),
        names.join(", ")
    );
}

/// For [`schema_history!`](crate::schema_history): the documents of an embedded history file;
/// none if it does not parse ([`assert_history`] reports that in the tests).
#[doc(hidden)]
pub fn documents_of(text: &str) -> Vec<Document> {
    History::from_json(text)
        .map(|h| h.entries.into_iter().map(|e| e.schema).collect())
        .unwrap_or_default()
}

/// Embeds a schema history file (a path relative to the crate's `Cargo.toml`) in the program:
/// every reader then finds the writers' schemas recorded there, and resolves values written
/// with any of them into its own types' shapes
/// ([`guide::versioning`](crate::guide::versioning)).
///
/// ```ignore
/// kimera::schema_history!("kimera-schemas.json");
/// ```
#[cfg_attr(docsrs, doc(cfg(all(feature = "json", feature = "registry"))))]
#[macro_export]
macro_rules! schema_history {
    ($path:literal) => {
        const _: () = {
            fn documents() -> ::std::vec::Vec<$crate::schema::document::Document> {
                $crate::history::documents_of(::core::include_str!(::core::concat!(
                    ::core::env!("CARGO_MANIFEST_DIR"),
                    "/",
                    $path
                )))
            }
            $crate::__private::inventory::submit! {
                $crate::schema::document::KnownSchemas { origin: $path, load: documents }
            }
        };
    };
}
