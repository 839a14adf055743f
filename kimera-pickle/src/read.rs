//! The reader: a stack machine over the pickle's opcodes that builds a graph of objects (so
//! that the memo's shared references see a list filled after it was remembered, as Python's
//! do), then the value tree from that graph, within a budget.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDate, NaiveTime};
use kimera_core::{Limit, Limits};

use crate::error::{at_offset, Result};
use crate::op;
use crate::value::{check_keys, DateTime, Decimal, Time, TimeDelta, TimeZone, Value};

/// The highest protocol CPython writes (3.8 and later).
pub(crate) const HIGHEST_PROTOCOL: u8 = 5;

/// Reads one pickle, which must be all of `input`.
pub(crate) fn read(input: &[u8], limits: &Limits) -> Result<Value> {
    if input.len() as u64 > limits.max_size {
        return Err(Limit::Size.exceeded(limits.max_size).into());
    }
    let mut machine = Machine {
        input,
        pos: 0,
        // The three constants are shared by every occurrence.
        nodes: vec![
            Node::Leaf(Value::None),
            Node::Leaf(Value::Bool(true)),
            Node::Leaf(Value::Bool(false)),
        ],
        offsets: vec![0, 0, 0],
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    let root = machine.run()?;
    let mut expander = Expander {
        nodes: &machine.nodes,
        offsets: &machine.offsets,
        on_path: vec![false; machine.nodes.len()],
        values_left: input.len() as u64 + limits.zero_size_allowance,
        bytes_left: limits.max_size,
        limits,
    };
    expander.expand(root, limits.max_depth)
}

const NONE: usize = 0;
const TRUE: usize = 1;
const FALSE: usize = 2;

/// An object the pickle built. Containers hold the ids of their items, so that a list
/// remembered in the memo and filled later is the same list wherever it is referenced.
enum Node {
    Leaf(Value),
    List(Vec<usize>),
    Tuple(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    Set(Vec<usize>),
    FrozenSet(Vec<usize>),
    ByteArray(Vec<u8>),
    TimeZone(TimeZone),
    Global(Global),
}

/// The only globals a pickle may name: the constructors of the families read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Global {
    Set,
    FrozenSet,
    ByteArray,
    Bytes,
    Encode,
    Date,
    Time,
    DateTime,
    TimeDelta,
    TimeZone,
    Decimal,
}

impl Global {
    /// The global `module.name`, if it is one of those read. Python 3 writes `builtins` as
    /// `__builtin__` in protocols 0 to 2, for Python 2's sake.
    fn named(module: &str, name: &str) -> Option<Global> {
        Some(match (module, name) {
            ("builtins" | "__builtin__", "set") => Global::Set,
            ("builtins" | "__builtin__", "frozenset") => Global::FrozenSet,
            ("builtins" | "__builtin__", "bytearray") => Global::ByteArray,
            ("builtins" | "__builtin__", "bytes") => Global::Bytes,
            ("_codecs", "encode") => Global::Encode,
            ("datetime", "date") => Global::Date,
            ("datetime", "time") => Global::Time,
            ("datetime", "datetime") => Global::DateTime,
            ("datetime", "timedelta") => Global::TimeDelta,
            ("datetime", "timezone") => Global::TimeZone,
            ("decimal", "Decimal") => Global::Decimal,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Global::Set => "builtins.set",
            Global::FrozenSet => "builtins.frozenset",
            Global::ByteArray => "builtins.bytearray",
            Global::Bytes => "builtins.bytes",
            Global::Encode => "_codecs.encode",
            Global::Date => "datetime.date",
            Global::Time => "datetime.time",
            Global::DateTime => "datetime.datetime",
            Global::TimeDelta => "datetime.timedelta",
            Global::TimeZone => "datetime.timezone",
            Global::Decimal => "decimal.Decimal",
        }
    }
}

/// What the refusal of another global says.
const ONLY: &str = "this reader builds only None, bool, int, float, str, bytes, bytearray, \
list, tuple, dict, set, frozenset, datetime.date, time, datetime, timedelta, timezone and \
decimal.Decimal, and never another class or function (Python's pickle.loads would import and \
call it)";

struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    /// Where each node was built, for errors found when the tree is made.
    offsets: Vec<usize>,
    stack: Vec<usize>,
    marks: Vec<usize>,
    memo: HashMap<u32, usize>,
}

impl Machine<'_> {
    fn run(&mut self) -> Result<usize> {
        loop {
            let start = self.pos;
            let Some(&code) = self.input.get(self.pos) else {
                return Err(at_offset(
                    start,
                    if start == 0 {
                        "the input is empty, not a pickle".to_owned()
                    } else {
                        "the pickle ends before its STOP opcode (truncated?)".to_owned()
                    },
                ));
            };
            self.pos += 1;
            if code == op::STOP {
                return self.stop(start);
            }
            self.step(code, start)?;
        }
    }

    fn stop(&mut self, start: usize) -> Result<usize> {
        let root = self.pop(start, "STOP")?;
        if !self.stack.is_empty() || !self.marks.is_empty() {
            return Err(at_offset(
                start,
                format!(
                    "the pickle stops with {} more values and {} marks left on its stack, which \
                     Python's pickler never leaves",
                    self.stack.len(),
                    self.marks.len()
                ),
            ));
        }
        if self.pos != self.input.len() {
            return Err(at_offset(
                self.pos,
                format!(
                    "{} bytes follow the pickle's STOP opcode (one value per input: several \
                     pickles written one after another are read one at a time)",
                    self.input.len() - self.pos
                ),
            ));
        }
        Ok(root)
    }

    fn step(&mut self, code: u8, start: usize) -> Result<()> {
        match code {
            op::PROTO => {
                let protocol = self.take(1, start, "PROTO")?[0];
                if protocol > HIGHEST_PROTOCOL {
                    return Err(at_offset(
                        start,
                        format!("pickle protocol {protocol} is newer than 5, the highest this reader knows"),
                    ));
                }
            }
            op::FRAME => {
                let len = self.u64(start, "FRAME")?;
                if len > (self.input.len() - self.pos) as u64 {
                    return Err(at_offset(
                        start,
                        format!(
                            "a frame of {len} bytes, and the pickle holds {} after it (truncated?)",
                            self.input.len() - self.pos
                        ),
                    ));
                }
            }
            op::NONE => self.stack.push(NONE),
            op::NEWTRUE => self.stack.push(TRUE),
            op::NEWFALSE => self.stack.push(FALSE),
            op::INT => {
                let line = self.line(start, "INT")?;
                match line {
                    b"00" => self.stack.push(FALSE),
                    b"01" => self.stack.push(TRUE),
                    digits => {
                        let n = decimal_int(digits).ok_or_else(|| bad_int(start, digits))?;
                        self.leaf(Value::Int(n), start);
                    }
                }
            }
            op::LONG => {
                let line = self.line(start, "LONG")?;
                let digits = line.strip_suffix(b"L").unwrap_or(line);
                let n = decimal_int(digits).ok_or_else(|| bad_int(start, digits))?;
                self.leaf(Value::Int(n), start);
            }
            op::BININT => {
                let b = self.take(4, start, "BININT")?;
                let n = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                self.leaf(Value::Int(n.into()), start);
            }
            op::BININT1 => {
                let n = self.take(1, start, "BININT1")?[0];
                self.leaf(Value::Int(n.into()), start);
            }
            op::BININT2 => {
                let b = self.take(2, start, "BININT2")?;
                let n = u16::from_le_bytes([b[0], b[1]]);
                self.leaf(Value::Int(n.into()), start);
            }
            op::LONG1 => {
                let len = self.take(1, start, "LONG1")?[0];
                let bytes = self.take(len.into(), start, "LONG1")?;
                let n = le_int(bytes).ok_or_else(|| big_int(start, bytes.len()))?;
                self.leaf(Value::Int(n), start);
            }
            op::LONG4 => {
                let len = self.u32(start, "LONG4")?;
                let bytes = self.take(len as usize, start, "LONG4")?;
                let n = le_int(bytes).ok_or_else(|| big_int(start, bytes.len()))?;
                self.leaf(Value::Int(n), start);
            }
            op::FLOAT => {
                let line = self.line(start, "FLOAT")?;
                let f = std::str::from_utf8(line)
                    .ok()
                    .and_then(|text| text.parse::<f64>().ok())
                    .ok_or_else(|| {
                        at_offset(start, format!("FLOAT holds {:?}, not a float", lossy(line)))
                    })?;
                self.leaf(Value::Float(f), start);
            }
            op::BINFLOAT => {
                let b = self.take(8, start, "BINFLOAT")?;
                let f = f64::from_be_bytes(b.try_into().expect("eight bytes"));
                self.leaf(Value::Float(f), start);
            }
            op::UNICODE => {
                let line = self.line(start, "UNICODE")?;
                let text = raw_unicode_escape(line).map_err(|e| at_offset(start, e))?;
                self.leaf(Value::Str(text), start);
            }
            op::SHORT_BINUNICODE | op::BINUNICODE | op::BINUNICODE8 => {
                let len = self.len_prefix(code, start)?;
                let bytes = self.take(len, start, "a str")?;
                let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
                    at_offset(
                        start,
                        format!(
                            "a str that is not UTF-8 (byte {} of it; Python writes a lone \
                             surrogate this way, which Rust text cannot hold)",
                            e.utf8_error().valid_up_to()
                        ),
                    )
                })?;
                self.leaf(Value::Str(text), start);
            }
            op::SHORT_BINBYTES | op::BINBYTES | op::BINBYTES8 => {
                let len = self.len_prefix(code, start)?;
                let bytes = self.take(len, start, "a bytes")?.to_vec();
                self.leaf(Value::Bytes(bytes), start);
            }
            op::BYTEARRAY8 => {
                let len = self.len_prefix(code, start)?;
                let bytes = self.take(len, start, "a bytearray")?.to_vec();
                self.node(Node::ByteArray(bytes), start);
            }
            op::STRING | op::BINSTRING | op::SHORT_BINSTRING => {
                return Err(at_offset(
                    start,
                    "a Python 2 8-bit string (STRING/BINSTRING), which Python 3 never writes: \
                     load it with Python 3 and pickle it again",
                ))
            }
            op::EMPTY_LIST => self.node(Node::List(Vec::new()), start),
            op::EMPTY_TUPLE => self.node(Node::Tuple(Vec::new()), start),
            op::EMPTY_DICT => self.node(Node::Dict(Vec::new()), start),
            op::EMPTY_SET => self.node(Node::Set(Vec::new()), start),
            op::LIST => {
                let items = self.pop_mark(start, "LIST")?;
                self.node(Node::List(items), start);
            }
            op::TUPLE => {
                let items = self.pop_mark(start, "TUPLE")?;
                self.node(Node::Tuple(items), start);
            }
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = usize::from(code - op::TUPLE1 + 1);
                if self.stack.len() < n {
                    return Err(self.underflow(start, "TUPLE1/2/3"));
                }
                let items = self.stack.split_off(self.stack.len() - n);
                self.check_marks(start, "TUPLE1/2/3")?;
                self.node(Node::Tuple(items), start);
            }
            op::DICT => {
                let items = self.pop_mark(start, "DICT")?;
                let pairs = pairs(&items, start, "DICT")?;
                self.node(Node::Dict(pairs), start);
            }
            op::FROZENSET => {
                let items = self.pop_mark(start, "FROZENSET")?;
                self.node(Node::FrozenSet(items), start);
            }
            op::APPEND => {
                let item = self.pop(start, "APPEND")?;
                self.top_mut(start, "APPEND", |node| match node {
                    Node::List(items) => {
                        items.push(item);
                        true
                    }
                    _ => false,
                })?;
            }
            op::APPENDS => {
                let items = self.pop_mark(start, "APPENDS")?;
                self.top_mut(start, "APPENDS", |node| match node {
                    Node::List(list) => {
                        list.extend(items);
                        true
                    }
                    _ => false,
                })?;
            }
            op::SETITEM => {
                let value = self.pop(start, "SETITEM")?;
                let key = self.pop(start, "SETITEM")?;
                self.top_mut(start, "SETITEM", |node| match node {
                    Node::Dict(entries) => {
                        entries.push((key, value));
                        true
                    }
                    _ => false,
                })?;
            }
            op::SETITEMS => {
                let items = self.pop_mark(start, "SETITEMS")?;
                let pairs = pairs(&items, start, "SETITEMS")?;
                self.top_mut(start, "SETITEMS", |node| match node {
                    Node::Dict(entries) => {
                        entries.extend(pairs);
                        true
                    }
                    _ => false,
                })?;
            }
            op::ADDITEMS => {
                let items = self.pop_mark(start, "ADDITEMS")?;
                self.top_mut(start, "ADDITEMS", |node| match node {
                    Node::Set(members) => {
                        members.extend(items);
                        true
                    }
                    _ => false,
                })?;
            }
            op::MARK => self.marks.push(self.stack.len()),
            op::POP => {
                if self.marks.last() == Some(&self.stack.len()) {
                    // Python's POP discards a mark when it is on top.
                    self.marks.pop();
                } else {
                    self.pop(start, "POP")?;
                }
            }
            op::POP_MARK => {
                self.pop_mark(start, "POP_MARK")?;
            }
            op::DUP => {
                let top = *self
                    .stack
                    .last()
                    .ok_or_else(|| self.underflow(start, "DUP"))?;
                self.stack.push(top);
            }
            op::PUT => {
                let line = self.line(start, "PUT")?;
                let index = memo_index(line).ok_or_else(|| bad_index(start, "PUT", line))?;
                self.remember(index, start, "PUT")?;
            }
            op::BINPUT => {
                let index = self.take(1, start, "BINPUT")?[0];
                self.remember(index.into(), start, "BINPUT")?;
            }
            op::LONG_BINPUT => {
                let index = self.u32(start, "LONG_BINPUT")?;
                self.remember(index, start, "LONG_BINPUT")?;
            }
            op::MEMOIZE => {
                let index = u32::try_from(self.memo.len()).expect("one memo entry per input byte");
                self.remember(index, start, "MEMOIZE")?;
            }
            op::GET => {
                let line = self.line(start, "GET")?;
                let index = memo_index(line).ok_or_else(|| bad_index(start, "GET", line))?;
                self.recall(index, start)?;
            }
            op::BINGET => {
                let index = self.take(1, start, "BINGET")?[0];
                self.recall(index.into(), start)?;
            }
            op::LONG_BINGET => {
                let index = self.u32(start, "LONG_BINGET")?;
                self.recall(index, start)?;
            }
            op::GLOBAL => {
                let module = self.line(start, "GLOBAL")?;
                let module = String::from_utf8_lossy(module).into_owned();
                let name = self.line(start, "GLOBAL")?;
                let name = String::from_utf8_lossy(name).into_owned();
                self.global(&module, &name, start)?;
            }
            op::STACK_GLOBAL => {
                let name = self.pop(start, "STACK_GLOBAL")?;
                let module = self.pop(start, "STACK_GLOBAL")?;
                match (&self.nodes[module], &self.nodes[name]) {
                    (Node::Leaf(Value::Str(module)), Node::Leaf(Value::Str(name))) => {
                        let (module, name) = (module.clone(), name.clone());
                        self.global(&module, &name, start)?;
                    }
                    _ => {
                        return Err(at_offset(
                            start,
                            "STACK_GLOBAL needs a module name and a qualified name, both str",
                        ))
                    }
                }
            }
            op::REDUCE => {
                let args = self.pop(start, "REDUCE")?;
                let callable = self.pop(start, "REDUCE")?;
                let Node::Global(global) = self.nodes[callable] else {
                    return Err(at_offset(
                        start,
                        "REDUCE calls something that is not a global; only the constructors \
                         of the families read may be called",
                    ));
                };
                let Node::Tuple(args) = &self.nodes[args] else {
                    return Err(at_offset(
                        start,
                        format!(
                            "REDUCE calls {} with arguments that are not a tuple",
                            global.name()
                        ),
                    ));
                };
                let node = self.reduce(global, &args.clone(), start)?;
                self.node(node, start);
            }
            op::INST => {
                let module = String::from_utf8_lossy(self.line(start, "INST")?).into_owned();
                let name = String::from_utf8_lossy(self.line(start, "INST")?).into_owned();
                return Err(refused(start, &module, &name));
            }
            op::OBJ | op::NEWOBJ | op::NEWOBJ_EX | op::BUILD => {
                let which = match code {
                    op::OBJ => "OBJ",
                    op::NEWOBJ => "NEWOBJ",
                    op::NEWOBJ_EX => "NEWOBJ_EX",
                    _ => "BUILD",
                };
                return Err(at_offset(
                    start,
                    format!(
                        "{which} builds an object of a class or sets its state, which the families \
                         read never need: {ONLY}"
                    ),
                ));
            }
            op::PERSID | op::BINPERSID => {
                return Err(at_offset(
                    start,
                    "a persistent id: the pickle refers to an object kept outside it, which \
                     only the program that wrote it can find",
                ))
            }
            op::EXT1 | op::EXT2 | op::EXT4 => {
                return Err(at_offset(
                    start,
                    format!(
                    "an extension code, which names a global through copyreg's registry: {ONLY}"
                ),
                ))
            }
            op::NEXT_BUFFER | op::READONLY_BUFFER => {
                return Err(at_offset(
                    start,
                    "an out-of-band buffer (protocol 5's buffer_callback), whose bytes are not in \
                     the pickle",
                ))
            }
            other => {
                return Err(at_offset(
                    start,
                    format!("0x{other:02x} is not a pickle opcode (damaged or not a pickle?)"),
                ))
            }
        }
        Ok(())
    }

    fn global(&mut self, module: &str, name: &str, start: usize) -> Result<()> {
        match Global::named(module, name) {
            Some(global) => {
                self.node(Node::Global(global), start);
                Ok(())
            }
            None => Err(refused(start, module, name)),
        }
    }

    /// A call of one of the allowed constructors, with the arguments Python's own pickles give.
    fn reduce(&self, global: Global, args: &[usize], start: usize) -> Result<Node> {
        let arity = || {
            at_offset(
                start,
                format!(
                    "{} called with {} arguments, not as Python pickles it",
                    global.name(),
                    args.len()
                ),
            )
        };
        let leaf = |i: usize| match args.get(i).map(|&id| &self.nodes[id]) {
            Some(Node::Leaf(value)) => Some(value),
            _ => None,
        };
        let wrong = |what: &str| {
            at_offset(
                start,
                format!(
                    "{} called with an argument that is not {what}",
                    global.name()
                ),
            )
        };
        Ok(match global {
            Global::Set | Global::FrozenSet => {
                let members = match args {
                    [] => Vec::new(),
                    [items] => match &self.nodes[*items] {
                        Node::List(items)
                        | Node::Tuple(items)
                        | Node::Set(items)
                        | Node::FrozenSet(items) => items.clone(),
                        _ => return Err(wrong("a list of members")),
                    },
                    _ => return Err(arity()),
                };
                if global == Global::Set {
                    Node::Set(members)
                } else {
                    Node::FrozenSet(members)
                }
            }
            Global::ByteArray => Node::ByteArray(match args.len() {
                0 => Vec::new(),
                1 => match leaf(0) {
                    Some(Value::Bytes(bytes)) => bytes.clone(),
                    _ => return Err(wrong("bytes")),
                },
                2 => latin1(leaf(0), leaf(1)).ok_or_else(|| wrong("latin-1 text"))?,
                _ => return Err(arity()),
            }),
            Global::Bytes => match args.len() {
                0 => Node::Leaf(Value::Bytes(Vec::new())),
                _ => return Err(arity()),
            },
            Global::Encode => match args.len() {
                2 => Node::Leaf(Value::Bytes(
                    latin1(leaf(0), leaf(1)).ok_or_else(|| wrong("latin-1 text"))?,
                )),
                _ => return Err(arity()),
            },
            Global::Date => {
                let [y1, y2, month, day] = state::<4>(leaf(0), args.len(), 1)
                    .ok_or_else(|| wrong("the 4-byte state of a date"))?;
                Node::Leaf(Value::Date(
                    date(y1, y2, month, day).ok_or_else(|| bad_state(start, global))?,
                ))
            }
            Global::Time => {
                let state = state::<6>(leaf(0), args.len(), 2)
                    .ok_or_else(|| wrong("the 6-byte state of a time"))?;
                let [hour, minute, second, u1, u2, u3] = state;
                let hour = unfold(hour, start)?;
                let time = time(hour, minute, second, [u1, u2, u3])
                    .ok_or_else(|| bad_state(start, global))?;
                Node::Leaf(Value::Time(Time {
                    time,
                    tz: self.tz(args.get(1), start, global)?,
                }))
            }
            Global::DateTime => {
                let state = state::<10>(leaf(0), args.len(), 2)
                    .ok_or_else(|| wrong("the 10-byte state of a datetime"))?;
                let [y1, y2, month, day, hour, minute, second, u1, u2, u3] = state;
                let month = unfold(month, start)?;
                let date = date(y1, y2, month, day).ok_or_else(|| bad_state(start, global))?;
                let time = time(hour, minute, second, [u1, u2, u3])
                    .ok_or_else(|| bad_state(start, global))?;
                Node::Leaf(Value::DateTime(DateTime {
                    at: date.and_time(time),
                    tz: self.tz(args.get(1), start, global)?,
                }))
            }
            Global::TimeDelta => {
                let part = |i: usize| match leaf(i) {
                    Some(Value::Int(n)) => Some(*n),
                    Some(Value::Bool(b)) => Some(i128::from(*b)),
                    None if i >= args.len() => Some(0),
                    _ => None,
                };
                if args.len() > 3 {
                    return Err(arity());
                }
                let total = match (part(0), part(1), part(2)) {
                    (Some(days), Some(seconds), Some(micros)) => days
                        .checked_mul(86_400_000_000)
                        .and_then(|d| d.checked_add(seconds.checked_mul(1_000_000)?))
                        .and_then(|d| d.checked_add(micros)),
                    _ => return Err(wrong("an int")),
                };
                Node::Leaf(Value::TimeDelta(
                    total
                        .and_then(TimeDelta::from_microseconds)
                        .ok_or_else(|| {
                            at_offset(
                                start,
                                "a timedelta beyond 999999999 days, which Python refuses",
                            )
                        })?,
                ))
            }
            Global::TimeZone => {
                let offset = match leaf(0) {
                    Some(Value::TimeDelta(delta)) => *delta,
                    _ => return Err(wrong("a timedelta")),
                };
                let name = match (args.len(), leaf(1)) {
                    (1, _) => None,
                    (2, Some(Value::Str(name))) => Some(name.clone()),
                    (2, _) => return Err(wrong("a str")),
                    _ => return Err(arity()),
                };
                Node::TimeZone(TimeZone {
                    offset: offset_of(offset).map_err(|e| at_offset(start, e))?,
                    name,
                })
            }
            Global::Decimal => match (args.len(), leaf(0)) {
                (1, Some(Value::Str(text))) => {
                    Node::Leaf(Value::Decimal(Decimal::new(text.clone()).ok_or_else(
                        || at_offset(start, format!("{text:?} is not a decimal number")),
                    )?))
                }
                (1, _) => return Err(wrong("a str")),
                _ => return Err(arity()),
            },
        })
    }

    /// The time zone argument of a time or datetime, if it has one.
    fn tz(&self, arg: Option<&usize>, start: usize, global: Global) -> Result<Option<TimeZone>> {
        match arg.map(|&id| &self.nodes[id]) {
            None | Some(Node::Leaf(Value::None)) => Ok(None),
            Some(Node::TimeZone(tz)) => Ok(Some(tz.clone())),
            Some(_) => Err(at_offset(
                start,
                format!(
                    "{} with a tzinfo that is not a datetime.timezone (only fixed offsets are read)",
                    global.name()
                ),
            )),
        }
    }

    fn node(&mut self, node: Node, start: usize) {
        self.nodes.push(node);
        self.offsets.push(start);
        self.stack.push(self.nodes.len() - 1);
    }

    fn leaf(&mut self, value: Value, start: usize) {
        self.node(Node::Leaf(value), start);
    }

    fn take(&mut self, len: usize, start: usize, what: &str) -> Result<&[u8]> {
        let left = self.input.len() - self.pos;
        if len > left {
            return Err(at_offset(
                start,
                format!("{what} needs {len} bytes and the pickle holds {left} more (truncated?)"),
            ));
        }
        let bytes = &self.input[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    fn u32(&mut self, start: usize, what: &str) -> Result<u32> {
        let b = self.take(4, start, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("four bytes")))
    }

    fn u64(&mut self, start: usize, what: &str) -> Result<u64> {
        let b = self.take(8, start, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("eight bytes")))
    }

    fn len_prefix(&mut self, code: u8, start: usize) -> Result<usize> {
        let len = match code {
            op::SHORT_BINUNICODE | op::SHORT_BINBYTES => {
                u64::from(self.take(1, start, "a length")?[0])
            }
            op::BINUNICODE | op::BINBYTES => u64::from(self.u32(start, "a length")?),
            _ => self.u64(start, "a length")?,
        };
        // Longer than what is left is refused by `take` before anything is allocated.
        Ok(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// A protocol 0 argument: the bytes up to the next newline.
    fn line(&mut self, start: usize, what: &str) -> Result<&[u8]> {
        let rest = &self.input[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return Err(at_offset(
                start,
                format!("{what}'s argument has no end of line (truncated?)"),
            ));
        };
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    fn underflow(&self, start: usize, what: &str) -> kimera_core::Error {
        at_offset(start, format!("{what} finds too few values on the stack"))
    }

    fn pop(&mut self, start: usize, what: &str) -> Result<usize> {
        if self.marks.last() == Some(&self.stack.len()) {
            return Err(at_offset(
                start,
                format!("{what} finds a mark where it needs a value"),
            ));
        }
        self.stack.pop().ok_or_else(|| self.underflow(start, what))
    }

    /// The values pushed since the last mark, and the mark gone.
    fn pop_mark(&mut self, start: usize, what: &str) -> Result<Vec<usize>> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| at_offset(start, format!("{what} needs a mark, and there is none")))?;
        Ok(self.stack.split_off(mark))
    }

    /// A mark above the stack's new top would be one Python's stack no longer has.
    fn check_marks(&self, start: usize, what: &str) -> Result<()> {
        match self.marks.last() {
            Some(&mark) if mark > self.stack.len() => Err(at_offset(
                start,
                format!("{what} takes values from below a mark"),
            )),
            _ => Ok(()),
        }
    }

    fn top_mut(
        &mut self,
        start: usize,
        what: &str,
        add: impl FnOnce(&mut Node) -> bool,
    ) -> Result<()> {
        let top = match (self.stack.last(), self.marks.last()) {
            (Some(_), Some(&mark)) if mark == self.stack.len() => None,
            (top, _) => top.copied(),
        };
        let Some(top) = top else {
            return Err(self.underflow(start, what));
        };
        if add(&mut self.nodes[top]) {
            Ok(())
        } else {
            Err(at_offset(
                start,
                format!("{what} adds to a value that is not the list, dict or set it needs"),
            ))
        }
    }

    fn remember(&mut self, index: u32, start: usize, what: &str) -> Result<()> {
        let top = match self.marks.last() {
            Some(&mark) if mark == self.stack.len() => None,
            _ => self.stack.last().copied(),
        };
        let top = top.ok_or_else(|| self.underflow(start, what))?;
        self.memo.insert(index, top);
        Ok(())
    }

    fn recall(&mut self, index: u32, start: usize) -> Result<()> {
        let id = *self.memo.get(&index).ok_or_else(|| {
            at_offset(
                start,
                format!("memo entry {index} is read before it is written"),
            )
        })?;
        self.stack.push(id);
        Ok(())
    }
}

fn refused(start: usize, module: &str, name: &str) -> kimera_core::Error {
    at_offset(
        start,
        format!("the pickle names the global `{module}.{name}`, which is refused: {ONLY}"),
    )
}

fn pairs(items: &[usize], start: usize, what: &str) -> Result<Vec<(usize, usize)>> {
    if items.len() % 2 != 0 {
        return Err(at_offset(
            start,
            format!("{what} has {} values, not key and value pairs", items.len()),
        ));
    }
    Ok(items.chunks_exact(2).map(|kv| (kv[0], kv[1])).collect())
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned()
}

fn bad_int(start: usize, digits: &[u8]) -> kimera_core::Error {
    if !digits.is_empty()
        && digits
            .iter()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && (*b == b'-' || *b == b'+')))
    {
        return big_int(start, digits.len() * 10 / 24 + 1);
    }
    at_offset(start, format!("{:?} is not an integer", lossy(digits)))
}

fn big_int(start: usize, bytes: usize) -> kimera_core::Error {
    at_offset(
        start,
        format!(
            "an integer of about {} bits, beyond the 128-bit range this reader holds",
            bytes * 8
        ),
    )
}

fn bad_index(start: usize, what: &str, line: &[u8]) -> kimera_core::Error {
    at_offset(
        start,
        format!("{what} holds {:?}, not a memo index", lossy(line)),
    )
}

fn bad_state(start: usize, global: Global) -> kimera_core::Error {
    at_offset(
        start,
        format!("the state of a {} is out of range", global.name()),
    )
}

/// A decimal integer in protocol 0's text (`-12`, `+7`), if it fits in 128 bits.
fn decimal_int(digits: &[u8]) -> Option<i128> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A little-endian two's complement integer, if it fits in 128 bits.
fn le_int(bytes: &[u8]) -> Option<i128> {
    let Some(&last) = bytes.last() else {
        return Some(0);
    };
    let fill = if last & 0x80 != 0 { 0xff } else { 0x00 };
    let mut buf = [fill; 16];
    if bytes.len() > 16 {
        // Longer encodings fit only if the extra bytes repeat the sign.
        let (low, high) = bytes.split_at(16);
        if high.iter().any(|&b| b != fill) || (low[15] & 0x80 != 0) != (fill == 0xff) {
            return None;
        }
        buf.copy_from_slice(low);
    } else {
        buf[..bytes.len()].copy_from_slice(bytes);
    }
    Some(i128::from_le_bytes(buf))
}

fn memo_index(line: &[u8]) -> Option<u32> {
    std::str::from_utf8(line).ok()?.parse().ok()
}

/// `_codecs.encode(text, "latin1")`: Python 3's bytes in protocols 0 to 2.
fn latin1(text: Option<&Value>, encoding: Option<&Value>) -> Option<Vec<u8>> {
    match (text, encoding) {
        (Some(Value::Str(text)), Some(Value::Str(encoding)))
            if encoding == "latin1" || encoding == "latin-1" =>
        {
            text.chars().map(|c| u8::try_from(c).ok()).collect()
        }
        _ => None,
    }
}

/// The first argument as an `N`-byte state, if there are at most `max_args` arguments.
fn state<const N: usize>(state: Option<&Value>, args: usize, max_args: usize) -> Option<[u8; N]> {
    match state {
        Some(Value::Bytes(bytes)) if args <= max_args => bytes.as_slice().try_into().ok(),
        _ => None,
    }
}

/// A byte that carries `fold` in its high bit (protocol 4 and later), with fold 0 required.
fn unfold(byte: u8, start: usize) -> Result<u8> {
    if byte & 0x80 != 0 {
        return Err(at_offset(
            start,
            "a time with fold=1 (the second of a repeated wall-clock time), which the value \
             model does not hold; Python calls it equal to fold=0, so it is refused rather \
             than changed",
        ));
    }
    Ok(byte)
}

fn date(y1: u8, y2: u8, month: u8, day: u8) -> Option<NaiveDate> {
    let year = i32::from(y1) * 256 + i32::from(y2);
    if !(1..=9999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month.into(), day.into())
}

fn time(hour: u8, minute: u8, second: u8, micros: [u8; 3]) -> Option<NaiveTime> {
    let micros = u32::from_be_bytes([0, micros[0], micros[1], micros[2]]);
    if micros >= 1_000_000 || second >= 60 {
        return None;
    }
    NaiveTime::from_hms_micro_opt(hour.into(), minute.into(), second.into(), micros)
}

/// A `timezone`'s offset: strictly within a day, as Python requires, and whole seconds.
pub(crate) fn offset_of(delta: TimeDelta) -> std::result::Result<FixedOffset, String> {
    let micros = delta.total_microseconds();
    if micros % 1_000_000 != 0 {
        return Err(
            "a timezone offset with a fraction of a second, which chrono's fixed \
                    offsets cannot hold"
                .to_owned(),
        );
    }
    i32::try_from(micros / 1_000_000)
        .ok()
        .and_then(FixedOffset::east_opt)
        .ok_or_else(|| "a timezone offset of a day or more, which Python refuses".to_owned())
}

/// Protocol 0's text: raw-unicode-escape, latin-1 bytes with `\uXXXX` and `\UXXXXXXXX`
/// escapes where an odd run of backslashes precedes `u` or `U`.
fn raw_unicode_escape(bytes: &[u8]) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&c| c == b'\\').count();
        let after = bytes.get(i + run).copied();
        let digits = match after {
            Some(b'u') if run % 2 == 1 => 4,
            Some(b'U') if run % 2 == 1 => 8,
            _ => 0,
        };
        if digits == 0 {
            out.extend(std::iter::repeat_n('\\', run));
            i += run;
            continue;
        }
        out.extend(std::iter::repeat_n('\\', run - 1));
        let hex = bytes
            .get(i + run + 1..i + run + 1 + digits)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or("a \\u or \\U escape without its hex digits in UNICODE text")?;
        let c = char::from_u32(hex).ok_or_else(|| {
            format!("UNICODE text escapes U+{hex:04X}, a surrogate or beyond Unicode, which Rust text cannot hold")
        })?;
        out.push(c);
        i += run + 1 + digits;
    }
    Ok(out)
}

/// Makes the value tree from the graph, copying shared objects, refusing cycles, within
/// depth and a budget of values and bytes (a memo bomb shares one list many times over).
struct Expander<'n> {
    nodes: &'n [Node],
    offsets: &'n [usize],
    on_path: Vec<bool>,
    values_left: u64,
    bytes_left: u64,
    limits: &'n Limits,
}

impl Expander<'_> {
    fn expand(&mut self, id: usize, depth_left: u32) -> Result<Value> {
        let start = self.offsets[id];
        self.values_left = self.values_left.checked_sub(1).ok_or_else(|| {
            at_offset(
                start,
                "shared references expand to more values than the pickle has bytes (each \
                 reference to a shared object is a copy here; a memo bomb?)",
            )
        })?;
        let container = |expander: &mut Self, items: &[usize]| -> Result<Vec<Value>> {
            if depth_left == 0 {
                return Err(Limit::Depth
                    .exceeded(expander.limits.max_depth.into())
                    .into());
            }
            if std::mem::replace(&mut expander.on_path[id], true) {
                return Err(at_offset(
                    start,
                    "the object built here contains itself (a recursive reference), which a \
                     tree of values cannot hold",
                ));
            }
            let values = items
                .iter()
                .map(|&item| expander.expand(item, depth_left - 1))
                .collect::<Result<Vec<_>>>()?;
            expander.on_path[id] = false;
            Ok(values)
        };
        Ok(match &self.nodes[id] {
            Node::Leaf(value) => {
                if let Value::Str(text) = value {
                    self.spend(text.len(), start)?;
                } else if let Value::Bytes(bytes) = value {
                    self.spend(bytes.len(), start)?;
                }
                value.clone()
            }
            Node::ByteArray(bytes) => {
                self.spend(bytes.len(), start)?;
                Value::ByteArray(bytes.clone())
            }
            Node::List(items) => Value::List(container(self, items)?),
            Node::Tuple(items) => Value::Tuple(container(self, items)?),
            Node::Set(items) => {
                let members = container(self, items)?;
                check_keys(members.iter(), "set", |m| at_offset(start, m))?;
                Value::Set(members)
            }
            Node::FrozenSet(items) => {
                let members = container(self, items)?;
                check_keys(members.iter(), "frozenset", |m| at_offset(start, m))?;
                Value::FrozenSet(members)
            }
            Node::Dict(entries) => {
                let flat: Vec<usize> = entries.iter().flat_map(|&(k, v)| [k, v]).collect();
                let mut values = container(self, &flat)?.into_iter();
                let mut pairs = Vec::with_capacity(entries.len());
                while let (Some(k), Some(v)) = (values.next(), values.next()) {
                    pairs.push((k, v));
                }
                check_keys(pairs.iter().map(|(k, _)| k), "dict", |m| {
                    at_offset(start, m)
                })?;
                Value::Dict(pairs)
            }
            Node::TimeZone(_) => {
                return Err(at_offset(
                    start,
                    "a datetime.timezone on its own, not as a time's or datetime's tzinfo (the \
                     value model holds time zones only there)",
                ))
            }
            Node::Global(global) => {
                return Err(at_offset(
                    start,
                    format!("the global {} itself, not a value it built", global.name()),
                ))
            }
        })
    }

    fn spend(&mut self, bytes: usize, start: usize) -> Result<()> {
        self.bytes_left = self.bytes_left.checked_sub(bytes as u64).ok_or_else(|| {
            at_offset(
                start,
                format!(
                    "shared references expand to more than {} bytes of text (each reference \
                     is a copy here; a memo bomb?)",
                    self.limits.max_size
                ),
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_ints_as_python() {
        assert_eq!(le_int(&[]), Some(0));
        assert_eq!(le_int(&[0xff]), Some(-1));
        assert_eq!(le_int(&[0x80, 0x00]), Some(128));
        let mut long = i128::MIN.to_le_bytes().to_vec();
        assert_eq!(le_int(&long), Some(i128::MIN));
        long.push(0xff);
        assert_eq!(le_int(&long), Some(i128::MIN));
        let mut beyond = u128::MAX.to_le_bytes().to_vec();
        beyond.push(0);
        assert_eq!(le_int(&beyond), None);
    }

    #[test]
    fn raw_unicode_escape_as_python() {
        assert_eq!(
            raw_unicode_escape(br"a\u005cb\U0001f600").unwrap(),
            "a\\b\u{1f600}"
        );
        assert_eq!(raw_unicode_escape(br"\\u0041").unwrap(), r"\\u0041");
        assert_eq!(raw_unicode_escape(b"\xe9").unwrap(), "\u{e9}");
        assert!(raw_unicode_escape(br"\ud800").is_err());
        assert!(raw_unicode_escape(br"\u12").is_err());
    }
}
