"""`opsbook drill restore`: the guide's Tuesday "Test restore procedure (in test environment)", end to end.

Order of work:
1. read Velero's Schedules and Backups; pick, per schedule (all, or `--schedule`), its latest Completed
   backup, or the one `--backup NAME`. A schedule whose newest backup ended Failed/PartiallyFailed, or
   that has no Completed one, is a `velero.drill_failed` finding;
2. per backup: read its contents (a DownloadRequest, `drill_contents.py`), map each namespace it holds
   (but Velero's own) to a scratch namespace `<ns>-drill-<id>` that must not exist yet;
3. create the Restore (the spec `restore-velero` creates, `engine/velero.restore_spec`, limited to those
   namespaces, no cluster-scoped resources), wait on its phase with progress and time it;
4. compare what came back with the backup's contents (`drill_compare.py`) and its recorded item count:
   every difference is a `velero.drill_difference` finding;
5. always (an error, Ctrl-C) delete the scratch namespaces and the Restore, unless `keep`;
6. the caller records the drill in the store (`record`), one row per backup with its time to restore.

It runs directly, not through a plan: it changes nothing but the scratch objects it names and removes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, TargetFailed
from opsbook.core.models import Finding, Resource, Severity, Status
from opsbook.engine.drill_choose import DIFFERENCE, FAILED_ID, DrillFindings, choose
from opsbook.engine.drill_compare import Comparison, compare
from opsbook.engine.drill_contents import download_contents
from opsbook.engine.velero import restore_spec
from opsbook.procedures.steps import WaitFailed
from opsbook.procedures.velero import get_or_none, velero_create, velero_delete, velero_get, verdict
from opsbook.store.drills import DrillRecord

Obj = dict[str, Any]
Progress = Callable[[str], None]
DRILL_LABEL = "opsbook.io/drill"


@dataclass(frozen=True)
class DrillRequest:
    cluster: str
    backup: str = "latest"
    schedules: tuple[str, ...] = ()
    keep: bool = False
    velero_namespace: str = "velero"
    timeout: float = 3600
    poll_interval: float = 1.0


@dataclass
class BackupDrill:
    backup: str
    schedule: str | None
    restore: str = ""
    namespaces: dict[str, str] = field(default_factory=dict)
    phase: str = ""
    restore_seconds: float | None = None
    items: int = 0
    comparison: Comparison | None = None
    problem: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.comparison is not None and not self.comparison.differences


@dataclass
class DrillResult:
    drill_id: str
    cluster: str
    keep: bool
    backups: list[BackupDrill] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    store_error: str | None = None

    def exit_code(self, fail_on: Severity) -> int:
        """As `opsbook run`: 3 when the store failed, 1 on failing findings at/above `fail_on`, else 0."""
        if self.store_error:
            return 3
        return 1 if any(f.status is Status.FAIL and f.severity >= fail_on for f in self.findings) else 0

    def summary(self) -> Obj:
        return {"drill": self.drill_id, "cluster": self.cluster, "kept": self.keep,
                "backups": [{"backup": b.backup, "schedule": b.schedule, "restore": b.restore, "phase": b.phase,
                             "ok": b.ok, "restore_seconds": b.restore_seconds, "items": b.items,
                             "namespaces": b.namespaces, "problem": b.problem,
                             "differences": len(b.comparison.differences) if b.comparison else None}
                            for b in self.backups],
                "store_error": self.store_error}  # fmt: skip

    def records(self) -> list[DrillRecord]:
        return [DrillRecord(self.drill_id, self.cluster, b.backup, b.schedule, b.started_at,
                            b.finished_at or b.started_at, b.ok, b.restore_seconds, b.items,
                            len(b.comparison.differences) if b.comparison else 0, b.problem)
                for b in self.backups]  # fmt: skip


def scratch_name(namespace: str, drill_id: str) -> str:
    suffix = f"-drill-{drill_id}"
    return namespace[: 63 - len(suffix)].rstrip("-") + suffix


def run_drill(cfg: Config, request: DrillRequest, progress: Progress = lambda _: None) -> DrillResult:
    """Drill every chosen backup of `request.cluster` in turn; see the module's order of work."""
    from opsbook.engine.estate import expand
    from opsbook.engine.workload import DNS_LABEL, DNS_NAME, cluster_api

    cfg = expand(cfg)  # clusters the Atmos stacks add, as in a run
    if request.cluster not in (names := [c.name for c in cfg.clusters]):
        raise InputError(
            f"--cluster {request.cluster}: no such cluster (have: {', '.join(names) or 'none configured'})"
        )
    if request.backup != "latest" and not DNS_NAME.fullmatch(request.backup):
        raise InputError(f"--backup {request.backup!r}: expected a Backup name or 'latest'")
    if request.backup != "latest" and request.schedules:
        raise InputError("--schedule: only with --backup latest (a named backup is one backup)")
    if not DNS_LABEL.fullmatch(request.velero_namespace):
        raise InputError(f"--velero-namespace {request.velero_namespace!r}: expected a namespace name")
    drill_id = secrets.token_hex(3)
    result = DrillResult(drill_id, request.cluster, request.keep)
    out = DrillFindings(result.findings, result.cluster, drill_id, request.velero_namespace)
    vns = request.velero_namespace
    with cluster_api(cfg, request.cluster, "restore drill") as api:
        if get_or_none(api, f"/api/v1/namespaces/{vns}") is None:
            raise NotFound(f"--velero-namespace {vns}: no such namespace in cluster {request.cluster}")
        backups = api.list_items(f"/apis/velero.io/v1/namespaces/{vns}/backups")
        schedules = api.list_items(f"/apis/velero.io/v1/namespaces/{vns}/schedules")
        chosen = choose(backups, schedules, request, out)
        if not chosen and not result.findings:
            out.add(FAILED_ID, Status.FAIL, f"no Completed Velero backup in {request.cluster}/{vns} to restore",
                    Resource(id=f"namespace/{vns}", type="Namespace", name=vns))  # fmt: skip
        for n, (backup, schedule) in enumerate(chosen, 1):
            drill = BackupDrill(backup["metadata"]["name"], schedule)
            result.backups.append(drill)
            progress(
                f"[{n}/{len(chosen)}] backup {drill.backup}" + (f" (schedule {schedule})" if schedule else "")
            )
            try:
                _drill_one(api, request, drill, backup, drill_id, progress)
            except TargetFailed as exc:
                drill.problem = str(exc)
            finally:
                drill.finished_at = datetime.now(UTC)
                if drill.restore and not request.keep:
                    _cleanup(api, vns, drill, progress)
            _report(drill, out, request.keep)
    return result


def _drill_one(api: Any, request: DrillRequest, drill: BackupDrill, backup: Obj, drill_id: str,
               progress: Progress) -> None:  # fmt: skip
    vns, labels = request.velero_namespace, {DRILL_LABEL: drill_id}
    items = download_contents(
        api, vns, drill.backup, f"drill-{drill_id}-{drill.backup}"[:63].rstrip("-"), labels
    )
    drill.items = len(items)
    recorded = ((backup.get("status") or {}).get("progress") or {}).get("itemsBackedUp")
    if recorded is not None and recorded != len(items):
        drill.problem = f"Velero recorded {recorded} items backed up, its contents hold {len(items)}"
    namespaces = sorted({i.namespace for i in items.values() if i.namespace} - {vns})
    if not namespaces:
        drill.problem = drill.problem or "the backup holds no namespaced objects to restore"
        return
    drill.namespaces = {ns: scratch_name(ns, drill_id) for ns in namespaces}
    taken = [s for s in drill.namespaces.values() if get_or_none(api, f"/api/v1/namespaces/{s}") is not None]
    if taken:
        raise InputError(f"scratch namespace {', '.join(taken)} exists already in {request.cluster}")
    drill.restore = f"drill-{drill_id}-{drill.backup}"[:63].rstrip("-")
    spec = restore_spec(drill.backup, drill.namespaces, included=namespaces)
    progress(f"  restore {drill.restore}: {len(namespaces)} namespaces into *-drill-{drill_id}")
    started = time.monotonic()
    velero_create(api, "restores", "Restore", vns, drill.restore, spec, labels)
    said = ""
    try:
        while True:
            doc = velero_get(api, vns, "restores", drill.restore)
            if doc is None:
                raise TargetFailed(f"Restore {drill.restore} is gone")
            done, now_said = verdict(doc, "Restore", "itemsRestored")
            drill.phase = (doc.get("status") or {}).get("phase") or "New"
            if now_said != said:
                progress(f"  {now_said}")
                said = now_said
            if done:
                drill.restore_seconds = round(time.monotonic() - started, 2)
                break
            if time.monotonic() - started > request.timeout:
                raise TargetFailed(
                    f"Restore {drill.restore} not Completed after {request.timeout:g} s ({said})"
                )
            time.sleep(request.poll_interval)
    except WaitFailed as exc:
        drill.phase = drill.phase or "Failed"
        drill.problem = str(exc)
        if drill.phase != "PartiallyFailed":
            return  # nothing came back to compare
    drill.comparison = compare(api, list(items.values()), drill.namespaces, drill.restore)


def _cleanup(api: Any, vns: str, drill: BackupDrill, progress: Progress) -> None:
    # each scratch namespace was checked absent before the restore made it: only the drill's own are deleted
    removed = [s for s in drill.namespaces.values() if api.delete(f"/api/v1/namespaces/{s}")]
    velero_delete(api, "restores", vns, drill.restore)
    progress(f"  cleaned up: Restore {drill.restore}, {len(removed)} scratch namespaces")


def _report(drill: BackupDrill, out: DrillFindings, keep: bool) -> None:
    res = out.backup(drill.backup)
    details: Obj = {"restore": drill.restore, "schedule": drill.schedule, "phase": drill.phase,
                    "restore_seconds": drill.restore_seconds, "items": drill.items,
                    "namespaces": drill.namespaces, "kept": keep}  # fmt: skip
    if drill.problem:
        out.add(FAILED_ID, Status.FAIL, f"backup {drill.backup}: {drill.problem}", res, **details)
    comparison = drill.comparison
    if comparison is None:
        return
    details["counts"] = {k: {"backup": c[0], "restored": c[1]} for k, c in sorted(comparison.counts.items())}
    for d in comparison.differences:
        out.add(DIFFERENCE, Status.FAIL, f"backup {drill.backup}: {d.message}",
                Resource(id=f"{drill.backup}/{d.kind}/{d.namespace}/{d.name}", type=d.kind, name=d.name),
                backup=drill.backup, problem=d.problem, namespace=d.namespace,
                scratch_namespace=drill.namespaces.get(d.namespace))  # fmt: skip
    if not comparison.differences and not drill.problem:
        out.add(DIFFERENCE, Status.PASS,
                f"backup {drill.backup}: {comparison.compared} objects restored in {drill.restore_seconds} s, "
                f"no differences", res, **details)  # fmt: skip


def record(cfg: Config, result: DrillResult) -> None:
    """Write the drill's records to the store; a store that fails sets `result.store_error` (exit 3)."""
    from opsbook.core.errors import StoreUnavailable, one_line
    from opsbook.store.db import open_store
    from opsbook.store.drills import record_drill

    if not result.backups:
        return
    try:
        store = open_store(cfg.storage.url)
    except StoreUnavailable as exc:
        result.store_error = str(exc)
        return
    try:
        record_drill(store, records=result.records())
    except Exception as exc:  # noqa: BLE001 - a store that fails must not cost the drill its report
        result.store_error = f"store: recording the drill failed: {one_line(str(exc))}"
    finally:
        store.close()
