"""An EKS cluster of the tests' own in the session sandbox, outside the estate, followed by a fake Kubernetes
API of its own: upgrades can run to the end and be read back without changing what other tests see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from opsbook.sandbox.estate import RELEASES

KEY = "opsbooksandbox"  # plain sandbox keys: moto's default account, which the estate does not use
OWN_ACCOUNT = "123456789012"
OWN_CLUSTER = "upgrade-test"
SUBNETS = ["subnet-0a1", "subnet-0b2"]  # unknown to EC2: their node groups' nodes land in us-east-1a
FAST = {"eks.cluster_update": 0.3, "eks.addon_update": 0.2, "eks.nodegroup_update": 0.3,
        "eks.nodegroup_drain_timeout": 1.5}  # fmt: skip


def eks_client(sandbox: Any) -> Any:
    return boto3.client("eks", region_name="us-east-1", endpoint_url=sandbox.aws_url,
                        aws_access_key_id=KEY, aws_secret_access_key=KEY)  # fmt: skip


@pytest.fixture()
def fast_eks(sandbox: Any) -> Iterator[Any]:
    """The session sandbox with EKS's updates taking a fraction of a second while the test runs."""
    before = dict(sandbox.data.delays)
    sandbox.data.delays.update(FAST)
    yield sandbox
    sandbox.data.delays.clear()
    sandbox.data.delays.update(before)


@dataclass
class OwnCluster:
    sandbox: Any
    eks: Any
    kube: Any  # FakeKubeServer, seeded like prod's cluster (nodes of `system` and `application`)
    name: str = OWN_CLUSTER

    def cluster(self) -> dict[str, Any]:
        found: dict[str, Any] = self.eks.describe_cluster(name=self.name)["cluster"]
        return found

    def nodegroup(self, group: str) -> dict[str, Any]:
        found: dict[str, Any] = self.eks.describe_nodegroup(clusterName=self.name, nodegroupName=group)[
            "nodegroup"
        ]
        return found

    def update(self, update_id: str, **which: str) -> dict[str, Any]:
        found: dict[str, Any] = self.eks.describe_update(name=self.name, updateId=update_id, **which)[
            "update"
        ]
        return found


@pytest.fixture()
def own_cluster(fast_eks: Any) -> Iterator[OwnCluster]:
    """EKS cluster `upgrade-test` at 1.32 with node groups `system` (1 node) and `application` (5) in the
    sandbox's spare account, its changes followed by a fresh seeded fake Kubernetes API; all gone after."""
    from opsbook.sandbox.k8s import FakeKubeServer, seed_cluster
    from opsbook.sandbox.nodegroups import EksBridge

    sandbox = fast_eks
    kube = FakeKubeServer(node_ready_seconds=0.2, pod_start_seconds=0.1)
    seed_cluster(kube.store)
    kube.start()
    eks = eks_client(sandbox)
    eks.create_cluster(name=OWN_CLUSTER, version="1.32", roleArn=f"arn:aws:iam::{OWN_ACCOUNT}:role/eks-cluster",
                       resourcesVpcConfig={"subnetIds": SUBNETS})  # fmt: skip
    for group, size in (("system", 1), ("application", 5)):
        eks.create_nodegroup(clusterName=OWN_CLUSTER, nodegroupName=group, subnets=SUBNETS,
                             nodeRole=f"arn:aws:iam::{OWN_ACCOUNT}:role/eks-node", instanceTypes=["m5.large"],
                             scalingConfig={"minSize": 1, "desiredSize": size, "maxSize": 10},
                             version="1.32", releaseVersion=RELEASES["1.32"].release)  # fmt: skip
    bridge = EksBridge(kube.store, OWN_ACCOUNT, "us-east-1", OWN_CLUSTER)
    sandbox.data.listeners.append(bridge)
    try:
        yield OwnCluster(sandbox, eks, kube)
    finally:
        sandbox.data.listeners.remove(bridge)
        bridge.stop()
        kube.stop()
        for group in eks.list_nodegroups(clusterName=OWN_CLUSTER)["nodegroups"]:
            eks.delete_nodegroup(clusterName=OWN_CLUSTER, nodegroupName=group)
        eks.delete_cluster(name=OWN_CLUSTER)
        with sandbox.data.lock:
            for kept in sandbox.data.extra.values():
                kept.pop(OWN_ACCOUNT, None)
