"""Item kinds that act on a cluster: `clients("k8s")` is the item's cluster API client, through the same
kubeconfig path the checks use; the change is read back from the fake Kubernetes API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsbook.core.models import Resource
from opsbook.core.registry import Registry
from opsbook.procedures import plan as plans
from opsbook.procedures.apply import ApplyOptions, TargetClients, apply_plan
from opsbook.procedures.kinds import Clients, ItemKind, Live, item_kind
from opsbook.store.db import open_store
from tests.procedures.fakes import roundtrip

DEPLOYMENT = ("default", "legacy-app")


def replicas(api: Any) -> int:
    ns, name = DEPLOYMENT
    return int(api.get_json(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")["spec"]["replicas"])


def scale_kind() -> Registry[ItemKind]:
    reg: Registry[ItemKind] = Registry("k8s kinds")

    def recheck(item: plans.PlanItem, clients: Clients) -> Live:
        now = replicas(clients("k8s"))
        if now == item.params["replicas"]:
            return Live("done", f"already {now} replicas")
        return Live("eligible", f"{now} replicas")

    def act(item: plans.PlanItem, clients: Clients) -> dict[str, Any]:
        from kubernetes import client as k8s

        ns, name = DEPLOYMENT
        k8s.AppsV1Api(clients("k8s")).patch_namespaced_deployment_scale(
            name, ns, {"spec": {"replicas": item.params["replicas"]}}
        )
        return {"replicas": item.params["replicas"]}

    item_kind("k8s-deployment-scale", action="scale-deployment", permissions=("patch deployments.apps/scale",),
              recheck=recheck, act=act, registry=reg)  # fmt: skip
    return reg


def scale_plan(cluster: str, to: int) -> plans.Plan:
    item = plans.PlanItem(
        id="001",
        kind="k8s-deployment-scale",
        action="scale-deployment",
        cluster=cluster,
        resource=Resource(id="default/legacy-app", type="Deployment"),
        reason="the guide's `kubectl scale deployment legacy-app --replicas=N`",
        params={"replicas": to},
    )
    return plans.new_plan("test", [item])


def test_an_item_acts_on_its_cluster_and_the_change_reads_back(kube_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _server, cfg = kube_cluster
    clients = TargetClients(cfg)
    store = open_store(cfg.storage.url)
    try:
        before = replicas(clients(scale_plan("my-cluster", 0).items[0])("k8s"))
        plan, raw = roundtrip(scale_plan("my-cluster", before + 2), tmp_path)
        result = apply_plan(plan, raw, cfg=cfg, store=store, clients_for=clients, options=ApplyOptions(),
                            approve=lambda todo: None, registry=scale_kind())  # fmt: skip
        assert [o.result for o in result.outcomes] == ["done"]
        assert replicas(clients(plan.items[0])("k8s")) == before + 2  # read back from the API
        again = apply_plan(plan, raw, cfg=cfg, store=store, clients_for=clients, options=ApplyOptions(),
                           approve=lambda todo: None, registry=scale_kind())  # fmt: skip
        assert [o.result for o in again.outcomes] == ["already-done"]
    finally:
        clients.close()
        store.close()


def test_an_item_for_a_cluster_not_configured_is_refused(kube_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _server, cfg = kube_cluster
    store = open_store(cfg.storage.url)
    clients = TargetClients(cfg)
    try:
        plan, raw = roundtrip(scale_plan("elsewhere", 5), tmp_path)
        result = apply_plan(plan, raw, cfg=cfg, store=store, clients_for=clients, options=ApplyOptions(),
                            approve=lambda todo: None, registry=scale_kind())  # fmt: skip
        assert [(o.result, o.reason) for o in result.outcomes] == [
            ("refused", "cluster 'elsewhere' is not in the configuration")
        ]
    finally:
        clients.close()
        store.close()


def test_a_kubernetes_action_needs_the_items_cluster() -> None:
    from opsbook.core.config import Config
    from opsbook.core.errors import NotFound

    item = scale_plan("x", 1).items[0].model_copy(update={"cluster": None})
    with pytest.raises(NotFound, match="needs the item's cluster"):
        TargetClients(Config())(item)("k8s")
