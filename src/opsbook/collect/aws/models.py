"""Typed, frozen inventory models handed to checks. Collectors build them; checks only read them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from opsbook.core.models import Compact


class Frozen(Compact):
    """Frozen, and instances given the same fields share pydantic's record of them (core.models.Compact)."""


class Alarm(Frozen):
    name: str
    arn: str
    state: str
    namespace: str | None = None
    metric: str | None = None
    reason: str = ""
    updated_at: datetime | None = None


class DbInstance(Frozen):
    id: str
    arn: str
    status: str
    instance_class: str
    engine: str
    allocated_storage: int = 0
    max_allocated_storage: int | None = None
    multi_az: bool = False


class MetricSummary(Frozen):
    """Datapoints of one metric over a window, already reduced."""

    average: float | None = None
    maximum: float | None = None
    total: float | None = None
    datapoints: int = 0


class NodeGroup(Frozen):
    name: str
    arn: str
    status: str
    desired: int
    min: int
    max: int
    health_issues: list[str] = Field(default_factory=list)
    version: str | None = None  # the Kubernetes minor version (None: a custom AMI in a launch template)
    instance_types: list[str] = Field(default_factory=list)  # empty: set by a launch template
    capacity_type: str = "ON_DEMAND"  # or SPOT
    subnets: list[str] = Field(default_factory=list)
    max_unavailable: int | None = None  # updateConfig: nodes replaced at once during an update
    max_unavailable_percentage: int | None = None


class EksCluster(Frozen):
    name: str
    arn: str
    status: str
    version: str | None = None
    endpoint: str | None = None
    nodegroups: list[NodeGroup] = Field(default_factory=list)


class CostAnomaly(Frozen):
    id: str
    start: str
    end: str | None = None
    total_impact: float
    max_impact: float
    score: float | None = None
    service: str | None = None
    region: str | None = None
    monitor_arn: str | None = None


class RestApi(Frozen):
    id: str
    name: str


class ApiMetrics(Frozen):
    count: float = 0.0
    errors_5xx: float = 0.0
    latency_avg: float | None = None
    latency_max: float | None = None


class LogSample(Frozen):
    """The messages of one log group over a window (bounded), for pattern counting in checks."""

    group: str
    kind: str  # eks | lambda | vpc-flow | other
    messages: list[str] = Field(default_factory=list)
    truncated: bool = False
