"""Restore drills of a cluster, for the Tuesday check `velero.restore_drill`: opsbook's own (`opsbook drill
restore`, recorded in the store with the measured time to restore: the first collector that reads the
store) and the guide's manual ones (`velero restore create --from-backup ...`: the Restores Velero keeps,
timed from their start and completion; restored but not compared).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbook.collect.k8s.convert import when
from opsbook.collect.k8s.models import Frozen
from opsbook.collect.k8s.velero import API, NAMESPACE  # the Restores are read where k8s.velero reads Backups
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind


class DrillRun(Frozen):
    """One backup restored in a drill; `source` "opsbook" (compared) or "velero" (a manual Restore)."""

    source: str
    name: str  # the drill id, or the Restore's name
    backup: str
    at: datetime
    ok: bool
    restore_seconds: float | None = None
    differences: int | None = None
    problem: str | None = None


class RestoreDrills(Frozen):
    runs: tuple[DrillRun, ...] = ()


def velero_restore(obj: dict[str, Any]) -> DrillRun | None:
    """A finished Velero Restore as a drill (None while it runs)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    started, done = when(status.get("startTimestamp")), when(status.get("completionTimestamp"))
    phase = status.get("phase") or "New"
    if done is None or phase in ("New", "InProgress"):
        return None
    return DrillRun(source="velero", name=str(meta.get("name", "")), backup=str(spec.get("backupName", "")),
                    at=done, ok=phase == "Completed",
                    restore_seconds=(done - started).total_seconds() if started else None,
                    problem=None if phase == "Completed" else f"Restore ended {phase}")  # fmt: skip


@collector(
    "velero.restore_drills",
    permissions=("list restores.velero.io",),
    target_kind=TargetKind.K8S,
)
def restore_drills(ctx: CollectContext) -> RestoreDrills:
    from kubernetes.client.exceptions import ApiException

    from opsbook.store.db import open_store
    from opsbook.store.drills import drills_of

    try:
        restores = ctx.client("api").list_items(f"{API}/namespaces/{NAMESPACE}/restores")
    except ApiException as exc:
        if exc.status != 404:  # no Velero: no manual drills (k8s.velero_backups reports the missing Velero)
            raise
        restores = []
    runs = [r for r in map(velero_restore, restores) if r is not None]
    store = open_store(ctx.config.storage.url)
    try:
        records = drills_of(store, cluster=ctx.target.cluster or "")
    finally:
        store.close()
    runs += [DrillRun(source="opsbook", name=r.drill_id, backup=r.backup, at=r.finished_at, ok=r.ok,
                      restore_seconds=r.restore_seconds, differences=r.differences, problem=r.problem)
             for r in records]  # fmt: skip
    return RestoreDrills(runs=tuple(sorted(runs, key=lambda r: r.at, reverse=True)))
