"""The sandbox estate, modelled on the guide: tenant mycompany, accounts dev/staging/prod, us-east-1."""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
TENANT = "mycompany"
ROLE_NAME = "OpsbookReadOnly"
CLUSTER = "my-cluster"
DATABASE = "my-database"
API = "my-api"
BUCKET = "my-bucket"
SANDBOX_AMI = "ami-0a5c0ffee0ddba11e"  # the image the sandbox's instances run (moto's default AMIs are off)
# One Kubernetes version for every cluster: EKS's control plane and node groups, the fake API server's
# /version and every node's kubelet. No check looks for version skew, so no account is skewed; a check
# that needs one names the account here (account name -> why) and the consistency test lets it be.
KUBERNETES_VERSION = "1.32"
KUBERNETES_PATCH = "1.32.1"
KUBELET_VERSION = f"v{KUBERNETES_PATCH}-eks-5d632ec"
NODE_AMI_RELEASE = f"{KUBERNETES_PATCH}-20250116"  # EKS node groups' releaseVersion (the AMI's)
KUBERNETES_VERSION_SKEW: dict[str, str] = {}
# Every node group's instance type: EKS's node groups and the fake cluster's nodes (2 vCPU / 8 GiB)
NODE_INSTANCE_TYPE = "m5.large"


@dataclass(frozen=True)
class SandboxAccount:
    name: str
    id: str

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:role/{ROLE_NAME}"


ACCOUNTS = (
    SandboxAccount("dev", "111111111111"),
    SandboxAccount("staging", "222222222222"),
    SandboxAccount("prod", "333333333333"),
)


def stack_tags(stage: str) -> dict[str, str]:
    """The tags the stacks tree gives every resource of a stage (`vars.tags`, sandbox/stacks), which the
    sandbox's EKS clusters, RDS instances and VPCs carry too."""
    return {"ManagedBy": "terraform", "Tenant": TENANT, "Stage": stage}


def account(name: str) -> SandboxAccount:
    for a in ACCOUNTS:
        if a.name == name:
            return a
    raise KeyError(name)
