#!/usr/bin/env python3
"""A Python producer for ``examples/redis_worker.rs``: adds Kimera JSON envelopes to a Redis
Stream, one per entry under the field ``envelope``, as Python services of different ages do.

    python3 tools/python/redis_producer.py --port 6379 [--stream kimera:orders]

Standard library plus the ``redis`` package (``tools/python/requirements-redis.txt``). An
envelope is plain JSON (``docs/wire-format.md``): ``{"kimera":1,"type":...,"version":...,
"value":...}``. It prints how many entries it added.
"""

from __future__ import annotations

import argparse
import json

import redis


def envelope(type_name: str, version: int, value) -> str:
    return json.dumps({"kimera": 1, "type": type_name, "version": version, "value": value})


MESSAGES = [
    # An old producer, still on version 1 (a single SKU): the worker migrates it.
    envelope("shop.OrderPlaced", 1, {"order": 1, "sku": "KB-101"}),
    envelope("shop.OrderPlaced", 2, {"order": 2, "skus": ["KB-101", "MS-7"]}),
    envelope("shop.PaymentReceived", 1, {"order": 2, "cents": 9900}),
    envelope("shop.PaymentReceived", 1, {"order": 2, "cents": 3000}),
    # The logistics service, under the name `shop.Shipped` had before it was renamed.
    envelope("logistics.Dispatched", 1, {"order": 1, "carrier": "DHL"}),
    # A type newer than the worker, and a message that is no envelope at all.
    envelope("shop.LoyaltyPointsGranted", 1, {"customer": 42, "points": 100}),
    "ORDER 3 PLACED",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--stream", default="kimera:orders")
    args = parser.parse_args()
    r = redis.Redis(host="127.0.0.1", port=args.port)
    for message in MESSAGES:
        r.xadd(args.stream, {"envelope": message, "producer": "redis_producer.py"})
    print(f"added {len(MESSAGES)} entries to {args.stream}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
