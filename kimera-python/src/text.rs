//! JSON text as Python's `json` module reads and writes it: a small parser that keeps object
//! order and accepts `NaN` and `Infinity`, and a writer of `json.dumps`'s default output
//! (`", "` and `": "` separators, ASCII only, Python's float repr).

use std::fmt::Write as _;

/// A JSON document, objects in the order written.
#[derive(Debug)]
pub(super) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What it is, for error messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) => "an integer",
            Json::Float(_) => "a float",
            Json::Str(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses one document filling `text`, nesting at most `max_depth` arrays and objects.
pub(super) fn parse(text: &str, max_depth: u32) -> Result<Json, String> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        pos: 0,
        depth_left: max_depth,
        max_depth,
    };
    let value = parser.value()?;
    parser.whitespace();
    match parser.pos == parser.bytes.len() {
        true => Ok(value),
        false => Err(parser.error("trailing characters after the JSON value")),
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth_left: u32,
    max_depth: u32,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        let found = self.bytes[self.pos..].starts_with(literal.as_bytes());
        if found {
            self.pos += literal.len();
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.whitespace();
        match self.bytes.get(self.pos) {
            Some(&b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error(&format!("expected `{}`", byte as char))),
            None => Err(self.error(&format!("unexpected end, expected `{}`", byte as char))),
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.whitespace();
        let Some(&first) = self.bytes.get(self.pos) else {
            return Err(self.error("unexpected end, expected a value"));
        };
        match first {
            b'{' => self.nested(|p| p.object()),
            b'[' => self.nested(|p| p.array()),
            b'"' => self.string().map(Json::Str),
            b'-' | b'0'..=b'9' | b'N' | b'I' => self.number(),
            _ if self.eat("null") => Ok(Json::Null),
            _ if self.eat("true") => Ok(Json::Bool(true)),
            _ if self.eat("false") => Ok(Json::Bool(false)),
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Json, String>,
    ) -> Result<Json, String> {
        if self.depth_left == 0 {
            return Err(self.error(&format!("nesting deeper than {} levels", self.max_depth)));
        }
        self.depth_left -= 1;
        let value = f(self);
        self.depth_left += 1;
        value
    }

    fn object(&mut self) -> Result<Json, String> {
        self.pos += 1; // `{`
        let mut entries = Vec::new();
        self.whitespace();
        if self.eat("}") {
            return Ok(Json::Object(entries));
        }
        loop {
            self.whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.value()?;
            entries.push((key, value));
            self.whitespace();
            if self.eat(",") {
                continue;
            }
            self.expect(b'}')?;
            return Ok(Json::Object(entries));
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.whitespace();
        if self.eat("]") {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.whitespace();
            if self.eat(",") {
                continue;
            }
            self.expect(b']')?;
            return Ok(Json::Array(items));
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1; // `"`
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Slices between ASCII delimiters of valid UTF-8 are valid UTF-8.
            out.push_str(std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default());
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unexpected end inside a string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.error("unexpected end inside an escape"));
        };
        self.pos += 1;
        out.push(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
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
            _ => return Err(self.error("an invalid escape")),
        });
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
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

    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.eat("NaN") {
            return Ok(Json::Float(f64::NAN));
        }
        let negative = self.eat("-");
        if self.eat("Infinity") {
            return Ok(Json::Float(if negative {
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
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        if float {
            // Correctly rounded: every float Python wrote reads back to the same bits.
            return text
                .parse()
                .map(Json::Float)
                .map_err(|_| self.error("an invalid number"));
        }
        text.parse().map(Json::Int).map_err(|_| {
            let shown = match text.len() {
                0..=40 => text.to_owned(),
                len => format!("{}… ({len} digits)", &text[..20]),
            };
            format!("the integer {shown} is beyond the 64-bit range (at byte {start})")
        })
    }
}

/// Appends `s` as a JSON string the way Python's `json.dumps` writes it by default: ASCII
/// only, `\uXXXX` escapes (surrogate pairs above U+FFFF), short escapes for `\n` and friends.
pub(super) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Appends `x` as Python's `repr(float)` (which `json.dumps` uses): the shortest digits that
/// read back to the same float, in positional notation with at least one decimal when the
/// decimal exponent is from -4 to 15, else in scientific notation with a signed two-digit
/// exponent (`1e-05`, `1e+16`); `NaN`, `Infinity`, `-Infinity` as `json.dumps` writes them.
pub(super) fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    let (digits, exponent) = shortest_digits(x.abs());
    if x.is_sign_negative() {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        // Positional: the decimal point after `exponent + 1` digits.
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
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
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
}

/// The shortest digits that read back to `x` (finite, not negative), ties broken to even as
/// Python's repr does, and the decimal exponent of the first: `("15", 0)` for 1.5.
fn shortest_digits(x: f64) -> (String, i32) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x);
    // ryu writes `1.5`, `1e16`, `1e-5`, `1.2345e-7`, `0.0001`: digits around a point, then
    // an exponent.
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (integral, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = integral.chars().chain(fraction.chars()).collect();
    let significant = all.trim_start_matches('0');
    let leading = all.len() - significant.len();
    let digits = significant.trim_end_matches('0');
    if digits.is_empty() {
        return ("0".to_owned(), 0);
    }
    let first = integral.len() as i32 - 1 - leading as i32 + exponent;
    (digits.to_owned(), first)
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

    #[test]
    fn strings_as_python_writes_them() {
        let mut out = String::new();
        write_string(&mut out, "ñ \"q\" \\ \u{1}\u{7f} 😀\n");
        assert_eq!(out, r#""\u00f1 \"q\" \\ \u0001\u007f \ud83d\ude00\n""#);
        assert_eq!(
            match parse(&out, 8).unwrap() {
                Json::Str(s) => s,
                other => panic!("{other:?}"),
            },
            "ñ \"q\" \\ \u{1}\u{7f} 😀\n"
        );
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
            assert!(parse(bad, 8).is_err(), "{bad:?}");
        }
        assert!(parse(&"[".repeat(10), 8)
            .unwrap_err()
            .contains("deeper than 8"));
    }
}
