"""Quick Kubernetes views for front ends, from the same collectors as the checks:
`top nodes|pods` (`kubectl top ... --sort-by`) and `unhealthy` (nodes, pods, deployments not healthy).

Each call opens one counted client per cluster, reads only the inventory it needs, and closes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from opsbook.collect.k8s.models import K8sDeployment, K8sNode, K8sPod, PodUsage, node_loads
from opsbook.core.collectors import Key
from opsbook.core.config import Config, check_settings
from opsbook.core.errors import InputError
from opsbook.engine.estate import expand
from opsbook.engine.inventory import CollectFailed, Inventory
from opsbook.engine.k8s_runner import K8sRunner
from opsbook.engine.selection import load_builtin
from opsbook.engine.targets import k8s_targets
from opsbook.providers.aws.stats import ApiStats

SortBy = Literal["cpu", "memory"]
MIB = 1024 * 1024


@contextmanager
def inventories(cfg: Config, clusters: list[str] | None = None) -> Iterator[list[Inventory]]:
    load_builtin()
    cfg = expand(cfg)  # clusters the Atmos stacks add, as in a run (engine/service.py)
    targets = k8s_targets(cfg, clusters or None)
    if not targets:
        raise InputError("no clusters: add `clusters:` to opsbook.yaml (or use --sandbox)")
    runner = K8sRunner(cfg, ApiStats())
    try:
        now = datetime.now(UTC)
        yield [Inventory(t, cfg, now, runner.prepare(t)) for t in targets]
    finally:
        runner.close()


def get(inv: Inventory, key: Key[Any] | str) -> Any:
    try:
        return inv.get(key)
    except CollectFailed as exc:
        raise exc.error from None


def node_rows(inv: Inventory) -> list[dict[str, Any]]:
    """`kubectl top nodes` rows of one cluster (unsorted)."""
    rows: list[dict[str, Any]] = []
    for load in node_loads(get(inv, "k8s.nodes"), get(inv, "k8s.node_metrics")):
        u = load.usage  # None: no metrics (a NotReady node), shown as <unknown> like kubectl
        rows.append({"cluster": inv.target.cluster, "node": load.node.name,
                     "cpu_m": u.cpu_m if u else None, "cpu_percent": load.cpu_percent,
                     "memory_mib": round(u.memory / MIB) if u else None,
                     "memory_percent": load.memory_percent})  # fmt: skip
    return rows


def sort_top(rows: list[dict[str, Any]], sort_by: SortBy = "cpu") -> list[dict[str, Any]]:
    key = "cpu_m" if sort_by == "cpu" else "memory_mib"
    return sorted(rows, key=lambda r: (r[key] is None, -(r[key] or 0), r["cluster"], r["node"]))


def top_nodes(
    cfg: Config, clusters: list[str] | None = None, sort_by: SortBy = "cpu"
) -> list[dict[str, Any]]:
    with inventories(cfg, clusters) as invs:
        rows = [row for inv in invs for row in node_rows(inv)]
    return sort_top(rows, sort_by)


def top_pods(
    cfg: Config,
    clusters: list[str] | None = None,
    sort_by: SortBy = "memory",
    namespace: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with inventories(cfg, clusters) as invs:
        for inv in invs:
            usage: list[PodUsage] = get(inv, "k8s.pod_metrics")
            for u in usage:
                if namespace and u.namespace != namespace:
                    continue
                rows.append({"cluster": inv.target.cluster, "namespace": u.namespace, "pod": u.name,
                             "cpu_m": u.cpu_m, "memory_mib": round(u.memory / MIB)})  # fmt: skip
    key = "cpu_m" if sort_by == "cpu" else "memory_mib"
    rows.sort(key=lambda r: (-r[key], r["cluster"], r["namespace"], r["pod"]))
    return rows[:limit] if limit else rows


def restart_rule(cfg: Config) -> Any:
    """k8s.container_restarts' settings (max restarts in a window), as the daily check reads them."""
    from opsbook.checks.k8s.pods import RestartSettings

    rule, _ = check_settings(cfg, "k8s.container_restarts", RestartSettings)
    assert isinstance(rule, RestartSettings)
    return rule


def unhealthy_rows(inv: Inventory, rule: Any) -> list[dict[str, Any]]:
    """One cluster's nodes, pods and deployments that are not healthy, by the daily checks' rules."""
    window = timedelta(hours=rule.window_hours)
    rows: list[dict[str, Any]] = []
    c = inv.target.cluster
    nodes: list[K8sNode] = get(inv, "k8s.nodes")
    rows += [{"cluster": c, "kind": "Node", "namespace": "", "name": n.name,
              "status": ", ".join(n.problems), "detail": ""} for n in nodes if n.problems]  # fmt: skip
    pods: list[K8sPod] = get(inv, "k8s.pods")
    for p in pods:
        restarting = p.restarting(inv.now, rule.max_restarts, window)
        if p.healthy and not restarting:
            continue
        detail = "; ".join(x for x in (p.why, *(r.restart_summary for r in restarting)) if x)
        rows.append({"cluster": c, "kind": "Pod", "namespace": p.namespace, "name": p.name,
                     "status": p.status, "ready": p.ready, "detail": detail,
                     "restarts": p.restarts})  # fmt: skip
    deployments: list[K8sDeployment] = get(inv, "k8s.deployments")
    for d in deployments:
        if not d.degraded and not d.rollout_stuck:
            continue
        rollout = d.condition("Progressing") if d.rollout_stuck else None
        detail = f"rollout stuck: {rollout.reason} ({rollout.message})" if rollout else ""
        rows.append({"cluster": c, "kind": "Deployment", "namespace": d.namespace, "name": d.name,
                     "status": f"{d.available}/{d.replicas} available", "detail": detail})  # fmt: skip
    return rows


def unhealthy(cfg: Config, clusters: list[str] | None = None) -> list[dict[str, Any]]:
    """What the daily checks fail, by their own rules: nodes with problems, pods not Running/Succeeded or
    restarting too often (k8s.container_restarts' settings), deployments with unavailable replicas or a
    stuck rollout."""
    rule = restart_rule(cfg)
    with inventories(cfg, clusters) as invs:
        return [row for inv in invs for row in unhealthy_rows(inv, rule)]
