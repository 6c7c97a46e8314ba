"""Prometheus metrics of runs, in the text exposition format 0.0.4 (docs/metrics.md).

    render_run(report, store=None)   one run, plus the last successful run of its scopes from the store
    render_store(store)              the newest run of every scope in the store (the web app's /metrics)

Labels are bounded: scope, check, target (the configured account/region or cluster key) and its kind,
status, severity, service and operation; never a resource id, a message or a run id. Counts of one run are
gauges (the next run replaces them); API calls are summed over the run's targets per service and operation.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from opsbook.core.models import Status
from opsbook.reports.model import Report
from opsbook.store.db import Store
from opsbook.store.run_counts import PerTarget, RunCounts, covered, last_success, latest_runs
from opsbook.store.runs import FINISHED

Labels = tuple[tuple[str, str], ...]


# every metric, in output order, with its HELP text (constant: node-exporter wants one HELP across files)
HELP = {
    "opsbook_findings": "Findings of the scope's latest run per check, target, status and severity.",
    "opsbook_run_success": "1 when the latest run completed and read every target and check, else 0.",
    "opsbook_run_exit_code": "Exit code of the run (0 clean, 1 failing findings, 3 incomplete).",
    "opsbook_run_status": "1 for the latest run's status (complete or interrupted), 0 for the other.",
    "opsbook_run_duration_seconds": "Wall-clock seconds the latest run took.",
    "opsbook_run_finished_timestamp_seconds": "When the latest run finished (Unix time).",
    "opsbook_run_targets": "Targets the latest run used.",
    "opsbook_run_targets_failed": "Targets the latest run could not use at all.",
    "opsbook_target_failed": "1 when the latest run could not use this target at all, else 0.",
    "opsbook_target_duration_seconds": "Seconds the latest run spent on this target.",
    "opsbook_api_calls": "AWS and Kubernetes API calls the latest run made.",
    "opsbook_api_throttles": "Throttled answers the latest run got (each retried or final attempt).",
    "opsbook_api_errors": "API calls of the latest run that ended in an error answer or none.",
    "opsbook_last_success_timestamp_seconds": (
        "When the newest successful run that ran the scope finished (Unix time)."
    ),
}


@dataclass
class Family:
    name: str
    help: str
    samples: dict[Labels, float] = field(default_factory=dict)

    def add(self, value: float, **labels: str) -> None:
        key = tuple(labels.items())
        self.samples[key] = self.samples.get(key, 0) + value


def escape_label(value: str) -> str:
    """A label value as the exposition format quotes it: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def number(value: float) -> str:
    if isinstance(value, int) or (math.isfinite(value) and value == int(value) and abs(value) < 2**53):
        return str(int(value))
    return repr(round(value, 3)) if math.isfinite(value) else ("NaN" if math.isnan(value) else f"{value:+}")


def exposition(families: Iterable[Family]) -> str:
    """Families as exposition text: HELP and TYPE (all gauges) then samples sorted by labels."""
    lines: list[str] = []
    for fam in families:
        lines += [f"# HELP {fam.name} {escape_help(fam.help)}", f"# TYPE {fam.name} gauge"]
        for labels, value in sorted(fam.samples.items()):
            inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels)
            lines.append(f"{fam.name}{{{inner}}} {number(value)}" if inner else f"{fam.name} {number(value)}")
    return "".join(line + "\n" for line in lines)  # nothing at all for an empty store


def from_report(report: Report) -> RunCounts:
    """The report's run as counts (the shape the store gives for stored runs)."""
    findings: Counter[tuple[str, str, str, str]] = Counter(
        (f.check_id, f.target.key, str(f.status), str(f.severity)) for f in report.findings
    )
    return RunCounts(
        scope=report.scope,
        status=report.status,
        started_at=datetime.fromisoformat(report.started_at),
        finished_at=datetime.fromisoformat(report.finished_at) if report.finished_at else None,
        findings=findings,
        targets={t.key: (t.error is not None, t.seconds) for t in report.targets},
        api_calls=report.stats.api_calls,
        api_throttles=report.stats.api_throttles or {},
        api_errors=report.stats.api_errors or {},
        exit_code=report.exit_code,
    )


def kind_of(target_key: str) -> str:
    return target_key.split(":", 1)[0]


def _per_operation(fam: Family, scope: str, per_target: PerTarget, *, weight: int = 1) -> None:
    """Sum `service:Operation` counts over targets (`weight=0`: only make the series, at 0)."""
    for ops in per_target.values():
        for op, n in ops.items():
            service, _, operation = op.partition(":")
            fam.add(n * weight, scope=scope, service=service, operation=operation)


def families(runs: list[RunCounts], last: dict[str, datetime]) -> list[Family]:
    """Every metric of `runs` (one per scope) and of the last successful run per scope (`last`)."""
    fam = {name: Family(name, text) for name, text in HELP.items()}
    for run in runs:
        scope = run.scope
        groups = {(check, target, severity) for check, target, _, severity in run.findings}
        for check, target, severity in groups:
            for status in Status:
                n = run.findings.get((check, target, status.value, severity), 0)
                fam["opsbook_findings"].add(
                    n, scope=scope, check=check, target=target, target_kind=kind_of(target),
                    status=status.value, severity=severity,
                )  # fmt: skip
        fam["opsbook_run_success"].add(int(run.succeeded), scope=scope)
        if run.exit_code is not None:
            fam["opsbook_run_exit_code"].add(run.exit_code, scope=scope)
        for state in FINISHED:
            fam["opsbook_run_status"].add(int(run.status == state), scope=scope, status=state)
        if run.finished_at:
            fam["opsbook_run_duration_seconds"].add(
                (run.finished_at - run.started_at).total_seconds(), scope=scope
            )
            fam["opsbook_run_finished_timestamp_seconds"].add(run.finished_at.timestamp(), scope=scope)
        fam["opsbook_run_targets"].add(len(run.targets), scope=scope)
        fam["opsbook_run_targets_failed"].add(sum(failed for failed, _ in run.targets.values()), scope=scope)
        for key, (failed, seconds) in run.targets.items():
            fam["opsbook_target_failed"].add(int(failed), scope=scope, target=key, target_kind=kind_of(key))
            fam["opsbook_target_duration_seconds"].add(
                seconds, scope=scope, target=key, target_kind=kind_of(key)
            )
        _per_operation(fam["opsbook_api_calls"], scope, run.api_calls)
        for name, counts in (
            ("opsbook_api_throttles", run.api_throttles),
            ("opsbook_api_errors", run.api_errors),
        ):
            _per_operation(fam[name], scope, run.api_calls, weight=0)  # 0 for every operation called
            _per_operation(fam[name], scope, counts)
    for scope, when in last.items():
        fam["opsbook_last_success_timestamp_seconds"].add(when.timestamp(), scope=scope)
    return [f for f in fam.values() if f.samples]


def render_run(report: Report, store: Store | None = None) -> str:
    """One run's metrics, with the last successful run of each scope it ran (`covered`: this one when it
    succeeded, else from `store`). Only those scopes: node-exporter merges one textfile per cron job, and a
    series may come from one file only."""
    run = from_report(report)
    scopes = covered(run.scope)
    last = last_success(store, scopes=scopes) if store is not None else {}
    if run.succeeded and run.finished_at:
        last |= {scope: max(last.get(scope, run.finished_at), run.finished_at) for scope in scopes}
    return exposition(families([run], last))


def render_store(store: Store) -> str:
    """The newest finished run of every scope in the store, and the last successful run of every scope any
    run ran (`covered`)."""
    return exposition(families(latest_runs(store), last_success(store)))
