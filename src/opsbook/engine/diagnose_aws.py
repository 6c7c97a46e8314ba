"""The AWS half of `opsbook diagnose`, per account/region: CloudWatch alarms in ALARM, RDS instances'
status and CPUUtilization over the last hour (the collectors of `opsbook run daily`, judged by
rds.cpu_high's threshold), and CloudTrail write events (LookupEvents, ReadOnly=false) since `--since`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.collect.aws.drift_live import lookup_write_events
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import Alarm, DbInstance, MetricSummary
from opsbook.core.config import Config, check_settings
from opsbook.core.models import Target
from opsbook.engine.diagnose_bundle import Bundle, table
from opsbook.engine.inventory import Inventory
from opsbook.engine.k8s_views import get

MAX_TRAIL_EVENTS = 500


def collect_account(b: Bundle, cfg: Config, runner: Any, target: Target, since: timedelta,
                    now: datetime) -> None:  # fmt: skip
    t = target.key
    client = b.attempt(t, "connect to the account", lambda: runner.prepare(target))
    if client is None:
        return
    inv = Inventory(target, cfg, now, client)
    alarms: list[Alarm] | None = b.attempt(
        t, "cloudwatch:DescribeAlarms", lambda: get(inv, "cloudwatch.alarms")
    )
    if alarms is not None:
        firing = [{"alarm": a.name, "state": a.state, "metric": f"{a.namespace}/{a.metric}", "since": a.updated_at,
                   "reason": a.reason} for a in alarms if a.state == "ALARM"]  # fmt: skip
        for a in firing:
            b.headline(
                t, f"alarm {a['alarm']} ALARM ({a['reason']})" if a["reason"] else f"alarm {a['alarm']} ALARM"
            )
        b.add(t, "alarms", "CloudWatch alarms in ALARM", firing,
              table(firing, ["alarm", "metric", "since", "reason"]) if firing else "no alarm in ALARM")  # fmt: skip
    dbs: list[DbInstance] | None = b.attempt(t, "rds:DescribeDBInstances", lambda: get(inv, RDS_INSTANCES))
    if dbs is not None:
        cpu = (
            b.attempt(t, "RDS CPUUtilization (cloudwatch:GetMetricData)", lambda: get(inv, "rds.cpu_1h"))
            or {}
        )
        rds(b, cfg, t, dbs, cpu)
    events = b.attempt(
        t, "cloudtrail:LookupEvents", lambda: lookup_write_events(inv.client("cloudtrail"), now - since, now,
                                                                  MAX_TRAIL_EVENTS)
    )  # fmt: skip
    if events is not None:
        rows = [{"time": e.time, "event": e.name, "user": e.user, "resources": ", ".join(e.resources)}
                for e in events]  # fmt: skip
        b.add(t, "cloudtrail", f"CloudTrail write events since {now - since:%Y-%m-%d %H:%M} UTC", rows,
              table(rows, ["time", "event", "user", "resources"]) if rows else "no write events")  # fmt: skip


def rds(b: Bundle, cfg: Config, t: str, dbs: list[DbInstance], cpu: dict[str, MetricSummary]) -> None:
    from opsbook.checks.aws.rds_cpu import Settings

    rule, _ = check_settings(cfg, "rds.cpu_high", Settings)
    limit = getattr(rule, "cpu_percent", 80.0)
    rows = []
    for db in dbs:
        m = cpu.get(db.id)
        avg = round(m.average, 1) if m and m.average is not None else None
        rows.append({"db": db.id, "status": db.status, "class": db.instance_class, "engine": db.engine,
                     "multi_az": db.multi_az, "cpu_avg_1h": avg,
                     "cpu_max_1h": round(m.maximum, 1) if m and m.maximum is not None else None})  # fmt: skip
        if db.status != "available":
            b.headline(t, f"RDS {db.id} {db.status}")
        if avg is not None and avg > limit:
            b.headline(t, f"RDS {db.id} CPU {avg:g}% (average over the last hour, > {limit:g}%)")
    b.add(t, "rds", "RDS instances: status and CPUUtilization over the last hour", rows,
          table(rows, ["db", "status", "class", "engine", "multi_az", "cpu_avg_1h", "cpu_max_1h"]) if rows
          else "no RDS instances")  # fmt: skip
