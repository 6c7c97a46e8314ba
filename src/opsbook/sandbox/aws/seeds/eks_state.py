"""What EKS keeps about the clusters that moto does not: their add-ons and the update behind staging's
UPDATING cluster.

Every `my-cluster` runs the EKS add-ons vpc-cni, coredns and kube-proxy (ADDONS: versions for its Kubernetes
version; on prod the same images its fake cluster's aws-node and kube-proxy DaemonSets run), installed
ADDONS_AFTER the cluster and last updated ADDONS_UPDATED_AGO. One is deliberately behind (ADDON_BEHIND):
staging's coredns is an older build that supports 1.32 but is not offered for 1.33, for the upgrade
pre-flight to find (and EKS's upgrade readiness refuses staging's move to 1.33 without `force`).

staging's `my-cluster` is UPDATING (eks.cluster_not_active fails there, seed.poke_eks_states) because a
logging update started STAGING_UPDATE_AGO ago is still `InProgress` (DescribeUpdate / ListUpdates show it,
and EKS refuses a version update meanwhile). It never finishes: a seeded state stays as seeded.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import eks_addons, eks_state
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.estate import ACCOUNTS, CLUSTER, REGION, SandboxAccount, account

ADDONS = {
    "vpc-cni": "v1.19.2-eksbuild.1",
    "coredns": "v1.11.4-eksbuild.2",
    "kube-proxy": "v1.32.0-minimal-eksbuild.2",
}
ADDON_BEHIND = ("staging", "coredns", "v1.11.1-eksbuild.9")  # (account, add-on, version): not ready for 1.33
ADDONS_AFTER = timedelta(minutes=30)
ADDONS_UPDATED_AGO = timedelta(days=30)
STAGING_UPDATE_AGO = timedelta(minutes=20)
STAGING_LOGGING = {"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]}


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    """Nothing per account before the estate is dated; see finish()."""


def finish(now: datetime, data: SandboxData) -> None:
    from moto.eks.models import eks_backends

    for acct in ACCOUNTS:
        created = (eks_backends[acct.id][REGION].clusters[CLUSTER].created_at + ADDONS_AFTER).timestamp()
        for name, version in ADDONS.items():
            if (acct.name, name) == ADDON_BEHIND[:2]:
                version = ADDON_BEHIND[2]
            eks_addons.install(data, acct.id, REGION, CLUSTER, name, version, created=created,
                               modified=(now - ADDONS_UPDATED_AGO).timestamp())  # fmt: skip
    update = eks_state.new_update("LoggingUpdate", [("ClusterLogging", json.dumps(STAGING_LOGGING))])
    update["createdAt"] = (now - STAGING_UPDATE_AGO).timestamp()
    eks_state.remember(data, account("staging").id, REGION, CLUSTER, update)
