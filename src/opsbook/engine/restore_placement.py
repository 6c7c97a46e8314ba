"""Where `restore-rds` puts the new instance, and finding the snapshot it restores (read-only).

The subnet group, parameter group and security groups are the source instance's when it still exists;
else what `backup-rds` recorded in the snapshot's tags (procedures/rds_backup.py SOURCE_TAGS); else the
only DB subnet group in the snapshot's VPC, the engine's default parameter group and the VPC's default
security group, said as a warning. Any of them given on the command line wins. Each must exist, and the
security groups must be in the subnet group's VPC: RDS would refuse the restore otherwise.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.failures import as_target_error
from opsbook.engine.scale_rds import Found, pages, scan, the_one
from opsbook.procedures.rds_backup import SOURCE_TAGS, placement, snapshot_of
from opsbook.procedures.registry import PlanRequest

# a manual snapshot's identifier, or an automated one's (`rds:<instance>-YYYY-MM-DD-HH-MM`)
SNAPSHOT_ID = re.compile(r"(rds:)?[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)")


def age(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"


def snapshots_of(found: Found, db: str) -> list[dict[str, Any]]:
    where = f"aws:{found.account.name}/{found.region}"
    try:
        return pages(found.rds, "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=db)
    except Exception as exc:  # noqa: BLE001 - an account that cannot be read: its target error, exit 3
        raise as_target_error(exc, where=where, action="rds:DescribeDBSnapshots") from None


def _snapshot(rds: Any, ident: str) -> list[dict[str, Any]]:
    found = snapshot_of(lambda _service: rds, ident)
    return [found] if found else []


def locate_snapshot(
    cfg: Config, request: PlanRequest, ident: str, procedure: str
) -> tuple[Found, list[dict[str, Any]]]:
    """The one (account, region) where snapshot `ident` is (as Found: `db` is the snapshot, `names` the DB
    instances there) and the DB instances there."""
    hits = [
        Found(account, region, snaps[0], rds, ())
        for account, region, rds, snaps in scan(
            cfg, request, "rds:DescribeDBSnapshots", lambda rds: _snapshot(rds, ident)
        )
        if snaps
    ]
    if not hits:
        raise NotFound(
            f"opsbook plan {procedure}: no DB snapshot {ident!r} in the chosen accounts and regions "
            "(see `aws rds describe-db-snapshots`)"
        )
    found = the_one(hits, f"snapshot {ident}", procedure)
    try:
        dbs = pages(found.rds, "describe_db_instances", "DBInstances")
    except Exception as exc:  # noqa: BLE001 - see snapshots_of
        raise as_target_error(
            exc, where=f"aws:{found.account.name}/{found.region}", action="rds:DescribeDBInstances"
        ) from None
    names = tuple(d["DBInstanceIdentifier"] for d in dbs)
    return Found(found.account, found.region, found.db, found.rds, names), dbs


def target_placement(
    cfg: Config, found: Found, params: Any, source: dict[str, Any] | None, procedure: str
) -> tuple[dict[str, Any], str, list[str]]:
    """(subnet_group, parameter_group, security_groups) for the new instance, where they come from, and
    warnings; InputError for one that does not exist or does not fit."""
    snap, warnings = found.db, []
    tagged = {t["Key"]: t["Value"] for t in snap.get("TagList") or []}
    if source is not None:
        planned, origin = placement(source), f"as source instance {source['DBInstanceIdentifier']}"
    elif any(tag in tagged for tag in SOURCE_TAGS):
        planned = {key: tagged.get(tag) for tag, key in SOURCE_TAGS.items()}
        planned["security_groups"] = sorted((planned["security_groups"] or "").split())
        origin = f"as the snapshot's tags record; source {snap.get('DBInstanceIdentifier')} is gone"
    else:
        planned = {"subnet_group": None, "parameter_group": None, "security_groups": []}
        origin = f"source {snap.get('DBInstanceIdentifier')} is gone and the snapshot records no placement"
    given = {
        "subnet_group": params.db_subnet_group,
        "parameter_group": params.parameter_group,
        "security_groups": sorted(params.security_group) or None,
    }
    planned |= {k: v for k, v in given.items() if v}
    if any(given.values()):
        origin += "; " + ", ".join(k.replace("_", " ") for k, v in given.items() if v) + " as given"
    vpc = _subnet_group_vpc(found, planned, snap, procedure)
    _check_parameter_group(found, planned["parameter_group"], procedure)
    _check_security_groups(cfg, found, planned["security_groups"], vpc, procedure)
    if not planned["parameter_group"]:
        warnings.append(
            f"{params.new_id}: the engine's default parameter group (pass --parameter-group to keep settings)"
        )
    if not planned["security_groups"]:
        warnings.append(
            f"{params.new_id}: the VPC's default security group (pass --security-group to choose)"
        )
    return planned, origin, warnings


def _read(found: Found, action: str, call: Any) -> Any:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - not found is the caller's; anything else is the target's error
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code.endswith("NotFound") or code.endswith("NotFoundFault") or code.startswith("InvalidGroup"):
            return None
        raise as_target_error(exc, where=f"aws:{found.account.name}/{found.region}", action=action) from None


def _subnet_group_vpc(
    found: Found, planned: dict[str, Any], snap: dict[str, Any], procedure: str
) -> str | None:
    rds = found.rds
    name = planned["subnet_group"]
    if name is None:  # the only subnet group in the snapshot's VPC, if there is exactly one
        groups = (
            _read(
                found,
                "rds:DescribeDBSubnetGroups",
                lambda: pages(rds, "describe_db_subnet_groups", "DBSubnetGroups"),
            )
            or []
        )
        fits = [g for g in groups if g.get("VpcId") == snap.get("VpcId")]
        if len(fits) != 1:
            have = ", ".join(g["DBSubnetGroupName"] for g in fits) or "none"
            raise InputError(
                f"opsbook plan {procedure}: the source instance is gone: name its --db-subnet-group "
                f"(in {snap.get('VpcId') or 'its VPC'}: {have})"
            )
        planned["subnet_group"] = fits[0]["DBSubnetGroupName"]
        return str(fits[0].get("VpcId") or "") or None
    got = _read(
        found, "rds:DescribeDBSubnetGroups", lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=name)
    )
    if not (got or {}).get("DBSubnetGroups"):
        raise InputError(
            f"opsbook plan {procedure}: --db-subnet-group {name!r}: no such DB subnet group in "
            f"{found.account.name}/{found.region}"
        )
    return str(got["DBSubnetGroups"][0].get("VpcId") or "") or None


def _check_parameter_group(found: Found, name: str | None, procedure: str) -> None:
    if name is None:
        return
    got = _read(
        found,
        "rds:DescribeDBParameterGroups",
        lambda: found.rds.describe_db_parameter_groups(DBParameterGroupName=name),
    )
    if not (got or {}).get("DBParameterGroups"):
        raise InputError(
            f"opsbook plan {procedure}: --parameter-group {name!r}: no such DB parameter group in "
            f"{found.account.name}/{found.region}"
        )


def _check_security_groups(
    cfg: Config, found: Found, ids: list[str], vpc: str | None, procedure: str
) -> None:
    if not ids:
        return
    from opsbook.providers.aws.session import SessionFactory

    key = f"aws:{found.account.name}/{found.region}"
    ec2 = SessionFactory(cfg).client(found.account, found.region, "ec2", key)
    got = _read(found, "ec2:DescribeSecurityGroups", lambda: ec2.describe_security_groups(GroupIds=ids))
    have = {g["GroupId"]: g.get("VpcId") for g in (got or {}).get("SecurityGroups", [])}
    missing = [i for i in ids if i not in have]
    if missing:
        raise InputError(
            f"opsbook plan {procedure}: --security-group {', '.join(missing)}: no such security "
            f"group in {key.removeprefix('aws:')}"
        )
    elsewhere = [i for i in ids if vpc and have[i] != vpc]
    if elsewhere:
        raise InputError(
            f"opsbook plan {procedure}: security group {', '.join(elsewhere)} is not in the subnet "
            f"group's VPC {vpc}"
        )
