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


@dataclass(frozen=True)
class KubernetesRelease:
    """What EKS runs for one Kubernetes minor: the patch the API server and kubelets report, the kubelet's
    EKS build, the date of the EKS optimized AMI (a node group's `releaseVersion` is `<patch>-<date>`), the
    platform version a cluster gets when it moves to this minor and the AMI's id (nodes carry it as
    `eks.amazonaws.com/nodegroup-image`)."""

    minor: str
    patch: str
    build: str
    ami_date: str
    platform: str
    image: str

    @property
    def kubelet(self) -> str:
        return f"v{self.patch}-{self.build}"

    @property
    def release(self) -> str:
        return f"{self.patch}-{self.ami_date}"


# The minors the sandbox's EKS offers. Approximate, shaped like EKS's (patch and AMI date from the EKS optimized
# AMI release notes, github.com/awslabs/amazon-eks-ami/releases; platform versions from the EKS user guide's
# "platform versions" page, as of 2025): real enough for version logic, not a record of AWS's history.
RELEASES = {
    r.minor: r
    for r in (
        KubernetesRelease("1.29", "1.29.13", "eks-5d632ec", "20250116", "eks.27", "ami-0a1d7e2a6c3f5b901"),
        KubernetesRelease("1.30", "1.30.8", "eks-5d632ec", "20250116", "eks.24", "ami-0b2e8f3b7d4a6c012"),
        KubernetesRelease("1.31", "1.31.4", "eks-5d632ec", "20250116", "eks.20", "ami-0c3f9a4c8e5b7d123"),
        KubernetesRelease("1.32", "1.32.1", "eks-5d632ec", "20250116", "eks.6", "ami-0c7217cdde317cfec"),
        KubernetesRelease("1.33", "1.33.1", "eks-b9cfa5f", "20250610", "eks.4", "ami-0d5b1c6e0a7d9f345"),
        KubernetesRelease("1.34", "1.34.1", "eks-3025e55", "20251007", "eks.2", "ami-0e6c2d7f1b8e0a456"),
    )
}
# One Kubernetes version for every cluster: EKS's control plane and node groups, the fake API server's
# /version and every node's kubelet, except the skew below.
KUBERNETES_VERSION = "1.32"
KUBERNETES_PATCH = RELEASES[KUBERNETES_VERSION].patch
KUBELET_VERSION = RELEASES[KUBERNETES_VERSION].kubelet
NODE_AMI_RELEASE = RELEASES[KUBERNETES_VERSION].release  # EKS node groups' releaseVersion (the AMI's)
NODE_IMAGE = RELEASES[KUBERNETES_VERSION].image  # the AMI the fake cluster's nodes run
# The one deliberate version skew ("<account>/<node group>" -> its minor), for the upgrade pre-flight to find:
# dev's `application` node group was left two minors behind its control plane. An upgrade to 1.33 puts it
# three behind (the most the kubelet skew policy allows), to 1.34 four; and EKS refuses to move a control
# plane while a managed node group does not match it ("Nodegroups application must be updated to match
# cluster version 1.32 before updating cluster version").
KUBERNETES_VERSION_SKEW: dict[str, str] = {"dev/application": "1.30"}
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


def nodegroup_version(account_name: str, group: str) -> str:
    """The Kubernetes minor an account's node group is seeded at (KUBERNETES_VERSION unless skewed)."""
    return KUBERNETES_VERSION_SKEW.get(f"{account_name}/{group}", KUBERNETES_VERSION)
