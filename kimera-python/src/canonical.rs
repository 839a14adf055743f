//! Wire text exactly as the Python library writes it, read in place: each nested value at its
//! escape depth in the text that holds it, matched against that depth's envelope templates,
//! with no unescaped copy of the text per level.
//!
//! This is the fast path of [`Value::from_wire`]. It gives up (`None`) on anything else —
//! other spacing, another key order, a value the general reader would refuse — and the general
//! reader (which reads any JSON and says what is wrong) reads that text instead. What this
//! reads is what the general reader reads: the same value, and the same count of text bytes
//! against the size limit (every level's text, as if each had been unescaped).
//!
//! At escape depth `r`, a string's own-level backslash is `2^r` backslashes and its own-level
//! `"` is `2^r - 1` backslashes and a `"`; everything else is itself. A run of backslashes and
//! the byte after it therefore stands for exactly one sequence of own-level backslashes and that
//! byte, or for nothing Python wrote.

use std::borrow::Cow;

use crate::text::{short_escape, Depth, Parser, Token};
use crate::{insert, parse_date, parse_datetime, Handler, Value};

/// What a value's wire text costs at its own level: its length, how many of its bytes are `"`
/// or `\` (escaping it once more adds a byte for each, and doubles them), and the length of its
/// text and of all its elements' texts, which the general reader counts against the size limit.
#[derive(Clone, Copy, Default)]
pub(super) struct Cost {
    len: u64,
    special: u64,
    pub(super) total: u64,
}

impl Cost {
    /// The length of the value's own text.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Own bytes of the text, `special` of them `"` or `\`.
    pub(super) fn text(&mut self, len: usize, special: usize) {
        self.len += len as u64;
        self.special += special as u64;
    }

    /// The cost of the whole value once its `handler`'s tail is read.
    pub(super) fn finished(mut self, handler: Handler) -> Cost {
        self.text(r#", "serializer": ""}"#.len() + handler.name().len(), 4);
        self.total += self.len;
        self
    }

    /// An element: its text escaped once, inside quotes.
    pub(super) fn element(&mut self, inner: Cost) {
        self.len += 2 + inner.len + inner.special;
        self.special += 2 + 2 * inner.special;
        self.total += inner.total;
    }
}

/// A reader of canonical wire text from a position in one level's text.
pub(super) struct Canonical<'t, 'd> {
    p: Parser<'t>,
    bytes: &'t [u8],
    /// Templates by escape depth, relative to the text read.
    depths: &'d mut Vec<Depth>,
    /// The nesting level of the text read, and the limit on levels.
    level: u32,
    max_depth: u32,
    /// Containers' elements by depth as they are read, reused, so that each container's own
    /// vector is allocated once at its size.
    items: Vec<Vec<Value>>,
    entries: Vec<Vec<(String, Value)>>,
}

/// The scratch vector of depth `r`, taken out (empty) to be filled and put back.
fn scratch<T>(stack: &mut Vec<Vec<T>>, r: u32) -> Vec<T> {
    if stack.len() <= r as usize {
        stack.resize_with(r as usize + 1, Vec::new);
    }
    std::mem::take(&mut stack[r as usize])
}

impl<'t, 'd> Canonical<'t, 'd> {
    /// A reader of `text`, at nesting `level`, from `pos`.
    pub(super) fn new(
        text: &'t str,
        pos: usize,
        level: u32,
        max_depth: u32,
        depths: &'d mut Vec<Depth>,
    ) -> Self {
        let mut p = Parser::new(text);
        p.pos = pos;
        Canonical {
            p,
            bytes: text.as_bytes(),
            depths,
            level,
            max_depth,
            items: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// The whole text as one value.
    pub(super) fn whole(mut self) -> Option<(Value, Cost)> {
        let read = self.value(0)?;
        (self.p.pos == self.bytes.len()).then_some(read)
    }

    /// The element whose string starts here (at its `"`), and where its string ends.
    pub(super) fn element(mut self) -> Option<(Value, Cost, usize)> {
        let (value, cost) = self.value(1)?;
        Some((value, cost, self.p.pos))
    }

    /// The templates of relative depth `r`, built only where the text left could hold a value
    /// there (its envelope has six quotes of `2^r` bytes).
    fn build(&mut self, r: u32) -> Option<()> {
        if self.depths.len() <= r as usize {
            let left = (self.bytes.len() - self.p.pos) as u64;
            if r >= 40 || 6u64 << r > left {
                return None;
            }
            while self.depths.len() <= r as usize {
                self.depths.push(Depth::new(self.depths.len() as u32));
            }
        }
        Some(())
    }

    /// Consumes `expected` if the text goes on with it.
    pub(super) fn eat(&mut self, expected: &[u8]) -> Option<()> {
        let found = self.bytes.get(self.p.pos..)?.starts_with(expected);
        found.then(|| self.p.pos += expected.len())
    }

    /// The value at relative depth `r` from here, and its cost.
    pub(super) fn value(&mut self, r: u32) -> Option<(Value, Cost)> {
        let mut cost = self.head(r)?;
        let (value, handler) = match self.peek()? {
            b'[' => {
                let items = self.items(r, &mut cost)?;
                match self.tail(r, &[Handler::List, Handler::Tuple])? {
                    Handler::List => (Value::List(items), Handler::List),
                    handler => (Value::Tuple(items), handler),
                }
            }
            b'{' => {
                let entries = self.entries(r, &mut cost)?;
                (Value::Dict(entries), self.tail(r, &[Handler::Dict])?)
            }
            b'"' | b'\\' => {
                let text = self.string(r, &mut cost)?;
                match self.tail(r, &Handler::STRINGS)? {
                    Handler::DateTime => (
                        Value::DateTime(parse_datetime(&text).ok()?),
                        Handler::DateTime,
                    ),
                    Handler::Date => (Value::Date(parse_date(&text).ok()?), Handler::Date),
                    handler => (Value::Str(text.into_owned()), handler),
                }
            }
            _ => {
                let value = self.scalar(&mut cost)?;
                (value, self.tail(r, &[Handler::Default])?)
            }
        };
        Some((value, cost.finished(handler)))
    }

    /// The next byte, not consumed.
    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.p.pos).copied()
    }

    /// Where the reader is, to come back to.
    pub(super) fn pos(&self) -> usize {
        self.p.pos
    }

    pub(super) fn rewind(&mut self, pos: usize) {
        self.p.pos = pos;
    }

    /// Whether all the text has been read.
    pub(super) fn at_end(&self) -> bool {
        self.p.pos == self.bytes.len()
    }

    /// The head of a value at relative depth `r` (within the depth limit), and its cost.
    pub(super) fn head(&mut self, r: u32) -> Option<Cost> {
        if self.level + r >= self.max_depth {
            return None;
        }
        self.build(r)?;
        let head = self.depths[r as usize].head().as_bytes();
        let found = self.bytes.get(self.p.pos..)?.starts_with(head);
        if !found {
            return None;
        }
        self.p.pos += head.len();
        let mut cost = Cost::default();
        cost.text(r#"{"data": "#.len(), 2);
        Some(cost)
    }

    /// The first of `handlers` whose tail at depth `r` the text goes on with.
    pub(super) fn tail(&mut self, r: u32, handlers: &[Handler]) -> Option<Handler> {
        for &handler in handlers {
            let tail = self.depths.get_mut(r as usize)?.tail(handler).as_bytes();
            if self.bytes.get(self.p.pos..)?.starts_with(tail) {
                self.p.pos += tail.len();
                return Some(handler);
            }
        }
        None
    }

    /// `null`, `true`, `false` or a number.
    pub(super) fn scalar(&mut self, cost: &mut Cost) -> Option<Value> {
        let start = self.p.pos;
        if let Some((i, len)) = small_int(&self.bytes[start..]) {
            self.p.pos += len;
            cost.text(len, 0);
            return Some(Value::Int(i));
        }
        let value = match self.bytes.get(start)? {
            b'n' if self.p.eat("null") => Value::None,
            b't' if self.p.eat("true") => Value::Bool(true),
            b'f' if self.p.eat("false") => Value::Bool(false),
            b'-' | b'0'..=b'9' | b'N' | b'I' => match self.p.number().ok()? {
                Token::Int(i) => Value::Int(i),
                Token::Float(x) => Value::Float(x),
                _ => return None,
            },
            _ => return None,
        };
        cost.text(self.p.pos - start, 0);
        Some(value)
    }

    /// A list's or tuple's items, at depth `r + 1` in the data's `[...]`.
    fn items(&mut self, r: u32, cost: &mut Cost) -> Option<Vec<Value>> {
        self.exact(r, |c| &mut c.items, |c, items| c.read_items(r, cost, items))
    }

    /// [`Canonical::items`] into `items`.
    fn read_items(&mut self, r: u32, cost: &mut Cost, items: &mut Vec<Value>) -> Option<()> {
        self.p.pos += 1;
        cost.text("[]".len(), 0);
        if self.eat(b"]").is_some() {
            return Some(());
        }
        loop {
            let (item, inner) = self.value(r + 1)?;
            cost.element(inner);
            items.push(item);
            if self.eat(b"]").is_some() {
                return Some(());
            }
            self.eat(b", ")?;
            cost.text(", ".len(), 0);
        }
    }

    /// A dict's entries: keys at depth `r`, values at `r + 1`, in the data's `{...}`.
    fn entries(&mut self, r: u32, cost: &mut Cost) -> Option<Vec<(String, Value)>> {
        self.exact(
            r,
            |c| &mut c.entries,
            |c, entries| c.read_entries(r, cost, entries),
        )
    }

    /// What `read` puts in the scratch vector of depth `r` of `stack`, in a vector of its own
    /// at its size (the scratch one keeps its capacity for the next container).
    fn exact<T>(
        &mut self,
        r: u32,
        stack: fn(&mut Self) -> &mut Vec<Vec<T>>,
        read: impl FnOnce(&mut Self, &mut Vec<T>) -> Option<()>,
    ) -> Option<Vec<T>> {
        let mut scratch = scratch(stack(self), r);
        let exact = read(self, &mut scratch).map(|()| {
            let mut exact = Vec::with_capacity(scratch.len());
            exact.append(&mut scratch);
            exact
        });
        scratch.clear();
        stack(self)[r as usize] = scratch;
        exact
    }

    /// [`Canonical::entries`] into `entries`.
    fn read_entries(
        &mut self,
        r: u32,
        cost: &mut Cost,
        entries: &mut Vec<(String, Value)>,
    ) -> Option<()> {
        self.p.pos += 1;
        cost.text("{}".len(), 0);
        let mut index = None;
        if self.eat(b"}").is_some() {
            return Some(());
        }
        loop {
            let key = self.string(r, cost)?.into_owned();
            self.eat(b": ")?;
            cost.text(": ".len(), 0);
            let (item, inner) = self.value(r + 1)?;
            cost.element(inner);
            insert(entries, &mut index, key, item);
            if self.eat(b"}").is_some() {
                return Some(());
            }
            self.eat(b", ")?;
            cost.text(", ".len(), 0);
        }
    }

    /// A JSON string at depth `r`, from its opening quote: its text, borrowed when it has no
    /// escapes.
    pub(super) fn string(&mut self, r: u32, cost: &mut Cost) -> Option<Cow<'t, str>> {
        let step = 1usize << r;
        // The opening quote: `2^r - 1` backslashes and `"`.
        let opening = self.bytes.get(self.p.pos..self.p.pos + step)?;
        if opening.last() != Some(&b'"') || opening[..step - 1].iter().any(|&b| b != b'\\') {
            return None;
        }
        self.p.pos += step;
        cost.text(2, 2);
        let text = self.p.text();
        let begin = self.p.pos;
        let mut out: Option<String> = None;
        loop {
            let start = self.p.pos;
            let end = self.p.plain_run(start);
            cost.text(end - start, 0);
            let run = self.bytes[end..]
                .iter()
                .take_while(|&&b| b == b'\\')
                .count();
            let after = *self.bytes.get(end + run)?;
            if after < 0x20 {
                return None;
            }
            // The own-level backslashes the run stands for, before `after`.
            let own = match after {
                b'"' if (run + 1) % step == 0 => (run + 1) / step - 1,
                b'"' => return None,
                _ if run % step == 0 => run / step,
                _ => return None,
            };
            self.p.pos = end + run;
            // Delimited by ASCII bytes of valid UTF-8 text: on character boundaries.
            let plain = text.get(start..end)?;
            if own == 0 && after == b'"' {
                self.p.pos += 1;
                return Some(match out {
                    Some(mut out) => {
                        out.push_str(plain);
                        Cow::Owned(out)
                    }
                    None => Cow::Borrowed(text.get(begin..end)?),
                });
            }
            let out = out.get_or_insert_with(String::new);
            out.push_str(plain);
            out.extend(std::iter::repeat_n('\\', own / 2));
            cost.text(own / 2 * 2, own / 2 * 2);
            if own % 2 == 0 {
                if after == b'"' {
                    self.p.pos += 1;
                    return Some(Cow::Owned(std::mem::take(out)));
                }
                // A plain byte: the next run starts with it.
                continue;
            }
            // An own-level escape of `after`.
            self.p.pos += 1;
            let c = match after {
                b'u' => self.unicode(step, cost)?,
                // `\"` is two specials (`\\` cannot follow a run of backslashes).
                short => {
                    cost.text(2, 1 + usize::from(short == b'"'));
                    short_escape(short)?
                }
            };
            out.push(c);
        }
    }

    /// The character of a `\uXXXX` escape (after its `u`), a surrogate pair's second half
    /// escaped by `step` backslashes.
    fn unicode(&mut self, step: usize, cost: &mut Cost) -> Option<char> {
        let high = self.p.hex4().ok()?;
        cost.text(6, 1);
        let code = match high {
            0xD800..=0xDBFF => {
                let at = self.p.pos;
                let backslashes = self.bytes.get(at..at + step)?;
                if backslashes.iter().any(|&b| b != b'\\')
                    || self.bytes.get(at + step) != Some(&b'u')
                {
                    return None;
                }
                self.p.pos = at + step + 1;
                let low = self.p.hex4().ok()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                cost.text(6, 1);
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return None,
            code => code,
        };
        char::from_u32(code)
    }
}

/// A non-negative integer of at most 18 digits (which cannot overflow) with no fraction or
/// exponent after it, as the general reader would read it, and its length; any other number
/// is left to the general number reader.
fn small_int(bytes: &[u8]) -> Option<(i64, usize)> {
    let digits = bytes
        .iter()
        .take(19)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let leading_zero = digits > 1 && bytes[0] == b'0';
    match bytes.get(digits) {
        _ if digits == 0 || digits > 18 || leading_zero => None,
        Some(b'.' | b'e' | b'E' | b'0'..=b'9') => None,
        _ => {
            let value = bytes[..digits]
                .iter()
                .fold(0i64, |n, &b| n * 10 + i64::from(b - b'0'));
            Some((value, digits))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use kimera_core::{Limits, Result};

    use super::*;
    use crate::{Path, Reader};

    /// The general reader alone, and the text it counted.
    fn general(wire: &str, limits: &Limits) -> (Result<Value>, u64) {
        if wire.len() as u64 > limits.max_size {
            return (Value::from_wire_with(wire, limits), 0);
        }
        let mut reader = Reader::new(limits, false);
        let read = reader.wire(wire, &Path::Root, 0);
        (read, limits.max_size - reader.text_left)
    }

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn text(&mut self) -> String {
            const CHARS: [&str; 12] = [
                "a", " ", "\"", "\\", "\n", "\u{1}", "é", "😀", "/", "u", "0", "\\u",
            ];
            (0..self.below(6))
                .map(|_| CHARS[self.below(CHARS.len())])
                .collect()
        }

        fn value(&mut self, depth: u32) -> Value {
            let containers = if depth < 4 { 3 } else { 0 };
            match self.below(7 + containers) {
                0 => Value::None,
                1 => Value::Bool(self.below(2) == 0),
                2 => Value::Int([0, -7, 123_456, i64::MIN, i64::MAX][self.below(5)]),
                3 => Value::Float([1.5, -0.0, f64::NAN, f64::INFINITY, 1e-5, 1e16][self.below(6)]),
                4 => Value::Str(self.text()),
                5 => Value::Date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
                6 => Value::DateTime(
                    NaiveDate::from_ymd_opt(964, 12, 10)
                        .unwrap()
                        .and_hms_micro_opt(1, 2, 3, 450_000)
                        .unwrap(),
                ),
                7 => Value::List((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
                8 => Value::Tuple((0..self.below(3)).map(|_| self.value(depth + 1)).collect()),
                _ => {
                    let mut keys: Vec<String> = (0..self.below(4)).map(|_| self.text()).collect();
                    keys.sort();
                    keys.dedup();
                    Value::Dict(
                        keys.into_iter()
                            .map(|k| (k, self.value(depth + 1)))
                            .collect(),
                    )
                }
            }
        }

        /// `wire` with one byte changed, removed or added, or cut short.
        fn damaged(&mut self, wire: &str) -> Option<String> {
            const BYTES: &[u8] = b" \\\"x1{}[],:u\n";
            let mut bytes = wire.as_bytes().to_vec();
            let at = self.below(bytes.len() + 1);
            let byte = BYTES[self.below(BYTES.len())];
            match self.below(4) {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => drop(bytes.remove(at)),
                2 => bytes.insert(at, byte),
                _ => bytes.truncate(at),
            }
            String::from_utf8(bytes).ok()
        }
    }

    /// The same value or the same error, by what they show (NaN is not equal to itself).
    fn same(left: &Result<Value>, right: &Result<Value>) -> bool {
        match (left, right) {
            (Ok(l), Ok(r)) => format!("{l:?}") == format!("{r:?}"),
            (Err(l), Err(r)) => l.to_string() == r.to_string(),
            _ => false,
        }
    }

    #[test]
    fn reads_what_the_general_reader_reads_counting_the_same_text() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut in_place, mut compared) = (0, [0; 2]);
        for _ in 0..3000 {
            let value = rng.value(0);
            let wire = value.to_wire().unwrap();
            // Canonical text is read in place, to the same value and the same count.
            let limits = Limits::DEFAULT;
            let (expected, counted) = general(&wire, &limits);
            let (read, cost) = Canonical::new(&wire, 0, 0, limits.max_depth, &mut Vec::new())
                .whole()
                .expect("canonical text is read in place");
            assert!(same(&Ok(read), &expected), "{wire}");
            assert_eq!(
                (cost.len(), cost.total),
                (wire.len() as u64, counted),
                "{wire}"
            );
            in_place += 1;
            // Damaged text, and tight limits: the same value or error either way.
            for attempt in 0..5 {
                let damaged = match attempt {
                    0 => wire.clone(),
                    _ => match rng.damaged(&wire) {
                        Some(damaged) => damaged,
                        None => continue,
                    },
                };
                let limits = match rng.below(3) {
                    0 => Limits::DEFAULT,
                    1 => Limits::DEFAULT.with_max_depth(rng.below(5) as u32 + 1),
                    _ => {
                        Limits::DEFAULT.with_max_size((counted as usize * rng.below(8) / 4) as u64)
                    }
                };
                let (expected, _) = general(&damaged, &limits);
                let read = Value::from_wire_with(&damaged, &limits);
                assert!(same(&read, &expected), "{damaged}\n{read:?}\n{expected:?}");
                compared[usize::from(read.is_err())] += 1;
            }
        }
        assert_eq!(in_place, 3000);
        println!("texts under random limits: {compared:?} (read, refused), the same either way");
    }
}
