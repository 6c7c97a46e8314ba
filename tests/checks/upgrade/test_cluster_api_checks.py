"""The Kubernetes side of the upgrade pre-flight on hand-built inventory: kubelet skew, objects applied
with removed APIs, clients requesting deprecated APIs, PodDisruptionBudgets that block every drain."""

from __future__ import annotations

from opsbook.collect.k8s.models import K8sNode, K8sPod
from opsbook.collect.k8s.upgrade_models import (
    AppliedObject,
    AppliedScan,
    DeprecatedRequest,
    K8sPdb,
    ServerVersion,
)
from opsbook.core.models import Severity, Status, Target, TargetKind
from tests.checks.helpers import by_status, run_check

K8S = Target(kind=TargetKind.K8S, cluster="my-cluster")
SERVER = ServerVersion(git_version="v1.32.1-eks-5d632ec", major="1", minor="32")


def run(
    check_id: str, inventory: dict[str, object], to: str | None = "1.33", server: ServerVersion = SERVER
) -> dict[Status, list]:  # type: ignore[type-arg]
    settings = {"target_version": to} if to else {}
    return by_status(run_check(check_id, {"k8s.version": server, **inventory}, settings, target=K8S))


def node(name: str, kubelet: str | None) -> K8sNode:
    return K8sNode(name=name, ready="True", nodegroup="application", kubelet_version=kubelet)


def test_kubelets_within_the_skew_policy_of_the_target() -> None:
    nodes = [
        node("a", "v1.32.1-eks-5d632ec"),
        node("b", "v1.29.15-eks-1"),
        node("c", "v1.33.0"),
        node("d", None),
    ]
    out = run("upgrade.kubelet_skew", {"k8s.nodes": nodes})
    assert [f.resource.id for f in out[Status.PASS]] == ["a"]
    failed = {f.resource.id: f.message for f in out[Status.FAIL]}
    assert "kubelet 1.29 would be 4 minor versions behind 1.33 (the skew policy allows 3)" in failed["b"]
    assert "kubelet 1.33 is newer than the control plane (1.32)" in failed["c"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["d"]
    assert not run("upgrade.kubelet_skew", {"k8s.nodes": nodes[:1]})[Status.FAIL]


def scan(*objects: AppliedObject) -> AppliedScan:
    return AppliedScan(objects=objects, scanned=("cronjobs.batch", "deployments.apps"), looked_at=12)


def test_objects_applied_with_removed_or_deprecated_versions() -> None:
    cron = AppliedObject(kind="CronJob", namespace="default", name="nightly", api_version="batch/v1beta1")
    flows = AppliedObject(
        kind="FlowSchema", name="team-a", api_version="flowcontrol.apiserver.k8s.io/v1beta3"
    )
    on_129 = ServerVersion(git_version="v1.29.10-eks-1")
    out = run("upgrade.removed_api_objects", {"k8s.applied_apis": scan(cron, flows)}, "1.30", on_129)
    [blocker, warning] = sorted(out[Status.FAIL], key=lambda f: f.severity, reverse=True)
    assert blocker.resource.id == "CronJob/default/nightly" and blocker.severity is Severity.HIGH
    assert (
        "batch/v1beta1, which Kubernetes 1.25 removed, already before this cluster's 1.29" in blocker.message
    )
    assert blocker.details["replacement"] == "batch/v1" and blocker.details["source"].endswith(
        "#cronjob-v125"
    )
    # flowcontrol v1beta3: deprecated since 1.29, removed in 1.32: a warning for 1.30, a blocker for 1.32+
    assert warning.resource.id == "FlowSchema/team-a" and warning.severity is Severity.MEDIUM
    [now_blocked] = [
        f for f in run("upgrade.removed_api_objects", {"k8s.applied_apis": scan(flows)})[Status.FAIL]
    ]
    assert now_blocked.severity is Severity.HIGH
    [clean] = run("upgrade.removed_api_objects", {"k8s.applied_apis": scan()})[Status.PASS]
    assert (
        clean.message
        == "12 objects of 2 kinds: none last applied with an API version removed or deprecated by 1.33"
    )


def test_clients_requesting_deprecated_apis() -> None:
    removed = DeprecatedRequest(group="flowcontrol.apiserver.k8s.io", version="v1beta3", resource="flowschemas",
                                removed_release="1.32")  # fmt: skip
    unlabelled = DeprecatedRequest(
        group="batch", version="v1beta1", resource="cronjobs"
    )  # the table knows 1.25
    crd = DeprecatedRequest(group="example.com", version="v1alpha1", resource="widgets")
    out = run("upgrade.deprecated_api_requests", {"k8s.deprecated_api_requests": [removed, unlabelled, crd]})
    failed = {f.resource.id: f for f in out[Status.FAIL]}
    assert failed["flowcontrol.apiserver.k8s.io/v1beta3/flowschemas"].severity is Severity.HIGH
    assert (
        "move it to flowcontrol.apiserver.k8s.io/v1"
        in failed["flowcontrol.apiserver.k8s.io/v1beta3/flowschemas"].message
    )
    assert failed["batch/v1beta1/cronjobs"].severity is Severity.HIGH
    assert failed["example.com/v1alpha1/widgets"].severity is Severity.MEDIUM
    assert "no removal scheduled" in failed["example.com/v1alpha1/widgets"].message
    assert [
        f.message
        for f in run("upgrade.deprecated_api_requests", {"k8s.deprecated_api_requests": []})[Status.PASS]
    ] == ["no deprecated API requested since the API server started"]


def pod(name: str, labels: dict[str, str], ns: str = "shop", phase: str = "Running") -> K8sPod:
    return K8sPod(namespace=ns, name=name, phase=phase, labels=labels)


def test_budgets_that_allow_no_disruption_over_pods_block_drains() -> None:
    pods = [pod("web-1", {"app": "web"}), pod("web-2", {"app": "web"}), pod("db-1", {"app": "db"}),
            pod("web-x", {"app": "web"}, ns="other"), pod("done", {"app": "batch"}, phase="Succeeded")]  # fmt: skip

    def pdb(name: str, selector: dict[str, object] | None, allowed: int | None, **kw: object) -> K8sPdb:
        return K8sPdb.model_validate(dict(namespace="shop", name=name, selector=selector, disruptions_allowed=allowed,
                                          min_available=2, expected_pods=2, current_healthy=2) | kw)  # fmt: skip

    pdbs = [
        pdb("web", {"matchLabels": {"app": "web"}}, 0),
        pdb("db", {"matchLabels": {"app": "db"}}, 1, min_available=None, max_unavailable=1),
        pdb("batch", {"matchLabels": {"app": "batch"}}, 0),  # covers only a finished pod: drains pass
        pdb("fresh", {"matchLabels": {"app": "web"}}, None),
    ]
    out = run("upgrade.pdb_blocks_drain", {"k8s.pdbs": pdbs, "k8s.pods": pods}, to=None)
    [blocker] = out[Status.FAIL]
    assert blocker.resource.id == "shop/web" and blocker.details["pods"] == ["web-1", "web-2"]
    assert (
        "(minAvailable 2, 2/2 healthy) allows no disruption: draining stops at pods web-1, web-2"
        in blocker.message
    )
    assert sorted(f.resource.id for f in out[Status.PASS]) == ["shop/batch", "shop/db"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["shop/fresh"]
    assert run("upgrade.pdb_blocks_drain", {"k8s.pdbs": [], "k8s.pods": pods}, to=None)[Status.PASS]
