"""Kubernetes collectors against the seeded fake API over HTTPS (real kubernetes client), once per kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from opsbook.collect.k8s.quantity import bytes_of, millicores, parse
from opsbook.core.labels import compile_labels as compile_selector
from opsbook.core.models import Target, TargetKind
from opsbook.engine.inventory import CollectFailed, Inventory
from opsbook.engine.k8s_runner import K8sRunner
from opsbook.engine.selection import load_builtin
from opsbook.providers.aws.stats import ApiStats

TARGET = Target(kind=TargetKind.K8S, cluster="my-cluster")
KINDS = ("k8s.nodes", "k8s.pods", "k8s.deployments", "k8s.hpas", "k8s.node_metrics", "k8s.pod_metrics")


@pytest.fixture()
def inventory(kube_cluster):  # type: ignore[no-untyped-def]
    load_builtin()
    _, cfg = kube_cluster
    stats = ApiStats()
    runner = K8sRunner(cfg, stats)
    inv = Inventory(TARGET, cfg, datetime.now(UTC), runner.prepare(TARGET))
    inv.stats = stats  # type: ignore[attr-defined]
    yield inv
    runner.close()


def test_every_kind_is_listed_once_however_often_it_is_read(inventory) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        for key in (*KINDS, "k8s.app_logs"):
            inventory.get(key)
    calls = inventory.stats.by_target()["k8s:my-cluster"]
    for op in ("list nodes", "list pods", "list deployments.apps", "list replicasets.apps",
               "list horizontalpodautoscalers.autoscaling", "list nodes.metrics.k8s.io", "list pods.metrics.k8s.io"):  # fmt: skip
        assert calls[f"k8s:{op}"] == 1, (op, calls)
    assert calls["k8s:get pods/log"] == 7  # 3 myapp pods + 4 my-app pods, one container each


def test_models_carry_what_the_checks_read(inventory) -> None:  # type: ignore[no-untyped-def]
    nodes = {n.name: n for n in inventory.get("k8s.nodes")}
    assert nodes["ip-10-0-2-21.ec2.internal"].ready == "Unknown"
    assert nodes["ip-10-0-2-22.ec2.internal"].problems == ["MemoryPressure"]
    assert nodes["ip-10-0-2-23.ec2.internal"].unschedulable
    assert nodes["ip-10-0-2-24.ec2.internal"].allocatable_cpu_m == 1930
    pods = {p.key: p for p in inventory.get("k8s.pods")}
    assert pods["production/payments-5f7b9c8d4-c7xkq"].status == "CrashLoopBackOff"
    assert not pods["production/payments-5f7b9c8d4-c7xkq"].healthy
    oom = pods["production/payments-5f7b9c8d4-m4pz8"].containers[0]
    assert (oom.restart_count, oom.last_reason, oom.last_exit_code) == (27, "OOMKilled", 137)
    assert pods["production/worker-59d6f7c8b-zt5lq"].unschedulable.startswith("Unschedulable: 0/6 nodes")
    legacy = pods["default/legacy-app-84c5d6f7b9-kx8ds"].containers[0]
    assert legacy.requests_cpu_m is None and legacy.limits_memory is None
    deps = {d.key: d for d in inventory.get("k8s.deployments")}
    now = datetime.now(UTC)
    assert now - deps["production/my-app"].rolled_out_at < timedelta(hours=4)  # the new ReplicaSet
    assert now - deps["production/myapp"].rolled_out_at > timedelta(days=11)
    assert deps["production/payments"].unavailable == 2
    hpas = {h.key: h for h in inventory.get("k8s.hpas")}
    assert hpas["production/my-app"].current_metrics == ("cpu 95%",)
    assert hpas["production/payments"].condition("ScalingActive").status == "False"
    usage = {u.name: u for u in inventory.get("k8s.node_metrics")}
    assert usage["ip-10-0-2-24.ec2.internal"].cpu_m == 1780 and "ip-10-0-2-21.ec2.internal" not in usage
    pod_usage = {u.key: u for u in inventory.get("k8s.pod_metrics")}
    assert pod_usage["production/myapp-6d4cf56db6-2xkqp"].memory == 470 * 1024 * 1024


def test_application_logs_are_tailed_for_configured_selectors(inventory) -> None:  # type: ignore[no-untyped-def]
    logs = {s.selector: s for s in inventory.get("k8s.app_logs")}
    assert set(logs) == {"app=myapp", "app=my-app"}
    myapp = logs["app=myapp"]
    assert myapp.matched_pods == 3 and not myapp.truncated
    assert all(len(t.lines) == 100 for t in myapp.tails)  # --tail=100 of 120 lines
    assert any("ERROR" in line for t in myapp.tails for line in t.lines)


def test_forbidden_kind_fails_only_its_key(kube_cluster, inventory) -> None:  # type: ignore[no-untyped-def]
    server, _ = kube_cluster
    server.forbid("list", "horizontalpodautoscalers", group="autoscaling")
    with pytest.raises(CollectFailed) as failed:
        inventory.get("k8s.hpas")
    assert failed.value.error.action == "list horizontalpodautoscalers.autoscaling"
    assert inventory.get("k8s.nodes")


def test_quantities_and_selectors() -> None:
    assert millicores("250m") == 250 and millicores("2") == 2000 and millicores("1.5") == 1500
    assert bytes_of("512Mi") == 512 * 2**20 and bytes_of("7246212Ki") == 7246212 * 1024
    assert bytes_of("1G") == 10**9 and parse("1e3") == Decimal(1000) and parse("n/a") is None
    match = compile_selector("app in (myapp, my-app),tier!=db,!canary")
    assert match({"app": "myapp"}) and not match({"app": "other"})
    assert not match({"app": "myapp", "canary": "1"}) and not match({"app": "my-app", "tier": "db"})
    assert compile_selector("job-name")({"job-name": "x"}) and compile_selector("app==a")({"app": "a"})
    with pytest.raises(ValueError):
        compile_selector("app in (a")


def test_velero_backups_and_schedules_and_pod_capacity(inventory) -> None:  # type: ignore[no-untyped-def]
    state = inventory.get("k8s.velero")
    assert state.installed and {s.name for s in state.schedules} == {"daily-backup", "weekly-full"}
    phases = sorted(b.phase for b in state.backups if b.schedule == "daily-backup")
    assert phases == ["Completed", "Failed", "PartiallyFailed"]
    failed = next(b for b in state.backups if b.phase == "Failed")
    assert "cache to sync" in (failed.failure_reason or "") and failed.completed is not None
    assert any(b.schedule is None for b in state.backups)  # the manual my-backup-YYYYMMDD
    calls = inventory.stats.by_target()["k8s:my-cluster"]
    assert calls["k8s:list backups.velero.io"] == 1 and calls["k8s:list schedules.velero.io"] == 1
    nodes = {n.name: n.allocatable_pods for n in inventory.get("k8s.nodes")}
    assert nodes["ip-10-0-2-24.ec2.internal"] == 5 and nodes["ip-10-0-1-10.ec2.internal"] == 29
