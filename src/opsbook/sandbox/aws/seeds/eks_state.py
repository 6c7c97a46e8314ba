"""What EKS keeps about the clusters that moto does not: the update behind staging's UPDATING cluster.

staging's `my-cluster` is UPDATING (eks.cluster_not_active fails there, seed.poke_eks_states) because a
logging update started STAGING_UPDATE_AGO ago is still `InProgress` (DescribeUpdate / ListUpdates show it,
and EKS refuses a version update meanwhile). It never finishes: a seeded state stays as seeded.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import eks_state
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.estate import CLUSTER, REGION, SandboxAccount, account

STAGING_UPDATE_AGO = timedelta(minutes=20)
STAGING_LOGGING = {"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]}


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    """Nothing per account before the estate is dated; see finish()."""


def finish(now: datetime, data: SandboxData) -> None:
    update = eks_state.new_update("LoggingUpdate", [("ClusterLogging", json.dumps(STAGING_LOGGING))])
    update["createdAt"] = (now - STAGING_UPDATE_AGO).timestamp()
    eks_state.remember(data, account("staging").id, REGION, CLUSTER, update)
