"""Planners of the guide's RDS backup and restore (Backup & Restore / Backup Operations, Restore Operations).
Read-only: they read the instance or the snapshot and write one step; `opsbook apply` performs it.

`backup-rds` (`aws rds create-db-snapshot --db-snapshot-identifier my-database-$(date +%Y%m%d-%H%M%S)`):
the name is fixed when the plan is made (UTC), so it is part of what was approved, and a re-run or a
resumed apply finds the same snapshot instead of taking a second one. Apply refuses (skips, as changed) a
name more than NAME_AGE_H hours older than the apply: the name would lie about when the snapshot was taken.

`restore-rds` (`aws rds restore-db-instance-from-db-snapshot`): always into a new identifier, in the source
instance's subnet group, parameter group and security groups (read from the instance when it still exists,
else from the tags `backup-rds` put on the snapshot) unless given; shows the snapshot's age and size and the
new instance's monthly list price.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ConfigDict, Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.engine.restore_placement import SNAPSHOT_ID, age, locate_snapshot, snapshots_of, target_placement
from opsbook.engine.scale_rds import (
    DB_CLASS,
    DB_ID,
    Found,
    check_name,
    locate,
    monthly,
    offer,
    one_step,
    poll_interval,
    resource,
    wait_timeout,
    where,
)
from opsbook.procedures.plan import Plan, PlanItem, Wait
from opsbook.procedures.rds_backup import placement
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

BACKUP = "Backup & Restore / Backup Operations"
RESTORE = "Backup & Restore / Restore Operations"
NAME_AGE_H = 24  # a snapshot named at plan time is taken at most this much later
BACKUP_GATE = ("rds.instance_not_available", "rds.snapshot_missing")
RESTORE_GATE = ("rds.instance_not_available",)


class BackupRdsParams(ProcedureParams):
    db: str = Field(description="The DB instance to snapshot (e.g. my-database).")
    wait_timeout: int = wait_timeout()
    poll_interval: float = poll_interval()


class RestoreRdsParams(ProcedureParams):
    model_config = ConfigDict(populate_by_name=True)  # `--as` and `--class` are fields with other names

    snapshot: str = Field(description="The DB snapshot to restore.")
    new_id: str = Field(alias="as", description="The new DB instance identifier (never an existing one).")
    db_subnet_group: str | None = Field(None, description="Subnet group (default: the source instance's).")
    parameter_group: str | None = Field(None, description="Parameter group (default: the source instance's).")
    security_group: list[str] = Field(
        default_factory=list, description="VPC security group ids (default: the source instance's)."
    )
    instance_class: str | None = Field(None, alias="class", description="Class (default: the snapshot's).")
    wait_timeout: int = wait_timeout()
    poll_interval: float = poll_interval()


@procedure(
    "backup-rds",
    title="Take a manual RDS snapshot named <db>-YYYYMMDD-HHMMSS, tagged with the plan, wait until available",
    section=BACKUP,
    kinds=("rds-snapshot",),
    params=BackupRdsParams,
    permissions=("rds:DescribeDBInstances", "rds:DescribeDBSnapshots"),  # locate, its snapshots, the wait
    reads=BACKUP_GATE,
    examples=("opsbook plan backup-rds --db my-database --account prod -o backup.json",),
    targets=("account", "region"),  # no cluster to narrow
)
def plan_backup_rds(cfg: Config, params: BackupRdsParams, request: PlanRequest) -> Plan:
    name = "backup-rds"
    check_name(name, "--db", params.db, DB_ID, "an RDS instance identifier")
    found = locate(cfg, request, params.db, name)
    now = datetime.now(UTC).replace(microsecond=0)
    item = snapshot_item(found, now, params.wait_timeout, params.poll_interval, name)
    return one_step(name, item, found, params, request, now=now)


def snapshot_item(found: Found, now: datetime, wait_timeout: int, poll_interval: float, procedure: str,
                  item_id: str = "001") -> PlanItem:  # fmt: skip
    """The step that snapshots `found.db` as `<db>-YYYYMMDD-HHMMSS` (`now`, UTC); InputError when the
    instance is not available. Shared by `backup-rds` and `backup-all`."""
    db = found.db
    ident = db["DBInstanceIdentifier"]
    if db["DBInstanceStatus"] != "available":
        raise InputError(
            f"opsbook plan {procedure}: {ident} is {db['DBInstanceStatus']}: a snapshot needs it available"
        )
    snapshot = f"{ident}-{now:%Y%m%d-%H%M%S}"
    taken = sorted(s["SnapshotCreateTime"] for s in snapshots_of(found, ident) if s.get("SnapshotCreateTime"))
    newest = f"newest snapshot {age(now, taken[-1])} old" if taken else "no snapshot yet"
    size = f"{db.get('AllocatedStorage', '?')} GiB {db['Engine']}"
    return PlanItem(
        id=item_id,
        kind="rds-snapshot",
        action="create-db-snapshot",
        **where(found),
        resource=resource(ident, db.get("DBInstanceArn")),
        reason=f"snapshot {snapshot} of {ident} ({size}; {newest})",
        evidence={
            "snapshot": snapshot,
            "allocated_storage_gib": db.get("AllocatedStorage"),
            "engine": db["Engine"],
            "snapshots": len(taken),
            "placement": placement(db),
        },
        params={
            "db": ident,
            "snapshot": snapshot,
            "planned_at": now.isoformat(),
            "max_name_age_h": NAME_AGE_H,
        },
        wait=Wait(
            condition="rds-snapshot-available",
            params={"snapshot": snapshot},
            timeout_s=wait_timeout,
            interval_s=poll_interval,
        ),
        gate=list(BACKUP_GATE),
    )


@procedure(
    "restore-rds",
    title="Restore an RDS snapshot into a new instance where the source ran, wait until it is available",
    section=RESTORE,
    kinds=("rds-restore",),
    params=RestoreRdsParams,
    permissions=(
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBSubnetGroups",
        "rds:DescribeDBParameterGroups",
        "ec2:DescribeSecurityGroups",
    ),  # the snapshot, where its source ran, the wait
    reads=RESTORE_GATE,
    examples=(
        "opsbook plan restore-rds --snapshot my-database-20250101 --as my-database-restored -o restore.json",
    ),
    targets=("account", "region"),  # no cluster to narrow
)
def plan_restore_rds(cfg: Config, params: RestoreRdsParams, request: PlanRequest) -> Plan:
    name = "restore-rds"
    check_name(name, "--snapshot", params.snapshot, SNAPSHOT_ID, "a DB snapshot identifier")
    check_name(name, "--as", params.new_id, DB_ID, "a new RDS instance identifier (letters, digits, hyphens)")
    if params.instance_class is not None:
        check_name(name, "--class", params.instance_class, DB_CLASS, "a DB instance class like db.r5.large")
    found, instances = locate_snapshot(cfg, request, params.snapshot, name)
    snap, at = found.db, f"{found.account.name}/{found.region}"
    if params.instance_class is not None:  # found.db is the snapshot: its engine and version
        offer(found, params.instance_class, name)
    if params.new_id in found.names:
        raise InputError(
            f"opsbook plan {name}: {params.new_id} already exists in {at}: a restore always goes "
            "into a new identifier (pick another --as)"
        )
    if snap["Status"] != "available":
        raise InputError(
            f"opsbook plan {name}: snapshot {params.snapshot} is {snap['Status']}, not available"
        )
    source_id = snap.get("DBInstanceIdentifier", "")
    source = next((d for d in instances if d["DBInstanceIdentifier"] == source_id), None)
    planned, origin, warnings = target_placement(cfg, found, params, source, name)
    cls = params.instance_class or (source or {}).get("DBInstanceClass")
    price, price_source = monthly(found, cls, False) if cls else (None, "")
    now = datetime.now(UTC)
    taken = snap.get("SnapshotCreateTime")
    cost = (
        f"{cls} ~${price:,.2f}/month ({price_source})"
        if price
        else f"cost unknown ({price_source or 'class unknown'})"
    )
    groups = " ".join(planned["security_groups"]) or "the VPC's default"
    when = f"taken {age(now, taken)} ago" if taken else "taken at an unknown time"
    about = (
        f"{when}, {snap.get('AllocatedStorage', '?')} GiB {snap['Engine']} {snap.get('EngineVersion', '')}"
    )
    into = (
        f"subnet group {planned['subnet_group']}, parameter group "
        f"{planned['parameter_group'] or 'the engine default'}, security groups {groups}"
    )
    item = PlanItem(
        id="001",
        kind="rds-restore",
        action="restore-db-instance-from-db-snapshot",
        **where(found),
        resource=resource(params.new_id),
        reason=f"restore {params.snapshot} ({about}) as new instance {params.new_id}: {into} ({origin}); {cost}",
        evidence={
            "snapshot_age_days": round((now - taken).total_seconds() / 86400, 1) if taken else None,
            "allocated_storage_gib": snap.get("AllocatedStorage"),
            "engine": snap["Engine"],
            "source": source_id,
            "source_exists": source is not None,
            "placement_from": origin,
            "class": cls,
            "cost_delta_usd_month": price,
            "price_source": price_source,
        },
        saving_usd_month=0.0 - price if price is not None else 0.0,
        params={
            "snapshot": params.snapshot,
            "name": params.new_id,
            **planned,
            "class": params.instance_class,
        },
        wait=Wait(
            condition="rds-restored",
            params={"name": params.new_id, **planned},
            timeout_s=params.wait_timeout,
            interval_s=params.poll_interval,
        ),
        gate=list(RESTORE_GATE),
    )
    return one_step(name, item, found, params, request, warnings)
