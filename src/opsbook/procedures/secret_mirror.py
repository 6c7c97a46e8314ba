"""Kubernetes item kinds of a secret rotation (guide: Security Operations / Secret Rotation):

- `k8s-secret-mirror`: the guide's `kubectl create secret generic ... | kubectl apply`: one key of a
  Kubernetes Secret gets the value (or one JSON field) of the rotated Secrets Manager version, read from
  Secrets Manager at apply time and never stored. Done when the key holds it. Undo writes back the version
  the plan started from.
- `k8s-rollout-restart`: `kubectl rollout restart deployment/NAME` (the `kubectl.kubernetes.io/restartedAt`
  annotation on the pod template) for a deployment that mounts the Secret; the step waits for
  `deployment-rolled-out`. Done when the template was restarted after the new version was written. Undo
  first puts the old value back into the Secrets it reads (so a rollback, which runs newest first, restarts
  the pods onto the old value), then restarts it again and waits for that rollout.
- `secret-consumers-switched` (changes nothing): every pod of those deployments started after the new
  version was written and is Ready; otherwise the step fails naming each pod left on the old value.

Item params: `secret` (ARN), `version`, `from_version`; mirror: `namespace`, `name`, `key`, `field`;
restart: `namespace`, `name`, `mirrors` (the mirrors it reads); verify: `deployments` (NAMESPACE/NAME).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from opsbook.core.labels import selector_matches
from opsbook.core.secret_shape import field_of
from opsbook.procedures.k8s_scale import deployment_doc, deployment_path, labels_of
from opsbook.procedures.k8s_service import pod_ready
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.secret_versions import read_value, stages
from opsbook.procedures.velero import get_or_none

RESTARTED = "kubectl.kubernetes.io/restartedAt"


def secret_doc(api: Any, ns: str, name: str) -> dict[str, Any] | None:
    return get_or_none(api, f"/api/v1/namespaces/{ns}/secrets/{name}")


def held(doc: dict[str, Any], key: str) -> str | None:
    """The decoded value of `key` in a Secret's data (None when it has no such key)."""
    raw = (doc.get("data") or {}).get(key)
    return None if raw is None else base64.b64decode(raw).decode("utf-8", "replace")


def wanted(clients: Clients, secret: str, version: str, field: str | None) -> str:
    return field_of(read_value(clients, secret, version), field)


def put_mirror(clients: Clients, secret: str, version: str, mirror: dict[str, Any]) -> bool:
    """Write `version`'s value into the mirror's key unless it holds it already; True when it wrote."""
    from kubernetes import client as k8s

    api = clients("k8s")
    ns, name, key = mirror["namespace"], mirror["name"], mirror["key"]
    doc = secret_doc(api, ns, name)
    if doc is None:
        raise RuntimeError(f"Secret {ns}/{name} is gone")
    value = wanted(clients, secret, version, mirror.get("field"))
    if held(doc, key) == value:
        return False
    data = {key: base64.b64encode(value.encode()).decode()}
    k8s.CoreV1Api(api).patch_namespaced_secret(name, ns, {"data": data})
    return True


def not_written(clients: Clients, p: dict[str, Any]) -> Live | None:
    """Eligible while the new version is not written yet (a dry run, before step 001 acts)."""
    if p["version"] in stages(clients, p["secret"]):
        return None
    return Live("eligible", f"{p['name']}: after version {p['version']} is written")


def recheck_mirror(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    doc = secret_doc(clients("k8s"), p["namespace"], p["name"])
    if doc is None:
        return Live("changed", f"Secret {p['namespace']}/{p['name']} is gone")
    if (early := not_written(clients, p)) is not None:
        return early
    if held(doc, p["key"]) == wanted(clients, p["secret"], p["version"], p.get("field")):
        return Live("done", f"{p['name']}[{p['key']}] already holds version {p['version']}", labels_of(doc))
    return Live("eligible", f"{p['name']}[{p['key']}] <- version {p['version']}", labels_of(doc))


def mirror(item: PlanItem, clients: Clients) -> dict[str, Any]:
    put_mirror(clients, item.params["secret"], item.params["version"], item.params)
    return {"version": item.params["version"]}


def unmirror(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    wrote = put_mirror(clients, item.params["secret"], item.params["from_version"], item.params)
    return {"version": item.params["from_version"], "wrote": wrote}


item_kind(
    "k8s-secret-mirror",
    action="update-secret",
    permissions=("get secrets", "patch secrets", "secretsmanager:GetSecretValue"),
    recheck=recheck_mirror,
    act=mirror,
    undo=unmirror,
)


def written_at(clients: Clients, secret: str, version: str) -> datetime:
    """When Secrets Manager wrote `version`."""
    sm = clients("secretsmanager")
    token: dict[str, str] = {}
    while True:  # botocore has no paginator for it
        page = sm.list_secret_version_ids(SecretId=secret, IncludeDeprecated=True, **token)
        for v in page.get("Versions") or []:
            if v["VersionId"] == version:
                return v["CreatedDate"].astimezone(UTC)  # type: ignore[no-any-return]
        if not page.get("NextToken"):
            break
        token = {"NextToken": page["NextToken"]}
    raise RuntimeError(f"version {version} of {secret} does not exist")


def stamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def restarted_at(dep: dict[str, Any]) -> str | None:
    template = (dep.get("spec") or {}).get("template") or {}
    return ((template.get("metadata") or {}).get("annotations") or {}).get(RESTARTED)


def restart(clients: Clients, ns: str, name: str, at: str | None = None) -> str:
    """`kubectl rollout restart`: the template's restartedAt set to `at` (default: now); returns it."""
    from kubernetes import client as k8s

    now = at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED: now}}}}}
    k8s.AppsV1Api(clients("k8s")).patch_namespaced_deployment(name, ns, body)
    return now


def recheck_restart(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    dep = get_or_none(clients("k8s"), deployment_path(p["namespace"], p["name"]))
    if dep is None:
        return Live("changed", f"deployment {p['namespace']}/{p['name']} is gone")
    if (early := not_written(clients, p)) is not None:
        return early
    when = stamp(restarted_at(dep))
    if when is not None and when >= written_at(clients, p["secret"], p["version"]).replace(microsecond=0):
        return Live(
            "done", f"{p['name']} was restarted at {restarted_at(dep)}, after the new version", labels_of(dep)
        )
    return Live("eligible", f"{p['name']}: restart onto version {p['version']}", labels_of(dep))


def restart_deployment(item: PlanItem, clients: Clients) -> dict[str, Any]:
    return {"restarted_at": restart(clients, item.params["namespace"], item.params["name"])}


def restart_back(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """The old value back in the Secrets it reads, then a restart onto it (sent once: a template no longer
    carrying the act's restartedAt was restarted by an earlier run of this undo)."""
    p = item.params
    wrote = [put_mirror(clients, p["secret"], p["from_version"], m) for m in p.get("mirrors") or []]
    dep = deployment_doc(clients("k8s"), p["namespace"], p["name"])
    again = any(wrote) or restarted_at(dep) in (None, detail.get("restarted_at"))
    when = restart(clients, p["namespace"], p["name"]) if again else restarted_at(dep)
    return {"restarted_at": when, "wait": {"namespace": p["namespace"], "name": p["name"]}}


item_kind(
    "k8s-rollout-restart",
    action="rollout-restart",
    permissions=(
        "get deployments.apps",
        "patch deployments.apps",
        "get secrets",
        "patch secrets",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecretVersionIds",
    ),  # fmt: skip
    recheck=recheck_restart,
    act=restart_deployment,
    undo=restart_back,
)


def stale_pods(clients: Clients, ns: str, name: str, since: datetime) -> tuple[int, list[str]]:
    """(pods of the deployment, one line per pod that started before `since` or is not Ready)."""
    api = clients("k8s")
    selector = (deployment_doc(api, ns, name).get("spec") or {}).get("selector")
    pods = [
        p for p in api.list_items(f"/api/v1/namespaces/{ns}/pods") if selector_matches(selector, labels_of(p))
    ]
    stale = []
    for pod in pods:
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            continue
        started = (pod.get("status") or {}).get("startTime") or pod["metadata"].get("creationTimestamp")
        old = (stamp(started) or since) < since.replace(microsecond=0)
        if old or not pod_ready(pod):
            why = f"started {started}, before the new version" if old else "not Ready"
            stale.append(f"{ns}/{pod['metadata']['name']} ({why})")
    return len(pods), stale


def verify(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    since = written_at(clients, p["secret"], p["version"])
    counted, stale = 0, list[str]()
    for ref in p["deployments"]:
        ns, _, name = ref.partition("/")
        n, bad = stale_pods(clients, ns, name, since)
        counted, stale = counted + n, stale + bad
    if stale:
        raise RuntimeError(
            f"{len(stale)} pod(s) may still use the old value (version {p['version']} written "
            f"{since:%Y-%m-%dT%H:%M:%SZ}): {', '.join(stale)}"
        )
    return {"pods": counted, "deployments": list(p["deployments"]), "written_at": since.isoformat()}


item_kind(
    "secret-consumers-switched",
    action="verify-pods-switched",
    permissions=("get deployments.apps", "list pods", "secretsmanager:ListSecretVersionIds"),
    recheck=lambda item, clients: Live("eligible", "check every consuming pod started after the new version"),
    act=verify,
    changes_nothing=True,
)
