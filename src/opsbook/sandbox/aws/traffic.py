"""What the sandbox's AWS endpoint does to each request on top of answering it: AWS's latency and
throttling (`model.py`, off unless asked for), the read-response cache, and the counts behind
`GET /opsbook-api/stats` (calls, throttled, retries, the sandbox's CPU and wall time, injected waits, per
operation and per bucket). Waits are slept by the request's own thread, never under a lock.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opsbook.sandbox.aws.cache import ResponseCache
from opsbook.sandbox.aws.model import AwsModel, TokenBucket, jitter_draw, load_model
from opsbook.sandbox.aws.wire import Call, Response
from opsbook.sandbox.throttling import throttle_response

_ATTEMPT = re.compile(r"attempt=(\d+)")
_XML_ITEMS = (b"<item>", b"<member>", b"<Bucket>", b"<Contents>")
# sts: credentials are never answered twice; eks: its upgrades finish on the Kubernetes bridge's threads
NEVER_CACHED = {"sts", "eks"}
# not reads by name, but nothing another request reads changes: STS hands out credentials; IAM's
# access-advisor job is read back only by its new JobId
CHANGE_NOTHING = {"sts", "iam:GenerateServiceLastAccessedDetails"}


def items_in(payload: bytes) -> int:
    """How many items an answer holds, roughly: XML item elements (EC2 `<item>`, query `<member>`, S3),
    or the longest top-level list of a JSON answer. 0 for anything else (CBOR, empty)."""
    head = payload[:64].lstrip()[:1]
    if head == b"<":
        return max(payload.count(tag) for tag in _XML_ITEMS)
    if head == b"{":
        try:
            doc = json.loads(payload)
        except ValueError:
            return 0
        return max((len(v) for v in doc.values() if isinstance(v, list)), default=0)
    return 0


def throttled_answer(call: Call) -> Response:
    """The service's own throttling error in the request's protocol: the fault proxy's answer too
    (sandbox/throttling.py)."""
    return throttle_response(call.service, call.headers)


@dataclass
class _Counts:
    calls: int = 0
    throttled: int = 0
    retries: int = 0
    latency_s: float = 0.0
    by_operation: dict[str, dict[str, float]] = field(default_factory=dict)
    by_bucket: dict[str, dict[str, int]] = field(default_factory=dict)
    cpu0: float = field(default_factory=time.process_time)
    wall0: float = field(default_factory=time.monotonic)


class Traffic:
    def __init__(
        self,
        latency: str = "none",
        throttle: str = "none",
        *,
        cache: bool = False,
        model: AwsModel | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.latency = latency
        self.throttle = throttle
        self.model = model or load_model()
        self.cache = ResponseCache() if cache else None
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self._counts = _Counts()

    def configure(
        self,
        *,
        latency: str | None = None,
        throttle: str | None = None,
        cache: bool | None = None,
        model: AwsModel | None = None,
    ) -> dict[str, Any]:
        """Change the model in place (tests, benchmarks); returns the previous settings, which
        `configure(**previous)` puts back. Buckets start full again."""
        before = {"latency": self.latency, "throttle": self.throttle, "cache": self.cache is not None,
                  "model": self.model}  # fmt: skip
        self.latency = latency or self.latency
        self.throttle = throttle or self.throttle
        self.model = model or self.model
        if cache is not None and cache != (self.cache is not None):
            self.cache = ResponseCache() if cache else None
        with self._lock:
            self._buckets.clear()
        return before

    @contextlib.contextmanager
    def modelled(self, **settings: Any) -> Iterator[Traffic]:
        """`configure(**settings)` for a block, then the previous settings back (tests)."""
        before = self.configure(**settings)
        try:
            yield self
        finally:
            self.configure(**before)

    # -- one request -----------------------------------------------------------------------------------

    def admit(self, call: Call, family: str) -> bool:
        """True when the call may go on; False when its bucket is empty (throttled)."""
        if self.throttle != "aws":
            return True
        key = (call.account_id, call.region, family)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(self.model.bucket(family), self.clock)
        return bucket.take()

    def changes_state(self, call: Call, operation: str) -> bool:
        """Whether the call may change what a read answers (the read cache is dropped around it)."""
        if call.service in CHANGE_NOTHING or f"{call.service}:{operation}" in CHANGE_NOTHING:
            return False
        return not self.model.is_read(operation, call.method)

    def cacheable(self, call: Call, operation: str) -> bool:
        return (
            self.cache is not None
            and call.service not in NEVER_CACHED
            and self.model.is_read(operation, call.method)
        )

    def finish(self, call: Call, operation: str, family: str, payload: bytes, *, throttled: bool) -> None:
        """Count the answer, then wait as AWS would have (no lock held while waiting)."""
        items = 0 if throttled else items_in(payload)
        wait = 0.0
        if self.latency == "aws":
            draw = jitter_draw(call.account_id, call.region, operation, len(call.body), self._counts.calls)
            wait = self.model.latency_s(call.service, items, draw)
        attempt = _ATTEMPT.search(call.headers.get("amz-sdk-request", ""))
        op_key = f"{call.account_id}|{call.region}|{call.service}:{operation}"
        bucket_key = f"{call.account_id}|{call.region}|{family}"
        with self._lock:
            c = self._counts
            c.calls += 1
            c.throttled += throttled
            c.retries += bool(attempt and int(attempt.group(1)) > 1)
            c.latency_s += wait
            op = c.by_operation.setdefault(op_key, {"calls": 0, "throttled": 0, "items": 0, "latency_s": 0.0})
            op["calls"] += 1
            op["throttled"] += throttled
            op["items"] += items
            op["latency_s"] += wait
            b = c.by_bucket.setdefault(bucket_key, {"calls": 0, "throttled": 0})
            b["calls"] += 1
            b["throttled"] += throttled
        if wait > 0:
            self.sleep(wait)

    # -- the stats endpoint ------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            c = self._counts
            return {
                "calls": c.calls,
                "throttled": c.throttled,
                "retries": c.retries,
                "cpu_s": round(time.process_time() - c.cpu0, 3),
                "wall_s": round(time.monotonic() - c.wall0, 3),
                "latency_s": round(c.latency_s, 3),
                "model": {"latency": self.latency, "throttle": self.throttle},
                "cache": {"on": self.cache is not None, "hits": self.cache.hits if self.cache else 0},
                "by_operation": {k: dict(v) for k, v in sorted(c.by_operation.items())},
                "by_bucket": {k: dict(v) for k, v in sorted(c.by_bucket.items())},
            }

    def reset(self) -> None:
        with self._lock:
            self._counts = _Counts()
            if self.cache is not None:
                self.cache.hits = 0
