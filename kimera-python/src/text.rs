//! JSON text as Python's `json` module reads and writes it: a parser that reads one token at a
//! time and accepts `NaN` and `Infinity`, and a writer of `json.dumps`'s default output
//! (`", "` and `": "` separators, ASCII only, Python's float repr) that writes text nested in
//! strings at any escape depth straight into one buffer.
//!
//! Escape depth: wire text inside a string is escaped once more per level of nesting. A text at
//! depth `d` (inside `d` strings) writes its own `"` as `2^d - 1` backslashes and a quote, and a
//! string's content, escaped once by `json.dumps`, has each backslash of that escape doubled `d`
//! more times. Writing at the right depth directly is what escaping an inner text `d` times
//! gives, without building and re-escaping the inner texts.

use std::borrow::Cow;

use kimera_core::{Error, Limit};

use crate::Handler;

/// The buffer wire text is written into, bounded by a maximum size.
pub(super) struct Out {
    pub(super) text: String,
    max_size: u64,
    /// The fixed text of each escape depth written so far, so that writing a value's envelope
    /// is a few copies rather than one per quote and backslash run.
    depths: Vec<Depth>,
    pending: Pending,
}

/// The parts of the envelope at one escape depth `d`. A value at depth `d > 0` is always the
/// whole content of a string at depth `d - 1`, so its head and tail carry that string's quotes.
pub(super) struct Depth {
    /// What each backslash of a string's own escapes becomes: `2^d` backslashes.
    backslashes: Box<str>,
    /// A structural `"`: `2^d - 1` backslashes and a quote.
    quote: Box<str>,
    /// `"{"data": `, the outer quote only below the top.
    head: Box<str>,
    /// The head and the quote opening string data.
    string_head: Box<str>,
    /// `, "` before a dict's key after the first.
    key_next: Box<str>,
    /// `": ` after a dict's key.
    key_end: Box<str>,
    /// The head and the string head as they follow a key of the dict at depth `d - 1`: that
    /// key's `": ` and the head, in one.
    keyed_head: Box<str>,
    keyed_string_head: Box<str>,
    /// A tail and what follows it in one, by [`Then`], handler and whether it follows string
    /// data: the next key of the dict at depth `d - 1` (`, "`), or the next item of a list
    /// (`, `). Built when first written.
    joints: [[[Option<Box<str>>; 2]; Handler::ALL.len()]; 2],
    /// `, "serializer": "<handler>"}"` for each handler, and the same after string data, built
    /// when first written (a depth's templates are as long as a few of its values' text).
    tails: [Option<Box<str>>; Handler::ALL.len()],
    string_tails: [Option<Box<str>>; Handler::ALL.len()],
}

impl Depth {
    pub(super) fn new(d: u32) -> Depth {
        let backslashes = "\\".repeat(1 << d);
        let quote = format!("{}\"", &backslashes[1..]);
        let head = format!("{}{{{quote}data{quote}: ", outer(&quote));
        let keyed_head = format!("{}: {head}", outer(&quote));
        Depth {
            keyed_string_head: format!("{keyed_head}{quote}").into(),
            keyed_head: keyed_head.into(),
            joints: Default::default(),
            string_head: format!("{head}{quote}").into(),
            head: head.into(),
            key_next: format!(", {quote}").into(),
            key_end: format!("{quote}: ").into(),
            quote: quote.into(),
            backslashes: backslashes.into(),
            tails: Default::default(),
            string_tails: Default::default(),
        }
    }

    /// `"{"data": `.
    pub(super) fn head(&self) -> &str {
        &self.head
    }

    pub(super) fn tail(&mut self, handler: Handler) -> &str {
        let quote = &self.quote;
        self.tails[handler as usize].get_or_insert_with(|| {
            format!(
                ", {quote}serializer{quote}: {quote}{}{quote}}}{}",
                handler.name(),
                outer(quote)
            )
            .into()
        })
    }

    /// The tail of `handler` after string data or not (`string`), and `then` after it.
    fn tail_then(&mut self, handler: Handler, string: bool, then: Then) -> &str {
        let (t, h, s) = (then as usize, handler as usize, usize::from(string));
        if self.joints[t][h][s].is_none() {
            let tail = match string {
                true => self.string_tail(handler).to_owned(),
                false => self.tail(handler).to_owned(),
            };
            let joint = match then {
                Then::Key => format!("{tail}, {}", outer(&self.quote)),
                Then::Item => format!("{tail}, "),
            };
            self.joints[t][h][s] = Some(joint.into());
        }
        self.joints[t][h][s].as_deref().unwrap_or_default()
    }

    fn string_tail(&mut self, handler: Handler) -> &str {
        if self.string_tails[handler as usize].is_none() {
            let tail = self.tail(handler).to_owned();
            let tail = format!("{}{tail}", self.quote);
            self.string_tails[handler as usize] = Some(tail.into());
        }
        self.string_tails[handler as usize]
            .as_deref()
            .unwrap_or_default()
    }
}

/// What follows a value's tail in a container.
#[derive(Clone, Copy)]
enum Then {
    Key,
    Item,
}

/// Text not written yet, because what comes next may be written with it in one copy.
#[derive(Clone, Copy)]
enum Pending {
    Nothing,
    /// The `": ` after a key of the dict at this depth.
    Keyed(u32),
    /// The tail of a value at depth `d`.
    Tail {
        d: u32,
        handler: Handler,
        string: bool,
    },
}

/// The quote of the string a value at depth `d` sits in, given the value's own (`2^d` bytes):
/// its last `2^(d-1)`; none at the top.
fn outer(quote: &str) -> &str {
    &quote[quote.len().div_ceil(2)..]
}

/// How many bytes at the start of `bytes` need no escaping ([`ESCAPED`]), eight at a time.
#[inline]
fn plain_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        match first_escaped(u64::from_le_bytes(chunk.try_into().unwrap_or_default())) {
            8 => i += 8,
            at => return i + at,
        }
    }
    match bytes.len().checked_sub(8) {
        // The last eight bytes, overlapping plain ones checked above (which flag nothing).
        Some(start) if i > start => {
            let last = bytes[start..].try_into().unwrap_or_default();
            start + first_escaped(u64::from_le_bytes(last))
        }
        _ => {
            let rest = &bytes[i..];
            i + rest
                .iter()
                .position(|&b| ESCAPED[usize::from(b)])
                .unwrap_or(rest.len())
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of eight bytes that is zero; a borrow may flag bytes after a zero,
/// never before, so the first flagged byte is exact.
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGH
}

/// The high bit of each of eight bytes that is `"` or `\`.
#[inline]
fn quotes_and_backslashes(w: u64) -> u64 {
    zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')))
}

/// How many bytes at the start of `bytes` a JSON string holds as they are (not `"`, `\` or
/// a control character), eight at a time.
#[inline]
fn unescaped_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Below 0x20: the borrow of `- 0x20`, bytes beyond ASCII excluded.
        let flagged = w.wrapping_sub(ONES * 0x20) & !w & HIGH | quotes_and_backslashes(w);
        if flagged != 0 {
            return i + (flagged.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let rest = &bytes[i..];
    i + rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(rest.len())
}

/// The index of the first of eight bytes (little-endian) to escape, or 8.
#[inline]
fn first_escaped(w: u64) -> usize {
    // Flagged: below 0x20 (the borrow of `- 0x20`), 0x7f (`+ 1` reaches 0x80), beyond ASCII
    // (the high bit), `"` and `\`. Carries and borrows only flag later bytes, so the first
    // flagged byte is exact.
    let flagged =
        (w.wrapping_sub(ONES * 0x20) | w.wrapping_add(ONES) | w) & HIGH | quotes_and_backslashes(w);
    (flagged.trailing_zeros() / 8) as usize
}

/// Bytes a string's text needs escaped, as `json.dumps` escapes them by default: `"`, `\`,
/// control characters, and everything beyond ASCII.
const ESCAPED: [bool; 256] = {
    let mut table = [true; 256];
    let mut b = 0x20;
    while b < 0x7f {
        table[b] = b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    table
};

impl Out {
    pub(super) fn new(max_size: u64) -> Out {
        Out {
            text: String::new(),
            max_size,
            depths: Vec::new(),
            pending: Pending::Nothing,
        }
    }

    /// The whole text, within the size limit.
    pub(super) fn finish(mut self) -> Result<String, Error> {
        self.flush();
        self.check()?;
        Ok(self.text)
    }

    /// Writes what is pending.
    #[inline]
    fn flush(&mut self) {
        match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Nothing => {}
            Pending::Keyed(d) => self.text.push_str(&self.depths[d as usize].key_end),
            Pending::Tail { d, handler, string } => {
                let depth = &mut self.depths[d as usize];
                self.text.push_str(match string {
                    true => depth.string_tail(handler),
                    false => depth.tail(handler),
                });
            }
        }
    }

    fn too_long(&self) -> Error {
        Limit::Size.exceeded(self.max_size).into()
    }

    /// A size error if the text is already longer than allowed.
    pub(super) fn check(&self) -> Result<(), Error> {
        match self.text.len() as u64 > self.max_size {
            true => Err(self.too_long()),
            false => Ok(()),
        }
    }

    /// Before writing a value at depth `d`: its envelope alone has six quotes of `2^d` bytes
    /// each, so a depth where those are longer than the whole text may be cannot be written
    /// (and its templates stay within a few times what it writes).
    #[inline]
    pub(super) fn enter(&mut self, d: u32) -> Result<(), Error> {
        match (d as usize) < self.depths.len() {
            true => Ok(()),
            false => self.deeper(d),
        }
    }

    #[cold]
    fn deeper(&mut self, d: u32) -> Result<(), Error> {
        if d >= 60 || 6u64 << d > self.max_size {
            return Err(self.too_long());
        }
        while self.depths.len() <= d as usize {
            self.depths.push(Depth::new(self.depths.len() as u32));
        }
        Ok(())
    }

    #[inline]
    pub(super) fn raw(&mut self, text: &str) {
        self.flush();
        self.text.push_str(text);
    }

    /// The `, ` between a list's items.
    #[inline]
    pub(super) fn separator(&mut self) {
        match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Tail { d, handler, string } => self
                .text
                .push_str(self.depths[d as usize].tail_then(handler, string, Then::Item)),
            pending => {
                self.pending = pending;
                self.raw(", ");
            }
        }
    }

    /// The head of a value at depth `d`, or the string head, written with the `": ` of the key
    /// before it.
    #[inline]
    fn start(&mut self, d: u32, string: bool) {
        let depth = &self.depths[d as usize];
        let head = match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Keyed(key) if key + 1 == d => match string {
                true => &depth.keyed_string_head,
                false => &depth.keyed_head,
            },
            pending => {
                self.pending = pending;
                self.flush();
                let depth = &self.depths[d as usize];
                match string {
                    true => &depth.string_head,
                    false => &depth.head,
                }
            }
        };
        self.text.push_str(head);
    }

    /// The start of a value at depth `d` (entered), up to its data: `{"data": `.
    #[inline]
    pub(super) fn head(&mut self, d: u32) {
        self.start(d, false);
    }

    /// The end of a value at depth `d` (entered), after its data: `, "serializer": "<handler>"}`
    /// (written with what follows it).
    #[inline]
    pub(super) fn tail(&mut self, handler: Handler, d: u32) {
        self.flush();
        self.pending = Pending::Tail {
            d,
            handler,
            string: false,
        };
    }

    /// The head of a value at depth `d` (entered) and its scalar data, written by `data`: a
    /// `DefaultSerializerHandler` value, up to its tail.
    #[inline]
    pub(super) fn scalar(&mut self, d: u32, data: impl FnOnce(&mut Out)) -> Handler {
        self.head(d);
        data(self);
        Handler::Default
    }

    /// A whole value at depth `d` (entered) whose data is the string `s`, within the size limit.
    #[inline]
    pub(super) fn string_value(&mut self, s: &str, handler: Handler, d: u32) -> Result<(), Error> {
        self.start(d, true);
        self.content(s, d)?;
        self.pending = Pending::Tail {
            d,
            handler,
            string: true,
        };
        self.check()
    }

    /// A dict's key at depth `d` (entered), with the separator before it and `: ` after.
    #[inline]
    pub(super) fn key(&mut self, key: &str, first: bool, d: u32) -> Result<(), Error> {
        match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Tail {
                d: value,
                handler,
                string,
            } if !first && value == d + 1 => self
                .text
                .push_str(self.depths[value as usize].tail_then(handler, string, Then::Key)),
            pending => {
                self.pending = pending;
                self.flush();
                let depth = &self.depths[d as usize];
                self.text
                    .push_str(if first { &depth.quote } else { &depth.key_next });
            }
        }
        self.content(key, d)?;
        self.pending = Pending::Keyed(d);
        Ok(())
    }

    #[inline]
    pub(super) fn int(&mut self, i: i64) {
        self.flush();
        self.text.push_str(itoa::Buffer::new().format(i));
    }

    /// The text of `s` inside a JSON string at depth `d` (entered), the way Python's
    /// `json.dumps` writes it by default (ASCII only, `\uXXXX` escapes with surrogate pairs
    /// above U+FFFF, short escapes for `\n` and friends), escaped `d` more times.
    #[inline]
    fn content(&mut self, s: &str, d: u32) -> Result<(), Error> {
        match plain_prefix(s.as_bytes()) {
            plain if plain == s.len() => {
                self.text.push_str(s);
                Ok(())
            }
            plain => self.escaped(s, plain, d),
        }
    }

    /// [`Out::content`] for text with a byte to escape after its first `plain`.
    fn escaped(&mut self, s: &str, mut plain: usize, d: u32) -> Result<(), Error> {
        let Out { text, depths, .. } = self;
        let depth = &depths[d as usize];
        let bytes = s.as_bytes();
        text.push_str(&s[..plain]);
        let mut i = plain;
        while i < bytes.len() {
            // Plain runs end before an escaped byte, which is ASCII or starts a character: on
            // character boundaries.
            let c = s[i..].chars().next().unwrap_or_default();
            i += c.len_utf8();
            // Each backslash of the first escape becomes `2^d`.
            text.push_str(&depth.backslashes);
            match c {
                // `\"` and `\\`: the escaped character is itself escaped again.
                '"' => text.push_str(&depth.quote),
                '\\' => text.push_str(&depth.backslashes),
                '\n' => text.push('n'),
                '\r' => text.push('r'),
                '\t' => text.push('t'),
                '\u{8}' => text.push('b'),
                '\u{c}' => text.push('f'),
                _ => {
                    let mut units = [0u16; 2];
                    for (k, unit) in c.encode_utf16(&mut units).iter().enumerate() {
                        if k > 0 {
                            text.push_str(&depth.backslashes);
                        }
                        text.push('u');
                        hex4(text, *unit);
                    }
                }
            }
            // Escapes multiply the text by up to `2^d`: bounded before it grows further.
            if text.len() as u64 > self.max_size {
                return Err(Limit::Size.exceeded(self.max_size).into());
            }
            plain = i;
            i += plain_prefix(&bytes[i..]);
            text.push_str(&s[plain..i]);
        }
        Ok(())
    }

    /// `x` as Python's `repr(float)` (which `json.dumps` uses): the shortest digits that read
    /// back to the same float, in positional notation with at least one decimal when the
    /// decimal exponent is from -4 to 15, else in scientific notation with a signed two-digit
    /// exponent (`1e-05`, `1e+16`); `NaN`, `Infinity`, `-Infinity` as `json.dumps` writes them.
    pub(super) fn float(&mut self, x: f64) {
        self.flush();
        write_float(&mut self.text, x);
    }
}

fn hex4(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let (digits, exponent) = shortest_digits(&mut buffer, x.abs());
    if x.is_sign_negative() {
        out.push('-');
    }
    let digits = digits.as_str();
    if (-4..16).contains(&exponent) {
        // Positional: the decimal point after `exponent + 1` digits.
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(digits);
        } else if point as usize >= digits.len() {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(itoa::Buffer::new().format(magnitude));
    }
}

/// Up to 17 significant digits, on the stack.
struct Digits {
    bytes: [u8; 24],
    len: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// The shortest digits that read back to `x` (finite, not negative), ties broken to even as
/// Python's repr does, and the decimal exponent of the first: `("15", 0)` for 1.5.
fn shortest_digits(buffer: &mut ryu::Buffer, x: f64) -> (Digits, i32) {
    let text = buffer.format_finite(x);
    // ryu writes `1.5`, `1e16`, `1e-5`, `1.2345e-7`, `0.0001`: digits around a point, then
    // an exponent.
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (integral, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = Digits {
        bytes: [0; 24],
        len: 0,
    };
    let mut leading = 0;
    for b in integral.bytes().chain(fraction.bytes()) {
        if digits.len == 0 && b == b'0' {
            leading += 1;
        } else if digits.len < digits.bytes.len() {
            digits.bytes[digits.len] = b;
            digits.len += 1;
        }
    }
    while digits.len > 0 && digits.bytes[digits.len - 1] == b'0' {
        digits.len -= 1;
    }
    if digits.len == 0 {
        digits.bytes[0] = b'0';
        digits.len = 1;
        return (digits, 0);
    }
    let first = integral.len() as i32 - 1 - leading + exponent;
    (digits, first)
}

/// A JSON value read by [`Parser::scalar`] or found by [`Parser::skip`]: scalars whole,
/// containers by what they are.
#[derive(Debug)]
pub(super) enum Token<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl Token<'_> {
    /// What it is, for error messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Token::Null => "null",
            Token::Bool(_) => "a boolean",
            Token::Int(_) => "an integer",
            Token::Float(_) => "a float",
            Token::Str(_) => "a string",
            Token::Array => "an array",
            Token::Object => "an object",
        }
    }
}

/// Where text goes as a string is read: into a `String`, or nowhere (only checked).
pub(super) trait Sink {
    fn push_str(&mut self, s: &str);
    fn push(&mut self, c: char);
}

impl Sink for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    fn push(&mut self, c: char) {
        String::push(self, c);
    }
}

impl Sink for () {
    fn push_str(&mut self, _: &str) {}
    fn push(&mut self, _: char) {}
}

/// The character a JSON escape stands for, given the byte after its backslash (`\u` aside).
pub(super) fn short_escape(b: u8) -> Option<char> {
    Some(match b {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// A reader of one JSON text, token by token; errors are messages naming the byte offset.
pub(super) struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    pub(super) fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    /// The next byte after whitespace, not consumed.
    pub(super) fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.bytes.get(self.pos).copied()
    }

    pub(super) fn eat(&mut self, literal: &str) -> bool {
        let found = self.bytes[self.pos..].starts_with(literal.as_bytes());
        if found {
            self.pos += literal.len();
        }
        found
    }

    pub(super) fn expect(&mut self, byte: u8) -> Result<(), String> {
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error(&format!("expected `{}`", byte as char))),
            None => Err(self.error(&format!("unexpected end, expected `{}`", byte as char))),
        }
    }

    /// After a container's item: `true` for a `,` (another item follows), `false` for the
    /// closing byte.
    pub(super) fn next_item(&mut self, close: u8) -> Result<bool, String> {
        if self.peek() == Some(b',') {
            self.pos += 1;
            return Ok(true);
        }
        self.expect(close).map(|()| false)
    }

    /// At a container's opening byte: consumes it, and the closing one if it is empty
    /// (`true`: an item follows).
    pub(super) fn open(&mut self, close: u8) -> bool {
        self.pos += 1;
        if self.peek() == Some(close) {
            self.pos += 1;
            return false;
        }
        true
    }

    /// Nothing but whitespace left.
    pub(super) fn end(&mut self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    /// An object key: a string, borrowed from the text when it has no escapes.
    pub(super) fn key(&mut self) -> Result<Cow<'a, str>, String> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key"));
        }
        let key = self.string_token()?;
        self.expect(b':')?;
        Ok(key)
    }

    /// A scalar (a container is only reported, and left unread), or an error for what is not a
    /// JSON value.
    pub(super) fn scalar(&mut self) -> Result<Token<'a>, String> {
        let Some(first) = self.peek() else {
            return Err(self.error("unexpected end, expected a value"));
        };
        match first {
            b'{' => Ok(Token::Object),
            b'[' => Ok(Token::Array),
            b'"' => self.string_token().map(Token::Str),
            b'-' | b'0'..=b'9' | b'N' | b'I' => self.number(),
            _ if self.eat("null") => Ok(Token::Null),
            _ if self.eat("true") => Ok(Token::Bool(true)),
            _ if self.eat("false") => Ok(Token::Bool(false)),
            _ => Err(self.error("expected a JSON value")),
        }
    }

    /// Reads past one value, checking it, containers nested at most `depth_left` deep
    /// (`max_depth` for the message); says what it was.
    pub(super) fn skip(&mut self, depth_left: u32, max_depth: u32) -> Result<Token<'a>, String> {
        let token = self.scalar()?;
        let close = match token {
            Token::Array => b']',
            Token::Object => b'}',
            scalar => return Ok(scalar),
        };
        if depth_left == 0 {
            return Err(self.error(&format!("nesting deeper than {max_depth} levels")));
        }
        if self.open(close) {
            loop {
                if close == b'}' {
                    self.key()?;
                }
                self.skip(depth_left - 1, max_depth)?;
                if !self.next_item(close)? {
                    break;
                }
            }
        }
        Ok(token)
    }

    fn string_token(&mut self) -> Result<Cow<'a, str>, String> {
        let start = self.pos + 1;
        let end = self.plain_run(start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&self.text[start..end]));
        }
        let mut out = String::new();
        self.string(&mut out)?;
        Ok(Cow::Owned(out))
    }

    /// Where the run of bytes from `from` that need no unescaping ends.
    pub(super) fn plain_run(&self, from: usize) -> usize {
        from + unescaped_prefix(&self.bytes[from.min(self.bytes.len())..])
    }

    /// At a string's opening quote: reads it, its text unescaped into `out`.
    pub(super) fn string(&mut self, out: &mut impl Sink) -> Result<(), String> {
        self.pos += 1; // `"`
        loop {
            let start = self.pos;
            self.pos = self.plain_run(start);
            // Delimited by ASCII bytes of valid UTF-8 text: on character boundaries.
            out.push_str(&self.text[start..self.pos]);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unexpected end inside a string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.error("unexpected end inside an escape"));
        };
        self.pos += 1;
        Ok(match b {
            b'u' => {
                let high = self.hex4()?;
                let code = match high {
                    0xD800..=0xDBFF => {
                        if !self.eat("\\u") {
                            return Err(
                                self.error("a lone surrogate escape, which text cannot hold")
                            );
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("a surrogate pair with no low half"));
                        }
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("a lone surrogate escape, which text cannot hold"))
                    }
                    code => code,
                };
                char::from_u32(code).ok_or_else(|| self.error("an invalid \\u escape"))?
            }
            other => short_escape(other).ok_or_else(|| self.error("an invalid escape"))?,
        })
    }

    pub(super) fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("expected four hex digits"))?;
        self.pos += 4;
        Ok(digits)
    }

    pub(super) fn number(&mut self) -> Result<Token<'a>, String> {
        let start = self.pos;
        if self.eat("NaN") {
            return Ok(Token::Float(f64::NAN));
        }
        let negative = self.eat("-");
        if self.eat("Infinity") {
            return Ok(Token::Float(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }));
        }
        let digits = |p: &mut Self| {
            let from = p.pos;
            while p.bytes.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - from
        };
        let integral = digits(self);
        if integral == 0 || (integral > 1 && self.bytes[self.pos - integral] == b'0') {
            return Err(self.error("an invalid number"));
        }
        let mut float = false;
        if self.eat(".") {
            float = true;
            if digits(self) == 0 {
                return Err(self.error("an invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            float = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("an invalid number"));
            }
        }
        let text = &self.text[start..self.pos];
        if float {
            // Correctly rounded: every float Python wrote reads back to the same bits.
            return text
                .parse()
                .map(Token::Float)
                .map_err(|_| self.error("an invalid number"));
        }
        text.parse().map(Token::Int).map_err(|_| {
            let shown = match text.len() {
                0..=40 => text.to_owned(),
                len => format!("{}… ({len} digits)", &text[..20]),
            };
            format!("the integer {shown} is beyond the 64-bit range (at byte {start})")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(x: f64) -> String {
        let mut out = String::new();
        write_float(&mut out, x);
        out
    }

    #[test]
    fn floats_as_python_writes_them() {
        for (x, python) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.1, "0.1"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-2.25, "-2.25"),
            // Ties between two shortest candidates go to the even digit, as in Python.
            (f64::from_bits(0x4310_0000_0000_0001), "1125899906842624.2"),
            (-111_275_153_569_243.12, "-111275153569243.12"),
            (100.0, "100.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(float(x), python, "{x:?}");
        }
    }

    /// `s` as a JSON string at depth `d`.
    fn quoted(out: &mut Out, s: &str, d: u32) {
        out.enter(d).unwrap();
        out.text.push_str(&out.depths[d as usize].quote);
        out.content(s, d).unwrap();
        out.text.push_str(&out.depths[d as usize].quote);
    }

    /// `s` written at depth `d`, and the same by escaping the depth-0 text `d` times.
    fn at_depth(s: &str, d: u32) -> (String, String) {
        let mut out = Out::new(u64::MAX >> 1);
        quoted(&mut out, s, d);
        let mut escaped = Out::new(u64::MAX >> 1);
        quoted(&mut escaped, s, 0);
        for _ in 0..d {
            let inner = std::mem::take(&mut escaped.text);
            quoted(&mut escaped, &inner, 0);
            // Remove the quotes the outer escape adds: the text sits inside them.
            escaped.text = escaped.text[1..escaped.text.len() - 1].to_owned();
        }
        (out.text, escaped.text)
    }

    #[test]
    fn plain_prefixes_stop_at_the_first_byte_to_escape() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        for len in 0..40 {
            for _ in 0..200 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        // Mostly plain text, sometimes any byte.
                        match rng % 8 {
                            0 => (rng >> 8) as u8,
                            _ => b' ' + (rng >> 8) as u8 % 95,
                        }
                    })
                    .collect();
                let expected = bytes
                    .iter()
                    .position(|&b| ESCAPED[usize::from(b)])
                    .unwrap_or(len);
                assert_eq!(plain_prefix(&bytes), expected, "{bytes:?}");
                let unescaped = bytes
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                    .unwrap_or(len);
                assert_eq!(unescaped_prefix(&bytes), unescaped, "{bytes:?}");
            }
        }
    }

    #[test]
    fn strings_as_python_writes_them_at_every_depth() {
        let s = "ñ \"q\" \\ \u{1}\u{7f} 😀\n";
        let (direct, _) = at_depth(s, 0);
        assert_eq!(direct, r#""\u00f1 \"q\" \\ \u0001\u007f \ud83d\ude00\n""#);
        let mut back = String::new();
        Parser::new(&direct).string(&mut back).unwrap();
        assert_eq!(back, s);
        for d in 1..6 {
            let (direct, escaped) = at_depth(s, d);
            assert_eq!(direct, escaped, "depth {d}");
        }
    }

    fn parse_all(text: &str) -> Result<(), String> {
        let mut parser = Parser::new(text);
        parser.skip(8, 8)?;
        parser.end()
    }

    #[test]
    fn bad_text_is_an_error_never_a_panic() {
        for bad in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "{\"a\" 1}",
            "[1] 2",
            "\"\u{1}\"",
            "1e",
            "nul",
            "99999999999999999999",
            "\"\\u+041\"",
        ] {
            assert!(parse_all(bad).is_err(), "{bad:?}");
        }
        assert!(parse_all(&"[".repeat(10))
            .unwrap_err()
            .contains("deeper than 8"));
    }
}
