//! Change detection: which fields of a value changed between two points in time.
//!
//! [`between`] compares two values of one type as serde writes them, [`between_encoded`] two encoded
//! snapshots (of either backend, of any versions: both are decoded and migrated first). The
//! result lists each change with its path, an RFC 6901 JSON Pointer built from the field names
//! serde writes (`/lines/2/qty`), its kind, and the old and new values; it prints one line per
//! change and converts to an RFC 6902 JSON Patch.
//!
//! ```
//! use kimera::diff::ChangeKind;
//! use kimera::Kimera;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Clone)]
//! struct Order { id: u64, lines: Vec<Line>, note: Option<String> }
//!
//! #[derive(Serialize, Deserialize, Kimera, Clone)]
//! struct Line { sku: String, qty: u32 }
//!
//! let old = Order { id: 1, lines: vec![Line { sku: "a".into(), qty: 1 }], note: None };
//! let mut new = old.clone();
//! new.lines[0].qty = 3;
//! new.lines.push(Line { sku: "b".into(), qty: 1 });
//! new.note = Some("gift".into());
//!
//! let diff = kimera::diff::between(&old, &new)?;
//! assert_eq!(diff.changes()[0].path(), "/lines/0/qty");
//! assert_eq!(diff.changes()[0].kind(), ChangeKind::Changed);
//! assert_eq!(diff.to_string(), "\
//! changed /lines/0/qty: 1 -> 3
//! added /lines/1: {\"sku\": \"b\", \"qty\": 1}
//! changed /note: null -> \"gift\"");
//! # Ok::<(), kimera::Error>(())
//! ```
//!
//! # How values are compared
//!
//! Both values are taken as serde writes them, in the JSON data model (structs and maps are
//! objects keyed by the names serde writes, enums tagged as serde tags them, `None` is null), so a
//! path points into the value's JSON form and the patch applies to it. Maps are compared key by
//! key, whatever their order. Sequences are compared **position by position**: inserting an
//! element at the front of a list shows as every later position changed plus one added at the
//! end. Matching elements by a key field, or by a longest common subsequence, would give
//! shorter diffs for such edits; both are possible extensions. An enum that changes variant
//! is one change of the whole value when serde tags it externally (the default); an internally
//! tagged one (`#[serde(tag = "type")]`) is an object, so a change of variant shows as the tag
//! changed and the fields removed and added. Floats are compared by value, except that NaN equals NaN
//! (a field that stays NaN did not change) and `0.0` differs from `-0.0`.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};

use kimera_core::{KimeraHandler, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use kimera_core::value::Value;

/// What happened at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// Present in the new value only.
    Added,
    /// Present in the old value only.
    Removed,
    /// Present in both, different.
    Changed,
}

/// One change: where, what kind, and the values on each side.
#[derive(Clone, Debug)]
pub struct Change {
    path: String,
    kind: ChangeKind,
    old: Option<Value>,
    new: Option<Value>,
}

impl Change {
    /// Where, as an RFC 6901 JSON Pointer (`/lines/2/qty`; `""` for the whole value).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What happened there.
    pub fn kind(&self) -> ChangeKind {
        self.kind
    }

    /// The old value (`None` when added).
    pub fn old_value(&self) -> Option<&Value> {
        self.old.as_ref()
    }

    /// The new value (`None` when removed).
    pub fn new_value(&self) -> Option<&Value> {
        self.new.as_ref()
    }
}

/// `changed /lines/0/qty: 1 -> 3`, `added /tags/vip: true`, `removed /notes/0: "x"`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = match self.path.as_str() {
            "" => "(the whole value)",
            path => path,
        };
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => write!(f, "changed {path}: {old} -> {new}"),
            (None, Some(new)) => write!(f, "added {path}: {new}"),
            (Some(old), None) => write!(f, "removed {path}: {old}"),
            (None, None) => write!(f, "{path}"),
        }
    }
}

/// The changes between two values, in the order they apply (see [`Diff::to_json_patch`]).
#[derive(Clone, Debug, Default)]
pub struct Diff {
    changes: Vec<Change>,
}

impl Diff {
    /// Whether the two values were the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes: for sequences, additions in ascending and removals in descending order of
    /// position, so that applying them one after the other is valid.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The diff as an RFC 6902 JSON Patch (`add`, `remove`, `replace` operations) that turns the
    /// old value's JSON form into the new one's.
    ///
    /// An error if a value in it has no exact JSON form (NaN, infinities, integers beyond 64
    /// bits): nothing is written differently from what it is.
    ///
    /// ```
    /// let diff = kimera::diff::between(&vec![1, 2, 3], &vec![1, 5])?;
    /// assert_eq!(
    ///     diff.to_json_patch()?,
    ///     serde_json::json!([
    ///         { "op": "replace", "path": "/1", "value": 5 },
    ///         { "op": "remove", "path": "/2" },
    ///     ])
    /// );
    /// # Ok::<(), kimera::Error>(())
    /// ```
    #[cfg(feature = "json")]
    pub fn to_json_patch(&self) -> Result<serde_json::Value> {
        use serde_json::json;
        self.changes
            .iter()
            .map(|change| {
                let path = &change.path;
                let json = |value: &Value| {
                    value.to_json_value().map_err(|err| -> kimera_core::Error {
                        let message = match err.into_kind() {
                            kimera_core::ErrorKind::Encode { message, .. } => message,
                            other => other.to_string(),
                        };
                        kimera_core::ErrorKind::Encode {
                            type_name: "JSON Patch".to_owned(),
                            path: path.clone(),
                            message,
                        }
                        .into()
                    })
                };
                Ok(match (&change.old, &change.new) {
                    (Some(_), Some(new)) => {
                        json!({ "op": "replace", "path": path, "value": json(new)? })
                    }
                    (None, Some(new)) => json!({ "op": "add", "path": path, "value": json(new)? }),
                    _ => json!({ "op": "remove", "path": path }),
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(serde_json::Value::Array)
    }
}

/// One line per change; `no changes` when empty.
impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return f.write_str("no changes");
        }
        for (i, change) in self.changes.iter().enumerate() {
            if i > 0 {
                f.write_char('\n')?;
            }
            write!(f, "{change}")?;
        }
        Ok(())
    }
}

/// The changes from `old` to `new`, two values of one handled type.
///
/// See the [module](self) for an example.
///
/// # Errors
///
/// [`ErrorKind::Encode`](crate::ErrorKind::Encode) if a `Serialize` impl fails.
pub fn between<T: KimeraHandler + Serialize + ?Sized>(old: &T, new: &T) -> Result<Diff> {
    Ok(between_values(&Value::of(old)?, &Value::of(new)?))
}

/// The changes from `old` to `new`, two values as serde wrote them (`kimera::inspect` diffs
/// values it has no Rust type for).
pub(crate) fn between_values(old: &Value, new: &Value) -> Diff {
    let mut changes = Vec::new();
    compare(&mut String::new(), old, new, &mut changes);
    Diff { changes }
}

/// The changes between two encoded values of `T`: each decoded from whichever backend wrote it
/// and migrated from its version to `T`'s, then compared.
///
/// # Errors
///
/// The errors of [`from_slice`](crate::from_slice) for either input, then those of
/// [`between`].
///
/// ```
/// let old = kimera::json::to_vec(&vec!["a".to_string()])?;
/// let new = kimera::binary::to_vec(&vec!["a".to_string(), "b".to_string()])?;
/// let diff = kimera::diff::between_encoded::<Vec<String>>(&old, &new)?;
/// assert_eq!(diff.to_string(), r#"added /1: "b""#);
/// # Ok::<(), kimera::Error>(())
/// ```
pub fn between_encoded<T>(old: &[u8], new: &[u8]) -> Result<Diff>
where
    T: KimeraHandler + Serialize + DeserializeOwned,
{
    let old: T = crate::from_slice(old)?;
    let new: T = crate::from_slice(new)?;
    between(&old, &new)
}

/// Appends the changes from `old` to `new` at `path` (restored before returning).
fn compare(path: &mut String, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Map(a), Value::Map(b)) => {
            let in_new: HashMap<&str, &Value> = b.iter().map(|(k, v)| (k.as_str(), v)).collect();
            for (key, old) in a {
                at(path, key, |path| match in_new.get(key.as_str()) {
                    Some(new) => compare(path, old, new, out),
                    None => out.push(removed(path, old)),
                });
            }
            let in_old: HashSet<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
            for (key, new) in b.iter().filter(|(k, _)| !in_old.contains(k.as_str())) {
                at(path, key, |path| out.push(added(path, new)));
            }
        }
        (Value::List(a), Value::List(b)) => {
            let common = a.len().min(b.len());
            for (i, (old, new)) in a.iter().zip(b).enumerate() {
                at(path, &i.to_string(), |path| compare(path, old, new, out));
            }
            for (i, new) in b.iter().enumerate().skip(common) {
                at(path, &i.to_string(), |path| out.push(added(path, new)));
            }
            // From the end, so that each removal leaves the positions of the next ones intact.
            for (i, old) in a.iter().enumerate().skip(common).rev() {
                at(path, &i.to_string(), |path| out.push(removed(path, old)));
            }
        }
        (Value::Variant(a, x), Value::Variant(b, y)) if a == b => {
            at(path, a, |path| compare(path, x, y, out));
        }
        _ if old == new => {}
        _ => out.push(Change {
            path: path.clone(),
            kind: ChangeKind::Changed,
            old: Some(old.clone()),
            new: Some(new.clone()),
        }),
    }
}

/// Runs `f` with `key` appended to `path` as one JSON Pointer segment (`~` as `~0`, `/` as `~1`).
fn at(path: &mut String, key: &str, f: impl FnOnce(&mut String)) {
    let len = path.len();
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
    f(path);
    path.truncate(len);
}

fn added(path: &str, new: &Value) -> Change {
    Change {
        path: path.to_owned(),
        kind: ChangeKind::Added,
        old: None,
        new: Some(new.clone()),
    }
}

fn removed(path: &str, old: &Value) -> Change {
    Change {
        path: path.to_owned(),
        kind: ChangeKind::Removed,
        old: Some(old.clone()),
        new: None,
    }
}
