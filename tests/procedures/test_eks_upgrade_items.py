"""The eks-upgrade item kinds and waits on an EKS API and a cluster API in memory (tests/procedures/eks_fakes.py):
re-checks (eligible / done / changed), acts, waits and their failures; the sandbox runs are
tests/cli/test_eks_upgrade.py and tests/procedures/test_eks_upgrade_sandbox.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opsbook.core.labels import selector_matches
from opsbook.core.models import Resource
from opsbook.procedures import load_builtin
from opsbook.procedures.k8s_drain import eviction_blockers
from opsbook.procedures.kinds import KINDS, Clients
from opsbook.procedures.plan import PlanItem, Wait
from opsbook.procedures.steps import WAITS, WaitFailed, poll
from tests.procedures.eks_fakes import FakeApi, FakeEks, pdb, pod

load_builtin()


def clients(eks: FakeEks, api: FakeApi | None = None) -> Clients:
    return Clients(
        lambda s: eks if s == "eks" else api, options={}, plan_hash="sha256:t", now=datetime.now(UTC)
    )


def item(kind: str, wait: str | None = None, **params: Any) -> PlanItem:
    waits = Wait(condition=wait, params=params, timeout_s=5, interval_s=0.01) if wait else None
    return PlanItem(id="001", kind=kind, action="x", cluster="my-cluster", resource=Resource(id="r"), reason="",
                    params=params, wait=waits)  # fmt: skip


def cp_item() -> PlanItem:
    return item("eks-cluster-version", "cluster-version", cluster="my-cluster", to="1.33", **{"from": "1.32"})


def test_control_plane_recheck_act_and_wait() -> None:
    eks, it = FakeEks(), cp_item()
    kind, c = KINDS.get("eks-cluster-version"), clients(eks)
    assert kind.recheck(it, c).state == "eligible"
    assert kind.act(it, c)["update_id"] == "u-1"
    live = kind.recheck(it, c)  # killed right after acting: the update in progress is the step done
    assert (live.state, live.reason) == ("done", "an update to 1.33 is in progress (update u-1)")
    ok, progress = WAITS.get("cluster-version").fn(it, c, it.wait.params)  # type: ignore[union-attr]
    assert not ok and "control plane UPDATING at 1.32, upgrading to 1.33: 1m0" in progress
    assert "EKS usually takes 15-20 min" in progress
    eks.finish()
    assert WAITS.get("cluster-version").fn(it, c, it.wait.params) == (True, "control plane ACTIVE at 1.33")  # type: ignore[union-attr]
    assert kind.recheck(it, c).state == "done" and eks.calls == ["UpdateClusterVersion 1.33"]
    assert kind.undo is None and "cannot downgrade a control plane" in kind.irreversible


def test_control_plane_changed_since_the_plan_and_a_failed_update() -> None:
    eks, it = FakeEks(version="1.31"), cp_item()
    assert KINDS.get("eks-cluster-version").recheck(it, clients(eks)).state == "changed"
    eks = FakeEks()
    KINDS.get("eks-cluster-version").act(it, clients(eks))
    eks.finish("Failed", [{"errorCode": "InsufficientFreeAddresses", "errorMessage": "subnets are full"}])
    waited = poll(WAITS.get("cluster-version"), it, clients(eks), deadline=1e12, interval=0.01)
    assert waited.ended and not waited.ok  # failed at once, not at the deadline
    assert "ended Failed: InsufficientFreeAddresses: subnets are full" in waited.progress
    assert waited.failure("cluster-version", 5).startswith("cluster-version failed after 0 s: update u-1")


def ng_item(group: str = "application") -> PlanItem:
    return item("eks-nodegroup-version", "nodegroup-version", cluster="my-cluster", nodegroup=group, to="1.33",
                excused=[], **{"from": "1.32"})  # fmt: skip


def test_a_node_group_step_waits_for_its_kubelets_and_pods() -> None:
    eks, api, it = FakeEks(), FakeApi(), ng_item()
    kind, wait, c = KINDS.get("eks-nodegroup-version"), WAITS.get("nodegroup-version"), clients(eks, api)
    api.group("application", "1.32")
    assert kind.recheck(it, c).state == "eligible"
    kind.act(it, c)
    assert kind.recheck(it, c).state == "done"
    eks.finish()
    ok, progress = wait.fn(it, c, it.wait.params)  # type: ignore[union-attr]
    assert not ok and "nodes at 1.33: 0 (0 Ready), older: 2" in progress
    api.group("application", "1.33", ready=False)
    assert not wait.fn(it, c, it.wait.params)[0]  # type: ignore[union-attr]
    api.group("application", "1.33")
    api.pods = [
        pod("production", "my-app-x", "application-1.33-0", {"app": "my-app"}, phase="Pending", ready=False)
    ]
    ok, progress = wait.fn(it, c, it.wait.params)  # type: ignore[union-attr]
    assert not ok and "still coming back: production/my-app-x" in progress
    api.pods = [pod("production", "my-app-x", "application-1.33-0", {"app": "my-app"})]
    assert wait.fn(it, c, it.wait.params) == (
        True,
        "node group ACTIVE at 1.33; nodes at 1.33: 2 (2 Ready), older: 0",
    )  # type: ignore[union-attr]
    assert kind.undo is None and "cannot roll a managed node group back" in kind.irreversible


def test_a_failed_drain_names_the_budget_and_its_pods() -> None:
    eks, api, it = FakeEks(version="1.33"), FakeApi(), ng_item()
    c = clients(eks, api)
    eks.groups["application"]["version"] = "1.32"
    api.group("application", "1.32", cordoned=True)
    api.pods = [pod("production", "my-app-1", "application-1.32-0", {"app": "my-app"}),
                pod("production", "my-app-2", "application-1.32-1", {"app": "my-app"}),
                pod("other", "my-app-3", "application-1.32-1", {"app": "my-app"})]  # fmt: skip
    api.pdbs = [pdb("production", "my-app", {"matchLabels": {"app": "my-app"}}, allowed=0),
                pdb("production", "roomy", {"matchLabels": {"app": "my-app"}}, allowed=1)]  # fmt: skip
    KINDS.get("eks-nodegroup-version").act(it, c)
    ok, progress = WAITS.get("nodegroup-version").fn(it, c, it.wait.params)  # type: ignore[union-attr]
    assert not ok and "is blocked by PodDisruptionBudget production/my-app" in progress  # a stall says why
    eks.finish("Failed", [{"errorCode": "PodEvictionFailure", "errorMessage": "Reached max retries while trying to evict pods from nodes in node group application"}])  # fmt: skip
    with pytest.raises(WaitFailed) as caught:
        WAITS.get("nodegroup-version").fn(it, c, it.wait.params)  # type: ignore[union-attr]
    text = str(caught.value)
    assert "ended Failed: PodEvictionFailure: Reached max retries" in text
    assert ("PodDisruptionBudget production/my-app (minAvailable 2; 2 healthy of 2 needed; 0 disruptions allowed) "
            "protects production/my-app-1 on application-1.32-0, production/my-app-2 on application-1.32-1") in text  # fmt: skip
    assert "roomy" not in text and "other/my-app-3" not in text
    assert "apply the plan again" in text and "--force" in text and "\n" not in text


@pytest.mark.parametrize(
    ("selector", "labels", "want"),
    [
        (None, {"app": "a"}, False),
        ({}, {"app": "a"}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "a", "x": "1"}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]}, {"tier": "api"}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, {"tier": "web"}, False),
        ({"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, {"app": "a"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}], "matchLabels": {"app": "b"}}, {"app": "a"}, False),
    ],
)  # fmt: skip
def test_a_budget_selects_pods_as_kubernetes_does(selector: Any, labels: dict[str, str], want: bool) -> None:
    assert selector_matches(selector, labels) is want  # as eviction_blockers reads a budget


def test_only_budgets_with_no_disruption_left_block() -> None:
    api = FakeApi()
    api.pods = [pod("ns", "p", "n1", {"app": "a"})]
    api.pdbs = [pdb("ns", "b", {"matchLabels": {"app": "a"}}, allowed=0)]
    assert [b.pdb for b in eviction_blockers(api, ["n1"])] == ["ns/b"]
    assert eviction_blockers(api, ["n2"]) == []  # its pods are elsewhere


def addon_item() -> PlanItem:
    return item("eks-addon-version", "addon-active", cluster="my-cluster", addon="vpc-cni", to="v1.19.2-eksbuild.1",
                excused=[], **{"from": "v1.18.0-eksbuild.1"})  # fmt: skip


def test_an_addon_moves_once_and_says_why_it_cannot_move_back() -> None:
    eks, api, it = FakeEks(), FakeApi(), addon_item()
    kind, c = KINDS.get("eks-addon-version"), clients(eks, api)
    assert kind.recheck(it, c).state == "eligible"
    kind.act(it, c)
    assert kind.recheck(it, c).state == "done"
    assert not WAITS.get("addon-active").fn(it, c, it.wait.params)[0]  # type: ignore[union-attr]
    eks.finish()
    api.pods = [pod("kube-system", "aws-node-x", "n1", {"k8s-app": "aws-node"}, phase="Pending", ready=False)]
    ok, progress = WAITS.get("addon-active").fn(it, c, it.wait.params)  # type: ignore[union-attr]
    assert not ok and progress.endswith("still coming back: kube-system/aws-node-x")
    api.pods = []
    assert WAITS.get("addon-active").fn(it, c, it.wait.params) == (
        True,
        "add-on vpc-cni ACTIVE at v1.19.2-eksbuild.1",
    )  # type: ignore[union-attr]
    assert eks.calls == ["UpdateAddon vpc-cni v1.19.2-eksbuild.1 PRESERVE"]
    assert kind.undo is None and "not compatible with the cluster's Kubernetes version" in kind.irreversible
    eks.addons["vpc-cni"]["addonVersion"] = "v1.18.5-eksbuild.1"
    assert kind.recheck(it, c).state == "changed"


def test_verify_prints_one_table_and_fails_on_what_is_behind() -> None:
    eks, api = FakeEks(version="1.33"), FakeApi()
    for g in eks.groups.values():
        g["version"] = "1.33"
    api.group("application", "1.33")
    api.group("system", "1.32", count=1)
    it = item("eks-upgrade-verify", cluster="my-cluster", to="1.33", addons={"vpc-cni": "v1.18.0-eksbuild.1"})
    kind = KINDS.get("eks-upgrade-verify")
    with pytest.raises(RuntimeError, match=r"kubelets of system: v1\.32\.0-eks-0000000 x1"):
        kind.act(it, clients(eks, api))
    api.group("system", "1.33", count=1)
    detail = kind.act(it, clients(eks, api))
    lines = detail["display"]
    assert lines[1].split() == ["what", "name", "version", "status"]
    assert any(line.split()[:3] == ["control", "plane", "my-cluster"] and "1.33" in line for line in lines)
    assert ["kubelets", "system", "v1.33.0-eks-0000000", "x1", "1/1", "Ready"] in [
        line.split() for line in lines
    ]
    assert {
        "what": "add-on",
        "name": "coredns",
        "version": "v1.11.4-eksbuild.2",
        "status": "ACTIVE",
    } in detail["versions"]


def test_a_replicaset_short_of_its_evicted_pods_is_still_coming_back() -> None:
    from opsbook.procedures.k8s_drain import unsettled

    api = FakeApi()
    owned = {"ownerReferences": [{"kind": "ReplicaSet", "name": "coredns-1", "controller": True}]}
    api.replicasets = [
        {"metadata": {"namespace": "kube-system", "name": "coredns-1"}, "spec": {"replicas": 2}}
    ]
    api.pods = [pod("kube-system", "coredns-1-a", "n1", {"app": "coredns"})]
    api.pods[0]["metadata"] |= owned
    assert unsettled(api) == ["kube-system/coredns-1 1/2 pods"]  # evicted, not re-created yet
    assert unsettled(api, ["kube-system/coredns-1"]) == []  # so before the change: not waited for
    api.pods.append(pod("kube-system", "coredns-1-b", "n2", {"app": "coredns"}))
    api.pods[1]["metadata"] |= owned
    api.deployments = [{"metadata": {"namespace": "kube-system", "name": "coredns"}, "spec": {"replicas": 2},
                        "status": {"availableReplicas": 1}}]  # fmt: skip
    assert unsettled(api) == ["kube-system/coredns 1/2 available"]  # its status has not caught up yet
    api.replicasets[0]["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": "coredns"}]
    api.pods[1] = pod("kube-system", "coredns-1-b", "n2", {"app": "coredns"}, waiting="ImagePullBackOff")
    api.pods[1]["metadata"] |= owned
    assert unsettled(api) == []  # a stuck pod will not come back by waiting: the gates judge it
    before = unsettled(api, stuck_too=True)  # at plan time: everything not settled is excused later
    assert before == ["kube-system/coredns-1-b", "kube-system/coredns 1/2 available"]
