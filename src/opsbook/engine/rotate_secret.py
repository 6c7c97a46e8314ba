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

from opsbook.core.config import Config, SecretMirror
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Resource
from opsbook.core.secret_shape import ShapeError, field_of, password_fields
from opsbook.engine.scale_rds import Found, scan, the_one
from opsbook.engine.workload import cluster_api, step
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.secret_mirror import held, secret_doc
from opsbook.procedures.secret_versions import CURRENT, PENDING, version_with

NAME = "rotate-secret"
GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")
DEPLOYMENTS = "/apis/apps/v1/namespaces/{ns}/deployments"


class RotateSecretParams(ProcedureParams):
    secret: str = Field(
        min_length=1, max_length=2048, description="The Secrets Manager secret (name or ARN)."
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


def mounts(dep: dict[str, Any], name: str) -> bool:
    """The deployment's pods read Secret `name`: a volume (or projected source), env secretKeyRef, envFrom."""
    spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    for vol in spec.get("volumes") or []:
        sources = [(s.get("secret") or {}) for s in (vol.get("projected") or {}).get("sources") or []]
        if (vol.get("secret") or {}).get("secretName") == name or any(s.get("name") == name for s in sources):
            return True
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        refs = [
            ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") for e in c.get("env") or []
        ]
        refs += [(e.get("secretRef") or {}).get("name") for e in c.get("envFrom") or []]
        if name in refs:
            return True
    return False


def mirrors_of(cfg: Config, found: Found) -> list[tuple[int, SecretMirror]]:
    """The configured mirrors of the found secret (by name or ARN) in its account."""
    out = []
    for i, m in enumerate(cfg.secrets.mirrors):
        eks = next((c.eks.account for c in cfg.clusters if c.name == m.cluster and c.eks), None)
        account = m.account or eks
        if m.secret in (found.db["ARN"], found.db["Name"]) and account in (
            None,
            found.account.name,
            found.account.id,
        ):
            out.append((i, m))
    return out


def read_mirror(cfg: Config, m: SecretMirror, where: str, value: str) -> tuple[list[str], str]:
    """(the deployments mounting the mirror's Secret, a warning or ""); InputError when it cannot work."""
    if m.cluster not in {c.name for c in cfg.clusters}:
        raise InputError(f"{where}: cluster {m.cluster!r} is not configured (clusters:)")
    try:
        want = field_of(value, m.field)
    except ShapeError as exc:
        raise InputError(f"{where}: {exc}") from None
    with cluster_api(cfg, m.cluster, "get secrets") as api:
        doc = secret_doc(api, m.namespace, m.name)
        if doc is None:
            raise InputError(f"{where}: Secret {m.namespace}/{m.name} does not exist in cluster {m.cluster}")
        deps = [d["metadata"]["name"] for d in api.list_items(DEPLOYMENTS.format(ns=m.namespace))
                if mounts(d, m.name)]  # fmt: skip
    warning = "" if held(doc, m.key) == want else (
        f"Secret {m.namespace}/{m.name} key {m.key} in {m.cluster} does not hold the secret's current value "
        "now: --rollback writes the current value back, not what it holds"
    )  # fmt: skip
    return deps, warning


def restart_step(n: int, here: dict[str, Any], ref: dict[str, Any], where: tuple[str, str, str],
                 mirrors: list[dict[str, Any]], params: RotateSecretParams) -> PlanItem:  # fmt: skip
    """`kubectl rollout restart` of deployment `where` (cluster, namespace, name) reading `mirrors`."""
    cluster, ns, dep = where
    reads = ", ".join(sorted({m["name"] for m in mirrors}))
    return step(
        n, "k8s-rollout-restart", "rollout-restart", Resource(id=f"{ns}/{dep}", type="Deployment", name=dep),
        f"kubectl rollout restart deployment/{dep} -n {ns} (it mounts {reads})", **here, cluster=cluster,
        params=ref | {"namespace": ns, "name": dep,
                      "mirrors": [{k: m[k] for k in ("namespace", "name", "key", "field")} for m in mirrors]},
        depends_on=sorted({m["after"] for m in mirrors}),
        wait=Wait(condition="deployment-rolled-out", params={"namespace": ns, "name": dep},
                  timeout_s=params.rollout_timeout, interval_s=params.poll_interval),
        gate=list(GATE),
    )  # fmt: skip


def mirror_items(
    cfg: Config, found: Found, ref: dict[str, Any], value: str, params: RotateSecretParams
) -> tuple[list[PlanItem], list[str]]:
    """The mirror, restart and verify steps (from 002) and the plan's warnings."""
    name = found.db["Name"]
    here = {"account": found.account.name, "account_id": found.account.id, "region": found.region}
    items: list[PlanItem] = []
    warnings: list[str] = []
    restarts: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for i, m in mirrors_of(cfg, found):
        deps, warning = read_mirror(cfg, m, f"{cfg.source or 'config'}: secrets.mirrors.{i}", value)
        warnings += [warning] if warning else []
        mp = ref | {"namespace": m.namespace, "name": m.name, "key": m.key, "field": m.field}
        what = m.key + (f" (field {m.field})" if m.field else "")
        items.append(step(
            len(items) + 2, "k8s-secret-mirror", "update-secret",
            Resource(id=f"{m.namespace}/{m.name}", type="Secret", name=m.name),
            f"Secret {m.namespace}/{m.name} {what} <- {name} version {ref['version']} (read at apply time); "
            f"mounted by {', '.join(deps) or 'no deployment'}",
            **here, cluster=m.cluster, params=mp, depends_on=["001"],
        ))  # fmt: skip
        if not deps:
            warnings.append(
                f"no deployment in {m.cluster} {m.namespace} mounts Secret {m.name}: nothing to restart"
            )
        for d in deps:
            restarts.setdefault((m.cluster, m.namespace, d), []).append(mp | {"after": items[-1].id})
    for where, mirrors in restarts.items():
        items.append(restart_step(len(items) + 2, here, ref, where, mirrors, params))
    for cluster in sorted({c for c, _, _ in restarts}):
        mine = [i for i in items if i.kind == "k8s-rollout-restart" and i.cluster == cluster]
        deps = [i.resource.id for i in mine]
        items.append(step(
            len(items) + 2, "secret-consumers-switched", "verify-pods-switched",
            Resource(id=cluster, type="Cluster", name=cluster),
            f"every pod of {', '.join(deps)} started after version {ref['version']} was written and is Ready",
            **here, cluster=cluster, params=ref | {"deployments": deps}, depends_on=[i.id for i in mine],
        ))  # fmt: skip
    return items, warnings


@procedure(
    NAME,
    title="Rotate a Secrets Manager secret, update its Kubernetes mirrors, restart and verify their consumers",
    section="Security Operations / Secret Rotation",
    kinds=(
        "secret-rotate",
        "secret-new-version",
        "k8s-secret-mirror",
        "k8s-rollout-restart",
        "secret-consumers-switched",
    ),  # fmt: skip
    params=RotateSecretParams,
    examples=("opsbook plan rotate-secret --secret my-app/db-password --account prod -o plan.json",),
)
def plan_rotate_secret(cfg: Config, params: RotateSecretParams, request: PlanRequest) -> Plan:
    found = locate_secret(cfg, request, params.secret)
    desc, sm = found.db, found.rds
    name = desc["Name"]
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
    value = str(sm.get_secret_value(SecretId=desc["ARN"], VersionId=current).get("SecretString") or "")
    rotation = bool(desc.get("RotationLambdaARN")) or desc.get("OwningService") == "rds"
    try:
        fields = [] if rotation else password_fields(value)
    except ShapeError as exc:
        raise InputError(f"opsbook plan {NAME}: {name}: {exc}") from None
    ref = {"secret": desc["ARN"], "version": str(uuid.uuid4()), "from_version": current}
    how = (f"aws secretsmanager rotate-secret --secret-id {name} (rotation function "
           f"{desc.get('RotationLambdaARN') or 'of RDS'})") if rotation else (
        f"a new random value of the same shape ({'fields ' + ', '.join(fields) if fields else 'plain string'}) "
        f"as version {ref['version']}: AWSPENDING, then AWSCURRENT (AWSPREVIOUS stays on {current})")  # fmt: skip
    first = step(1, "secret-rotate" if rotation else "secret-new-version",
                 "rotate-secret" if rotation else "put-secret-version",
                 Resource(id=desc["ARN"], type="AWS::SecretsManager::Secret", arn=desc["ARN"], name=name), how,
                 account=found.account.name, account_id=found.account.id, region=found.region,
                 params=ref | {"fields": fields}, evidence={"from_version": current, "rotation": rotation},
                 wait=Wait(condition="secret-version-current", params={"secret": desc["ARN"], "version": ref["version"]},
                           timeout_s=params.wait_timeout, interval_s=params.poll_interval))  # fmt: skip
    rest, warnings = mirror_items(cfg, found, ref, value, params)
    del value  # the value itself goes nowhere
    clusters = sorted({i.cluster for i in rest if i.cluster})
    return new_plan(NAME, [first, *rest], ttl=request.ttl, ordered=True, accounts=[found.account.name],
                    regions=[found.region], parameters=params.model_dump(mode="json") | {"clusters": clusters},
                    warnings=warnings)  # fmt: skip
