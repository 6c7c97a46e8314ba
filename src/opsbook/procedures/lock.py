"""The plan lock an apply holds: acquired before anything is read or changed, refreshed, released at the end.

One apply per plan at a time. The lock is a row of the store's `plan_locks` table (store/locks.py), so it
holds across processes and hosts sharing a store, on SQLite and PostgreSQL.

- A second apply of the same plan raises PlanLocked (exit 2) naming the holder (user@host, pid, apply id)
  and since when it holds the lock.
- While applying, a background thread refreshes the holder's heartbeat every HEARTBEAT_EVERY (10 s), so a
  slow action (a snapshot awaited before a delete) does not make the lock look stale.
- A lock is stale, and is taken over, when its holder ran on this host and its process is gone (`kill -9`,
  a crash), or when its heartbeat is older than STALE_AFTER (2 minutes: a holder on another host that died,
  or lost the store). A live holder is never taken over. The takeover is written to the audit trail.
- A holder that finds it was taken over (its heartbeat matches no row) stops before its next item.
- The lock is released when the apply ends: success, failure, refusal or Ctrl-C. A process killed hard
  leaves it behind; the next apply on the same host takes it over at once (dead pid), elsewhere after
  STALE_AFTER.

A durable apply (a Temporal workflow, temporal/apply_workflow.py) holds the lock for its whole life, between
its activities too (a wait's timer, an approval awaited): a WorkflowLock, whose row names the workflow
(host `temporal:<workflow id>`, pid 0) and whose `heartbeat_at` is a lease end, "held until",
set HOLD ahead by every activity of the workflow (a pass, a wait check, a renewal run by a timer before the
lease ends). So a long timer never makes it stale; a workflow gone without releasing (terminated) leaves a
lock that goes stale STALE_AFTER past its lease end.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from opsbook.core.errors import PlanLocked, StoreUnavailable
from opsbook.store import locks
from opsbook.store.db import Store, store_errors

HEARTBEAT_EVERY = timedelta(seconds=10)
STALE_AFTER = timedelta(minutes=2)
_ATTEMPTS = 5  # insert / read / take over rounds when holders come and go under our feet


def utcnow() -> datetime:
    return datetime.now(UTC)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists on this host (signal 0 checks without sending anything)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True


WORKFLOW_HOST = "temporal:"  # a durable apply's lock row names `temporal:<workflow id>` as its host


def describe(holder: locks.Holder) -> str:
    if holder.host.startswith(WORKFLOW_HOST):
        return (
            f"Temporal workflow {holder.host.removeprefix(WORKFLOW_HOST)} (started by {holder.who}) "
            f"since {holder.acquired_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"
        )
    return (
        f"{holder.who}@{holder.host} (pid {holder.pid}, apply {holder.apply_id}) "
        f"since {holder.acquired_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"
    )


def stale_reason(
    holder: locks.Holder,
    *,
    host: str,
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
    alive: Callable[[int], bool] = pid_alive,
) -> str | None:
    """Why `holder` may be taken over, or None when it is alive."""
    if holder.host == host and holder.pid > 0 and not alive(holder.pid):
        return f"its process {holder.pid} on {host} is gone"
    age = now - holder.heartbeat_at  # a workflow's lease end is ahead of now: negative until it passes
    if age > stale_after:
        return (
            f"no heartbeat for {int(age.total_seconds())}s (stale after {int(stale_after.total_seconds())}s)"
        )
    return None


class PlanLock:
    """`lock.acquire()`, then `with lock.holding():` around the work; `lock.check()` between steps."""

    def __init__(
        self,
        store: Store,
        *,
        plan_hash: str,
        apply_id: str,
        who: str,
        host: str,
        pid: int | None = None,
        stale_after: timedelta | None = None,
        heartbeat_every: timedelta | None = None,
        clock: Callable[[], datetime] = utcnow,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.store = store
        self.plan_hash = plan_hash
        self.apply_id = apply_id
        self.who, self.host = who, host
        self.pid = os.getpid() if pid is None else pid
        self.stale_after = stale_after or STALE_AFTER
        self.heartbeat_every = heartbeat_every or HEARTBEAT_EVERY
        self.clock = clock
        self.alive = alive
        self.taken_over: str | None = None  # "<previous holder>: <why it was stale>" after a takeover
        self.lost_to: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def holder(self) -> locks.Holder:
        now = self.clock()
        return locks.Holder(self.apply_id, self.who, self.host, self.pid, now, now)

    def acquire(self) -> None:
        for _ in range(_ATTEMPTS):
            if locks.insert(self.store, plan_hash=self.plan_hash, holder=self.holder()):
                return
            held = locks.current(self.store, plan_hash=self.plan_hash)
            if held is None:
                continue  # released meanwhile: try again
            why = stale_reason(
                held, host=self.host, now=self.clock(), stale_after=self.stale_after, alive=self.alive
            )
            if why is None:
                raise PlanLocked(
                    f"plan {self.plan_hash[:19]}... is being applied by {describe(held)}; "
                    "wait for it to finish, then apply again"
                )
            if locks.take_over(
                self.store, plan_hash=self.plan_hash, old_apply_id=held.apply_id, holder=self.holder()
            ):
                self.taken_over = f"{describe(held)}: {why}"
                return
        raise PlanLocked(f"plan {self.plan_hash[:19]}...: its lock keeps changing hands; apply again")

    def beat_at(self) -> datetime:
        """What a heartbeat writes: now (a WorkflowLock writes its lease end)."""
        return self.clock()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_every.total_seconds()):
            try:
                with store_errors("refreshing the plan lock"):
                    if locks.heartbeat(
                        self.store, plan_hash=self.plan_hash, apply_id=self.apply_id, at=self.beat_at()
                    ):
                        continue
                    other = locks.current(self.store, plan_hash=self.plan_hash)
            except StoreUnavailable:
                continue  # the store hiccupped: the next beat tries again (the lock goes stale if it lasts)
            self.lost_to = describe(other) if other else "nobody (it was released)"
            return

    def check(self) -> None:
        """Raise PlanLocked when another apply took this lock over (this one looked stale)."""
        if self.lost_to is not None:
            raise PlanLocked(
                f"plan {self.plan_hash[:19]}...: the lock was taken over by {self.lost_to}; stopped"
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        # if the store is gone, the lock is left behind to go stale
        with contextlib.suppress(StoreUnavailable), store_errors("releasing the plan lock"):
            locks.release(self.store, plan_hash=self.plan_hash, apply_id=self.apply_id)

    @contextlib.contextmanager
    def holding(self) -> Iterator[PlanLock]:
        """After `acquire()`: keep the heartbeat going for the block, release the lock however it ends."""
        self._thread = threading.Thread(target=self._beat, name=f"plan-lock-{self.apply_id}", daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self.end_hold()

    def end_hold(self) -> None:
        """What leaving `holding()` does: a process's lock is released."""
        self.release()


class WorkflowLock(PlanLock):
    """The lock of a durable apply: held by the workflow `workflow_id` from its first activity until it
    ends, not by a process. `acquire()` takes it, or renews it when the workflow holds it already (a later
    pass, a wait check, a renewal, a retried activity); its heartbeat is a lease end `hold` ahead. Leaving
    `holding()` keeps it (the workflow's next activity renews it); `release()` frees it at the workflow's
    end (done, failed, cancelled)."""

    def __init__(
        self, store: Store, *, plan_hash: str, workflow_id: str, who: str, hold: timedelta, **kw: object
    ) -> None:
        super().__init__(
            store,
            plan_hash=plan_hash,
            apply_id=workflow_id[-40:],  # (the column's width; the host names the whole id)
            who=who,
            host=WORKFLOW_HOST + workflow_id,
            pid=0,
            **kw,  # type: ignore[arg-type]
        )
        self.hold = hold

    def holder(self) -> locks.Holder:
        now = self.clock()
        return locks.Holder(self.apply_id, self.who, self.host, self.pid, now, now + self.hold)

    def acquire(self) -> None:
        for _ in range(_ATTEMPTS):
            held = locks.current(self.store, plan_hash=self.plan_hash)
            if held is not None and (held.apply_id, held.host) == (self.apply_id, self.host):
                if locks.heartbeat(
                    self.store, plan_hash=self.plan_hash, apply_id=self.apply_id, at=self.beat_at()
                ):
                    return
                continue  # released or taken meanwhile: look again
            super().acquire()
            return
        raise PlanLocked(f"plan {self.plan_hash[:19]}...: its lock keeps changing hands; apply again")

    def beat_at(self) -> datetime:
        return self.clock() + self.hold  # each beat moves the lease end

    def keep(self) -> None:
        """Stop the heartbeat thread, keep the row (the lease holds until the next activity)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._stop = threading.Event()

    def release(self) -> None:
        """Free the lock at the workflow's end; a store failure raises (the activity is retried)."""
        self.keep()
        with store_errors("releasing the plan lock"):
            locks.release(self.store, plan_hash=self.plan_hash, apply_id=self.apply_id)

    def end_hold(self) -> None:
        """Leaving `holding()` keeps the workflow's lock (its next activity renews it)."""
        self.keep()
