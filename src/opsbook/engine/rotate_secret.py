"""Planner of the guide's secret rotation (Security Operations / Secret Rotation). Read-only: it reads the
secret's metadata and value shape, the configured Kubernetes mirrors (`secrets.mirrors` in opsbook.yaml)
and the deployments that mount them, and writes the steps; `opsbook apply` performs them.

1. Secrets Manager: `rotate-secret` when the secret has a rotation function (or RDS owns it), else a new
   random value of the same shape as a new version, AWSPENDING -> AWSCURRENT (`secret-new-version`).
   The new version's id is chosen here, so every later step names the version it expects.
2. per mirror: the Kubernetes Secret's key gets the new value (`k8s-secret-mirror`).
3. per deployment that mounts a mirror (volumes, projected volumes, env secretKeyRef, envFrom):
   `kubectl rollout restart`, waiting for the rollout, gated on the workload checks.
4. per cluster: every pod of those deployments started after the new version and is Ready.

Refused at plan time: an unknown or deleted secret, one in several accounts/regions (name --account), a
rotation already in progress, a JSON value with no password-like field, a mirror whose cluster, Secret or
JSON field does not exist, a protected account. No secret value is put in the plan, its warnings or errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Resource
from opsbook.core.secret_shape import ShapeError, field_of, password_fields
from opsbook.engine.scale_rds import Found, locate, scan, the_one
from opsbook.engine.secret_mirrors import mirror_items
from opsbook.engine.targets import k8s_targets
from opsbook.engine.workload import step
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.secret_versions import CURRENT, PENDING, version_with

NAME = "rotate-secret"


class RotateSecretParams(ProcedureParams):
    secret: str | None = Field(
        None, min_length=1, max_length=2048, description="The Secrets Manager secret (name or ARN)."
    )
    db: str | None = Field(
        None,
        description="Rotate this RDS instance's master password instead (its RDS-managed secret, or the "
        "secret `secrets.databases` names for it).",
    )
    wait_timeout: int = Field(600, ge=10, le=86400, description="Seconds to wait for the rotation.")
    rollout_timeout: int = Field(600, ge=10, le=86400, description="Seconds to wait for each restart.")
    poll_interval: float = Field(2, ge=0.1, le=600, description="Seconds between reads while waiting.")


def locate_secret(cfg: Config, request: PlanRequest, secret: str) -> Found:
    """The one chosen account/region where `secret` exists (its DescribeSecret answer as `db`)."""

    def read(sm: Any) -> list[dict[str, Any]]:
        try:
            return [sm.describe_secret(SecretId=secret)]
        except sm.exceptions.ResourceNotFoundException:
            return []

    hits = [Found(account, region, found[0], sm, ()) for account, region, sm, found
            in scan(cfg, request, "secretsmanager:DescribeSecret", read, "secretsmanager") if found]  # fmt: skip
    if not hits:
        raise NotFound(f"opsbook plan {NAME}: no secret {secret!r} in the chosen accounts and regions")
    return the_one(hits, f"secret {secret}", NAME)


def current_value(found: Found) -> tuple[str, str]:
    """(the AWSCURRENT version id, its value: kept in memory); InputError when no rotation can start."""
    desc, name = found.db, found.db["Name"]
    if desc.get("DeletedDate"):
        raise InputError(f"opsbook plan {NAME}: secret {name} is scheduled for deletion")
    versions: dict[str, list[str]] = desc.get("VersionIdsToStages") or {}
    current, pending = version_with(versions, CURRENT), version_with(versions, PENDING)
    if current is None:
        raise InputError(f"opsbook plan {NAME}: secret {name} has no AWSCURRENT version to rotate")
    if pending not in (None, current):
        raise InputError(
            f"opsbook plan {NAME}: a rotation of {name} is in progress (AWSPENDING on {pending})"
        )
    answer = found.rds.get_secret_value(SecretId=desc["ARN"], VersionId=current)
    return current, str(answer.get("SecretString") or "")


def first_step(
    found: Found,
    kind: str,
    action: str,
    how: str,
    ref: dict[str, Any],
    params: RotateSecretParams,
    resource: Resource | None = None,
    wait: Wait | None = None,
) -> PlanItem:
    """Step 001 on the secret (or the instance `resource`), waiting for `wait` or for the new version."""
    desc = found.db
    what = Resource(id=desc["ARN"], type="AWS::SecretsManager::Secret", arn=desc["ARN"], name=desc["Name"])
    until = Wait(condition="secret-version-current", params={"secret": ref["secret"], "version": ref["version"]},
                 timeout_s=params.wait_timeout, interval_s=params.poll_interval)  # fmt: skip
    return step(1, kind, action, resource or what, how, account=found.account.name, account_id=found.account.id,
                region=found.region, params=ref, evidence={"from_version": ref["from_version"]},
                wait=wait or until)  # fmt: skip


def secret_step(found: Found, params: RotateSecretParams, current: str, value: str) -> PlanItem:
    desc, name = found.db, found.db["Name"]
    ref = {"secret": desc["ARN"], "version": str(uuid.uuid4()), "from_version": current}
    if desc.get("RotationLambdaARN") or desc.get("OwningService") == "rds":
        how = (f"aws secretsmanager rotate-secret --secret-id {name} (rotation function "
               f"{desc.get('RotationLambdaARN') or 'of RDS'}) as version {ref['version']}")  # fmt: skip
        return first_step(found, "secret-rotate", "rotate-secret", how, ref, params)
    try:
        fields = password_fields(value)
    except ShapeError as exc:
        raise InputError(f"opsbook plan {NAME}: {name}: {exc}") from None
    shape = f"fields {', '.join(fields)}" if fields else "plain string"
    how = (f"a new random value of the same shape ({shape}) as version {ref['version']}: AWSPENDING, then "
           f"AWSCURRENT (AWSPREVIOUS stays on {current})")  # fmt: skip
    return first_step(
        found, "secret-new-version", "put-secret-version", how, ref | {"fields": fields}, params
    )


def db_step(cfg: Config, request: PlanRequest, params: RotateSecretParams) -> tuple[PlanItem, Found, str]:
    """(step 001, the secret it rotates, that secret's current value) for `--db`."""
    db = locate(cfg, request, str(params.db), NAME)
    here = PlanRequest(accounts=(db.account.name,), regions=(db.region,), ttl=request.ttl)
    managed = (db.db.get("MasterUserSecret") or {}).get("SecretArn")
    if managed:  # RDS rotates the secret it manages (and the password with it)
        found = locate_secret(cfg, here, managed)
        current, value = current_value(found)
        return secret_step(found, params, current, value), found, value
    mapping = next((d for d in cfg.secrets.databases if d.db == params.db), None)
    if mapping is None:
        raise InputError(f"opsbook plan {NAME}: {params.db} has no RDS-managed secret and no "
                         f"`secrets.databases` entry in {cfg.source or 'the config'} says where its password is kept")  # fmt: skip
    if db.db["DBInstanceStatus"] != "available":
        raise InputError(f"opsbook plan {NAME}: {params.db} is {db.db['DBInstanceStatus']}: a password change needs it available")  # fmt: skip
    found = locate_secret(cfg, here, mapping.secret)
    current, value = current_value(found)
    try:
        field_of(value, mapping.field)
    except ShapeError as exc:
        raise InputError(f"opsbook plan {NAME}: {found.db['Name']}: {exc}") from None
    ref = {"secret": found.db["ARN"], "version": str(uuid.uuid4()), "from_version": current}
    how = (f"aws rds modify-db-instance --db-instance-identifier {params.db} --master-user-password (new, random) "
           f"--apply-immediately, kept in {found.db['Name']}{f' field {mapping.field}' if mapping.field else ''} "
           f"as version {ref['version']} (AWSPENDING, then AWSCURRENT)")  # fmt: skip
    item = first_step(found, "rds-master-password", "rotate-master-password", how,
                      ref | {"db": params.db, "field": mapping.field}, params,
                      resource=Resource(id=params.db, type="AWS::RDS::DBInstance", arn=db.db.get("DBInstanceArn"), name=params.db),
                      wait=Wait(condition="rds-password-applied", params={"db": params.db},
                                timeout_s=params.wait_timeout, interval_s=params.poll_interval))  # fmt: skip
    return item, found, value


@procedure(
    NAME,
    title="Rotate a secret (or an RDS master password), update its Kubernetes mirrors, restart and verify consumers",
    section="Security Operations / Secret Rotation",
    kinds=(
        "secret-rotate",
        "secret-new-version",
        "rds-master-password",
        "k8s-secret-mirror",
        "k8s-rollout-restart",
        "secret-consumers-switched",
    ),  # fmt: skip
    params=RotateSecretParams,
    permissions=("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"),
    examples=(
        "opsbook plan rotate-secret --secret my-app/db-password --account prod -o plan.json",
        "opsbook plan rotate-secret --db my-database --account dev -o plan.json",
    ),
)
def plan_rotate_secret(cfg: Config, params: RotateSecretParams, request: PlanRequest) -> Plan:
    if (params.secret is None) == (params.db is None):
        raise InputError(f"opsbook plan {NAME}: name one of --secret or --db")
    if request.clusters:  # an unknown --cluster would leave every mirror out of the plan, silently
        k8s_targets(cfg, list(request.clusters))
    if params.db is not None:
        first, found, value = db_step(cfg, request, params)
    else:
        found = locate_secret(cfg, request, params.secret or "")
        current, value = current_value(found)
        first = secret_step(found, params, current, value)
    timing = (float(params.rollout_timeout), params.poll_interval)
    ref = {k: first.params[k] for k in ("secret", "version", "from_version")}
    rest, warnings = mirror_items(cfg, found, ref, value, timing, request.clusters)
    del value  # the value itself goes nowhere
    clusters = sorted({i.cluster for i in rest if i.cluster})
    return new_plan(NAME, [first, *rest], ttl=request.ttl, ordered=True, accounts=[found.account.name],
                    regions=[found.region], parameters=params.model_dump(mode="json") | {"clusters": clusters},
                    warnings=warnings)  # fmt: skip
