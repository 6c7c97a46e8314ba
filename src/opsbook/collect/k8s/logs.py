"""Application logs for the cluster's configured label selectors (`clusters[].log_selectors`), like
`kubectl logs -l app=myapp --tail=100 --all-containers=true`.

Bounded: pods are matched against the already-collected `k8s.pods` (no second listing); at most
MAX_PODS pods per selector (running ones first), the last TAIL_LINES lines and at most LIMIT_BYTES per
container. A pod whose logs cannot be read (not started yet, gone) is recorded with the reason, not fatal;
403 on `pods/log` fails the whole key (AccessDenied "get pods/log").
"""

from __future__ import annotations

from typing import Any

from opsbook.collect.k8s.models import K8sPod, LogTail, SelectorLogs
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.errors import ConfigError
from opsbook.core.labels import compile_labels as compile_selector
from opsbook.core.models import TargetKind

TAIL_LINES = 100
MAX_PODS = 10
LIMIT_BYTES = 256 * 1024


def cluster_config(ctx: CollectContext) -> Any:
    for c in getattr(ctx.config, "clusters", []) or []:
        if c.name == ctx.target.cluster:
            return c
    return None


def tail(api: Any, pod: K8sPod, container: str, previous: bool = False) -> LogTail:
    """The last TAIL_LINES lines of one container (`previous`: its last terminated instance)."""
    from kubernetes.client.exceptions import ApiException

    path = f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}/log"
    query = {"container": container, "tailLines": TAIL_LINES, "limitBytes": LIMIT_BYTES,
             "previous": "true" if previous else None}  # fmt: skip
    try:
        text = api.get(path, query, accept="text/plain").decode("utf-8", "replace")
    except ApiException as exc:
        if exc.status in (400, 404):
            return LogTail(namespace=pod.namespace, pod=pod.name, container=container, error=f"{exc.status}")
        raise
    return LogTail(namespace=pod.namespace, pod=pod.name, container=container, lines=tuple(text.splitlines()))


@collector("k8s.app_logs", permissions=("get pods/log",), deps=("k8s.pods",), target_kind=TargetKind.K8S)
def app_logs(ctx: CollectContext) -> list[SelectorLogs]:
    cluster = cluster_config(ctx)
    selectors: list[str] = list(cluster.log_selectors) if cluster is not None else []
    if not selectors:
        return []
    pods: list[K8sPod] = ctx.get("k8s.pods")
    api = ctx.client("api")
    out = []
    for selector in selectors:
        try:
            match = compile_selector(selector)
        except ValueError as exc:
            raise ConfigError(f"cluster {ctx.target.cluster}: log_selectors: {exc}") from None
        matched = [p for p in pods if match(p.labels) and p.phase != "Pending"]
        matched.sort(key=lambda p: (p.phase != "Running", p.key))
        tails = [tail(api, p, c.name) for p in matched[:MAX_PODS] for c in p.containers]
        out.append(
            SelectorLogs(
                selector=selector,
                matched_pods=len(matched),
                tails=tuple(tails),
                truncated=len(matched) > MAX_PODS,
            )
        )
    return out
