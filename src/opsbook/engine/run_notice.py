"""The one notification a finished run sends: new / still failing / resolved counts and the top new
failures (never one message per finding).

- skipped when nothing is new and nothing resolved;
- a new failure on a target in a maintenance window (`details[MAINTENANCE_KEY]`) is counted as expected
  and never makes a run page (it neither raises the severity nor, alone, sends anything);
- severity = the highest new failure's; the dedupe key names the scope and the set of (check, target)
  pairs failing now, so a check that is still failing (even on another resource) does not page twice;
- a run that only resolved failures sends a resolving summary that closes the previous run's key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from opsbook.core.config import Config
from opsbook.core.events import MAINTENANCE_KEY, Event, EventKind, EventSeverity
from opsbook.core.models import Status
from opsbook.engine.runner import RunResult
from opsbook.notify import publish
from opsbook.store import runs
from opsbook.store.db import Store

TOP = 5


def dedupe_group(scope: str) -> str:
    """The scope's run summaries: only the latest one's key is open (a set of failures that comes back
    after another was sent is news again)."""
    return f"run:{scope[:120]}:"


def dedupe_key(scope: str, pairs: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256("\n".join(sorted(f"{c} {t}" for c, t in set(pairs))).encode()).hexdigest()
    return f"{dedupe_group(scope)}{digest[:16]}"


def run_event(result: RunResult, previous_pairs: Iterable[tuple[str, str]] = ()) -> Event | None:
    """The run's summary event, or None when there is nothing to tell."""
    diff = result.diff or {}
    failing = {f.uid: f for f in result.findings if f.status is Status.FAIL}
    new = [failing[u] for u in diff.get("new", []) if u in failing]
    paging = [f for f in new if not f.details.get(MAINTENANCE_KEY)]
    expected = len(new) - len(paging)
    resolved, still = len(diff.get("resolved", [])), len(diff.get("still_failing", []))
    if not paging and not resolved:
        return None
    paging.sort(key=lambda f: (-f.severity.rank, f.check_id, f.target.key))
    title = f"opsbook {result.scope}: {len(paging)} new, {still} still failing, {resolved} resolved"
    if expected:
        title += f", {expected} expected (maintenance)"
    lines = [f"- [{f.severity.value}] {f.check_id} on {f.target.key}: {f.message}" for f in paging[:TOP]]
    if len(paging) > TOP:
        lines.append(f"- ... and {len(paging) - TOP} more (opsbook history show {result.run_id})")
    details: dict[str, Any] = {"new": len(paging), "still_failing": still, "resolved": False,
                               "resolved_count": resolved, "expected": expected}  # fmt: skip
    if paging:
        severity = EventSeverity(paging[0].severity.value)
        key = dedupe_key(result.scope, ((f.check_id, f.target.key) for f in failing.values()))
    else:
        severity, details["resolved"] = EventSeverity.INFO, True
        key = dedupe_key(result.scope, previous_pairs)
    return Event(
        kind=EventKind.RUN_FINISHED,
        title=title,
        body="\n".join(lines) or f"{resolved} failing finding(s) resolved since the previous run.",
        severity=severity,
        targets=tuple(sorted({f.target.key for f in paging})),
        dedupe_key=key,
        dedupe_group=dedupe_group(result.scope),
        ref=result.run_id,
        details=details,
    )


def notify_run(cfg: Config, store: Store, result: RunResult) -> list[dict[str, Any]]:
    """Publish the run's summary (complete runs only); what happened per channel, for the report."""
    if result.status != "complete" or not cfg.notifications.routes:
        return []
    previous: Iterable[tuple[str, str]] = ()
    if result.previous_run_id and result.diff.get("resolved"):
        previous = runs.failing(store, run_id=result.previous_run_id).values()
    event = run_event(result, previous)
    if event is None:
        return []
    return [vars(d) for d in publish(cfg, event, store=store)]
