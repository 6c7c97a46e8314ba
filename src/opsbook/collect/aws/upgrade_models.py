"""Inventory models of the EKS upgrade pre-flight (checks/upgrade/): add-ons with the versions EKS offers
for the target, the capacity a node group update's surge draws on, and the stacks' control plane versions."""

from __future__ import annotations

from pydantic import Field

from opsbook.collect.aws.models import Frozen


class EksAddon(Frozen):
    cluster: str
    name: str
    version: str
    status: str = "UNKNOWN"
    health_issues: list[str] = Field(default_factory=list)
    cluster_version: str  # the live control plane's minor
    target: str  # the upgrade's target minor
    compatible: list[str] = Field(default_factory=list)  # versions EKS offers for `target`, newest first
    compatible_now: list[str] = Field(default_factory=list)  # versions EKS offers for `cluster_version`
    default: str | None = None  # the version EKS installs by default on `target`


class InstanceTypeInfo(Frozen):
    vcpus: int
    ipv4_per_interface: int | None = None


class SubnetInfo(Frozen):
    id: str
    zone: str
    free_ips: int


class SurgeCapacity(Frozen):
    """What a node group update draws on while EKS adds its surge nodes: the region's standard on-demand
    vCPU quota and the vCPUs running instances use of it, the node groups' instance types, their subnets."""

    quota_vcpus: float
    running_vcpus: int
    instance_types: dict[str, InstanceTypeInfo] = Field(default_factory=dict)
    subnets: dict[str, SubnetInfo] = Field(default_factory=dict)

    @property
    def free_vcpus(self) -> int:
        return max(int(self.quota_vcpus) - self.running_vcpus, 0)


class StackEksVersion(Frozen):
    """A cluster component of a stack deployed in the target's account and region."""

    stack: str
    component: str
    cluster: str  # the EKS cluster name (vars.cluster_name)
    version: str | None = None  # vars.kubernetes_version as written (None: not set)
    where: str | None = None  # file:line that sets it
