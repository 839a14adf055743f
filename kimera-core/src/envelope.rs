//! What every envelope says about its value, and the checks a reader makes before the body.

use std::borrow::Cow;
use std::fmt;

use crate::error::{ErrorKind, Result};
use crate::handler::Alias;
use crate::{KimeraHandler, Schema};

/// The identity an envelope gives its value, read without touching the body.
///
/// ```
/// use kimera::format::Header;
/// let header = Header::new("shop.Order", 3);
/// assert!(header.check::<u32>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header<'a> {
    /// The type name (`shop.Order`, `list<u8>`).
    pub type_name: Cow<'a, str>,
    /// The schema version of the type that wrote the value.
    pub version: u32,
    /// The writer's schema fingerprint, where the format carries one (binary does, JSON does not).
    pub fingerprint: Option<u64>,
    /// The writer's [`Schema::origin_hash`]: the origins of the default-named types in the
    /// type name.
    pub origin: Option<u32>,
}

/// The fields, with the fingerprint and origin in hex as errors and schema histories print
/// them.
///
/// ```
/// use kimera::format::Header;
///
/// let header = Header::new("u8", 1).with_fingerprint(0xcaa0_2497_1058_419e);
/// assert_eq!(
///     format!("{header:?}"),
///     r#"Header { type_name: "u8", version: 1, fingerprint: Some(caa024971058419e), origin: None }"#
/// );
/// ```
impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Hex<T>(T);
        impl<T: fmt::LowerHex> fmt::Debug for Hex<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{:0width$x}",
                    self.0,
                    width = 2 * std::mem::size_of::<T>()
                )
            }
        }
        f.debug_struct("Header")
            .field("type_name", &self.type_name)
            .field("version", &self.version)
            .field("fingerprint", &self.fingerprint.map(Hex))
            .field("origin", &self.origin.map(Hex))
            .finish()
    }
}

impl<'a> Header<'a> {
    /// A header naming `type_name` at `version`, with no fingerprint and no origin.
    pub fn new(type_name: impl Into<Cow<'a, str>>, version: u32) -> Self {
        Header {
            type_name: type_name.into(),
            version,
            fingerprint: None,
            origin: None,
        }
    }

    /// This header with the writer's fingerprint.
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: u64) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// This header with the hash of the writer's origin.
    #[must_use]
    pub fn with_origin(mut self, origin: Option<u32>) -> Self {
        self.origin = origin;
        self
    }
}

impl Header<'_> {
    /// Checks that this envelope holds a `T` of the reader's own version: same type name (or
    /// one of its [aliases](KimeraHandler::ALIASES)), same version, and (where carried) the
    /// same fingerprint, in that order: a wrong type is reported as such even when its version
    /// or fingerprint differ too. An older version is [`ErrorKind::NoMigration`].
    ///
    /// For a format that reads older versions through their migrations, see
    /// [`reading`](Self::reading).
    ///
    /// ```
    /// use kimera::format::Header;
    /// let header = Header::new("u8", 1);
    /// header.check::<u8>()?;
    /// assert!(header.check::<u16>().is_err());
    /// # Ok::<(), kimera::Error>(())
    /// ```
    pub fn check<T: KimeraHandler + ?Sized>(&self) -> Result<()> {
        match self.reading::<T>()? {
            Reading::Current => Ok(()),
            Reading::Migrate { from } => Err(crate::migration::no_migration::<T>(from)),
        }
    }

    /// Checks this envelope as [`check`](Self::check) does, except that an older version is
    /// not an error but [`Reading::Migrate`]: decode it through [`KimeraHandler::migrate`],
    /// whose link of that version checks the name and fingerprint
    /// ([`migration::check_link`](crate::migration::check_link)).
    ///
    /// ```
    /// use kimera::format::{Header, Reading};
    /// let header = Header::new("u8", 1);
    /// assert_eq!(header.reading::<u8>()?, Reading::Current);
    /// # Ok::<(), kimera::Error>(())
    /// ```
    pub fn reading<T: KimeraHandler + ?Sized>(&self) -> Result<Reading> {
        check_name::<T>(&self.type_name)?;
        let reading = reading_of::<T>(self.version)?;
        if let Reading::Current = reading {
            check_origin::<T>(&self.type_name, self.origin)?;
            if let Some(found) = self.fingerprint {
                check_fingerprint::<T>(&self.type_name, self.version, found)?;
            }
        }
        Ok(reading)
    }
}

/// How a reader of `T` reads an envelope whose header passed the checks.
#[must_use = "an older version must be migrated, not decoded as the current one"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Written by the reader's version of `T`: decode the body as `T`.
    Current,
    /// Written by an older version: decode it through [`KimeraHandler::migrate`].
    Migrate {
        /// The version that wrote it.
        from: u32,
    },
}

/// Checks that `type_name` names `T`, under its name or one of its aliases.
pub fn check_name<T: KimeraHandler + ?Sized>(type_name: &str) -> Result<()> {
    if T::REFERENCE.name_matches(type_name) || alias_of::<T>(type_name).is_some() {
        return Ok(());
    }
    Err(ErrorKind::TypeMismatch {
        expected: T::type_name().into_owned(),
        found: quoted_name(type_name),
    }
    .into())
}

/// A type name read from the input, for an error message: whole up to 128 bytes, else its
/// start and its length, so that an error stays small however long a name a peer sends.
///
/// ```
/// use kimera_core::envelope::quoted_name;
///
/// assert_eq!(quoted_name("shop.Order"), "shop.Order");
/// let long = "x".repeat(100 << 20);
/// assert_eq!(quoted_name(&long), format!("{}… ({} bytes)", "x".repeat(64), 100 << 20));
/// ```
pub fn quoted_name(name: &str) -> String {
    const MAX: usize = 128;
    if name.len() <= MAX {
        return name.to_owned();
    }
    let keep = floor_char_boundary(name, MAX / 2);
    format!("{}… ({} bytes)", &name[..keep], name.len())
}

/// The hash of origins as a JSON envelope spells them (comma-separated, see
/// [`Schema::origins`]): the same value as the writer's [`Schema::origin_hash`].
///
/// ```
/// use kimera_core::envelope::origin_hash;
/// assert_ne!(origin_hash("svc::api::Event"), origin_hash("svc::db::Event"));
/// ```
pub fn origin_hash(origins: &str) -> u32 {
    let h = origins
        .split(',')
        .fold(crate::fingerprint::Fnv64::new(), |h, origin| h.str(origin));
    h.finish() as u32
}

/// `T`'s [`Schema::origin_hash`], computed at compile time.
pub const fn origin_of<T: KimeraHandler + ?Sized>() -> Option<u32> {
    T::REFERENCE.origin_hash()
}

/// Checks that a value of `T`'s current version, written under `T`'s own name, came from
/// `T`'s types: two types that share a default name in two modules (`api::Event`,
/// `db::Event`) do not read each other's values, nor do containers of them. Values under an
/// alias, and values or readers whose names hold no default-named type, pass: an explicit name
/// is the promise that every type using it is the same type. Older versions are not checked:
/// their frozen copies live elsewhere than the type that wrote them.
pub fn check_origin<T: KimeraHandler + ?Sized>(type_name: &str, found: Option<u32>) -> Result<()> {
    let (Some(found), Some(own)) = (found, const { origin_of::<T>() }) else {
        return Ok(());
    };
    if found == own || !T::REFERENCE.name_matches(type_name) {
        return Ok(());
    }
    Err(ErrorKind::NameCollision {
        type_name: type_name.to_owned(),
        reader: T::REFERENCE.origins().to_string(),
    }
    .into())
}

/// The alias of `T` that `found` names: an alias in place of `T`'s base name (`old.Page<i32>`
/// for `Page<i32>` aliased `old.Page`).
fn alias_of<T: KimeraHandler + ?Sized>(found: &str) -> Option<&'static Alias> {
    let base = match T::REFERENCE {
        Schema::Named(r) => r.name,
        Schema::Type(t) => t.name,
        _ => return None,
    };
    T::ALIASES
        .iter()
        .find(|alias| match found.strip_prefix(alias.name) {
            Some("") => T::REFERENCE.name_matches(base),
            Some(args) if args.starts_with('<') => {
                T::REFERENCE.name_matches(&format!("{base}{args}"))
            }
            _ => false,
        })
}

/// Checks that `version` is the reader's version of `T` (older is
/// [`ErrorKind::NoMigration`], newer [`ErrorKind::NewerVersion`]).
pub fn check_version<T: KimeraHandler + ?Sized>(version: u32) -> Result<()> {
    match reading_of::<T>(version)? {
        Reading::Current => Ok(()),
        Reading::Migrate { from } => Err(crate::migration::no_migration::<T>(from)),
    }
}

/// How a reader of `T` reads `version`: as the current one, by migrating an older one, or not
/// at all (a newer one is [`ErrorKind::NewerVersion`]).
pub fn reading_of<T: KimeraHandler + ?Sized>(version: u32) -> Result<Reading> {
    use std::cmp::Ordering;
    match version.cmp(&T::VERSION) {
        Ordering::Equal => Ok(Reading::Current),
        Ordering::Less => Ok(Reading::Migrate { from: version }),
        Ordering::Greater => Err(ErrorKind::NewerVersion {
            type_name: T::type_name().into_owned(),
            found: version,
            known: T::VERSION,
        }
        .into()),
    }
}

/// Checks that `found`, the writer's fingerprint of `T` at `version` under `type_name` (`T`'s
/// name or an alias, which a fingerprint covers), is the reader's.
///
/// Kept apart from the name and version checks so that formats that carry no fingerprint
/// (JSON) never evaluate [`KimeraHandler::FINGERPRINT`], which mutually recursive generic types
/// can only compute with `#[kimera(recursive)]`.
pub fn check_fingerprint<T: KimeraHandler + ?Sized>(
    type_name: &str,
    version: u32,
    found: u64,
) -> Result<()> {
    let expected = match alias_of::<T>(type_name) {
        Some(alias) if !T::REFERENCE.name_matches(type_name) => alias.fingerprint,
        _ => T::FINGERPRINT,
    };
    if found == expected {
        return Ok(());
    }
    Err(ErrorKind::FingerprintMismatch {
        type_name: T::type_name().into_owned(),
        version,
        expected,
        found,
        holds: held_types(T::SCHEMA),
    }
    .into())
}

/// The derived types `schema` holds, however deep, in the order first met: where a change
/// without a version bump may be, when the envelope's one fingerprint cannot say which.
fn held_types(schema: &'static Schema) -> Vec<String> {
    use crate::schema::{Fields, Shape};
    // Bounded: names for people, not a proof.
    const MAX: usize = 64;
    fn children(schema: &'static Schema, out: &mut Vec<&'static Schema>) {
        let fields = |fields: &Fields, out: &mut Vec<&'static Schema>| match *fields {
            Fields::Newtype(inner) => out.push(inner),
            Fields::Tuple(items) => out.extend(items.iter().copied()),
            Fields::Named(named) => out.extend(named.iter().map(|f| f.schema)),
            Fields::Unit => {}
        };
        match *schema {
            Schema::Compact(item)
            | Schema::Option(item)
            | Schema::List(item)
            | Schema::Set(item)
            | Schema::Array(item, _) => out.push(item),
            Schema::Map(key, value) => out.extend([key, value]),
            Schema::Tuple(items) => out.extend(items.iter().copied()),
            Schema::Named(r) => out.push((r.definition)()),
            Schema::Type(def) => match def.shape {
                Shape::Struct(f) | Shape::TaggedStruct { fields: f, .. } => fields(&f, out),
                Shape::Transparent(inner) => out.push(inner),
                Shape::Enum { variants, .. } => {
                    variants.iter().for_each(|v| fields(&v.fields, out))
                }
            },
            _ => {}
        }
    }
    let mut names = Vec::new();
    let mut todo = Vec::new();
    children(schema, &mut todo);
    todo.reverse();
    let mut steps = 0;
    while let Some(next) = todo.pop() {
        steps += 1;
        if steps > MAX * 16 || names.len() == MAX {
            break;
        }
        if let Schema::Named(r) = next {
            // Namesakes from two modules are two types: both listed, and walked.
            let name = (next.type_name().into_owned(), r.origin);
            if names.contains(&name) {
                continue;
            }
            names.push(name);
        }
        let start = todo.len();
        children(next, &mut todo);
        todo[start..].reverse();
    }
    let shared = |name: &str| names.iter().filter(|(n, _)| n == name).count() > 1;
    let mut out: Vec<String> = names
        .iter()
        .map(|(name, origin)| match origin {
            Some(origin) if shared(name) => format!("{name} from {origin}"),
            _ => name.clone(),
        })
        .collect();
    if !todo.is_empty() {
        out.push("…".to_owned());
    }
    out
}

/// A data error while decoding a `T`, at `path`.
pub fn data_error<T: KimeraHandler + ?Sized>(
    path: impl ToString,
    message: impl ToString,
) -> ErrorKind {
    data_error_in(&T::type_name(), T::VERSION, path, message)
}

/// A data error while reading a value of the type named `type_name` at `version` (one known by
/// its name alone, as `kimera::inspect` reads them), at `path`; bounded as [`data_error`] is.
/// A name from the input is the caller's to quote ([`quoted_name`]).
pub fn data_error_in(
    type_name: &str,
    version: u32,
    path: impl ToString,
    message: impl ToString,
) -> ErrorKind {
    ErrorKind::Data {
        type_name: type_name.to_owned(),
        version,
        path: bounded(path.to_string(), PATH_MAX),
        message: bounded(message.to_string(), MESSAGE_MAX),
    }
}

/// The bytes are not an envelope of `format`, for `reason`; the reason is bounded as a data
/// error's message is, so that a name or key it quotes from the input stays small.
///
/// ```
/// use kimera_core::envelope::not_envelope;
///
/// let huge = "x".repeat(1 << 20);
/// let err = not_envelope("json", format_args!("unknown key `{huge}`"));
/// assert!(err.to_string().len() < 200);
/// ```
pub fn not_envelope(format: &'static str, reason: impl ToString) -> ErrorKind {
    ErrorKind::NotAnEnvelope {
        format,
        reason: bounded(reason.to_string(), MESSAGE_MAX),
    }
}

/// An error while encoding a `T`, at `path`.
pub fn encode_error<T: KimeraHandler + ?Sized>(
    path: impl ToString,
    message: impl ToString,
) -> ErrorKind {
    ErrorKind::Encode {
        type_name: T::type_name().into_owned(),
        path: bounded(path.to_string(), PATH_MAX),
        message: bounded(message.to_string(), MESSAGE_MAX),
    }
}

/// `message` and `path` of an error of a module built on the core (the Python format's, say),
/// bounded as a data error's are: a run quoted from the input (between backticks or double
/// quotes) keeps its start and says how long it was.
///
/// ```
/// use kimera_core::envelope::bounded_message;
///
/// let huge = "x".repeat(1 << 20);
/// let (message, path) = bounded_message(format_args!("unknown key `{huge}`"), format_args!("$[\"{huge}\"]"));
/// assert!(message.len() < 200 && path.len() < 200, "{message} {path}");
/// assert!(message.ends_with(&format!("… ({} bytes)`", 1 << 20)));
/// ```
pub fn bounded_message(message: impl ToString, path: impl ToString) -> (String, String) {
    (
        bounded(message.to_string(), MESSAGE_MAX),
        bounded(path.to_string(), PATH_MAX),
    )
}

/// The most of a message and of a field path an error keeps (a path holds map keys).
const MESSAGE_MAX: usize = 1024;
const PATH_MAX: usize = 160;

/// `text`, kept small however large the input it quotes: a quoted run (between backticks or
/// double quotes, as serde quotes values) of more than `QUOTE_MAX` bytes keeps its start and
/// says how long it was, and the whole is cut at `max` bytes.
fn bounded(text: String, max: usize) -> String {
    const QUOTE_MAX: usize = 64;
    if text.len() <= QUOTE_MAX {
        return text;
    }
    let mut out = String::with_capacity(text.len().min(max + 64));
    let mut rest = text.as_str();
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let close = rest.find(quote).unwrap_or(rest.len());
        let quoted = &rest[..close];
        if quoted.len() > QUOTE_MAX {
            let keep = floor_char_boundary(quoted, QUOTE_MAX / 2);
            out.push_str(&quoted[..keep]);
            out.push_str(&format!("… ({} bytes)", quoted.len()));
        } else {
            out.push_str(quoted);
        }
        rest = &rest[close..];
        if let Some(after) = rest.strip_prefix(quote) {
            out.push(quote);
            rest = after;
        }
    }
    out.push_str(rest);
    if out.len() > max {
        let total = out.len();
        let keep = floor_char_boundary(&out, max);
        out.truncate(keep);
        out.push_str(&format!("… ({total} bytes)"));
    }
    out
}

/// The largest char boundary of `text` at or below `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_stay_small_whatever_they_quote() {
        let huge = "é".repeat(500_000);
        let message = bounded(
            format!("unknown variant `{huge}`, expected `One` at line 1"),
            MESSAGE_MAX,
        );
        assert!(message.len() < 200, "{message}");
        assert!(message.starts_with("unknown variant `éé"), "{message}");
        assert!(
            message.ends_with("… (1000000 bytes)`, expected `One` at line 1"),
            "{message}"
        );
        let plain = "invalid value: integer `-2`, expected u32";
        assert_eq!(bounded(plain.to_owned(), MESSAGE_MAX), plain);
        let unquoted = "x".repeat(10_000);
        assert!(bounded(unquoted.clone(), MESSAGE_MAX).len() < MESSAGE_MAX + 32);
        assert!(bounded(unquoted, PATH_MAX).len() < PATH_MAX + 32);
        let unclosed = bounded(format!("string \"{huge}"), MESSAGE_MAX);
        assert!(unclosed.len() < 200, "{unclosed}");
    }

    #[test]
    fn checks_name_then_version_then_fingerprint() {
        let check = |type_name: &'static str, version, fingerprint| {
            let header = Header {
                fingerprint,
                ..Header::new(type_name, version)
            };
            header.reading::<u8>()
        };
        let kind = |r: Result<Reading>| r.unwrap_err().into_kind();
        assert!(matches!(
            kind(check("u16", 9, Some(0))),
            ErrorKind::TypeMismatch { .. }
        ));
        assert!(matches!(
            kind(check("u8", 2, Some(0))),
            ErrorKind::NewerVersion {
                found: 2,
                known: 1,
                ..
            }
        ));
        assert_eq!(
            check("u8", 0, Some(7)).unwrap(),
            Reading::Migrate { from: 0 }
        );
        assert!(matches!(
            kind(check("u8", 1, Some(7))),
            ErrorKind::FingerprintMismatch { found: 7, .. }
        ));
        assert_eq!(
            check("u8", 1, Some(u8::FINGERPRINT)).unwrap(),
            Reading::Current
        );
        assert_eq!(check("u8", 1, None).unwrap(), Reading::Current);
        // `check` is for readers without migrations: older is an error there.
        let header = Header::new("u8", 0);
        assert!(matches!(
            header.check::<u8>().unwrap_err().kind(),
            ErrorKind::NoMigration {
                found: 0,
                current: 1,
                ..
            }
        ));
    }
}
