"""The daily Kubernetes checks, purely, on hand-built models (no server)."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.k8s.models import (
    Condition,
    K8sContainer,
    K8sDeployment,
    K8sHpa,
    K8sNode,
    K8sPod,
    LogTail,
    NodeUsage,
    PodUsage,
    SelectorLogs,
)
from opsbook.core.models import Severity, Status, Target, TargetKind
from tests.checks.helpers import NOW, by_status, run_check

K8S = Target(kind=TargetKind.K8S, cluster="my-cluster")
GI = 1024**3
FULL = {"requests_cpu_m": 250, "requests_memory": GI // 4, "limits_cpu_m": 500, "limits_memory": GI // 2}


def check(check_id: str, inventory: dict, settings: dict | None = None):  # type: ignore[no-untyped-def]
    return by_status(run_check(check_id, inventory, settings, target=K8S))


def node(name: str, ready: str = "True", pressure: bool = False, cordoned: bool = False) -> K8sNode:
    conds = [
        Condition(
            type="Ready", status=ready, reason="KubeletReady" if ready == "True" else "NodeStatusUnknown"
        )
    ]
    conds.append(Condition(type="MemoryPressure", status="True" if pressure else "False"))
    return K8sNode(name=name, ready=ready, conditions=tuple(conds), unschedulable=cordoned,
                   allocatable_cpu_m=2000, allocatable_memory=8 * GI)  # fmt: skip


def container(**kw) -> K8sContainer:  # type: ignore[no-untyped-def]
    return K8sContainer(**{"name": "app", "state": "running", "ready": True, **FULL, **kw})


def pod(
    name: str, ns: str = "production", phase: str = "Running", node_name: str | None = "n1", **kw
) -> K8sPod:  # type: ignore[no-untyped-def]
    containers = kw.pop("containers", (container(),))
    return K8sPod(namespace=ns, name=name, phase=phase, node=node_name, containers=containers, **kw)


def test_nodes_not_ready_pressure_and_cordoned() -> None:
    nodes = [
        node("ok"),
        node("down", ready="Unknown"),
        node("hot", pressure=True),
        node("cordoned", cordoned=True),
    ]
    r = check("k8s.node_not_ready", {"k8s.nodes": nodes})
    assert [f.resource.id for f in r[Status.FAIL]] == ["down"] and len(r[Status.PASS]) == 3
    assert "NodeStatusUnknown" in r[Status.FAIL][0].message
    r = check("k8s.node_pressure", {"k8s.nodes": nodes})
    assert [f.resource.id for f in r[Status.FAIL]] == ["hot"] and "MemoryPressure" in r[Status.FAIL][
        0
    ].message
    r = check("k8s.node_unschedulable", {"k8s.nodes": nodes})
    assert [f.resource.id for f in r[Status.FAIL]] == ["cordoned"] and len(r[Status.PASS]) == 3


def test_pods_not_running_with_reason() -> None:
    crash = container(state="waiting", reason="CrashLoopBackOff", message="back-off 5m0s", ready=False)
    pods = [
        pod("good"),
        pod("job", phase="Succeeded", containers=(container(state="terminated", reason="Completed"),)),
        pod("crash", containers=(crash,)),
        pod(
            "pending", phase="Pending", node_name=None, unschedulable="Unschedulable: 0/6 nodes are available"
        ),
        pod("other", ns="default"),
    ]
    r = check("k8s.pod_not_running", {"k8s.pods": pods})
    fails = {f.resource.id: f for f in r[Status.FAIL]}
    assert set(fails) == {"production/crash", "production/pending"}
    assert "CrashLoopBackOff" in fails["production/crash"].message
    assert fails["production/pending"].details["reason"].startswith("Unschedulable")
    assert {f.resource.id for f in r[Status.PASS]} == {"namespace/production", "namespace/default"}


def test_container_restarts_count_only_recent_ones() -> None:
    recent = container(restart_count=27, last_reason="OOMKilled", last_exit_code=137,
                       last_finished_at=NOW - timedelta(minutes=20))  # fmt: skip
    old = container(restart_count=40, last_reason="Error", last_finished_at=NOW - timedelta(days=3))
    unknown = container(restart_count=9)
    few = container(restart_count=2, last_finished_at=NOW - timedelta(minutes=5))
    pods = [pod("oom", containers=(recent,)), pod("old", containers=(old,)), pod("unknown", containers=(unknown,)),
            pod("few", containers=(few,))]  # fmt: skip
    r = check("k8s.container_restarts", {"k8s.pods": pods})
    fails = {f.resource.id: f for f in r[Status.FAIL]}
    assert set(fails) == {"production/oom", "production/unknown"}
    assert (
        fails["production/oom"].severity is Severity.HIGH and "OOMKilled" in fails["production/oom"].message
    )
    assert fails["production/unknown"].severity is Severity.MEDIUM
    assert r[Status.PASS][0].details["pods"] == 2
    r = check("k8s.container_restarts", {"k8s.pods": pods}, {"max_restarts": 30, "window_hours": 100})
    assert {f.resource.id for f in r[Status.FAIL]} == {"production/old"}


def deployment(
    name: str, replicas: int = 3, available: int = 3, rolled: timedelta = timedelta(days=9)
) -> K8sDeployment:
    return K8sDeployment(namespace="production", name=name, replicas=replicas, ready=available, available=available,
                         unavailable=replicas - available, revision="2", images=("img:1",),
                         rolled_out_at=NOW - rolled)  # fmt: skip


def test_deployments_unavailable_and_changed() -> None:
    deps = [deployment("ok"), deployment("payments", 3, 1), deployment("my-app", rolled=timedelta(hours=3)),
            deployment("zero", 0, 0)]  # fmt: skip
    r = check("k8s.deployment_unavailable", {"k8s.deployments": deps})
    assert [f.resource.id for f in r[Status.FAIL]] == ["production/payments"]
    assert "1/3" in r[Status.FAIL][0].message and len(r[Status.PASS]) == 3
    r = check("k8s.deployment_changed", {"k8s.deployments": deps})
    [changed] = r[Status.FAIL]
    assert changed.resource.id == "production/my-app" and changed.severity is Severity.INFO
    assert changed.details["changed"] is True and "3.0 h ago" in changed.message
    r = check("k8s.deployment_changed", {"k8s.deployments": deps}, {"window_hours": 1})
    assert not r[Status.FAIL]


def hpa(name: str, current: int, high: int, active: str = "True", limited: str = "False") -> K8sHpa:
    conds = (
        Condition(type="ScalingActive", status=active, reason="FailedGetResourceMetric" if active != "True" else "ValidMetricFound"),
        Condition(type="ScalingLimited", status=limited, reason="TooManyReplicas" if limited == "True" else "DesiredWithinRange"),
    )  # fmt: skip
    return K8sHpa(namespace="production", name=name, min_replicas=2, max_replicas=high, current=current,
                  desired=current, conditions=conds, current_metrics=("cpu 50%",) if active == "True" else ())  # fmt: skip


def test_hpas_at_max_or_without_metrics() -> None:
    hpas = [hpa("ok", 3, 20), hpa("pinned", 4, 4, limited="True"), hpa("blind", 3, 10, active="False")]
    r = check("k8s.hpa_at_max", {"k8s.hpas": hpas})
    assert [f.resource.id for f in r[Status.FAIL]] == ["production/pinned"] and len(r[Status.PASS]) == 2
    r = check("k8s.hpa_metrics_unavailable", {"k8s.hpas": hpas})
    assert [f.resource.id for f in r[Status.FAIL]] == ["production/blind"]
    assert "FailedGetResourceMetric" in r[Status.FAIL][0].message


def test_node_usage_against_allocatable_with_top_pods() -> None:
    nodes = [node("calm"), node("busy"), node("dark", ready="Unknown")]
    usage = [
        NodeUsage(name="calm", cpu_m=400, memory=2 * GI),
        NodeUsage(name="busy", cpu_m=1900, memory=3 * GI),
    ]
    pods = [pod("a", node_name="busy"), pod("b", node_name="busy"), pod("c", node_name="calm")]
    pod_usage = [PodUsage(namespace="production", name="a", cpu_m=100, memory=GI),
                 PodUsage(namespace="production", name="b", cpu_m=900, memory=2 * GI),
                 PodUsage(namespace="production", name="c", cpu_m=10, memory=GI)]  # fmt: skip
    inv = {"k8s.nodes": nodes, "k8s.node_metrics": usage, "k8s.pods": pods, "k8s.pod_metrics": pod_usage}
    r = check("k8s.node_usage_high", inv)
    [busy] = r[Status.FAIL]
    assert busy.resource.id == "busy" and "CPU 95%" in busy.message
    assert [p["pod"] for p in busy.details["top_pods_by_memory"]] == ["production/b", "production/a"]
    assert [f.resource.id for f in r[Status.PASS]] == ["calm"]
    assert [f.resource.id for f in r[Status.SKIPPED]] == ["dark"]
    r = check("k8s.node_usage_high", inv, {"memory_percent": 20})
    assert {f.resource.id for f in r[Status.FAIL]} == {"busy", "calm"}


def test_node_overcommit_from_requests_and_limits() -> None:
    nodes = [node("n1"), node("n2")]
    pods = [pod(f"p{i}", node_name="n1") for i in range(5)]  # limits 2500m of 2000m
    pods += [pod("q", node_name="n2"), pod("done", node_name="n2", phase="Succeeded")]
    r = check("k8s.node_overcommitted", {"k8s.nodes": nodes, "k8s.pods": pods})
    [over] = r[Status.FAIL]
    assert over.resource.id == "n1" and "cpu limits 125%" in over.message
    assert over.details["cpu_requests_m"] == 1250
    [ok] = r[Status.PASS]
    assert ok.details["pods"] == 1  # the Succeeded pod no longer holds resources


def test_pods_missing_requests_or_limits() -> None:
    bare = container(requests_cpu_m=None, requests_memory=None, limits_cpu_m=None, limits_memory=None)
    no_cpu_limit = container(limits_cpu_m=None)
    pods = [
        pod("full"),
        pod("legacy", ns="default", containers=(bare,)),
        pod("burst", containers=(no_cpu_limit,)),
    ]
    r = check("k8s.pod_missing_resources", {"k8s.pods": pods})
    assert {f.resource.id for f in r[Status.FAIL]} == {"default/legacy", "production/burst"}
    assert r[Status.PASS][0].details["pods"] == 1
    relaxed = check("k8s.pod_missing_resources", {"k8s.pods": pods},
                    {"require": ["requests.cpu", "requests.memory", "limits.memory"]})  # fmt: skip
    assert [f.resource.id for f in relaxed[Status.FAIL]] == ["default/legacy"]


def test_application_log_review_counts_patterns_and_top_messages() -> None:
    noisy = ("INFO ok", "ERROR [db] Database connection timeout after 30s", "ERROR [db] Database connection timeout after 31s",
             "WARN slow", "Exception: upstream timed out")  # fmt: skip
    logs = [
        SelectorLogs(selector="app=myapp", matched_pods=2,
                     tails=(LogTail(namespace="production", pod="myapp-1", container="app", lines=noisy),
                            LogTail(namespace="production", pod="myapp-2", container="app", error="400"))),
        SelectorLogs(selector="app=my-app", matched_pods=1,
                     tails=(LogTail(namespace="production", pod="my-app-1", container="app", lines=("INFO fine",)),)),
        SelectorLogs(selector="app=nothing", matched_pods=0),
    ]  # fmt: skip
    r = check("k8s.app_log_errors", {"k8s.app_logs": logs})
    [bad] = r[Status.FAIL]
    assert bad.resource.id == "selector/app=myapp" and bad.details["matching_lines"] == 3
    assert bad.details["top_messages"][0] == {
        "message": "ERROR [db] Database connection timeout after <n>s",
        "count": 2,
    }
    assert [f.resource.id for f in r[Status.PASS]] == ["selector/app=my-app"]
    assert [f.resource.id for f in r[Status.SKIPPED]] == ["selector/app=nothing"]
    assert not check("k8s.app_log_errors", {"k8s.app_logs": logs}, {"max_errors": 10})[Status.FAIL]
