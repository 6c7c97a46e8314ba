"""EKS add-ons in the sandbox through real boto3: the seeded ones (one deliberately not ready for 1.33), the
catalogue DescribeAddonVersions serves, CreateAddon / UpdateAddon / DeleteAddon over time with their
updates, EKS's refusals, and the upgrade readiness they feed into UpdateClusterVersion (`force` overrides)."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from opsbook.sandbox.aws import eks_addons
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.eks_state import ADDON_BEHIND, ADDONS
from opsbook.sandbox.estate import ACCOUNTS, CLUSTER, REGION, RELEASES, account
from tests.sandbox.aws.conftest import OWN_ACCOUNT, OwnCluster
from tests.sandbox.aws.test_eks_cluster_version import wait_for


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_every_cluster_runs_its_versions_add_ons_one_not_ready_for_next(sandbox: Any) -> None:
    behind = []
    for acct in ACCOUNTS:
        eks = clients_for(sandbox.aws_url, acct)("eks")
        cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
        assert eks.list_addons(clusterName=CLUSTER)["addons"] == sorted(ADDONS)
        for name in ADDONS:
            addon = eks.describe_addon(clusterName=CLUSTER, addonName=name)["addon"]
            assert addon["status"] == "ACTIVE" and addon["createdAt"] > cluster["createdAt"]
            offered = eks.describe_addon_versions(kubernetesVersion=cluster["version"], addonName=name)[
                "addons"
            ]
            assert addon["addonVersion"] in {v["addonVersion"] for v in offered[0]["addonVersions"]}
            if not eks_addons.compatible(name, addon["addonVersion"], "1.33") and name != "kube-proxy":
                behind.append((acct.name, name, addon["addonVersion"]))
    assert behind == [ADDON_BEHIND]


def test_prods_add_ons_are_its_clusters_daemonset_images(sandbox: Any) -> None:
    eks = clients_for(sandbox.aws_url, account("prod"))("eks")
    for addon, daemonset in (("vpc-cni", "aws-node"), ("kube-proxy", "kube-proxy")):
        image = sandbox.kube.store.get("daemonsets.apps", daemonset, "kube-system")["spec"]["template"][
            "spec"
        ]["containers"][0]["image"]
        assert image.endswith(
            ":" + eks.describe_addon(clusterName=CLUSTER, addonName=addon)["addon"]["addonVersion"]
        )


def test_describe_addon_versions_filters_like_eks(sandbox: Any) -> None:
    eks = clients_for(sandbox.aws_url, account("dev"))("eks")
    everything = eks.describe_addon_versions()["addons"]
    assert sorted(a["addonName"] for a in everything) == ["coredns", "kube-proxy", "vpc-cni"]
    for minor in RELEASES:
        for addon in eks.describe_addon_versions(kubernetesVersion=minor)["addons"]:
            compat = [c for v in addon["addonVersions"] for c in v["compatibilities"]]
            assert {c["clusterVersion"] for c in compat} == {minor}
            assert sum(c["defaultVersion"] for c in compat) == 1, (minor, addon["addonName"])
    (proxy,) = eks.describe_addon_versions(kubernetesVersion="1.33", addonName="kube-proxy")["addons"]
    assert [v["addonVersion"] for v in proxy["addonVersions"]] == [
        "v1.33.0-eksbuild.2",
        "v1.33.0-minimal-eksbuild.2",
    ]
    (dns,) = eks.describe_addon_versions(kubernetesVersion="1.33", addonName="coredns")["addons"]
    default = [v["addonVersion"] for v in dns["addonVersions"] if v["compatibilities"][0]["defaultVersion"]]
    assert default == ["v1.12.4-eksbuild.1"] and ADDON_BEHIND[2] not in str(dns)
    assert eks.describe_addon_versions(addonName="nope")["addons"] == []
    assert eks.describe_addon_versions(kubernetesVersion="1.20")["addons"] == []


def test_create_update_delete_over_time(own_cluster: OwnCluster) -> None:
    c, eks = own_cluster, own_cluster.eks
    made = eks.create_addon(clusterName=c.name, addonName="coredns", addonVersion="v1.11.4-eksbuild.2")[
        "addon"
    ]
    assert (made["status"], made["addonVersion"]) == ("CREATING", "v1.11.4-eksbuild.2")
    proxy = eks.create_addon(clusterName=c.name, addonName="kube-proxy")["addon"]  # the 1.32 default
    assert proxy["addonVersion"] == "v1.32.0-eksbuild.2"
    wait_for(
        "ACTIVE",
        lambda: eks.describe_addon(clusterName=c.name, addonName="coredns")["addon"]["status"] == "ACTIVE",
    )
    assert eks.list_addons(clusterName=c.name)["addons"] == ["coredns", "kube-proxy"]

    update = eks.update_addon(clusterName=c.name, addonName="coredns", addonVersion="v1.12.4-eksbuild.1",
                              resolveConflicts="PRESERVE")["update"]  # fmt: skip
    assert (update["type"], update["status"]) == ("AddonUpdate", "InProgress")
    assert update["params"] == [{"type": "AddonVersion", "value": "v1.12.4-eksbuild.1"},
                                {"type": "ResolveConflicts", "value": "PRESERVE"}]  # fmt: skip
    assert eks.describe_addon(clusterName=c.name, addonName="coredns")["addon"]["status"] == "UPDATING"
    assert eks.list_updates(name=c.name, addonName="coredns")["updateIds"] == [update["id"]]
    assert eks.list_updates(name=c.name)["updateIds"] == []  # the cluster's own updates only
    assert error_of(eks.describe_update, name=c.name, updateId=update["id"])[0] == "ResourceNotFoundException"
    wait_for("Successful", lambda: c.update(update["id"], addonName="coredns")["status"] == "Successful")
    addon = eks.describe_addon(clusterName=c.name, addonName="coredns")["addon"]
    assert (addon["status"], addon["addonVersion"]) == ("ACTIVE", "v1.12.4-eksbuild.1")
    assert addon["modifiedAt"] > addon["createdAt"]

    assert eks.delete_addon(clusterName=c.name, addonName="kube-proxy")["addon"]["status"] == "DELETING"
    wait_for("gone", lambda: eks.list_addons(clusterName=c.name)["addons"] == ["coredns"])


def test_eks_refusals(own_cluster: OwnCluster, sandbox: Any) -> None:
    c, eks = own_cluster, own_cluster.eks
    sandbox.data.delays["eks.addon_update"] = 30.0  # vpc-cni stays CREATING throughout (fast_eks restores it)
    eks.create_addon(clusterName=c.name, addonName="vpc-cni")
    assert error_of(eks.create_addon, clusterName=c.name, addonName="vpc-cni") == (
        "ResourceInUseException", "Addon already exists.")  # fmt: skip
    assert error_of(eks.create_addon, clusterName=c.name, addonName="kubecost") == (
        "InvalidParameterException", "Addon kubecost specified is not supported in 1.32 kubernetes version")  # fmt: skip
    assert error_of(eks.create_addon, clusterName=c.name, addonName="kube-proxy", addonVersion="v1.33.0-eksbuild.2") == (
        "InvalidParameterException", "Addon version specified is not supported")  # fmt: skip
    assert error_of(eks.describe_addon, clusterName=c.name, addonName="coredns") == (
        "ResourceNotFoundException", "No addon: coredns found in cluster: upgrade-test")  # fmt: skip
    assert error_of(eks.update_addon, clusterName=c.name, addonName="vpc-cni", addonVersion="v1.2.3-eksbuild.1")[1] == (
        "Addon version specified is not supported")  # fmt: skip
    assert (
        error_of(eks.update_addon, clusterName=c.name, addonName="vpc-cni")[0] == "ResourceInUseException"
    )  # CREATING
    staging = clients_for(sandbox.aws_url, account("staging"))("eks")
    code, message = error_of(staging.update_addon, clusterName=CLUSTER, addonName="coredns",
                             addonVersion="v1.11.4-eksbuild.24")  # fmt: skip
    assert (
        code == "ResourceInUseException"
        and "Cannot AddonUpdate because cluster my-cluster currently has update" in message
    )
    assert (
        staging.describe_addon(clusterName=CLUSTER, addonName="coredns")["addon"]["addonVersion"]
        == ADDON_BEHIND[2]
    )


def test_upgrade_readiness_holds_an_add_on_not_ready_unless_forced(own_cluster: OwnCluster) -> None:
    c, eks = own_cluster, own_cluster.eks
    eks.create_addon(clusterName=c.name, addonName="coredns", addonVersion=ADDON_BEHIND[2])
    wait_for(
        "ACTIVE",
        lambda: eks.describe_addon(clusterName=c.name, addonName="coredns")["addon"]["status"] == "ACTIVE",
    )
    code, message = error_of(eks.update_cluster_version, name=c.name, version="1.33")
    assert code == "InvalidStateException" and message.startswith("Upgrade readiness issues detected.")
    assert c.cluster()["status"] == "ACTIVE" and eks.list_updates(name=c.name)["updateIds"] == []
    forced = eks.update_cluster_version(name=c.name, version="1.33", force=True)["update"]
    assert forced["status"] == "InProgress" and c.cluster()["status"] == "UPDATING"


@pytest.mark.parametrize(
    ("proxy", "target", "held"),
    [("v1.32.0-eksbuild.2", "1.33", False), ("v1.30.9-eksbuild.3", "1.33", False),
     ("v1.29.13-eksbuild.3", "1.33", True), ("v1.34.0-eksbuild.2", "1.33", True)],
)  # fmt: skip
def test_kube_proxy_readiness_is_the_skew_policy(sandbox: Any, proxy: str, target: str, held: bool) -> None:
    data = sandbox.data
    eks_addons.install(data, OWN_ACCOUNT, REGION, "skew-test", "kube-proxy", proxy, created=0.0)
    try:
        assert bool(eks_addons.readiness_problems(data, OWN_ACCOUNT, REGION, "skew-test", target)) is held
    finally:
        eks_addons.installed(data, OWN_ACCOUNT, REGION, "skew-test").clear()
