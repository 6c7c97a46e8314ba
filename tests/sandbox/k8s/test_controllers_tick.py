"""The controllers' background tick stops re-listing a settled cluster and starts again on a change."""

from __future__ import annotations

from opsbook.sandbox.k8s.controllers import Controllers
from opsbook.sandbox.k8s.store import ClusterStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def configmap(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


def test_a_settled_cluster_is_not_reconciled_until_it_changes() -> None:
    store, clock = ClusterStore(), FakeClock()
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    controllers = Controllers(store, clock=clock)
    passes: list[float] = []
    real_pass = controllers._pass
    controllers._pass = lambda: passes.append(clock.now) or real_pass()  # type: ignore[method-assign]

    controllers.tick(0.2)  # just changed: a timer may still be running, so every tick reconciles
    clock.now += 1.0
    controllers.tick(0.2)
    assert len(passes) == 2
    clock.now += controllers._timers() + 1  # longer than every controller's timer, and a pass changes nothing
    controllers.tick(0.2)
    assert len(passes) == 3
    for _ in range(5):
        clock.now += 0.2
        controllers.tick(0.2)
    assert len(passes) == 3  # settled: nothing re-listed

    store.create(configmap("changed"))  # any change (an API write, the EKS bridge) wakes the tick up
    controllers.tick(0.2)
    assert len(passes) == 4
