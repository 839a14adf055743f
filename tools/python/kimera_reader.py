#!/usr/bin/env python3
"""Read Kimera envelopes, frame streams and snapshot files without Rust.

The reference reader of ``docs/wire-format.md`` ("Reading without Rust"): one file, Python 3.11's
standard library only. It reads

* binary envelopes (``4b e5``): the header, the checksum (verified), the schema document the
  envelope may carry (verified against the fingerprint), and, with the writer's schema, the
  bincode body;
* JSON envelopes, whose keys it checks;
* frame streams (``u32`` length prefixes), remembering the schemas earlier frames carried;
* snapshot files (``KSNP``), and a store's snapshot directory;
* schema history files (``kimera-schemas.json``), as a source of writers' schemas.

A decoded ``value`` is exactly what ``json.loads`` gives for the ``value`` member of the JSON
envelope ``kimera::json`` writes for the same Rust value (dicts in the order serde_json writes
their keys, lists, str, int, float, bool, None). What the reader cannot convert exactly (a shape
bincode cannot hold, ``any``, an opaque or unknown foreign type, a NaN, a value JSON cannot
hold) raises :class:`KimeraError` naming what and where, as Rust's readers refuse it.

>>> with open("tests/golden/counter.snapshot", "rb") as f:
...     read_snapshot(f.read()).envelope.value
{'value': 3, 'history': [0, 1, 2]}

Command line: ``python3 kimera_reader.py FILE [--schemas kimera-schemas.json]`` prints each
value the file holds as one line of JSON, whichever of these it is (:func:`read_bytes`); FILE
may also be a snapshot directory (:func:`read_snapshot_dir`). Errors go to stderr, each saying
where it is: ``kimera_reader: s.frames: frame 2 (at byte 36 of the stream): … (at byte 41 of
the stream)``.

Not checked, as Rust's readers would: the text of chrono dates and times, URLs, decimals and
paths is passed through as written (a Kimera writer only writes valid text; the checksum covers
the rest); JSON envelopes' values are not checked against a schema.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import struct
import sys
import zlib
from collections import namedtuple
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Iterator, NamedTuple

__all__ = [
    "KimeraError",
    "Envelope",
    "Frame",
    "Snapshot",
    "Schemas",
    "Document",
    "read_envelope",
    "read_frames",
    "read_snapshot",
    "read_snapshot_dir",
    "SnapshotFile",
    "read_bytes",
    "decode_document",
    "document_from_json",
    "fingerprint",
    "type_name",
    "origins",
    "origin_hash",
]

# The limits of Rust's readers (`Limits::DEFAULT`, kimera-binary, kimera::frame).
MAX_SIZE = 256 << 20
MAX_NAME_LEN = 1024
MAX_DOCUMENT_LEN = 1 << 20
MAX_DOCUMENT_DEPTH = 1024
MAX_SCHEMA_DEPTH = 256
MAX_VALUE_DEPTH = 128
ZERO_SIZE_ALLOWANCE = 1 << 20
MAX_FRAME_LEN = 16 << 20
MAX_STREAM_SCHEMAS = 1024
MAX_STREAM_SCHEMA_BYTES = 8 << 20

MAGIC = b"\x4b\xe5"
WIRE_VERSION = 1
FLAG_CHECKSUM, FLAG_ORIGIN, FLAG_SCHEMA = 1, 2, 4
SNAPSHOT_MAGIC = b"KSNP"

_NULL_IN_SOME = (
    "Some of a value JSON writes as null (None, () or a unit struct) would read back as None, "
    "so kimera::json refuses to write it"
)
_NON_FINITE = "JSON has no NaN or infinity, so kimera::json refuses to write this float"


class KimeraError(Exception):
    """Why bytes are not a Kimera value this reader can read.

    ``message`` says what was expected and what was found; ``path`` (``$.nodes["x"].addr``) is
    where in the value; ``offset`` the byte where it was found, counted from the start of the
    input the reading function was given, which ``origin`` names (``"the envelope"`` for
    :func:`read_envelope`, ``"the stream"`` for :func:`read_frames`, ``"the snapshot file"``
    for :func:`read_snapshot`, ``"the file"`` for :func:`read_bytes`); ``label`` which part of
    the input failed (``frame 3 (at byte 1042 of the stream)``, a snapshot file's name), if any.
    ``str()`` says all of it: ``frame 3 (at byte 1042 of the stream): checksum mismatch: …
    (at byte 1090 of the stream)``.
    """

    def __init__(self, message: str, *, path: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.offset = offset
        self.origin: str | None = None
        self.label: str | None = None
        self._label_offset: int | None = None  # the offset the label already says

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"at {self.path}")
        if self.offset is not None and self.offset != self._label_offset:
            where.append(f"at byte {self.offset} of {self.origin or 'the input'}")
        text = self.message + (f" ({', '.join(where)})" if where else "")
        return f"{self.label}: {text}" if self.label else text


def _placed(err: KimeraError, base: int, origin: str) -> KimeraError:
    """``err``, raised reading bytes that start at ``base`` of an input named ``origin``, with
    its offset (if it has one) counted from the input's start."""
    if err.offset is not None:
        err.offset += base
    err.origin = origin
    return err


def _deep(func):
    """Runs ``func`` with room for Rust's limits (1024 document levels, 256 schema levels, 128
    value levels), which take more Python frames than the default limit of 1000. Python 3.11
    runs Python-to-Python calls without the C stack, so the higher limit is safe; JSON parsing,
    which recurses in C, stays outside. Past it, a forged input is a KimeraError."""

    @functools.wraps(func)
    def deep(*args, **kwargs):
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10_000))
        try:
            return func(*args, **kwargs)
        except RecursionError:
            raise KimeraError("the input nests deeper than this reader can follow") from None
        finally:
            sys.setrecursionlimit(limit)

    return deep


def _quote(text: str, limit: int = 96) -> str:
    """``text`` for a message: names come from the input, so a long one is cut."""
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}… ({len(text.encode())} bytes)"


# ----------------------------------------------------------------------------------------------
# Bytes: bincode 2 (standard configuration) and LEB128


# The length of a UTF-8 character by its first byte: up to each bound, that many bytes (0: no
# character starts so).
_UTF8_WIDTHS = ((0x7F, 1), (0xC1, 0), (0xDF, 2), (0xEF, 3), (0xF4, 4))


class _Cursor:
    """Reads bincode's primitives and LEB128 from ``data``, never past its end.

    Every length is checked against the bytes left before anything is sliced, so a forged
    length costs nothing.
    """

    __slots__ = ("data", "pos", "base")

    def __init__(self, data: bytes, base: int = 0):
        self.data = data
        self.pos = 0
        self.base = base  # where `data` starts in the whole input, for messages

    def left(self) -> int:
        return len(self.data) - self.pos

    def fail(self, message: str) -> KimeraError:
        return KimeraError(message, offset=self.base + self.pos)

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise self.fail(f"truncated: {what} needs {n} bytes, {self.left()} are left")
        start = self.pos
        self.pos += n
        return self.data[start : self.pos]

    def u8(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise self.fail(f"truncated: {what} needs 1 byte, none is left")
        self.pos += 1
        return self.data[self.pos - 1]

    def leb128(self, what: str) -> int:
        """An envelope header's unsigned LEB128: at most 10 bytes, padding accepted."""
        value = 0
        for i in range(10):
            byte = self.u8(what)
            if i == 9 and byte & 0x7F > 1:
                raise self.fail(f"{what} overflows 64 bits")
            value |= (byte & 0x7F) << (7 * i)
            if byte < 0x80:
                return value
        raise self.fail(f"{what} overflows 64 bits")

    def uint(self, bits: int, what: str) -> int:
        """A bincode varint: below 251 one byte, else a marker and 2, 4, 8 or 16 bytes LE."""
        first = self.u8(what)
        if first < 251:
            return first
        width = {251: 2, 252: 4, 253: 8, 254: 16}.get(first)
        if width is None or width * 8 > bits:
            raise self.fail(f"{what}: varint marker {first:#04x} is not valid for a {bits}-bit integer")
        return int.from_bytes(self.take(width, what), "little")

    def sint(self, bits: int, what: str) -> int:
        """A zigzag-encoded signed bincode varint."""
        n = self.uint(bits, what)
        return (n >> 1) ^ -(n & 1)

    def i8(self, what: str) -> int:
        byte = self.u8(what)
        return byte - 256 if byte >= 128 else byte

    def bool(self, what: str) -> bool:
        byte = self.u8(what)
        if byte > 1:
            raise self.fail(f"{what}: bool byte {byte}, expected 0 or 1")
        return byte == 1

    def f32(self, what: str) -> float:
        return struct.unpack("<f", self.take(4, what))[0]

    def f64(self, what: str) -> float:
        return struct.unpack("<d", self.take(8, what))[0]

    def length(self, what: str) -> int:
        """A sequence length (a `usize`, written as a u64 varint)."""
        return self.uint(64, what)

    def raw_string(self, what: str) -> bytes:
        n = self.length(f"{what} length")
        return self.take(n, what)

    def string(self, what: str) -> str:
        raw = self.raw_string(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what} is not valid UTF-8") from None

    def char(self, what: str) -> str:
        """A `char`: bincode writes its UTF-8 bytes, without a length."""
        first = self.u8(what)
        width = next((w for top, w in _UTF8_WIDTHS if first <= top), 0)
        if width == 0:
            raise self.fail(f"{what}: byte {first:#04x} starts no UTF-8 character")
        raw = bytes([first]) + self.take(width - 1, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what}: invalid UTF-8 character {raw.hex(' ')}") from None


# ----------------------------------------------------------------------------------------------
# Schema documents (kimera-core/src/document/mod.rs)
#
# The grammar below is the Rust types', in declaration order: a variant's position is its bincode
# index, its name the serde name JSON uses (snake_case). A spec is "str", "u32", "u64", "bool",
# the name of a struct or enum below, ("vec", spec) or ("option", spec); a variant's payload is
# None (unit), a spec (newtype) or a dict of field specs (struct variant).
#
# Decoded, a struct is the namedtuple of its name and an enum value the tuple (variant, *payload):
# ("u8",), ("list", node), ("map", key, value), ("named", 3), ("shape", shape, by_reference).

_LEAF_NODES = (
    "bool", "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "f32", "f64",
    "char", "str", "unit", "bytes", "any", "date", "time", "date_time", "date_time_utc",
    "date_time_offset", "time_delta", "duration",
)  # fmt: skip

_ENUMS: dict[str, list[tuple[str, Any]]] = {
    "Node": [(name, None) for name in _LEAF_NODES]
    + [
        ("compact", "Node"),
        ("option", "Node"),
        ("list", "Node"),
        ("set", "Node"),
        ("map", {"key": "Node", "value": "Node"}),
        ("tuple", ("vec", "Node")),
        ("array", {"item": "Node", "len": "u64"}),
        ("named", "u32"),
        ("type", "Type"),
        ("foreign", {"name": "str", "readable": "Node", "compact": "Node"}),
        ("opaque", "str"),
    ],
    "Definition": [
        ("shape", {"shape": "Shape", "by_reference": ("vec", "u32")}),
        ("schema", "Node"),
    ],
    "Shape": [
        ("struct", "Fields"),
        ("tagged_struct", {"tag": "str", "name": "str", "fields": "Fields"}),
        ("transparent", "Node"),
        ("enum", {"repr": "Repr", "variants": ("vec", "Variant")}),
    ],
    "Fields": [
        ("unit", None),
        ("newtype", "Node"),
        ("tuple", ("vec", "Node")),
        ("named", ("vec", "Field")),
    ],
    "Repr": [
        ("external", None),
        ("internal", {"tag": "str"}),
        ("adjacent", {"tag": "str", "content": "str"}),
        ("untagged", None),
    ],
}

_STRUCTS: dict[str, dict[str, Any]] = {
    "Document": {"root": "Node", "types": ("vec", "Type")},
    "Type": {
        "name": "str",
        "version": "u32",
        "params": ("vec", "Node"),
        "origin": ("option", "str"),
        "definition": "Definition",
    },
    "Field": {
        "name": "str",
        "schema": "Node",
        "default": "bool",
        "flatten": "bool",
        "skip_if": "bool",
        "aliases": ("vec", "str"),
    },
    "Variant": {"name": "str", "fields": "Fields", "untagged": "bool", "aliases": ("vec", "str")},
}

Document = namedtuple("Document", _STRUCTS["Document"])
Type = namedtuple("Type", _STRUCTS["Type"])
Field = namedtuple("Field", _STRUCTS["Field"])
Variant = namedtuple("Variant", _STRUCTS["Variant"])
_CLASSES = {"Document": Document, "Type": Type, "Field": Field, "Variant": Variant}


@_deep
def decode_document(data: bytes) -> Document:
    """The schema document ``data`` holds in its binary form (bincode, as envelopes carry it)."""
    if len(data) > MAX_DOCUMENT_LEN:
        raise KimeraError(
            f"a schema document of {len(data)} bytes (readers accept at most {MAX_DOCUMENT_LEN})"
        )
    cur = _Cursor(data)
    doc = _decode_spec(cur, "Document", 0)
    if cur.left():
        raise cur.fail(f"{cur.left()} bytes follow the schema document")
    return doc


def _decode_spec(cur: _Cursor, spec: Any, depth: int) -> Any:
    # One call per serde level, as Rust's guard counts them.
    if depth > MAX_DOCUMENT_DEPTH:
        raise cur.fail(f"the schema document nests deeper than {MAX_DOCUMENT_DEPTH} levels")
    if spec == "str":
        return cur.string("string")
    if spec in ("u32", "u64"):
        return cur.uint(int(spec[1:]), spec)
    if spec == "bool":
        return cur.bool("bool")
    if isinstance(spec, tuple):
        kind, item = spec
        if kind == "option":
            tag = cur.u8("option tag")
            if tag > 1:
                raise cur.fail(f"option tag {tag}, expected 0 or 1")
            return _decode_spec(cur, item, depth + 1) if tag else None
        n = cur.length("sequence length")
        if n > cur.left():  # every item of a document takes at least one byte
            raise cur.fail(f"a sequence of {n} items in the {cur.left()} bytes left")
        items = []
        for _ in range(n):
            items.append(_decode_spec(cur, item, depth + 1))
        return items
    if spec in _STRUCTS:
        values = []
        for field_spec in _STRUCTS[spec].values():
            values.append(_decode_spec(cur, field_spec, depth + 1))
        return _CLASSES[spec](*values)
    variants = _ENUMS[spec]
    index = cur.uint(32, f"{spec} variant index")
    if index >= len(variants):
        raise cur.fail(f"{spec} variant index {index}, and {spec} has {len(variants)} variants")
    name, payload = variants[index]
    if payload is None:
        return (name,)
    if isinstance(payload, dict):
        values = [name]
        for field_spec in payload.values():
            values.append(_decode_spec(cur, field_spec, depth + 1))
        return tuple(values)
    return (name, _decode_spec(cur, payload, depth + 1))


@_deep
def document_from_json(obj: Any) -> Document:
    """The schema document of its JSON form (a history entry's ``schema``: serde's externally
    tagged form of the same types)."""
    return _json_spec(obj, "Document", "schema", 0)


def _json_spec(obj: Any, spec: Any, where: str, depth: int) -> Any:
    def bad(expected: str) -> KimeraError:
        found = type(obj).__name__ if not isinstance(obj, str) else repr(_quote(obj, 40))
        return KimeraError(f"schema document: expected {expected} at {where}, found {found}")

    if depth > MAX_DOCUMENT_DEPTH:
        raise KimeraError(f"schema document: nests deeper than {MAX_DOCUMENT_DEPTH} levels at {where}")
    if spec == "str":
        if not isinstance(obj, str):
            raise bad("a string")
        return obj
    if spec in ("u32", "u64", "bool"):
        ok = isinstance(obj, bool) if spec == "bool" else (
            isinstance(obj, int) and not isinstance(obj, bool) and 0 <= obj < 1 << int(spec[1:])
        )
        if not ok:
            raise bad(f"a {spec}")
        return obj
    if isinstance(spec, tuple):
        kind, item = spec
        if kind == "option":
            return None if obj is None else _json_spec(obj, item, where, depth + 1)
        if not isinstance(obj, list):
            raise bad("an array")
        return [_json_spec(x, item, f"{where}[{i}]", depth + 1) for i, x in enumerate(obj)]
    if spec in _STRUCTS:
        return _CLASSES[spec](*_json_fields(obj, _STRUCTS[spec], where, depth, bad))
    names = dict(_ENUMS[spec])
    if isinstance(obj, str) and names.get(obj, ...) is None:
        return (obj,)
    if not (isinstance(obj, dict) and len(obj) == 1):
        raise bad(f"a {spec} (a variant name, or an object of one variant)")
    (name, content), = obj.items()
    payload = names.get(name)
    if name not in names or payload is None:
        raise bad(f"a {spec} variant with content")
    inner = f"{where}.{name}"
    if isinstance(payload, dict):
        return (name, *_json_fields(content, payload, inner, depth, bad))
    return (name, _json_spec(content, payload, inner, depth + 1))


def _json_fields(obj: Any, fields: dict[str, Any], where: str, depth: int, bad) -> list[Any]:
    if not isinstance(obj, dict) or set(obj) != set(fields):
        raise bad(f"an object with the keys {', '.join(fields)}")
    return [_json_spec(obj[k], spec, f"{where}.{k}", depth + 1) for k, spec in fields.items()]


# ----------------------------------------------------------------------------------------------
# Fingerprints, names and origins of documents (kimera-core/src/document/{hash,mod}.rs)

_FNV_OFFSET, _FNV_PRIME, _MASK64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1

_TAGS = {
    **dict(zip(_LEAF_NODES[:18], range(0x01, 0x13))),
    **dict(zip(_LEAF_NODES[18:], range(0x20, 0x27))),
    "compact": 0x27, "option": 0x30, "list": 0x31, "set": 0x32, "map": 0x33, "tuple": 0x34,
    "array": 0x35, "named": 0x40, "type": 0x41, "opaque": 0x42, "foreign": 0x43,
    "shape.struct": 0x50, "shape.transparent": 0x51, "shape.enum": 0x52,
    "shape.tagged_struct": 0x53, "fields.unit": 0x60, "fields.newtype": 0x61,
    "fields.tuple": 0x62, "fields.named": 0x63, "repr.external": 0x70, "repr.internal": 0x71,
    "repr.adjacent": 0x72, "repr.untagged": 0x73,
}  # fmt: skip


def _fnv(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return h


class _Stream(bytearray):
    """A node's canonical byte stream (docs/schema.md, "Fingerprint")."""

    def tag(self, name: str) -> "_Stream":
        self.append(_TAGS[name])
        return self

    def u32(self, n: int) -> "_Stream":
        self += n.to_bytes(4, "little")
        return self

    def u64(self, n: int) -> "_Stream":
        self += n.to_bytes(8, "little")
        return self

    def str(self, text: str) -> "_Stream":
        raw = text.encode()
        self.u32(len(raw))
        self += raw
        return self


@_deep
def fingerprint(doc: Document) -> int:
    """The fingerprint of the value at the document's root, computed from the document alone:
    what the writer's ``KimeraHandler::FINGERPRINT`` is. Every type of the table must be valid,
    as in Rust."""
    hasher = _Hasher(doc)
    root = hasher.node(doc.root, True)
    for index, named in enumerate(doc.types):
        hasher.deep_named(index, named)
    return root


class _Hasher:
    """kimera-core's document hasher: children enter as their own fingerprints, "deep" (through
    named types to their definitions) unless hashed by reference ("shallow")."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.memo: dict[int, int] = {}
        self.shallow: dict[int, int] = {}
        self.entered: set[int] = set()
        self.depth = 0

    def node(self, node: tuple, deep: bool) -> int:
        self.depth += 1
        if self.depth > MAX_SCHEMA_DEPTH:
            raise KimeraError(f"invalid schema document: it nests deeper than {MAX_SCHEMA_DEPTH} levels")
        hash_ = self._node(node, deep)
        self.depth -= 1
        return hash_

    def _node(self, node: tuple, deep: bool) -> int:
        kind = node[0]
        s = _Stream().tag(kind)
        if kind in ("compact", "option", "list", "set"):
            s.u64(self.node(node[1], deep))
        elif kind == "map":
            s.u64(self.node(node[1], deep)).u64(self.node(node[2], deep))
        elif kind == "tuple":
            self._all(s, node[1], deep)
        elif kind == "array":
            s.u64(self.node(node[1], deep)).u64(node[2])
        elif kind == "named":
            return self._named(node[1], deep)
        elif kind == "type":
            return self.shaped(node[1], deep)
        elif kind == "foreign":
            s.str(node[1]).u64(self.node(node[2], deep)).u64(self.node(node[3], deep))
        elif kind == "opaque":
            s.str(node[1])
        return _fnv(s)

    def _named(self, index: int, deep: bool) -> int:
        if index >= len(self.doc.types):
            raise KimeraError(
                f"invalid schema document: it refers to type {index}, and holds only {len(self.doc.types)}"
            )
        named = self.doc.types[index]
        if deep:
            return self.deep_named(index, named)
        if index not in self.shallow:  # memoized: forged arguments could repeat exponentially
            s = _Stream().tag("named").str(named.name).u32(named.version)
            self.shallow[index] = _fnv(self._all(s, named.params, False))
        return self.shallow[index]

    def deep_named(self, index: int, named: Type) -> int:
        if index in self.memo:
            return self.memo[index]
        if index in self.entered:
            raise KimeraError(
                f"invalid schema document: `{_quote(named.name)}` holds itself without a field "
                "marked as hashed by reference"
            )
        self.entered.add(index)
        definition = named.definition
        hash_ = self.shaped(named, True) if definition[0] == "shape" else self.node(definition[1], True)
        self.memo[index] = hash_
        return hash_

    def shaped(self, t: Type, deep: bool) -> int:
        if t.definition[0] != "shape":
            raise KimeraError(f"invalid schema document: the inline type `{_quote(t.name)}` has no shape")
        _, shape, by_reference = t.definition
        s = self._all(_Stream().tag("type").str(t.name).u32(t.version), t.params, False)
        children = _Children(deep, set(by_reference))
        kind = shape[0]
        s.tag(f"shape.{kind}")
        if kind == "struct":
            self._fields(s, shape[1], children)
        elif kind == "tagged_struct":
            self._fields(s.str(shape[1]).str(shape[2]), shape[3], children)
        elif kind == "transparent":
            s.u64(self._child(shape[1], children))
        else:
            repr_, variants = shape[1], shape[2]
            s.tag(f"repr.{repr_[0]}")
            for text in repr_[1:]:
                s.str(text)
            s.u32(len(variants))
            for v in variants:
                s.str(v.name).append(int(v.untagged))
                self._fields(s, v.fields, children)
        unused = [i for i in children.by_reference if i >= children.next]
        if unused:
            raise KimeraError(
                f"invalid schema document: `{_quote(t.name)}` marks child {max(unused)} as hashed "
                f"by reference, and has {children.next} children"
            )
        return _fnv(s)

    def _fields(self, s: _Stream, fields: tuple, children: "_Children") -> None:
        kind = fields[0]
        s.tag(f"fields.{kind}")
        if kind == "newtype":
            s.u64(self._child(fields[1], children))
        elif kind == "tuple":
            s.u32(len(fields[1]))
            for item in fields[1]:
                s.u64(self._child(item, children))
        elif kind == "named":
            s.u32(len(fields[1]))
            for f in fields[1]:
                child = self._child(f.schema, children)
                s.str(f.name).u64(child).append(f.default | f.flatten << 1 | f.skip_if << 2)

    def _child(self, node: tuple, children: "_Children") -> int:
        index = children.next
        children.next += 1
        return self.node(node, children.deep and index not in children.by_reference)

    def _all(self, s: _Stream, items: list, deep: bool) -> _Stream:
        s.u32(len(items))
        for item in items:
            s.u64(self.node(item, deep))
        return s


class _Children:
    """The children of one shape, numbered as ``by_reference`` numbers them."""

    def __init__(self, deep: bool, by_reference: set[int]):
        self.deep = deep
        self.by_reference = by_reference
        self.next = 0


_TYPE_NAMES = {"date_time": "datetime", "date_time_utc": "datetime_utc",
               "date_time_offset": "datetime_offset", "time_delta": "timedelta"}  # fmt: skip


def type_name(doc: Document, node: tuple | None = None) -> str:
    """The name envelopes carry for ``node`` (the root by default): ``list<shop.Order>``."""
    out: list[str] = []
    _write_name(doc, doc.root if node is None else node, out, [0], 0)
    return "".join(out)


def _write_name(doc: Document, node: tuple, out: list[str], size: list[int], depth: int) -> None:
    # Past the longest name an envelope may carry the name can match none: stop, as Rust does,
    # so that a forged document's repeated arguments cost no time.
    if depth > MAX_SCHEMA_DEPTH or size[0] > MAX_NAME_LEN:
        out.append("…")
        return

    def put(text: str) -> None:
        out.append(text)
        size[0] += len(text)

    def args(name: str, items: list) -> None:
        put(name)
        if items:
            put("<")
            for i, item in enumerate(items):
                put("," if i else "")
                _write_name(doc, item, out, size, depth + 1)
            put(">")

    kind = node[0]
    if kind in ("compact", "option", "list", "set"):
        args(kind, [node[1]])
    elif kind == "map":
        args("map", [node[1], node[2]])
    elif kind == "tuple":
        args("tuple", node[1])
    elif kind == "array":
        put("array<")
        _write_name(doc, node[1], out, size, depth + 1)
        put(f",{node[2]}>")
    elif kind in ("named", "type"):
        t = _named_type(doc, node)
        put("?") if t is None else args(t.name, t.params)
    elif kind in ("foreign", "opaque"):
        put(node[1])
    else:
        put(_TYPE_NAMES.get(kind, kind))


def _named_type(doc: Document, node: tuple) -> Type | None:
    if node[0] == "type":
        return node[1]
    return doc.types[node[1]] if node[1] < len(doc.types) else None


def origins(doc: Document) -> str | None:
    """The origins of the default-named types in the root's type name, joined by commas as JSON
    envelopes carry them; None if there are none."""
    out: list[str] = []
    _write_origins(doc, doc.root, out, 0)
    return ",".join(out) if out else None


def _write_origins(doc: Document, node: tuple, out: list[str], depth: int) -> None:
    # A name of at most MAX_NAME_LEN bytes holds fewer origins: a forged document stops here.
    if depth > MAX_SCHEMA_DEPTH or len(out) > MAX_NAME_LEN:
        return
    kind = node[0]
    items: list = []
    if kind in ("named", "type"):
        t = _named_type(doc, node)
        if t is not None:
            if t.origin is not None:
                out.append(t.origin)
            items = t.params
    elif kind in ("compact", "option", "list", "set", "array"):
        items = [node[1]]
    elif kind == "map":
        items = [node[1], node[2]]
    elif kind == "tuple":
        items = node[1]
    for item in items:
        _write_origins(doc, item, out, depth + 1)


def origin_hash(origins_text: str) -> int:
    """The 32-bit origin a binary envelope carries for JSON's comma-separated ``origin``."""
    s = _Stream()
    for origin in origins_text.split(","):
        s.str(origin)
    return _fnv(s) & 0xFFFFFFFF


def _root_version(doc: Document) -> int:
    t = _named_type(doc, doc.root) if doc.root[0] in ("named", "type") else None
    return 1 if t is None else t.version


# ----------------------------------------------------------------------------------------------
# Where writers' schemas come from


class Schemas:
    """Schema documents by fingerprint: a schema history file's, or added one by one.

    For a binary envelope that carries no schema, :meth:`find` also builds the schema of a type
    name made of built-in families (``list<u8>``, ``map<str,tuple<uuid,f64>>``) over the named
    types it holds, and keeps it only if its fingerprint is the envelope's.
    """

    def __init__(self) -> None:
        self._by_fingerprint: dict[int, Document] = {}
        self._by_name: dict[str, list[Document]] = {}

    def add(self, doc: Document, expected: int | None = None) -> int:
        """Adds ``doc``; returns its fingerprint, which must be ``expected`` if given."""
        found = fingerprint(doc)
        if expected is not None and found != expected:
            raise KimeraError(
                f"the schema of `{_quote(type_name(doc))}` has fingerprint {found:016x}, and is "
                f"recorded as {expected:016x}"
            )
        if found not in self._by_fingerprint:
            self._by_fingerprint[found] = doc
            self._by_name.setdefault(type_name(doc), []).append(doc)
        return found

    @classmethod
    def from_history(cls, text: str | bytes) -> "Schemas":
        """The schemas a schema history file (``kimera-schemas.json``) records, each checked
        against the fingerprint recorded with it."""
        try:
            history = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise KimeraError(f"the schema history is not JSON ({err})") from None
        if not isinstance(history, dict) or set(history) != {"kimera_schema_history", "types"}:
            raise KimeraError("not a schema history: expected the keys kimera_schema_history and types")
        if history["kimera_schema_history"] != 1:
            layout = history["kimera_schema_history"]
            raise KimeraError(f"schema history layout {layout!r}; this reader reads 1")
        entries = history["types"]
        if not isinstance(entries, list):
            raise KimeraError("schema history: `types` is not an array")
        schemas = cls()
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or set(entry) != {"name", "version", "fingerprint", "schema"}:
                raise KimeraError(
                    f"schema history entry {i}: expected the keys name, version, fingerprint, schema"
                )
            recorded = entry["fingerprint"]
            if not (isinstance(recorded, str) and re.fullmatch("[0-9a-f]{16}", recorded)):
                raise KimeraError(f"schema history entry {i}: the fingerprint is not 16 hexadecimal digits")
            doc = document_from_json(entry["schema"])
            if (type_name(doc), _root_version(doc)) != (entry["name"], entry["version"]):
                name = _quote(str(entry["name"]))
                raise KimeraError(f"schema history entry {i}: its schema is not of `{name}`")
            schemas.add(doc, int(recorded, 16))
        return schemas

    def by_fingerprint(self, fp: int) -> Document | None:
        return self._by_fingerprint.get(fp)

    def named(self, name: str) -> list[Document]:
        """The schemas of the type named ``name`` (``ev.Line``), one per recorded shape."""
        return self._by_name.get(name, [])

    def find(self, name: str, fp: int) -> Document | None:
        """The writer's schema of an envelope of type ``name`` and fingerprint ``fp``."""
        doc = self.by_fingerprint(fp)
        if doc is not None:
            return doc
        try:
            tree = _parse_name(name)
        except KimeraError:
            return None
        for root, types in _alternatives(tree, self):
            doc = Document(root, types)
            try:
                if fingerprint(doc) == fp:
                    return doc
            except KimeraError:
                continue
        return None


_NO_SCHEMAS = Schemas()


class _Name(NamedTuple):
    head: str
    args: list["_Name"]
    text: str


def _parse_name(name: str) -> _Name:
    """A type name as a tree: ``map<str,list<u8>>`` is ``map`` of ``str`` and ``list<u8>``."""
    tree, end = _parse_name_at(name, 0, 0)
    if end != len(name):
        raise KimeraError(f"unexpected {name[end]!r} in type name")
    return tree


def _parse_name_at(name: str, pos: int, depth: int) -> tuple[_Name, int]:
    if depth > MAX_SCHEMA_DEPTH:
        raise KimeraError("type name nests too deeply")
    start = pos
    while pos < len(name) and name[pos] not in "<>,":
        pos += 1
    head, args = name[start:pos], []
    if pos < len(name) and name[pos] == "<":
        while True:
            arg, pos = _parse_name_at(name, pos + 1, depth + 1)
            args.append(arg)
            if pos >= len(name) or name[pos] not in ",>":
                raise KimeraError("unterminated type name")
            if name[pos] == ">":
                pos += 1
                break
    return _Name(head, args, name[start:pos]), pos


_MAX_ALTERNATIVES = 64


def _alternatives(tree: _Name, schemas: Schemas) -> list[tuple[tuple, list[Type]]]:
    """The schemas (root node, named types) a type name may stand for: one for built-in names,
    one per recorded schema of each named type it holds (at most 64 in all)."""
    head, args = tree.head, tree.args
    if not args and head in _NAME_LEAVES:
        return [(_NAME_LEAVES[head], [])]
    if head == "array" and len(args) == 2 and args[1].text.isdigit():
        length = int(args[1].text)
        return [(("array", root, length), types) for root, types in _alternatives(args[0], schemas)]
    arity = {"compact": 1, "option": 1, "list": 1, "set": 1, "map": 2}.get(head)
    if arity == len(args) or (head == "tuple" and args):
        combos: list[tuple[list, list[Type]]] = [([], [])]
        for arg in args:
            combos = [
                (nodes + [_shift(root, len(types))], types + [_shift_type(t, len(types)) for t in arg_types])
                for nodes, types in combos
                for root, arg_types in _alternatives(arg, schemas)
            ][:_MAX_ALTERNATIVES]
        if head == "tuple":
            return [(("tuple", nodes), types) for nodes, types in combos]
        return [((head, *nodes), types) for nodes, types in combos]
    return [(doc.root, doc.types) for doc in schemas.named(tree.text)]


def _shift(node: tuple, by: int) -> tuple:
    """``node`` with every named-type index moved ``by`` places (its types appended to others)."""
    if by == 0:
        return node
    kind = node[0]
    if kind == "named":
        return ("named", node[1] + by)
    if kind in ("compact", "option", "list", "set"):
        return (kind, _shift(node[1], by))
    if kind == "map":
        return ("map", _shift(node[1], by), _shift(node[2], by))
    if kind == "tuple":
        return ("tuple", [_shift(n, by) for n in node[1]])
    if kind == "array":
        return ("array", _shift(node[1], by), node[2])
    if kind == "type":
        return ("type", _shift_type(node[1], by))
    if kind == "foreign":
        return ("foreign", node[1], _shift(node[2], by), _shift(node[3], by))
    return node


def _shift_type(t: Type, by: int) -> Type:
    if by == 0:
        return t
    definition = t.definition
    if definition[0] == "schema":
        definition = ("schema", _shift(definition[1], by))
    else:
        definition = ("shape", _shift_shape(definition[1], by), definition[2])
    return t._replace(params=[_shift(n, by) for n in t.params], definition=definition)


def _shift_shape(shape: tuple, by: int) -> tuple:
    kind = shape[0]
    if kind == "struct":
        return ("struct", _shift_fields(shape[1], by))
    if kind == "tagged_struct":
        return (kind, shape[1], shape[2], _shift_fields(shape[3], by))
    if kind == "transparent":
        return (kind, _shift(shape[1], by))
    return (kind, shape[1], [v._replace(fields=_shift_fields(v.fields, by)) for v in shape[2]])


def _shift_fields(fields: tuple, by: int) -> tuple:
    kind = fields[0]
    if kind == "newtype":
        return (kind, _shift(fields[1], by))
    if kind == "tuple":
        return (kind, [_shift(n, by) for n in fields[1]])
    if kind == "named":
        return (kind, [f._replace(schema=_shift(f.schema, by)) for f in fields[1]])
    return fields


@functools.lru_cache(maxsize=256)
def _carried(raw: bytes) -> tuple[Document, int]:
    """A carried document and its fingerprint, computed once per distinct encoding: values
    written ``with_schema()`` one by one carry the same bytes again and again."""
    doc = decode_document(raw)
    return doc, fingerprint(doc)


# ----------------------------------------------------------------------------------------------
# Foreign types and other values whose JSON is not their bincode (docs/schema.md)

_STR = ("str",)
_IPV4 = ("foreign", "ipv4", _STR, ("array", ("u8",), 4))
_IPV6 = ("foreign", "ipv6", _STR, ("array", ("u8",), 16))
_SOCKET_V4 = ("foreign", "socket_addr_v4", _STR, ("tuple", [_IPV4, ("u16",)]))
_SOCKET_V6 = ("foreign", "socket_addr_v6", _STR, ("tuple", [_IPV6, ("u16",)]))


def _v4_or_v6(name: str, enum: str, v4: tuple, v6: tuple) -> tuple:
    variants = [Variant("V4", ("newtype", v4), False, []), Variant("V6", ("newtype", v6), False, [])]
    shape = ("enum", ("external",), variants)
    return ("foreign", name, _STR, ("type", Type(enum, 1, [], None, ("shape", shape, []))))


def _time_tuple(name: str, *items: str) -> tuple:
    return ("foreign", name, _STR, ("tuple", [(item,) for item in items]))


_FOREIGN_NODES = {
    node[1]: node
    for node in (
        _IPV4,
        _IPV6,
        _SOCKET_V4,
        _SOCKET_V6,
        _v4_or_v6("ip", "IpAddr", _IPV4, _IPV6),
        _v4_or_v6("socket_addr", "SocketAddr", _SOCKET_V4, _SOCKET_V6),
        ("foreign", "path", _STR, _STR),
        ("foreign", "url", _STR, _STR),
        ("foreign", "decimal", _STR, _STR),
        ("foreign", "uuid", _STR, ("bytes",)),
        _time_tuple("time.date", "i32", "u16"),
        _time_tuple("time.time", "u8", "u8", "u8", "u32"),
        _time_tuple("time.primitive_datetime", "i32", "u16", "u8", "u8", "u8", "u32"),
        _time_tuple("time.offset_datetime", "i32", "u16", "u8", "u8", "u8", "u32", "i8", "i8", "i8"),
        _time_tuple("time.duration", "i64", "i32"),
    )
}

_SYSTEM_TIME = Type(
    "system_time",
    1,
    [],
    None,
    (
        "shape",
        (
            "struct",
            (
                "named",
                [
                    Field("secs_since_epoch", ("u64",), False, False, False, []),
                    Field("nanos_since_epoch", ("u32",), False, False, False, []),
                ],
            ),
        ),
        [],
    ),
)

# What a type name's built-in parts stand for, for schemas built from names.
_NAME_LEAVES = {
    **{_TYPE_NAMES.get(n, n): (n,) for n in _LEAF_NODES if n != "any"},
    **_FOREIGN_NODES,
    "system_time": ("type", _SYSTEM_TIME),
}


def _ipv4_text(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _ipv6_text(raw: bytes) -> str:
    """An IPv6 address as Rust's ``Ipv6Addr`` Display writes it: RFC 5952 (lower-case, the
    longest run of two or more zero groups, the first of equal runs, as ``::``), except that an
    IPv4-mapped address is ``::ffff:a.b.c.d``."""
    groups = struct.unpack(">8H", raw)
    if groups[:6] == (0, 0, 0, 0, 0, 0xFFFF):
        return "::ffff:" + _ipv4_text(raw[12:])
    best, best_len, start, run = 0, 0, 0, 0
    for i, group in enumerate(groups):
        if group:
            run = 0
            continue
        if run == 0:
            start = i
        run += 1
        if run > best_len:
            best, best_len = start, run
    text = [f"{g:x}" for g in groups]
    if best_len < 2:
        return ":".join(text)
    return ":".join(text[:best]) + "::" + ":".join(text[best + best_len :])


def _v4_or_v6_of(cur: _Cursor, v4, v6) -> str:
    index = cur.uint(32, "address variant index")
    if index > 1:
        raise cur.fail(f"address variant index {index}, expected 0 (V4) or 1 (V6)")
    return (v6 if index else v4)(cur)


def _ipv4(cur: _Cursor) -> str:
    return _ipv4_text(cur.take(4, "IPv4 address"))


def _ipv6(cur: _Cursor) -> str:
    return _ipv6_text(cur.take(16, "IPv6 address"))


def _socket_v4(cur: _Cursor) -> str:
    ip = _ipv4(cur)
    return f"{ip}:{cur.uint(16, 'port')}"


def _socket_v6(cur: _Cursor) -> str:
    # Binary carries neither flow information nor scope id: Rust reads them as 0, and writes no
    # `%scope` for 0.
    ip = _ipv6(cur)
    return f"[{ip}]:{cur.uint(16, 'port')}"


def _uuid(cur: _Cursor) -> str:
    raw = cur.raw_string("uuid")
    if len(raw) != 16:
        raise cur.fail(f"a uuid of {len(raw)} bytes, expected 16")
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _time_date(cur: _Cursor) -> str:
    """``time::Date`` (year, day of the year) as time's serde text: ``2024-03-01``."""
    year, ordinal = cur.sint(32, "year"), cur.uint(16, "day of the year")
    if not -9999 <= year <= 9999 or not 1 <= ordinal <= 365 + _is_leap(year):
        raise cur.fail(f"no time::Date is year {year}, day {ordinal}")
    month_days = [31, 28 + _is_leap(year), 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    month, day = 1, ordinal
    while day > month_days[month - 1]:
        day -= month_days[month - 1]
        month += 1
    sign = "-" if year < 0 else ""
    return f"{sign}{abs(year):04}-{month:02}-{day:02}"


def _time_time(cur: _Cursor) -> str:
    """``time::Time`` (hour, minute, second, nanosecond): ``12:30:45.5``, at least one digit of
    fraction."""
    h, m, s = cur.u8("hour"), cur.u8("minute"), cur.u8("second")
    ns = cur.uint(32, "nanosecond")
    if h > 23 or m > 59 or s > 59 or ns > 999_999_999:
        raise cur.fail(f"no time::Time is {h}:{m}:{s} and {ns} ns")
    return f"{h:02}:{m:02}:{s:02}.{(f'{ns:09}'.rstrip('0') or '0')}"


def _time_primitive(cur: _Cursor) -> str:
    date = _time_date(cur)
    return f"{date} {_time_time(cur)}"


def _time_offset(cur: _Cursor) -> str:
    """``time::OffsetDateTime``: the local date and time, then the offset ``+01:00:00``; signs
    of the offset's parts are made to agree as ``UtcOffset::from_hms`` makes them."""
    local = _time_primitive(cur)
    h, m, s = cur.i8("offset hours"), cur.i8("offset minutes"), cur.i8("offset seconds")
    if not (-25 <= h <= 25 and -59 <= m <= 59 and -59 <= s <= 59):
        raise cur.fail(f"no time::UtcOffset is {h}:{m}:{s}")
    if (h > 0 > m) or (h < 0 < m):
        m = -m
    if (h > 0 > s) or (h < 0 < s) or (m > 0 > s) or (m < 0 < s):
        s = -s
    sign = "-" if h * 3600 + m * 60 + s < 0 else "+"
    return f"{local} {sign}{abs(h):02}:{abs(m):02}:{abs(s):02}"


def _time_duration(cur: _Cursor) -> str:
    """``time::Duration`` (seconds, nanoseconds) as time's text, ``-1.000000500``; mixed signs
    are normalized as ``Duration::new_ranged`` does."""
    secs, nanos = cur.sint(64, "seconds"), cur.sint(32, "nanoseconds")
    if not -999_999_999 <= nanos <= 999_999_999:
        raise cur.fail(f"no time::Duration has {nanos} nanoseconds")
    if secs > 0 > nanos:
        secs, nanos = secs - 1, nanos + 1_000_000_000
    elif secs < 0 < nanos:
        secs, nanos = secs + 1, nanos - 1_000_000_000
    sign = "-" if secs < 0 or nanos < 0 else ""
    return f"{sign}{abs(secs)}.{abs(nanos):09}"


def _text(cur: _Cursor) -> str:
    return cur.string("text")


_FOREIGN_READERS = {
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "ip": lambda cur: _v4_or_v6_of(cur, _ipv4, _ipv6),
    "socket_addr_v4": _socket_v4,
    "socket_addr_v6": _socket_v6,
    "socket_addr": lambda cur: _v4_or_v6_of(cur, _socket_v4, _socket_v6),
    "path": _text,
    "url": _text,
    "decimal": _text,
    "uuid": _uuid,
    "time.date": _time_date,
    "time.time": _time_time,
    "time.primitive_datetime": _time_primitive,
    "time.offset_datetime": _time_offset,
    "time.duration": _time_duration,
}


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


# chrono's dates: years -262143 to 262142.
_CHRONO_MIN_DAY = _days_from_civil(-262143, 1, 1)
_CHRONO_MAX_DAY = _days_from_civil(262142, 12, 31)
_TIMEDELTA_MAX = (9_223_372_036_854_775, 807_000_000)
_TIMEDELTA_MIN = (-9_223_372_036_854_776, 193_000_000)


def _chrono_time_ok(secs: int, nanos: int) -> bool:
    """``NaiveTime::from_num_seconds_from_midnight_opt``: a leap second only at :59."""
    return secs < 86_400 and nanos < 2_000_000_000 and (nanos < 1_000_000_000 or secs % 60 == 59)


def _chrono_timestamp_ok(secs: int, nanos: int) -> bool:
    """``DateTime::from_timestamp``."""
    return _CHRONO_MIN_DAY <= secs // 86_400 <= _CHRONO_MAX_DAY and _chrono_time_ok(secs % 86_400, nanos)


def _compact(cur: _Cursor, form: str) -> Any:
    """A ``kimera::compact`` chrono value: the same numbers in JSON, range-checked as Rust's
    reader checks them."""
    if form == "date":
        days = cur.sint(32, "days")
        if not _CHRONO_MIN_DAY <= days <= _CHRONO_MAX_DAY:
            raise cur.fail(f"{days} days since 1970-01-01 is outside chrono's range")
        return days
    if form == "time":
        secs, nanos = cur.uint(32, "seconds"), cur.uint(32, "nanoseconds")
        if not _chrono_time_ok(secs, nanos):
            raise cur.fail(f"no time of day is {secs} s, {nanos} ns")
        return [secs, nanos]
    if form in ("date_time", "date_time_utc", "date_time_offset"):
        secs, nanos = cur.sint(64, "seconds"), cur.uint(32, "nanoseconds")
        if not _chrono_timestamp_ok(secs, nanos):
            raise cur.fail(f"{secs} s, {nanos} ns is outside chrono's range")
        if form != "date_time_offset":
            return [secs, nanos]
        offset = cur.sint(32, "offset")
        if not -86_400 < offset < 86_400:
            raise cur.fail(f"a UTC offset of {offset} s, not less than a day")
        if not _CHRONO_MIN_DAY <= (secs + offset) // 86_400 <= _CHRONO_MAX_DAY:
            raise cur.fail(f"{secs} s at offset {offset} s is a local time outside chrono's range")
        return [secs, nanos, offset]
    raise cur.fail(f"a compact form of `{form}`, which is no chrono type")


def _duration(cur: _Cursor, secs_key: str, nanos_key: str, what: str) -> dict:
    """``Duration`` and ``SystemTime``: serde's struct, normalized as serde reads it (whole
    seconds of the nanoseconds carried over), refused where that overflows."""
    secs, nanos = cur.uint(64, "seconds"), cur.uint(32, "nanoseconds")
    secs, nanos = secs + nanos // 1_000_000_000, nanos % 1_000_000_000
    # A SystemTime is seconds in an i64 (timespec) on the platforms Kimera is tested on.
    limit = (1 << 63) - 1 if what == "SystemTime" else (1 << 64) - 1
    if secs > limit:
        raise cur.fail(f"overflow deserializing {what}")
    return {secs_key: secs, nanos_key: nanos}


# ----------------------------------------------------------------------------------------------
# Floats as serde_json writes them

def _cmp_scaled(digits: int, exp10: int, mant: int, exp2: int) -> int:
    """The sign of ``digits * 10**exp10 - mant * 2**exp2``, in exact integers."""
    a, b = digits, mant
    if exp10 >= 0:
        a *= 10**exp10
    else:
        b *= 10**-exp10
    if exp2 >= 0:
        b <<= exp2
    else:
        a <<= -exp2
    return (a > b) - (a < b)


def _shortest_f32(a: float) -> tuple[int, int]:
    """The shortest decimal (digits, exponent) that reads back as the positive finite f32 ``a``,
    the nearest one when several are as short, ties to even: what serde_json writes.

    An f32 is an exact f64, so ``%e`` rounds it correctly; whether a candidate reads back is
    decided exactly against the f32's rounding interval (a float() round trip through f64 would
    round twice)."""
    bits = struct.unpack("<I", struct.pack("<f", a))[0]
    frac, biased = bits & 0x7FFFFF, bits >> 23
    m, e = (frac, -149) if biased == 0 else (frac | 0x800000, biased - 150)
    high = (2 * m + 1, e - 1)
    # Below a power of two the next smaller f32 is half as far.
    low = (4 * m - 1, e - 2) if frac == 0 and biased > 1 else (2 * m - 1, e - 1)
    inclusive = m % 2 == 0  # a tie rounds to the even mantissa
    for precision in range(1, 10):
        mantissa, _, exponent = ("%.*e" % (precision - 1, a)).partition("e")
        nearest, exp10 = int(mantissa.replace(".", "")), int(exponent) - (precision - 1)
        # The nearest candidate first; a neighbour only matters next to a power of two, where the
        # interval is wider on one side.
        for digits in (nearest, nearest - 1, nearest + 1):
            above, below = _cmp_scaled(digits, exp10, *low), _cmp_scaled(digits, exp10, *high)
            if (above >= 0 and below <= 0) if inclusive else (above > 0 and below < 0):
                while digits % 10 == 0:
                    digits, exp10 = digits // 10, exp10 + 1
                return digits, exp10
    raise AssertionError(f"no 9-digit decimal reads back as {a!r}")


def _f32_json(x: float) -> float:
    """The float ``json.loads`` gives for serde_json's text of the f32 ``x``."""
    if x == 0:
        return x
    digits, exp10 = _shortest_f32(abs(x))
    return float(f"{'-' if x < 0 else ''}{digits}e{exp10}")


def _float_text(x: float, single: bool) -> str:
    """A float as serde_json (zmij) writes it, for map keys: shortest digits, positional for
    decimal exponents -5 to 15 (f32: -6 to 12), else ``1.5e+16``."""
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    if single:
        digits, exp10 = _shortest_f32(abs(x))
        text = str(digits)
    else:
        sign, digit_tuple, exp10 = Decimal(repr(abs(x))).normalize().as_tuple()
        text = "".join(map(str, digit_tuple))
    point = exp10 + len(text) - 1  # the exponent of the first digit
    low, high = (-6, 12) if single else (-5, 15)
    if low <= point <= high:
        if point >= len(text) - 1:
            body = text + "0" * (point - len(text) + 1) + ".0"
        elif point >= 0:
            body = f"{text[: point + 1]}.{text[point + 1 :]}"
        else:
            body = "0." + "0" * (-point - 1) + text
    else:
        fraction = f".{text[1:]}" if len(text) > 1 else ""
        body = f"{text[0]}{fraction}e{'+' if point >= 0 else '-'}{abs(point)}"
    return ("-" if x < 0 else "") + body


# ----------------------------------------------------------------------------------------------
# Bodies: bincode, walked with the writer's schema, to JSON-shaped values


class _Body:
    """One body read with its writer's schema, as ``kimera::inspect`` reads it: bounded in depth
    (128 levels) and in elements (one per byte, plus 2^20 for zero-sized ones)."""

    def __init__(self, doc: Document, body: bytes, base: int):
        self.doc = doc
        self.cur = _Cursor(body, base)
        self.budget = len(body) + ZERO_SIZE_ALLOWANCE
        # One entry per level entered: what the next child of that level is.
        self.path: list[tuple | None] = []
        self.targets: dict[int, tuple] = {}

    def read(self) -> Any:
        try:
            value = self.value(self.doc.root)
            if self.cur.left():
                raise self.cur.fail(f"{self.cur.left()} bytes follow the value")
        except KimeraError as err:
            if err.path is None:
                err.path = self.render_path()
            if err.offset is None:
                err.offset = self.cur.base + self.cur.pos
            raise
        return value

    def render_path(self) -> str:
        parts = [_segment_text(segment) for segment in self.path if segment is not None]
        if sum(map(len, parts)) > 160:  # a deep path: its ends say where
            parts = parts[:4] + [f"…{len(parts) - 8} levels…"] + parts[-4:]
        return "$" + "".join(parts)

    def fail(self, message: str) -> KimeraError:
        return self.cur.fail(message)

    def claim(self, count: int) -> int:
        if count > self.budget:
            raise self.fail(f"{count} elements claimed, more than the rest of the body can hold")
        self.budget -= count
        return count

    # Levels are entered without a `finally`: a failure leaves the path where it happened.
    def value(self, node: tuple) -> Any:
        self.path.append(None)
        if len(self.path) > MAX_VALUE_DEPTH:
            raise self.fail(f"the value nests deeper than the limit of {MAX_VALUE_DEPTH} levels")
        value = self.walk(self.target(node))
        self.path.pop()
        return value

    def target(self, node: tuple) -> tuple:
        hit = self.targets.get(id(node))
        if hit is None:
            hit = self.targets[id(node)] = _resolve(self.doc, node)
        return hit

    def walk(self, target: tuple) -> Any:
        return _READERS[target[0]](self, target)

    # -- containers

    def option(self, node: tuple) -> Any:
        tag = self.cur.u8("option tag")
        if tag > 1:
            raise self.fail(f"option tag {tag}, expected 0 or 1")
        if tag == 0:
            return None
        value = self.value(node[1])
        if value is None:
            raise self.fail(_NULL_IN_SOME)
        return value

    def items(self, item: tuple, count: int) -> list:
        top, out = len(self.path) - 1, []
        for i in range(count):
            self.path[top] = ("index", i)
            out.append(self.value(item))
        return out

    def sequence(self, node: tuple) -> list:
        return self.items(node[1], self.claim(self.cur.length("sequence length")))

    def array(self, node: tuple) -> list:
        return self.items(node[1], self.claim(node[2]))

    def tuple_(self, node: tuple) -> list:
        self.claim(len(node[1]))
        top, out = len(self.path) - 1, []
        for i, item in enumerate(node[1]):
            self.path[top] = ("index", i)
            out.append(self.value(item))
        return out

    def map(self, node: tuple) -> dict:
        count = self.claim(self.cur.length("map length"))
        top, out = len(self.path) - 1, {}
        for i in range(count):
            self.path[top] = ("key", i)
            key = self.key(node[1])
            self.path[top] = ("entry", key)
            # A key twice: serde_json writes both, json.loads keeps the first place, last value.
            out[key] = self.value(node[2])
        return out

    def key(self, node: tuple) -> str:
        """A map key as serde_json's key serializer writes it: strings, numbers as text, bools
        as ``true``/``false``, unit variants by name, newtypes and options by their content."""
        self.path.append(None)
        if len(self.path) > MAX_VALUE_DEPTH:
            raise self.fail(f"the value nests deeper than the limit of {MAX_VALUE_DEPTH} levels")
        target = self.target(node)
        kind = target[0]
        if kind in ("f32", "f64"):
            x = self.float_(target)
            key = _float_text(x, kind == "f32")
        elif kind == "option":
            tag = self.cur.u8("option tag")
            if tag != 1:
                raise self.fail(
                    f"option tag {tag}, expected 1: a map key that is None, which serde_json cannot write"
                    if tag == 0
                    else f"option tag {tag}, expected 0 or 1"
                )
            key = self.key(target[1])
        elif kind == "shaped" and target[2][0] == "struct" and target[2][1][0] == "newtype":
            key = self.key(target[2][1][1])
        else:
            value = self.walk(target)
            if isinstance(value, bool):
                key = "true" if value else "false"
            elif isinstance(value, (int, str)):
                key = str(value)
            else:
                raise self.fail(
                    f"a map key of kind `{kind}`: serde_json writes only strings and numbers as keys"
                )
        self.path.pop()
        return key

    # -- named types

    def shaped(self, target: tuple) -> Any:
        _, t, shape = target
        kind = shape[0]
        if kind == "struct":
            return self.fields(t, shape[1])
        if kind == "enum" and shape[1][0] == "external":
            return self.enum(t, shape[2])
        what = {
            "tagged_struct": "a struct with a serde tag",
            "enum": f"an enum of representation `{shape[1][0]}`",
        }
        raise self.fail(
            f"the writer's `{_quote(t.name)}` is {what[kind]}, which only self-describing formats "
            "can hold (Kimera's binary backend refuses such types)"
        )

    def fields(self, t: Type, fields: tuple) -> Any:
        kind = fields[0]
        if kind == "unit":
            return None
        if kind == "newtype":
            return self.value(fields[1])
        if kind == "tuple":
            return self.tuple_(fields)
        for f in fields[1]:
            if f.flatten or f.skip_if:
                raise self.fail(
                    f"the writer's field `{_quote(f.name)}` of `{_quote(t.name)}` is flattened or "
                    "skipped when empty, which binary bodies cannot hold"
                )
        top, out = len(self.path) - 1, {}
        for f in fields[1]:
            self.path[top] = ("field", f.name)
            out[f.name] = self.value(f.schema)
        return out

    def enum(self, t: Type, variants: list[Variant]) -> Any:
        index = self.cur.uint(32, "variant index")
        if index >= len(variants):
            raise self.fail(
                f"variant index {index}: the writer's `{_quote(t.name)}` has {len(variants)} variants"
            )
        variant = variants[index]
        if variant.untagged:
            raise self.fail(
                f"the writer's `{_quote(t.name)}` has an untagged variant, which binary bodies "
                "cannot hold"
            )
        if variant.fields[0] == "unit":
            return variant.name
        # `{"Variant": content}`; the content is a level of its own, as in Rust's walk.
        self.path[-1] = ("field", variant.name)
        self.path.append(None)
        content = self.fields(t, variant.fields)
        self.path.pop()
        return {variant.name: content}

    # -- leaves

    def float_(self, target: tuple) -> float:
        x = self.cur.f32("f32") if target[0] == "f32" else self.cur.f64("f64")
        if x != x or x in (float("inf"), float("-inf")):
            raise self.fail(_NON_FINITE)
        return x

    def foreign(self, node: tuple) -> str:
        _, name, readable, compact = node
        known = _FOREIGN_NODES.get(name)
        if known is None:
            raise self.fail(f"the foreign type `{_quote(name)}`, which this reader does not know")
        if (readable, compact) != known[2:]:
            raise self.fail(f"the foreign type `{_quote(name)}` with other shapes than this reader knows")
        return _FOREIGN_READERS[name](self.cur)

    def time_delta(self, node: tuple) -> list:
        """chrono's ``TimeDelta``: ``(seconds, nanoseconds)``, as ``TimeDelta::new`` accepts it."""
        secs, nanos = self.cur.sint(64, "seconds"), self.cur.sint(32, "nanoseconds")
        ok = 0 <= nanos < 1_000_000_000 and _TIMEDELTA_MIN <= (secs, nanos) <= _TIMEDELTA_MAX
        if not ok:
            raise self.fail(f"TimeDelta out of bounds: {secs} s, {nanos} ns")
        return [secs, nanos]

    def unreadable(self, node: tuple) -> Any:
        what = "`any` (serde_json::Value)" if node[0] == "any" else f"the opaque `{_quote(node[1])}`"
        raise self.fail(f"the writer's schema has {what}, which binary bodies cannot hold")


def _segment_text(segment: tuple) -> str:
    kind, what = segment
    if kind == "field":
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", what):
            return f".{what}"
        return f"[{json.dumps(_quote(what), ensure_ascii=False)}]"
    if kind == "index":
        return f"[{what}]"
    if kind == "key":
        return f"[key of entry {what}]"
    return f"[{json.dumps(_quote(what), ensure_ascii=False)}]"


def _resolve(doc: Document, node: tuple) -> tuple:
    """What ``node`` stands for once named types, schemas and transparent types are seen
    through: a leaf or container node, ``("shaped", type, shape)``, or ``("system_time",)``."""
    for _ in range(MAX_SCHEMA_DEPTH):
        kind = node[0]
        if kind == "named":
            if node[1] >= len(doc.types):
                raise KimeraError(f"the writer's schema has no type {node[1]}")
            t = doc.types[node[1]]
        elif kind == "type":
            t = node[1]
        else:
            return node
        if t == _SYSTEM_TIME:
            return ("system_time",)
        definition = t.definition
        if definition[0] == "schema":
            node = definition[1]
        elif definition[1][0] == "transparent":
            node = definition[1][1]
        else:
            return ("shaped", t, definition[1])
    raise KimeraError(
        f"the writer's schema passes through more than {MAX_SCHEMA_DEPTH} named types without a value"
    )


def _int_reader(kind: str):
    bits = int(kind[1:])
    if kind == "u8":
        return lambda body, node: body.cur.u8("u8")
    if kind == "i8":
        return lambda body, node: body.cur.i8("i8")
    if kind[0] == "u":
        return lambda body, node: body.cur.uint(bits, kind)
    return lambda body, node: body.cur.sint(bits, kind)


_INTS = ("i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128")
_READERS = {
    **{kind: _int_reader(kind) for kind in _INTS},
    "bool": lambda body, node: body.cur.bool("bool"),
    "f32": lambda body, node: _f32_json(body.float_(node)),
    "f64": _Body.float_,
    "char": lambda body, node: body.cur.char("char"),
    "str": lambda body, node: body.cur.string("string"),
    "unit": lambda body, node: None,
    "bytes": lambda body, node: list(body.cur.raw_string("bytes")),
    # chrono's text forms: the same string in both backends.
    **{kind: lambda body, node: body.cur.string("chrono text") for kind in
       ("date", "time", "date_time", "date_time_utc", "date_time_offset")},
    "time_delta": _Body.time_delta,
    "duration": lambda body, node: _duration(body.cur, "secs", "nanos", "Duration"),
    "system_time": lambda body, node: _duration(
        body.cur, "secs_since_epoch", "nanos_since_epoch", "SystemTime"
    ),
    "compact": lambda body, node: _compact(body.cur, node[1][0]),
    "option": _Body.option,
    "list": _Body.sequence,
    "set": _Body.sequence,
    "array": _Body.array,
    "tuple": _Body.tuple_,
    "map": _Body.map,
    "foreign": _Body.foreign,
    "shaped": _Body.shaped,
    "any": _Body.unreadable,
    "opaque": _Body.unreadable,
}  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Envelopes


@dataclass(frozen=True)
class Envelope:
    """One envelope: its header and, when decoded, its value.

    ``checksum`` is True when a binary envelope has a checksum trailer (always verified), False
    when it has none, None for JSON. ``fingerprint`` is binary only. ``origins`` is JSON's
    ``origin`` or, for binary, the writer's schema's; ``origin_hash`` the binary envelope's
    32-bit origin, or for JSON the hash of ``origins`` (the same number for the same types).
    ``schema`` is the writer's schema document the value was read with (binary).
    """

    backend: str
    type_name: str
    version: int
    fingerprint: int | None = None
    origin_hash: int | None = None
    origins: str | None = None
    checksum: bool | None = None
    carries_schema: bool = False
    schema: Document | None = None
    decoded: bool = False
    value: Any = None


class _Head(NamedTuple):
    type_name: str
    version: int
    fingerprint: int
    origin: int | None
    schema: bytes | None
    body: bytes
    body_offset: int
    checksum: bool
    fingerprint_offset: int
    schema_offset: int | None


def _parse_binary(data: bytes, require_checksum: bool) -> _Head:
    """The header, body and checksum state of the binary envelope filling ``data``, in the
    reading order of docs/wire-format.md."""
    cur = _Cursor(data)
    prefix = cur.take(3, "binary header")
    if prefix[:2] != MAGIC:
        found = prefix[:2].hex(" ")
        raise KimeraError(f"not a binary envelope: expected magic bytes 4b e5, found {found}", offset=0)
    wire, flags = prefix[2] >> 4, prefix[2] & 0x0F
    if wire != WIRE_VERSION:
        raise KimeraError(f"binary wire version {wire}; this reader reads {WIRE_VERSION}", offset=2)
    if flags & 0b1000:
        raise KimeraError(f"not a binary envelope: unknown flags {flags:#06b}", offset=2)
    if require_checksum and not flags & FLAG_CHECKSUM:
        raise KimeraError("the envelope has no checksum, and one is required", offset=2)
    name_len = cur.leb128("type name length")
    if name_len > MAX_NAME_LEN:
        raise cur.fail(f"not a binary envelope: a type name of {name_len} bytes (at most {MAX_NAME_LEN})")
    try:
        name = cur.take(name_len, "type name").decode("utf-8")
    except UnicodeDecodeError:
        raise cur.fail("not a binary envelope: the type name is not UTF-8") from None
    version = cur.leb128("version")
    if version >= 1 << 32:
        raise cur.fail(f"not a binary envelope: version {version} does not fit in 32 bits")
    fp_offset = cur.pos
    fp = int.from_bytes(cur.take(8, "fingerprint"), "little")
    origin = int.from_bytes(cur.take(4, "origin"), "little") if flags & FLAG_ORIGIN else None
    schema = schema_offset = None
    if flags & FLAG_SCHEMA:
        schema_len = _within_size(cur, cur.leb128("schema length"))
        schema_offset = cur.pos
        schema = cur.take(schema_len, "schema document")
    body_len = _within_size(cur, cur.leb128("body length"))
    body_offset = cur.pos
    body = cur.take(body_len, "binary body")
    if flags & FLAG_CHECKSUM:
        covered = cur.pos
        stored = int.from_bytes(cur.take(4, "checksum"), "little")
        computed = zlib.crc32(data[:covered])
        if stored != computed:
            raise KimeraError(
                f"checksum mismatch: the envelope says {stored:08x}, its bytes hash to {computed:08x}",
                offset=covered,
            )
    if cur.left():
        raise cur.fail(f"{cur.left()} bytes follow the envelope")
    checksum = bool(flags & FLAG_CHECKSUM)
    return _Head(name, version, fp, origin, schema, body, body_offset, checksum, fp_offset, schema_offset)


def _within_size(cur: _Cursor, n: int) -> int:
    if n > MAX_SIZE:
        raise cur.fail(f"a length of {n} bytes, beyond the limit of {MAX_SIZE}")
    return n


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SPACES = re.compile(rb"[ \t\r\n]*")


def _json_start(data: bytes, at: int = 0) -> int:
    """Where JSON's whitespace from ``at`` ends (without copying the bytes)."""
    return _SPACES.match(data, at).end()


def _parse_json(data: bytes) -> Envelope:
    """The JSON envelope filling ``data``: its keys as docs/wire-format.md lists them, each once,
    and nothing else."""
    # Where the object starts: what a key's error points at.
    start = _json_start(data)

    def fail(message: str, offset: int = start) -> KimeraError:
        return KimeraError(message, offset=offset)

    if len(data) > MAX_SIZE:
        raise fail(f"a JSON envelope of {len(data)} bytes, beyond the limit of {MAX_SIZE}")
    top_duplicates: list[bool] = [False]

    def pairs(items: list) -> dict:
        # The outermost object is built last: its verdict is the one left.
        obj = dict(items)
        top_duplicates[0] = len(obj) != len(items)
        return obj

    def constant(name: str):
        raise ValueError(f"{name} is not JSON")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise fail("not a JSON envelope: it is not UTF-8 text", err.start) from None
    try:
        obj = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as err:
        at = len(text[: err.pos].encode("utf-8"))
        raise fail(f"not a JSON envelope: {_quote(str(err), 200)}", at) from None
    except (ValueError, RecursionError) as err:
        raise fail(f"not a JSON envelope: {_quote(str(err), 200)}") from None
    if not isinstance(obj, dict):
        raise fail("not a JSON envelope: it is not a JSON object")
    if top_duplicates[0]:
        raise fail("not a JSON envelope: a key appears twice")
    unknown = set(obj) - {"kimera", "type", "version", "origin", "value"}
    if unknown:
        raise fail(f"not a JSON envelope: unknown key `{_quote(sorted(unknown)[0], 40)}`")
    for key in ("kimera", "type", "version", "value"):
        if key not in obj:
            raise fail(f"not a JSON envelope: missing key `{key}`")
    wire, name, version, origin = obj["kimera"], obj["type"], obj["version"], obj.get("origin")
    if not _is_u32(wire):
        raise fail("not a JSON envelope: `kimera` is not a wire version number")
    if wire != WIRE_VERSION:
        raise fail(f"JSON wire version {wire}; this reader reads {WIRE_VERSION}")
    if not isinstance(name, str) or not _is_u32(version) or not isinstance(origin, (str, type(None))):
        raise fail("not a JSON envelope: `type` and `origin` must be strings, `version` a u32")
    if "origin" in obj and origin is None:
        raise fail("not a JSON envelope: `origin` must be a string")
    if _SURROGATE_ESCAPE.search(data):
        try:
            _refuse_lone_surrogates(obj["value"])
        except KimeraError as err:
            raise fail(err.message) from None
    return Envelope(
        "json",
        name,
        version,
        origin_hash=None if origin is None else origin_hash(origin),
        origins=origin,
        decoded=True,
        value=obj["value"],
    )


def _is_u32(n: Any) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 1 << 32


def _refuse_lone_surrogates(value: Any) -> None:
    """serde_json refuses ``\\ud800`` alone, which json.loads accepts."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise KimeraError("not a JSON envelope: a string holds a lone surrogate escape") from None


def read_envelope(
    data: bytes,
    schemas: Schemas | None = None,
    *,
    decode: bool = True,
    require_checksum: bool = False,
) -> Envelope:
    """The envelope filling ``data``, binary or JSON.

    A binary body is decoded with the writer's schema: the one the envelope carries (verified
    against its fingerprint), else one of ``schemas`` with its fingerprint, else one built from
    its type name (built-in types, and named types ``schemas`` records). ``decode=False`` reads
    the header only. Raises :class:`KimeraError`, its offset counted from the start of
    ``data`` ("the envelope").
    """
    try:
        return _read_envelope(data, schemas, decode, require_checksum, None)
    except KimeraError as err:
        raise _placed(err, 0, "the envelope") from None


def _read_envelope(data, schemas, decode, require_checksum, stream, head=None) -> Envelope:
    """``read_envelope``, its errors' offsets counted from the start of ``data``; ``head`` is
    the binary envelope's ``_parse_binary``, if done."""
    if data[:2] == MAGIC:
        return _read_binary(data, schemas or _NO_SCHEMAS, decode, require_checksum, stream, head)
    at = _json_start(data)
    if data[at : at + 1] == b"{":
        return _parse_json(data)
    raise KimeraError(
        "not an envelope: the bytes start like neither a binary envelope (4b e5) nor a JSON one ({)",
        offset=0,
    )


@_deep
def _read_binary(data, schemas: Schemas, decode: bool, require_checksum: bool, stream, head=None) -> Envelope:
    if head is None:
        head = _parse_binary(data, require_checksum)
    doc = _writer_schema(head, schemas, stream)
    envelope = Envelope(
        "binary",
        head.type_name,
        head.version,
        fingerprint=head.fingerprint,
        origin_hash=head.origin,
        origins=None if doc is None else origins(doc),
        checksum=head.checksum,
        carries_schema=head.schema is not None,
        schema=doc,
    )
    if not decode:
        return envelope
    described = f"`{_quote(head.type_name)}` v{head.version} (fingerprint {head.fingerprint:016x})"
    if doc is None:
        raise KimeraError(
            f"the writer's schema of this {described} envelope is not known: it carries none and no "
            "schema given has its fingerprint; give the schema history file (kimera-schemas.json) "
            "that records it",
            offset=head.fingerprint_offset,
        )
    if type_name(doc) != head.type_name:
        raise KimeraError(
            f"the schema given for this {described} envelope describes `{_quote(type_name(doc))}`",
            offset=head.fingerprint_offset,
        )
    doc_origins = origins(doc)
    if (None if doc_origins is None else origin_hash(doc_origins)) != head.origin:
        raise KimeraError(
            f"the schema given for this {described} envelope has types defined elsewhere (their "
            "origins differ)",
            offset=head.fingerprint_offset,
        )
    value = _Body(doc, head.body, head.body_offset).read()
    return replace(envelope, decoded=True, value=value)


def _writer_schema(head: _Head, schemas: Schemas, stream: dict | None) -> Document | None:
    if head.schema is not None:
        try:
            doc, found = _carried(head.schema)
        except KimeraError as err:
            # Where in the envelope: the document's offsets count from the document's start.
            err.offset = head.schema_offset + (err.offset or 0)
            raise
        if found != head.fingerprint:
            raise KimeraError(
                f"the schema this `{_quote(head.type_name)}` envelope carries describes schema "
                f"{found:016x}, and the envelope says {head.fingerprint:016x}",
                offset=head.fingerprint_offset,
            )
        if stream is not None:
            stream.remember(found, doc, len(head.schema))
        return doc
    if stream is not None and head.fingerprint in stream.docs:
        return stream.docs[head.fingerprint]
    return schemas.find(head.type_name, head.fingerprint)


# ----------------------------------------------------------------------------------------------
# Frame streams and snapshot files


class _StreamSchemas:
    """The schemas one frame stream carried, by fingerprint, bounded as Rust's readers bound
    them (1024 schemas, 8 MiB encoded)."""

    def __init__(self) -> None:
        self.docs: dict[int, Document] = {}
        self.size = 0

    def remember(self, fp: int, doc: Document, size: int) -> None:
        full = len(self.docs) >= MAX_STREAM_SCHEMAS or self.size + size > MAX_STREAM_SCHEMA_BYTES
        if fp in self.docs or full:
            return
        self.docs[fp] = doc
        self.size += size


class Frame(NamedTuple):
    """One frame of a stream: where it starts, and its envelope or why it could not be read."""

    offset: int
    envelope: Envelope | None
    error: KimeraError | None


def read_frames(
    data: bytes, schemas: Schemas | None = None, *, max_frame_len: int = MAX_FRAME_LEN
) -> Iterator[Frame]:
    """The frames of a stream (a ``u32`` LE length, then one envelope, repeated), as Rust's
    ``FrameReader`` reads them: a frame that does not decode gives its error and the next one
    reads; a frame longer than ``max_frame_len`` is skipped; a stream cut inside a frame ends
    with a truncation error. Schemas carried by earlier frames serve the later ones.

    An error's ``label`` is its frame, ``frame 3 (at byte 1042 of the stream)`` (numbered from
    1, at the byte its length prefix starts), and its ``offset`` counts from the start of the
    stream too."""
    stream = _StreamSchemas()
    pos = number = 0
    while pos < len(data):
        number += 1
        if len(data) - pos < 4:
            cut = KimeraError("truncated: the stream ends inside a frame's length prefix", offset=0)
            yield Frame(pos, None, _in_frame(cut, number, pos, pos))
            return
        n = int.from_bytes(data[pos : pos + 4], "little")
        start, end = pos + 4, pos + 4 + n
        if n > max_frame_len:
            too_long = KimeraError(f"a frame of {n} bytes, beyond the limit of {max_frame_len}", offset=0)
            yield Frame(pos, None, _in_frame(too_long, number, pos, pos))
        if end > len(data):
            cut = KimeraError(f"truncated: a frame of {n} bytes, {len(data) - start} are left", offset=0)
            yield Frame(pos, None, _in_frame(cut, number, pos, pos))
            return
        if n <= max_frame_len:
            try:
                envelope = _read_envelope(data[start:end], schemas, True, False, stream)
            except KimeraError as err:
                yield Frame(pos, None, _in_frame(err, number, pos, start))
            else:
                yield Frame(pos, envelope, None)
        pos = end


def _in_frame(err: KimeraError, number: int, pos: int, base: int) -> KimeraError:
    """``err``, raised reading the bytes at ``base`` of frame ``number`` (which starts at
    ``pos``), placed in the stream."""
    _placed(err, base, "the stream")
    err.label = f"frame {number} (at byte {pos} of the stream)"
    err._label_offset = pos
    return err


class Snapshot(NamedTuple):
    """A snapshot file: its generation and its envelope."""

    generation: int
    envelope: Envelope


_SNAPSHOT_NAME = re.compile(r"snapshot-(\d{20})\.kimera")


def read_snapshot(data: bytes, schemas: Schemas | None = None, *, generation: int | None = None) -> Snapshot:
    """The snapshot file ``data`` (docs/wire-format.md, "Snapshot files"), checked in the order
    Rust checks it: a whole header, the magic, the file format version, the announced length,
    the CRC, and the generation ``generation`` if given (the one its name says). Errors' offsets
    count from the start of the file ("the snapshot file")."""
    try:
        return _read_snapshot(data, schemas, generation)
    except KimeraError as err:
        raise _placed(err, 0, "the snapshot file") from None


def _read_snapshot(data: bytes, schemas: Schemas | None, generation: int | None) -> Snapshot:
    if len(data) < 21:
        raise KimeraError(
            f"corrupt snapshot file: {len(data)} bytes, shorter than the 21-byte header", offset=0
        )
    if data[:4] != SNAPSHOT_MAGIC:
        found = data[:4].hex(" ")
        raise KimeraError(f"corrupt snapshot file: expected magic bytes 4b 53 4e 50, found {found}", offset=0)
    stored = int.from_bytes(data[-4:], "little") if len(data) >= 25 else None
    computed = zlib.crc32(data[:-4])
    if data[4] > 1 and stored == computed:
        raise KimeraError(f"snapshot file format version {data[4]}, newer than this reader's (1)", offset=4)
    if data[4] != 1:
        raise KimeraError(f"corrupt snapshot file: unknown file format version {data[4]}", offset=4)
    written, length = int.from_bytes(data[5:13], "little"), int.from_bytes(data[13:21], "little")
    if length != len(data) - 25:
        # kimera-snapshot/src/file.rs's words.
        needed, held = length + 4, len(data) - 21
        if held < needed:
            verdict = f"{needed - held} bytes short (torn or truncated)"
        else:
            verdict = f"{held - needed} bytes too long"
        raise KimeraError(
            f"corrupt snapshot file: the header announces a {length}-byte envelope and its 4-byte "
            f"checksum, and the file holds {held} bytes after the header: it is {verdict}",
            offset=13,
        )
    if stored != computed:
        raise KimeraError(
            f"corrupt snapshot file: checksum mismatch: the file says {stored:08x}, its bytes hash "
            f"to {computed:08x}",
            offset=len(data) - 4,
        )
    if generation is not None and written != generation:
        raise KimeraError(
            f"corrupt snapshot file: it holds generation {written}, its name says {generation}", offset=5
        )
    try:
        envelope = _read_envelope(data[21:-4], schemas, True, False, None)
    except KimeraError as err:
        raise _placed(err, 21, "the snapshot file")
    return Snapshot(written, envelope)


class SnapshotFile(NamedTuple):
    """One file of a snapshot directory: its name, and its snapshot or why it is not read."""

    name: str
    snapshot: Snapshot | None
    error: KimeraError | None


def read_snapshot_dir(path: str | os.PathLike, schemas: Schemas | None = None) -> Iterator[SnapshotFile]:
    """The snapshot files of a store's directory, as Rust's ``kimera`` command reads one
    (kimera-cli/src/input.rs): every regular file named ``snapshot-….kimera``, in the order of
    their names (``snapshot-<20 digits>.kimera``: the generations'), each checked against the
    generation its name says; the files the store set aside (``….kimera.corrupt``,
    ``.corrupt-2`` …) are reported as damaged, not read. Other files (the lock file, ``.tmp``
    files of saves under way) are not snapshots. Errors are labelled with the file's name, their
    offsets counting from its start ("the file"). Raises ``OSError`` if a file cannot be read."""
    names = []
    with os.scandir(path) as entries:
        for entry in entries:
            name = entry.name
            snapshot = name.endswith(".kimera") or ".kimera.corrupt" in name
            if name.startswith("snapshot-") and snapshot and entry.is_file(follow_symlinks=False):
                names.append(name)
    for name in sorted(names):
        if ".kimera.corrupt" in name:
            yield SnapshotFile(name, None, _labelled(KimeraError("set aside as corrupt by the store"), name))
            continue
        with open(os.path.join(path, name), "rb") as f:
            data = f.read()
        match = _SNAPSHOT_NAME.fullmatch(name)
        try:
            snapshot = _read_snapshot(data, schemas, int(match.group(1)) if match else None)
        except KimeraError as err:
            yield SnapshotFile(name, None, _labelled(_placed(err, 0, "the file"), name))
        else:
            yield SnapshotFile(name, snapshot, None)


def _labelled(err: KimeraError, label: str) -> KimeraError:
    err.label = label
    return err


def read_bytes(data: bytes, schemas: Schemas | None = None, name: str | None = None) -> Iterator[Frame]:
    """Every value a file's bytes hold, whatever it is: a snapshot file (named ``name``), one
    envelope of either backend, or a frame stream; an empty file or one of none of these is an
    error. Errors of a snapshot file or an envelope count their offsets from the file's start
    ("the file"); a stream's frames are :func:`read_frames`'.

    What the bytes are is found as Rust's ``kimera`` command finds it (kimera-cli/src/input.rs:
    ``KSNP`` is a snapshot file; a stream's first frame starts after 4 bytes of length with
    ``4b e5`` or ``{``; an envelope starts so itself), made sure of where both could be, for a
    length prefix may look like an envelope's start (a first frame of 123 bytes starts
    ``7b 00 00 00``, ``{``; one of 58699 bytes ``4b e5 00 00``): bytes that are one whole
    envelope are one; else bytes whose length prefixes tile them exactly, or whose first frame
    is whole and starts as an envelope this reader reads while the bytes themselves do not, are
    a stream; else the error is the envelope's."""
    try:
        kind, head = _kind_of(data)
        if kind == "snapshot":
            match = _SNAPSHOT_NAME.fullmatch(name or "")
            envelope = _read_snapshot(data, schemas, int(match.group(1)) if match else None).envelope
        elif kind == "envelope":
            envelope = head
            if not isinstance(head, Envelope):  # a binary envelope's header, read
                envelope = _read_envelope(data, schemas, True, False, None, head)
    except KimeraError as err:
        yield Frame(0, None, _placed(err, 0, "the file"))
        return
    if kind == "frames":
        yield from read_frames(data, schemas)
    else:
        yield Frame(0, envelope, None)


def _envelope_start(data: bytes) -> bool:
    """The test of kimera-cli/src/input.rs: ``4b e5``, or ``{``."""
    return data[:2] == MAGIC or data[:1] == b"{"


def _readable_start(data: bytes) -> bool:
    """Whether ``data`` starts as an envelope this reader reads does: the magic, then a byte of
    wire version 1 and known flags; or ``{``, then a key (or ``}``)."""
    if data[:2] == MAGIC:
        return len(data) > 2 and data[2] >> 4 == WIRE_VERSION and not data[2] & 0b1000
    at = _json_start(data)
    if data[at : at + 1] != b"{":
        return False
    at = _json_start(data, at + 1)
    return data[at : at + 1] in (b'"', b"}")


def _frames_fit(data: bytes) -> int:
    """How well bytes whose first frame starts like an envelope read as a frame stream: 3 when
    their length prefixes tile them exactly, 2 when the first frame is whole and starts as an
    envelope this reader reads, else 1."""
    n = int.from_bytes(data[:4], "little")
    pos = 4 + n
    while pos + 4 <= len(data):
        pos += 4 + int.from_bytes(data[pos : pos + 4], "little")
    if pos == len(data):
        return 3
    return 2 if 4 + n <= len(data) and _readable_start(data[4 : 4 + n]) else 1


def _kind_of(data: bytes) -> tuple[str, Any]:
    """``("snapshot", None)``, ``("frames", None)`` or ``("envelope", parsed)`` (a binary
    envelope's ``_Head``, a JSON one's ``Envelope``), as :func:`read_bytes` says; raises the
    error of the most plausible reading when none fits."""
    if not data:
        # What a writer never leaves, but for a stream of no frames: rather a file that lost its
        # content, which must not pass for a good one (as in Rust).
        raise KimeraError("empty: it holds no envelope, frame or snapshot")
    if data[:4] == SNAPSHOT_MAGIC:  # as a prefix, a frame beyond any limit
        return "snapshot", None
    framed = len(data) > 4 and _envelope_start(data[4:])
    at = _json_start(data)
    if not (data[:2] == MAGIC or data[at : at + 1] == b"{"):
        if framed:
            return "frames", None
        raise KimeraError(
            f"not Kimera data: it starts with {data[:6].hex(' ')}, the start of neither an envelope "
            "(4b e5, or { for JSON), a snapshot file (KSNP) nor a frame stream (a 4-byte length, "
            "then an envelope)"
        )
    try:
        return "envelope", _parse_binary(data, False) if data[:2] == MAGIC else _parse_json(data)
    except KimeraError:
        # A stream that fits better than the envelope: one whose prefixes tile it, or whose
        # first frame is whole and readable while the envelope does not even start as one
        # this reader reads. On a tie, the stream, as in Rust.
        if framed and _frames_fit(data) >= (2 if _readable_start(data) else 1):
            return "frames", None
        raise


def _read_path(path: str, schemas: Schemas | None) -> Iterator[tuple[Envelope | None, KimeraError | None]]:
    """The values of the command line's FILE: a file, or a snapshot directory."""
    if os.path.isdir(path):
        found = False
        for entry in read_snapshot_dir(path, schemas):
            found = True
            yield (entry.snapshot and entry.snapshot.envelope), entry.error
        if not found:
            yield None, KimeraError(
                "a directory holding no snapshot file (snapshot-<generation>.kimera), nor any set "
                "aside as corrupt (snapshot-<generation>.kimera.corrupt)"
            )
        return
    with open(path, "rb") as f:
        data = f.read()
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    for frame in read_bytes(data, schemas, name):
        yield frame.envelope, frame.error


def main(argv: list[str] | None = None) -> int:
    """The command line: each value of FILE as one line of JSON, errors on stderr."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "file",
        help="a binary or JSON envelope, a frame stream, a snapshot file, or a snapshot directory "
        "(each snapshot-<generation>.kimera in generation order)",
    )
    parser.add_argument("--schemas", help="a schema history file (kimera-schemas.json)")
    args = parser.parse_args(argv)
    failed = False
    try:
        schemas = None
        if args.schemas:
            with open(args.schemas, "rb") as f:
                schemas = Schemas.from_history(f.read())
        for envelope, error in _read_path(args.file, schemas):
            if error is not None:
                failed = True
                print(f"kimera_reader: {args.file}: {error}", file=sys.stderr)
            else:
                print(json.dumps(envelope.value, ensure_ascii=False, separators=(",", ":")))
    except (OSError, KimeraError) as err:
        print(f"kimera_reader: {err}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
