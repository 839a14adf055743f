#!/usr/bin/env python3
"""Differential tests of kimera::pickle against CPython's own pickle module (stdlib only).

    pickle_differential.py gen SEED COUNT OUT     random values, pickled at protocols 0-5
    pickle_differential.py hostile OUT            pickles that must be refused
    pickle_differential.py check IN               load Rust-written pickles and compare
    pickle_differential.py golden DIR             tests/golden/pickle/python-p{0..5}.pickle
    pickle_differential.py golden-check FILE      FILE loads as the golden value

Every value is also given as a description in JSON (`describe`), so that the two sides
compare values, not bytes: {"t": "int", "v": "123"}, {"t": "list", "v": [...]}, ...
Run by tests/pickle.rs, which reads what `gen` writes and writes what `check` reads.
"""

import datetime
import decimal
import json
import os
import pickle
import random
import struct
import sys


def describe(value):
    """A JSON description of a value, exact: ints as text, floats as their bits."""
    t = type(value)
    if value is None:
        return {"t": "none"}
    if t is bool:
        return {"t": "bool", "v": value}
    if t is int:
        return {"t": "int", "v": str(value)}
    if t is float:
        return {"t": "float", "v": struct.pack(">d", value).hex()}
    if t is str:
        return {"t": "str", "v": value}
    if t is bytes:
        return {"t": "bytes", "v": value.hex()}
    if t is bytearray:
        return {"t": "bytearray", "v": value.hex()}
    if t is list:
        return {"t": "list", "v": [describe(v) for v in value]}
    if t is tuple:
        return {"t": "tuple", "v": [describe(v) for v in value]}
    if t is dict:
        return {"t": "dict", "v": [[describe(k), describe(v)] for k, v in value.items()]}
    if t is set:
        return {"t": "set", "v": [describe(v) for v in value]}
    if t is frozenset:
        return {"t": "frozenset", "v": [describe(v) for v in value]}
    if t is datetime.datetime:
        return {"t": "datetime", "v": value.replace(tzinfo=None).isoformat(timespec="microseconds"), "tz": tz(value.tzinfo)}
    if t is datetime.date:
        return {"t": "date", "v": value.isoformat()}
    if t is datetime.time:
        return {"t": "time", "v": value.replace(tzinfo=None).isoformat(timespec="microseconds"), "tz": tz(value.tzinfo)}
    if t is datetime.timedelta:
        return {"t": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if t is decimal.Decimal:
        return {"t": "decimal", "v": str(value)}
    raise TypeError(f"no description for {t}")


def tz(tzinfo):
    if tzinfo is None:
        return None
    offset = tzinfo.utcoffset(None)
    # A timezone made without a name reports a generated one ("UTC+02:00"); its pickle
    # carries no name, so neither does the description.
    explicit = tzinfo.__reduce__()[1]
    return {"offset": int(offset.total_seconds()), "name": explicit[1] if len(explicit) > 1 else None}


def undescribe(d):
    """The value a description stands for."""
    t, v = d["t"], d.get("v")
    if t == "none":
        return None
    if t == "bool":
        return v
    if t == "int":
        return int(v)
    if t == "float":
        return struct.unpack(">d", bytes.fromhex(v))[0]
    if t == "str":
        return v
    if t == "bytes":
        return bytes.fromhex(v)
    if t == "bytearray":
        return bytearray.fromhex(v)
    if t == "list":
        return [undescribe(x) for x in v]
    if t == "tuple":
        return tuple(undescribe(x) for x in v)
    if t == "dict":
        return {undescribe(k): undescribe(x) for k, x in v}
    if t == "set":
        return {undescribe(x) for x in v}
    if t == "frozenset":
        return frozenset(undescribe(x) for x in v)
    if t == "datetime":
        return datetime.datetime.fromisoformat(v).replace(tzinfo=untz(d["tz"]))
    if t == "date":
        return datetime.date.fromisoformat(v)
    if t == "time":
        return datetime.time.fromisoformat(v).replace(tzinfo=untz(d["tz"]))
    if t == "timedelta":
        return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if t == "decimal":
        return decimal.Decimal(v)
    raise ValueError(f"unknown description {t}")


def untz(d):
    if d is None:
        return None
    offset = datetime.timedelta(seconds=d["offset"])
    return datetime.timezone(offset, d["name"]) if d["name"] is not None else datetime.timezone(offset)


def same(a, b):
    """Equal, with the same types all the way down (Python's == calls 1 == True == 1.0)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack(">d", a) == struct.pack(">d", b) or (a != a and b != b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items())
        )
    if type(a) in (set, frozenset):
        # Members are hashable and distinct; compare as sets, then each member's type.
        return a == b and all(any(same(x, y) for y in b) for x in a)
    if type(a) in (datetime.datetime, datetime.time):
        return a == b and a.replace(tzinfo=None) == b.replace(tzinfo=None) and tz(a.tzinfo) == tz(b.tzinfo) and a.fold == b.fold
    if type(a) is decimal.Decimal:
        return str(a) == str(b)
    return a == b


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.shared = []

    def text(self):
        r = self.r
        alphabet = ["a", "Z", "0", " ", "\n", "\\", "\u00e9", "\u4e2d", "\U0001f600", "\x00", "\x1a", "\r", "'", '"', "\u2028"]
        return "".join(r.choice(alphabet) for _ in range(r.randrange(0, 12)))

    def tzinfo(self):
        r = self.r
        choice = r.randrange(4)
        if choice == 0:
            return None
        if choice == 1:
            return datetime.timezone.utc
        offset = datetime.timedelta(minutes=r.randrange(-23 * 60, 23 * 60))
        return datetime.timezone(offset, "Zone" + str(r.randrange(100))) if choice == 3 else datetime.timezone(offset)

    def scalar(self):
        r = self.r
        kind = r.randrange(17)
        if kind == 0:
            return None
        if kind == 1:
            return r.random() < 0.5
        if kind == 2:
            return r.randrange(-300, 300)
        if kind == 3:
            bits = r.choice([8, 16, 31, 32, 33, 63, 64, 65, 100, 127])
            return r.randrange(-(2 ** bits), 2 ** bits)
        if kind == 4:
            return r.choice([0.0, -0.0, 1.5, 1e-5, 1e16, 1e300, float("inf"), float("-inf"), float("nan"), r.uniform(-1e9, 1e9)])
        if kind == 5:
            return self.text()
        if kind == 6:
            return bytes(r.randrange(256) for _ in range(r.choice([0, 1, 5, 300])))
        if kind == 7:
            return bytearray(r.randrange(256) for _ in range(r.randrange(0, 6)))
        if kind == 8:
            return datetime.date(r.randrange(1, 10000), r.randrange(1, 13), r.randrange(1, 29))
        if kind == 9:
            return datetime.time(r.randrange(24), r.randrange(60), r.randrange(60), r.choice([0, r.randrange(10 ** 6)]), tzinfo=self.tzinfo())
        if kind == 10:
            return datetime.datetime(r.randrange(1, 10000), r.randrange(1, 13), r.randrange(1, 29), r.randrange(24), r.randrange(60), r.randrange(60), r.choice([0, r.randrange(10 ** 6)]), tzinfo=self.tzinfo())
        if kind == 11:
            return datetime.timedelta(days=r.randrange(-999999999, 999999999), seconds=r.randrange(86400), microseconds=r.randrange(10 ** 6))
        if kind == 12:
            return decimal.Decimal(r.choice(["0", "-0", "1.50", "1E+3", "-12.345e-20", "NaN", "-Infinity", "sNaN", str(r.randrange(10 ** 30)) + "." + str(r.randrange(10 ** 5))]))
        if kind == 13:
            return self.text()
        if kind == 14:
            return r.randrange(2 ** 64)
        if kind == 15:
            return r.choice(["", "id", "name", "ts"])
        return r.randrange(10)

    def key(self, depth):
        r = self.r
        kind = r.randrange(6)
        if kind == 0 and depth > 0:
            return tuple(self.key(depth - 1) for _ in range(r.randrange(3)))
        if kind == 1 and depth > 0:
            return frozenset(self.key(0) for _ in range(r.randrange(3)))
        if kind == 2:
            return r.randrange(-1000, 1000)
        if kind == 3:
            return datetime.date(2000 + r.randrange(30), 1 + r.randrange(12), 1 + r.randrange(28))
        return self.text()

    def value(self, depth):
        r = self.r
        if depth == 0 or r.random() < 0.35:
            return self.scalar()
        if self.shared and r.random() < 0.1:
            # The same object again: the memo's shared references.
            return r.choice(self.shared)
        kind = r.randrange(5)
        n = r.randrange(0, 5)
        if kind == 0:
            v = [self.value(depth - 1) for _ in range(n)]
        elif kind == 1:
            v = tuple(self.value(depth - 1) for _ in range(n))
        elif kind == 2:
            v = {self.key(1): self.value(depth - 1) for _ in range(n)}
        elif kind == 3:
            v = {self.key(1) for _ in range(n)}
        else:
            v = frozenset(self.key(1) for _ in range(n))
        if r.random() < 0.3:
            self.shared.append(v)
        return v


def cmd_gen(seed, count, out):
    gen = Gen(int(seed))
    with open(out, "w") as f:
        for i in range(int(count)):
            gen.shared = []
            value = gen.value(4)
            if i % 50 == 0:
                # Long containers: APPENDS and SETITEMS in batches of 1000.
                value = [gen.scalar() for _ in range(2500)]
            for protocol in range(6):
                record = {"id": i, "protocol": protocol, "pickle": pickle.dumps(value, protocol=protocol).hex()}
                record["expect"] = describe(value)
                f.write(json.dumps(record) + "\n")
            # What is refused, and why, at every protocol.
            for refuse, bad, lowest in refusals(gen.r):
                for protocol in range(lowest, 6):
                    f.write(json.dumps({"id": i, "protocol": protocol, "pickle": pickle.dumps(bad, protocol=protocol).hex(), "refuse": refuse}) + "\n")


def refusals(r):
    out = []
    if r.random() < 0.2:
        out.append(("beyond the 128-bit range", 2 ** r.randrange(128, 400) * r.choice([1, -1]), 0))
    if r.random() < 0.1:
        loop = []
        loop.append(loop)
        out.append(("contains itself", [1, loop], 0))
    if r.random() < 0.1:
        # Protocols below 4 do not carry fold (Python itself reads fold=0 back).
        out.append(("fold=1", datetime.datetime(2024, 11, 3, 1, 30, fold=1), 4))
    if r.random() < 0.05:
        out.append(("surrogate", "a\ud800b", 0))
    return out


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Point:
    def __init__(self):
        self.x = 1


def cmd_hostile(out):
    """Pickles that name other globals, each with the names the refusal may give (the first
    global a pickle names differs by protocol)."""
    cases = []
    for protocol in range(6):
        cases.append(("posix.system", pickle.dumps(Evil(), protocol=protocol)))
        cases.append(("posix.system", pickle.dumps(os.system, protocol=protocol)))
        cases.append(("__main__.Point", pickle.dumps(Point(), protocol=protocol)) if protocol >= 2 else ("copy_reg._reconstructor", pickle.dumps(Point(), protocol=protocol)))
        cases.append(("collections.OrderedDict", pickle.dumps(__import__("collections").OrderedDict(a=1), protocol=protocol)))
        cases.append(("builtins.eval" if protocol >= 3 else "__builtin__.eval", pickle.dumps(eval, protocol=protocol)))
        import zoneinfo
        try:
            zone = zoneinfo.ZoneInfo("UTC")
            cases.append(("zoneinfo.ZoneInfo._unpickle|builtins.getattr|__builtin__.getattr", pickle.dumps(datetime.datetime(2024, 1, 1, tzinfo=zone), protocol=protocol)))
        except zoneinfo.ZoneInfoNotFoundError:
            pass
    with open(out, "w") as f:
        for name, data in cases:
            f.write(json.dumps({"name": name, "pickle": data.hex()}) + "\n")


def cmd_check(path):
    tried = equal = 0
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            tried += 1
            data = bytes.fromhex(record["pickle"])
            value = pickle.loads(data)
            expect = undescribe(record["expect"])
            if same(value, expect):
                equal += 1
            else:
                print(f"MISMATCH {record.get('id')}: loaded {value!r}, expected {expect!r}", file=sys.stderr)
    print(json.dumps({"tried": tried, "equal": equal}))
    sys.exit(0 if tried == equal else 1)


def golden_value():
    """The value of the golden files: one of each family, a shared list, odd corners."""
    shared = [1]
    utc = datetime.timezone.utc
    est = datetime.timezone(datetime.timedelta(hours=-5), "EST")
    return {
        "id": 7,
        "name": "Ada \u00e9\U0001f600\n\\",
        "big": -(2 ** 100),
        "ratio": 0.1,
        "flags": {1, 2},
        "blob": b"\x00\xff",
        "buf": bytearray(b"ab"),
        "when": datetime.datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=utc),
        "local": datetime.datetime(2024, 3, 1, 7, 30, tzinfo=est),
        "naive": datetime.datetime(964, 12, 10, 1, 2, 3),
        "day": datetime.date(964, 12, 10),
        "at": datetime.time(9, 30, 0, 5),
        "idle": datetime.timedelta(days=-1, seconds=5, microseconds=7),
        "price": decimal.Decimal("12.50"),
        "tags": frozenset({"x"}),
        "pair": (1, 2.5, None, True),
        "items": [None, [], {}, ()],
        "shared": [shared, shared],
    }


def cmd_golden(directory):
    for protocol in range(6):
        with open(os.path.join(directory, f"python-p{protocol}.pickle"), "wb") as f:
            f.write(pickle.dumps(golden_value(), protocol=protocol))


def cmd_golden_check(path):
    with open(path, "rb") as f:
        value = pickle.load(f)
    if not same(value, golden_value()):
        print(f"{path} loads as {value!r}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"gen": cmd_gen, "hostile": cmd_hostile, "check": cmd_check, "golden": cmd_golden, "golden-check": cmd_golden_check}[cmd](*args)
