"""Secrets Manager item kinds (guide: Security Operations / Secret Rotation):

- `secret-rotate`: `aws secretsmanager rotate-secret` of a secret with a rotation function (or one RDS owns),
  with the plan's version id as ClientRequestToken, so a repeated call is the same rotation. No undo: the
  rotation function changed the credential where it is used (setSecret); putting AWSCURRENT back would
  not change that back. Rotate again instead.
- `secret-new-version`: a secret without rotation: a new random value of the same shape
  (core/secret_shape.py) written as the plan's version with AWSPENDING, then AWSCURRENT moved to it
  (AWSPREVIOUS stays on the old version). Undo moves AWSCURRENT back to the version the plan saw.
- wait `secret-version-current`: AWSCURRENT is on the plan's version.

Re-checks compare version ids only: done when AWSCURRENT is on the plan's version, changed when it moved to
another version since the plan. No value is ever returned, journaled or shown; act reads the old value and
writes the new one in memory only. Item params: `secret` (ARN), `version` (the new version's id),
`from_version` (AWSCURRENT when planned), `fields` (the JSON fields that change; [] for a plain string).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opsbook.core.secret_shape import new_value
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import wait_condition

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


def stages(clients: Clients, secret: str) -> dict[str, list[str]]:
    """Version id -> its staging labels."""
    found: dict[str, list[str]] = (
        clients("secretsmanager").describe_secret(SecretId=secret).get("VersionIdsToStages") or {}
    )
    return found


def version_with(versions: dict[str, list[str]], stage: str) -> str | None:
    return next((v for v, labels in versions.items() if stage in labels), None)


def read_value(clients: Clients, secret: str, version: str) -> str:
    """The secret string of one version (kept in memory by the caller, never returned to the engine)."""
    answer = clients("secretsmanager").get_secret_value(SecretId=secret, VersionId=version)
    return str(answer["SecretString"])


def recheck_version(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    versions = stages(clients, p["secret"])
    current = version_with(versions, CURRENT)
    if current == p["version"]:
        return Live("done", f"{item.resource.name}: AWSCURRENT is already version {p['version']}")
    if current != p["from_version"]:
        return Live(
            "changed",
            f"{item.resource.name}: AWSCURRENT is version {current} now, the plan saw {p['from_version']}",
        )
    pending = version_with(versions, PENDING)
    if pending not in (None, current, p["version"]):
        return Live("changed", f"{item.resource.name}: a rotation is in progress (AWSPENDING on {pending})")
    return Live("eligible", f"{item.resource.name}: version {current} -> {p['version']}")


def rotate(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    clients("secretsmanager").rotate_secret(SecretId=p["secret"], ClientRequestToken=p["version"])
    return {"version": p["version"], "from_version": p["from_version"]}


item_kind(
    "secret-rotate",
    action="rotate-secret",
    permissions=("secretsmanager:DescribeSecret", "secretsmanager:RotateSecret"),
    recheck=recheck_version,
    act=rotate,
    irreversible="the rotation function already changed the credential where it is used; moving AWSCURRENT "
    "back would not change it back (rotate again instead)",
)


def move_current(clients: Clients, secret: str, to: str, away_from: str) -> None:
    clients("secretsmanager").update_secret_version_stage(
        SecretId=secret, VersionStage=CURRENT, MoveToVersionId=to, RemoveFromVersionId=away_from
    )


def put_new_version(clients: Clients, p: dict[str, Any], fields: Sequence[str]) -> None:
    """A new random value of the shape of version `from_version` (its `fields` changed, core/secret_shape.py)
    as version `version` labelled AWSPENDING; nothing read or sent when that version exists (a resumed apply)."""
    if p["version"] not in stages(clients, p["secret"]):
        value = new_value(read_value(clients, p["secret"], p["from_version"]), fields)
        clients("secretsmanager").put_secret_value(
            SecretId=p["secret"], ClientRequestToken=p["version"], SecretString=value, VersionStages=[PENDING]
        )


def finish(clients: Clients, secret: str, version: str, was: str) -> None:
    """AWSCURRENT onto `version` (AWSPREVIOUS onto `was`), and AWSPENDING off it: the rotation's end."""
    move_current(clients, secret, version, was)
    if PENDING in stages(clients, secret).get(version, []):
        clients("secretsmanager").update_secret_version_stage(
            SecretId=secret, VersionStage=PENDING, RemoveFromVersionId=version
        )


def new_version(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    put_new_version(clients, p, p.get("fields") or ())
    finish(clients, p["secret"], p["version"], p["from_version"])
    return {"version": p["version"], "from_version": p["from_version"], "fields": p.get("fields") or []}


def restore_version(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """AWSCURRENT back on the version the plan saw (sent only when it is on the plan's version)."""
    p = item.params
    if version_with(stages(clients, p["secret"]), CURRENT) == p["version"]:
        move_current(clients, p["secret"], p["from_version"], p["version"])
    return {"version": p["from_version"], "wait": {"secret": p["secret"], "version": p["from_version"]}}


item_kind(
    "secret-new-version",
    action="put-secret-version",
    permissions=(
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ),
    recheck=recheck_version,
    act=new_version,
    undo=restore_version,
)


def version_current(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    versions = stages(clients, params["secret"])
    current = version_with(versions, CURRENT)
    pending = version_with(versions, PENDING)
    progress = f"AWSCURRENT on {current}" + (f", AWSPENDING on {pending}" if pending else "")
    return current == params["version"], progress


wait_condition(
    "secret-version-current",
    version_current,
    description="`aws secretsmanager describe-secret`: AWSCURRENT is on the plan's version",
)
