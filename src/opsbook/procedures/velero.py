"""Velero item kinds (guide: Backup & Restore): the `velero` binary's `backup create` and `restore create`
done as it does them, by creating the velero.io/v1 resource the Velero server acts on.

- `velero-backup`: create a Backup (`velero backup create NAME --include-namespaces ...`); undo deletes
  the Backup resource. Wait `velero-backup-done`: its phase is Completed (progress: items backed up);
  Failed, PartiallyFailed or FailedValidation fail the wait at once with what Velero recorded.
- `velero-restore`: create a Restore (`velero restore create --from-backup NAME`), re-checking that the
  backup is still Completed; journals which mapped target namespaces did not exist right before, and undo
  deletes only those (and only while they carry this restore's `velero.io/restore-name` label), then the
  Restore resource. Wait `velero-restore-done`: phase Completed (warnings allowed).

Item params: `namespace` (Velero's), `name` (the Backup or Restore), `spec`; a restore's `backup` and
`new_namespaces`.
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WaitFailed, wait_condition

GROUP, VERSION = "velero.io", "v1"
PLAN_LABEL = "opsbook.io/plan"
RESTORE_LABEL = "velero.io/restore-name"
FAILED = ("Failed", "PartiallyFailed", "FailedValidation")


def get_or_none(api: Any, path: str) -> dict[str, Any] | None:
    """The object at `path`, or None on 404."""
    from kubernetes.client.exceptions import ApiException

    try:
        doc: dict[str, Any] = api.get_json(path)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return doc


def velero_get(api: Any, ns: str, plural: str, name: str) -> dict[str, Any] | None:
    """The Backup/Restore `name` in `ns`, or None when there is none."""
    return get_or_none(api, f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/{plural}/{name}")


def _ours(doc: dict[str, Any], plan_hash: str) -> bool:
    return ((doc.get("metadata") or {}).get("labels") or {}).get(PLAN_LABEL) == plan_hash[:63]


def _recheck(plural: str, kind: str):  # type: ignore[no-untyped-def]
    def recheck(item: PlanItem, clients: Clients) -> Live:
        p = item.params
        doc = velero_get(clients("k8s"), p["namespace"], plural, p["name"])
        if doc is None:
            return Live("eligible", f"create {kind} {p['namespace']}/{p['name']}")
        if _ours(doc, clients.plan_hash):
            return Live("done", f"{kind} {p['name']} was created by this plan")
        return Live("changed", f"a {kind} named {p['name']} exists already (not made by this plan)")

    return recheck


def velero_create(api: Any, plural: str, kind: str, ns: str, name: str, spec: dict[str, Any],
                  labels: dict[str, str]) -> None:  # fmt: skip
    """Create the velero.io/v1 `kind` (Backup, Restore, DownloadRequest) `ns`/`name`, as the velero CLI does."""
    from kubernetes import client as k8s

    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "labels": labels}, "spec": spec}  # fmt: skip
    k8s.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, ns, plural, body)


def velero_delete(api: Any, plural: str, ns: str, name: str) -> bool:
    """Delete a velero.io/v1 object; False when it was gone already."""
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    try:
        k8s.CustomObjectsApi(api).delete_namespaced_custom_object(GROUP, VERSION, ns, plural, name)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _create(item: PlanItem, clients: Clients, plural: str, kind: str) -> None:
    p = item.params
    labels = {PLAN_LABEL: clients.plan_hash[:63], **(p.get("labels") or {})}
    velero_create(clients("k8s"), plural, kind, p["namespace"], p["name"], p["spec"], labels)


def _delete(clients: Clients, plural: str, ns: str, name: str) -> bool:
    return velero_delete(clients("k8s"), plural, ns, name)


def phase_done(plural: str, kind: str, count: str):  # type: ignore[no-untyped-def]
    """The wait on a Backup's or Restore's phase (`count`: its progress field of items done)."""

    def done(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
        doc = velero_get(clients("k8s"), params["namespace"], plural, params["name"])
        if doc is None:
            raise WaitFailed(f"{kind} {params['name']} is gone")
        return verdict(doc, kind, count)

    return done


def verdict(doc: dict[str, Any], kind: str, count: str) -> tuple[bool, str]:
    """(done, progress) of a Backup/Restore; raises WaitFailed on a phase that will not turn Completed."""
    status, name = doc.get("status") or {}, doc["metadata"]["name"]
    phase, progress = status.get("phase") or "New", status.get("progress") or {}
    said = f"{kind} {name}: {phase}, {progress.get(count, 0)}/{progress.get('totalItems', '?')} items"
    if phase in FAILED:
        problems = [f"{status.get('errors', 0)} errors", f"{status.get('warnings', 0)} warnings"]
        problems += [str(status[k]) for k in ("failureReason",) if status.get(k)]
        problems += [str(v) for v in status.get("validationErrors") or []]
        raise WaitFailed(
            f"{said} ({'; '.join(problems)}); see `velero {kind.lower()} describe {name} --details`"
        )
    if phase == "Completed" and status.get("warnings"):
        said += f", {status['warnings']} warnings"
    return phase == "Completed", said


# -- velero backup create ------------------------------------------------------------------------------------


def create_backup(item: PlanItem, clients: Clients) -> dict[str, Any]:
    _create(item, clients, "backups", "Backup")
    return {"backup": item.params["name"]}


def delete_backup(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    p = item.params
    return {"deleted": _delete(clients, "backups", p["namespace"], p["name"])}


item_kind(
    "velero-backup",
    action="create-velero-backup",
    permissions=("get backups.velero.io", "create backups.velero.io", "delete backups.velero.io"),
    recheck=_recheck("backups", "Backup"),
    act=create_backup,
    undo=delete_backup,
)
wait_condition(
    "velero-backup-done",
    phase_done("backups", "Backup", "itemsBackedUp"),
    description="the Velero Backup's phase is Completed",
)


# -- velero restore create -----------------------------------------------------------------------------------


def recheck_restore(item: PlanItem, clients: Clients) -> Live:
    live = _recheck("restores", "Restore")(item, clients)
    if live.state != "eligible":
        return live
    p = item.params
    backup = velero_get(clients("k8s"), p["namespace"], "backups", p["backup"])
    phase = ((backup or {}).get("status") or {}).get("phase")
    if phase != "Completed":
        return Live("changed", f"backup {p['backup']} is {phase or 'gone'} now, not Completed")
    return live


def create_restore(item: PlanItem, clients: Clients) -> dict[str, Any]:
    api = clients("k8s")
    created = [ns for ns in item.params["new_namespaces"] if not get_or_none(api, f"/api/v1/namespaces/{ns}")]
    _create(item, clients, "restores", "Restore")
    return {"restore": item.params["name"], "created": created}


def undo_restore(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    from kubernetes import client as k8s

    p, api = item.params, clients("k8s")
    removed, kept = [], []
    for ns in detail.get("created", p["new_namespaces"]):  # label-checked below
        doc = get_or_none(api, f"/api/v1/namespaces/{ns}")
        if doc is None:
            continue
        if ((doc.get("metadata") or {}).get("labels") or {}).get(RESTORE_LABEL) != p["name"]:
            kept.append(ns)  # not made by this restore: never deleted
            continue
        k8s.CoreV1Api(api).delete_namespace(ns)
        removed.append(ns)
    _delete(clients, "restores", p["namespace"], p["name"])
    return {"deleted_namespaces": removed, "kept_namespaces": kept}


item_kind(
    "velero-restore",
    action="create-velero-restore",
    permissions=(
        "get backups.velero.io",
        "get restores.velero.io",
        "create restores.velero.io",
        "delete restores.velero.io",
        "get namespaces",
        "delete namespaces",
    ),  # fmt: skip
    recheck=recheck_restore,
    act=create_restore,
    undo=undo_restore,
)
wait_condition(
    "velero-restore-done",
    phase_done("restores", "Restore", "itemsRestored"),
    description="the Velero Restore's phase is Completed",
)
