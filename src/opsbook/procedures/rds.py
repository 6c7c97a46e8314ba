"""RDS item kinds (guide: Scaling Procedures / Scale RDS Database):

- `rds-instance-class`: `aws rds modify-db-instance --db-instance-class C [--apply-immediately]`; undo
  modifies back to the class it found and waits for it.
- `rds-read-replica`: `aws rds create-db-instance-read-replica`, tagged with the plan's hash; undo deletes
  the replica (no final snapshot) and waits until it is gone, and only a replica this plan created.
- wait `rds-class-applied`: `available` with the new class (ApplyImmediately), or the class waiting in
  PendingModifiedValues for the maintenance window.
- wait `rds-replica-replicating`: the replica is `available` and its StatusInfos say `replicating`.

Item params: `db` and `class`, `from`, `apply_immediately` (class); `source`, `name`, `class` (replica).
"""

from __future__ import annotations

import time
from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WAITS, poll, wait_condition

PLAN_TAG = "opsbook:plan"  # on what a plan creates: its plan hash


def describe(clients: Clients, ident: str) -> dict[str, Any] | None:
    """The DB instance, or None when there is none by that name."""
    rds = clients("rds")
    try:
        found: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    except rds.exceptions.DBInstanceNotFoundFault:
        return None
    return found


def tags(db: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in db.get("TagList") or []}


def pending_class(db: dict[str, Any]) -> str | None:
    return (db.get("PendingModifiedValues") or {}).get("DBInstanceClass")


def wait_for(item: PlanItem, clients: Clients, condition: str, params: dict[str, Any]) -> str:
    """Wait (as the item's own wait would, with its timeout) for `condition` with `params`: what an undo
    uses, since rollback has no wait of its own. Raises TimeoutError with the last progress."""
    assert item.wait is not None
    step = item.model_copy(
        update={"wait": item.wait.model_copy(update={"condition": condition, "params": params})}
    )
    done = poll(WAITS.get(condition), step, clients, deadline=time.time() + item.wait.timeout_s,
                interval=item.wait.interval_s)  # fmt: skip
    if not done.ok:
        raise TimeoutError(f"{condition} not reached in {item.wait.timeout_s:.0f} s: {done.progress}")
    return done.progress


# -- modify-db-instance --db-instance-class ----------------------------------------------------------------


def recheck_class(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    db = describe(clients, p["db"])
    if db is None:
        return Live("changed", f"{p['db']} no longer exists")
    now, status, pending = db["DBInstanceClass"], db["DBInstanceStatus"], pending_class(db)
    if now == p["class"] or pending == p["class"]:
        what = f"{p['db']} is {now}" + (f", {pending} pending ({status})" if pending else f" ({status})")
        return Live("done", what, tags(db))
    if now != p["from"]:
        return Live("changed", f"{p['db']} is {now} now, the plan saw {p['from']}", tags(db))
    if status != "available" or pending:
        extra = f", {pending} pending" if pending else ""
        return Live("changed", f"{p['db']} is {status}{extra}: a class change needs it available", tags(db))
    return Live("eligible", f"{p['db']} {now} -> {p['class']}", tags(db))


def _modify(clients: Clients, ident: str, cls: str, immediately: bool) -> None:
    clients("rds").modify_db_instance(
        DBInstanceIdentifier=ident, DBInstanceClass=cls, ApplyImmediately=immediately
    )


def modify_class(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    db = describe(clients, p["db"])
    was = db["DBInstanceClass"] if db else p["from"]
    _modify(clients, p["db"], p["class"], bool(p["apply_immediately"]))
    return {"was": was, "class": p["class"], "apply_immediately": bool(p["apply_immediately"])}


def restore_class(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """Back to the class the act found: wait out a modification still running, modify back (the same
    way: at once, or replacing the pending change), then wait until that holds."""
    p = item.params
    was = str(detail.get("was", p["from"]))  # killed before journaling: what the plan saw
    immediately = bool(p["apply_immediately"])
    settled = {"db": p["db"], "class": p["class"], "pending": False}
    db = describe(clients, p["db"])
    if db is not None and db["DBInstanceStatus"] == "modifying":
        wait_for(item, clients, "rds-class-applied", settled)
        db = describe(clients, p["db"])
    if db is None or db["DBInstanceClass"] != was or pending_class(db):
        _modify(clients, p["db"], was, immediately)
    progress = wait_for(
        item, clients, "rds-class-applied", {**settled, "class": was, "pending": not immediately}
    )
    return {"class": was, "progress": progress}


item_kind(
    "rds-instance-class",
    action="modify-db-instance-class",
    permissions=("rds:DescribeDBInstances", "rds:ModifyDBInstance"),
    recheck=recheck_class,
    act=modify_class,
    undo=restore_class,
)


def class_applied(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    db = describe(clients, params["db"])
    if db is None:
        return False, f"{params['db']} not found"
    now, status, pending = db["DBInstanceClass"], db["DBInstanceStatus"], pending_class(db)
    progress = f"{status}, class {now}" + (f" ({pending} pending)" if pending else "")
    if params.get("pending"):  # at the maintenance window: the change is recorded, or nothing is pending
        want = params["class"]
        return pending == want or (now == want and not pending), progress
    return status == "available" and now == params["class"] and not pending, progress


wait_condition(
    "rds-class-applied",
    class_applied,
    description="`aws rds describe-db-instances`: available with the new class (or it is pending)",
)


# -- create-db-instance-read-replica -----------------------------------------------------------------------


def recheck_replica(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    replica = describe(clients, p["name"])
    if replica is not None:
        if replica.get("ReadReplicaSourceDBInstanceIdentifier") == p["source"]:
            return Live(
                "done", f"{p['name']} replicates {p['source']} ({replica['DBInstanceStatus']})", tags(replica)
            )
        return Live("changed", f"{p['name']} exists and is not a replica of {p['source']}", tags(replica))
    source = describe(clients, p["source"])
    if source is None:
        return Live("changed", f"source {p['source']} no longer exists")
    if source["DBInstanceStatus"] != "available":
        return Live("changed", f"source {p['source']} is {source['DBInstanceStatus']}", tags(source))
    if not source.get("BackupRetentionPeriod"):
        return Live("changed", f"source {p['source']} has automated backups off", tags(source))
    return Live("eligible", f"{p['source']} is available with backups on", tags(source))


def create_replica(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    extra = {"DBInstanceClass": p["class"]} if p.get("class") else {}
    made = clients("rds").create_db_instance_read_replica(
        DBInstanceIdentifier=p["name"],
        SourceDBInstanceIdentifier=p["source"],
        Tags=[{"Key": PLAN_TAG, "Value": clients.plan_hash}],
        **extra,
    )["DBInstance"]
    return {"replica": made["DBInstanceIdentifier"], "arn": made.get("DBInstanceArn")}


def delete_created(item: PlanItem, clients: Clients, ident: str) -> dict[str, Any]:
    """Undo of a step that created DB instance `ident`: delete it (no final snapshot: it is a copy) and wait
    until it is gone; only an instance carrying this plan's tag (anyone else's is left alone). One still
    `creating` is first waited for (the step's own wait), as RDS deletes only a created instance."""
    made = describe(clients, ident)
    if made is None:
        return {"deleted": False, "reason": f"{ident} is already gone"}
    if tags(made).get(PLAN_TAG) != clients.plan_hash:
        raise RuntimeError(f"{ident} was not created by this plan (no {PLAN_TAG} tag of it): left alone")
    if made["DBInstanceStatus"] != "deleting":
        if made["DBInstanceStatus"] == "creating" and item.wait is not None:
            wait_for(item, clients, item.wait.condition, dict(item.wait.params))
        clients("rds").delete_db_instance(
            DBInstanceIdentifier=ident, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )
    wait_for(item, clients, "rds-instance-gone", {"db": ident})
    return {"deleted": True, "db": ident}


def delete_replica(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    return delete_created(item, clients, item.params["name"]) | {"replica": item.params["name"]}


item_kind(
    "rds-read-replica",
    action="create-db-instance-read-replica",
    permissions=(
        "rds:DescribeDBInstances",
        "rds:CreateDBInstanceReadReplica",
        "rds:AddTagsToResource",
        "rds:DeleteDBInstance",
    ),
    recheck=recheck_replica,
    act=create_replica,
    undo=delete_replica,
)


def replicating(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    db = describe(clients, params["name"])
    if db is None:
        return False, f"{params['name']} not found yet"
    infos = [i for i in db.get("StatusInfos") or [] if i.get("StatusType") == "read replication"]
    state = infos[0].get("Status", "?") if infos else "not reported"
    ok = db["DBInstanceStatus"] == "available" and state == "replicating"
    return ok, f"{db['DBInstanceStatus']}, replication {state}"


def gone(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    db = describe(clients, params["db"])
    return db is None, "deleted" if db is None else db["DBInstanceStatus"]


wait_condition(
    "rds-replica-replicating",
    replicating,
    description="`aws rds describe-db-instances`: the replica is available and replicating",
)
wait_condition("rds-instance-gone", gone, description="the DB instance no longer exists")
