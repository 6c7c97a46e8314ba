"""The AWS side of the upgrade pre-flight on hand-built inventory: each blocker found when present and
not found when absent (control plane step, node group skew and health, surge room, add-ons, stack drift)."""

from __future__ import annotations

from opsbook.collect.aws.models import EksCluster, NodeGroup
from opsbook.collect.aws.upgrade_models import (
    EksAddon,
    InstanceTypeInfo,
    StackEksVersion,
    SubnetInfo,
    SurgeCapacity,
)
from opsbook.core.models import Severity, Status
from tests.checks.helpers import by_status, run_check


def ng(name: str, version: str | None = "1.32", **kw: object) -> NodeGroup:
    base: dict[str, object] = dict(name=name, arn=f"arn:{name}", status="ACTIVE", desired=3, min=1, max=5,
                                   version=version, instance_types=["m5.large"], subnets=["s-a", "s-b"])  # fmt: skip
    return NodeGroup.model_validate(base | kw)


def cluster(
    version: str = "1.32", status: str = "ACTIVE", groups: list[NodeGroup] | None = None
) -> EksCluster:
    return EksCluster(name="my-cluster", arn="arn:c", status=status, version=version, nodegroups=groups or [])


def test_version_step_one_minor_at_a_time_on_an_active_control_plane() -> None:
    def step(to: str | None, **kw: str) -> tuple[Status, str]:
        settings = {"target_version": to} if to else {}
        [f] = run_check("upgrade.version_step", {"eks.clusters": [cluster(**kw)]}, settings)
        return f.status, f.message

    assert step("1.33")[0] is Status.PASS and step(None)[0] is Status.PASS  # default: the next minor
    status, message = step("1.34")
    assert status is Status.FAIL and "1.33 comes first" in message
    assert step("1.32") == (
        Status.FAIL,
        "cluster my-cluster already runs 1.32: 1.32 is no upgrade (EKS cannot downgrade)",
    )
    assert step("1.31")[0] is Status.FAIL
    status, message = step("1.33", status="UPDATING")
    assert status is Status.FAIL and "UPDATING" in message


def test_nodegroup_skew_behind_the_target_or_ahead_of_the_control_plane() -> None:
    groups = [
        ng("ok", "1.32"),
        ng("behind", "1.31"),
        ng("old", "1.29"),
        ng("ahead", "1.33"),
        ng("custom", None),
    ]
    inv = {"eks.clusters_with_nodegroups": [cluster(groups=groups)]}
    out = by_status(run_check("upgrade.nodegroup_skew", inv, {"target_version": "1.33"}))
    assert [f.resource.id for f in out[Status.PASS]] == ["my-cluster/ok"]
    failed = {f.resource.id: f for f in out[Status.FAIL]}
    assert sorted(failed) == ["my-cluster/ahead", "my-cluster/behind", "my-cluster/old"]
    assert all(f.severity is Severity.HIGH for f in failed.values())
    assert "at 1.29 would be 4 minor versions behind 1.33" in failed["my-cluster/old"].message
    # within the skew policy, but EKS refuses to move a control plane a managed node group does not match
    assert (
        "is at 1.31, the control plane at 1.32: EKS updates the control plane only when every managed node group matches it"
        in failed["my-cluster/behind"].message
    )
    assert "newer than the control plane" in failed["my-cluster/ahead"].message
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["my-cluster/custom"]


def test_nodegroup_health() -> None:
    groups = [ng("ok"), ng("sick", status="DEGRADED", health_issues=["AsgInstanceLaunchFailures: no capacity"]),
              ng("busy", status="UPDATING")]  # fmt: skip
    out = by_status(
        run_check("upgrade.nodegroup_health", {"eks.clusters_with_nodegroups": [cluster(groups=groups)]})
    )
    assert [f.resource.id for f in out[Status.PASS]] == ["my-cluster/ok"]
    assert {f.resource.id: f.message for f in out[Status.FAIL]} == {
        "my-cluster/sick": "node group my-cluster/sick is DEGRADED: AsgInstanceLaunchFailures: no capacity",
        "my-cluster/busy": "node group my-cluster/busy is UPDATING",
    }


def capacity(quota: float = 64, running: int = 10, free_ips: int = 100) -> SurgeCapacity:
    return SurgeCapacity(
        quota_vcpus=quota,
        running_vcpus=running,
        instance_types={"m5.large": InstanceTypeInfo(vcpus=2, ipv4_per_interface=10)},
        subnets={
            "s-a": SubnetInfo(id="s-a", zone="us-east-1a", free_ips=free_ips),
            "s-b": SubnetInfo(id="s-b", zone="us-east-1b", free_ips=free_ips),
        },  # fmt: skip
    )


def surge(cap: SurgeCapacity, *groups: NodeGroup) -> dict[Status, list]:  # type: ignore[type-arg]
    inv = {"eks.clusters_with_nodegroups": [cluster(groups=list(groups))], "eks.surge_capacity": cap}
    return by_status(run_check("upgrade.surge_capacity", inv))


def test_surge_is_twice_the_zones_or_max_unavailable_and_must_fit_quota_and_ips() -> None:
    ok = surge(capacity(), ng("app"))  # 2 zones: 4 surge nodes x 2 vCPUs = 8 <= 54 free; 40 IPs <= 200
    [f] = ok[Status.PASS]
    assert f.details["surge_nodes"] == 4 and f.details["free_vcpus"] == 54
    wide = surge(capacity(), ng("app", max_unavailable=6))
    assert wide[Status.PASS][0].details["surge_nodes"] == 6
    pct = surge(capacity(), ng("app", desired=20, max_unavailable_percentage=33))
    assert pct[Status.PASS][0].details["surge_nodes"] == 7  # ceil(20 x 33%)
    [quota] = surge(capacity(quota=16, running=10), ng("app"))[Status.FAIL]  # 8 vCPUs needed, 6 free
    assert "need 8; the standard on-demand quota (L-1216C47A) leaves 6 (16 minus 10 running)" in quota.message
    [ips] = surge(capacity(free_ips=15), ng("app"))[Status.FAIL]  # 4 nodes x 10 addresses > 30 free
    assert "need at least 40 IPv4 addresses; its subnets have 30 free" in ips.message
    spot = surge(capacity(quota=0, running=0), ng("spot", capacity_type="SPOT"))
    assert spot[Status.PASS] and "not under the standard on-demand quota" in spot[Status.PASS][0].message


def addon(
    name: str, version: str, compatible: list[str], default: str | None = None, **kw: object
) -> EksAddon:
    fields = dict(cluster="my-cluster", name=name, version=version, status="ACTIVE", cluster_version="1.32",
                  target="1.33", compatible=compatible, compatible_now=[version], default=default)  # fmt: skip
    return EksAddon.model_validate(fields | kw)


def test_addons_offered_for_the_target_warned_or_blocked() -> None:
    addons = [
        addon(
            "vpc-cni",
            "v1.19.2-eksbuild.1",
            ["v1.19.3-eksbuild.1", "v1.19.2-eksbuild.1"],
            "v1.19.3-eksbuild.1",
        ),
        # EKS holds the upgrade until it moves: to the newest build offered for 1.32 and 1.33 alike
        addon(
            "coredns",
            "v1.11.1-eksbuild.1",
            ["v1.12.1-eksbuild.2", "v1.11.4-eksbuild.2"],
            "v1.12.1-eksbuild.2",
            compatible_now=["v1.11.4-eksbuild.2", "v1.11.1-eksbuild.1"],
        ),  # fmt: skip
        addon("ebs-csi", "v1.30.0", ["v1.40.0"], compatible_now=["v1.30.0"]),  # nothing works on both
        # kube-proxy follows the cluster: after the control plane, unless the skew policy is broken already
        addon("kube-proxy", "v1.32.0-eksbuild.2", ["v1.33.0-eksbuild.2"], "v1.33.0-eksbuild.2"),
        addon("legacy-agent", "v0.9.0", []),
        addon(
            "pod-identity",
            "v1.3.4",
            ["v1.3.4"],
            status="DEGRADED",
            health_issues=["InsufficientNumberOfReplicas: 0 ready"],
        ),
    ]
    out = by_status(run_check("upgrade.addon_compat", {"eks.clusters": [cluster()], "eks.addons": addons}))
    assert [f.resource.id for f in out[Status.PASS]] == ["my-cluster/vpc-cni"]
    failed = {f.resource.id.split("/")[1]: f for f in out[Status.FAIL]}
    assert {n: f.severity for n, f in failed.items()} == {
        "coredns": Severity.HIGH, "ebs-csi": Severity.HIGH, "kube-proxy": Severity.MEDIUM,
        "legacy-agent": Severity.HIGH, "pod-identity": Severity.HIGH}  # fmt: skip
    assert (
        "update it to v1.11.4-eksbuild.2 (offered for 1.32 and 1.33) before the control plane"
        in failed["coredns"].message
    )
    assert "no version is offered for both 1.32 and 1.33" in failed["ebs-csi"].message
    assert "update it to v1.33.0-eksbuild.2 right after the control plane" in failed["kube-proxy"].message
    assert "offers no version of legacy-agent for 1.33" in failed["legacy-agent"].message
    assert "DEGRADED: InsufficientNumberOfReplicas" in failed["pod-identity"].message
    old_proxy = [addon("kube-proxy", "v1.29.10-eksbuild.3", ["v1.33.0-eksbuild.2"])]
    [skewed] = run_check("upgrade.addon_compat", {"eks.clusters": [cluster()], "eks.addons": old_proxy})
    assert skewed.severity is Severity.HIGH and "4 minor versions behind 1.33" in skewed.message
    none = by_status(run_check("upgrade.addon_compat", {"eks.clusters": [cluster()], "eks.addons": []}))
    assert [f.message for f in none[Status.PASS]] == ["cluster my-cluster has no EKS add-ons"]


def test_stack_version_matches_the_live_control_plane() -> None:
    def stack(version: str | None) -> StackEksVersion:
        return StackEksVersion(stack="mycompany-prod-use1", component="eks", cluster="my-cluster", version=version,
                               where="stacks/catalog/eks.yaml:15")  # fmt: skip

    def run(*declared: StackEksVersion) -> dict[Status, list]:  # type: ignore[type-arg]
        return by_status(
            run_check(
                "upgrade.stack_version", {"eks.clusters": [cluster()], "atmos.eks_versions": list(declared)}
            )
        )

    assert (
        run(stack("1.32"))[Status.PASS] and run(stack("1.32.1"))[Status.PASS]
    )  # a patch pin is the same minor
    [drift] = run(stack("1.31"))[Status.FAIL]
    assert drift.resource.id == "my-cluster/mycompany-prod-use1"
    assert (
        "sets kubernetes_version 1.31 (stacks/catalog/eks.yaml:15) but my-cluster runs 1.32" in drift.message
    )
    assert run(stack(None))[Status.SKIPPED] and run()[Status.SKIPPED]
