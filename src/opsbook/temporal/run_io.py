"""What a run's workflow and its activities pass each other: plain JSON-ready dataclasses (stdlib only, so
the workflow sandbox imports them as they are)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class RunPlan:
    """The workflow's input: everything a worker needs to run any target of the run as the starter would."""

    run_id: str
    scope: str
    started_at: str  # ISO time: the run's `now` for every target (as a local run)
    config: Json  # the starter's Config (estate expanded; notifications left out: the starter sends them)
    check_ids: list[str]
    targets: list[Json]  # Target models
    primaries: list[str]  # target keys that report their account's account-wide checks
    notes: list[Json] = field(default_factory=list)  # the engine's own findings (Finding models)
    width: int = 32  # targets in flight at once
    per_account: int = 4  # targets of one AWS account in flight at once
    heartbeat_seconds: float = 30.0
    target_timeout_seconds: float = 3600.0
    attempts: int = 5


@dataclass
class TargetTask:
    """One target; the config, checks and start time are the workflow's input (RunPlan), which workers read
    once from the workflow's history (temporal/workflow_input.py): the history holds the config once."""

    run_id: str
    target: Json
    primary: bool
    notes: list[Json]


@dataclass
class RecordFailed:
    """A target whose activity failed for good: its checks become ERROR findings, as a local run's."""

    run_id: str
    target: Json
    primary: bool
    notes: list[Json]
    message: str


@dataclass
class BeginTask:
    run_id: str
    scope: str
    started_at: str
    storage_url: str
    targets: list[Json]


@dataclass
class FinishTask:
    run_id: str
    notes: list[Json]  # findings of targets that did not run (recorded as their own outcomes)
    api_calls: dict[str, dict[str, int]]
    api_faults: dict[str, dict[str, dict[str, int]]]


@dataclass
class TargetSummary:
    target: str
    error: str | None
    findings: int
    seconds: float
    api_calls: dict[str, dict[str, int]] = field(default_factory=dict)
    throttles: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)
    collector_calls: dict[str, dict[str, int]] = field(default_factory=dict)
    # finding uid -> what a procedure can do about it (the store keeps no proposals; the report shows them)
    proposals: dict[str, Json] = field(default_factory=dict)


@dataclass
class RunSummary:
    run_id: str
    status: str
    finished_at: str
    targets: list[TargetSummary]
    api_calls: dict[str, dict[str, int]]
    throttles: dict[str, dict[str, int]]
    errors: dict[str, dict[str, int]]
    collector_calls: dict[str, dict[str, int]]


def merge_counts(into: dict[str, dict[str, int]], more: dict[str, dict[str, int]]) -> None:
    """Add `more`'s per-key counters into `into` (api calls per target and operation)."""
    for key, counts in more.items():
        mine = into.setdefault(key, {})
        for op, n in counts.items():
            mine[op] = mine.get(op, 0) + n
