#!/usr/bin/env python3
"""The Python side of ``tests/redis.rs``: values a Python service puts in Redis, and checks of
the values Rust put there. Standard library plus the ``redis`` package
(``tools/python/requirements-redis.txt``).

``redis_interop.py write --port N`` writes, under ``py:*`` keys, every family the Python Kimera
library's JSON format holds (None, bool, int, float, str, list, tuple, dict, datetime, date),
exactly as the library writes them (:mod:`kimera_serializer`, checked against the library's
vectors first): the vectors' values, random values with their descriptions, a typed record, an
older JSON envelope, and hostile values. It prints the number of values of each family it
wrote, nested ones included, as one JSON line.

``redis_interop.py write-pickles --port N`` writes, under ``py:pickle:*`` keys, what the
library's ``Pickle`` serializer stores (``pickle.dumps``) at every protocol: random values of
every pickle family (:mod:`pickle_differential`'s generator and exact descriptions) and the
typed record. ``redis_interop.py check-pickles --port N`` loads the ``rs:pickle:*`` pickles Rust
wrote and checks each against the description of the value it re-pickled, strictly typed.
Both print counts by protocol (or "rust") and family.

``redis_interop.py check --port N`` reads the ``rs:*`` keys Rust wrote and checks each against
what Rust says it wrote: the Python-format values with :mod:`kimera_serializer`, the envelopes
of both backends with :mod:`kimera_reader`. It prints the families it checked, as one JSON
line, and exits non-zero, saying where, at the first difference.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import math
import pathlib
import random
import struct
import sys

import redis

import pickle

import kimera_reader
import kimera_serializer as ks
import pickle_differential as pd

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "python" / "vectors.jsonl"
RANDOM_VALUES = 300

# The typed record of both directions: `Member` in tests/redis.rs, fields in its order.
MEMBER = {
    "name": "Ada Lovelace",
    "age": 36,
    "joined": dt.date(1843, 7, 10),
    "last_seen": dt.datetime(2024, 3, 1, 12, 30, 45, 123456),
    "nickname": None,
    "scores": [1.5, -0.25, 1e-05],
    "pair": (7, "seven"),
    "attributes": {"a": 1, "b": -2},
    "active": True,
}

# Values the Rust side must refuse with Kimera's error, each as a Python service could write
# them.
HOSTILE = {
    # The library's own defect: strftime writes year 964 unpadded, `9641210`.
    "short-year": ks.dumps(dt.date(964, 12, 10)).encode(),
    "big-int": ks.dumps(2**70).encode(),
    "custom-handler": json.dumps({"data": "12.50 EUR", "serializer": "MoneySerializerHandler"}).encode(),
    "truncated": ks.dumps(["a", ("b", 1)])[:40].encode(),
    "not-json": b"OK",
}


def counted(value, counts: collections.Counter) -> None:
    """Counts ``value`` and every value nested in it, by family."""
    counts[ks.family(value)] += 1
    if isinstance(value, (list, tuple)):
        for item in value:
            counted(item, counts)
    elif isinstance(value, dict):
        for item in value.values():
            counted(item, counts)


def random_value(rng: random.Random, depth: int = 0):
    """A random value of any family, nested at most three deep."""
    families = ["None", "bool", "int", "float", "str", "datetime", "date"]
    if depth < 3:
        families += ["list", "tuple", "dict"]
    family = rng.choice(families)
    if family == "None":
        return None
    if family == "bool":
        return rng.random() < 0.5
    if family == "int":
        return rng.choice([rng.randint(-1000, 1000), rng.randint(-(2**63), 2**63 - 1)])
    if family == "float":
        while True:
            x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(x):
                return rng.choice([x, round(rng.uniform(-1e6, 1e6), rng.randint(0, 8))])
    if family == "str":
        alphabet = "ab \"\\/\n\t\x00\x1f\x7fñ€日😀"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if family == "datetime":
        return dt.datetime(rng.randint(1000, 9999), rng.randint(1, 12), rng.randint(1, 28),
                           rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                           rng.choice([0, rng.randint(0, 999_999)]))
    if family == "date":
        return dt.date(rng.randint(1000, 9999), rng.randint(1, 12), rng.randint(1, 28))
    items = [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if family == "list":
        return items
    if family == "tuple":
        return tuple(items)
    return {f"k{i}-{rng.choice('xyñ')}": item for i, item in enumerate(items)}


def write(r: redis.Redis) -> collections.Counter:
    ks.check_vectors(str(VECTORS))
    counts = collections.Counter()
    with open(VECTORS, encoding="utf-8") as lines:
        for line in lines:
            vector = json.loads(line)
            value = ks.described(vector["value"])
            r.set(f"py:vector:{vector['id']}", ks.dumps(value))
            counted(value, counts)
    rng = random.Random(20240301)
    for i in range(RANDOM_VALUES):
        value = random_value(rng)
        r.set(f"py:random:{i}", ks.dumps(value))
        r.set(f"py:random:{i}:described", json.dumps(ks.describe(value)))
        counted(value, counts)
    r.set("py:member", ks.dumps(MEMBER))
    counted(MEMBER, counts)
    # A JSON envelope as an older Python producer writes it: `shop.Order` version 1, which the
    # Rust reader migrates to its version 2.
    envelope = {"kimera": 1, "type": "shop.Order", "version": 1, "value": {"id": 41, "customer": "py"}}
    r.set("py:envelope:order-v1", json.dumps(envelope))
    for name, raw in HOSTILE.items():
        r.set(f"py:hostile:{name}", raw)
    return counts


PICKLED_VALUES = 150


def pickle_families(description, counts: collections.Counter, prefix: str) -> None:
    """Counts a described pickle value and every value nested in it, by family."""
    counts[f"{prefix} {description['t']}"] += 1
    items = description.get("v")
    if description["t"] == "dict":
        items = [x for pair in items for x in pair]
    if description["t"] in ("list", "tuple", "dict", "set", "frozenset"):
        for item in items:
            pickle_families(item, counts, prefix)


def write_pickles(r: redis.Redis) -> collections.Counter:
    counts = collections.Counter()
    gen = pd.Gen(20261203)
    for i in range(PICKLED_VALUES):
        gen.shared = []
        value = gen.value(4)
        description = pd.describe(value)
        r.set(f"py:pickle:{i}:described", json.dumps(description))
        for protocol in range(6):
            r.set(f"py:pickle:{i}:p{protocol}", pickle.dumps(value, protocol=protocol))
            pickle_families(description, counts, f"p{protocol}")
    for protocol in range(6):
        r.set(f"py:pickle:member:p{protocol}", pickle.dumps(MEMBER, protocol=protocol))
    # A pickle Python's own pickle.loads would run: it must be refused, naming the global.
    r.set("py:pickle:hostile", pickle.dumps(pd.Evil(), protocol=4))
    return counts


def check_pickles(r: redis.Redis) -> collections.Counter:
    counts = collections.Counter()
    for i in range(PICKLED_VALUES):
        key = f"rs:pickle:{i}"
        raw = r.get(key)
        if raw is None:
            raise SystemExit(f"redis_interop: {key}: missing")
        description = json.loads(r.get(f"py:pickle:{i}:described"))
        value = pickle.loads(raw)
        if not pd.same(value, pd.undescribe(description)):
            raise SystemExit(f"redis_interop: {key}: loaded {value!r:.200}, expected {pd.undescribe(description)!r:.200}")
        pickle_families(description, counts, "rust")
    member = pickle.loads(r.get("rs:pickle:member"))
    if not pd.same(member, MEMBER):
        raise SystemExit(f"redis_interop: rs:pickle:member: loaded {member!r:.200}")
    counts["rust member"] += 1
    return counts


def check(r: redis.Redis) -> collections.Counter:
    counts = collections.Counter()

    def require(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise SystemExit(f"redis_interop: {key}: {what}")

    keys = sorted(k.decode() for k in r.scan_iter("rs:python:*", count=1000))
    described_keys = [k for k in keys if k.endswith(":described")]
    require(len(described_keys) > 0, "rs:python:*", "Rust wrote no Python-format values")
    for described_key in described_keys:
        key = described_key.removesuffix(":described")
        raw = r.get(key)
        require(raw is not None, key, "missing")
        expected = ks.described(json.loads(r.get(described_key)))
        value = ks.loads(raw)
        require(ks.same(value, expected), key, f"read {value!r:.200}, described {expected!r:.200}")
        # What Rust wrote is what the library writes for the same value, byte for byte.
        require(ks.dumps(value).encode() == raw, key, f"the library writes {ks.dumps(value)!r:.200}")
        counted(value, counts)
    member = ks.loads(r.get("rs:member"))
    require(ks.same(member, MEMBER), "rs:member", f"read {member!r:.200}")
    counted(member, counts)

    schemas = kimera_reader.Schemas()
    for key in r.scan_iter("rs:schema:*"):
        schemas.add(kimera_reader.document_from_json(json.loads(r.get(key))))
    for expected_key in sorted(k.decode() for k in r.scan_iter("rs:envelope:*:expected")):
        base = expected_key.removesuffix(":expected")
        expected = json.loads(r.get(expected_key))
        for backend in ("binary", "json"):
            key = f"{base}:{backend}"
            raw = r.get(key)
            require(raw is not None, key, "missing")
            try:
                envelope = kimera_reader.read_envelope(raw, schemas)
            except kimera_reader.KimeraError as err:
                raise SystemExit(f"redis_interop: {key}: {err}") from None
            require(raw[:2] == kimera_reader.MAGIC if backend == "binary" else raw[:1] == b"{",
                    key, f"not a {backend} envelope")
            found = {"type": envelope.type_name, "version": envelope.version, "value": envelope.value}
            require(found == expected, key, f"read {found!r:.200}, expected {expected!r:.200}")
            counts[f"{backend} envelope"] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["write", "check", "write-pickles", "check-pickles"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    r = redis.Redis(host="127.0.0.1", port=args.port)
    modes = {"write": write, "check": check, "write-pickles": write_pickles, "check-pickles": check_pickles}
    counts = modes[args.mode](r)
    print(json.dumps(dict(sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
