"""`scale-nodegroup` on the session sandbox: what the planner refuses and warns about, the plan it writes
(current -> proposed, cost delta, quota headroom), and its item kind's re-check; the apply itself is
tests/cli/test_scale_nodegroup.py. Every test leaves the estate as it found it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.procedures import make_plan
from opsbook.procedures.apply import TargetClients
from opsbook.procedures.kinds import KINDS, Clients
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.estate import account

PROD = account("prod").id
MY_CLUSTER = PlanRequest(clusters=("my-cluster",))


def plan(cfg: Config, request: PlanRequest = MY_CLUSTER, **raw: Any) -> Any:
    return make_plan(cfg, "scale-nodegroup", {"nodegroup": "application"} | raw, request)


@pytest.mark.parametrize(
    ("raw", "request_", "error", "words"),
    [
        ({}, MY_CLUSTER, InputError, "at least one of --min, --max, --desired"),
        ({"desired": 7}, MY_CLUSTER, InputError, "--desired 7 is outside [3, 5] (min, max) (raise --max as well)"),
        ({"min": 6}, MY_CLUSTER, InputError, "--min 6 is above --max 5"),
        ({"desired": 5}, MY_CLUSTER, InputError, "already at min/max/desired 3/5/5: nothing to change"),
        ({"nodegroup": "gpu", "desired": 2}, MY_CLUSTER, NotFound, "have: application, system"),
        ({"desired": 2}, PlanRequest(clusters=("other",)), NotFound, "unknown cluster 'other' (configured: my-cluster"),
        ({"desired": 2}, PlanRequest(clusters=("other",), accounts=("dev",)), NotFound, "(have: my-cluster)"),
        ({"max": 60, "desired": 60}, MY_CLUSTER, InputError, "55 more m5.large nodes need 110 vCPUs"),
    ],
)  # fmt: skip
def test_refused_at_plan_time(sandbox_config: Config, raw: dict[str, Any], request_: PlanRequest,
                              error: type[Exception], words: str) -> None:  # fmt: skip
    with pytest.raises(error) as caught:
        plan(sandbox_config, request_, **raw)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_protected_account_is_refused(sandbox_config: Config) -> None:
    accounts = [a.model_copy(update={"protected": a.name == "prod"}) for a in sandbox_config.accounts]
    with pytest.raises(InputError, match="account prod is protected"):
        plan(sandbox_config.model_copy(update={"accounts": accounts}), desired=4)


def test_the_plan_shows_sizes_cost_and_headroom(sandbox_config: Config) -> None:
    p = plan(sandbox_config, max=8, desired=7)
    assert p.ordered and len(p.items) == 1 and not p.warnings
    item = p.items[0]
    assert (item.kind, item.account, item.region, item.cluster) == (
        "eks-nodegroup-scale",
        "prod",
        "us-east-1",
        "my-cluster",
    )
    assert item.reason == ("node group my-cluster/application: min/max/desired 3/5/5 -> 3/8/7 "
                           "(+2 m5.large nodes, +$140.16/month)")  # fmt: skip
    assert item.params == {"cluster": "my-cluster", "nodegroup": "application", "min": 3, "max": 8, "desired": 7,
                           "from": {"min": 3, "max": 5, "desired": 5}}  # fmt: skip
    ev = item.evidence
    assert ev["cost_delta_usd_month"] == 140.16 and "ec2_instance_hour us-east-1" in ev["price_source"]
    assert (
        ev["quota_vcpus"] == 64
        and ev["vcpus_per_node"] == 2
        and ev["headroom_vcpus"] == 64 - ev["running_vcpus"]
    )
    # the seeded NotReady node is not waited for; the new nodes are
    assert (
        ev["nodes"] == 5
        and item.wait is not None
        and item.wait.params["not_ready_before"] == ["ip-10-0-2-21.ec2.internal"]
    )
    assert item.wait.condition == "nodegroup-scaled" and item.gate == [
        "k8s.node_not_ready",
        "k8s.pod_not_running",
    ]
    down = plan(sandbox_config, min=2, desired=4).items[0]
    assert down.reason.endswith("(-1 m5.large nodes, -$70.08/month)")


@pytest.fixture()
def quota_unreadable(sandbox: Any) -> Iterator[None]:
    rule = (PROD, "servicequotas:GetServiceQuota")
    sandbox.data.denied.add(rule)
    yield
    sandbox.data.denied.discard(rule)


def test_an_unreadable_quota_is_a_warning(sandbox_config: Config, quota_unreadable: None) -> None:
    p = plan(sandbox_config, max=8, desired=7)
    assert len(p.items) == 1
    assert any("L-1216C47A" in w and "could not be read" in w for w in p.warnings), p.warnings


def test_an_eks_cluster_outside_clusters_is_planned_without_node_gates(sandbox_config: Config) -> None:
    p = plan(sandbox_config, PlanRequest(clusters=("my-cluster",), accounts=("dev",)), desired=5)
    item = p.items[0]
    assert (item.account, item.cluster, item.gate) == ("dev", None, [])
    assert any("not waited for or gated" in w for w in p.warnings)


def test_recheck_skips_sizes_changed_since_the_plan(sandbox: Any, sandbox_config: Config) -> None:
    item = plan(sandbox_config, PlanRequest(clusters=("my-cluster",), accounts=("dev",)), desired=5).items[0]
    seen = item.model_copy(update={"params": {**item.params, "from": {"min": 3, "max": 10, "desired": 3}}})
    targets = TargetClients(sandbox_config)
    try:
        clients = Clients(targets(item), options={}, plan_hash="sha256:test", now=None)  # type: ignore[arg-type]
        kind = KINDS.get("eks-nodegroup-scale")
        assert kind.recheck(item, clients).state == "eligible"
        live = kind.recheck(seen, clients)
        assert live.state == "changed" and "the plan saw 3/10/3" in live.reason
    finally:
        targets.close()


def test_an_act_whose_apply_died_is_recognised_and_undone(
    fast_nodegroups: Any, sandbox_config: Config
) -> None:
    """Killed between UpdateNodegroupConfig and the journal: the re-check sees the update InProgress as done
    (resume waits instead of updating again); the undo waits for the update to end, then restores the sizes."""
    from opsbook.procedures.steps import WAITS, poll

    item = plan(sandbox_config, PlanRequest(clusters=("my-cluster",), accounts=("dev",)), desired=6).items[0]
    kind, targets = KINDS.get("eks-nodegroup-scale"), TargetClients(sandbox_config)
    try:
        clients = Clients(targets(item), options={}, plan_hash="sha256:test", now=None)  # type: ignore[arg-type]
        detail = kind.act(item, clients)
        assert detail["was"] == {"min": 3, "max": 10, "desired": 4}
        live = kind.recheck(item, clients)
        assert live.state == "done" and "in progress" in live.reason, live
        assert kind.undo is not None
        undone = kind.undo(item, clients, {})  # nothing journaled: the sizes the plan saw
        assert undone["wait"] == {"min": 3, "max": 10, "desired": 4}
        waited = poll(WAITS.get("nodegroup-scaled"), item, clients, deadline=time.time() + 20, interval=0.2,
                      params={**item.wait.params, **undone["wait"]})  # type: ignore[union-attr]  # fmt: skip
        assert waited.ok, waited.progress
        assert kind.recheck(item, clients).state == "eligible"  # back where the plan started
    finally:
        targets.close()


def test_a_scale_in_the_running_pods_would_not_fit_in_is_refused(sandbox_config: Config) -> None:
    with pytest.raises(InputError) as caught:
        plan(sandbox_config, min=0, desired=0)
    text = str(caught.value)
    assert "removing 5 nodes of my-cluster/application leaves too little for the running pods" in text
    assert "requests" in text and "\n" not in text
    fits = plan(sandbox_config, desired=4)  # one node fewer still holds them
    assert fits.items[0].evidence["requested_cpu_m"] <= fits.items[0].evidence["cpu_m_left"]
