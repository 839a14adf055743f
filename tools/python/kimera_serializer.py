#!/usr/bin/env python3
"""The JSON format of the Python Kimera library (``KimeraSerializer``), ported to the standard
library so that tests can write and read exactly what that library does without installing it.

The library is not a dependency the project can install; this port is pinned to it by the
vectors it produced (``tests/python/vectors.jsonl``): :func:`check_vectors` encodes every
vector's value and requires the vector's wire text byte for byte, and reads every wire text
back as the value. ``python3 kimera_serializer.py tests/python/vectors.jsonl`` runs it.

A value is ``json.dumps({"data": ..., "serializer": "<Handler>"})`` with ``json``'s default
settings; lists, tuples and dicts hold each element's complete wire text as a string. Dates
use ``strftime``, as the library does, so its defect is kept: a year below 1000 is written
without padding (``9641210`` for 964-12-10), which Kimera's Rust side refuses to guess at.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from typing import Any

DEFAULT = "DefaultSerializerHandler"
LIST = "ListSerializerHandler"
TUPLE = "TupleSerializerHandler"
DICT = "DictSerializerHandler"
DATETIME = "DateTimeSerializerHandler"
DATE = "DateSerializerHandler"

DATETIME_FORMAT = "%Y%m%d %H:%M:%S.%f"
DATE_FORMAT = "%Y%m%d"


def dumps(value: Any) -> str:
    """The library's wire text of ``value``."""
    return json.dumps({"data": _data(value), "serializer": _handler(value)})


def _handler(value: Any) -> str:
    # datetime before date, bool and int alike: the subclasses first, as the library checks.
    if isinstance(value, _dt.datetime):
        return DATETIME
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, list):
        return LIST
    if isinstance(value, tuple):
        return TUPLE
    if isinstance(value, dict):
        return DICT
    if value is None or isinstance(value, (bool, int, float, str)):
        return DEFAULT
    raise TypeError(f"the Kimera JSON format has no handler for {type(value).__name__}")


def _data(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, _dt.date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, (list, tuple)):
        return [dumps(item) for item in value]
    if isinstance(value, dict):
        return {key: dumps(item) for key, item in value.items()}
    return value


def loads(text: str | bytes) -> Any:
    """The value of the library's wire text; ``ValueError`` if it is not one."""
    obj = json.loads(text)
    if not isinstance(obj, dict) or set(obj) != {"data", "serializer"}:
        raise ValueError(f"expected an object with `data` and `serializer`, found {obj!r:.80}")
    data, handler = obj["data"], obj["serializer"]
    if handler == DEFAULT and (data is None or isinstance(data, (bool, int, float, str))):
        return data
    if handler in (LIST, TUPLE) and isinstance(data, list):
        items = [loads(item) for item in data]
        return items if handler == LIST else tuple(items)
    if handler == DICT and isinstance(data, dict):
        return {key: loads(item) for key, item in data.items()}
    if handler == DATETIME and isinstance(data, str):
        return _dt.datetime.strptime(data, DATETIME_FORMAT)
    if handler == DATE and isinstance(data, str):
        return _dt.datetime.strptime(data, DATE_FORMAT).date()
    raise ValueError(f"`{handler:.80}` cannot hold {type(data).__name__} as its data")


def described(desc: dict) -> Any:
    """A value from its tagged description (``{"t": "tuple", "v": [...]}``), the form of the
    vectors' ``value`` and of the descriptions the Redis tests exchange."""
    tag, v = desc["t"], desc.get("v")
    if tag == "none":
        return None
    if tag in ("bool", "int", "float", "str"):
        expected = {"bool": bool, "int": int, "float": (int, float), "str": str}[tag]
        if not isinstance(v, expected) or (tag == "int" and isinstance(v, bool)):
            raise ValueError(f"a {tag} description holds {v!r:.80}")
        return float(v) if tag == "float" else v
    if tag == "list":
        return [described(item) for item in v]
    if tag == "tuple":
        return tuple(described(item) for item in v)
    if tag == "dict":
        return {key: described(item) for key, item in v}
    if tag == "datetime":
        return _dt.datetime.fromisoformat(v)
    if tag == "date":
        return _dt.date.fromisoformat(v)
    raise ValueError(f"unknown tag {tag!r:.40}")


def describe(value: Any) -> dict:
    """The tagged description of ``value``, :func:`described`'s inverse."""
    if isinstance(value, _dt.datetime):
        return {"t": "datetime", "v": value.isoformat(timespec="microseconds")}
    if isinstance(value, _dt.date):
        return {"t": "date", "v": value.isoformat()}
    if value is None:
        return {"t": "none"}
    for tag, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, kind):
            return {"t": tag, "v": value}
    if isinstance(value, list):
        return {"t": "list", "v": [describe(item) for item in value]}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [describe(item) for item in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[key, describe(item)] for key, item in value.items()]}
    raise TypeError(f"no description for {type(value).__name__}")


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down: ``True`` is not ``1``, ``(1,)`` not
    ``[1]``, ``-0.0`` not ``0.0``, a dict's order counts, and a NaN is the same as a NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def family(value: Any) -> str:
    """The family of ``value``, as the tests count them: ``None``, ``bool``, ``datetime``, ..."""
    return "None" if value is None else type(value).__name__


def check_vectors(path: str) -> int:
    """Requires every vector of ``path`` to encode to its wire text byte for byte and to read
    back as its value; returns how many there were."""
    count = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            vector = json.loads(line)
            value, wire = described(vector["value"]), vector["wire"]
            if dumps(value) != wire:
                raise AssertionError(f"vector {vector['id']}: the port writes {dumps(value)!r:.200}")
            if not same(loads(wire), value):
                raise AssertionError(f"vector {vector['id']}: the port reads {loads(wire)!r:.200}")
            count += 1
    return count


if __name__ == "__main__":
    print(f"{check_vectors(sys.argv[1])} vectors written and read as the library does")
