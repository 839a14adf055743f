//! [`Error`]: every way encoding or decoding can fail, each named.

use std::fmt;

/// `Result` with Kimera's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An encoding or decoding failure.
///
/// Small (one pointer) so that `Result<T>` stays cheap on the happy path; match on
/// [`kind`](Error::kind) to tell the failures apart.
///
/// ```
/// use kimera::{Error, ErrorKind};
///
/// let err = Error::from(ErrorKind::TypeMismatch {
///     expected: "shop.Order".into(),
///     found: "shop.Invoice".into(),
/// });
/// assert!(matches!(err.kind(), ErrorKind::TypeMismatch { .. }));
/// assert_eq!(err.to_string(), "type mismatch: expected `shop.Order`, found `shop.Invoice`");
/// ```
pub struct Error(Box<ErrorKind>);

/// The kinds of [`Error`].
///
/// `Debug` prints the variant's name and the `Display` text, as [`Error`]'s does, so that
/// fingerprints and checksums show in hex there too; match on the variant for its fields.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not an envelope of the format that was asked to read them.
    #[error("not a {} envelope: {reason}", EnvelopeOf(format))]
    NotAnEnvelope {
        /// The format that tried to read (`json`, `binary`).
        format: &'static str,
        /// What it found instead.
        reason: String,
    },
    /// The envelope was written by a newer wire format than this reader knows.
    #[error("unsupported {format} wire version {found}: this reader knows version {supported}")]
    UnsupportedWireVersion {
        /// The format.
        format: &'static str,
        /// The wire version in the input.
        found: u32,
        /// The newest wire version this reader knows.
        supported: u32,
    },
    /// The envelope holds a value of another type.
    #[error("type mismatch: expected `{expected}`, found `{found}`")]
    TypeMismatch {
        /// The type the reader asked for.
        expected: String,
        /// The type named by the envelope.
        found: String,
    },
    /// The value was written by a newer version of its type than the reader knows.
    #[error(
        "`{type_name}` version {found} is newer than version {known}, the newest this reader knows"
    )]
    NewerVersion {
        /// The type.
        type_name: String,
        /// The version in the envelope.
        found: u32,
        /// The reader's version.
        known: u32,
    },
    /// The value was written by an older version of its type, with no migration to the current one.
    #[error("`{type_name}` version {found} is older than version {current}, and no migration from it is declared")]
    NoMigration {
        /// The type.
        type_name: String,
        /// The version in the envelope.
        found: u32,
        /// The reader's version.
        current: u32,
    },
    /// A migration between two versions refused the value (its `TryFrom` failed).
    #[error("cannot migrate `{type_name}` from version {from} to version {to}: {message}")]
    Migration {
        /// The type.
        type_name: String,
        /// The version migrated from.
        from: u32,
        /// The version migrated to.
        to: u32,
        /// The conversion's error.
        message: String,
    },
    /// An older version was written under a name its link of the migration chain does not
    /// carry.
    #[error("`{found}` version {version} is read by `{link}`, the link of the migration chain with that version, which does not carry the name `{found}`: give it `#[kimera(alias = \"{found}\")]`")]
    UnnamedLink {
        /// The name in the envelope.
        found: String,
        /// The version in the envelope.
        version: u32,
        /// The link's own name.
        link: String,
    },
    /// Two different types share a default name: the value was written by a type defined
    /// elsewhere than the reader (see [`Schema::origin_hash`](crate::Schema::origin_hash)).
    #[error("two different types are named `{type_name}`: the value was written by types defined elsewhere than this reader's `{reader}`. Give each its own name with `#[kimera(name = \"...\")]`; if it is the same type moved to another module, give the moved type its old default name explicitly (`#[kimera(name = \"Event\")]` for a moved `Event`) to keep reading its values")]
    NameCollision {
        /// The shared name.
        type_name: String,
        /// Where the reader's default-named types are defined.
        reader: String,
    },
    /// The writer's schema of this type and version differs from the reader's, and the reader
    /// does not know the writer's, so it cannot resolve one into the other.
    #[error("`{type_name}` v{version} was written with another schema than this reader's{} (the writer's fingerprint is {found:016x}, the reader's {expected:016x}), and this reader does not know the writer's schema. Give it the writer's schema, and changes such as an added field are resolved by field name: write values with it (`Binary::with_schema`; snapshots do by default) or keep a schema history (`kimera::schema_history!`, docs/versioning.md)", held_in(.holds))]
    FingerprintMismatch {
        /// The type.
        type_name: String,
        /// The version both sides claim.
        version: u32,
        /// The reader's fingerprint.
        expected: u64,
        /// The fingerprint in the envelope.
        found: u64,
        /// The derived types it holds, where the change may be instead (the envelope's one
        /// fingerprint does not say which).
        holds: Vec<String>,
    },
    /// The writer's schema is known, and the reader's shape cannot be resolved from it
    /// (`docs/versioning.md`, "Resolution").
    #[error("cannot read `{type_name}` v{version} written with schema {writer:016x} as this reader's schema {reader:016x}, {}: {reason}. Make the change one that resolves (docs/versioning.md, \"Resolution rules\"), or declare it: bump the version and keep the old shape as `#[kimera(previous = ...)]` with a conversion", At(.path))]
    Unresolvable {
        /// The type.
        type_name: String,
        /// The version the envelope names.
        version: u32,
        /// The writer's fingerprint.
        writer: u64,
        /// The fingerprint of the reader's shape it was resolved into.
        reader: u64,
        /// Where the shapes differ: `players[].level`, or `.`.
        path: String,
        /// How they differ.
        reason: String,
    },
    /// A schema document that came with the data cannot be used: it is malformed, or it does
    /// not describe the value it came with.
    #[error("the schema document {context} cannot be used: {reason}")]
    BadSchema {
        /// Where the document came from: "in this `shop.Order` envelope".
        context: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The stored checksum does not match the bytes: the data was corrupted.
    #[error("checksum mismatch: the envelope says {stored:08x}, the bytes hash to {computed:08x}; the data is corrupted")]
    ChecksumMismatch {
        /// The checksum in the envelope.
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// The envelope carries no checksum, and the reader requires one.
    #[error("the {format} envelope carries no checksum, and this reader requires one (a reader that expects unchecked envelopes is configured to accept them)")]
    ChecksumMissing {
        /// The format.
        format: &'static str,
    },
    /// The input ends before the envelope does.
    #[error("truncated input: {context} is cut off at byte {offset}")]
    Truncated {
        /// What was being read (`binary header`, `JSON envelope`, ...).
        context: &'static str,
        /// Where the input ends.
        offset: u64,
    },
    /// Bytes follow the end of the envelope.
    #[error("{count} trailing bytes after the envelope")]
    TrailingBytes {
        /// How many.
        count: u64,
    },
    /// A frame's length prefix claims more than the reader's maximum. Nothing was allocated
    /// for it. A claim the reader can skip leaves it in sync (the next read starts at the
    /// next frame); a longer one, more than the reader will discard unread, leaves it out of
    /// sync: close the connection.
    #[error(
        "a frame of {len} bytes is over the maximum of {max} bytes{}",
        match .in_sync {
            true => ", and is skipped",
            false => ", and too long to skip: the stream is out of sync",
        }
    )]
    FrameTooLong {
        /// The length the prefix claims.
        len: u64,
        /// The reader's maximum.
        max: u64,
        /// Whether the reader skips the frame and stays usable.
        in_sync: bool,
    },
    /// The input exceeds a configured [`Limits`](crate::Limits) bound.
    #[error("{limit} limit of {max} exceeded")]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: u64,
    },
    /// The body does not hold a valid value of the type.
    #[error("invalid `{type_name}` v{version} {}: {message}", At(.path))]
    Data {
        /// The type being decoded.
        type_name: String,
        /// Its version.
        version: u32,
        /// Where in the value: `lines[1].qty`, or `.` for the value itself.
        path: String,
        /// What was wrong, as the format's decoder said it.
        message: String,
    },
    /// The value cannot be written in this format without changing it.
    #[error("cannot encode `{type_name}` {}: {message}", At(.path))]
    Encode {
        /// The type being encoded.
        type_name: String,
        /// Where in the value.
        path: String,
        /// Why.
        message: String,
    },
    /// The type cannot go through this format (see
    /// [`KimeraHandler::BINARY_INCOMPATIBILITY`](crate::KimeraHandler::BINARY_INCOMPATIBILITY)).
    #[error("{0}")]
    Unsupported(&'static str),
    /// Reading or writing the underlying stream failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An error of a module built on the core, in its own type (the registry's
    /// `Conflicts`, for one), so that `?` turns it into an [`Error`]; see
    /// [`Error::downcast_ref`].
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// "Kimera json", or plain "Kimera" for `kimera::from_slice`, which tried every backend.
struct EnvelopeOf<'a>(&'a str);

impl fmt::Display for EnvelopeOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "kimera" => f.write_str("Kimera"),
            format => write!(f, "Kimera {format}"),
        }
    }
}

/// Where in a value, for messages: ``at `lines[0].qty` ``, or "at the top level" for `.`.
struct At<'a>(&'a str);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "." | "" => f.write_str("at the top level"),
            path => write!(f, "at `{path}`"),
        }
    }
}

/// ", in it or in a type it holds (`a`, `b`)", or nothing when it holds none.
fn held_in(holds: &[String]) -> String {
    match holds {
        [] => String::new(),
        names => format!(", in it or in a type it holds (`{}`)", names.join("`, `")),
    }
}

/// The bounds of [`Limits`](crate::Limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_depth`](crate::Limits::max_depth).
    Depth,
    /// [`Limits::max_size`](crate::Limits::max_size).
    Size,
    /// The element budget: more sequence or map elements than the input can hold.
    Elements,
}

impl Limit {
    /// The error for this limit, whose maximum is `max`, being exceeded.
    ///
    /// ```
    /// use kimera::{ErrorKind, Limit};
    ///
    /// let kind = Limit::Depth.exceeded(128);
    /// assert!(matches!(kind, ErrorKind::LimitExceeded { limit: Limit::Depth, max: 128 }));
    /// ```
    pub fn exceeded(self, max: u64) -> ErrorKind {
        ErrorKind::LimitExceeded { limit: self, max }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Depth => "nesting depth",
            Limit::Size => "size",
            Limit::Elements => "element count",
        })
    }
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// What went wrong, by value.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// The error of type `E` inside: a module's own error (see [`ErrorKind::Other`]), or the
    /// `io::Error` of an [`ErrorKind::Io`].
    ///
    /// ```
    /// use kimera::{Error, ErrorKind};
    ///
    /// #[derive(Debug)]
    /// struct Full;
    /// impl std::fmt::Display for Full {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("the store is full")
    ///     }
    /// }
    /// impl std::error::Error for Full {}
    ///
    /// let err = Error::from(ErrorKind::Other(Box::new(Full)));
    /// assert_eq!(err.to_string(), "the store is full");
    /// assert!(err.downcast_ref::<Full>().is_some());
    /// assert!(err.downcast_ref::<std::io::Error>().is_none());
    ///
    /// let io = Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
    /// assert_eq!(io.downcast_ref::<std::io::Error>().map(|e| e.kind()), Some(std::io::ErrorKind::BrokenPipe));
    /// ```
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match &*self.0 {
            ErrorKind::Other(other) => other.downcast_ref(),
            ErrorKind::Io(io) => (io as &(dyn std::error::Error + 'static)).downcast_ref(),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

/// An I/O error for callers that deal in them (an `io::Read` adapter, a `tokio` codec's
/// caller), as serde_json does: I/O failures are given back as they were, truncation is
/// `UnexpectedEof`, a value no format can write (`Encode`, `Unsupported`) `InvalidInput`, a
/// module's own error ([`ErrorKind::Other`]) `Other`, and everything else `InvalidData` (a
/// frame too long to write included).
///
/// ```
/// use kimera::{Error, ErrorKind};
/// use std::io;
///
/// let err = io::Error::from(Error::from(ErrorKind::TrailingBytes { count: 3 }));
/// assert_eq!(err.kind(), io::ErrorKind::InvalidData);
/// assert_eq!(err.to_string(), "3 trailing bytes after the envelope");
/// ```
impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.into_kind() {
            ErrorKind::Io(io) => return io,
            kind => kind,
        };
        let io = match kind {
            ErrorKind::Truncated { .. } => Io::UnexpectedEof,
            ErrorKind::Encode { .. } | ErrorKind::Unsupported(_) => Io::InvalidInput,
            ErrorKind::Other(_) => Io::Other,
            _ => Io::InvalidData,
        };
        std::io::Error::new(io, Error::from(kind))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        ErrorKind::Io(err).into()
    }
}

/// The kind's name and the message, as `serde_json::Error` does: what `unwrap` prints reads as
/// the `Display` text does (fingerprints in hex, paths quoted). [`kind`](Error::kind) has the
/// fields.
///
/// ```
/// use kimera::{Error, ErrorKind};
///
/// let err = Error::from(ErrorKind::ChecksumMismatch { stored: 0xdead_beef, computed: 1 });
/// assert!(format!("{err:?}").starts_with("Error(ChecksumMismatch, \"checksum mismatch: the envelope says deadbeef"));
/// ```
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tuple = f.debug_tuple("Error");
        match &*self.0 {
            ErrorKind::Io(io) => tuple.field(&format_args!("Io({:?})", io.kind())),
            kind => tuple.field(&format_args!("{}", kind.name())),
        };
        tuple.field(&self.to_string()).finish()
    }
}

/// ```
/// use kimera::ErrorKind;
///
/// let kind = ErrorKind::ChecksumMismatch { stored: 0xdead_beef, computed: 1 };
/// assert!(format!("{kind:?}").starts_with("ChecksumMismatch(\"checksum mismatch: the envelope says deadbeef"));
/// ```
impl fmt::Debug for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(io) => f.debug_tuple("Io").field(io).finish(),
            kind => f.debug_tuple(kind.name()).field(&kind.to_string()).finish(),
        }
    }
}

impl ErrorKind {
    /// The variant's name, for `Debug`.
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::NotAnEnvelope { .. } => "NotAnEnvelope",
            ErrorKind::UnsupportedWireVersion { .. } => "UnsupportedWireVersion",
            ErrorKind::TypeMismatch { .. } => "TypeMismatch",
            ErrorKind::NewerVersion { .. } => "NewerVersion",
            ErrorKind::NoMigration { .. } => "NoMigration",
            ErrorKind::Migration { .. } => "Migration",
            ErrorKind::UnnamedLink { .. } => "UnnamedLink",
            ErrorKind::NameCollision { .. } => "NameCollision",
            ErrorKind::FingerprintMismatch { .. } => "FingerprintMismatch",
            ErrorKind::Unresolvable { .. } => "Unresolvable",
            ErrorKind::BadSchema { .. } => "BadSchema",
            ErrorKind::ChecksumMismatch { .. } => "ChecksumMismatch",
            ErrorKind::ChecksumMissing { .. } => "ChecksumMissing",
            ErrorKind::Truncated { .. } => "Truncated",
            ErrorKind::TrailingBytes { .. } => "TrailingBytes",
            ErrorKind::FrameTooLong { .. } => "FrameTooLong",
            ErrorKind::LimitExceeded { .. } => "LimitExceeded",
            ErrorKind::Data { .. } => "Data",
            ErrorKind::Encode { .. } => "Encode",
            ErrorKind::Unsupported(_) => "Unsupported",
            ErrorKind::Io(_) => "Io",
            ErrorKind::Other(_) => "Other",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::{Error, ErrorKind};

    #[test]
    fn io_errors_come_back_as_they_were_and_others_are_classified() {
        let original = io::Error::new(io::ErrorKind::BrokenPipe, "peer went away");
        let back = io::Error::from(Error::from(original));
        assert_eq!(back.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(back.to_string(), "peer went away");

        let truncated = io::Error::from(Error::from(ErrorKind::Truncated {
            context: "binary body",
            offset: 9,
        }));
        assert_eq!(truncated.kind(), io::ErrorKind::UnexpectedEof);
        // The Kimera error is still there for callers that look.
        let inner = truncated.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert!(matches!(
            inner.map(Error::kind),
            Some(ErrorKind::Truncated { offset: 9, .. })
        ));

        let encode = io::Error::from(Error::from(ErrorKind::Unsupported("no")));
        assert_eq!(encode.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn debug_reads_as_the_message_does() {
        let err = Error::from(ErrorKind::FingerprintMismatch {
            type_name: "shop.Order".into(),
            version: 3,
            expected: 0x0123_4567_89ab_cdef,
            found: 0xfedc_ba98_7654_3210,
            holds: vec![],
        });
        let debug = format!("{err:?}");
        assert!(debug.starts_with("Error(FingerprintMismatch, "), "{debug}");
        assert!(debug.contains("fedcba9876543210") && debug.contains("0123456789abcdef"));
        let kind = format!("{:?}", err.kind());
        assert!(
            kind.starts_with("FingerprintMismatch(\"`shop.Order` v3 "),
            "{kind}"
        );
        assert!(
            kind.contains("fedcba9876543210")
                && !kind.contains(&0xfedc_ba98_7654_3210u64.to_string())
        );
        let io = Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "peer went away"));
        assert_eq!(
            format!("{io:?}"),
            r#"Error(Io(BrokenPipe), "I/O error: peer went away")"#
        );
    }
}
