"""Which backups a restore drill restores (engine/drill.py), and the findings it reports on the way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.engine.velero import latest_completed
from opsbook.procedures.velero import FAILED

if TYPE_CHECKING:
    from opsbook.engine.drill import DrillRequest

Obj = dict[str, Any]
SCHEDULE_LABEL = "velero.io/schedule-name"
DIFFERENCE, FAILED_ID = "velero.drill_difference", "velero.drill_failed"
REMEDIATION = "velero backup describe <backup> --details; velero restore describe <restore> --details"


class DrillFindings:
    """Where a drill's findings go: all on the cluster's target, each naming the drill."""

    def __init__(self, findings: list[Finding], cluster: str, drill_id: str, vns: str) -> None:
        self.findings, self.drill_id, self.vns = findings, drill_id, vns
        self.target = Target(kind=TargetKind.K8S, cluster=cluster)

    def add(self, check_id: str, status: Status, message: str, resource: Resource, **details: Any) -> None:
        self.findings.append(Finding(
            check_id=check_id, status=status, severity=Severity.INFO if status is Status.PASS else Severity.HIGH,
            target=self.target, resource=resource, message=message, details=details | {"drill": self.drill_id},
            remediation="" if status is Status.PASS else REMEDIATION))  # fmt: skip

    def backup(self, name: str) -> Resource:
        return Resource(id=f"{self.vns}/{name}", type="Backup", name=name)


def _stamp(b: Obj) -> str:
    status = b.get("status") or {}
    return str(status.get("startTimestamp") or b["metadata"].get("creationTimestamp") or "")


def choose(backups: list[Obj], schedules: list[Obj], request: DrillRequest, out: DrillFindings) -> list[tuple[Obj, str | None]]:  # fmt: skip
    """The backups to drill, (backup, schedule); failures found on the way are findings."""
    if request.backup != "latest":
        found = next((b for b in backups if b["metadata"]["name"] == request.backup), None)
        if found is None:
            raise NotFound(
                f"--backup {request.backup}: no such Backup in {request.cluster}/{request.velero_namespace}"
            )
        phase = (found.get("status") or {}).get("phase") or "New"
        if phase != "Completed":
            out.add(FAILED_ID, Status.FAIL, f"backup {request.backup} is {phase}, not Completed: nothing to restore",
                    out.backup(request.backup), phase=phase)  # fmt: skip
            return []
        return [(found, (found["metadata"].get("labels") or {}).get(SCHEDULE_LABEL))]
    names = sorted(s["metadata"]["name"] for s in schedules)
    unknown = [s for s in request.schedules if s not in names]
    if unknown:
        raise InputError(
            f"--schedule {', '.join(unknown)}: no such Velero Schedule (have: {', '.join(names) or 'none'})"
        )
    if not names:
        latest = latest_completed(backups)
        return [(latest, None)] if latest else []
    chosen: list[tuple[Obj, str | None]] = []
    for name in request.schedules or tuple(names):
        own = [b for b in backups if (b["metadata"].get("labels") or {}).get(SCHEDULE_LABEL) == name]
        newest = max(own, key=_stamp, default=None)
        status = (newest or {}).get("status") or {}
        if newest is not None and status.get("phase") in FAILED:
            out.add(FAILED_ID, Status.FAIL, f"schedule {name}: its newest backup {newest['metadata']['name']} "
                    f"ended {status['phase']}" + (f": {status['failureReason']}" if status.get("failureReason") else ""),
                    out.backup(newest["metadata"]["name"]), schedule=name, phase=status["phase"])  # fmt: skip
        latest = latest_completed(own)
        if latest is None:
            out.add(FAILED_ID, Status.FAIL, f"schedule {name} has no Completed backup to restore",
                    Resource(id=f"{out.vns}/{name}", type="Schedule", name=name), schedule=name)  # fmt: skip
        else:
            chosen.append((latest, name))
    return chosen
