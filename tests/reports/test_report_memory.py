"""What a report costs beside the run's findings (issue 19: a 200-account run holds tens of thousands).

The report's finding parts share the Finding's message, details and remediation and one set of field
names; `build(..., release=True)` (the CLI's run) empties the run's findings as they become parts, so the
two are never all alive together. Measured with tracemalloc (allocated bytes, not time or RSS)."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from datetime import UTC, datetime

from opsbook.core.models import Finding, Proposal, Resource, Severity, Status, Target, TargetKind
from opsbook.engine.runner import RunResult, TargetOutcome
from opsbook.reports import formats, model

PER_TARGET = 500
TARGETS = [
    Target(kind=TargetKind.AWS, account=f"acct{a}", account_id=f"{a:012d}", region=region)
    for a in range(2)
    for region in ("us-east-1", "eu-west-1")
]
# measured 2026-12 (Python 3.11, pydantic 2.14): ~830 B a part (its field dict, uid, resource dict and a
# proposal dict on half of them); ~1,020 B while expected_in_window was a field (an 11-key field dict is
# 464 B, a 10-key one 272 B); the validated parts that copied details and field sets cost ~1,930 B
MAX_BYTES_PER_FINDING = 1000


def finding(target: Target, i: int) -> Finding:
    vol = f"vol-{target.account}-{target.region}-{i:06d}"
    failing = i % 2 == 0
    return Finding(
        check_id="ec2.unattached_volumes",
        status=Status.FAIL if failing else Status.PASS,
        severity=Severity.LOW,
        target=target,
        resource=Resource(id=vol, type="AWS::EC2::Volume", arn=f"arn:aws:ec2:{target.region}::volume/{vol}"),
        message=f"volume {vol} (100 GiB gp3) has been unattached for {i} days",
        details={"size_gb": 100, "volume_type": "gp3", "days_unattached": i, "tags": {"Name": vol}},
        remediation="aws ec2 delete-volume",
        proposal=Proposal(procedure="cleanup", kind="ebs-volume", action="delete-volume", params={"id": vol})
        if failing
        else None,
    )


def run() -> RunResult:
    return RunResult(
        run_id="20261201T060000-abcdef",
        scope="daily",
        started_at=datetime(2026, 12, 1, 6, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 6, 1, tzinfo=UTC),
        status="complete",
        outcomes=[TargetOutcome(t, [finding(t, i) for i in range(PER_TARGET)]) for t in TARGETS],
        api_calls={},
    )


def allocated() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_a_report_costs_less_than_a_copy_of_each_finding() -> None:
    result = run()
    n = len(result.findings)
    model.build(result, Severity.HIGH)  # warm: imports, pydantic's schema caches, shared field sets
    tracemalloc.start()
    try:
        before = allocated()
        report = model.build(result, Severity.HIGH)
        cost = allocated() - before
    finally:
        tracemalloc.stop()
    assert len(report.findings) == n == 4 * PER_TARGET
    assert cost / n < MAX_BYTES_PER_FINDING, f"{cost / n:.0f} bytes a finding"
    part, source = report.findings[0], result.outcomes[0].findings[0]
    assert part.details is source.details and part.message is source.message  # shared, not copied


def test_a_released_run_holds_no_findings_and_the_report_has_them_all() -> None:
    result = run()
    kept = model.build(run(), Severity.HIGH)  # the same run, not released
    some = [weakref.ref(f) for o in result.outcomes for f in o.findings[::97]]
    report = model.build(result, Severity.HIGH, release=True)
    gc.collect()
    assert all(o.findings == [] for o in result.outcomes) and result.findings == []
    assert all(ref() is None for ref in some)  # the Findings themselves are gone, not kept by the report
    assert len(report.findings) == 4 * PER_TARGET
    assert [t.findings for t in report.targets] == [PER_TARGET] * 4  # counted before the release
    assert report.summary == kept.summary and report.exit_code == kept.exit_code == 0
    assert formats.get("json").render(report) == formats.get("json").render(kept)
