"""engine/node_fit.py: a scale-in is judged by the requests the remaining nodes must hold."""

from __future__ import annotations

from opsbook.collect.k8s.models import K8sContainer, K8sNode, K8sPod
from opsbook.engine.node_fit import fit_after_removing

GIB = 1024**3


def node(name: str, group: str, cpu: int = 2000, ready: str = "True", **kw: object) -> K8sNode:
    return K8sNode(name=name, nodegroup=group, ready=ready, allocatable_cpu_m=cpu, allocatable_memory=8 * GIB,
                   allocatable_pods=10, **kw)  # type: ignore[arg-type]  # fmt: skip


def pod(name: str, on: str, cpu: int, owner: str = "ReplicaSet/app-1", phase: str = "Running") -> K8sPod:
    c = K8sContainer(name="app", requests_cpu_m=cpu, requests_memory=GIB)
    return K8sPod(namespace="default", name=name, node=on, owner=owner, phase=phase, containers=(c,))


def test_pods_that_fit_on_what_is_left_pass_and_too_many_fail() -> None:
    nodes = [node("a1", "app"), node("a2", "app"), node("s1", "system")]
    pods = [pod("p1", "a1", 900), pod("p2", "a2", 900), pod("p3", "s1", 900)]
    ok = fit_after_removing(nodes, pods, "app", 1)
    assert ok.short == [] and ok.cpu_m == (2700, 4000) and len(ok.removed) == 1
    tight = fit_after_removing(nodes, pods, "app", 2)
    assert tight.short == ["CPU requests 2700m > 2000m left"]


def test_the_largest_nodes_are_assumed_gone_and_daemonset_pods_leave_with_theirs() -> None:
    nodes = [node("big", "app", cpu=4000), node("small", "app", cpu=1000), node("s1", "system", cpu=1000)]
    pods = [pod("p1", "big", 1500), pod("ds-big", "big", 500, owner="DaemonSet/aws-node"),
            pod("ds-s1", "s1", 100, owner="DaemonSet/aws-node"), pod("done", "s1", 5000, phase="Succeeded")]  # fmt: skip
    fit = fit_after_removing(nodes, pods, "app", 1)
    assert fit.removed == ("big",) and fit.cpu_m == (1600, 2000) and fit.pods == (2, 20) and fit.short == []


def test_not_ready_and_cordoned_nodes_offer_nothing() -> None:
    nodes = [node("a1", "app", ready="False"), node("a2", "app", unschedulable=True), node("a3", "app")]
    fit = fit_after_removing(nodes, [pod("p1", "a3", 1500)], "app", 1)
    assert fit.cpu_m == (1500, 0) and "CPU requests 1500m > 0m left" in fit.short
