"""The typed report: built once per run from a RunResult; every renderer reads it.

Its JSON form (`Report.as_dict()`) is the documented report (docs/report-format.md), key for key and in
the same order as before the model existed; optional keys are left out when unset, as they always were.
"""

from __future__ import annotations

import platform
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, computed_field, model_serializer

from opsbook import __version__
from opsbook.core.events import MAINTENANCE_KEY
from opsbook.core.models import Finding, Severity, Status
from opsbook.engine.runner import RunResult
from opsbook.reports import overview
from opsbook.reports.overview import OverviewTable

REPORT_VERSION = 1  # `report_version`: bumped on a breaking change to the JSON form


class _Part(BaseModel):
    """A report part whose `_optional` keys are left out of the JSON when None. Enums are kept as their
    plain values, details as the checks wrote them (json.dump's `default=str` writes the rest, as before)."""

    model_config = ConfigDict(use_enum_values=True)
    # a class constant, not a pydantic private attribute: those are deep-copied into every instance and
    # read through __getattr__, which made a run of thousands of findings take seconds to build and dump
    _optional: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        optional = self._optional
        return {k: v for k, v in data.items() if not (v is None and k in optional)}


class FindingTarget(_Part):
    _optional: ClassVar[frozenset[str]] = frozenset({"account", "account_id", "region", "cluster", "stack"})
    kind: str
    account: str | None = None
    account_id: str | None = None
    region: str | None = None
    cluster: str | None = None
    stack: str | None = None
    key: str


class ReportFinding(_Part):
    _optional: ClassVar[frozenset[str]] = frozenset({"proposal", "expected_in_window"})
    uid: str
    check_id: str
    status: Status
    severity: Severity
    target: FindingTarget
    resource: dict[str, Any] | None
    message: str
    details: dict[str, Any]
    remediation: str
    proposal: dict[str, Any] | None = None

    # read from the details, not a field: ten fields keep each part's field dict at CPython's next size down
    # (272 bytes, not 464), and computed fields are dumped after the fields, where this key always was
    @computed_field  # type: ignore[prop-decorator]
    @property
    def expected_in_window(self) -> Any:
        """The maintenance window the target is in (its failures are expected, not paged), or None."""
        return self.details.get(MAINTENANCE_KEY)

    @property
    def resource_id(self) -> str:
        return str((self.resource or {}).get("id", ""))


# the field names every ReportFinding is given (report_finding): one set for all (nothing changes it in place)
_FINDING_FIELDS = set(ReportFinding.model_fields)


class TargetSummary(_Part):
    key: str
    error: str | None
    seconds: float
    findings: int


class Summary(_Part):
    by_status: dict[str, int]
    failing_by_severity: dict[str, int]


class Changes(_Part):
    """Since the previous run of the same scope; the lists are absent when the comparison could not run."""

    _optional: ClassVar[frozenset[str]] = frozenset({"new", "resolved", "still_failing"})
    previous_run_id: str | None
    new: list[str] | None = None
    resolved: list[str] | None = None
    still_failing: list[str] | None = None

    def counts(self) -> str | None:
        """`N new, N resolved, N still failing`, or None when the comparison could not run."""
        if self.new is None:
            return None
        return f"{len(self.new)} new, {len(self.resolved or [])} resolved, {len(self.still_failing or [])} still failing"


class Trend(_Part):
    """Failing findings per check over the last runs of the scope (`run_ids`, oldest first, this run last);
    None where the check did not run. Read from the store; absent when the run has no history."""

    run_ids: list[str]
    failing: dict[str, list[int | None]]


class Stats(_Part):
    _optional: ClassVar[frozenset[str]] = frozenset({"api_throttles", "api_errors"})
    api_calls: dict[str, dict[str, int]]
    host: str
    # shaped as api_calls, only the non-zero counts: throttled attempts, calls that ended in an error
    api_throttles: dict[str, dict[str, int]] | None = None
    api_errors: dict[str, dict[str, int]] | None = None


class Report(_Part):
    _optional: ClassVar[frozenset[str]] = frozenset({"extras", "overview", "trend"})
    report_version: int = REPORT_VERSION
    opsbook_version: str = __version__
    run_id: str
    scope: str
    status: str
    started_at: str
    finished_at: str | None
    exit_code: int
    fail_on: Severity
    targets: list[TargetSummary]
    summary: Summary
    store_error: str | None
    changes: Changes
    findings: list[ReportFinding]
    stats: Stats
    extras: dict[str, Any] | None = None
    overview: list[OverviewTable] | None = None  # the review's tables (reports/overview.py); None: none
    trend: Trend | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()

    def verdict(self) -> tuple[str, str]:
        """(OK | FAIL | INCOMPLETE, why), from the exit code: the line every human-readable format ends on."""
        if self.exit_code == 0:
            return "OK", f"nothing failing at or above {self.fail_on}"
        if self.exit_code == 1:
            return "FAIL", f"findings at or above {self.fail_on}"
        if self.store_error and not any(t.error for t in self.targets):
            return "INCOMPLETE", "the run's history was not saved; this report is its only record"
        return "INCOMPLETE", "some targets or checks could not be read"

    def change_labels(self) -> dict[str, str]:
        """uid -> `new` or `still_failing` since the previous run of the scope; other uids are absent."""
        ch = self.changes
        return dict.fromkeys(ch.still_failing or [], "still_failing") | dict.fromkeys(ch.new or [], "new")

    def by_uid(self, uids: list[str] | None) -> list[ReportFinding]:
        wanted = set(uids or [])
        return [f for f in self.findings if f.uid in wanted]


def counts(findings: list[Finding]) -> Summary:
    by_status = {s.value: 0 for s in Status}
    by_sev = {s.value: 0 for s in Severity}
    for f in findings:
        by_status[f.status.value] += 1
        if f.status is Status.FAIL:
            by_sev[f.severity.value] += 1
    return Summary(by_status=by_status, failing_by_severity=by_sev)


def report_finding(f: Finding, targets: dict[str, FindingTarget] | None = None) -> ReportFinding:
    """`targets` (target key -> its part) lets the findings of one target share one part: a run's report
    holds one per target, not one per finding.

    Built without validation (the Finding already is valid): `message`, `details` and `remediation` are the
    Finding's own objects, not copies, and every part shares one set of field names (`_FINDING_FIELDS`, as
    core/models.py's Compact does); a run of tens of thousands of findings holds each part at its own cost
    only. The values are what validation gave: the enums' plain values (use_enum_values), JSON-mode dicts."""
    key = f.target.key
    target = targets.get(key) if targets is not None else None
    if target is None:
        target = FindingTarget(**f.target.model_dump(mode="json"), key=key)
        if targets is not None:
            targets[key] = target
    return ReportFinding.model_construct(
        _FINDING_FIELDS,
        uid=f.uid,
        check_id=f.check_id,
        status=f.status.value,  # type: ignore[arg-type]  # the plain value use_enum_values would keep
        severity=f.severity.value,  # type: ignore[arg-type]
        target=target,
        resource=f.resource.model_dump(mode="json", exclude_none=True) if f.resource else None,
        message=f.message,
        details=f.details,
        remediation=f.remediation,
        proposal=f.proposal.model_dump(mode="json") if f.proposal else None,
    )


def build(result: RunResult, fail_on: Severity, *, release: bool = False) -> Report:
    """The report of `result`. `release`: empty each outcome's findings as they become the report's parts,
    so a large run never holds both (the caller must not need `result`'s findings afterwards: its exit code,
    counts and per-target totals are read here first)."""
    # exported inventory is written as its own files (`--report-dir`); the report only names it
    extras = {k: v for k, v in result.extras.items() if k != "exports"}
    if result.extras.get("exports"):
        extras["exports"] = sorted(result.extras["exports"])
    exit_code = result.exit_code(fail_on)
    summary = counts(result.findings)
    targets = [
        TargetSummary(key=o.target.key, error=o.error, seconds=round(o.seconds, 3), findings=len(o.findings))
        for o in result.outcomes
    ]
    shared: dict[str, FindingTarget] = {}
    findings: list[ReportFinding] = []
    for o in result.outcomes:
        findings.extend(report_finding(f, shared) for f in o.findings)
        if release:
            o.findings = []
    return Report(
        run_id=result.run_id,
        scope=result.scope,
        status=result.status,
        started_at=result.started_at.isoformat(),
        finished_at=result.finished_at.isoformat() if result.finished_at else None,
        exit_code=exit_code,
        fail_on=fail_on,
        targets=targets,
        summary=summary,
        store_error=result.store_error,
        changes=Changes(previous_run_id=result.previous_run_id, **result.diff),
        findings=findings,
        stats=Stats(
            api_calls=result.api_calls,
            host=platform.node(),
            api_throttles=result.api_throttles,
            api_errors=result.api_errors,
        ),
        extras=extras or None,
        overview=overview.tables(findings) or None,
        trend=Trend(run_ids=result.trend.run_ids, failing=result.trend.failing) if result.trend else None,
    )
