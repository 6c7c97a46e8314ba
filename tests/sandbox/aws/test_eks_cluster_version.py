"""UpdateClusterVersion in the sandbox through real boto3: what EKS refuses (read back: nothing changed), and
an accepted update UPDATING, then ACTIVE at the new version and platform, the update Successful, and the
fake Kubernetes API following it (/version)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import botocore.exceptions
import pytest

from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import CLUSTER, REGION, RELEASES, account
from opsbook.sandbox.runtime import EKS_ACCOUNT
from tests.sandbox.aws.conftest import OwnCluster


def wait_for(what: str, ok: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("where", "version", "code", "message"),
    [
        ("prod", "1.34", "InvalidParameterException", "Unsupported Kubernetes minor version update from 1.32 to 1.34"),
        ("prod", "1.32", "InvalidParameterException", "Unsupported Kubernetes minor version update from 1.32 to 1.32"),
        ("prod", "1.31", "InvalidParameterException", "Unsupported Kubernetes minor version update from 1.32 to 1.31"),
        ("prod", "1.99", "InvalidParameterException", "unsupported Kubernetes version"),
        ("prod", "one", "InvalidParameterException", "unsupported Kubernetes version"),
        ("staging", "1.33", "ResourceInUseException",
         "Cannot VersionUpdate because cluster my-cluster currently has update {staging} in progress"),
        ("dev", "1.33", "InvalidParameterException",
         "Nodegroups application must be updated to match cluster version 1.32 before updating cluster version"),
    ],
)  # fmt: skip
def test_eks_refusals_change_nothing(sandbox: Any, where: str, version: str, code: str, message: str) -> None:
    eks = clients_for(sandbox.aws_url, account(where))("eks")
    before = eks.list_updates(name=CLUSTER)["updateIds"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        eks.update_cluster_version(name=CLUSTER, version=version)
    error = caught.value.response["Error"]
    assert error["Code"] == code
    assert error["Message"] == message.format(staging=before[0] if before else "")
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    assert cluster["version"] == "1.32" and eks.list_updates(name=CLUSTER)["updateIds"] == before


def test_unknown_cluster(sandbox: Any) -> None:
    eks = clients_for(sandbox.aws_url, account("prod"))("eks")
    with pytest.raises(eks.exceptions.ResourceNotFoundException, match="No cluster found for name: nope."):
        eks.update_cluster_version(name="nope", version="1.33")


def test_stagings_seeded_update_is_in_progress(sandbox: Any) -> None:
    eks = clients_for(sandbox.aws_url, account("staging"))("eks")
    (update_id,) = eks.list_updates(name=CLUSTER)["updateIds"]
    update = eks.describe_update(name=CLUSTER, updateId=update_id)["update"]
    assert (update["type"], update["status"], update["params"][0]["type"]) == (
        "LoggingUpdate", "InProgress", "ClusterLogging"
    )  # fmt: skip
    assert eks.describe_cluster(name=CLUSTER)["cluster"]["status"] == "UPDATING"


def test_upgrade_moves_the_control_plane_and_the_api_server(own_cluster: OwnCluster) -> None:
    c = own_cluster
    served = f"{c.kube.url}/version"
    with urllib.request.urlopen(served) as resp:  # noqa: S310 - the test's own 127.0.0.1 server
        assert json.load(resp)["gitVersion"] == "v1.32.1-eks-opsbook-sandbox"
    update = c.eks.update_cluster_version(name=c.name, version="1.33")["update"]
    assert (update["type"], update["status"], update["errors"]) == ("VersionUpdate", "InProgress", [])
    assert {p["type"]: p["value"] for p in update["params"]} == {
        "Version": "1.33",
        "PlatformVersion": "eks.4",
    }
    assert c.cluster()["status"] == "UPDATING" and c.cluster()["version"] == "1.32"
    assert c.eks.list_updates(name=c.name)["updateIds"] == [update["id"]]
    with pytest.raises(c.eks.exceptions.ResourceInUseException, match=f"currently has update {update['id']}"):
        c.eks.update_cluster_version(name=c.name, version="1.33")

    wait_for("the update", lambda: c.update(update["id"])["status"] == "Successful")
    cluster = c.cluster()
    assert (cluster["status"], cluster["version"], cluster["platformVersion"]) == ("ACTIVE", "1.33", "eks.4")
    with urllib.request.urlopen(served) as resp:  # noqa: S310
        info = json.load(resp)
    assert (info["major"], info["minor"], info["gitVersion"]) == (
        "1",
        "33",
        f"v{RELEASES['1.33'].patch}-eks-opsbook-sandbox",
    )
    # its node groups stayed at 1.32, so EKS refuses the next minor until they follow
    with pytest.raises(c.eks.exceptions.InvalidParameterException,
                       match="Nodegroups application, system must be updated to match cluster version 1.33"):  # fmt: skip
        c.eks.update_cluster_version(name=c.name, version="1.34")


def test_prods_cluster_is_followed_by_the_fake_api(sandbox: Any) -> None:
    """The Sandbox subscribes its bridge for prod's my-cluster (the upgrade itself: the test above)."""
    assert sandbox.bridge in sandbox.data.listeners
    assert sandbox.bridge.where == (account(EKS_ACCOUNT).id, REGION, CLUSTER)
    assert sandbox.bridge.store is sandbox.kube.store
