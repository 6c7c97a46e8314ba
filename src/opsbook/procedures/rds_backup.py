"""RDS backup and restore item kinds (guide: Backup & Restore):

- `rds-snapshot`: `aws rds create-db-snapshot`, named at plan time and tagged with the plan's hash, with
  `ManagedBy=opsbook`, and with where the instance runs (SOURCE_TAGS: its subnet group, parameter group,
  security groups), so that a restore after the instance is gone can still put the copy there. Undo
  deletes the snapshot, only one this plan made.
- `rds-restore`: `aws rds restore-db-instance-from-db-snapshot` into a new identifier, in the planned
  subnet group / parameter group / security groups, tagged with the plan's hash. Undo deletes the restored
  instance (no final snapshot: it is a copy), only one this plan made.
- waits `rds-snapshot-available` (the snapshot is `available`) and `rds-restored` (the new instance is
  `available` in the planned subnet group, parameter group and security groups).

Item params: `db`, `snapshot`, `planned_at`, `max_name_age_h` (snapshot); `snapshot`, `name`,
`subnet_group`, `parameter_group`, `security_groups`, `class` (restore).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.rds import PLAN_TAG, delete_created, describe, tags, wait_for
from opsbook.procedures.steps import wait_condition

MANAGED_BY = {"ManagedBy": "opsbook"}
SOURCE_TAGS = {  # tag -> what it records of the instance a snapshot was taken of
    "opsbook:source-subnet-group": "subnet_group",
    "opsbook:source-parameter-group": "parameter_group",
    "opsbook:source-security-groups": "security_groups",  # space-separated ids
}


def snapshot_of(clients: Callable[[str], Any], ident: str) -> dict[str, Any] | None:
    rds = clients("rds")
    try:
        found: dict[str, Any] = rds.describe_db_snapshots(DBSnapshotIdentifier=ident)["DBSnapshots"][0]
    except rds.exceptions.DBSnapshotNotFoundFault:
        return None
    return found


def placement(db: dict[str, Any]) -> dict[str, Any]:
    """Where an instance runs: its subnet group, parameter group and security group ids."""
    groups = db.get("DBParameterGroups") or []
    return {
        "subnet_group": (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
        "parameter_group": groups[0]["DBParameterGroupName"] if groups else None,
        "security_groups": sorted(g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups") or []),
    }


def tag_list(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in values.items()]


# -- create-db-snapshot ------------------------------------------------------------------------------------


def recheck_snapshot(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    snap = snapshot_of(clients, p["snapshot"])
    if snap is not None:
        if tags(snap).get(PLAN_TAG) == clients.plan_hash:
            return Live("done", f"{p['snapshot']} exists ({snap['Status']})", tags(snap))
        return Live("changed", f"a snapshot named {p['snapshot']} exists and was not made by this plan")
    late = clients.now - datetime.fromisoformat(p["planned_at"])
    if late > timedelta(hours=p["max_name_age_h"]):
        return Live(
            "changed",
            f"the name says {p['planned_at']}, {late.days} d {late.seconds // 3600} h ago: "
            "make a new plan so the snapshot's name says when it was taken",
        )
    db = describe(clients, p["db"])
    if db is None:
        return Live("changed", f"{p['db']} no longer exists")
    if db["DBInstanceStatus"] != "available":
        return Live(
            "changed", f"{p['db']} is {db['DBInstanceStatus']}: a snapshot needs it available", tags(db)
        )
    return Live("eligible", f"{p['db']} is available", tags(db))


def create_snapshot(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    db = describe(clients, p["db"]) or {}
    where = placement(db)
    source = {
        tag: " ".join(where[k]) if k == "security_groups" else where[k] for tag, k in SOURCE_TAGS.items()
    }
    made = clients("rds").create_db_snapshot(
        DBInstanceIdentifier=p["db"],
        DBSnapshotIdentifier=p["snapshot"],
        Tags=tag_list({PLAN_TAG: clients.plan_hash, **MANAGED_BY, **{k: v for k, v in source.items() if v}}),
    )["DBSnapshot"]
    return {"snapshot": made["DBSnapshotIdentifier"], "arn": made.get("DBSnapshotArn")}


def delete_snapshot(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    name = item.params["snapshot"]
    snap = snapshot_of(clients, name)
    if snap is None:
        return {"deleted": False, "reason": f"{name} is already gone"}
    if tags(snap).get(PLAN_TAG) != clients.plan_hash:
        raise RuntimeError(f"{name} was not made by this plan (no {PLAN_TAG} tag of it): left alone")
    if snap["Status"] != "available":  # RDS deletes only an available snapshot
        wait_for(item, clients, "rds-snapshot-available", {"snapshot": name})
    clients("rds").delete_db_snapshot(DBSnapshotIdentifier=name)
    return {"deleted": True, "snapshot": name}


item_kind(
    "rds-snapshot",
    action="create-db-snapshot",
    permissions=(
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
        "rds:CreateDBSnapshot",
        "rds:AddTagsToResource",
        "rds:DeleteDBSnapshot",
    ),
    recheck=recheck_snapshot,
    act=create_snapshot,
    undo=delete_snapshot,
)


def snapshot_available(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    snap = snapshot_of(clients, params["snapshot"])
    if snap is None:
        return False, f"{params['snapshot']} not found yet"
    return snap["Status"] == "available", f"{snap['Status']}, {snap.get('PercentProgress', 0)} %"


wait_condition(
    "rds-snapshot-available",
    snapshot_available,
    description="`aws rds describe-db-snapshots`: the snapshot is available",
)


# -- restore-db-instance-from-db-snapshot ------------------------------------------------------------------


def recheck_restore(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    made = describe(clients, p["name"])
    if made is not None:
        if tags(made).get(PLAN_TAG) == clients.plan_hash:
            return Live(
                "done", f"{p['name']} was restored by this plan ({made['DBInstanceStatus']})", tags(made)
            )
        return Live("changed", f"{p['name']} exists: a restore always goes into a new identifier", tags(made))
    snap = snapshot_of(clients, p["snapshot"])
    if snap is None:
        return Live("changed", f"snapshot {p['snapshot']} no longer exists")
    if snap["Status"] != "available":
        return Live("changed", f"snapshot {p['snapshot']} is {snap['Status']}", tags(snap))
    return Live("eligible", f"{p['name']} is free and {p['snapshot']} is available", tags(snap))


def restore(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    extra: dict[str, Any] = {"DBSubnetGroupName": p["subnet_group"]} if p.get("subnet_group") else {}
    if p.get("parameter_group"):
        extra["DBParameterGroupName"] = p["parameter_group"]
    if p.get("security_groups"):
        extra["VpcSecurityGroupIds"] = list(p["security_groups"])
    if p.get("class"):
        extra["DBInstanceClass"] = p["class"]
    made = clients("rds").restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=p["name"],
        DBSnapshotIdentifier=p["snapshot"],
        Tags=tag_list({PLAN_TAG: clients.plan_hash, **MANAGED_BY, "opsbook:restored-from": p["snapshot"]}),
        **extra,
    )["DBInstance"]
    return {"db": made["DBInstanceIdentifier"], "arn": made.get("DBInstanceArn")}


item_kind(
    "rds-restore",
    action="restore-db-instance-from-db-snapshot",
    permissions=(
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
        "rds:RestoreDBInstanceFromDBSnapshot",
        "rds:AddTagsToResource",
        "rds:DeleteDBInstance",
    ),
    recheck=recheck_restore,
    act=restore,
    undo=lambda item, clients, detail: delete_created(item, clients, item.params["name"]),
)


def restored(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    db = describe(clients, params["name"])
    if db is None:
        return False, f"{params['name']} not found yet"
    now = placement(db)
    wrong = [
        f"{k} {now[k]} (planned {params[k]})"
        for k in ("subnet_group", "parameter_group", "security_groups")
        if params.get(k) and now[k] != params[k]
    ]
    progress = db["DBInstanceStatus"] + (": " + ", ".join(wrong) if wrong else "")
    return db["DBInstanceStatus"] == "available" and not wrong, progress


wait_condition(
    "rds-restored",
    restored,
    description="`aws rds describe-db-instances`: the restored instance is available where it was planned",
)
