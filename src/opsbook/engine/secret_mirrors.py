"""The Kubernetes half of a rotation plan (`rotate-secret`): the configured mirrors of the rotated secret
(`secrets.mirrors` in opsbook.yaml, in the secret's account), the deployments that mount each mirror's
Secret (volumes, projected volumes, env secretKeyRef, envFrom), and their steps: update the mirror, restart
each deployment (waiting for the rollout, gated on the workload checks), then prove per cluster that every
pod switched. Read-only; a mirror that cannot work (no such cluster, Secret or JSON field) is InputError.
"""

from __future__ import annotations

from typing import Any

from opsbook.core.config import Config, SecretMirror, config_error
from opsbook.core.models import Resource
from opsbook.core.secret_shape import ShapeError, field_of
from opsbook.engine.scale_rds import Found
from opsbook.engine.workload import cluster_api, step
from opsbook.procedures.plan import PlanItem, Wait
from opsbook.procedures.secret_mirror import held, secret_doc

GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")
DEPLOYMENTS = "/apis/apps/v1/namespaces/{ns}/deployments"


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


def mirrors_of(cfg: Config, found: Found, clusters: tuple[str, ...]) -> list[tuple[int, SecretMirror]]:
    """The configured mirrors of the found secret (by name or ARN) in its account (in `clusters`, if any)."""
    out = []
    for i, m in enumerate(cfg.secrets.mirrors):
        if clusters and m.cluster not in clusters:
            continue
        eks = next((c.eks.account for c in cfg.clusters if c.name == m.cluster and c.eks), None)
        account = m.account or eks
        if m.secret in (found.db["ARN"], found.db["Name"]) and account in (
            None,
            found.account.name,
            found.account.id,
        ):
            out.append((i, m))
    return out


def read_mirror(cfg: Config, i: int, value: str) -> tuple[list[str], str]:
    """(the deployments mounting mirror `i`'s Secret, a warning or ""); a ConfigError naming its line in
    opsbook.yaml when it cannot work."""
    m, loc = cfg.secrets.mirrors[i], ("secrets", "mirrors", i)
    if m.cluster not in {c.name for c in cfg.clusters}:
        raise config_error(cfg, loc, f"cluster {m.cluster!r} is not configured (clusters:)")
    try:
        want = field_of(value, m.field)
    except ShapeError as exc:
        raise config_error(cfg, loc, str(exc)) from None
    with cluster_api(cfg, m.cluster, "get secrets") as api:
        doc = secret_doc(api, m.namespace, m.name)
        if doc is None:
            raise config_error(
                cfg, loc, f"Secret {m.namespace}/{m.name} does not exist in cluster {m.cluster}"
            )
        deps = [d["metadata"]["name"] for d in api.list_items(DEPLOYMENTS.format(ns=m.namespace))
                if mounts(d, m.name)]  # fmt: skip
    warning = "" if held(doc, m.key) == want else (
        f"Secret {m.namespace}/{m.name} key {m.key} in {m.cluster} does not hold the secret's current value "
        "now: --rollback writes the current value back, not what it holds"
    )  # fmt: skip
    return deps, warning


def restart_step(n: int, here: dict[str, Any], ref: dict[str, Any], where: tuple[str, str, str],
                 mirrors: list[dict[str, Any]], timing: tuple[float, float]) -> PlanItem:  # fmt: skip
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
                  timeout_s=timing[0], interval_s=timing[1]),
        gate=list(GATE),
    )  # fmt: skip


def mirror_items(
    cfg: Config,
    found: Found,
    ref: dict[str, Any],
    value: str,
    timing: tuple[float, float],
    clusters: tuple[str, ...] = (),
) -> tuple[list[PlanItem], list[str]]:
    """The mirror, restart and verify steps (from 002) and the plan's warnings; `timing` is each restart's
    (timeout, poll interval)."""
    name = found.db["Name"]
    here = {"account": found.account.name, "account_id": found.account.id, "region": found.region}
    items: list[PlanItem] = []
    warnings: list[str] = []
    restarts: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for i, m in mirrors_of(cfg, found, clusters):
        deps, warning = read_mirror(cfg, i, value)
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
        items.append(restart_step(len(items) + 2, here, ref, where, mirrors, timing))
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
