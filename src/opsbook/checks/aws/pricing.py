"""Estimated monthly savings from the price table shipped beside this module (prices.json).

The table holds approximate public on-demand list prices per region; its `about` and `as_of` say where
they come from and when. Estimates are rounded to cents and are meant for ranking, not for invoices.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field

FALLBACK_REGION = "us-east-1"
GIB = 1024**3


@cache
def table() -> dict[str, Any]:
    text = resources.files("opsbook.checks.aws").joinpath("prices.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def region_prices(region: str | None) -> tuple[dict[str, Any], str]:
    """The prices of `region` and the region they are really for (us-east-1 when it is not listed)."""
    regions = table()["regions"]
    if region in regions:
        return regions[region], str(region)
    return regions[FALLBACK_REGION], FALLBACK_REGION


def source(region: str | None) -> str:
    _, used = region_prices(region)
    note = "" if used == region else f" (no prices for {region}: {used} used)"
    return f"prices.json {used} list prices as of {table()['as_of']}{note}"


def hours() -> float:
    return float(table()["hours_per_month"])


def ebs_volume_month(region: str | None, volume_type: str, size_gb: int) -> float:
    p, _ = region_prices(region)
    per_gb = p["ebs_gb_month"].get(volume_type, p["ebs_gb_month"]["gp2"])
    return round(per_gb * size_gb, 2)


def snapshot_month(region: str | None, size_gb: int) -> float:
    p, _ = region_prices(region)
    return round(p["ebs_snapshot_gb_month"] * size_gb, 2)


def public_ip_month(region: str | None) -> float:
    p, _ = region_prices(region)
    return round(p["public_ipv4_hour"] * hours(), 2)


def load_balancer_month(region: str | None, lb_type: str) -> float:
    p, _ = region_prices(region)
    return round(p["lb_hour"].get(lb_type, p["lb_hour"]["application"]) * hours(), 2)


def tiering_month(
    region: str | None, size_bytes: float, objects: float | None, cold_fraction: float
) -> float:
    """Standard -> Infrequent Access tier for `cold_fraction` of the data, minus the monitoring fee."""
    p, _ = region_prices(region)
    gb = size_bytes / GIB
    gain = gb * cold_fraction * (p["s3_standard_gb_month"] - p["s3_infrequent_gb_month"])
    fee = (objects or 0) / 1000 * p["s3_monitoring_per_1000_objects"]
    return round(max(gain - fee, 0.0), 2)


def age_days(now: datetime, then: datetime | None) -> int | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=now.tzinfo)
    return max((now - then).days, 0)


def is_kept(tags: dict[str, str], keep_tag: str) -> bool:
    """`key=value` matches that exact tag; a bare `key` matches any value of it."""
    if not keep_tag:
        return False
    key, sep, value = keep_tag.partition("=")
    if key not in tags:
        return False
    return not sep or tags[key].strip().lower() == value.strip().lower()


class KeepSettings(BaseModel):
    keep_tag: str = Field(
        "opsbook:keep=true",
        description="resources with this tag (key=value, or a bare key) are kept on purpose and pass; "
        "`opsbook cleanup plan` sets it to the config's protect_tag",
    )


def rds_instance_month(
    region: str | None, engine: str, instance_class: str, *, multi_az: bool
) -> tuple[float | None, str]:
    """The list price of an RDS DB instance for a month (Multi-AZ doubles it) and where it comes from;
    None when prices.json has no price for the engine or class."""
    rds = table()["rds_instance_hour"]
    used = region if region in rds["regions"] else FALLBACK_REGION
    family = rds["engine_family"].get(engine)
    hourly = rds["regions"][used].get(family or "", {}).get(instance_class)
    fallback = "" if used == region else f" (no prices for {region}: {used} used)"
    where = f"prices.json rds_instance_hour {used} {family or engine} as of {table()['as_of']}{fallback}"
    if hourly is None:
        return None, f"no list price for {engine} {instance_class} in {where}"
    factor = rds["multi_az_factor"] if multi_az else 1
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    return round(hourly * factor * hours(), 2), f"{where}, {deployment}"


def ec2_instance_hour(region: str | None, instance_type: str) -> tuple[float | None, str]:
    """The on-demand list price per hour of `instance_type` in `region` (us-east-1 when the region is not
    listed; None when the type is not) and where it comes from."""
    ec2 = table()["ec2_instance_hour"]
    used = region if region in ec2["regions"] else FALLBACK_REGION
    price = ec2["regions"][used].get(instance_type)
    note = "" if used == region else f" (no prices for {region}: {used} used)"
    where = f"prices.json ec2_instance_hour {used} on-demand list prices as of {ec2['as_of']}{note}"
    return (float(price) if price is not None else None), where
