"""Per-target inventory: each key is collected at most once per run, whatever number of checks read it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import botocore.exceptions

from opsbook.core.collectors import COLLECTORS, CollectorSpec
from opsbook.core.config import Config
from opsbook.core.errors import AccessDenied
from opsbook.core.models import Target
from opsbook.core.registry import Registry
from opsbook.engine.failures import as_target_error
from opsbook.providers.aws.session import classify, error_code


class CollectFailed(Exception):
    """Stored in place of a value when a collector failed; re-raised to every reader."""

    def __init__(self, key: str, error: Exception) -> None:
        self.key = key
        self.error = error
        super().__init__(str(error))


class Inventory:
    def __init__(
        self,
        target: Target,
        config: Config,
        now: datetime,
        client_maker: Callable[[str], Any],
        registry: Registry[CollectorSpec] | None = None,
        primary_region: bool = True,
    ) -> None:
        self.target = target
        self.config = config
        self.now = now
        self.primary_region = primary_region
        self._client_maker = client_maker
        self._registry = registry if registry is not None else COLLECTORS
        self._values: dict[str, Any] = {}
        self._lock = threading.RLock()

    def client(self, service: str) -> Any:
        return self._client_maker(service)

    def get(self, key: str) -> Any:
        with self._lock:
            if key not in self._values:
                self._values[key] = self._collect(key)
            value = self._values[key]
        if isinstance(value, CollectFailed):
            raise value
        return value

    def collected(self, key: str) -> Any:
        """The value of `key` if this run collected it successfully, else None (never collects)."""
        with self._lock:
            value = self._values.get(key)
        return None if isinstance(value, CollectFailed) else value

    def _collect(self, key: str) -> Any:
        """The collector's value, or CollectFailed holding what went wrong as opsbook's error tree:
        whatever the collector raises (a dependency failed, a denied call, a dead endpoint, an answer that
        is not what the API sends, a bug) is this target's failure, never the run's."""
        spec = self._registry.get(key)
        try:
            return spec.fn(self)
        except CollectFailed as exc:  # a dependency failed
            return exc
        except botocore.exceptions.ClientError as exc:
            return CollectFailed(key, classify(exc, action_for(spec, exc), self.target.key))
        except Exception as exc:  # noqa: BLE001 - classified by type in engine/failures.py
            action = spec.permissions[0] if spec.permissions else f"collect {key}"
            return CollectFailed(key, as_target_error(exc, where=self.target.key, action=action))

    @property
    def failures(self) -> list[CollectFailed]:
        """Every inventory key this target could not collect, in no particular order."""
        with self._lock:
            return [v for v in self._values.values() if isinstance(v, CollectFailed)]


def action_for(spec: CollectorSpec, exc: botocore.exceptions.ClientError) -> str:
    """The IAM action behind a failed call: the declared permission whose name is the operation."""
    op = getattr(exc, "operation_name", "") or ""
    for perm in spec.permissions:
        if perm.split(":", 1)[-1].lower() == op.lower():
            return perm
    prefix = spec.permissions[0].split(":", 1)[0]
    return f"{prefix}:{op}" if op else spec.permissions[0]


def is_denied(exc: Exception) -> bool:
    return isinstance(exc, AccessDenied) or error_code(exc).endswith("AccessDenied")
