"""AWS's latency and throttling as numbers (`aws_model.yaml`): per-service latency, token buckets per
account x region x API family. The sandbox applies them (`traffic.py`); the fleet benchmark imports this
module to compute its floor from the very same numbers:

    model = load_model()
    family = model.family("ec2", "DescribeVolumes")          # "ec2:read"
    bucket = model.bucket(family)                             # Bucket(capacity=100, refill=20, source=...)
    seconds = model.latency_s("ec2", items=1000)              # base + per item, no jitter
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from opsbook.core.errors import ConfigError

MODES = ("aws", "none")
LATENCY_ENV = "OPSBOOK_SANDBOX_LATENCY"
THROTTLE_ENV = "OPSBOOK_SANDBOX_THROTTLE"
CACHE_ENV = "OPSBOOK_SANDBOX_CACHE"  # on | off: the read-response cache (on by default with --latency aws)


@dataclass(frozen=True)
class Latency:
    base_ms: float
    per_item_ms: float
    jitter_ms: float
    source: str = ""

    def seconds(self, items: int = 0, draw: float = 0.0) -> float:
        """The wait for an answer of `items` items; `draw` in [0, 1) picks the jitter (0: none)."""
        return (self.base_ms + self.per_item_ms * items + self.jitter_ms * draw) / 1000.0


@dataclass(frozen=True)
class Bucket:
    capacity: float
    refill: float  # tokens per second
    source: str = ""


@dataclass(frozen=True)
class AwsModel:
    read_prefixes: tuple[str, ...]
    latencies: dict[str, Latency]  # service -> latency ("" = default)
    buckets: dict[str, Bucket]  # family -> bucket ("<service>:read|write|<Operation>", "*:read|write")
    operations: frozenset[tuple[str, str]]  # (service, operation) pairs with a bucket of their own

    def is_read(self, operation: str, method: str = "GET") -> bool:
        """A read-only operation (by its name; a REST request without one: GET/HEAD)."""
        if not operation:
            return method in ("GET", "HEAD")
        return operation.startswith(self.read_prefixes)

    def family(self, service: str, operation: str, method: str = "GET") -> str:
        """The bucket family of a call: `<service>:<Operation>` when it has its own, else read/write."""
        if (service, operation) in self.operations:
            return f"{service}:{operation}"
        return f"{service}:{'read' if self.is_read(operation, method) else 'write'}"

    def bucket(self, family: str) -> Bucket:
        if family in self.buckets:
            return self.buckets[family]
        return self.buckets["*:" + family.rsplit(":", 1)[-1]]

    def with_buckets(self, capacity: float, refill: float) -> AwsModel:
        """The same model with every bucket this size (tests and benchmarks make throttling certain)."""
        tight = Bucket(capacity, refill, f"tight: capacity {capacity}, refill {refill}/s")
        return dataclasses.replace(self, buckets=dict.fromkeys(self.buckets, tight))

    def latency(self, service: str) -> Latency:
        return self.latencies.get(service) or self.latencies[""]

    def latency_s(self, service: str, items: int = 0, draw: float = 0.0) -> float:
        return self.latency(service).seconds(items, draw)


def _latency(doc: dict[str, Any]) -> Latency:
    return Latency(float(doc["base_ms"]), float(doc["per_item_ms"]), float(doc["jitter_ms"]), doc["source"])


def _bucket(doc: dict[str, Any]) -> Bucket:
    return Bucket(float(doc["capacity"]), float(doc["refill"]), doc["source"])


def parse_model(doc: dict[str, Any]) -> AwsModel:
    defaults = doc["defaults"]
    latencies = {"": _latency(defaults["latency"])}
    buckets = {"*:read": _bucket(defaults["read"]), "*:write": _bucket(defaults["write"])}
    operations = set()
    for service, spec in (doc.get("services") or {}).items():
        if "latency" in spec:
            latencies[service] = _latency(spec["latency"])
        for kind in ("read", "write"):
            if kind in spec:
                buckets[f"{service}:{kind}"] = _bucket(spec[kind])
        for op, bucket in (spec.get("operations") or {}).items():
            buckets[f"{service}:{op}"] = _bucket(bucket)
            operations.add((service, op))
    return AwsModel(tuple(doc["read_prefixes"]), latencies, buckets, frozenset(operations))


@functools.cache
def load_model() -> AwsModel:
    """The packaged model (aws_model.yaml)."""
    text = resources.files("opsbook.sandbox.aws").joinpath("aws_model.yaml").read_text(encoding="utf-8")
    return parse_model(yaml.safe_load(text))


def jitter_draw(*parts: object) -> float:
    """A deterministic number in [0, 1) from the request's identity (seeded jitter)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class TokenBucket:
    """One bucket: `take()` spends a token (True) or finds none (False, throttled); refills continuously
    at `refill` tokens per second up to `capacity`. `clock` is injectable (tests use a fake one)."""

    def __init__(self, spec: Bucket, clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self.clock = clock
        self.tokens = spec.capacity
        self.stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            self.tokens = min(self.spec.capacity, self.tokens + (now - self.stamp) * self.spec.refill)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


def mode_setting(variable: str, value: str | None, default: str = "none") -> str:
    """`aws` or `none` from a flag or the environment variable; anything else is a ConfigError."""
    raw = value if value is not None else os.environ.get(variable)
    if raw is None or raw == "":
        return default
    if raw not in MODES:
        raise ConfigError(f"{variable}={raw!r}: expected one of {', '.join(MODES)}")
    return raw


def cache_setting(value: bool | None, latency: str) -> bool:
    """The read-response cache: the flag, else OPSBOOK_SANDBOX_CACHE (on|off), else on with --latency aws."""
    if value is not None:
        return value
    raw = os.environ.get(CACHE_ENV)
    if raw is None or raw == "":
        return latency == "aws"
    if raw not in ("on", "off"):
        raise ConfigError(f"{CACHE_ENV}={raw!r}: expected on or off")
    return raw == "on"
