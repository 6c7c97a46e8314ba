"""The Kubernetes half of a run: prepares one counted client per cluster target (engine/runner.py's
TargetRunner), after a `/version` preflight so a dead cluster fails fast as a whole target.

Collectors ask `ctx.client("api")` for the cluster's counted ApiClient and read raw JSON through it
(faster than the typed APIs, and tolerant of fields the client's models do not know).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, TargetUnavailable
from opsbook.core.models import Target
from opsbook.providers.aws.session import SessionFactory
from opsbook.providers.aws.stats import ApiStats


def _require_kubernetes() -> None:
    try:
        import kubernetes  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"Kubernetes clusters need the 'k8s' extra: pip install 'opsbook[k8s]' ({exc})"
        ) from None


class K8sRunner:
    def __init__(self, cfg: Config, stats: ApiStats, sessions: SessionFactory | None = None) -> None:
        _require_kubernetes()
        from opsbook.providers.k8s.client import ClusterClients

        self.cfg = cfg
        self.clients = ClusterClients(cfg, stats, sessions)

    def prepare(self, target: Target) -> Callable[[str], Any]:
        if not target.cluster:
            raise TargetUnavailable(f"{target.key}: no cluster name")
        cluster = self.clients.cluster(target.cluster)
        api = self.clients.api_client(cluster, target.key)
        self.clients.preflight(api)

        def client(name: str) -> Any:
            if name != "api":
                raise KeyError(f"unknown Kubernetes client {name!r} (collectors use 'api')")
            return api

        return client

    def close(self) -> None:
        self.clients.close()
