//! The binary envelope, byte by byte (specified in `docs/wire-format.md`):
//!
//! ```text
//! magic        2 bytes   4B E5
//! wire|flags   1 byte    high nibble: wire version (1); low nibble: flags (bit 0: checksum,
//!                        bit 1: origin, bit 2: schema)
//! name length  LEB128    at most 1024
//! name         UTF-8     the type name
//! version      LEB128    u32, the type's schema version
//! fingerprint  8 bytes   u64 little-endian
//! origin       4 bytes   u32 little-endian, the hash of a default-named type's origin; if flagged
//! schema       LEB128    length, then the writer's schema document (bincode); if flagged
//! body length  LEB128    u64 (the writer pads it to 3 bytes below 2 MiB)
//! body         bincode 2 standard configuration (little-endian, varints)
//! checksum     4 bytes   CRC-32 (IEEE) little-endian of every byte before it; if flagged
//! ```

use std::borrow::Cow;

use kimera_core::envelope::{encode_error, origin_of};
use kimera_core::{Error, ErrorKind, Header, KimeraHandler, Limit, Limits, Result};
use serde::Serialize;

use crate::body;
use crate::varint::{self, VarintError};

/// The first two bytes of every binary envelope.
pub const MAGIC: [u8; 2] = [0x4B, 0xE5];
/// The wire version this crate writes and reads.
pub const WIRE_VERSION: u8 = 1;
/// Flag bit: a CRC-32 trailer follows the body.
pub(crate) const FLAG_CHECKSUM: u8 = 0x01;
/// Flag bit: the hash of the writer's origin follows the fingerprint (a type with a default
/// name, see `KimeraHandler::ORIGIN`).
const FLAG_ORIGIN: u8 = 0x02;
/// Flag bit: the writer's schema document follows the origin.
const FLAG_SCHEMA: u8 = 0x04;
const KNOWN_FLAGS: u8 = FLAG_CHECKSUM | FLAG_ORIGIN | FLAG_SCHEMA;
const ORIGIN_LEN: usize = 4;
/// Longest type name accepted, in bytes.
pub(crate) const MAX_NAME_LEN: u64 = 1024;
/// Bytes reserved for the body length, enough for bodies below 2 MiB.
const BODY_LEN_SLOT: usize = 3;
const CHECKSUM_LEN: usize = 4;
const FORMAT: &str = "binary";

/// Appends the envelope of `value` to `out`; on failure `out` is left as it was.
pub(crate) fn encode<T>(value: &T, out: &mut Vec<u8>, checksum: bool, schema: bool) -> Result<()>
where
    T: KimeraHandler + Serialize + ?Sized,
{
    let start = out.len();
    let result = encode_at(value, out, start, checksum, schema);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn encode_at<T>(
    value: &T,
    out: &mut Vec<u8>,
    start: usize,
    checksum: bool,
    schema: bool,
) -> Result<()>
where
    T: KimeraHandler + Serialize + ?Sized,
{
    let name = T::type_name();
    if name.len() as u64 > MAX_NAME_LEN {
        // Readers refuse it: fail here rather than write what cannot be read.
        return Err(encode_error::<T>(
            ".",
            format_args!(
                "the type name is {} bytes long; binary envelopes carry at most {MAX_NAME_LEN}",
                name.len()
            ),
        )
        .into());
    }
    let doc = match schema {
        true => crate::document::encoded::<T>(),
        false => None,
    };
    let head = HeadParts {
        name: &name,
        version: T::VERSION,
        fingerprint: T::FINGERPRINT,
        origin: const { origin_of::<T>() },
        schema: doc.as_deref(),
        checksum,
    };
    write_framed(out, start, &head, |out| body::encode(value, out, start))
}

/// What a header holds, to be written before a body.
pub struct HeadParts<'a> {
    /// The type name.
    pub name: &'a str,
    /// The type's version.
    pub version: u32,
    /// The writer's fingerprint.
    pub fingerprint: u64,
    /// The hash of the writer's origins, for a default-named type.
    pub origin: Option<u32>,
    /// The writer's schema document, encoded.
    pub schema: Option<&'a [u8]>,
    /// Whether a checksum trailer follows the body.
    pub checksum: bool,
}

/// Writes the header `head` describes at the end of `out` (the envelope starts at `start`),
/// the body `write_body` appends, its length, and the checksum.
fn write_framed(
    out: &mut Vec<u8>,
    start: usize,
    head: &HeadParts<'_>,
    write_body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let flags = match head.checksum {
        true => FLAG_CHECKSUM,
        false => 0,
    } | match head.origin {
        Some(_) => FLAG_ORIGIN,
        None => 0,
    } | match head.schema {
        Some(_) => FLAG_SCHEMA,
        None => 0,
    };
    out.extend_from_slice(&MAGIC);
    out.push(WIRE_VERSION << 4 | flags);
    varint::write(out, head.name.len() as u64);
    out.extend_from_slice(head.name.as_bytes());
    varint::write(out, head.version.into());
    out.extend_from_slice(&head.fingerprint.to_le_bytes());
    if let Some(origin) = head.origin {
        out.extend_from_slice(&origin.to_le_bytes());
    }
    if let Some(doc) = head.schema {
        varint::write(out, doc.len() as u64);
        out.extend_from_slice(doc);
    }
    let slot = out.len();
    out.extend_from_slice(&[0; BODY_LEN_SLOT]);
    let body_start = out.len();
    write_body(out)?;
    let body_len = (out.len() - body_start) as u64;
    if !varint::write_padded(&mut out[slot..body_start], body_len) {
        // 2 MiB or more: the length needs more room, so the body moves once.
        let mut len = Vec::with_capacity(varint::MAX_LEN);
        varint::write(&mut len, body_len);
        out.splice(slot..body_start, len);
    }
    if head.checksum {
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }
    Ok(())
}

/// The envelope of a body encoded elsewhere (by a tool that walks a schema document), laid
/// out exactly as `encode` lays out a value's: the same bytes for the same value.
pub fn encode_parts(head: &HeadParts<'_>, body: &[u8]) -> Result<Vec<u8>> {
    if head.name.len() as u64 > MAX_NAME_LEN {
        return Err(ErrorKind::Encode {
            type_name: kimera_core::envelope::quoted_name(head.name),
            path: ".".to_owned(),
            message: format!(
                "the type name is {} bytes long; binary envelopes carry at most {MAX_NAME_LEN}",
                head.name.len()
            ),
        }
        .into());
    }
    let mut out = Vec::with_capacity(body.len() + 32 + head.name.len());
    write_framed(&mut out, 0, head, |out| {
        out.extend_from_slice(body);
        Ok(())
    })?;
    Ok(out)
}

/// The body of `bytes` if it is a whole, valid envelope of `T` whose name is a plain string
/// under 128 bytes and whose version is under 128: the common case, checked by comparing bytes
/// instead of parsing. `None` sends the caller to [`parse`] and the header checks, which accept
/// every valid envelope and name what is wrong with the others.
pub(crate) fn fast_body<'a, T>(
    bytes: &'a [u8],
    limits: &Limits,
    require_checksum: bool,
) -> Option<&'a [u8]>
where
    T: KimeraHandler + ?Sized,
{
    let Cow::Borrowed(name) = T::type_name() else {
        return None;
    };
    let (name_len, version) = (
        u8::try_from(name.len()).ok()?,
        u8::try_from(T::VERSION).ok()?,
    );
    if name_len >= 0x80 || version >= 0x80 {
        return None;
    }
    let ([m0, m1, wire_flags], rest) = bytes.split_first_chunk::<3>()?;
    if [*m0, *m1] != MAGIC || wire_flags >> 4 != WIRE_VERSION {
        return None;
    }
    let origin = const { origin_of::<T>() };
    let origin_flag = match origin {
        Some(_) => FLAG_ORIGIN,
        None => 0,
    };
    let flags = (wire_flags & 0x0f) ^ origin_flag;
    let trailer = match flags & !FLAG_SCHEMA {
        FLAG_CHECKSUM => CHECKSUM_LEN,
        0 if !require_checksum => 0,
        _ => return None,
    };
    let rest = rest
        .strip_prefix(&[name_len])?
        .strip_prefix(name.as_bytes())?;
    let mut rest = rest
        .strip_prefix(&[version])?
        .strip_prefix(&T::FINGERPRINT.to_le_bytes())?;
    if let Some(origin) = origin {
        rest = rest.strip_prefix(&origin.to_le_bytes())?;
    }
    if flags & FLAG_SCHEMA != 0 {
        // The writer's schema is the reader's (the fingerprints are equal): not needed.
        let (len, len_bytes) = varint::read(rest).ok()?;
        rest = rest.get(len_bytes..)?.get(usize::try_from(len).ok()?..)?;
    }
    let (body_len, len_bytes) = varint::read(rest).ok()?;
    if body_len > limits.max_size {
        return None;
    }
    let body = rest
        .get(len_bytes..)?
        .get(..usize::try_from(body_len).ok()?)?;
    let end = bytes.len() - rest.len() + len_bytes + body.len();
    if bytes.len() != end + trailer {
        return None;
    }
    if trailer != 0 {
        let stored = u32::from_le_bytes(bytes[end..].try_into().ok()?);
        if stored != crc32fast::hash(&bytes[..end]) {
            return None;
        }
    }
    Some(body)
}

/// A parsed envelope: its header and where its body is.
pub struct Parsed<'a> {
    /// The header.
    pub header: Header<'a>,
    /// The writer's schema document, if the envelope carries it.
    pub schema: Option<&'a [u8]>,
    /// The body.
    pub body: &'a [u8],
    /// The header's length: where the body starts.
    pub header_len: usize,
    /// A checksum trailer follows the body (and matched it).
    pub checksum: bool,
}

/// Parses the envelope filling `bytes` (nothing may follow it), verifying the checksum, and
/// requiring one if `require_checksum` (else a single flipped flag bit would switch it off).
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    require_checksum: bool,
) -> Result<Parsed<'a>> {
    parse_verifying(bytes, limits, require_checksum, true)
}

/// [`parse`], computing the checksum only if `verify`.
pub(crate) fn parse_verifying<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    require_checksum: bool,
    verify: bool,
) -> Result<Parsed<'a>> {
    let whole = |stop: Stop| stop.into_error(bytes.len());
    let head = read_header(bytes, limits, require_checksum).map_err(whole)?;
    let mut r = Reader {
        bytes,
        pos: head.len,
    };
    let body = r
        .take(head.body_len as usize, "binary body")
        .map_err(whole)?;
    if head.checksum {
        let covered = &bytes[..r.pos];
        let stored = r.take(CHECKSUM_LEN, "checksum").map_err(whole)?;
        let stored = u32::from_le_bytes(stored.try_into().expect("4 bytes"));
        let computed = match verify {
            true => crc32fast::hash(covered),
            false => stored,
        };
        if stored != computed {
            return Err(ErrorKind::ChecksumMismatch { stored, computed }.into());
        }
    }
    if r.pos < bytes.len() {
        return Err(ErrorKind::TrailingBytes {
            count: (bytes.len() - r.pos) as u64,
        }
        .into());
    }
    Ok(Parsed {
        header: head.header,
        schema: head.schema,
        body,
        header_len: head.len,
        checksum: head.checksum,
    })
}

/// The length of the envelope at the front of `bytes` once its header has been read, or the
/// number of header bytes still missing; used to read one envelope from a stream.
pub(crate) enum Extent {
    /// The whole envelope is this many bytes long.
    Complete(u64),
    /// The header needs at least this many bytes in all to be parsed.
    NeedHeader(usize),
}

/// How long the envelope starting `bytes` is, from as much of its header as is there.
pub(crate) fn extent(bytes: &[u8], limits: &Limits, require_checksum: bool) -> Result<Extent> {
    match read_header(bytes, limits, require_checksum) {
        Ok(head) => {
            let trailer = if head.checksum { CHECKSUM_LEN } else { 0 };
            Ok(Extent::Complete(
                head.len as u64 + head.body_len + trailer as u64,
            ))
        }
        // At least one byte more than is there, so that reading always makes progress.
        Err(Stop::Short { need, .. }) => Ok(Extent::NeedHeader(need.max(bytes.len() + 1))),
        Err(Stop::Invalid(err)) => Err(err),
    }
}

/// An envelope's header, read from the front of the input: everything before the body.
struct Head<'a> {
    header: Header<'a>,
    /// The writer's schema document, if the envelope carries it.
    schema: Option<&'a [u8]>,
    /// The body's length, within [`Limits::max_size`].
    body_len: u64,
    /// A checksum follows the body.
    checksum: bool,
    /// The header's own length: where the body starts.
    len: usize,
}

/// Why a header could not be read.
enum Stop {
    /// The input ends inside the header, in `context`; `need` bytes in all would get further.
    Short { need: usize, context: &'static str },
    /// The header is not valid.
    Invalid(Error),
}

impl Stop {
    /// The error for a whole input of `len` bytes, which has nothing more to come.
    #[cold]
    fn into_error(self, len: usize) -> Error {
        match self {
            Stop::Short { context, .. } => ErrorKind::Truncated {
                context,
                offset: len as u64,
            }
            .into(),
            Stop::Invalid(err) => err,
        }
    }
}

impl From<Error> for Stop {
    fn from(err: Error) -> Self {
        Stop::Invalid(err)
    }
}

/// The one reader of binary headers: whole buffers ([`parse`]) and the growing buffer of a
/// stream ([`extent`]) differ only in what they do when the input stops short.
#[inline]
fn read_header<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    require_checksum: bool,
) -> std::result::Result<Head<'a>, Stop> {
    let mut r = Reader { bytes, pos: 0 };
    let prefix = r.take(3, "binary header")?;
    if prefix[..2] != MAGIC {
        return Err(not_envelope(format_args!(
            "expected magic bytes 4b e5, found {:02x} {:02x}",
            prefix[0], prefix[1]
        ))
        .into());
    }
    let (wire, flags) = (prefix[2] >> 4, prefix[2] & 0x0f);
    if wire != WIRE_VERSION {
        return Err(Error::from(ErrorKind::UnsupportedWireVersion {
            format: FORMAT,
            found: wire.into(),
            supported: WIRE_VERSION.into(),
        })
        .into());
    }
    if flags & !KNOWN_FLAGS != 0 {
        return Err(not_envelope(format_args!("unknown flags {flags:#06b}")).into());
    }
    if require_checksum && flags & FLAG_CHECKSUM == 0 {
        return Err(Error::from(ErrorKind::ChecksumMissing { format: FORMAT }).into());
    }
    let name_len = r.varint("type name length")?;
    if name_len > MAX_NAME_LEN {
        return Err(not_envelope(format_args!(
            "type name of {name_len} bytes (at most {MAX_NAME_LEN})"
        ))
        .into());
    }
    let name = r.take(name_len as usize, "type name")?;
    let name = std::str::from_utf8(name).map_err(|_| not_envelope("type name is not UTF-8"))?;
    let version = r.varint("version")?;
    let version = u32::try_from(version)
        .map_err(|_| not_envelope(format_args!("version {version} does not fit in 32 bits")))?;
    let fingerprint = u64::from_le_bytes(r.take(8, "fingerprint")?.try_into().expect("8 bytes"));
    let origin = match flags & FLAG_ORIGIN {
        0 => None,
        _ => Some(u32::from_le_bytes(
            r.take(ORIGIN_LEN, "origin")?.try_into().expect("4 bytes"),
        )),
    };
    let schema = match flags & FLAG_SCHEMA {
        0 => None,
        _ => {
            let len = within_size(r.varint("schema length")?, limits)?;
            Some(r.take(len as usize, "schema document")?)
        }
    };
    let body_len = within_size(r.varint("body length")?, limits)?;
    Ok(Head {
        header: Header::new(name, version)
            .with_fingerprint(fingerprint)
            .with_origin(origin),
        schema,
        body_len,
        checksum: flags & FLAG_CHECKSUM != 0,
        len: r.pos,
    })
}

/// `len`, a length read from a header, if it is within [`Limits::max_size`]: checked before
/// anything is allocated for what it announces.
fn within_size(len: u64, limits: &Limits) -> Result<u64> {
    match len <= limits.max_size {
        true => Ok(len),
        false => Err(Limit::Size.exceeded(limits.max_size).into()),
    }
}

fn not_envelope(reason: impl std::fmt::Display) -> Error {
    kimera_core::envelope::not_envelope(FORMAT, reason).into()
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    // Inlined, with the errors out of line: `peek_header` and the dispatchers read a header
    // per message.
    #[inline]
    fn take(&mut self, n: usize, context: &'static str) -> std::result::Result<&'a [u8], Stop> {
        let rest = &self.bytes[self.pos..];
        if rest.len() < n {
            return Err(self.short(n, context));
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    #[inline]
    fn varint(&mut self, context: &'static str) -> std::result::Result<u64, Stop> {
        match varint::read(&self.bytes[self.pos..]) {
            Ok((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            Err(VarintError::Truncated) => Err(self.short(1, context)),
            Err(VarintError::Overflow) => Err(overflow(context).into()),
        }
    }

    /// Short of `n` more bytes from where it is (at least: a varint may need more).
    #[cold]
    fn short(&self, n: usize, context: &'static str) -> Stop {
        Stop::Short {
            need: self.pos.saturating_add(n),
            context,
        }
    }
}

#[cold]
fn overflow(context: &'static str) -> Error {
    not_envelope(format_args!("{context} overflows 64 bits"))
}
