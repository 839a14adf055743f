//! The writer: protocol 4, which every CPython from 3.4 reads, opcode for opcode as Python's
//! own pickler would write these values (without frames, which readers do not need, and
//! memoizing only the globals it names).

use kimera_core::{Limit, Limits};

use crate::error::{at_path, Result};
use crate::op;
use crate::value::{check_keys, DateTime, Time, TimeDelta, TimeZone, Value};

/// Items per APPENDS, SETITEMS or ADDITEMS, as Python batches them.
const BATCH: usize = 1000;

pub(crate) fn write(value: &Value, limits: &Limits) -> Result<Vec<u8>> {
    let mut writer = Writer {
        out: vec![op::PROTO, 4],
        globals: Vec::new(),
        limits,
    };
    writer.value(value, &mut String::from("$"), limits.max_depth)?;
    writer.out.push(op::STOP);
    if writer.out.len() as u64 > limits.max_size {
        return Err(Limit::Size.exceeded(limits.max_size).into());
    }
    Ok(writer.out)
}

struct Writer<'l> {
    out: Vec<u8>,
    /// The globals written so far and their memo indexes (the only memo entries).
    globals: Vec<(&'static str, &'static str)>,
    limits: &'l Limits,
}

impl Writer<'_> {
    fn value(&mut self, value: &Value, path: &mut String, depth_left: u32) -> Result<()> {
        if depth_left == 0 {
            return Err(Limit::Depth.exceeded(self.limits.max_depth.into()).into());
        }
        let depth = depth_left - 1;
        match value {
            Value::None => self.out.push(op::NONE),
            Value::Bool(true) => self.out.push(op::NEWTRUE),
            Value::Bool(false) => self.out.push(op::NEWFALSE),
            Value::Int(n) => self.int(*n),
            Value::Float(f) => {
                self.out.push(op::BINFLOAT);
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            Value::Str(text) => self.sized(
                text.as_bytes(),
                [op::SHORT_BINUNICODE, op::BINUNICODE, op::BINUNICODE8],
            ),
            Value::Bytes(bytes) => {
                self.sized(bytes, [op::SHORT_BINBYTES, op::BINBYTES, op::BINBYTES8]);
            }
            Value::ByteArray(bytes) => {
                self.global("builtins", "bytearray");
                self.sized(bytes, [op::SHORT_BINBYTES, op::BINBYTES, op::BINBYTES8]);
                self.out.extend_from_slice(&[op::TUPLE1, op::REDUCE]);
            }
            Value::List(items) => {
                self.out.push(op::EMPTY_LIST);
                self.batches(items, op::APPEND, op::APPENDS, path, depth)?;
            }
            Value::Tuple(items) => match items.len() {
                0 => self.out.push(op::EMPTY_TUPLE),
                1..=3 => {
                    self.items(items, path, depth)?;
                    self.out.push(op::TUPLE1 + items.len() as u8 - 1);
                }
                _ => {
                    self.out.push(op::MARK);
                    self.items(items, path, depth)?;
                    self.out.push(op::TUPLE);
                }
            },
            Value::Dict(entries) => {
                check_keys(entries.iter().map(|(k, _)| k), "dict", |m| at_path(path, m))?;
                self.out.push(op::EMPTY_DICT);
                for batch in entries.chunks(BATCH) {
                    if batch.len() > 1 {
                        self.out.push(op::MARK);
                    }
                    for (key, item) in batch {
                        self.value(key, path, depth)?;
                        crate::at(path, format_args!("{}", crate::segment(key)), |path| {
                            self.value(item, path, depth)
                        })?;
                    }
                    self.out.push(if batch.len() > 1 {
                        op::SETITEMS
                    } else {
                        op::SETITEM
                    });
                }
            }
            Value::Set(members) => {
                check_keys(members.iter(), "set", |m| at_path(path, m))?;
                self.out.push(op::EMPTY_SET);
                for batch in members.chunks(BATCH) {
                    self.out.push(op::MARK);
                    self.items(batch, path, depth)?;
                    self.out.push(op::ADDITEMS);
                }
            }
            Value::FrozenSet(members) => {
                check_keys(members.iter(), "frozenset", |m| at_path(path, m))?;
                self.out.push(op::MARK);
                self.items(members, path, depth)?;
                self.out.push(op::FROZENSET);
            }
            Value::Date(date) => {
                let state = date_state(date, path)?;
                self.global("datetime", "date");
                self.state(&state);
                self.out.extend_from_slice(&[op::TUPLE1, op::REDUCE]);
            }
            Value::Time(Time { time, tz }) => {
                let state = time_state(time, path)?;
                self.global("datetime", "time");
                self.state(&state);
                self.tz_and_reduce(tz.as_ref());
            }
            Value::DateTime(DateTime { at, tz }) => {
                let (date, time) = (date_state(&at.date(), path)?, time_state(&at.time(), path)?);
                self.global("datetime", "datetime");
                self.state(&[date.as_slice(), time.as_slice()].concat());
                self.tz_and_reduce(tz.as_ref());
            }
            Value::TimeDelta(delta) => self.timedelta(*delta),
            Value::Decimal(decimal) => {
                self.global("decimal", "Decimal");
                self.sized(
                    decimal.as_str().as_bytes(),
                    [op::SHORT_BINUNICODE, op::BINUNICODE, op::BINUNICODE8],
                );
                self.out.extend_from_slice(&[op::TUPLE1, op::REDUCE]);
            }
        }
        Ok(())
    }

    fn items(&mut self, items: &[Value], path: &mut String, depth: u32) -> Result<()> {
        for (i, item) in items.iter().enumerate() {
            crate::at(path, format_args!("[{i}]"), |path| {
                self.value(item, path, depth)
            })?;
        }
        Ok(())
    }

    fn batches(
        &mut self,
        items: &[Value],
        one: u8,
        many: u8,
        path: &mut String,
        depth: u32,
    ) -> Result<()> {
        for (n, batch) in items.chunks(BATCH).enumerate() {
            if batch.len() > 1 {
                self.out.push(op::MARK);
            }
            for (i, item) in batch.iter().enumerate() {
                crate::at(path, format_args!("[{}]", n * BATCH + i), |path| {
                    self.value(item, path, depth)
                })?;
            }
            self.out.push(if batch.len() > 1 { many } else { one });
        }
        Ok(())
    }

    fn int(&mut self, n: i128) {
        if let Ok(small) = u8::try_from(n) {
            self.out.extend_from_slice(&[op::BININT1, small]);
        } else if let Ok(small) = u16::try_from(n) {
            self.out.push(op::BININT2);
            self.out.extend_from_slice(&small.to_le_bytes());
        } else if let Ok(word) = i32::try_from(n) {
            self.out.push(op::BININT);
            self.out.extend_from_slice(&word.to_le_bytes());
        } else {
            // The fewest little-endian two's complement bytes, as Python's encode_long.
            let bytes = n.to_le_bytes();
            let mut len = 16;
            while len > 1 {
                let (top, next) = (bytes[len - 1], bytes[len - 2]);
                let redundant =
                    (top == 0x00 && next & 0x80 == 0) || (top == 0xff && next & 0x80 != 0);
                if !redundant {
                    break;
                }
                len -= 1;
            }
            self.out.extend_from_slice(&[op::LONG1, len as u8]);
            self.out.extend_from_slice(&bytes[..len]);
        }
    }

    fn sized(&mut self, bytes: &[u8], [short, long, huge]: [u8; 3]) {
        if let Ok(len) = u8::try_from(bytes.len()) {
            self.out.extend_from_slice(&[short, len]);
        } else if let Ok(len) = u32::try_from(bytes.len()) {
            self.out.push(long);
            self.out.extend_from_slice(&len.to_le_bytes());
        } else {
            self.out.push(huge);
            self.out
                .extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        }
        self.out.extend_from_slice(bytes);
    }

    fn state(&mut self, bytes: &[u8]) {
        self.sized(bytes, [op::SHORT_BINBYTES, op::BINBYTES, op::BINBYTES8]);
    }

    /// Pushes the global `module.name`: named once, then fetched from the memo.
    fn global(&mut self, module: &'static str, name: &'static str) {
        if let Some(index) = self.globals.iter().position(|&g| g == (module, name)) {
            match u8::try_from(index) {
                Ok(index) => self.out.extend_from_slice(&[op::BINGET, index]),
                Err(_) => {
                    self.out.push(op::LONG_BINGET);
                    self.out.extend_from_slice(&(index as u32).to_le_bytes());
                }
            }
            return;
        }
        for text in [module, name] {
            self.sized(
                text.as_bytes(),
                [op::SHORT_BINUNICODE, op::BINUNICODE, op::BINUNICODE8],
            );
        }
        self.out.extend_from_slice(&[op::STACK_GLOBAL, op::MEMOIZE]);
        self.globals.push((module, name));
    }

    fn tz_and_reduce(&mut self, tz: Option<&TimeZone>) {
        match tz {
            None => self.out.push(op::TUPLE1),
            Some(tz) => {
                self.global("datetime", "timezone");
                let offset = i128::from(tz.offset.local_minus_utc()) * 1_000_000;
                self.timedelta(
                    TimeDelta::from_microseconds(offset).expect("an offset within a day"),
                );
                match &tz.name {
                    None => self.out.push(op::TUPLE1),
                    Some(name) => {
                        self.sized(
                            name.as_bytes(),
                            [op::SHORT_BINUNICODE, op::BINUNICODE, op::BINUNICODE8],
                        );
                        self.out.push(op::TUPLE2);
                    }
                }
                self.out.extend_from_slice(&[op::REDUCE, op::TUPLE2]);
            }
        }
        self.out.push(op::REDUCE);
    }

    fn timedelta(&mut self, delta: TimeDelta) {
        self.global("datetime", "timedelta");
        self.int(delta.days().into());
        self.int(delta.seconds().into());
        self.int(delta.microseconds().into());
        self.out.extend_from_slice(&[op::TUPLE3, op::REDUCE]);
    }
}

/// A date's state bytes as `datetime.date` pickles them: the year (two bytes, big-endian),
/// month, day. Python's years are 1 to 9999.
fn date_state(date: &chrono::NaiveDate, path: &str) -> Result<[u8; 4]> {
    use chrono::Datelike as _;
    let year = date.year();
    if !(1..=9999).contains(&year) {
        return Err(at_path(
            path,
            format!("the year {year} is outside Python's years 1 to 9999"),
        ));
    }
    let [y1, y2] = (year as u16).to_be_bytes();
    Ok([y1, y2, date.month() as u8, date.day() as u8])
}

/// A time's state bytes as `datetime.time` pickles them: hour, minute, second, microseconds
/// (three bytes, big-endian).
fn time_state(time: &chrono::NaiveTime, path: &str) -> Result<[u8; 6]> {
    use chrono::Timelike as _;
    let [m1, m2, m3] = micros(time.nanosecond(), path)?;
    Ok([
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
        m1,
        m2,
        m3,
    ])
}

/// Microseconds as three state bytes: Python's times have no finer fraction and no leap
/// second, so either is refused rather than rounded.
fn micros(nanos: u32, path: &str) -> Result<[u8; 3]> {
    if nanos >= 1_000_000_000 {
        return Err(at_path(
            path,
            "a leap second, which Python's datetime cannot hold",
        ));
    }
    if nanos % 1000 != 0 {
        return Err(at_path(
            path,
            format!("a time with {nanos} nanoseconds: Python's datetime holds microseconds, and it is refused rather than rounded"),
        ));
    }
    let [_, a, b, c] = (nanos / 1000).to_be_bytes();
    Ok([a, b, c])
}
