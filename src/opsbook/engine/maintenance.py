"""Maintenance windows (guide: Maintenance Windows / Schedule Maintenance): schedule one and tell people
(the guide's `aws sns publish ... "Scheduled maintenance on ... at 02:00 UTC"`), remind them once before it
starts, and make every run see it: findings on a target inside an active window are marked expected
(`details[MAINTENANCE_KEY] = window id`): still failures in the report, never paged, exit code unchanged.

A window's targets are selectors `cluster=C`, `account=A`, `region=R`, `stack=S`; a run's target is inside
the window when any selector names it (an `account=prod` window covers prod's regions and its clusters).
Reminders need no daemon: every run (and `opsbook maintenance remind`) sends the ones that are due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbook import notify
from opsbook.core.aws_names import check_region
from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.events import MAINTENANCE_KEY, EventKind
from opsbook.core.models import Finding, Target, TargetKind
from opsbook.engine.atmos_runner import atmos_targets
from opsbook.engine.cleanup import parse_duration
from opsbook.engine.estate import expand_or_keep
from opsbook.engine.runner import RunStore, TargetOutcome
from opsbook.procedures.maintenance_notice import maintenance_event, selectors, when_text
from opsbook.store import maintenance as store_mw
from opsbook.store.db import Store
from opsbook.store.maintenance import Window

TARGET_KEYS = ("cluster", "account", "region", "stack")


def parse_at(text: str, flag: str = "--at") -> datetime:
    """An ISO 8601 time with its zone (`2026-12-07T02:00Z`, `...+01:00`), as UTC. No zone is refused: a
    window an hour off is worse than a one-line error."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{flag}: expected an ISO 8601 time like 2026-12-07T02:00Z, got {text!r}") from None
    if when.tzinfo is None:
        raise InputError(f"{flag} {text!r}: give the time zone (2026-12-07T02:00Z for UTC, or +01:00)")
    return when.astimezone(UTC)


def parse_targets(cfg: Config, values: Sequence[str]) -> list[str]:
    """`cluster=C,account=A` (repeatable) as sorted unique selectors; unknown keys, accounts, clusters,
    region names and stacks trees refused (those the stacks derive count; a cluster is not checked when the
    stacks cannot be read)."""
    estate, estate_error = expand_or_keep(cfg)
    clusters = {n for c in estate.clusters for n in (c.name, c.name.rsplit("/", 1)[-1])}
    trees = {t.stack for t in atmos_targets(cfg) if t.stack}
    out: set[str] = set()
    for value in values:
        for part in (p.strip() for p in value.split(",")):
            key, sep, name = part.partition("=")
            name = name.strip()
            if not sep or key not in TARGET_KEYS or not name:
                raise InputError(
                    f"--targets {part!r}: expected KEY=VALUE with KEY one of {', '.join(TARGET_KEYS)}"
                )
            if key == "account" and not any(name in (a.name, a.id) for a in estate.accounts):
                raise InputError(f"--targets {part!r}: no account {name!r} in {cfg.source or 'the config'}")
            if key == "cluster" and estate_error is None and name not in clusters:
                raise InputError(f"--targets {part!r}: no cluster {name!r} in {cfg.source or 'the config'}")
            if key == "region":
                try:
                    check_region(name)
                except ValueError as exc:
                    raise InputError(f"--targets {part!r}: {exc}") from None
            if key == "stack" and name not in trees:  # it covers the atmos:<tree> target, nothing else
                have = ", ".join(f"stack={t}" for t in sorted(trees)) or "none: the config has no stacks"
                raise InputError(f"--targets {part!r}: stack= names the stacks tree's target ({have}), "
                                 "not one Atmos stack")  # fmt: skip
            out.add(f"{key}={name}")
    if not out:
        raise InputError("--targets: name at least one target, e.g. --targets cluster=my-cluster")
    return sorted(out)


def covers(window: Window, target: Target) -> bool:
    """Whether `target` is inside `window` (any selector names it)."""
    for key, value in selectors(window):
        if key == "cluster" and target.kind is TargetKind.K8S and value in (target.cluster, _short(target)):
            return True
        if key == "account" and value in (target.account, target.account_id):
            return True
        if key == "region" and target.region == value:
            return True
        if key == "stack" and target.kind is TargetKind.ATMOS and target.stack == value:
            return True
    return False


def _short(target: Target) -> str | None:
    """A cluster the stacks derived is named `<account>/<cluster>`: `cluster=<cluster>` names it too."""
    return target.cluster.rsplit("/", 1)[-1] if target.cluster else None


@dataclass(frozen=True)
class ScheduleRequest:
    at: str
    duration: str
    targets: tuple[str, ...]
    channels: tuple[str, ...] = ()
    title: str = ""
    remind_before: str = "1h"


def schedule(cfg: Config, store: Store, request: ScheduleRequest, *, created_by: str,
             now: datetime | None = None) -> Window:  # fmt: skip
    """Record the window, then send its notice (once)."""
    now = now or datetime.now(UTC)
    starts = parse_at(request.at)
    length = parse_duration(request.duration, "--duration")
    remind = parse_duration(request.remind_before, "--remind-before")
    try:  # the reminder's time too: a window past year 9999 (or a reminder before year 1) cannot be stored
        ends, _ = starts + length, starts - remind
    except OverflowError:
        raise InputError(
            f"--at {request.at} --duration {request.duration} --remind-before {request.remind_before}: "
            "out of range"
        ) from None
    if ends <= now:
        raise InputError(f"--at {request.at} --duration {request.duration}: that window has already ended")
    targets = parse_targets(cfg, request.targets)
    unknown = sorted(set(request.channels) - set(cfg.notifications.channels))
    if unknown:
        known = ", ".join(sorted(cfg.notifications.channels)) or "none configured"
        raise InputError(f"--notify {unknown[0]}: no such notification channel (known: {known})")
    title = request.title.strip() or f"Scheduled maintenance ({', '.join(targets)})"
    window = store_mw.create_window(store, title=title, starts_at=starts, ends_at=ends,
                                    targets=targets, channels=sorted(set(request.channels)),
                                    remind_before_s=int(remind.total_seconds()), created_by=created_by,
                                    created_at=now)  # fmt: skip
    send(
        cfg,
        store,
        window,
        "notice",
        EventKind.MAINTENANCE_NOTICE,
        f"Scheduled maintenance on {when_text(window)}",
        now,
    )
    sync(store, now)  # a window that has started is shown active, as `list` and `show` show it
    return store_mw.get_window(store, window_id=window.id)


def notice_channels(cfg: Config, window: Window) -> list[str]:
    """The channels a notice about `window` goes to (the routes' and its own `--notify` ones); may be none."""
    return notify.channels_for(cfg, maintenance_event(EventKind.MAINTENANCE_NOTICE, window, ""))


def send(
    cfg: Config, store: Store, window: Window, what: str, kind: EventKind, title: str, now: datetime
) -> bool:
    """Publish `what` (notice | reminder) of `window` unless it was sent before; True when sent now."""
    if not store_mw.claim_send(store, window_id=window.id, what=what, at=now):
        return False
    notify.publish(cfg, maintenance_event(kind, window, title), store=store)
    return True


def sync(store: Store, now: datetime | None = None) -> None:
    """Move statuses with the clock: scheduled -> active at the start, -> done at the end."""
    now = now or datetime.now(UTC)
    for w in store_mw.windows(store, statuses=("scheduled", "active")):
        if now >= w.ends_at:
            store_mw.set_status(store, window_id=w.id, status="done", only_from=("scheduled", "active"))
        elif now >= w.starts_at and w.status == "scheduled":
            store_mw.set_status(store, window_id=w.id, status="active", only_from=("scheduled",))


def remind(cfg: Config, store: Store, now: datetime | None = None) -> list[Window]:
    """Send every reminder that is due (its window starts within `remind_before`, has not ended, and was not
    reminded yet); cheap when none is (one query). Returns the windows reminded now."""
    now = now or datetime.now(UTC)
    sync(store, now)
    sent = []
    for w in store_mw.windows(store, statuses=("scheduled", "active")):
        due = (  # starts within remind_before (as a difference: never a date before year 1)
            w.reminder_sent_at is None
            and w.starts_at - now <= timedelta(seconds=w.remind_before_s)
            and now < w.ends_at
        )
        title = f"Reminder: maintenance starts {when_text(w)}"
        if due and send(cfg, store, w, "reminder", EventKind.MAINTENANCE_REMINDER, title, now):
            sent.append(w)
    return sent


def active(store: Store, now: datetime | None = None) -> list[Window]:
    now = now or datetime.now(UTC)
    return [
        w for w in store_mw.windows(store, statuses=("scheduled", "active")) if w.starts_at <= now < w.ends_at
    ]


def mark(findings: list[Finding], windows: Sequence[Window]) -> None:
    """Mark, in place, the findings on a target inside one of `windows` as expected (the first window's id)."""
    for i, f in enumerate(findings):
        window = next((w for w in windows if covers(w, f.target)), None)
        if window is not None and MAINTENANCE_KEY not in f.details:
            findings[i] = f.model_copy(update={"details": {**f.details, MAINTENANCE_KEY: window.id}})


class MarkingStore:
    """A run's store that marks each target's findings before they are recorded (so history, reports and
    the notifications' run summary all see the same marks)."""

    def __init__(self, inner: RunStore, windows: Sequence[Window]) -> None:
        self.inner, self.windows = inner, list(windows)

    def begin(self, **kw: Any) -> None:
        self.inner.begin(**kw)

    def record(self, *, run_id: str, outcome: TargetOutcome) -> None:
        mark(outcome.findings, self.windows)
        self.inner.record(run_id=run_id, outcome=outcome)

    def finish(self, **kw: Any) -> None:
        self.inner.finish(**kw)
