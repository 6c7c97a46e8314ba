"""The seeded my-cluster has, for each check in issue 3, an object that passes and one that fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opsbook.sandbox.k8s import ClusterStore, seed_cluster, seed_logs, seed_objects

NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [o for o in seed_objects(NOW) if o["kind"] == kind]


def condition(obj: dict[str, Any], kind: str) -> str:
    return next(c["status"] for c in obj["status"]["conditions"] if c["type"] == kind)


def test_nodes_cover_ready_pressure_and_cordon() -> None:
    nodes = by_kind("Node")
    assert len(nodes) >= 5
    assert [condition(n, "Ready") for n in nodes].count("True") == len(nodes) - 1
    assert sum(condition(n, "MemoryPressure") == "True" for n in nodes) == 1
    assert sum(bool(n["spec"].get("unschedulable")) for n in nodes) == 1
    groups = {n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] for n in nodes}
    assert groups == {"system", "application"}


def test_pods_cover_the_failure_modes() -> None:
    pods = {p["metadata"]["name"]: p for p in by_kind("Pod")}
    phases = {p["status"]["phase"] for p in pods.values()}
    assert {"Running", "Pending", "Succeeded"} <= phases
    waiting = [s["state"]["waiting"]["reason"] for p in pods.values()
               for s in p["status"].get("containerStatuses", []) if "waiting" in s["state"]]  # fmt: skip
    assert waiting == ["CrashLoopBackOff"]
    oom = pods["payments-5f7b9c8d4-m4pz8"]["status"]["containerStatuses"][0]
    assert oom["lastState"]["terminated"]["reason"] == "OOMKilled" and oom["restartCount"] > 10
    no_resources = [n for n, p in pods.items() if not p["spec"]["containers"][0]["resources"]]
    assert no_resources == ["legacy-app-84c5d6f7b9-kx8ds"]


def test_deployments_and_hpas() -> None:
    deployments = {d["metadata"]["name"]: d for d in by_kind("Deployment")}
    unavailable = sorted(n for n, d in deployments.items() if d["status"].get("unavailableReplicas"))
    assert unavailable == ["payments", "worker"]
    recent = [
        n for n, d in deployments.items()
        if any(datetime.fromisoformat(c["lastUpdateTime"]) > NOW - timedelta(days=1)
               for c in d["status"]["conditions"] if c["type"] == "Progressing")
    ]  # fmt: skip
    assert recent == ["my-app"]
    hpas = {h["metadata"]["name"]: h for h in by_kind("HorizontalPodAutoscaler")}
    assert hpas["my-app"]["status"]["currentReplicas"] == hpas["my-app"]["spec"]["maxReplicas"]
    assert condition(hpas["payments"], "ScalingActive") == "False"
    assert condition(hpas["myapp"], "ScalingActive") == "True"


def test_backups_bindings_and_logs() -> None:
    phases = sorted(b["status"]["phase"] for b in by_kind("Backup"))
    assert phases == ["Completed", "Completed", "Completed", "Failed", "PartiallyFailed"]
    admins = [b for b in by_kind("ClusterRoleBinding") if b["roleRef"]["name"] == "cluster-admin"]
    assert {s["kind"] for b in admins for s in b["subjects"]} >= {"User", "Group"}
    logs = {(s.pod, s.previous): s.lines for s in seed_logs(NOW)}
    assert any("ERROR" in line for _, line in logs[("myapp-6d4cf56db6-2xkqp", False)])
    assert not any("ERROR" in line for _, line in logs[("my-app-7c9d8f6b5-4kd2m", False)])
    assert all(moment <= NOW for lines in logs.values() for moment, _ in lines)


def test_seed_loads_and_keeps_relative_timestamps() -> None:
    store = ClusterStore()
    seed_cluster(store, NOW)
    assert len(store.list("nodes")) == len(by_kind("Node"))
    assert len(store.list("pods.metrics.k8s.io")) > 0 and len(store.list("nodes.metrics.k8s.io")) == 5
    rollout = store.get("replicasets.apps", "my-app-7c9d8f6b5", "production")
    assert rollout["metadata"]["creationTimestamp"] == "2025-06-01T05:00:00Z"
