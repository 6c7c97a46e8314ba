"""Per-target inventory: each key is collected at most once per run, whatever number of checks read it."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import botocore.exceptions

from opsbook.core.collectors import COLLECTORS, CollectorSpec, Key, key_name
from opsbook.core.config import Config, check_settings
from opsbook.core.errors import AccessDenied
from opsbook.core.exports import EXPORTS
from opsbook.core.models import Target
from opsbook.core.registry import Registry
from opsbook.engine.failures import as_target_error
from opsbook.providers.aws.actions import RENAMED
from opsbook.providers.aws.session import classify, error_code
from opsbook.providers.aws.stats import COLLECTING


class CollectFailed(Exception):
    """Stored in place of a value when a collector failed; re-raised to every reader."""

    def __init__(self, key: str, error: Exception) -> None:
        self.key = key
        self.error = error
        super().__init__(str(error))


class UndeclaredRead(Exception):
    """A collector read an inventory key it does not declare in `deps` (its permissions would drift)."""


class OnceMap:
    """Each key's value computed once, whichever thread asks first; the others wait for that one value.
    One lock per key, so different keys are computed at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._values: dict[str, Any] = {}

    def value(self, key: str, collect: Callable[[], Any]) -> Any:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = collect()
            return self._values[key]

    def peek(self, key: str) -> Any:
        with self._lock:
            return self._values.get(key)

    def values(self) -> list[Any]:
        with self._lock:
            return list(self._values.values())

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._values)

    def drop(self, keep: Callable[[str, Any], bool]) -> None:
        """Forget every computed value `keep(key, value)` refuses (asked again, it is computed again)."""
        with self._lock:
            for key in [k for k, v in self._values.items() if not keep(k, v)]:
                del self._values[key]
                self._locks.pop(key, None)


class AccountShare(OnceMap):
    """Account-wide inventory (collector scope "account"), collected once and shared by the account's
    region targets, whichever asks first."""


class CollectorView:
    """What one collector sees: its target, its declared settings, and only the keys it declares."""

    def __init__(self, inventory: Inventory, spec: CollectorSpec, settings: Any) -> None:
        self.inventory = inventory
        self.spec = spec
        self.settings = settings
        self.target = inventory.target
        self.now = inventory.now
        self.config = inventory.config

    def client(self, service: str) -> Any:
        return self.inventory.client(service)

    def get(self, key: Key[Any] | str) -> Any:
        name = key_name(key)
        if name not in self.spec.deps:
            raise UndeclaredRead(f"collector {self.spec.key} reads {name!r} but does not declare it in deps")
        return self.inventory.get(name)


class Inventory:
    def __init__(
        self,
        target: Target,
        config: Config,
        now: datetime,
        client_maker: Callable[[str], Any],
        registry: Registry[CollectorSpec] | None = None,
        shared: AccountShare | None = None,
    ) -> None:
        self.target = target
        self.config = config
        self.now = now
        self._client_maker = client_maker
        self._registry = registry if registry is not None else COLLECTORS
        self._shared = shared
        self._values = OnceMap()

    def client(self, service: str) -> Any:
        return self._client_maker(service)

    def get(self, key: Key[Any] | str) -> Any:
        name = key_name(key)
        value = self._values.value(name, lambda: self._collect_once(name))
        if isinstance(value, CollectFailed):
            raise value
        return value

    def prefetch(self, keys: Iterable[str], width: int) -> None:
        """Collect `keys` up to `width` at once (their latencies overlap); failures stay stored for the
        checks that read them. A key's dependencies are collected once, by whichever thread needs them."""
        todo = sorted(set(keys))
        if width <= 1 or len(todo) <= 1:
            return
        with ThreadPoolExecutor(min(width, len(todo)), thread_name_prefix="opsbook-collect") as pool:
            for fut in [pool.submit(contextvars.copy_context().run, self._get_quietly, k) for k in todo]:
                fut.result()

    def _get_quietly(self, key: str) -> None:
        with contextlib.suppress(CollectFailed):
            self.get(key)

    def collected(self, key: str) -> Any:
        """The value of `key` if this run collected it successfully, else None (never collects)."""
        value = self._values.peek(key)
        return None if isinstance(value, CollectFailed) else value

    def _collect_once(self, key: str) -> Any:
        spec = self._registry.get(key)
        if spec.scope == "account" and self._shared is not None:
            return self._shared.value(key, lambda: self._collect(spec))
        return self._collect(spec)

    def _collect(self, spec: CollectorSpec) -> Any:
        """The collector's value, or CollectFailed holding what went wrong as opsbook's error tree:
        whatever the collector raises (a dependency failed, a denied call, a dead endpoint, an answer that
        is not what the API sends, a bug) is this target's failure, never the run's."""
        key = spec.key
        try:
            settings = None
            if spec.settings is not None:
                settings, _ = check_settings(self.config, spec.settings.check_id, spec.settings.model)
            token = COLLECTING.set(key)
            try:
                return spec.fn(CollectorView(self, spec, settings))
            finally:
                COLLECTING.reset(token)
        except CollectFailed as exc:  # a dependency failed
            return exc
        except botocore.exceptions.ClientError as exc:
            return CollectFailed(key, classify(exc, action_for(spec, exc), self.target.key))
        except Exception as exc:  # noqa: BLE001 - classified by type in engine/failures.py
            action = spec.permissions[0] if spec.permissions else f"collect {key}"
            return CollectFailed(key, as_target_error(exc, where=self.target.key, action=action))

    def with_deps(self, keys: Iterable[Key[Any] | str]) -> set[str]:
        """`keys` and every key their collectors read, transitively."""
        out: set[str] = set()
        todo = [key_name(k) for k in keys]
        while todo:
            key = todo.pop()
            if key not in out:
                out.add(key)
                if key in self._registry:
                    todo.extend(self._registry.get(key).deps)
        return out

    def release(self, keep: set[str]) -> None:
        """Drop what this target collected and no one will read again: every key not in `keep` (what the
        target's remaining checks read, with their collectors' deps), but exported keys and failures,
        which the run reads when the target is done. A target holds only what its next checks need."""
        self._values.drop(lambda k, v: k in keep or k in EXPORTS or isinstance(v, CollectFailed))

    @property
    def failures(self) -> list[CollectFailed]:
        """Every inventory key this target could not collect, in no particular order."""
        return [v for v in self._values.values() if isinstance(v, CollectFailed)]


def action_for(spec: CollectorSpec, exc: botocore.exceptions.ClientError) -> str:
    """The IAM action behind a failed call: the declared permission whose name is the operation."""
    op = getattr(exc, "operation_name", "") or ""
    for (_, renamed_op), action in RENAMED.items():
        if renamed_op == op and action in spec.permissions:
            return action
    for perm in spec.permissions:
        if perm.split(":", 1)[-1].lower() == op.lower():
            return perm
    if not spec.permissions:
        return op or f"collect {spec.key}"
    prefix = spec.permissions[0].split(":", 1)[0]
    return f"{prefix}:{op}" if op else spec.permissions[0]


def is_denied(exc: Exception) -> bool:
    return isinstance(exc, AccessDenied) or error_code(exc).endswith("AccessDenied")
