"""The guide's calendar running itself (`opsbook serve --schedule`, `opsbook schedule run`; docs/schedule.md).

Order of work:
1. on start, slots a stopped scheduler left `running` become `interrupted` (never started again);
2. on start, per cadence, its latest slot up to now starts once when it has no record: after downtime
   however many slots were missed (a catch-up, once, not once per missed slot); on the very first start
   only a slot of today (what `opsbook run due` would run today), so a new install does not replay the
   past month;
3. then each slot starts when the clock reaches it (after a sleep of the machine, the newest one only);
4. a slot that comes while the cadence's previous run is still going is recorded `skipped` (not queued);
   different cadences may run side by side;
5. every slot is claimed in the store first (store/schedule.py: unique per cadence and slot), so a slot
   that already ran is never run again after a restart, nor by a second scheduler on the same store;
6. a run that failed (could not start, bad config, crashed) is recorded `failed` and sends a
   `schedule.failed` notification; a run's own summary notification is the run's (engine/run_notice.py).

The clock and the launcher are injected: tests move time by hand and start fake runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from opsbook.core.config import Config
from opsbook.core.errors import StoreUnavailable, one_line
from opsbook.core.events import Event, EventKind, EventSeverity
from opsbook.engine import timetable
from opsbook.engine.timetable import Cadence
from opsbook.store import schedule
from opsbook.store.db import Store

log = logging.getLogger("opsbook.schedule")
RETRY_S = 30.0  # after the store failed, try again this soon
MAX_SLEEP_S = 60.0  # wake at least this often (a changed wall clock is noticed within a minute)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Sleep up to `seconds` or until `stop` is set; True when stopped."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(seconds)


@dataclass(frozen=True)
class Outcome:
    """How a started run ended: done (it ran; exit 0, 1 or 3), failed or interrupted."""

    state: str
    run_id: str | None = None
    exit_code: int | None = None
    note: str = ""


Launch = Callable[[Cadence], Outcome]


class Scheduler:
    def __init__(
        self,
        cfg: Config,
        store: Store,
        launch: Launch,
        *,
        clock: Clock | None = None,
        say: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.cfg = cfg
        self.cal = cfg.calendar
        self.store = store
        self.launch = launch
        self.clock = clock or SystemClock()
        self.say = say
        self.cadences = timetable.checked(self.cal, self.clock.now())  # a cron that never runs: exit 2
        self.next: dict[str, datetime | None] = {}
        self.stopping = threading.Event()
        self._threads: dict[str, threading.Thread] = {}
        self._running_slot: dict[str, datetime] = {}

    # -- the loop ------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Start up, then start each slot when it comes, until `stop` is set."""
        started = False
        while not stop.is_set():
            try:
                if not started:
                    self.start_up()
                    started = True
                self.tick()
                wait = self.seconds_to_next()
            except StoreUnavailable as exc:
                self.say(f"schedule: {exc}; trying again in {RETRY_S:.0f} s")
                wait = RETRY_S
            except Exception as exc:  # noqa: BLE001 - the schedule outlives one bad tick (logged, retried)
                self.say(
                    f"schedule: {type(exc).__name__}: {one_line(exc, 300)}; trying again in {RETRY_S:.0f} s"
                )
                wait = RETRY_S
            if self.clock.wait(stop, wait):
                break

    def start_up(self) -> list[schedule.Fire]:
        """Close what a stopped scheduler left running; start each cadence's missed latest slot once."""
        now = self.clock.now()
        if n := schedule.interrupt_running(self.store, at=now):
            self.say(f"schedule: {n} run(s) the previous scheduler left running marked interrupted")
        prior = schedule.latest(self.store)
        fired = []
        for c in self.cadences:
            slot = timetable.last_slot(self.cal, c, now)
            last = prior.get(c.name)
            missed = slot is not None and (last is None or last.slot_at < slot)
            today = slot is not None and timetable.local_day(self.cal, slot) == timetable.local_day(
                self.cal, now
            )
            if slot is not None and missed and (last is not None or today):
                fire = self._start(c, slot, now, catch_up=True)
                fired += [fire] if fire else []
            self.next[c.name] = timetable.next_slot(self.cal, c, now)
        return fired

    def tick(self) -> list[schedule.Fire]:
        """Start every cadence whose next slot has come (the newest slot, if the clock jumped over several)."""
        now = self.clock.now()
        fired = []
        for c in self.cadences:
            due = self.next.get(c.name)
            if due is None or due > now:
                continue
            slot = timetable.last_slot(self.cal, c, now) or due
            fire = self._start(c, slot, now, catch_up=slot != due)
            fired += [fire] if fire else []
            self.next[c.name] = timetable.next_slot(self.cal, c, now)
        return fired

    def seconds_to_next(self) -> float:
        now = self.clock.now()
        soonest = min((t for t in self.next.values() if t is not None), default=None)
        if soonest is None:
            return MAX_SLEEP_S
        return max(0.0, min(MAX_SLEEP_S, (soonest - now).total_seconds()))

    # -- starting one slot ---------------------------------------------------------------------------------

    def _start(self, c: Cadence, slot: datetime, now: datetime, *, catch_up: bool) -> schedule.Fire | None:
        thread = self._threads.get(c.name)
        if thread is not None and thread.is_alive():
            since = self._running_slot[c.name]
            note = f"the {c.name} run of the slot {since.isoformat()} was still running"
            fire = schedule.claim(self.store, cadence=c.name, scope=c.scope, slot_at=slot, at=now,
                                  state="skipped", catch_up=catch_up, note=note)  # fmt: skip
            if fire:
                self.say(f"schedule: {c.name} slot {self._shown(slot)} skipped: {note}")
            return fire
        fire = schedule.claim(
            self.store, cadence=c.name, scope=c.scope, slot_at=slot, at=now, catch_up=catch_up
        )
        if fire is None:  # recorded already (another scheduler on this store took it)
            return None
        late = " (its time passed before the scheduler started: started once now)" if catch_up else ""
        self.say(f"schedule: {c.name} slot {self._shown(slot)}: opsbook run {c.scope}{late}")
        self._running_slot[c.name] = slot
        thread = threading.Thread(
            target=self._execute, args=(c, fire), daemon=True, name=f"opsbook-schedule-{c.name}"
        )
        self._threads[c.name] = thread
        thread.start()
        return fire

    def _execute(self, c: Cadence, fire: schedule.Fire) -> None:
        try:
            outcome = self.launch(c)
        except Exception as exc:  # noqa: BLE001 - a launcher's failure is this slot's, not the scheduler's
            outcome = Outcome("failed", note=one_line(exc, 300))
        if self.stopping.is_set() and outcome.state != "done":
            outcome = Outcome("interrupted", outcome.run_id, outcome.exit_code, "the scheduler stopped")
        try:
            schedule.finish(self.store, fire_id=fire.id, state=outcome.state, at=self.clock.now(),
                            run_id=outcome.run_id, exit_code=outcome.exit_code, note=outcome.note)  # fmt: skip
        except StoreUnavailable as exc:
            self.say(f"schedule: {c.name}: {exc}")
        run = f" run {outcome.run_id}" if outcome.run_id else ""
        said = f" ({outcome.note})" if outcome.note else ""
        self.say(f"schedule: {c.name} slot {self._shown(fire.slot_at)} {outcome.state}{run}{said}")
        if outcome.state == "failed":
            self._tell_failed(c, fire, outcome)

    def _tell_failed(self, c: Cadence, fire: schedule.Fire, outcome: Outcome) -> None:
        from opsbook.notify import publish

        event = Event(
            kind=EventKind.SCHEDULE_FAILED,
            title=f"opsbook schedule: the {c.name} run of {self._shown(fire.slot_at)} failed",
            body=outcome.note or f"exit code {outcome.exit_code}",
            severity=EventSeverity.HIGH,
            dedupe_key=f"schedule:{c.name}:{fire.slot_at.isoformat()}",
            ref=outcome.run_id,
            details={"cadence": c.name, "scope": c.scope, "exit_code": outcome.exit_code},
        )
        try:
            for d in publish(self.cfg, event, store=self.store):
                if not d.ok:
                    self.say(f"schedule: notification to {d.channel} failed: {d.error}")
        except Exception as exc:  # noqa: BLE001 - telling must not stop the schedule
            self.say(f"schedule: notification failed: {one_line(exc, 300)}")

    def _shown(self, at: datetime) -> str:
        return at.astimezone(timetable.zone(self.cal)).isoformat(timespec="minutes")

    # -- stopping ------------------------------------------------------------------------------------------

    def busy(self) -> list[str]:
        return [name for name, t in self._threads.items() if t.is_alive()]

    def join(self, timeout: float | None = None) -> None:
        """Wait for the runs that are going (tests; a stop after the launcher ended its children)."""
        for t in list(self._threads.values()):
            t.join(timeout)


def overview(cfg: Config, store: Store | None, now: datetime) -> list[dict[str, object]]:
    """Per scheduled cadence: its cron and zone, its next slot, and its newest slot that started a run (with
    the run's id; skipped slots are in the record, not here), for `opsbook schedule show` and the
    dashboard's Schedule page."""
    cal = cfg.calendar
    last = schedule.latest(store, started_only=True) if store is not None else {}
    rows: list[dict[str, object]] = []
    for c in timetable.cadences(cal):
        nxt = timetable.next_slot(cal, c, now)
        fire = last.get(c.name)
        rows.append({
            "cadence": c.name, "kind": c.kind, "scope": c.scope, "cron": c.cron, "timezone": cal.timezone,
            "days": timetable.due_rule(cal, c),
            "next": nxt.astimezone(timetable.zone(cal)).isoformat() if nxt else None,
            "last": fire.as_dict() if fire else None,
        })  # fmt: skip
    return rows
