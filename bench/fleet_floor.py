"""The computed floor of the fleet benchmark: the least wall time the sandbox's latency and token-bucket
model (src/opsbook/sandbox/aws/model.py) allows for a set of calls, with unlimited client concurrency.

Input: the sandbox's stats of a run that made exactly the calls the pack needs (the measured boto3 floor,
bench/floor.py): `by_operation` {"acct|region|service:Operation": {"calls", "throttled", "items",
"latency_s"}}. Throttled answers are not needed calls; a needed call's latency is its operation's mean.

Two bounds, the floor is the larger:
- chains: the pages of one listing are sequential, so each (account, region, operation) takes the sum of
  its calls' latencies; every target waits first for its account's credentials (the mean STS call; the
  STS calls themselves are one per account, not pages, so each is a chain of one).
  Different operations overlap completely (their order inside a collector is ignored: a lower bound).
- buckets: an account x region x family bucket of capacity B refilled at r/s lets n calls start no sooner
  than (n - B) / r seconds after the first, and the last one still takes its latency (the bucket's
  cheapest operation's mean).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol


class Model(Protocol):
    def family(self, service: str, operation: str, method: str = "GET") -> str: ...

    def bucket(self, family: str) -> Any: ...  # .capacity, .refill


@dataclass(frozen=True)
class Floor:
    seconds: float
    chain_s: float  # the longest sequential chain (credentials + one operation's pages)
    chain: str  # which operation it is
    bucket_s: float  # the slowest bucket to drain
    bucket: str  # which one


def computed_floor(by_operation: dict[str, dict[str, float]], model: Model) -> Floor:
    sts_latency = _mean_sts_latency(by_operation)
    chain_s, chain = 0.0, ""
    buckets: dict[str, list[float]] = defaultdict(lambda: [0.0, float("inf")])  # [calls, least mean latency]
    for key, op in by_operation.items():
        acct, region, service_op = key.split("|", 2)
        service, operation = service_op.split(":", 1)
        needed = op["calls"] - op.get("throttled", 0)
        if needed <= 0:
            continue
        mean = op["latency_s"] / op["calls"]
        # an account's AssumeRole is one call of its own (they are keyed by the caller's account)
        total = mean if service == "sts" else needed * mean + sts_latency
        if total > chain_s:
            chain_s, chain = total, key
        b = buckets[f"{acct}|{region}|{model.family(service, operation)}"]
        b[0] += needed
        b[1] = min(b[1], mean)
    bucket_s, bucket = 0.0, ""
    for key, (calls, least) in buckets.items():
        spec = model.bucket(key.rsplit("|", 1)[1])
        wait = max(0.0, (calls - spec.capacity) / spec.refill) + least + sts_latency
        if calls > spec.capacity and wait > bucket_s:
            bucket_s, bucket = wait, key
    return Floor(max(chain_s, bucket_s), chain_s, chain, bucket_s, bucket)


def _mean_sts_latency(by_operation: dict[str, dict[str, float]]) -> float:
    calls = sum(op["calls"] for k, op in by_operation.items() if "|sts:" in k)
    seconds = sum(op["latency_s"] for k, op in by_operation.items() if "|sts:" in k)
    return seconds / calls if calls else 0.0
