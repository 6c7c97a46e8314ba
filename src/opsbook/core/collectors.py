"""What a collector is: one inventory key, fetched once per target (or account) per run, shared by every check.

A collector is a function `(ctx: CollectContext) -> value` that declares everything it touches::

    @collector("s3.critical_replication", scope="account", deps=("s3.bucket_list",),
               permissions=("s3:GetReplicationConfiguration",),
               settings=SettingsOf("s3.critical_bucket_replication", ReplicationSettings))

- `permissions`: the IAM actions of the calls it makes itself (what it `get`s brings its own);
- `deps`: the inventory keys it reads through `ctx.get(key)` (the engine refuses any other);
- `scope`: "region" (collected per region target) or "account" (an account-wide API such as IAM, Cost
  Explorer or the S3 bucket listing: collected once per account and shared by its region targets);
- `settings`: the check whose settings it reads and their model (the check declares the same model, so
  the default lives in one place); the engine hands the validated value as `ctx.settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar, overload

from pydantic import BaseModel

from opsbook.core.models import Target, TargetKind
from opsbook.core.registry import Registry

T = TypeVar("T")
Scope = Literal["region", "account"]
SCOPES: tuple[str, ...] = ("region", "account")


class Key(Generic[T]):
    """A typed inventory key: `VOLUMES = Key[list[EbsVolume]]("ec2.volumes")`. `ctx.get(VOLUMES)` and
    `ctx[VOLUMES]` are typed `list[EbsVolume]`, so mypy checks the collector -> check contract. A key is
    equal to (and hashes like) its name, so string keys keep working alongside."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Key({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return str(other) == self.name if isinstance(other, Key | str) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)


def key_name(key: Key[Any] | str) -> str:
    return key.name if isinstance(key, Key) else key


@dataclass(frozen=True)
class SettingsOf:
    """The settings of check `check_id` (validated with `model`, which the check also declares)."""

    check_id: str
    model: type[BaseModel]


class CollectContext(Protocol):
    target: Target
    now: datetime
    config: Any
    settings: Any  # the validated model of the collector's `settings=` (None when it declares none)

    def client(self, service: str) -> Any: ...

    @overload
    def get(self, key: Key[T]) -> T: ...
    @overload
    def get(self, key: str) -> Any: ...
    def get(self, key: Key[Any] | str) -> Any: ...


CollectFn = Callable[[CollectContext], Any]


@dataclass(frozen=True)
class CollectorSpec:
    key: str
    target_kind: TargetKind
    permissions: tuple[str, ...]
    fn: CollectFn
    scope: str = "region"
    deps: tuple[str, ...] = ()
    settings: SettingsOf | None = None


COLLECTORS: Registry[CollectorSpec] = Registry("collectors")


def collector(
    key: Key[Any] | str,
    *,
    permissions: tuple[str, ...],
    deps: Iterable[Key[Any] | str] = (),
    scope: Scope = "region",
    settings: SettingsOf | None = None,
    target_kind: TargetKind = TargetKind.AWS,
    registry: Registry[CollectorSpec] | None = None,
) -> Callable[[CollectFn], CollectFn]:
    name = key_name(key)
    dep_names = tuple(key_name(d) for d in deps)

    def register(fn: CollectFn) -> CollectFn:
        problems = []
        if not permissions and not dep_names:
            problems.append("permissions are empty")
        if scope not in SCOPES:
            problems.append(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
        if scope == "account" and target_kind is not TargetKind.AWS:
            problems.append("only AWS collectors are account-wide")
        if name in dep_names:
            problems.append("depends on itself")
        if problems:
            raise ValueError(f"collector {name}: " + "; ".join(problems))
        spec = CollectorSpec(
            key=name,
            target_kind=target_kind,
            permissions=permissions,
            fn=fn,
            scope=scope,
            deps=dep_names,
            settings=settings,
        )
        (registry if registry is not None else COLLECTORS).add(name, spec)
        return fn

    return register


def closure(keys: Iterable[str], registry: Registry[CollectorSpec] | None = None) -> list[CollectorSpec]:
    """The collectors of `keys` and of everything they read, transitively (each once, sorted by key)."""
    reg = registry if registry is not None else COLLECTORS
    seen: dict[str, CollectorSpec] = {}
    todo = list(keys)
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen[k] = spec = reg.get(k)
        todo.extend(spec.deps)
    return [seen[k] for k in sorted(seen)]


def permissions_of(keys: Iterable[str], registry: Registry[CollectorSpec] | None = None) -> set[str]:
    """Every IAM action collecting `keys` may call: their collectors' and their dependencies'."""
    return {p for spec in closure(keys, registry) for p in spec.permissions}
