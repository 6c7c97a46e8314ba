"""UpdateNodegroupVersion in the sandbox through real boto3: EKS's refusals; a node group without a fake
cluster (dev) simply moving to the new version; and on a fake cluster the rolling replacement read back from
the Kubernetes side: new nodes at the new kubelet, the old ones drained through evictions and gone, or, when a
PodDisruptionBudget holds a pod past the drain timeout, the update Failed with EKS's PodEvictionFailure and
the node group back at its old version (then `force` gets through)."""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import CLUSTER, KUBERNETES_VERSION_SKEW, REGION, RELEASES, account
from opsbook.sandbox.k8s.seed_workloads import NODE_HEALTHY_APP
from tests.sandbox.aws.conftest import OwnCluster
from tests.sandbox.aws.test_eks_addons import error_of
from tests.sandbox.aws.test_eks_cluster_version import wait_for

GROUP = "eks.amazonaws.com/nodegroup"


def nodes(c: OwnCluster, group: str) -> dict[str, tuple[str, bool]]:
    """name -> (kubelet version, Ready) of the group's nodes, as the fake API holds them."""
    out = {}
    for n in c.kube.store.list("nodes", label_selector_text=f"{GROUP}={group}"):
        ready = any(x["type"] == "Ready" and x["status"] == "True" for x in n["status"]["conditions"])
        out[n["metadata"]["name"]] = (n["status"]["nodeInfo"]["kubeletVersion"], ready)
    return out


def to_133(c: OwnCluster) -> None:
    update = c.eks.update_cluster_version(name=c.name, version="1.33")["update"]
    wait_for("the control plane", lambda: c.update(update["id"])["status"] == "Successful")


def test_eks_refusals(own_cluster: OwnCluster) -> None:
    c, eks = own_cluster, own_cluster.eks
    refused = [
        ({"version": "1.33"}, "Requested Kubernetes version 1.33 is newer than the cluster's version 1.32"),
        ({"version": "1.31"}, "Requested Kubernetes version 1.31 is older than the node group's version 1.32"),
        ({"version": "1.40"}, "Requested Kubernetes version 1.40 is not supported"),
        ({"releaseVersion": RELEASES["1.31"].release},
         f"Requested release version {RELEASES['1.31'].release} is not valid for kubernetes version 1.32."),
        ({}, f"Nodegroup system is already at version 1.32 and release version {RELEASES['1.32'].release}"),
    ]  # fmt: skip
    for body, message in refused:
        assert error_of(eks.update_nodegroup_version, clusterName=c.name, nodegroupName="system", **body) == (
            "InvalidParameterException", message)  # fmt: skip
    assert error_of(eks.update_nodegroup_version, clusterName=c.name, nodegroupName="gpu")[0] == (
        "ResourceNotFoundException")  # fmt: skip
    assert eks.list_updates(name=c.name, nodegroupName="system")["updateIds"] == []
    assert c.nodegroup("system")["status"] == "ACTIVE"


def test_a_node_group_without_a_fake_cluster_moves_after_the_delay(fast_eks: Any) -> None:
    """dev's skewed `application` group (the pre-flight's finding) caught up with its control plane."""
    from moto.eks.models import eks_backends

    eks = clients_for(fast_eks.aws_url, account("dev"))("eks")
    ng = eks_backends[account("dev").id][REGION].clusters[CLUSTER].nodegroups["application"]
    seeded = (ng.version, ng.release_version)
    assert seeded[0] == KUBERNETES_VERSION_SKEW["dev/application"]
    try:
        update = eks.update_nodegroup_version(clusterName=CLUSTER, nodegroupName="application")["update"]
        assert {p["type"]: p["value"] for p in update["params"]} == {
            "Version": "1.32", "ReleaseVersion": RELEASES["1.32"].release}  # fmt: skip
        described = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="application")["nodegroup"]
        assert (described["status"], described["version"]) == ("UPDATING", "1.30")
        assert error_of(eks.update_nodegroup_version, clusterName=CLUSTER, nodegroupName="application")[0] == (
            "ResourceInUseException")  # fmt: skip

        def done() -> bool:
            found = eks.describe_update(name=CLUSTER, updateId=update["id"], nodegroupName="application")
            return bool(found["update"]["status"] == "Successful")

        wait_for("the update", done)
        described = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="application")["nodegroup"]
        assert (described["status"], described["version"], described["releaseVersion"]) == (
            "ACTIVE", "1.32", RELEASES["1.32"].release)  # fmt: skip
    finally:  # the seeded skew again (EKS never moves a node group back)
        ng.version, ng.release_version, ng.status = *seeded, "ACTIVE"
        with fast_eks.data.lock:
            fast_eks.data.extra["eks"][account("dev").id].clear()


def test_rolling_replacement_on_the_fake_cluster(own_cluster: OwnCluster) -> None:
    c = own_cluster
    to_133(c)
    before = nodes(c, "application")
    assert len(before) == 5 and {v for v, _ in before.values()} == {RELEASES["1.32"].kubelet}
    update = c.eks.update_nodegroup_version(clusterName=c.name, nodegroupName="application")["update"]
    assert c.nodegroup("application")["status"] == "UPDATING"
    wait_for(
        "the update", lambda: c.update(update["id"], nodegroupName="application")["status"] != "InProgress"
    )
    assert c.update(update["id"], nodegroupName="application")["status"] == "Successful"
    ng = c.nodegroup("application")
    assert (ng["status"], ng["version"], ng["releaseVersion"]) == ("ACTIVE", "1.33", RELEASES["1.33"].release)
    after = nodes(c, "application")
    assert not set(after) & set(before) and len(after) == 5
    assert set(after.values()) == {(RELEASES["1.33"].kubelet, True)}
    assert {v for v, _ in nodes(c, "system").values()} == {RELEASES["1.32"].kubelet}  # the other group waits
    bound = {p["spec"].get("nodeName") for p in c.kube.store.list("pods")} - {None}
    assert bound <= set(after) | set(nodes(c, "system"))  # nothing left on a terminated node

    # scaling out later adds nodes of the group's new version and AMI
    c.eks.update_nodegroup_config(
        clusterName=c.name, nodegroupName="application", scalingConfig={"desiredSize": 6}
    )
    wait_for("the sixth node", lambda: len(nodes(c, "application")) == 6)
    (added,) = set(nodes(c, "application")) - set(after)
    node = c.kube.store.get("nodes", added)
    assert node["status"]["nodeInfo"]["kubeletVersion"] == RELEASES["1.33"].kubelet
    assert node["metadata"]["labels"]["eks.amazonaws.com/nodegroup-image"] == RELEASES["1.33"].image


def test_a_disruption_budget_fails_the_update_then_force_gets_through(own_cluster: OwnCluster) -> None:
    c, store = own_cluster, own_cluster.kube.store
    to_133(c)
    store.create({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "blocker", "namespace": "default", "labels": {"app": "blocker"}},
                  "spec": {"nodeSelector": {"kubernetes.io/hostname": NODE_HEALTHY_APP},
                           "containers": [{"name": "app", "image": "nginx:1.27"}]}})  # fmt: skip
    store.create({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                  "metadata": {"name": "blocker", "namespace": "default"},
                  "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "blocker"}}}})  # fmt: skip
    wait_for(
        "the blocker to run",
        lambda: (store.get("pods", "blocker", "default").get("status") or {}).get("phase") == "Running",
    )
    before = nodes(c, "application")

    update = c.eks.update_nodegroup_version(clusterName=c.name, nodegroupName="application")["update"]
    wait_for(
        "the update", lambda: c.update(update["id"], nodegroupName="application")["status"] != "InProgress"
    )
    failed = c.update(update["id"], nodegroupName="application")
    assert failed["status"] == "Failed"
    assert failed["errors"] == [{
        "errorCode": "PodEvictionFailure",
        "errorMessage": "Reached max retries while trying to evict pods from nodes in node group application",
        "resourceIds": [NODE_HEALTHY_APP],
    }]  # fmt: skip
    ng = c.nodegroup("application")
    assert (ng["status"], ng["version"], ng["releaseVersion"]) == ("ACTIVE", "1.32", RELEASES["1.32"].release)
    now = nodes(c, "application")
    assert now[NODE_HEALTHY_APP] == before[NODE_HEALTHY_APP]  # still there, still 1.32
    assert store.get("pods", "blocker", "default")["spec"]["nodeName"] == NODE_HEALTHY_APP
    assert not [t for t in store.get("nodes", NODE_HEALTHY_APP)["spec"].get("taints") or []
                if t["key"] == GROUP]  # fmt: skip
    assert [v for v, _ in now.values()].count(RELEASES["1.33"].kubelet) == 5  # the surge stays

    forced = c.eks.update_nodegroup_version(clusterName=c.name, nodegroupName="application", force=True)[
        "update"
    ]
    wait_for(
        "the forced update",
        lambda: c.update(forced["id"], nodegroupName="application")["status"] != "InProgress",
    )
    assert c.update(forced["id"], nodegroupName="application")["status"] == "Successful"
    assert c.nodegroup("application")["version"] == "1.33"
    after = nodes(c, "application")
    assert len(after) == 5 and set(after.values()) == {(RELEASES["1.33"].kubelet, True)}
    assert [p for p in store.list("pods", "default") if p["metadata"]["name"] == "blocker"] == []
