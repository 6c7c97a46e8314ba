"""What a real EKS module's `terraform apply` does when `kubernetes_version` changes, for the sandbox stacks'
`eks` component (a `terraform_data` stand-in): start UpdateClusterVersion, on the sandbox's EKS only.

Run by the component's local-exec provisioner (a replacement of `terraform_data.control_plane_version`) as
`python -m opsbook.sandbox.eks_version_hook VERSION`, with CLUSTER_NAME, REGION and ACCOUNT_ID from the
provisioner and OPSBOOK_SANDBOX_AWS_ENDPOINT from opsbook's Terraform environment (providers/terraform/
changes.py `sandbox_env`). It stays offline: without that endpoint it does nothing, and an endpoint that is
not this machine's loopback is refused. It assumes the account's sandbox role (as opsbook's own sessions do)
and asks for the new minor only when it is not the cluster's already; EKS (the sandbox's) refuses what it
refuses (two minors at once, a node group behind, an update in progress) and the apply fails with that line.
It does not wait: the update runs on, and opsbook's `cluster-version` wait follows it.
"""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import urlsplit

from opsbook.sandbox.estate import ROLE_NAME

ENDPOINT_ENV = "OPSBOOK_SANDBOX_AWS_ENDPOINT"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def minor(version: str) -> str:
    m = re.match(r"^(\d+)\.(\d+)", version)
    return f"{m.group(1)}.{m.group(2)}" if m else version


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m opsbook.sandbox.eks_version_hook VERSION", file=sys.stderr)
        return 2
    want = minor(argv[0])
    endpoint = os.environ.get(ENDPOINT_ENV, "")
    if not endpoint:
        print(f"{ENDPOINT_ENV} is not set (not opsbook's sandbox): no EKS call made")
        return 0
    if urlsplit(endpoint).hostname not in LOOPBACK:
        print(
            f"error: {ENDPOINT_ENV}={endpoint} is not this machine's sandbox; refusing to call it",
            file=sys.stderr,
        )
        return 2
    cluster, region, account = (os.environ.get(k, "") for k in ("CLUSTER_NAME", "REGION", "ACCOUNT_ID"))
    if not (cluster and region and account):
        print("error: CLUSTER_NAME, REGION and ACCOUNT_ID must be set by the provisioner", file=sys.stderr)
        return 2
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=region)
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}", RoleSessionName="opsbook-sandbox-terraform"
        )["Credentials"]
        eks = boto3.client("eks", endpoint_url=endpoint, region_name=region, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])  # fmt: skip
        have = str(eks.describe_cluster(name=cluster)["cluster"]["version"])
        if minor(have) == want:
            print(f"EKS cluster {cluster} already runs {have}: no update")
            return 0
        update = eks.update_cluster_version(name=cluster, version=want)["update"]
    except (BotoCoreError, ClientError) as exc:
        print(f"error: UpdateClusterVersion {cluster} {want}: {exc}", file=sys.stderr)
        return 1
    print(f"UpdateClusterVersion {cluster}: {have} -> {want}, update {update['id']} {update['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
