"""EC2 cost inventory: EBS volumes, Elastic IPs and self-owned snapshots with the AMIs that use them."""

from __future__ import annotations

from typing import Any

from opsbook.collect.aws.cost_models import EbsSnapshot, EbsVolume, ElasticIp
from opsbook.collect.aws.keys import VOLUMES
from opsbook.core.collectors import CollectContext, collector


def tag_dict(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def volume_model(v: dict[str, Any]) -> EbsVolume:
    return EbsVolume(
        id=v["VolumeId"],
        size_gb=int(v.get("Size") or 0),
        type=v.get("VolumeType", "gp2"),
        state=v.get("State", "unknown"),
        created_at=v.get("CreateTime"),
        availability_zone=v.get("AvailabilityZone", ""),
        attached_to=[a["InstanceId"] for a in v.get("Attachments", []) if a.get("InstanceId")],
        tags=tag_dict(v.get("Tags")),
    )


def address_model(a: dict[str, Any]) -> ElasticIp:
    return ElasticIp(
        allocation_id=a.get("AllocationId") or a.get("PublicIp", ""),
        public_ip=a.get("PublicIp", ""),
        association_id=a.get("AssociationId"),
        instance_id=a.get("InstanceId") or None,
        network_interface_id=a.get("NetworkInterfaceId"),
        domain=a.get("Domain", "vpc"),
        tags=tag_dict(a.get("Tags")),
    )


@collector(VOLUMES, permissions=("ec2:DescribeVolumes",))
def volumes(ctx: CollectContext) -> list[EbsVolume]:
    out: list[EbsVolume] = []
    for page in ctx.client("ec2").get_paginator("describe_volumes").paginate():
        out.extend(volume_model(v) for v in page.get("Volumes", []))
    return out


@collector("ec2.addresses", permissions=("ec2:DescribeAddresses",))
def addresses(ctx: CollectContext) -> list[ElasticIp]:
    return [address_model(a) for a in ctx.client("ec2").describe_addresses().get("Addresses", [])]


def images_by_snapshot(ec2: Any) -> dict[str, list[str]]:
    """snapshot id -> the self-owned AMIs whose block device mappings reference it."""
    used: dict[str, list[str]] = {}
    for page in ec2.get_paginator("describe_images").paginate(Owners=["self"]):
        for image in page.get("Images", []):
            for bdm in image.get("BlockDeviceMappings", []):
                snap = (bdm.get("Ebs") or {}).get("SnapshotId")
                if snap:
                    used.setdefault(snap, []).append(image["ImageId"])
    return used


@collector("ec2.snapshots", permissions=("ec2:DescribeSnapshots", "ec2:DescribeImages"))
def snapshots(ctx: CollectContext) -> list[EbsSnapshot]:
    ec2 = ctx.client("ec2")
    used = images_by_snapshot(ec2)
    out: list[EbsSnapshot] = []
    for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"]):
        for s in page.get("Snapshots", []):
            out.append(
                EbsSnapshot(
                    id=s["SnapshotId"],
                    volume_id=s.get("VolumeId"),
                    size_gb=int(s.get("VolumeSize") or 0),
                    started_at=s.get("StartTime"),
                    state=s.get("State", "completed"),
                    description=s.get("Description", ""),
                    used_by_images=used.get(s["SnapshotId"], []),
                    tags=tag_dict(s.get("Tags")),
                )
            )
    return out
