"""What the apply workflow and its activity pass each other (stdlib only: the workflow sandbox imports it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

APPROVE_SIGNAL = "approve_step"
AWAITING_QUERY = "awaiting"
WAIT_QUERY = "step_wait"  # the step wait the workflow sleeps on: procedures/deferred.py's `waiting`


def workflow_id(plan_hash: str) -> str:
    """One workflow per plan (a second `apply --on temporal` of it while one runs is refused)."""
    return "opsbook-apply-" + plan_hash.removeprefix("sha256:")[:40]


@dataclass
class ApplyRequest:
    """The workflow's input: the plan file as read, the starter's config and options."""

    plan: dict[str, Any]
    config: dict[str, Any]
    who: str  # the user who started the apply (and approved the plan as a whole)
    only: list[str] = field(default_factory=list)
    max_resources: int = 50
    snapshot_before_delete: bool = False
    approved_steps: list[str] = field(default_factory=list)
    heartbeat_seconds: float = 30.0
    timeout_seconds: float = 3600.0
    attempts: int = 5
    # the plan's lock is the workflow's from its first pass to its end; each activity holds it this long
    # ahead (a lease), and the workflow renews it at least every third of it while it sleeps or awaits
    hold_seconds: float = 900.0
    # a long wait is many timers and checks: past this many history events the workflow continues as a new
    # run (same workflow id) carrying what it has done so far (below)
    history_limit: int = 10_000
    carried_passes: list[PassResult] = field(default_factory=list)
    carried_approvers: dict[str, str] = field(default_factory=dict)
    carried_wait: dict[str, Any] | None = None


@dataclass
class ApplyPass:
    """One activity: apply the plan as far as it goes (journal-driven: done steps are not repeated). The
    plan, config and options are the workflow's input (ApplyRequest), read by workers once from the
    workflow's history (temporal/workflow_input.py), not repeated in every pass and wait check."""

    number: int  # 1, 2, ...: a new pass after each approval signal
    approved_steps: list[str]
    approvers: dict[str, str]  # step -> who approved it (by signal)
    settled: list[str] = field(default_factory=list)  # steps earlier passes failed or refused: not retried


@dataclass
class PassResult:
    apply_id: str
    outcomes: list[dict[str, Any]]
    notes: list[str]
    stopped_at: str | None
    rolled_back: bool
    failed: bool
    awaiting: str | None  # the step that waits for its own approval (a signal), if any
    # the step whose wait the pass stopped at (procedures/deferred.py's `waiting`): the workflow sleeps a
    # timer until its `next_check`, then runs the check activity, until a verdict settles it
    waiting: dict[str, Any] | None = None
    settled: list[str] = field(default_factory=list)  # steps this pass failed or refused (not for approval)


@dataclass
class WaitCheck:
    """One activity: check the wait of `step` once (its timer fired) and journal what was found."""

    step: str


@dataclass
class LockTask:
    """One activity: renew the workflow's plan lock (while it sleeps or awaits), or release it (its end)."""

    release: bool = False


@dataclass
class Approval:
    step: str
    who: str
