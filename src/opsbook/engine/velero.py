"""Planners of the guide's Velero commands (Backup & Restore), read-only: they look at the cluster and
write one step each; `opsbook apply` creates the velero.io/v1 resource and waits on its phase.

`backup-velero` (`velero backup create NAME --include-namespaces default,production`): refuses namespaces
that do not exist, a cluster with no Available BackupStorageLocation, and a Backup of that name.
`restore-velero` (`velero restore create --from-backup NAME`): NAME or `latest` (the newest Completed
backup); refuses a backup that is not Completed; `--namespace-mapping prod=prod-restore` restores into
other namespaces, and the target namespaces that do not exist yet are the only ones `--rollback` deletes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.cron import CronError, go_duration
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Resource
from opsbook.engine.workload import DNS_LABEL, DNS_NAME, cluster_api, one_cluster, step
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.velero import GROUP, VERSION, velero_get

BACKUP = "Backup & Restore / Backup Operations"
RESTORE = "Backup & Restore / Restore Operations"
BACKUP_GATE = ("k8s.velero_backups",)
RESTORE_GATE = ("k8s.node_not_ready", "k8s.node_pressure")  # a restore adds load: the nodes must hold it
# what `backup-all` leaves out when no namespaces are named (Velero's own namespace too)
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


class VeleroParams(ProcedureParams):
    velero_namespace: str = Field("velero", description="The namespace Velero runs in.")
    wait_timeout: int = Field(3600, ge=10, le=86400, description="Seconds to wait for the phase.")
    poll_interval: float = Field(1.0, ge=0.1, le=60, description="Seconds between looks at the phase.")


class BackupVeleroParams(VeleroParams):
    namespaces: str = Field(
        description="Namespaces to back up, comma-separated (velero --include-namespaces)."
    )
    name: str | None = Field(None, description="The Backup's name (default backup-YYYYMMDD-HHMMSS).")
    ttl: str = Field("720h", description="How long Velero keeps the backup (Go duration: 720h, 24h30m).")


class RestoreVeleroParams(VeleroParams):
    backup: str = Field(description="The Backup to restore, or 'latest' (the newest Completed one).")
    namespace_mapping: str | None = Field(
        None, description="Restore into other namespaces: SRC=DEST[,SRC=DEST] (velero --namespace-mapping)."
    )


def _one_cluster(cfg: Config, request: PlanRequest, name: str, velero_ns: str) -> tuple[str, str]:
    found = one_cluster(cfg, request, name)
    check_velero_namespace(name, velero_ns)
    return found


def check_velero_namespace(procedure: str, velero_ns: str) -> None:
    if not DNS_LABEL.fullmatch(velero_ns):
        raise InputError(
            f"opsbook plan {procedure}: --velero-namespace {velero_ns!r}: expected a namespace name"
        )


def namespace_list(procedure_name: str, option: str, text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if not DNS_LABEL.fullmatch(n)]
    if not names or bad:
        raise InputError(
            f"opsbook plan {procedure_name}: {option} {text!r}: expected namespace names, comma-separated"
        )
    return names


def _path(ns: str, plural: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/{plural}"


def _plan(name: str, items: list[Any], params: ProcedureParams, request: PlanRequest, cluster: str,
          warnings: list[str] | None = None) -> Plan:  # fmt: skip
    parameters = params.model_dump(mode="json") | {"cluster": cluster}
    return new_plan(
        name, items, ttl=request.ttl, ordered=True, parameters=parameters, warnings=warnings or []
    )


def _included(backup: dict[str, Any]) -> list[str]:
    return list((backup.get("spec") or {}).get("includedNamespaces") or ["*"])


def not_held(backup: dict[str, Any], sources: Iterable[str], namespaces: list[dict[str, Any]]) -> list[str]:
    """The namespaces of `sources` that `backup` cannot hold, as far as its spec and the cluster tell: not
    among its included namespaces, among its excluded ones, or, for a backup of every namespace, one that
    exists now and was created after the backup started."""
    spec, started = backup.get("spec") or {}, (backup.get("status") or {}).get("startTimestamp") or ""
    included, excluded = _included(backup), set(spec.get("excludedNamespaces") or [])
    created = {n["metadata"]["name"]: n["metadata"].get("creationTimestamp") or "" for n in namespaces}
    return [s for s in sources if ("*" not in included and s not in included) or s in excluded
            or (started and created.get(s, "") > started)]  # fmt: skip


@procedure(
    "backup-velero",
    title="Create a Velero Backup of the given namespaces, wait until Completed, fail on Velero's errors",
    section=BACKUP,
    kinds=("velero-backup",),
    params=BackupVeleroParams,
    examples=(
        "opsbook plan backup-velero --cluster my-cluster --namespaces default,production -o backup.json",
    ),
    targets=("cluster",),
)
def plan_backup_velero(cfg: Config, params: BackupVeleroParams, request: PlanRequest) -> Plan:
    proc = "backup-velero"
    cluster, account = _one_cluster(cfg, request, proc, params.velero_namespace)
    namespaces = namespace_list(proc, "--namespaces", params.namespaces)
    name = params.name or f"backup-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    item = backup_item(cfg, cluster, account, namespaces, name, params.ttl, params, proc)
    return _plan(proc, [item], params, request, cluster)


def check_ttl(procedure: str, ttl: str) -> None:
    """Refuse a `--ttl` Velero would not parse (a Go duration: 720h, 24h30m)."""
    try:
        go_duration(ttl)
    except CronError:
        raise InputError(
            f"opsbook plan {procedure}: --ttl {ttl!r}: expected a duration such as 720h or 24h30m"
        ) from None


def backup_item(cfg: Config, cluster: str, account: str, namespaces: list[str] | None, name: str, ttl: str,
                params: VeleroParams, proc: str, item_id: int = 1) -> PlanItem:  # fmt: skip
    """The step that creates Backup `name` of `namespaces` on `cluster` (None: every namespace but the
    system ones and Velero's, as listed now). Reads the cluster; refuses missing namespaces, no Available
    BackupStorageLocation, a Backup of that name. Shared by `backup-velero` and `backup-all`."""
    if not DNS_NAME.fullmatch(name):
        raise InputError(f"opsbook plan {proc}: --name {name!r}: expected a lowercase DNS name")
    check_ttl(proc, ttl)
    vns = params.velero_namespace
    with cluster_api(cfg, cluster, "list backupstoragelocations.velero.io") as api:
        have = [n["metadata"]["name"] for n in api.list_items("/api/v1/namespaces")]
        if namespaces is None:
            namespaces = [n for n in have if n not in SYSTEM_NAMESPACES and n != vns]
        missing = [n for n in namespaces if n not in have]
        if missing:
            raise NotFound(
                f"opsbook plan {proc}: namespace {', '.join(missing)} not found in cluster {cluster}"
            )
        if not namespaces:
            raise InputError(f"opsbook plan {proc}: cluster {cluster} has no namespace to back up")
        locations = api.list_items(_path(vns, "backupstoragelocations")) if vns in have else []
        ready = [b for b in locations if (b.get("status") or {}).get("phase") == "Available"]
        if not ready:
            raise InputError(f"opsbook plan {proc}: no Available BackupStorageLocation in {cluster}/{vns}")
        if velero_get(api, vns, "backups", name) is not None:
            raise InputError(
                f"opsbook plan {proc}: Backup {vns}/{name} exists already in {cluster} (choose --name)"
            )
    location = next((b for b in ready if (b.get("spec") or {}).get("default")), ready[0])["metadata"]["name"]
    spec = {"includedNamespaces": namespaces, "storageLocation": location, "ttl": ttl}
    return step(item_id, "velero-backup", "create-velero-backup", Resource(id=f"{vns}/{name}", type="Backup", name=name),
                f"velero backup create {name} --include-namespaces {','.join(namespaces)} --ttl {ttl} "
                f"(storage location {location})", account=account, cluster=cluster,
                params={"namespace": vns, "name": name, "spec": spec,
                        "labels": {"velero.io/storage-location": location}},
                wait=Wait(condition="velero-backup-done", params={"namespace": vns, "name": name},
                          timeout_s=params.wait_timeout, interval_s=params.poll_interval),
                gate=list(BACKUP_GATE))  # fmt: skip


def _mapping(text: str | None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in (text or "").split(","):
        src, sep, dest = part.strip().partition("=")
        if not (sep and DNS_LABEL.fullmatch(src) and DNS_LABEL.fullmatch(dest)) or src in pairs:
            raise InputError(
                f"opsbook plan restore-velero: --namespace-mapping {text!r}: expected SRC=DEST[,SRC=DEST]"
            )
        pairs[src] = dest
    return pairs


def latest_completed(backups: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest Completed backup of `backups` (by completion, else start time), or None."""
    done = [b for b in backups if (b.get("status") or {}).get("phase") == "Completed"]
    stamp = lambda b: b["status"].get("completionTimestamp") or b["status"].get("startTimestamp") or ""  # noqa: E731
    return max(done, key=stamp, default=None)


def restore_spec(backup: str, mapping: dict[str, str], included: list[str] | None = None) -> dict[str, Any]:
    """A Restore's spec (`velero restore create --from-backup B [--namespace-mapping] [--include-namespaces]`);
    limited to `included` namespaces it restores no cluster-scoped resources."""
    spec: dict[str, Any] = {"backupName": backup}
    if included:
        spec |= {"includedNamespaces": included, "includeClusterResources": False}
    return spec | ({"namespaceMapping": mapping} if mapping else {})


def absent_from_contents(api: Any, vns: str, backup: str, sources: list[str]) -> tuple[list[str], list[str]]:
    """Which of `sources` (namespaces gone from the cluster) an every-namespace `backup` holds no object of,
    read from its contents as `velero backup describe --details` reads them (a DownloadRequest, deleted
    again); when Velero does not answer, none, and a warning saying it could not be told."""
    from opsbook.core.errors import TargetFailed
    from opsbook.engine.drill_contents import download_contents

    request = f"opsbook-plan-{backup}"[:57].rstrip("-") + f"-{datetime.now(UTC):%H%M%S}"
    try:
        items = download_contents(
            api, vns, backup, request, {"opsbook.io/purpose": "plan-restore"}, timeout=30
        )
    except TargetFailed as exc:
        return [], [f"Backup {backup} is of every namespace and {', '.join(sources)} no longer exists: whether "
                    f"the backup holds it could not be read ({exc}); a restore of a namespace it lacks restores "
                    "nothing"]  # fmt: skip
    held = {namespace for (_, namespace, _) in items}
    return [s for s in sources if s not in held], []


@procedure(
    "restore-velero",
    title="Create a Velero Restore from a Completed backup (optionally into mapped namespaces), wait until "
    "Completed",
    section=RESTORE,
    kinds=("velero-restore",),
    params=RestoreVeleroParams,
    examples=(
        "opsbook plan restore-velero --cluster my-cluster --backup latest --namespace-mapping production=prod-restore",
        "opsbook plan restore-velero --cluster my-cluster --backup my-backup-20250101 -o restore.json",
    ),
    targets=("cluster",),
)
def plan_restore_velero(cfg: Config, params: RestoreVeleroParams, request: PlanRequest) -> Plan:
    proc = "restore-velero"
    cluster, account = _one_cluster(cfg, request, proc, params.velero_namespace)
    mapping = _mapping(params.namespace_mapping) if params.namespace_mapping else {}
    if params.backup != "latest" and not DNS_NAME.fullmatch(params.backup):
        raise InputError(
            f"opsbook plan {proc}: --backup {params.backup!r}: expected a Backup name or 'latest'"
        )
    vns = params.velero_namespace
    with cluster_api(cfg, cluster, "list backups.velero.io") as api:
        backups = api.list_items(_path(vns, "backups"))
        namespaces = api.list_items("/api/v1/namespaces")
        have = {n["metadata"]["name"] for n in namespaces}
        found = latest_completed(backups) if params.backup == "latest" else next(
            (b for b in backups if b["metadata"]["name"] == params.backup), None)  # fmt: skip
        if found is None:
            raise NotFound(f"opsbook plan {proc}: no {'Completed ' if params.backup == 'latest' else ''}Backup "
                           f"{params.backup} in {cluster}/{vns}")  # fmt: skip
        backup, status = found["metadata"]["name"], found.get("status") or {}
        if status.get("phase") != "Completed":
            raise InputError(
                f"opsbook plan {proc}: Backup {backup} is {status.get('phase') or 'New'}, not Completed"
            )
        outside = not_held(found, mapping, namespaces)
        unknown = sorted(set(mapping) - have - set(outside))
        warnings: list[str] = []
        if unknown and "*" in _included(found):
            absent, warnings = absent_from_contents(api, vns, backup, unknown)
            outside += absent
    if outside:
        raise InputError(f"opsbook plan {proc}: Backup {backup} does not hold namespace {', '.join(outside)}")
    new = sorted(dest for dest in mapping.values() if dest not in have)
    name = f"{backup}-{datetime.now(UTC):%Y%m%d%H%M%S}"
    spec = restore_spec(backup, mapping)
    into = f" --namespace-mapping {params.namespace_mapping}" if mapping else ""
    reason = (f"velero restore create {name} --from-backup {backup}{into} (backup completed "
              f"{status.get('completionTimestamp', '?')}, {(status.get('progress') or {}).get('itemsBackedUp', '?')} "
              f"items); existing objects are skipped" + (f"; new namespaces: {', '.join(new)}" if new else ""))  # fmt: skip
    item = step(1, "velero-restore", "create-velero-restore", Resource(id=f"{vns}/{name}", type="Restore", name=name),
                reason, account=account, cluster=cluster,
                params={"namespace": vns, "name": name, "backup": backup, "spec": spec, "new_namespaces": new},
                evidence={"backup_phase": "Completed", "existing_targets": sorted(set(mapping.values()) - set(new))},
                wait=Wait(condition="velero-restore-done", params={"namespace": vns, "name": name},
                          timeout_s=params.wait_timeout, interval_s=params.poll_interval),
                gate=list(RESTORE_GATE))  # fmt: skip
    return _plan(proc, [item], params, request, cluster, warnings)
