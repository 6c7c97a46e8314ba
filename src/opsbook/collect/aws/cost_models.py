"""Typed, frozen inventory of the resources the guide's "Cost Optimization" section looks at.

Built by the collectors in ec2_waste.py, elbv2.py and s3.py; read by the weekly cost checks and by the
cleanup procedure's planner.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from opsbook.collect.aws.models import Frozen


class EbsVolume(Frozen):
    id: str
    size_gb: int
    type: str
    state: str  # available | in-use | creating | deleting ...
    created_at: datetime | None = None
    availability_zone: str = ""
    attached_to: list[str] = Field(default_factory=list)  # instance ids
    tags: dict[str, str] = Field(default_factory=dict)


class ElasticIp(Frozen):
    allocation_id: str
    public_ip: str
    association_id: str | None = None
    instance_id: str | None = None
    network_interface_id: str | None = None
    domain: str = "vpc"
    tags: dict[str, str] = Field(default_factory=dict)


class EbsSnapshot(Frozen):
    id: str
    volume_id: str | None = None
    size_gb: int = 0  # the source volume's size: an upper bound of what the snapshot stores
    started_at: datetime | None = None
    state: str = "completed"
    description: str = ""
    used_by_images: list[str] = Field(default_factory=list)  # AMIs (owner self) that reference it
    tags: dict[str, str] = Field(default_factory=dict)


class LoadBalancer(Frozen):
    arn: str
    name: str
    type: str  # application | network | gateway
    scheme: str = "internet-facing"
    state: str = "active"
    created_at: datetime | None = None
    dns_name: str = ""
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def metric_dimension(self) -> str:
        """CloudWatch's LoadBalancer dimension: the ARN after `loadbalancer/` (app/<name>/<id>)."""
        return self.arn.split(":loadbalancer/", 1)[-1]


class LbTraffic(Frozen):
    """Traffic of one load balancer over the window: sums of RequestCount and ProcessedBytes."""

    requests: float = 0.0
    processed_bytes: float = 0.0
    datapoints: int = 0
    window_days: int = 7

    def is_idle(self, max_requests: float, max_processed_mb: float) -> bool:
        """The idle rule the weekly check, the cleanup plan and its re-check before a delete all share."""
        return self.requests <= max_requests and self.processed_bytes <= max_processed_mb * 1024 * 1024


class Bucket(Frozen):
    name: str
    region: str
    created_at: datetime | None = None
    tiering_configs: list[str] = Field(default_factory=list)  # Intelligent-Tiering configuration ids
    tags: dict[str, str] = Field(default_factory=dict)


class BucketSize(Frozen):
    """The latest daily BucketSizeBytes (StandardStorage) datapoint; None when CloudWatch has none."""

    standard_bytes: float | None = None
    objects: float | None = None
