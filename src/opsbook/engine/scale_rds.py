"""Planners of the guide's database scaling (Scaling Procedures / Scale RDS Database). Read-only: they read
the instance and what RDS offers, price the change, and write one step; `opsbook apply` performs it.

`scale-rds` (`aws rds modify-db-instance --db-instance-class C --apply-immediately`, then polling
`describe-db-instances`): shows current -> proposed class, the downtime the change implies (Multi-AZ: a
failover; single-AZ: the instance is down while it is modified) and the monthly list-price delta. Refuses
an unknown instance (naming those that exist), a class RDS does not offer for the engine and version, the
class it already has, an instance that is not `available` or has a class change pending, and a protected
account. `--at-maintenance-window` leaves the change pending for the instance's maintenance window.

`rds-read-replica` (`aws rds create-db-instance-read-replica`): refuses a name in use, a source that is not
`available` or keeps no automated backups (RDS needs them for a replica source), a class not offered; the
cost is the replica's monthly list price.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from opsbook.checks.aws import pricing
from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Resource
from opsbook.engine.failures import as_target_error
from opsbook.engine.targets import aws_targets
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

DB_ID = re.compile(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)")  # an RDS DB instance identifier
DB_CLASS = re.compile(r"db\.[a-z0-9]+\.[a-z0-9]+")
GATE = ("rds.instance_not_available", "rds.cpu_high")
REPLICA_GATE = ("rds.instance_not_available",)
SECTION = "Scaling Procedures / Scale RDS Database"


def wait_timeout() -> Any:
    return Field(3600, ge=10, le=86400, description="Seconds to wait for RDS to finish.")


def poll_interval() -> Any:
    return Field(15, ge=0.1, le=600, description="Seconds between reads while waiting.")


class ScaleRdsParams(ProcedureParams):
    model_config = ConfigDict(populate_by_name=True)  # `--class` is the field `instance_class`

    db: str = Field(description="The DB instance identifier (e.g. my-database).")
    instance_class: str = Field(alias="class", description="The DB instance class to move to.")
    at_maintenance_window: bool = Field(
        False, description="Apply in the instance's maintenance window instead of at once."
    )
    wait_timeout: int = wait_timeout()
    poll_interval: float = poll_interval()


class ReadReplicaParams(ProcedureParams):
    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(description="The DB instance to replicate.")
    name: str = Field(description="The new replica's DB instance identifier.")
    instance_class: str | None = Field(None, alias="class", description="Its class (default: the source's).")
    wait_timeout: int = wait_timeout()
    poll_interval: float = poll_interval()


@dataclass(frozen=True)
class Found:
    account: Account
    region: str
    db: dict[str, Any]
    rds: Any  # the boto3 RDS client of that account and region
    names: tuple[str, ...]  # every DB instance there


def check_name(procedure: str, flag: str, value: str, pattern: re.Pattern[str], expected: str) -> None:
    if not pattern.fullmatch(value):
        raise InputError(f"opsbook plan {procedure}: {flag} {value!r}: expected {expected}")


def scan(
    cfg: Config,
    request: PlanRequest,
    action: str,
    read: Callable[[Any], list[dict[str, Any]]],
    service: str = "rds",
) -> list[tuple[Account, str, Any, list[dict[str, Any]]]]:
    """(account, region, its `service` client, what `read(client)` returned) for every chosen target; an
    account that cannot be read is its target error (exit 3), `action` naming the IAM action."""
    from opsbook.providers.aws.session import SessionFactory

    targets = aws_targets(cfg, list(request.accounts) or None, list(request.regions) or None)
    sessions = SessionFactory(cfg)
    out = []
    for t in targets:
        account = cfg.account(t.account or "")
        region = t.region or ""
        try:
            rds = sessions.client(account, region, service, t.key)
            out.append((account, region, rds, read(rds)))
        except Exception as exc:  # noqa: BLE001 - an account that cannot be read: its target error, exit 3
            raise as_target_error(exc, where=t.key, action=action) from None
    return out


def pages(rds: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [x for page in rds.get_paginator(operation).paginate(**kwargs) for x in page.get(key, [])]


def the_one(hits: list[Found], what: str, procedure: str) -> Found:
    """The one hit of `what`; InputError when several accounts/regions have it or its account is protected."""
    if len(hits) > 1:
        at = ", ".join(f"{h.account.name}/{h.region}" for h in hits)
        raise InputError(f"opsbook plan {procedure}: {what} exists in {at}: name one with --account/--region")
    found = hits[0]
    if found.account.protected:
        raise InputError(
            f"opsbook plan {procedure}: account {found.account.name} is protected (protected: true): "
            "opsbook changes nothing there"
        )
    return found


def locate(cfg: Config, request: PlanRequest, ident: str, procedure: str) -> Found:
    """The one (account, region) of the chosen ones where DB instance `ident` exists; NotFound listing what
    exists, InputError when several have it or its account is protected, a target error (exit 3) when an
    account cannot be read."""
    read = lambda rds: pages(rds, "describe_db_instances", "DBInstances")  # noqa: E731
    hits: list[Found] = []
    have: list[str] = []
    for account, region, rds, dbs in scan(cfg, request, "rds:DescribeDBInstances", read):
        names = tuple(d["DBInstanceIdentifier"] for d in dbs)
        have += [f"{account.name}/{region} {n}" for n in names]
        hits += [Found(account, region, d, rds, names) for d in dbs if d["DBInstanceIdentifier"] == ident]
    if not hits:
        raise NotFound(
            f"opsbook plan {procedure}: no DB instance {ident!r} (have: {', '.join(have) or 'none'})"
        )
    return the_one(hits, ident, procedure)


def offer(found: Found, cls: str, procedure: str, *, multi_az: bool = False, replica: bool = False) -> None:
    """Refuse a class RDS does not offer for the instance's engine and version (in a Multi-AZ deployment,
    or for a read replica, when that is what is asked)."""
    db = found.db
    engine, version = db["Engine"], db["EngineVersion"]
    try:
        options = found.rds.describe_orderable_db_instance_options(
            Engine=engine, EngineVersion=version, DBInstanceClass=cls
        )["OrderableDBInstanceOptions"]
    except Exception as exc:  # noqa: BLE001 - see locate()
        where = f"aws:{found.account.name}/{found.region}"
        raise as_target_error(exc, where=where, action="rds:DescribeOrderableDBInstanceOptions") from None
    if multi_az:
        options = [o for o in options if o.get("MultiAZCapable")]
    if replica:
        options = [o for o in options if o.get("ReadReplicaCapable")]
    if not options:
        how = " Multi-AZ" if multi_az else " for a read replica" if replica else ""
        raise InputError(
            f"opsbook plan {procedure}: {cls} is not offered{how} for {engine} {version} in {found.region} "
            f"(see `aws rds describe-orderable-db-instance-options --engine {engine} --engine-version {version}`)"
        )


def monthly(found: Found, cls: str, multi_az: bool) -> tuple[float | None, str]:
    return pricing.rds_instance_month(found.region, found.db["Engine"], cls, multi_az=multi_az)


def downtime(db: dict[str, Any], at_window: bool) -> str:
    when = (
        f"in the maintenance window ({db.get('PreferredMaintenanceWindow', '?')})" if at_window else "at once"
    )
    if db.get("MultiAZ"):
        return (
            f"applied {when}; Multi-AZ: the standby is changed, then RDS fails over to it (~60-120 s outage)"
        )
    return f"applied {when}; single-AZ: the instance is unavailable while it is modified (minutes)"


def resource(ident: str, arn: str | None = None) -> Resource:
    return Resource(id=ident, type="AWS::RDS::DBInstance", arn=arn, name=ident)


def where(found: Found) -> dict[str, Any]:
    return {"account": found.account.name, "account_id": found.account.id, "region": found.region}


def one_step(name: str, item: PlanItem, found: Found, params: ProcedureParams, request: PlanRequest,
             warnings: list[str] | None = None, now: datetime | None = None) -> Plan:  # fmt: skip
    return new_plan(name, [item], now=now, ttl=request.ttl, ordered=True, accounts=[found.account.name],
                    regions=[found.region], parameters=params.model_dump(mode="json"),
                    warnings=warnings or [])  # fmt: skip


@procedure(
    "scale-rds",
    title="Change an RDS instance's class, wait until it is available with it, gate on the RDS checks",
    section=SECTION,
    kinds=("rds-instance-class",),
    params=ScaleRdsParams,
    permissions=("rds:DescribeDBInstances", "rds:DescribeOrderableDBInstanceOptions"),
    reads=GATE,
    examples=("opsbook plan scale-rds --db my-database --class db.r5.2xlarge --account dev -o plan.json",),
    targets=("account", "region"),  # no cluster to narrow
)
def plan_scale_rds(cfg: Config, params: ScaleRdsParams, request: PlanRequest) -> Plan:
    name, cls = "scale-rds", params.instance_class
    check_name(name, "--db", params.db, DB_ID, "an RDS instance identifier")
    check_name(name, "--class", cls, DB_CLASS, "a DB instance class like db.r5.2xlarge")
    found = locate(cfg, request, params.db, name)
    db = found.db
    now, status, multi_az = db["DBInstanceClass"], db["DBInstanceStatus"], bool(db.get("MultiAZ"))
    if now == cls:
        raise InputError(f"opsbook plan {name}: {params.db} is already {cls}")
    if status != "available":
        raise InputError(f"opsbook plan {name}: {params.db} is {status}: a class change needs it available")
    pending = (db.get("PendingModifiedValues") or {}).get("DBInstanceClass")
    if pending:
        raise InputError(f"opsbook plan {name}: {params.db} already has a change to {pending} pending")
    offer(found, cls, name, multi_az=multi_az)
    before, source = monthly(found, now, multi_az)
    after, _ = monthly(found, cls, multi_az)
    delta = None if before is None or after is None else round(after - before, 2)
    cost = f"cost {delta:+,.2f} USD/month" if delta is not None else "cost unknown"
    impact = downtime(db, params.at_maintenance_window)
    item = PlanItem(
        id="001",
        kind="rds-instance-class",
        action="modify-db-instance-class",
        **where(found),
        resource=resource(params.db, db.get("DBInstanceArn")),
        reason=f"{params.db} {now} -> {cls}, {impact}; {cost} ({source})",
        evidence={
            "class": now,
            "status": status,
            "engine": db["Engine"],
            "engine_version": db["EngineVersion"],
            "multi_az": multi_az,
            "downtime": impact,
            "usd_month_before": before,
            "usd_month_after": after,
            "cost_delta_usd_month": delta,
            "price_source": source,
        },  # fmt: skip
        saving_usd_month=0.0 - delta if delta is not None else 0.0,
        params={
            "db": params.db,
            "class": cls,
            "from": now,
            "apply_immediately": not params.at_maintenance_window,
        },
        wait=Wait(
            condition="rds-class-applied",
            params={"db": params.db, "class": cls, "pending": params.at_maintenance_window},
            timeout_s=params.wait_timeout,
            interval_s=params.poll_interval,
        ),  # fmt: skip
        gate=list(GATE),
    )
    return one_step(
        name, item, found, params, request, [f"{params.db} ({found.account.name}/{found.region}): {impact}"]
    )


@procedure(
    "rds-read-replica",
    title="Create an RDS read replica, wait until it is available and replicating",
    section=SECTION,
    kinds=("rds-read-replica",),
    params=ReadReplicaParams,
    permissions=("rds:DescribeDBInstances",),
    reads=REPLICA_GATE,
    examples=("opsbook plan rds-read-replica --source my-database --name my-database-replica --account dev",),
    targets=("account", "region"),  # no cluster to narrow
)
def plan_read_replica(cfg: Config, params: ReadReplicaParams, request: PlanRequest) -> Plan:
    name = "rds-read-replica"
    check_name(name, "--source", params.source, DB_ID, "an RDS instance identifier")
    check_name(name, "--name", params.name, DB_ID, "an RDS instance identifier (letters, digits, hyphens)")
    if params.instance_class is not None:
        check_name(name, "--class", params.instance_class, DB_CLASS, "a DB instance class like db.r5.large")
    found = locate(cfg, request, params.source, name)
    db, at = found.db, f"{found.account.name}/{found.region}"
    if params.name in found.names:
        raise InputError(f"opsbook plan {name}: {params.name} already exists in {at}")
    if db["DBInstanceStatus"] != "available":
        raise InputError(
            f"opsbook plan {name}: source {params.source} is {db['DBInstanceStatus']}, not available"
        )
    if not db.get("BackupRetentionPeriod"):
        raise InputError(
            f"opsbook plan {name}: source {params.source} keeps no automated backups (BackupRetentionPeriod 0), "
            "which RDS needs for a replica source: turn them on first"
        )
    cls = params.instance_class or db["DBInstanceClass"]
    offer(found, cls, name, replica=True)
    price, source = monthly(found, cls, False)
    cost = f"cost +{price:,.2f} USD/month" if price is not None else "cost unknown"
    item = PlanItem(
        id="001",
        kind="rds-read-replica",
        action="create-db-instance-read-replica",
        **where(found),
        resource=resource(params.name),
        reason=f"read replica {params.name} ({cls}, single-AZ) of {params.source}; {cost} ({source})",
        evidence={
            "source_class": db["DBInstanceClass"],
            "engine": db["Engine"],
            "class": cls,
            "backup_retention_period": db.get("BackupRetentionPeriod"),
            "cost_delta_usd_month": price,
            "price_source": source,
        },  # fmt: skip
        saving_usd_month=0.0 - price if price is not None else 0.0,
        params={"source": params.source, "name": params.name, "class": params.instance_class},
        wait=Wait(
            condition="rds-replica-replicating",
            params={"name": params.name, "source": params.source},
            timeout_s=params.wait_timeout,
            interval_s=params.poll_interval,
        ),  # fmt: skip
        gate=list(REPLICA_GATE),
    )
    return one_step(name, item, found, params, request)
