"""The account's on-demand EC2 vCPU headroom, for what adds instances (scale-nodegroup, an upgrade's surge).

AWS limits running on-demand instances by vCPUs per instance family group; the standard families (A, C,
D, H, I, M, R, T, Z) share quota L-1216C47A. Headroom = that quota's applied value minus the vCPUs of the
standard-family instances running or starting in the region. Plain functions over boto3 clients: the
scale-nodegroup planner calls them once, read-only; the `eks.surge_capacity` collector (upgrade
pre-flight) reuses the pieces over the listed `ec2.instances`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

STANDARD_QUOTA = "L-1216C47A"
PERMISSIONS = ("servicequotas:GetServiceQuota", "ec2:DescribeInstances", "ec2:DescribeInstanceTypes")
_OTHER_FAMILIES = ("inf", "dl", "trn", "vt")  # start with a standard letter, have quotas of their own


def is_standard(instance_type: str) -> bool:
    family = instance_type.split(".", 1)[0].lower()
    return family[:1] in "acdhimrtz" and not family.startswith(_OTHER_FAMILIES)


@dataclass(frozen=True)
class InstanceType:
    vcpus: int
    ipv4_per_interface: int | None  # private IPv4 addresses one network interface holds


def instance_types(ec2: Any, types: Iterable[str]) -> dict[str, InstanceType]:
    """instance type -> its default vCPUs and IPv4 addresses per interface (DescribeInstanceTypes, 100
    types a call)."""
    wanted = sorted(set(types))
    out: dict[str, InstanceType] = {}
    for start in range(0, len(wanted), 100):
        for t in ec2.describe_instance_types(InstanceTypes=wanted[start : start + 100]).get(
            "InstanceTypes", []
        ):
            ips = (t.get("NetworkInfo") or {}).get("Ipv4AddressesPerInterface")
            out[t["InstanceType"]] = InstanceType(int(t["VCpuInfo"]["DefaultVCpus"]), ips)
    return out


def vcpus_of(ec2: Any, types: Iterable[str]) -> dict[str, int]:
    """instance type -> default vCPUs."""
    return {name: t.vcpus for name, t in instance_types(ec2, types).items()}


def counts_against_standard(instance_type: str, lifecycle: str | None) -> bool:
    """An instance running or starting uses the standard on-demand quota unless it is spot."""
    return lifecycle != "spot" and is_standard(instance_type)


def standard_quota(quotas: Any) -> float:
    """The applied value of the region's standard on-demand vCPU quota (raises botocore's errors)."""
    return float(quotas.get_service_quota(ServiceCode="ec2", QuotaCode=STANDARD_QUOTA)["Quota"]["Value"])


@dataclass(frozen=True)
class VcpuHeadroom:
    quota: float  # the applied value of L-1216C47A
    used: int  # vCPUs of running/pending standard-family instances

    @property
    def free(self) -> int:
        return max(int(self.quota) - self.used, 0)


def standard_headroom(ec2: Any, quotas: Any) -> VcpuHeadroom:
    """The region's standard on-demand vCPU quota and what running instances use of it (raises botocore's
    errors: the caller decides what an unreadable quota means)."""
    quota = standard_quota(quotas)
    running: Counter[str] = Counter()
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                if counts_against_standard(instance["InstanceType"], instance.get("InstanceLifecycle")):
                    running[instance["InstanceType"]] += 1
    sizes = vcpus_of(ec2, running)
    return VcpuHeadroom(quota=quota, used=sum(sizes.get(t, 0) * n for t, n in running.items()))
