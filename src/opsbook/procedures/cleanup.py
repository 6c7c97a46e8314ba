"""The cleanup procedure's item kinds (the guide's "Implement Cost Savings"), each with its re-check.

| kind          | action                   | eligible right before acting when ...               |
|---------------|--------------------------|-----------------------------------------------------|
| ebs-volume    | delete-volume            | the volume is still `available` (unattached)        |
| elastic-ip    | release-address          | the address is still not associated                 |
| ebs-snapshot  | delete-snapshot          | no self-owned AMI references the snapshot           |
| load-balancer | delete-load-balancer     | the last 7 days are still under the plan's limits   |
| s3-tiering    | put-intelligent-tiering  | the bucket still has no Intelligent-Tiering config  |
A resource that no longer exists is `done` for the delete kinds (nothing left to do).
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from opsbook.collect.aws.ec2_waste import images_by_snapshot, tag_dict
from opsbook.collect.aws.elbv2 import fetch_traffic, lb_model
from opsbook.collect.aws.s3 import bucket_tags, tiering_ids
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.providers.aws.session import error_code

TIERING_ID = "opsbook-intelligent-tiering"
TIERING = {
    "Id": TIERING_ID,
    "Status": "Enabled",
    "Tierings": [
        {"Days": 90, "AccessTier": "ARCHIVE_ACCESS"},
        {"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"},
    ],
}


def _not_found(exc: botocore.exceptions.ClientError) -> bool:
    code = error_code(exc)
    return code.endswith(".NotFound") or code in ("LoadBalancerNotFound", "NoSuchBucket", "NotFound")


def _describe_one(describe: Any, key: str, **kwargs: Any) -> dict[str, Any] | None:
    """The one resource a Describe call returns, or None when it no longer exists."""
    try:
        found = describe(**kwargs)[key]
    except botocore.exceptions.ClientError as exc:
        if _not_found(exc):
            return None
        raise
    return found[0] if found else None


# -- EBS volumes ------------------------------------------------------------------------------------
def recheck_volume(item: PlanItem, clients: Clients) -> Live:
    v = _describe_one(clients("ec2").describe_volumes, "Volumes", VolumeIds=[item.resource.id])
    if v is None:
        return Live("done", "the volume no longer exists")
    tags = tag_dict(v.get("Tags"))
    if v.get("State") != "available":
        on = ", ".join(a["InstanceId"] for a in v.get("Attachments", []) if a.get("InstanceId"))
        return Live(
            "changed", f"the volume is {v.get('State')} now" + (f" (attached to {on})" if on else ""), tags
        )
    return Live("eligible", "still unattached", tags)


def delete_volume(item: PlanItem, clients: Clients) -> dict[str, Any]:
    ec2 = clients("ec2")
    out: dict[str, Any] = {}
    if clients.options.get("snapshot_before_delete"):
        out["snapshot_id"] = snapshot_first(ec2, item.resource.id, clients.plan_hash)
    ec2.delete_volume(VolumeId=item.resource.id)
    return out


def snapshot_first(ec2: Any, volume_id: str, plan_hash: str) -> str:
    """A completed snapshot of the volume, made once per plan (found again by its tags on a resume)."""
    marker = [
        {"Name": "tag:opsbook:snapshot-of", "Values": [volume_id]},
        {"Name": "tag:opsbook:plan", "Values": [plan_hash[:71]]},
    ]
    existing = ec2.describe_snapshots(OwnerIds=["self"], Filters=marker).get("Snapshots", [])
    if existing:
        snap_id = str(existing[0]["SnapshotId"])
    else:
        snap_id = ec2.create_snapshot(
            VolumeId=volume_id,
            Description=f"opsbook cleanup: {volume_id} before deletion",
            TagSpecifications=[
                {
                    "ResourceType": "snapshot",
                    "Tags": [
                        {"Key": "opsbook:snapshot-of", "Value": volume_id},
                        {"Key": "opsbook:plan", "Value": plan_hash[:71]},
                    ],
                }
            ],
        )["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(
        SnapshotIds=[snap_id], WaiterConfig={"Delay": 5, "MaxAttempts": 360}
    )
    return snap_id


# -- Elastic IPs -------------------------------------------------------------------------------------
def recheck_address(item: PlanItem, clients: Clients) -> Live:
    a = _describe_one(clients("ec2").describe_addresses, "Addresses", AllocationIds=[item.resource.id])
    if a is None:
        return Live("done", "the address is already released")
    tags = tag_dict(a.get("Tags"))
    if a.get("AssociationId") or a.get("InstanceId") or a.get("NetworkInterfaceId"):
        return Live(
            "changed",
            f"the address is associated now ({a.get('InstanceId') or a.get('NetworkInterfaceId')})",
            tags,
        )
    return Live("eligible", "still not associated", tags)


def release_address(item: PlanItem, clients: Clients) -> dict[str, Any]:
    clients("ec2").release_address(AllocationId=item.resource.id)
    return {}


# -- EBS snapshots -----------------------------------------------------------------------------------
def recheck_snapshot(item: PlanItem, clients: Clients) -> Live:
    ec2 = clients("ec2")
    snap = _describe_one(ec2.describe_snapshots, "Snapshots", SnapshotIds=[item.resource.id])
    if snap is None:
        return Live("done", "the snapshot no longer exists")
    tags = tag_dict(snap.get("Tags"))
    users = images_by_snapshot(ec2).get(item.resource.id, [])
    if users:
        return Live("changed", f"the snapshot is used by {', '.join(users)} now", tags)
    return Live("eligible", "still not used by any AMI", tags)


def delete_snapshot(item: PlanItem, clients: Clients) -> dict[str, Any]:
    clients("ec2").delete_snapshot(SnapshotId=item.resource.id)
    return {}


# -- Load balancers ----------------------------------------------------------------------------------
def recheck_load_balancer(item: PlanItem, clients: Clients) -> Live:
    arn = item.resource.arn or item.resource.id
    elb = clients("elbv2")
    lb = _describe_one(elb.describe_load_balancers, "LoadBalancers", LoadBalancerArns=[arn])
    if lb is None:
        return Live("done", "the load balancer no longer exists")
    descs = elb.describe_tags(ResourceArns=[arn]).get("TagDescriptions", [])
    tags = tag_dict(descs[0].get("Tags") if descs else [])
    model = lb_model(lb, tags)
    traffic = fetch_traffic(clients("cloudwatch"), [model], clients.now)[model.arn]
    requests = traffic.requests
    evidence = {"requests_7d": requests, "processed_bytes_7d": traffic.processed_bytes}
    limits = (float(item.params.get("max_requests", 100)), float(item.params.get("max_processed_mb", 10)))
    if not traffic.is_idle(*limits):
        return Live(
            "changed", f"the load balancer is busy now: {requests:,.0f} requests in 7 days", tags, evidence
        )
    return Live("eligible", f"still idle: {requests:,.0f} requests in 7 days", tags, evidence)


def delete_load_balancer(item: PlanItem, clients: Clients) -> dict[str, Any]:
    clients("elbv2").delete_load_balancer(LoadBalancerArn=item.resource.arn or item.resource.id)
    return {}


# -- S3 Intelligent-Tiering --------------------------------------------------------------------------
def recheck_tiering(item: PlanItem, clients: Clients) -> Live:
    s3 = clients("s3")
    bucket = item.resource.id
    try:  # the same reads as the collector (every page of configurations), so plan and re-check agree
        ids = tiering_ids(s3, bucket)
        tags = bucket_tags(s3, bucket)
    except botocore.exceptions.ClientError as exc:
        if _not_found(exc):
            return Live("changed", "the bucket no longer exists")
        raise
    if TIERING_ID in ids:
        return Live("done", f"{TIERING_ID} is configured", tags)
    if ids:
        return Live("changed", f"the bucket has Intelligent-Tiering now ({', '.join(ids)})", tags)
    return Live("eligible", "still no Intelligent-Tiering configuration", tags)


def put_tiering(item: PlanItem, clients: Clients) -> dict[str, Any]:
    config = item.params.get("configuration") or TIERING
    clients("s3").put_bucket_intelligent_tiering_configuration(
        Bucket=item.resource.id, Id=config["Id"], IntelligentTieringConfiguration=config
    )
    return {"configuration_id": config["Id"]}


item_kind(
    "ebs-volume",
    action="delete-volume",
    permissions=("ec2:DescribeVolumes", "ec2:DeleteVolume", "ec2:CreateSnapshot", "ec2:CreateTags"),
    recheck=recheck_volume,
    act=delete_volume,
)
item_kind(
    "elastic-ip",
    action="release-address",
    permissions=("ec2:DescribeAddresses", "ec2:ReleaseAddress"),
    recheck=recheck_address,
    act=release_address,
)
item_kind(
    "ebs-snapshot",
    action="delete-snapshot",
    permissions=("ec2:DescribeSnapshots", "ec2:DescribeImages", "ec2:DeleteSnapshot"),
    recheck=recheck_snapshot,
    act=delete_snapshot,
)
item_kind(
    "load-balancer",
    action="delete-load-balancer",
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DeleteLoadBalancer",
        "cloudwatch:GetMetricData",
    ),
    recheck=recheck_load_balancer,
    act=delete_load_balancer,
)
item_kind(
    "s3-tiering",
    action="put-intelligent-tiering",
    permissions=(
        "s3:GetIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
        "s3:GetBucketTagging",
    ),
    recheck=recheck_tiering,
    act=put_tiering,
)
