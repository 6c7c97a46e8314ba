"""The library entry point for a run: what the CLI, the scheduler and the web app all call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opsbook.core.checks import CheckSpec, validate_check_config
from opsbook.core.config import Config
from opsbook.core.errors import InputError, StoreUnavailable, one_line
from opsbook.core.models import Finding, Severity, Status, Target, TargetKind
from opsbook.core.scope_label import bounded, narrowed
from opsbook.engine import history, maintenance
from opsbook.engine.atmos_runner import AtmosRunner, atmos_targets
from opsbook.engine.estate import expand_or_keep
from opsbook.engine.runner import AwsRunner, RunObserver, RunResult, RunStore, TargetRunner, execute
from opsbook.engine.selection import load_builtin, select
from opsbook.engine.store_guard import GuardedStore
from opsbook.engine.targets import aws_targets, k8s_targets
from opsbook.providers.aws.stats import ApiStats
from opsbook.store import runs
from opsbook.store.db import Store, open_store
from opsbook.store.maintenance import Window
from opsbook.store.recorder import StoreRecorder

Executor = Callable[..., RunResult]  # `runner.execute`'s signature

# The engine's own finding when the stacks cannot be read (not a registered check: no check could run).
ESTATE_CHECK = "opsbook.estate"


@dataclass
class RunRequest:
    scopes: list[str] = field(default_factory=list)  # e.g. ["daily"], ["daily", "weekly:monday"]
    check_ids: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # only these Kubernetes clusters (default: all)
    concurrency: int | None = None
    label: str | None = None  # the scope name stored with the run (history compares runs of one label)

    @property
    def scope_label(self) -> str:
        """`label` when given; else the scopes and checks, narrowed to the accounts/regions/clusters asked
        for (`daily[account=dev]`: core.scope_label), so a partial run is never the scope's success."""
        if self.label:
            return bounded(self.label)
        parts = list(self.scopes) + [f"check:{c}" for c in self.check_ids]
        return bounded(
            narrowed(
                "+".join(parts) or "all", accounts=self.accounts, regions=self.regions, clusters=self.clusters
            )
        )


def run(
    cfg: Config,
    request: RunRequest,
    *,
    observer: RunObserver | None = None,
    extra_runners: dict[TargetKind, TargetRunner] | None = None,
    store_enabled: bool = True,
    executor: Executor | None = None,
) -> RunResult:
    """`executor` runs the planned targets (default: `runner.execute`, here; `--on temporal` passes one
    that fans them out to Temporal workers) with `execute`'s arguments and result."""
    load_builtin()
    validate_check_config(cfg)
    specs = select(request.scopes, request.check_ids)
    if not specs:
        raise InputError(f"no checks match {request.scope_label!r} (see `opsbook checks list`)")
    cfg = opt_in_named(cfg, specs, set(request.check_ids))
    cfg, estate_error = expand_or_keep(cfg)  # accounts, regions and clusters the stacks add
    kinds = {s.target_kind for s in specs}
    targets: list[Target] = []
    if TargetKind.AWS in kinds:
        targets += aws_targets(cfg, request.accounts or None, request.regions or None)
    if TargetKind.K8S in kinds:
        targets += k8s_targets(cfg, request.clusters or None, request.accounts or None)
    if TargetKind.ATMOS in kinds:
        targets += atmos_targets(cfg)
    if not targets:
        raise InputError("no targets: add accounts to opsbook.yaml (or use --sandbox)")
    notes = [estate_note(cfg, estate_error)] if estate_error else []
    stats = ApiStats()
    store, store_error = open_run_store(cfg) if store_enabled else (None, None)
    runners: dict[TargetKind, TargetRunner] = {}
    try:
        runners.update(make_runners(cfg, stats, targets, extra_runners))
        windows, recorder = maintenance_of(cfg, store)
        result = (executor or execute)(
            cfg,
            request.scope_label,
            specs,
            targets,
            runners=runners,
            stats=stats,
            store=recorder,
            observer=observer,
            concurrency=request.concurrency,
            notes=notes,
        )
        result.store_error = result.store_error or store_error
        for outcome in result.outcomes:  # also those a failed store write did not get to mark
            maintenance.mark(outcome.findings, windows)
        if store and not result.store_error:
            guard = GuardedStore(store)
            guard.attempt("comparison with the previous run", lambda: history.compare(store, result))
            result.store_error = guard.error
            if not guard.error:
                # decoration: a trend that cannot be read leaves the report without one, not the run failed
                result.trend = GuardedStore(store).attempt("trend", lambda: history.trend(store, result))
                notify(cfg, store, result)
        return result
    finally:
        for r in runners.values():
            close = getattr(r, "close", None)
            if close is not None:
                close()
        if store:
            store.close()


def make_runners(
    cfg: Config,
    stats: ApiStats,
    targets: Sequence[Target],
    extra: dict[TargetKind, TargetRunner] | None = None,
) -> dict[TargetKind, TargetRunner]:
    """The client factories a run's targets need (callers close those with a `close` method)."""
    aws = AwsRunner(cfg, stats)
    runners: dict[TargetKind, TargetRunner] = {TargetKind.AWS: aws}
    if any(t.kind is TargetKind.K8S for t in targets) and TargetKind.K8S not in (extra or {}):
        from opsbook.engine.k8s_runner import K8sRunner

        runners[TargetKind.K8S] = K8sRunner(cfg, stats, aws.factory)
    runners[TargetKind.ATMOS] = AtmosRunner(cfg)
    runners.update(extra or {})
    return runners


def maintenance_of(cfg: Config, store: Store | None) -> tuple[list[Window], RunStore | None]:
    """The maintenance windows active now (their targets' findings are marked expected) and the run's store
    that marks them before recording; due reminders go out here, so no daemon is needed."""
    if store is None:
        return [], None
    # one guard each: a reminder that cannot be sent must not cost the run its expected marks
    GuardedStore(store).attempt("maintenance reminders", lambda: maintenance.remind(cfg, store))
    windows = GuardedStore(store).attempt("maintenance windows", lambda: maintenance.active(store)) or []
    recorder: RunStore = StoreRecorder(store)
    return windows, maintenance.MarkingStore(recorder, windows) if windows else recorder


def notify(cfg: Config, store: Store, result: RunResult) -> None:
    """The run's one summary notification (engine/run_notice.py); its deliveries go in the report's extras.
    A notification never fails the run."""
    from opsbook.engine.run_notice import notify_run

    try:
        deliveries = notify_run(cfg, store, result)
    except Exception as exc:  # noqa: BLE001 - a notification must not cost the run its report
        deliveries = [{"channel": "*", "ok": False, "deduplicated": False, "error": one_line(exc)}]
    if deliveries:
        result.extras["notifications"] = deliveries


def opt_in_named(cfg: Config, specs: list[CheckSpec], named: set[str]) -> Config:
    """Naming a check (`--check ID`) opts in to it when it is opt-in (`default_enabled=False`) and the config
    says nothing; `checks.<id>.enabled: false` in the config still wins (a gate naming a check the team
    turned off does not turn it back on)."""
    checks = {k: dict(v) for k, v in cfg.checks.items()}
    for spec in specs:
        if spec.id in named and not spec.default_enabled and "enabled" not in checks.get(spec.id, {}):
            checks.setdefault(spec.id, {})["enabled"] = True
    return cfg.model_copy(update={"checks": checks})


def open_run_store(cfg: Config) -> tuple[Store | None, str | None]:
    """The store for a run, or None and why: a store that cannot be used must not cost the run its
    findings (the report is written from memory; exit 3). A bad storage.url is still exit 2."""
    try:
        store = open_store(cfg.storage.url)
    except StoreUnavailable as exc:
        return None, f"run history not saved: {exc}"
    guard = GuardedStore(store)
    guard.attempt(
        "interrupted earlier runs",
        lambda: runs.mark_stale_runs_interrupted(store, older_than=datetime.now(UTC) - timedelta(hours=6)),
    )
    if guard.error:
        store.close()
        return None, guard.error
    return store, None


def estate_note(cfg: Config, reason: str) -> Finding:
    """The ERROR finding that says the run covers the configured accounts only (stacks unreadable)."""
    target = (atmos_targets(cfg) or [Target(kind=TargetKind.ATMOS, stack="stacks")])[0]
    return Finding(
        check_id=ESTATE_CHECK,
        status=Status.ERROR,
        severity=Severity.HIGH,
        target=target,
        message=f"estate from the stacks not used, checking the configured accounts only: {reason}",
        remediation="Fix the stacks (`opsbook stacks validate`); until then accounts, regions and clusters "
        "that only the stacks name are not checked.",
    )
