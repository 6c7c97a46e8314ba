"""Typed, frozen inventory of the weekly performance/cost reviews and the monthly capacity plan."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from opsbook.core.models import Compact as Frozen  # frozen, compact (see Compact)


class ServiceCost(Frozen):
    """One service's cost over the last 7 days (by day) and over the 7 days before."""

    service: str
    daily: dict[str, float] = Field(default_factory=dict)  # YYYY-MM-DD -> unblended cost
    blended: float = 0.0
    unblended: float = 0.0
    previous_unblended: float = 0.0


class WeeklyCost(Frozen):
    start: str  # first day of the last 7 days
    end: str  # exclusive
    previous_start: str
    unit: str = "USD"
    services: list[ServiceCost] = Field(default_factory=list)


class ReservationUtilization(Frozen):
    """GetReservationUtilization's total over the window; `has_reservations` False when there are none."""

    has_reservations: bool = True
    utilization_percent: float | None = None
    purchased_hours: float = 0.0
    used_hours: float = 0.0
    unused_hours: float = 0.0
    net_savings: float | None = None
    start: str = ""
    end: str = ""


class CostOutlook(Frozen):
    """This month so far, last month, and the forecast for next month (BLENDED_COST, the account's unit)."""

    this_month_start: str
    month_to_date: float
    last_month: float
    forecast_next_month: float | None = None
    forecast_low: float | None = None
    forecast_high: float | None = None
    unit: str = "USD"


class Ec2Instance(Frozen):
    id: str
    type: str
    state: str
    name: str | None = None
    launched_at: datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    lifecycle: str | None = None  # InstanceLifecycle: spot, scheduled, capacity-block; None: on-demand


class Utilisation(Frozen):
    """A resource's 7-day averages (daily datapoints) for the underutilisation review."""

    cpu_avg: float | None = None
    cpu_max: float | None = None
    connections_max: float | None = None
    datapoints: int = 0


class ApiLatency(Frozen):
    """API Gateway latency over 7 days, period one day: averages/maxima and p50/p95 of the daily values."""

    average: float | None = None
    maximum: float | None = None
    p50: float | None = None
    p95: float | None = None
    daily_average: list[float] = Field(default_factory=list)
    days: int = 0


class SlowStatement(Frozen):
    """One normalised statement of a slow-query log, with its counts and times in milliseconds."""

    statement: str
    count: int
    total_ms: float
    max_ms: float
    example: str = ""


class SlowLog(Frozen):
    """An RDS instance's slow-query log summary over the downloaded files."""

    engine: str
    files: list[str] = Field(default_factory=list)
    entries: int = 0
    statements: list[SlowStatement] = Field(default_factory=list)  # top by total time
    truncated: bool = False
    log_enabled: bool = True


class DbStorage(Frozen):
    allocated_gb: int
    max_allocated_gb: int | None = None
    free_bytes: float | None = None  # FreeStorageSpace, the lowest over the last day


class BucketGrowth(Frozen):
    """BucketSizeBytes (StandardStorage, daily) now and about a month ago."""

    current_bytes: float | None = None
    month_ago_bytes: float | None = None
    datapoints: int = 0
