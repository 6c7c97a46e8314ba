"""CheckGates on the fake cluster: what already failed does not stop a plan; what newly fails does."""

from __future__ import annotations

import time

from opsbook.core.models import Resource
from opsbook.engine.gates import CheckGates
from opsbook.procedures.apply import TargetClients
from opsbook.procedures.plan import PlanItem

GATE = ["k8s.pod_not_running"]  # new Pending pods are new findings: only "newly failing" catches them


def test_a_gate_turns_red_only_on_what_newly_fails(kube_cluster) -> None:  # type: ignore[no-untyped-def]
    from kubernetes import client as k8s

    _server, cfg = kube_cluster
    item = PlanItem(id="001", kind="k8s-deployment-scale", action="scale-deployment", cluster="my-cluster",
                    resource=Resource(id="default/legacy-app"), reason="test", gate=GATE)  # fmt: skip
    gates = CheckGates(cfg)
    baseline = gates.baseline([item])
    assert set(baseline) == set(GATE) and any(baseline.values())  # the seed has failures already
    assert gates.regressions(item, baseline) == []  # nothing changed: already-failing findings do not stop it

    clients = TargetClients(cfg)
    try:  # far more replicas than the nodes have room for: new pods stay Pending
        k8s.AppsV1Api(clients(item)("k8s")).patch_namespaced_deployment_scale(
            "legacy-app", "default", {"spec": {"replicas": 200}}
        )
    finally:
        clients.close()
    deadline = time.monotonic() + 10
    red: list[str] = []
    while not red and time.monotonic() < deadline:
        red = gates.regressions(item, baseline)
        time.sleep(0.3)
    assert red and any("legacy-app" in line for line in red), red
