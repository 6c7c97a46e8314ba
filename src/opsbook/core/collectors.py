"""What a collector is: one inventory key, fetched once per target per run, shared by every check.

A collector is a function `(ctx: CollectContext) -> value`. It may read other inventory through
`ctx.get(key)` (memoised by the engine) and makes clients through `ctx.client(service)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from opsbook.core.models import Target, TargetKind
from opsbook.core.registry import Registry


class CollectContext(Protocol):
    target: Target
    now: datetime
    config: Any

    def client(self, service: str) -> Any: ...

    def get(self, key: str) -> Any: ...


CollectFn = Callable[[CollectContext], Any]


@dataclass(frozen=True)
class CollectorSpec:
    key: str
    target_kind: TargetKind
    permissions: tuple[str, ...]
    fn: CollectFn


COLLECTORS: Registry[CollectorSpec] = Registry("collectors")


def collector(
    key: str,
    *,
    permissions: tuple[str, ...],
    target_kind: TargetKind = TargetKind.AWS,
    registry: Registry[CollectorSpec] | None = None,
) -> Callable[[CollectFn], CollectFn]:
    def register(fn: CollectFn) -> CollectFn:
        if not permissions:
            raise ValueError(f"collector {key}: permissions are empty")
        (registry if registry is not None else COLLECTORS).add(
            key, CollectorSpec(key=key, target_kind=target_kind, permissions=permissions, fn=fn)
        )
        return fn

    return register
