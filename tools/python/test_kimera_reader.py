#!/usr/bin/env python3
"""Tests of kimera_reader.py (standard library ``unittest``).

* ``GoldenFiles``: every file of tests/golden/. A binary file decodes to the ``value`` of its
  JSON twin (``x.bin``, ``x.schema.bin`` and ``x.nocrc.bin`` pair with ``x.json``) when its
  writer's schema is at hand: carried by the envelope, recorded in the schema history file
  tests/golden/evolution/kimera-schemas.json, or built from a type name of built-in types. The
  files with none of those (their types live in Rust test files) are checked for their header
  and refused with a clear error; the list of them is pinned, so a new golden file is noticed.
* ``BrokenInputs``: damaged, truncated, forged and unreadable inputs are refused with
  ``KimeraError``, never another exception.
* ``WholeInputs``: what a whole file is (an envelope, a frame stream whose length prefix looks
  like an envelope's start, a snapshot file, a snapshot directory, none of these), and where
  its errors say they are.
* ``Helpers``: float and address text, against what Rust printed for the same values.
* ``GeneratedCases``: runs when ``KIMERA_READER_CASES`` names the directory tests/python_reader.rs
  filled with values Rust wrote; each decodes to exactly the value of its JSON envelope.

Run: ``python3 tools/python/test_kimera_reader.py`` (or through ``cargo test --test python_reader``).
"""

from __future__ import annotations

import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import kimera_reader as kr  # noqa: E402

GOLDEN = HERE.parents[1] / "tests" / "golden"
HISTORY = GOLDEN / "evolution" / "kimera-schemas.json"

# Golden binary files whose writer's schema is nowhere but in a Rust test (tests/golden.rs,
# tests/versioning.rs): readable only by a build that has their types.
WITHOUT_SCHEMA = {
    "compact_times.bin",
    "order.bin",
    "order.nocrc.bin",
    "peer.bin",
    "versions/order_v1.bin",
    "versions/order_v2.bin",
}

# tests/history.rs writes evolution/added.v2.bin from the v2 value upgraded from v1 (the
# default score, no nick); its JSON twin holds a v2 value of its own.
VALUE_OF = {"evolution/added.v2.bin": {"id": 7, "name": "ada", "score": 0, "nick": None}}


def twin_of(path: Path) -> Path:
    """The JSON golden file of a binary one: ``x.bin``, ``x.schema.bin``, ``x.nocrc.bin`` →
    ``x.json``."""
    stem = path.name.removesuffix(".bin").removesuffix(".schema").removesuffix(".nocrc")
    return path.with_name(stem + ".json")


def same(a, b) -> bool:
    """Equal as JSON values, strictly: ``True`` is not ``1``, ``1`` is not ``1.0``, ``-0.0`` is
    not ``0.0``, and object keys come in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def first_difference(a, b, path="$") -> str:
    """Where two JSON values first differ, for failure messages."""
    if isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b):
        for k in a:
            if not same(a[k], b[k]):
                return first_difference(a[k], b[k], f"{path}[{k!r}]")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not same(x, y):
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r:.200} != {b!r:.200}"


def leb128(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def binary_envelope(
    name: str, fp: int, body: bytes, *, schema: bytes | None = None, checksum: bool = True
) -> bytes:
    """A binary envelope of version 1, laid out as docs/wire-format.md says."""
    flags = (1 if checksum else 0) | (4 if schema is not None else 0)
    raw = name.encode()
    out = bytearray(kr.MAGIC) + bytes([0x10 | flags]) + leb128(len(raw)) + raw + leb128(1)
    out += fp.to_bytes(8, "little")
    if schema is not None:
        out += leb128(len(schema)) + schema
    out += leb128(len(body)) + body
    if checksum:
        out += zlib.crc32(out).to_bytes(4, "little")
    return bytes(out)


def struct_doc(name: str, fields: list[dict], repr_: str | dict | None = None, variants=None) -> dict:
    """The JSON form of a document holding one derived type (a struct, or an enum if
    ``repr_`` is given)."""
    if repr_ is None:
        shape = {"struct": {"named": fields}}
    else:
        shape = {"enum": {"repr": repr_, "variants": variants}}
    definition = {"shape": {"shape": shape, "by_reference": []}}
    named = {"name": name, "version": 1, "params": [], "origin": None, "definition": definition}
    return {"root": {"named": 0}, "types": [named]}


def field(name: str, schema, **flags) -> dict:
    attrs = {"default": False, "flatten": False, "skip_if": False, **flags}
    return {"name": name, "schema": schema, **attrs, "aliases": []}


def foreign(name: str, compact) -> dict:
    return {"foreign": {"name": name, "readable": "str", "compact": compact}}


def readable(doc_json: dict, body: bytes) -> tuple[bytes, kr.Schemas]:
    """An envelope of ``body`` for the document, and the schemas that describe it."""
    doc = kr.document_from_json(doc_json)
    schemas = kr.Schemas()
    fp = schemas.add(doc)
    return binary_envelope(kr.type_name(doc), fp, body), schemas


def framed(*envelopes: bytes) -> bytes:
    """A frame stream of ``envelopes``: each behind its ``u32`` LE length."""
    return b"".join(len(e).to_bytes(4, "little") + e for e in envelopes)


def varint(n: int) -> bytes:
    """A bincode varint (standard configuration)."""
    if n < 251:
        return bytes([n])
    for marker, width in ((0xFB, 2), (0xFC, 4), (0xFD, 8)):
        if n < 1 << (8 * width):
            return bytes([marker]) + n.to_bytes(width, "little")
    raise ValueError(n)


LIST_U8 = (GOLDEN / "list_u8.bin").read_bytes()  # [1, 2, 3]
LIST_U8_FP = kr.read_envelope(LIST_U8, decode=False).fingerprint


def list_u8_of_size(size: int) -> tuple[bytes, list[int]]:
    """A binary envelope of a ``list<u8>`` exactly ``size`` bytes long (its schema built from
    its name), and its value."""
    for n in range(size, -1, -1):
        value = [i % 256 for i in range(n)]
        envelope = binary_envelope("list<u8>", LIST_U8_FP, varint(n) + bytes(value))
        if len(envelope) == size:
            return envelope, value
    raise AssertionError(f"no list<u8> envelope is {size} bytes long")


def json_of_size(size: int) -> tuple[bytes, str]:
    """A JSON envelope of a ``str`` exactly ``size`` bytes long, and its value."""
    head, tail = b'{"kimera":1,"type":"str","version":1,"value":"', b'"}'
    value = "x" * (size - len(head) - len(tail))
    return head + value.encode() + tail, value


def snapshot_file(generation: int, envelope: bytes) -> bytes:
    """A snapshot file (docs/wire-format.md, "Snapshot files") of ``envelope``."""
    out = kr.SNAPSHOT_MAGIC + b"\x01" + generation.to_bytes(8, "little") + len(envelope).to_bytes(8, "little")
    out += envelope
    return out + zlib.crc32(out).to_bytes(4, "little")


def cli(*args) -> subprocess.CompletedProcess:
    command = [sys.executable, str(HERE / "kimera_reader.py"), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True)


class GoldenFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schemas = kr.Schemas.from_history(HISTORY.read_bytes())

    def test_binary_files_read_as_their_json_twins(self):
        unresolved = set()
        files = sorted(GOLDEN.rglob("*.bin"))
        self.assertGreater(len(files), 20)
        for path in files:
            rel = path.relative_to(GOLDEN).as_posix()
            with self.subTest(rel):
                twin = json.loads(twin_of(path).read_bytes())
                data = path.read_bytes()
                header = kr.read_envelope(data, self.schemas, decode=False)
                self.assertEqual(
                    (header.backend, header.type_name, header.version),
                    ("binary", twin["type"], twin["version"]),
                )
                self.assertEqual(header.checksum, not rel.endswith(".nocrc.bin"))
                self.assertEqual(header.carries_schema, rel.endswith(".schema.bin"))
                if header.schema is None:
                    unresolved.add(rel)
                    with self.assertRaisesRegex(kr.KimeraError, "schema .* is not known"):
                        kr.read_envelope(data, self.schemas)
                    continue
                envelope = kr.read_envelope(data, self.schemas)
                expected = VALUE_OF.get(rel, twin["value"])
                self.assertTrue(same(envelope.value, expected), first_difference(envelope.value, expected))
                self.assertEqual(envelope.origins, twin.get("origin"))
        self.assertEqual(unresolved, WITHOUT_SCHEMA)

    def test_json_files_read_as_json(self):
        for path in sorted(GOLDEN.rglob("*.json")):
            if path == HISTORY:
                continue
            with self.subTest(path.name):
                twin = json.loads(path.read_bytes())
                envelope = kr.read_envelope(path.read_bytes())
                self.assertEqual(
                    (envelope.backend, envelope.type_name, envelope.version),
                    ("json", twin["type"], twin["version"]),
                )
                self.assertTrue(same(envelope.value, twin["value"]))
                self.assertEqual(envelope.origins, twin.get("origin"))
                self.assertIsNone(envelope.checksum)

    def test_the_snapshot_file(self):
        # tests/snapshot.rs::the_file_layout_is_pinned saves tests/support/counter.rs's counter(3).
        snapshot = kr.read_snapshot((GOLDEN / "counter.snapshot").read_bytes(), generation=1)
        self.assertEqual(snapshot.generation, 1)
        self.assertEqual((snapshot.envelope.type_name, snapshot.envelope.version), ("test.Counter", 1))
        self.assertTrue(snapshot.envelope.carries_schema)
        self.assertTrue(same(snapshot.envelope.value, {"value": 3, "history": [0, 1, 2]}))

    def test_every_history_entry_is_verified(self):
        # from_history checks each entry's document against its recorded fingerprint.
        entries = json.loads(HISTORY.read_bytes())["types"]
        for entry in entries:
            doc = kr.document_from_json(entry["schema"])
            self.assertEqual(f"{kr.fingerprint(doc):016x}", entry["fingerprint"])
            self.assertIsNotNone(self.schemas.by_fingerprint(int(entry["fingerprint"], 16)))

    def test_carried_documents_match_their_history_entries(self):
        carried = kr.read_envelope((GOLDEN / "evolution" / "nested.v2.schema.bin").read_bytes())
        self.assertEqual(carried.schema, self.schemas.by_fingerprint(carried.fingerprint))

    def test_the_command_line(self):
        run = cli(GOLDEN / "evolution" / "lines.v1.bin", "--schemas", HISTORY)
        lines = '[{"sku":"a","qty":1},{"sku":"b","qty":2}]\n'
        self.assertEqual((run.returncode, run.stdout, run.stderr), (0, lines, ""))
        run = cli(GOLDEN / "peer.bin")
        self.assertEqual(run.returncode, 1)
        self.assertIn("`Peer` v1", run.stderr)


class BrokenInputs(unittest.TestCase):
    GOOD = (GOLDEN / "evolution" / "foreign.v1.schema.bin").read_bytes()

    def refused(self, data: bytes, pattern: str = "", **kwargs) -> kr.KimeraError:
        with self.assertRaisesRegex(kr.KimeraError, pattern) as caught:
            kr.read_envelope(data, **kwargs)
        self.assertLess(len(str(caught.exception)), 400)
        return caught.exception

    def test_every_flipped_byte_is_refused(self):
        for i in range(len(self.GOOD)):
            for bit in (0x01, 0x80):
                damaged = bytearray(self.GOOD)
                damaged[i] ^= bit
                with self.subTest(byte=i, bit=bit):
                    self.refused(bytes(damaged))

    def test_random_damage_raises_nothing_but_kimera_errors(self):
        # Without their checksums, damage reaches the document and body decoders.
        history = kr.Schemas.from_history(HISTORY.read_bytes())
        seeds = []
        for path in sorted(GOLDEN.rglob("*.bin")):
            data = path.read_bytes()
            seeds.append(data[:2] + bytes([data[2] & ~1]) + data[3:-4] if data[2] & 1 else data)
        rng = random.Random(17)
        for _ in range(3000):
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(data))
                if rng.random() < 0.7:
                    data[at] = rng.randrange(256)
                else:
                    del data[at]
            try:
                kr.read_envelope(bytes(data), history)
            except kr.KimeraError:
                pass

    def test_a_flipped_body_byte_is_a_checksum_mismatch(self):
        damaged = bytearray(self.GOOD)
        damaged[-6] ^= 0x10
        self.refused(bytes(damaged), "checksum mismatch")

    def test_every_truncation_is_refused(self):
        for n in range(len(self.GOOD)):
            with self.subTest(length=n):
                self.refused(self.GOOD[:n])

    def test_trailing_bytes_bad_magic_and_flags(self):
        self.refused(self.GOOD + b"\0", "1 bytes follow the envelope")
        self.refused(b"\x4b\xe6" + self.GOOD[2:], "neither a binary envelope")
        self.refused(b"\x4b\xe5\x21" + self.GOOD[3:], "wire version 2")
        self.refused(b"\x4b\xe5\x19" + self.GOOD[3:], "unknown flags")
        self.refused(b"not an envelope", "neither")

    def test_a_missing_checksum_is_reported_or_refused(self):
        bare = binary_envelope("u8", 0xAE63E94C8600DD1B, b"\x07", checksum=False)
        envelope = kr.read_envelope(bare, decode=False)
        self.assertFalse(envelope.checksum)
        self.refused(bare, "no checksum", require_checksum=True)

    def test_huge_lengths_are_refused_before_anything_is_allocated(self):
        head = kr.MAGIC + b"\x11\x02u8\x01" + bytes(8)
        self.refused(head + leb128(1 << 60), "beyond the limit")
        self.refused(head + leb128(1 << 27), "truncated: binary body needs 134217728 bytes")
        self.refused(kr.MAGIC + b"\x11" + leb128(5000), "type name of 5000 bytes")
        self.refused(head + b"\x80" * 10 + b"\x01", "overflows 64 bits")
        list_u8 = (GOLDEN / "list_u8.bin").read_bytes()
        fp = kr.read_envelope(list_u8, decode=False).fingerprint
        # A list claiming 2^60 items: refused by the element budget, not by running out of time.
        claims = b"\xfd" + (1 << 60).to_bytes(8, "little")
        self.refused(binary_envelope("list<u8>", fp, claims), "elements claimed")
        self.refused(binary_envelope("list<u8>", fp, b"\xff"), "varint marker 0xff")
        forged = b"\x1e" + claims + b"\x00"  # a document whose root is a tuple of 2^60 nodes
        self.refused(binary_envelope("x", 1, b"", schema=forged), "sequence of 1152921504606846976")

    def test_a_carried_schema_must_have_the_envelopes_fingerprint(self):
        data = (GOLDEN / "evolution" / "lines.v1.schema.bin").read_bytes()
        envelope = kr.read_envelope(data, decode=False)
        forged = bytearray(data[:-4])
        at = 3 + 1 + len(envelope.type_name) + 1
        forged[at] ^= 1  # the fingerprint's first byte
        forged += zlib.crc32(forged).to_bytes(4, "little")
        self.refused(bytes(forged), "describes schema")

    def test_another_types_schema_is_not_taken(self):
        doc = kr.document_from_json(struct_doc("other.Name", [field("a", "u8")]))
        schemas = kr.Schemas()
        fp = schemas.add(doc)
        self.refused(binary_envelope("my.Name", fp, b"\x01"), "describes `other.Name`", schemas=schemas)

    def test_shapes_bincode_cannot_hold_are_refused_with_their_path(self):
        unit = {"name": "A", "fields": "unit", "untagged": False, "aliases": []}
        cases = [
            (struct_doc("t.In", [], {"internal": {"tag": "t"}}, [unit]), b"\x00", "`internal`"),
            (struct_doc("t.Adj", [], {"adjacent": {"tag": "t", "content": "c"}}, [unit]), b"\x00", "`adjacent"),
            (struct_doc("t.Untagged", [], "untagged", [unit]), b"\x00", "`untagged`"),
            (struct_doc("t.Flat", [field("a", "u8", flatten=True)]), b"\x01", "`a` of `t.Flat` is flattened"),
            (struct_doc("t.Skip", [field("a", "u8", skip_if=True)]), b"\x01", "skipped when empty"),
            (struct_doc("t.Any", [field("a", "u8"), field("b", "any")]), b"\x01", r"`any`.*at \$\.b"),
            (struct_doc("t.Opaque", [field("o", {"opaque": "secret"})]), b"", r"opaque `secret`.*at \$\.o"),
            (
                struct_doc("t.Geo", [field("n", {"map": {"key": "str", "value": foreign("geo.Point", "str")}})]),
                b"\x01\x01x\x00",
                r'`geo\.Point`.*at \$\.n\["x"\]',
            ),
            (
                struct_doc("t.Odd", [field("u", foreign("uuid", "str"))]),
                b"\x00",
                "other shapes",
            ),
        ]
        for doc_json, body, pattern in cases:
            with self.subTest(pattern):
                data, schemas = readable(doc_json, body)
                self.refused(data, pattern, schemas=schemas)

    def test_values_json_cannot_hold_are_refused(self):
        cases = [
            ([field("x", "f64")], struct.pack("<d", math.nan), r"NaN.*at \$\.x"),
            ([field("x", "f32")], struct.pack("<f", math.inf), "NaN or infinity"),
            ([field("x", {"option": {"option": "u8"}})], b"\x01\x00", r"would read back as None.*at \$\.x"),
            ([field("x", {"option": "unit"})], b"\x01", "would read back as None"),
            (
                [field("m", {"map": {"key": {"tuple": ["u8", "u8"]}, "value": "u8"}})],
                b"\x01\x01\x02\x03",
                r"map key of kind `tuple`.*\$\.m\[key of entry 0\]",
            ),
            ([field("m", {"map": {"key": {"option": "u8"}, "value": "u8"}})], b"\x01\x00\x03", "is None"),
            ([field("b", "bool")], b"\x02", "bool byte 2"),
            ([field("c", "char")], b"\xff", "starts no UTF-8 character"),
            ([field("s", "str")], b"\x02\xc3\x28", "not valid UTF-8"),
            ([field("t", "time_delta")], b"\x00\x01", "TimeDelta out of bounds"),
            ([field("d", {"compact": "date"})], b"\xfc\xff\xff\xff\x7f", "outside chrono's range"),
            ([field("u", foreign("uuid", "bytes"))], b"\x02ab", "uuid of 2 bytes"),
        ]
        for fields, body, pattern in cases:
            with self.subTest(pattern):
                data, schemas = readable(struct_doc("t.T", fields), body)
                self.refused(data, pattern, schemas=schemas)

    def test_nesting_is_bounded(self):
        # A recursive type (its field hashed by reference) nested deeper than Rust's 128 levels.
        tree = struct_doc("t.Tree", [field("kids", {"list": {"named": 0}})])
        tree["types"][0]["definition"]["shape"]["by_reference"] = [0]
        data, schemas = readable(tree, b"\x01" * 200 + b"\x00")
        self.refused(data, "deeper than the limit of 128 levels", schemas=schemas)
        # A document nested beyond what any handler writes.
        node = "u8"
        for _ in range(300):
            node = {"option": node}
        with self.assertRaisesRegex(kr.KimeraError, "nests deeper than 256"):
            kr.fingerprint(kr.document_from_json({"root": node, "types": []}))
        # A type holding itself without being marked recursive.
        tree["types"][0]["definition"]["shape"]["by_reference"] = []
        with self.assertRaisesRegex(kr.KimeraError, "holds itself"):
            kr.fingerprint(kr.document_from_json(tree))

    def test_deep_documents_are_read_as_rust_reads_them(self):
        # 200 structs, each holding the next: within Rust's 256 schema levels (the value, 200
        # levels deep, is beyond its 128), and beyond Python's default recursion limit.
        types = []
        for i in range(200):
            fields = [field("next", {"named": i + 1})] if i < 199 else [field("leaf", "u8")]
            types.append(struct_doc(f"t.L{i}", fields)["types"][0])
        limit = sys.getrecursionlimit()
        data, schemas = readable({"root": {"named": 0}, "types": types}, b"\x07")
        self.refused(data, "deeper than the limit of 128 levels", schemas=schemas)
        self.assertEqual(sys.getrecursionlimit(), limit)

    def test_json_envelopes_are_checked(self):
        good = b'{"kimera":1,"type":"u8","version":1,"value":7}'
        self.assertEqual(kr.read_envelope(b" \n" + good + b"\n").value, 7)
        cases = [
            (b'{"kimera":1,"kimera":1,"type":"u8","version":1,"value":7}', "a key appears twice"),
            (b'{"kimera":1,"type":"u8","version":1,"value":7,"extra":0}', "unknown key `extra`"),
            (b'{"kimera":1,"type":"u8","value":7}', "missing key `version`"),
            (b'{"kimera":2,"type":"u8","version":1,"value":7}', "wire version 2"),
            (b'{"kimera":1,"type":"u8","version":1.0,"value":7}', "a u32"),
            (b'{"kimera":1,"type":"u8","version":1,"value":NaN}', "NaN is not JSON"),
            (good + b"{}", "Extra data"),
            (b'{"kimera":1,"type":"str","version":1,"value":"\\ud800"}', "lone surrogate"),
            (b'{"kimera":1,"type":"u8","version":1,"origin":null,"value":7}', "must be a string"),
            (b"\xff{", "neither"),
        ]
        for data, pattern in cases:
            with self.subTest(pattern):
                self.refused(data, pattern)

    def test_snapshot_files_are_checked(self):
        good = (GOLDEN / "counter.snapshot").read_bytes()
        for i in range(len(good)):
            damaged = bytearray(good)
            damaged[i] ^= 0x04
            with self.subTest(byte=i), self.assertRaises(kr.KimeraError):
                kr.read_snapshot(bytes(damaged))
        for n in range(len(good)):
            with self.subTest(length=n), self.assertRaises(kr.KimeraError):
                kr.read_snapshot(good[:n])
        with self.assertRaisesRegex(kr.KimeraError, "generation 1, its name says 2"):
            kr.read_snapshot(good, generation=2)
        newer = bytearray(good[:-4])
        newer[4] = 2
        newer += zlib.crc32(newer).to_bytes(4, "little")
        with self.assertRaisesRegex(kr.KimeraError, "newer than this reader's"):
            kr.read_snapshot(bytes(newer))

    def test_frame_streams_carry_on_after_a_bad_frame(self):
        good = (GOLDEN / "list_u8.bin").read_bytes()
        frame = lambda b: len(b).to_bytes(4, "little") + b
        big = b'{"kimera":1,"type":"str","version":1,"value":"%s"}' % (b"x" * len(good))
        stream = frame(good) + frame(b"{oops") + frame(good) + frame(big) + frame(good) + b"\x05\x00"
        frames = list(kr.read_frames(stream, max_frame_len=len(good)))
        values = [f.envelope.value if f.envelope else None for f in frames]
        self.assertEqual(values, [[1, 2, 3], None, [1, 2, 3], None, [1, 2, 3], None])
        self.assertRegex(str(frames[1].error), "not a JSON envelope")
        self.assertRegex(str(frames[3].error), "beyond the limit")
        self.assertRegex(str(frames[5].error), "truncated")
        self.assertEqual(frames[2].offset, len(frame(good)) + 4 + 5)

    def test_history_files_are_checked(self):
        history = json.loads(HISTORY.read_bytes())
        history["types"][0]["fingerprint"] = "0000000000000000"
        with self.assertRaisesRegex(kr.KimeraError, "recorded as 0000000000000000"):
            kr.Schemas.from_history(json.dumps(history))
        shape = history["types"][0]["schema"]["types"][0]["definition"]["shape"]
        shape["shape"] = {"struct": {"nameless": []}}
        with self.assertRaisesRegex(kr.KimeraError, "expected a Fields"):
            kr.Schemas.from_history(json.dumps(history))
        with self.assertRaisesRegex(kr.KimeraError, "not a schema history"):
            kr.Schemas.from_history("[]")
        with self.assertRaisesRegex(kr.KimeraError, "not JSON"):
            kr.Schemas.from_history("[" * 100_000)


class WholeInputs(unittest.TestCase):
    """What ``read_bytes``, ``read_snapshot_dir`` and the command line make of a whole input:
    which kind it is, and where its errors are."""

    def read(self, data: bytes, schemas=None, name=None) -> tuple[list, list[str]]:
        frames = list(kr.read_bytes(data, schemas, name))
        values = [f.envelope.value for f in frames if f.error is None]
        return values, [str(f.error) for f in frames if f.error is not None]

    def test_frame_prefixes_that_look_like_envelopes_are_read_as_frames(self):
        binary, binary_value = list_u8_of_size(123)
        text, text_value = json_of_size(123)
        big, big_value = list_u8_of_size(58699)
        for first, value, start in [
            (binary, binary_value, "7b 00 00 00"),  # `{`, not UTF-8 text
            (text, text_value, "7b 00 00 00"),  # `{` and a NUL: not a JSON object
            (big, big_value, "4b e5 00 00"),  # the binary magic, wire version 0
        ]:
            with self.subTest(start):
                stream = framed(first, LIST_U8)
                self.assertEqual(stream[:4].hex(" "), start)
                self.assertEqual(self.read(stream), ([value, [1, 2, 3]], []))
                # Cut: the frames before the cut, then where it is.
                values, errors = self.read(stream[:-1])
                self.assertEqual(values, [value])
                second = 4 + len(first)
                self.assertRegex(errors[0], rf"^frame 2 \(at byte {second} of the stream\): truncated")
                # Cut inside the first frame: a torn stream, not a broken envelope.
                values, errors = self.read(stream[: len(first) // 2])
                self.assertEqual(values, [])
                first_cut = rf"^frame 1 \(at byte 0 of the stream\): truncated: a frame of {len(first)} bytes"
                self.assertRegex(errors[0], first_cut)

    def test_whole_envelopes_are_envelopes_whatever_their_fifth_byte(self):
        text, value = json_of_size(100)
        # Four spaces, then `{`: also the start of a frame stream.
        self.assertEqual(self.read(b"    " + text + b"\n"), ([value], []))
        data, schemas = readable(struct_doc("{t.Braced", [field("a", "u8")]), b"\x07")
        self.assertEqual(data[4:5], b"{")
        self.assertEqual(self.read(data, schemas), ([{"a": 7}], []))
        # Damaged, they are still read as envelopes: the envelope's error is the one given.
        damaged = data[:-5] + bytes([data[-5] ^ 1]) + data[-4:]
        self.assertEqual(len(self.read(damaged, schemas)[1]), 1)
        self.assertRegex(self.read(damaged, schemas)[1][0], "^checksum mismatch")
        newer = LIST_U8[:2] + b"\x21" + LIST_U8[3:]
        newer_error = "binary wire version 2; this reader reads 1 (at byte 2 of the file)"
        self.assertEqual(self.read(newer), ([], [newer_error]))
        self.assertRegex(self.read(b'{"kimera":1}')[1][0], "^not a JSON envelope: missing key `type`")

    def test_what_is_no_kimera_data_is_said_so(self):
        self.assertEqual(self.read(b""), ([], ["empty: it holds no envelope, frame or snapshot"]))
        (error,) = self.read(b"hello, world")[1]
        start = "not Kimera data: it starts with 68 65 6c 6c 6f 2c, the start of neither"
        self.assertTrue(error.startswith(start), error)
        self.assertRegex(self.read(b"\x05\x00")[1][0], "^not Kimera data")

    def test_damaged_inputs_of_every_kind_give_nothing_but_kimera_errors(self):
        seeds = [p.read_bytes() for p in sorted(GOLDEN.rglob("*")) if p.is_file()]
        seeds += [framed(a, b) for a, b in zip(seeds, seeds[1:])]
        rng = random.Random(23)
        for _ in range(3000):
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(data) or 1)
                choice = rng.random()
                if choice < 0.5 and data:
                    data[at] = rng.randrange(256)
                elif choice < 0.8:
                    del data[at : at + rng.randint(1, 8)]
                else:
                    del data[at:]
            for frame in kr.read_bytes(bytes(data)):
                if frame.error is not None:
                    self.assertIsInstance(frame.error, kr.KimeraError)
                    self.assertLess(len(str(frame.error)), 500)

    def test_a_snapshot_files_length_is_checked_as_rust_words_it(self):
        good = (GOLDEN / "counter.snapshot").read_bytes()
        announced = len(good) - 25
        for data, held, verdict in [
            (good[:-3], announced + 1, "3 bytes short (torn or truncated)"),
            (good + b"\0\0", announced + 6, "2 bytes too long"),
            (good[:22], 1, f"{announced + 3} bytes short (torn or truncated)"),
        ]:
            with self.subTest(verdict):
                with self.assertRaises(kr.KimeraError) as caught:
                    kr.read_snapshot(data)
                self.assertEqual(
                    caught.exception.message,
                    f"corrupt snapshot file: the header announces a {announced}-byte envelope and its "
                    f"4-byte checksum, and the file holds {held} bytes after the header: it is {verdict}",
                )

    def test_a_snapshot_directory_is_read_in_generation_order(self):
        counter = (GOLDEN / "counter.snapshot").read_bytes()
        with tempfile.TemporaryDirectory() as tmp:
            snaps = Path(tmp) / "snaps"
            snaps.mkdir()
            run = cli(snaps)
            self.assertEqual((run.returncode, run.stdout), (1, ""))
            self.assertIn("no snapshot file", run.stderr)
            (snaps / "snapshot-00000000000000000010.kimera").write_bytes(snapshot_file(10, LIST_U8))
            (snaps / "snapshot-00000000000000000001.kimera").write_bytes(counter)
            torn = snapshot_file(2, framed(LIST_U8)[:-1])  # the envelope is not one
            (snaps / "snapshot-00000000000000000002.kimera").write_bytes(torn)
            (snaps / "snapshot-00000000000000000003.kimera.corrupt").write_bytes(counter)
            (snaps / "snapshot-00000000000000000004.kimera.tmp").write_bytes(counter)
            (snaps / "kimera-snapshots.lock").write_bytes(b"")
            (snaps / "snapshot-00000000000000000005.kimera").mkdir()
            entries = list(kr.read_snapshot_dir(snaps))
            self.assertEqual(
                [entry.name for entry in entries],
                [f"snapshot-{g:020}.kimera" for g in (1, 2)]
                + ["snapshot-00000000000000000003.kimera.corrupt", "snapshot-00000000000000000010.kimera"],
            )
            self.assertEqual(entries[0].snapshot.generation, 1)
            self.assertEqual(entries[3].snapshot.envelope.value, [1, 2, 3])
            self.assertRegex(str(entries[1].error), r"^snapshot-0+2\.kimera: .*\(at byte 21 of the file\)")
            set_aside = "snapshot-00000000000000000003.kimera.corrupt: set aside as corrupt by the store"
            self.assertEqual(str(entries[2].error), set_aside)
            run = cli(snaps)
            self.assertEqual(run.stdout, '{"value":3,"history":[0,1,2]}\n[1,2,3]\n')
            self.assertEqual(run.returncode, 1)
            self.assertEqual(len(run.stderr.splitlines()), 2, run.stderr)
            self.assertIn(f"kimera_reader: {snaps}: {set_aside}", run.stderr)

    def test_single_envelopes_say_where_their_errors_are(self):
        good = BrokenInputs.GOOD
        damaged = good[:-6] + bytes([good[-6] ^ 0x10]) + good[-6 + 1 :]
        with self.assertRaises(kr.KimeraError) as caught:
            kr.read_envelope(damaged)
        self.assertEqual(caught.exception.offset, len(good) - 4)
        self.assertTrue(str(caught.exception).endswith(f"(at byte {len(good) - 4} of the envelope)"))
        forged = binary_envelope("x", 1, b"", schema=b"\x1e\xfd" + (1 << 60).to_bytes(8, "little") + b"\x00")
        schema_at = 3 + 1 + 1 + 1 + 8 + 1
        for data, offset in [
            (forged, schema_at + 10),  # where in the envelope, not in its schema document
            (binary_envelope("u8", 1, b"\x07"), 7),  # no schema has its fingerprint
            (b'{"kimera":1,"type":"u8","version":1,"value":7,}', 46),
            (b'{"kimera":1,"type":"\xff","version":1,"value":7}', 20),
            (b'  {"kimera":1,"type":"u8","value":7}', 2),
            (b"nothing", 0),
        ]:
            with self.subTest(data=data[:24]):
                with self.assertRaises(kr.KimeraError) as caught:
                    kr.read_envelope(data)
                self.assertEqual(caught.exception.offset, offset, caught.exception)
                self.assertIn(f"at byte {offset} of the envelope", str(caught.exception))
        (frame,) = kr.read_bytes(forged)
        self.assertIn(f"(at byte {schema_at + 10} of the file)", str(frame.error))
        snapshot = snapshot_file(1, forged)
        with self.assertRaises(kr.KimeraError) as caught:
            kr.read_snapshot(snapshot)
        self.assertEqual(caught.exception.offset, 21 + schema_at + 10)
        self.assertIn(f"at byte {21 + schema_at + 10} of the snapshot file", str(caught.exception))

    def test_frames_say_which_they_are_and_where_in_the_stream(self):
        good = BrokenInputs.GOOD
        damaged = good[:-6] + bytes([good[-6] ^ 0x10]) + good[-6 + 1 :]
        forged = binary_envelope("x", 1, b"", schema=b"\x1e\xfd" + (1 << 60).to_bytes(8, "little") + b"\x00")
        cut = binary_envelope("u8", 1, b"", checksum=False)[:-1]  # cut before its body's length
        stream = framed(LIST_U8, damaged, forged, cut) + b"\x05\x00"
        starts = [0]
        for envelope in (LIST_U8, damaged, forged, cut):
            starts.append(starts[-1] + 4 + len(envelope))
        frames = list(kr.read_frames(stream))
        self.assertEqual([f.offset for f in frames], starts)
        expected = [
            None,
            (2, starts[1] + 4 + len(good) - 4, "checksum mismatch"),
            (3, starts[2] + 4 + 15 + 10, "a sequence of"),
            # The byte where frame 4's envelope ends is where frame 5 starts: each says which.
            (4, starts[4], "truncated: body length needs 1 byte, none is left"),
            (5, starts[4], "truncated: the stream ends inside a frame's length prefix"),
        ]
        for frame, want in zip(frames, expected):
            if want is None:
                self.assertIsNone(frame.error)
                continue
            number, offset, what = want
            with self.subTest(frame=number):
                self.assertEqual(frame.error.offset, offset)
                text, label = str(frame.error), f"frame {number} (at byte {frame.offset} of the stream)"
                self.assertTrue(text.startswith(f"{label}: {what}"), text)
                if offset != frame.offset:
                    self.assertTrue(text.endswith(f"(at byte {offset} of the stream)"), text)
                else:  # said once
                    self.assertNotIn("of the stream)", text[len(label) :])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "stream.frames"
            path.write_bytes(stream)
            run = cli(path)
            self.assertEqual((run.returncode, run.stdout), (1, "[1,2,3]\n"))
            lines = run.stderr.splitlines()
            self.assertEqual(len(lines), 4, run.stderr)
            second = f"kimera_reader: {path}: frame 2 (at byte {starts[1]} of the stream): "
            self.assertTrue(lines[0].startswith(second), lines[0])
            path.write_bytes(damaged)
            run = cli(path)
            self.assertEqual(run.returncode, 1)
            self.assertIn(f"(at byte {len(good) - 4} of the file)", run.stderr)


class Helpers(unittest.TestCase):
    """Text Rust printed for the same values (serde_json 1.0.154, Rust 1.95)."""

    def test_floats_as_serde_json_writes_them(self):
        f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
        doubles = [
            (1e20, "1e+20"), (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1e-5, "0.00001"),
            (1e-6, "1e-6"), (-0.0, "-0.0"), (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ]  # fmt: skip
        for value, text in doubles:
            self.assertEqual(kr._float_text(value, False), text)
        singles = [
            (1e12, "1000000000000.0"), (1e13, "1e+13"), (1e-6, "0.000001"), (1e-7, "1e-7"),
            (0.1, "0.1"), (3.4028235e38, "3.4028235e+38"), (1e-45, "1e-45"),
            (1.17549435e-38, "1.1754944e-38"),
        ]  # fmt: skip
        for value, text in singles:
            self.assertEqual(kr._float_text(f32(value), True), text)
        # Powers of two whose nearest 8-digit decimal falls just outside the narrow side of
        # their interval: the shortest text is the next one up.
        for exp, text in [(-96, "1.2621775e-29"), (87, "1.5474251e+26"), (90, "1.2379401e+27")]:
            self.assertEqual(kr._float_text(2.0**exp, True), text)
        self.assertEqual(kr._f32_json(f32(0.1)), 0.1)
        self.assertEqual(kr._f32_json(f32(16777216.0)), 16777216.0)

    def test_ipv6_text_as_rust_displays_it(self):
        for groups, text in [
            ([0] * 8, "::"),
            ([0] * 7 + [1], "::1"),
            ([0, 0, 0, 0, 0, 0xFFFF, 0x0102, 0x0304], "::ffff:1.2.3.4"),
            ([0, 0, 0, 0, 0, 0, 0x0102, 0x0304], "::102:304"),
            ([1, 0, 2, 0, 3, 0, 4, 0], "1:0:2:0:3:0:4:0"),
            ([1, 0, 0, 2, 0, 0, 3, 4], "1::2:0:0:3:4"),
            ([1, 0, 0, 2, 0, 0, 0, 4], "1:0:0:2::4"),
            ([0, 0, 1, 0, 0, 0, 0, 0], "0:0:1::"),
            ([0, 0, 0, 0, 0, 0xFFFE, 1, 2], "::fffe:1:2"),
        ]:
            self.assertEqual(kr._ipv6_text(struct.pack(">8H", *groups)), text)


CASES = os.environ.get("KIMERA_READER_CASES")


@unittest.skipUnless(CASES, "KIMERA_READER_CASES is not set (tests/python_reader.rs sets it)")
class GeneratedCases(unittest.TestCase):
    """Values tests/python_reader.rs wrote: each binary form decodes to exactly the value of the
    JSON envelope kimera::json wrote for the same Rust value."""

    def lines(self, name: str) -> list[dict]:
        with open(Path(CASES) / name, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def check(self, label: str, envelope: kr.Envelope, json_text: str) -> None:
        twin = json.loads(json_text)
        self.assertEqual((envelope.type_name, envelope.version), (twin["type"], twin["version"]), label)
        self.assertEqual(envelope.origins, twin.get("origin"), label)
        difference = first_difference(envelope.value, twin["value"])
        self.assertTrue(same(envelope.value, twin["value"]), f"{label}: {difference}")
        from_json = kr.read_envelope(json_text.encode())
        self.assertTrue(same(from_json.value, twin["value"]), label)
        self.assertEqual(from_json.origin_hash, envelope.origin_hash, label)

    def test_single_envelopes(self):
        cases = self.lines("singles.jsonl")
        self.assertGreater(len(cases), 1000)
        for i, case in enumerate(cases):
            envelope = kr.read_envelope(bytes.fromhex(case["bin"]))
            self.assertTrue(envelope.carries_schema and envelope.checksum)
            self.check(f"single {i}", envelope, case["json"])
        print(f"{len(cases)} single envelopes", file=sys.stderr)

    def test_a_frame_stream(self):
        texts = [case["json"] for case in self.lines("frames.jsonl")]
        frames = list(kr.read_frames((Path(CASES) / "frames.bin").read_bytes()))
        self.assertEqual(len(frames), len(texts))
        seen = set()
        for i, (frame, text) in enumerate(zip(frames, texts)):
            self.assertIsNone(frame.error, f"frame {i}")
            # The first envelope of each type carries its schema, the others rely on it.
            fp = frame.envelope.fingerprint
            self.assertEqual(frame.envelope.carries_schema, fp not in seen, f"frame {i}")
            seen.add(fp)
            self.check(f"frame {i}", frame.envelope, text)
        print(f"{len(frames)} frames of {len(seen)} types", file=sys.stderr)

    def test_snapshot_files(self):
        cases = self.lines("snapshots.jsonl")
        directory = Path(CASES) / "snapshots"
        for case in cases:
            path = directory / f"snapshot-{case['generation']:020}.kimera"
            (frame,) = kr.read_bytes(path.read_bytes(), name=path.name)
            self.assertIsNone(frame.error, path.name)
            self.check(path.name, frame.envelope, case["json"])
        print(f"{len(cases)} snapshot files", file=sys.stderr)

    def test_values_json_cannot_hold(self):
        for case in self.lines("refused.jsonl"):
            with self.assertRaisesRegex(kr.KimeraError, case["why"]):
                kr.read_envelope(bytes.fromhex(case["bin"]))


if __name__ == "__main__":
    unittest.main()
