"""An in-memory RunResult with every kind of finding a renderer must handle, hostile text included."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from opsbook.core.events import MAINTENANCE_KEY
from opsbook.core.models import Finding, Proposal, Resource, Severity, Status, Target, TargetKind
from opsbook.engine.runner import RunResult, TargetOutcome

HOSTILE = "<script>alert(1)</script>"
HOSTILE_TAG = '"><img src=x onerror=alert(1)>'

PROD = Target(kind=TargetKind.AWS, account="prod", account_id="111111111111", region="us-east-1")
CLUSTER = Target(kind=TargetKind.K8S, cluster="my-cluster")
DEV = Target(kind=TargetKind.AWS, account="dev", region="eu-west-1")


def finding(
    check: str, status: Status, severity: Severity, target: Target, res: str | None, **kw: object
) -> Finding:
    resource = Resource(id=res, type="x") if res else None
    return Finding(check_id=check, status=status, severity=severity, target=target, resource=resource,
                   message=str(kw.pop("message", f"{res or 'target'} {status.value}")), **kw)  # type: ignore[arg-type]  # fmt: skip


def run_result(*, compared: bool = True) -> RunResult:
    prod = [
        finding(
            "rds.instance_not_available",
            Status.FAIL,
            Severity.HIGH,
            PROD,
            "my-database-reporting",
            remediation="aws rds start-db-instance",
            details={"state": "stopped"},
        ),  # fmt: skip
        finding(
            "ec2.unattached_volumes",
            Status.FAIL,
            Severity.LOW,
            PROD,
            f"vol-1{HOSTILE}",
            message=f"volume {HOSTILE} unattached",
            details={"tags": {"Name": HOSTILE_TAG}},
            proposal=Proposal(procedure="cleanup", kind="ebs-volume", action="delete-volume"),
        ),  # fmt: skip
        finding(
            "rds.cpu_high",
            Status.PASS,
            Severity.MEDIUM,
            PROD,
            "my-database",
            details={"cpu_avg": 20.5, "seen": datetime(2026, 12, 1, 6, tzinfo=UTC)},
        ),  # fmt: skip
        finding("rds.storage_low", Status.SKIPPED, Severity.MEDIUM, PROD, None, message="no RDS"),
    ]
    k8s = [
        finding(
            "k8s.pods_not_ready", Status.ERROR, Severity.HIGH, CLUSTER, None, message="forbidden: list pods"
        ),
        finding(
            "k8s.pods_crashlooping",
            Status.FAIL,
            Severity.CRITICAL,
            CLUSTER,
            "default/web-1",
            details={MAINTENANCE_KEY: 7},
        ),  # fmt: skip
    ]
    result = RunResult(
        run_id="20261201T060000-abcdef",
        scope="daily",
        started_at=datetime(2026, 12, 1, 6, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 6, 1, tzinfo=UTC),
        status="complete",
        outcomes=[
            TargetOutcome(target=PROD, findings=prod, seconds=1.23456),
            TargetOutcome(target=CLUSTER, findings=k8s, seconds=0.5),
            TargetOutcome(target=DEV, error="could not assume role"),
        ],
        api_calls={"aws:prod/us-east-1": {"rds:DescribeDBInstances": 1}},
        extras={"exports": {"compliance": {}}, "notifications": [{"channel": "ops", "ok": True}]},
    )
    if compared:
        result.previous_run_id = "20261130T060000-000000"
        result.diff = {"new": [prod[1].uid], "resolved": ["gone0000000000000000"],
                       "still_failing": [prod[0].uid, k8s[1].uid]}  # fmt: skip
    else:
        result.store_error = "store unreachable"
    return result


class Chunks(io.StringIO):
    """A file that counts its writes: a streamed format writes many times, a rendered one once."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)
