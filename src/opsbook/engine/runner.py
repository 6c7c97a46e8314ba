"""Run checks over targets: collect each inventory once per target, evaluate pure checks, store as we go.

Targets run concurrently on a bounded pool. Each finished target is written to the store at once, so a
crash loses at most the targets in flight; Ctrl-C marks the run interrupted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from opsbook.core.checks import CheckContext, CheckSpec
from opsbook.core.config import Config, check_settings
from opsbook.core.errors import AccessDenied, Interrupted, one_line
from opsbook.core.exports import EXPORTS
from opsbook.core.models import Finding, Severity, Status, Target, TargetKind
from opsbook.engine.failures import as_target_error, is_unavailable
from opsbook.engine.inventory import AccountShare, CollectFailed, Inventory
from opsbook.engine.schedule import TargetQueue
from opsbook.engine.store_guard import GuardedStore
from opsbook.providers.aws.session import SessionFactory
from opsbook.providers.aws.stats import ApiStats


@dataclass
class TargetOutcome:
    target: Target
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the target itself could not be used
    seconds: float = 0.0
    exports: dict[str, Any] = field(default_factory=dict)  # exported inventory (core/exports.py)


@dataclass
class Trend:
    """Failing findings per check over the last runs of the scope, oldest first (None: the check did not run
    in that run); read from the store after the run (engine/history.py), absent without a store."""

    run_ids: list[str]
    failing: dict[str, list[int | None]]


@dataclass
class RunResult:
    run_id: str
    scope: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # complete | interrupted
    outcomes: list[TargetOutcome]
    api_calls: dict[str, dict[str, int]]
    # target -> `service:Operation` -> throttled attempts / calls that ended in an error (only non-zero)
    api_throttles: dict[str, dict[str, int]] = field(default_factory=dict)
    api_errors: dict[str, dict[str, int]] = field(default_factory=dict)
    collector_calls: dict[str, dict[str, int]] = field(default_factory=dict)  # per inventory key
    diff: dict[str, list[str]] = field(default_factory=dict)
    previous_run_id: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    store_error: str | None = None  # the run history could not be saved (the report still is)
    trend: Trend | None = None

    @property
    def findings(self) -> list[Finding]:
        return [f for o in self.outcomes for f in o.findings]

    @property
    def failed_targets(self) -> list[TargetOutcome]:
        return [o for o in self.outcomes if o.error]

    def exit_code(self, fail_on: Severity) -> int:
        if self.store_error or self.failed_targets or any(f.status is Status.ERROR for f in self.findings):
            return 3
        if any(f.status is Status.FAIL and f.severity >= fail_on for f in self.findings):
            return 1
        return 0


class RunObserver(Protocol):
    def started(self, run_id: str, targets: Sequence[Target]) -> None: ...

    def target_done(self, outcome: TargetOutcome) -> None: ...


class TargetRunner(Protocol):
    """Makes the client factory for one kind of target (AWS here; Kubernetes plugs in the same way)."""

    def prepare(self, target: Target) -> Callable[[str], Any]: ...


class AwsRunner:
    def __init__(self, cfg: Config, stats: ApiStats) -> None:
        self.cfg = cfg
        self.factory = SessionFactory(cfg, stats)

    def prepare(self, target: Target) -> Callable[[str], Any]:
        account = self.cfg.account(target.account or "")
        self.factory.preflight(account)
        region = target.region or self.cfg.regions_of(account)[0]
        return lambda service: self.factory.client(account, region, service, target.key)

    def release(self, target: Target) -> None:
        """The target is done: its clients go (memory stays bounded by the targets in flight)."""
        account = self.cfg.account(target.account or "")
        self.factory.release(account, target.region or self.cfg.regions_of(account)[0])

    def finish(self, target: Target) -> None:
        """The account's last target is done: its sessions (and the assumed role's credentials and STS
        client) go, so memory is bounded by the accounts in flight, not by the accounts of the run."""
        self.factory.forget(self.cfg.account(target.account or ""))


@dataclass
class Prepared:
    spec: CheckSpec
    settings: BaseModel
    severity: Severity | None
    account_wide: bool = False  # reads only account-wide inventory: runs on one target per account


def prepare_checks(cfg: Config, specs: Sequence[CheckSpec]) -> list[Prepared]:
    out = []
    for spec in specs:
        settings, engine_keys = check_settings(cfg, spec.id, spec.settings)
        if not engine_keys.get("enabled", spec.default_enabled):
            continue
        out.append(Prepared(spec, settings, engine_keys.get("severity"), spec.account_wide()))
    return out


def error_finding(p: Prepared, target: Target, message: str, **details: Any) -> Finding:
    return Finding(
        check_id=p.spec.id,
        status=Status.ERROR,
        severity=p.severity or p.spec.severity,
        target=target,
        message=message,
        details=details,
        remediation=p.spec.remediation,
    )


def evaluate(checks: Sequence[Prepared], inv: Inventory, now: datetime) -> list[Finding]:
    """The checks' findings, in order. After each check the inventory no later check reads is released."""
    findings: list[Finding] = []
    later = [inv.with_deps(p.spec.needs) for p in checks]
    for i, p in enumerate(checks):
        if i:
            inv.release(set().union(*later[i:]))
        try:
            data = {key: inv.get(key) for key in p.spec.needs}
        except CollectFailed as exc:
            err = exc.error
            if isinstance(err, AccessDenied):
                msg = f"could not read {exc.key}: missing permission {err.action}"
                findings.append(error_finding(p, inv.target, msg, missing_permission=err.action))
            else:
                findings.append(error_finding(p, inv.target, f"could not read {exc.key}: {one_line(err)}"))
            continue
        ctx = CheckContext(
            spec=p.spec, target=inv.target, inventory=data, settings=p.settings, now=now, severity=p.severity
        )
        try:
            findings.extend(p.spec.fn(ctx))
        except Exception as exc:  # noqa: BLE001 - a broken check must not break the run
            detail = f"check failed: {type(exc).__name__}: {one_line(exc)}"
            findings.append(error_finding(p, inv.target, detail))
    return findings


def run_target(
    target: Target,
    checks: Sequence[Prepared],
    cfg: Config,
    runner: TargetRunner,
    now: datetime,
    share: AccountShare | None = None,
    primary: bool = True,
) -> TargetOutcome:
    """One target's findings. Never raises (but KeyboardInterrupt): whatever fails here is this target's
    ERROR findings, so one bad account, cluster or stacks tree cannot cost the others theirs.

    `share` holds the account-wide inventory of the target's account (collected once, whichever region
    target asks first); account-wide checks run on the account's `primary` target only."""
    t0 = time.monotonic()
    mine = checks_of(checks, target, primary)
    try:
        client_maker = runner.prepare(target)
    except Exception as exc:  # noqa: BLE001 - classified by type; the run goes on
        err = as_target_error(exc, where=target.key, action="connect")
        return unavailable_outcome(target, mine, str(err), seconds=time.monotonic() - t0)
    try:
        inv = Inventory(target, cfg, now, client_maker, shared=share)
        inv.prefetch({k for p in mine for k in p.spec.needs}, cfg.run.target_concurrency)
        findings = evaluate(mine, inv, now)
    except Exception as exc:  # noqa: BLE001 - a bug in the engine's own path still isolates the target
        err = as_target_error(exc, where=target.key, action="evaluate")
        return unavailable_outcome(target, mine, str(err), seconds=time.monotonic() - t0)
    finally:
        release = getattr(runner, "release", None)  # optional: runners without per-target clients
        if release is not None:
            release(target)
    failures = inv.failures
    error = None
    if (
        failures
        and all(is_unavailable(f.error) for f in failures)
        and all(f.status is Status.ERROR for f in findings)
    ):
        error = one_line(failures[0].error)  # nothing was read: the target itself is down
    exported = {k: v for k in EXPORTS if (v := inv.collected(k)) is not None}
    return TargetOutcome(target, findings, error=error, seconds=time.monotonic() - t0, exports=exported)


def checks_of(checks: Sequence[Prepared], target: Target, primary: bool = True) -> list[Prepared]:
    return [p for p in checks if p.spec.target_kind is target.kind and (primary or not p.account_wide)]


def account_shares(targets: Sequence[Target]) -> tuple[dict[str, AccountShare], set[str]]:
    """One share of account-wide inventory per AWS account of the run, and each account's primary target
    (its first region in the run: the one that reports the account-wide checks)."""
    shares: dict[str, AccountShare] = {}
    primaries: set[str] = set()
    for t in targets:
        if t.kind is TargetKind.AWS and t.account and t.account not in shares:
            shares[t.account] = AccountShare()
            primaries.add(t.key)
    return shares, primaries


def unavailable_outcome(
    target: Target, checks: Sequence[Prepared], message: str, *, seconds: float
) -> TargetOutcome:
    """A target that could not be used at all: each of its checks is ERROR with the one-line reason."""
    message = one_line(message)
    findings = [error_finding(p, target, f"target unavailable: {message}") for p in checks]
    return TargetOutcome(target, findings, error=message, seconds=seconds)


def gather_exports(outcomes: Sequence[TargetOutcome]) -> dict[str, dict[str, Any]]:
    """inventory key -> {target key: JSON-ready value} over every target that collected it."""
    out: dict[str, dict[str, Any]] = {}
    for o in sorted(outcomes, key=lambda o: o.target.key):
        for key, value in o.exports.items():
            out.setdefault(key, {})[o.target.key] = to_jsonable_python(value)
    return out


class RunStore(Protocol):
    def begin(self, *, run_id: str, scope: str, started_at: datetime, targets: Sequence[Target]) -> None: ...

    def record(self, *, run_id: str, outcome: TargetOutcome) -> None: ...

    def finish(
        self,
        *,
        run_id: str,
        status: str,
        finished_at: datetime,
        api_calls: dict[str, Any],
        api_faults: dict[str, Any] | None = None,
    ) -> None: ...


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def execute(
    cfg: Config,
    scope: str,
    specs: Sequence[CheckSpec],
    targets: Sequence[Target],
    *,
    runners: dict[TargetKind, TargetRunner] | None = None,
    stats: ApiStats | None = None,
    store: RunStore | None = None,
    observer: RunObserver | None = None,
    concurrency: int | None = None,
    now: datetime | None = None,
    notes: Sequence[Finding] = (),
) -> RunResult:
    """`notes` are the engine's own findings about a target (e.g. the stacks could not give the estate):
    each joins its target's outcome, or is an outcome of its own when that target does not run."""
    now = now or datetime.now(UTC)
    stats = stats or ApiStats()
    runners = runners if runners is not None else {TargetKind.AWS: AwsRunner(cfg, stats)}
    checks = prepare_checks(cfg, specs)
    run_id = new_run_id(now)
    result = RunResult(run_id, scope, now, None, "running", [], {})
    guard = GuardedStore(store) if store else None
    store = guard
    if store:
        store.begin(run_id=run_id, scope=scope, started_at=now, targets=targets)
    if observer:
        observer.started(run_id, targets)
    width = concurrency or cfg.run.concurrency
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="opsbook")
    pending: dict[Future[TargetOutcome], Target] = {}
    shares, primaries = account_shares(targets)
    queue = TargetQueue([t for t in targets if t.kind in runners], per_account=cfg.run.per_account)

    def start_more() -> None:
        while len(pending) < width and (t := queue.take()) is not None:
            share = shares.get(t.account or "") if t.kind is TargetKind.AWS else None
            primary = t.kind is not TargetKind.AWS or t.key in primaries
            pending[pool.submit(run_target, t, checks, cfg, runners[t.kind], now, share, primary)] = t

    try:
        start_more()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                target = pending.pop(fut)
                if queue.done(target):  # the account's (or cluster's) last target: what it shared goes
                    shares.pop(target.account or "", None)
                    if (finish := getattr(runners[target.kind], "finish", None)) is not None:
                        finish(target)
                try:
                    outcome = fut.result()
                except Exception as exc:  # noqa: BLE001 - run_target isolates; this is the last guard
                    err = as_target_error(exc, where=target.key, action="run")
                    own = checks_of(
                        checks, target, target.kind is not TargetKind.AWS or target.key in primaries
                    )
                    outcome = unavailable_outcome(target, own, str(err), seconds=0.0)
                outcome.findings.extend(n for n in notes if n.target.key == target.key)
                result.outcomes.append(outcome)
                if store:
                    store.record(run_id=run_id, outcome=outcome)
                if observer:
                    observer.target_done(outcome)
            start_more()
        ran = {t.key for t in targets}
        for key in sorted({n.target.key for n in notes} - ran):
            mine = [n for n in notes if n.target.key == key]
            outcome = TargetOutcome(mine[0].target, mine)
            result.outcomes.append(outcome)
            if store:
                store.record(run_id=run_id, outcome=outcome)
        result.status = "complete"
    except KeyboardInterrupt:
        result.status = "interrupted"
        for fut in pending:
            fut.cancel()
        raise Interrupted(f"run {run_id} interrupted; finished targets were saved") from None
    finally:
        pool.shutdown(wait=result.status != "interrupted", cancel_futures=True)
        result.finished_at = datetime.now(UTC)
        result.api_calls = stats.by_target()
        result.api_throttles = stats.throttles_by_target()
        result.api_errors = stats.errors_by_target()
        result.collector_calls = stats.by_collector()
        if store:
            store.finish(
                run_id=run_id,
                status=result.status if result.status != "running" else "interrupted",
                finished_at=result.finished_at,
                api_calls=result.api_calls,
                api_faults={"throttles": result.api_throttles, "errors": result.api_errors},
            )
    result.store_error = guard.error if guard else None
    result.outcomes.sort(key=lambda o: o.target.key)
    exported = gather_exports(result.outcomes)
    if exported:
        result.extras["exports"] = exported
    return result
