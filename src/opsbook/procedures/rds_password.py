"""The RDS master password rotation of an instance RDS does not manage the password of (the guide's
`./scripts/rotate-rds-password.sh --database my-database`), as one item kind:

- `rds-master-password`: the rotation function's four steps done by opsbook: a new random password of the
  same shape goes into the configured secret as the plan's version with AWSPENDING (createSecret),
  `aws rds modify-db-instance --master-user-password ... --apply-immediately` (setSecret), then AWSCURRENT
  moves to the new version (finishSecret). The password is read and written in memory only.
- wait `rds-password-applied`: the instance is `available` with no password change pending.
- undo: the instance gets the password of the version the plan started from, and AWSCURRENT moves back.

Item params: `db`, `secret` (ARN), `version`, `from_version`, `field` (the JSON field holding the
password; None: the value is the password).
"""

from __future__ import annotations

from typing import Any

from opsbook.core.secret_shape import field_of
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.rds import describe, tags
from opsbook.procedures.secret_versions import (
    CURRENT,
    finish,
    move_current,
    put_new_version,
    read_value,
    recheck_version,
    stages,
    version_with,
)
from opsbook.procedures.steps import wait_condition


def set_password(clients: Clients, db: str, secret: str, version: str, field: str | None) -> None:
    password = field_of(read_value(clients, secret, version), field)
    clients("rds").modify_db_instance(
        DBInstanceIdentifier=db, MasterUserPassword=password, ApplyImmediately=True
    )


def recheck_password(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    db = describe(clients, p["db"])
    if db is None:
        return Live("changed", f"{p['db']} no longer exists")
    live = recheck_version(item, clients)
    if live.state == "eligible" and db["DBInstanceStatus"] != "available":
        return Live(
            "changed",
            f"{p['db']} is {db['DBInstanceStatus']}: a password change needs it available",
            tags(db),
        )
    return Live(live.state, live.reason, tags(db))


def rotate_password(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    put_new_version(clients, p, [p["field"]] if p.get("field") else ())
    set_password(clients, p["db"], p["secret"], p["version"], p.get("field"))
    finish(clients, p["secret"], p["version"], p["from_version"])
    return {"version": p["version"], "from_version": p["from_version"]}


def restore_password(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """The plan's starting version's password back on the instance, AWSCURRENT back on that version."""
    p = item.params
    if version_with(stages(clients, p["secret"]), CURRENT) == p["version"]:
        set_password(clients, p["db"], p["secret"], p["from_version"], p.get("field"))
        move_current(clients, p["secret"], p["from_version"], p["version"])
    return {"version": p["from_version"], "wait": {"db": p["db"]}}


item_kind(
    "rds-master-password",
    action="rotate-master-password",
    permissions=(
        "rds:DescribeDBInstances",
        "rds:ModifyDBInstance",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ),
    recheck=recheck_password,
    act=rotate_password,
    undo=restore_password,
)


def password_applied(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    db = describe(clients, params["db"])
    if db is None:
        return False, f"{params['db']} not found"
    pending = "MasterUserPassword" in (db.get("PendingModifiedValues") or {})
    status = db["DBInstanceStatus"]
    return status == "available" and not pending, status + (", password change pending" if pending else "")


wait_condition(
    "rds-password-applied",
    password_applied,
    description="`aws rds wait db-instance-available` with no master password change pending",
)
