"""Apply a plan: only its items, each re-checked right before acting, journaled, audited.

Order of work for one apply:
1. refuse an altered or expired plan (PlanMismatch), unknown item ids or kinds, kinds its procedure does
   not declare, wait conditions or gate checks this opsbook does not know (before any step runs);
   take the plan's lock (procedures/lock.py): another live apply of the same plan -> PlanLocked, a stale
   holder (dead pid on this host, or no heartbeat for 2 minutes) is taken over and that is audited;
2. resume first: an item journaled `started` but never `done` (a killed apply) is re-checked against live
   state; if its effect is in place it is marked done without acting again;
3. refuse more items than `max_resources` (LimitExceeded) before anything is changed;
4. ask for approval (the caller's function; it raises to refuse);
5. per item: refuse protected accounts and resources carrying the protect tag, re-check, skip with the
   reason when the resource changed, else journal `started` -> act -> journal `done`.
Every action, skip and refusal is written to the audit trail with who, host, plan hash and time.
The lock is held from step 1 to the end (success, failure, refusal, Ctrl-C). A database failure on the way
is a StoreUnavailable (exit 3), never a raw driver exception.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import LimitExceeded, NotFound, OpsbookError, PlanLocked, PlanMismatch
from opsbook.core.tags import is_protected
from opsbook.procedures import notices
from opsbook.procedures import plan as plan_mod
from opsbook.procedures.kinds import KINDS, Clients, ItemKind, Live
from opsbook.procedures.lock import PlanLock
from opsbook.procedures.plan import Plan, PlanItem
from opsbook.procedures.steps import WAITS, Gates, poll
from opsbook.providers.k8s.errors import describe
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, store_errors

DEFAULT_MAX_RESOURCES = 50
FAILED = ("failed", "gate-red")  # outcomes that make apply exit 3
RESULTS = (
    "done", "resumed", "already-done", "would-act", "approved", "undone",
    "skipped", "not-run", "refused", "gate-red", "failed",
)  # fmt: skip
BASELINE = "_gate-baseline"  # the journal entry holding the health gates' baseline
# Test hook: exit the process hard (no cleanup, like `kill -9`) right after this many actions, before the
# journal records them done. Used by the resume tests; never set it in production.
CRASH_ENV = "OPSBOOK_TEST_CRASH_AFTER_ACTIONS"

ClientsFor = Callable[[PlanItem], Callable[[str], Any]]


@dataclass(frozen=True)
class ApplyOptions:
    only: Sequence[str] = ()
    max_resources: int = DEFAULT_MAX_RESOURCES
    snapshot_before_delete: bool = False
    dry_run: bool = False  # every re-check and gate evaluated, nothing changed
    rollback: bool = False  # undo the completed steps, newest first
    incident: str | None = None  # the incident this apply serves (`opsbook incident act`): on every audit row
    # A step's wait is checked once; while it does not hold yet the apply stops there and says so in
    # `ApplyResult.waiting` (a durable scheduler, Temporal, sleeps and checks again: procedures/deferred.py).
    defer_waits: bool = False
    # steps an earlier pass of this same apply (Temporal) failed or refused: not tried again, as a local
    # apply tries each step once (the Temporal workflow passes them: temporal/apply_io.py)
    settled: Sequence[str] = ()


@dataclass(frozen=True)
class Outcome:
    item_id: str
    resource: str
    action: str
    # done | skipped | refused | failed | resumed | already-done | would-act | not-run | gate-red | undone
    result: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApplyResult:
    apply_id: str
    plan_hash: str
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a stale lock taken over
    stopped_at: str | None = None  # the step an ordered plan stopped at (failed, refused, gate red)
    rolled_back: bool = False  # a step failed and the plan was rolled back automatically (on_failure)
    waiting: dict[str, Any] | None = None  # defer_waits: the wait the apply stopped at (deferred.Waiting)

    @property
    def failed(self) -> bool:
        return self.rolled_back or any(o.result in FAILED for o in self.outcomes)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def acted(self) -> int:
        return self.count("done")


class Applier:
    def __init__(
        self,
        plan: Plan,
        *,
        cfg: Config,
        store: Store,
        clients_for: ClientsFor,
        options: ApplyOptions,
        registry: Any = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        now: datetime | None = None,
        gates: Gates | None = None,
        approve_step: Callable[[PlanItem], None] | None = None,
        on_progress: Callable[[PlanItem, str], None] | None = None,
        actor: tuple[str, str] | None = None,
    ) -> None:
        self.plan = plan
        self.gates = gates
        self.approve_step = approve_step
        self.on_progress = on_progress
        self.finished: set[str] = set()  # item ids whose effect is in place (done now or before)
        self.baseline: dict[str, list[str]] = {}
        self.cfg = cfg
        self.store = store
        self.clients_for = clients_for
        self.options = options
        self.kinds = registry if registry is not None else KINDS
        self.on_outcome = on_outcome
        self.now = now or datetime.now(UTC)
        self.who, self.host = actor or plan_mod.actor()  # (user, host) on every audit row
        self.result = ApplyResult(apply_id=uuid.uuid4().hex[:12], plan_hash=plan.plan_hash)
        self.actions = 0
        self.lock: PlanLock | None = None

    # -- audit -----------------------------------------------------------------------------------
    def record(self, item: PlanItem | None, result: str, reason: str = "", **details: Any) -> Outcome:
        resource = item.resource.id if item else "*"
        action = item.action if item else "apply"
        store_plans.audit(
            self.store,
            who=self.who,
            host=self.host,
            procedure=self.plan.procedure,
            plan_hash=self.plan.plan_hash,
            apply_id=self.result.apply_id,
            resource=resource,
            action=action,
            result=result,
            reason=reason,
            item_id=item.id if item else None,
            account=item.account if item else None,
            region=item.region if item else None,
            details=details,
            incident=self.options.incident,
        )
        outcome = Outcome(item.id if item else "*", resource, action, result, reason, details)
        if item is not None:
            self.result.outcomes.append(outcome)
            if self.on_outcome:
                self.on_outcome(outcome)
        return outcome

    def refuse_plan(self, reason: str) -> None:
        self.record(None, "refused", reason)

    def still_holding(self) -> None:
        """Stop (PlanLocked) when another apply took this one's lock over; checked before every item."""
        if self.lock is not None:
            self.lock.check()

    # -- steps -----------------------------------------------------------------------------------
    def selected(self) -> list[PlanItem]:
        wanted = [w for w in self.options.only if w]
        known = {i.id for i in self.plan.items} | {i.resource.id for i in self.plan.items}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise NotFound(f"--only: no item {', '.join(unknown)} in this plan")
        items = [i for i in self.plan.items if not wanted or i.id in wanted or i.resource.id in wanted]
        missing = sorted({i.kind for i in items if i.kind not in self.kinds})
        if missing:
            raise PlanMismatch(f"plan uses unknown item kinds: {', '.join(missing)}")
        self.check_steps(self.plan.items)
        return items

    def check_steps(self, items: Sequence[PlanItem]) -> None:
        """Refuse, before anything changes, a plan this opsbook cannot carry through to its end: item kinds
        its procedure does not declare, wait conditions or gate checks it does not know."""
        from opsbook.procedures.registry import PROCEDURES

        problems = []
        if self.plan.procedure in PROCEDURES:
            declared = set(PROCEDURES.get(self.plan.procedure).kinds)
            if undeclared := sorted({i.kind for i in items} - declared):
                problems.append(
                    f"item kinds procedure {self.plan.procedure} does not declare: {', '.join(undeclared)}"
                )
        if waits := sorted({i.wait.condition for i in items if i.wait and i.wait.condition not in WAITS}):
            problems.append(f"unknown wait conditions: {', '.join(waits)}")
        if self.gates is not None:
            if unknown := self.gates.unknown(sorted({c for i in items for c in i.gate})):
                problems.append(f"unknown gate checks: {', '.join(unknown)}")
        if problems:
            raise PlanMismatch("plan refused before any step ran: " + "; ".join(problems))

    def clients(self, item: PlanItem) -> Clients:
        opts = {"snapshot_before_delete": self.options.snapshot_before_delete}
        return Clients(self.clients_for(item), options=opts, plan_hash=self.plan.plan_hash, now=self.now)

    def recheck(self, kind: ItemKind, item: PlanItem) -> Live | None:
        try:
            return kind.recheck(item, self.clients(item))
        except Exception as exc:  # noqa: BLE001 - one resource's failure must not stop the others
            self.record(item, "failed", f"re-check failed: {describe(exc)}")
            return None

    def refusal(self, item: PlanItem) -> str | None:
        name = item.account
        if item.cluster:
            cluster = next((c for c in self.cfg.clusters if c.name == item.cluster), None)
            if cluster is None:
                return f"cluster {item.cluster!r} is not in the configuration"
            name = name or (cluster.eks.account if cluster.eks else "")
            if not name:
                return None  # a cluster reached by kubeconfig: no account whose protection applies
        try:
            account = self.cfg.account(name)
        except OpsbookError:
            return f"account {name!r} is not in the configuration"
        if account.protected:
            return f"account {account.name} is protected (protected: true)"
        if item.account_id and account.id and item.account_id != account.id:
            return f"account {account.name} is {account.id} now, the plan was made for {item.account_id}"
        return None

    def act(self, kind: ItemKind, item: PlanItem, live: Live, *, resumed: bool = False) -> None:
        store_plans.journal_start(
            self.store,
            plan_hash=self.plan.plan_hash,
            item_id=item.id,
            resource=item.resource.id,
            action=item.action,
            apply_id=self.result.apply_id,
        )
        try:
            detail = kind.act(item, self.clients(item)) or {}
        except Exception as exc:  # noqa: BLE001 - recorded, then the next item
            store_plans.journal_finish(
                self.store,
                plan_hash=self.plan.plan_hash,
                item_id=item.id,
                state="failed",
                detail={"error": describe(exc)},
            )
            self.record(item, "failed", describe(exc))
            return
        self.count_action()
        reason = "acted after resuming an interrupted apply" if resumed else live.reason
        if detail.get("snapshot_id"):
            reason += f" (snapshot {detail['snapshot_id']} taken first)"
        if item.wait is not None:
            deadline = time.time() + item.wait.timeout_s
            detail = {**detail, "wait_deadline": deadline}
            if self.options.defer_waits:
                detail["act_reason"] = reason  # the step's `done` row, written when a later check holds
            store_plans.journal_finish(
                self.store, plan_hash=self.plan.plan_hash, item_id=item.id, state="waiting", detail=detail
            )
            self.finish_wait(item, detail, reason)
            return
        store_plans.journal_finish(
            self.store, plan_hash=self.plan.plan_hash, item_id=item.id, state="done", detail=detail
        )
        self.finished.add(item.id)
        self.record(item, "done", reason, **detail)

    def count_action(self) -> None:
        """One more change made (an act or an undo); the crash test hook exits here, before the journal
        records it."""
        self.actions += 1
        crash_after = os.environ.get(CRASH_ENV)
        if crash_after and self.actions >= int(crash_after):
            os._exit(137)

    def finish_wait(
        self, item: PlanItem, detail: dict[str, Any], reason: str, *, resumed: bool = False
    ) -> None:
        """Wait for the step's condition until the journaled deadline (an interrupted wait resumes here:
        the action is not repeated), then journal the step done, or failed on timeout."""
        assert item.wait is not None
        if item.wait.condition not in WAITS:
            self.fail_step(item, detail, f"unknown wait condition {item.wait.condition!r}")
            return
        if self.options.defer_waits:
            from opsbook.procedures import deferred

            deferred.settle_or_defer(self, item, detail, reason, resumed=resumed)
            return
        report = self.on_progress
        progress = (lambda text: report(item, text)) if report else None
        waited = poll(
            WAITS.get(item.wait.condition),
            item,
            self.clients(item),
            deadline=float(detail.get("wait_deadline") or 0),
            interval=item.wait.interval_s,
            on_progress=progress,
        )
        if not waited.ok:
            self.fail_step(item, detail, waited.failure(item.wait.condition, item.wait.timeout_s))
            return
        store_plans.journal_finish(
            self.store, plan_hash=self.plan.plan_hash, item_id=item.id, state="done", detail=detail
        )
        self.finished.add(item.id)
        note = f"{item.wait.condition}: {waited.progress} after {waited.waited_s:.0f} s"
        self.record(item, "resumed" if resumed else "done", f"{reason}; {note}", **detail)

    def await_in_place(self, item: PlanItem) -> None:
        """A step whose effect is already in place (an earlier step caused it, e.g. the HPA scaled the
        deployment) still waits for its condition before the plan goes on; nothing is acted or journaled,
        so an interruption here simply waits again next time."""
        assert item.wait is not None
        cond = WAITS.get(item.wait.condition) if item.wait.condition in WAITS else None
        if cond is None:
            self.record(item, "failed", f"unknown wait condition {item.wait.condition!r}")
            return
        if self.options.defer_waits:
            from opsbook.procedures import deferred

            deferred.await_in_place(self, item)
            return
        report = self.on_progress
        waited = poll(
            cond,
            item,
            self.clients(item),
            deadline=time.time() + item.wait.timeout_s,
            interval=item.wait.interval_s,
            on_progress=(lambda text: report(item, text)) if report else None,
        )
        if not waited.ok:
            self.finished.discard(item.id)
            self.record(item, "failed", waited.failure(item.wait.condition, item.wait.timeout_s))

    def fail_step(self, item: PlanItem, detail: dict[str, Any], reason: str) -> None:
        """A step that acted but did not finish (its wait timed out): `failed`, marked `acted` so that
        `--rollback` still undoes it."""
        store_plans.journal_finish(
            self.store,
            plan_hash=self.plan.plan_hash,
            item_id=item.id,
            state="failed",
            detail={**detail, "error": reason, "acted": not detail.get("in_place")},
        )
        self.record(item, "failed", reason)

    def resume(self, items: list[PlanItem], journal: dict[str, store_plans.JournalEntry]) -> set[str]:
        """Settle items a killed apply left `started`; returns the ids settled here."""
        settled: set[str] = set()
        for item in items:
            entry = journal.get(item.id)
            if entry is None or entry.state != "started":
                continue
            self.still_holding()
            kind = self.kinds.get(item.kind)
            live = self.recheck(kind, item)
            if live is None:
                settled.add(item.id)
                continue
            if live.state == "done" and item.wait is not None:
                # killed between its act and journaling the wait: the action happened, the wait did not
                detail = {"resumed": True, "wait_deadline": time.time() + item.wait.timeout_s}
                store_plans.journal_finish(
                    self.store, plan_hash=self.plan.plan_hash, item_id=item.id, state="waiting", detail=detail
                )
                continue  # run() resumes its wait
            if live.state == "done":
                store_plans.journal_finish(
                    self.store,
                    plan_hash=self.plan.plan_hash,
                    item_id=item.id,
                    state="done",
                    detail={"resumed": True, "reason": live.reason},
                )
                self.record(item, "resumed", f"interrupted apply {entry.apply_id} had done it: {live.reason}")
                self.finished.add(item.id)
                settled.add(item.id)
            elif live.state == "changed":
                store_plans.journal_finish(
                    self.store, plan_hash=self.plan.plan_hash, item_id=item.id, state="abandoned"
                )
                self.record(item, "skipped", f"after an interrupted apply: {live.reason}")
                settled.add(item.id)
            # eligible: the action never happened; it goes through the normal path below
        return settled

    def run(self, approve: Callable[[list[PlanItem]], None]) -> ApplyResult:
        items = self.selected()
        from opsbook.procedures import rollback

        if self.options.rollback:
            return rollback.roll_back(self, items, approve)
        journal = store_plans.journal(self.store, plan_hash=self.plan.plan_hash)
        if self.plan.on_failure == "rollback" and rollback.AUTO in journal:
            return rollback.continue_rolled_back(self, journal[rollback.AUTO], approve)
        settled = self.resume(items, journal)
        journal = store_plans.journal(self.store, plan_hash=self.plan.plan_hash)
        todo = [
            i for i in items if i.id not in settled and (i.id not in journal or journal[i.id].state != "done")
        ]
        if len(todo) > self.options.max_resources:
            reason = f"{len(todo)} resources to change, more than max-resources {self.options.max_resources}"
            self.refuse_plan(reason)
            raise LimitExceeded(reason + " (raise it with --max-resources)")
        self.get_approval(approve, todo)
        self.baseline = self.take_baseline(self.plan.items, journal)
        for item in items:
            if self.result.stopped_at is not None:
                self.record(item, "not-run", f"the plan stopped at step {self.result.stopped_at}")
                continue
            if item.id in self.options.settled:  # an earlier pass of this apply reported it
                continue
            entry = journal.get(item.id)
            if item.id in settled:  # settled by resume(): a failed re-check there stops an ordered plan
                self.after_step(item)
                continue
            if entry is not None and entry.state == "done":
                self.finished.add(item.id)
                self.record(item, "already-done", f"done by apply {entry.apply_id}")
                continue
            self.still_holding()
            missing = [d for d in item.depends_on if d not in self.finished]
            if missing:
                self.record(item, "not-run", f"waits for step {', '.join(missing)}")
            elif entry is not None and entry.state == "waiting" and self.options.dry_run:
                self.finished.add(item.id)  # nothing is polled or journaled in a dry run
                self.record(item, "would-act", f"would resume the wait of apply {entry.apply_id}")
            elif entry is not None and entry.state == "waiting" and item.wait is not None:
                self.finish_wait(
                    item, entry.detail, f"resumed the wait of apply {entry.apply_id}", resumed=True
                )
            else:
                self.one(item)
            if self.result.waiting is not None:  # defer_waits: a wait to check later; stop here
                return self.result
            self.after_step(item)
        if (
            self.plan.on_failure == "rollback"
            and not self.options.dry_run
            and (failed := self.stopped_by_failure())
        ):
            rollback.auto_roll_back(self, failed)
        return self.result

    def stopped_by_failure(self) -> Outcome | None:
        """The outcome of the step the plan stopped at when it failed or turned its gate red (not a refusal)."""
        at = self.result.stopped_at
        last = next((o for o in reversed(self.result.outcomes) if o.item_id == at), None)
        return last if at is not None and last is not None and last.result in FAILED else None

    def get_approval(
        self, approve: Callable[[list[PlanItem]], None], todo: list[PlanItem], what: str = ""
    ) -> None:
        """The caller's approval of `todo` (not asked in a dry run); a refusal is audited, then raised."""
        if self.options.dry_run:
            return
        try:
            approve(todo)
        except OpsbookError as exc:
            self.refuse_plan(f"{what}not approved: {exc}")
            notices.approval_needed(self, todo, f"{what}not approved: {exc}")
            raise

    def after_step(self, item: PlanItem) -> None:
        """An ordered plan stops at a failed or refused step, or at a gate that turned red."""
        last = next((o for o in reversed(self.result.outcomes) if o.item_id == item.id), None)
        stepped = ("done", "resumed", "would-act", "skipped")
        if last is not None and item.gate and last.result in stepped and self.gates:
            red = self.gates.regressions(item, self.baseline)
            if red:
                self.record(item, "gate-red", f"health gate after step {item.id}: " + "; ".join(red[:5]))
                last = self.result.outcomes[-1]
        if (
            self.plan.ordered
            and last is not None
            and last.result in ("failed", "refused", "gate-red", "not-run")
        ):
            self.result.stopped_at = item.id

    def take_baseline(self, items: Sequence[PlanItem], journal: dict[str, Any]) -> dict[str, list[str]]:
        """The gates' baseline: taken once per plan, before its first step, and journaled, so a resumed
        apply judges against what was true before the procedure started (not halfway through it)."""
        if self.gates is None or not any(i.gate for i in items):
            return {}
        entry = journal.get(BASELINE)
        if entry is not None:
            return {k: list(v) for k, v in entry.detail.get("failing", {}).items()}
        baseline = self.gates.baseline(items)
        if not self.options.dry_run:
            self.journal_plan_entry(BASELINE, "gate-baseline", "done", {"failing": baseline})
        return baseline

    def journal_plan_entry(self, entry: str, action: str, state: str, detail: dict[str, Any]) -> None:
        """Journal one of the plan's own entries (not a step: `_gate-baseline`, `_auto-rollback`)."""
        store_plans.journal_start(
            self.store,
            plan_hash=self.plan.plan_hash,
            item_id=entry,
            resource="*",
            action=action,
            apply_id=self.result.apply_id,
        )
        store_plans.journal_finish(
            self.store, plan_hash=self.plan.plan_hash, item_id=entry, state=state, detail=detail
        )

    def one(self, item: PlanItem) -> None:
        refusal = self.refusal(item)
        if refusal:
            self.record(item, "refused", refusal)
            return
        kind = self.kinds.get(item.kind)
        live = self.recheck(kind, item)
        if live is None:
            return
        if is_protected(live.tags, self.cfg.protect_tag):
            self.record(item, "refused", f"resource carries the protect tag {self.cfg.protect_tag}")
        elif live.state == "done":
            self.finished.add(item.id)
            self.record(item, "skipped", f"nothing to do: {live.reason}")
            if item.wait is not None and not self.options.dry_run:
                self.await_in_place(item)
        elif live.state == "changed":
            self.record(item, "skipped", live.reason, **live.evidence)
        elif self.options.dry_run:
            self.finished.add(item.id)  # later steps are judged as if this one had run
            self.record(item, "would-act", live.reason)
        elif item.approval and not self.step_approved(item):
            return
        else:
            self.act(kind, item, live)

    def step_approved(self, item: PlanItem) -> bool:
        """Per-step approval: asked right before the step, recorded who and when; refused -> stop."""
        if self.approve_step is None:
            self.record(item, "refused", "this step needs its own approval (--approve-step or a terminal)")
            notices.approval_needed(self, [item], "this step needs its own approval", step=item.id)
            return False
        try:
            self.approve_step(item)
        except OpsbookError as exc:
            self.record(item, "refused", f"step not approved: {exc}")
            notices.approval_needed(self, [item], f"step not approved: {exc}", step=item.id)
            return False
        self.record(item, "approved", f"approved by {self.who}@{self.host}")
        return True


def apply_plan(
    plan: Plan,
    raw: dict[str, Any],
    *,
    cfg: Config,
    store: Store,
    clients_for: ClientsFor,
    options: ApplyOptions,
    approve: Callable[[list[PlanItem]], None],
    on_outcome: Callable[[Outcome], None] | None = None,
    now: datetime | None = None,
    registry: Any = None,
    gates: Gates | None = None,
    approve_step: Callable[[PlanItem], None] | None = None,
    on_progress: Callable[[PlanItem, str], None] | None = None,
    actor: tuple[str, str] | None = None,
    lock: PlanLock | None = None,
) -> ApplyResult:
    """Verify, resume, approve and apply `plan`; the library entry point every front end calls.
    `actor`: who asked and where it runs (default: this process's user and host). `lock`: the plan lock
    to take (a durable apply's WorkflowLock, kept when this pass ends); default one of this apply's own."""
    applier = Applier(
        plan,
        cfg=cfg,
        store=store,
        clients_for=clients_for,
        options=options,
        registry=registry,
        on_outcome=on_outcome,
        now=now,
        gates=gates,
        approve_step=approve_step,
        on_progress=on_progress,
        actor=actor,
    )
    with store_errors(f"applying plan {plan.plan_hash[:19]}..."):
        try:
            plan_mod.verify(plan, raw, now=now)
        except PlanMismatch as exc:
            applier.refuse_plan(str(exc))
            raise
        lock = lock or PlanLock(
            store,
            plan_hash=plan.plan_hash,
            apply_id=applier.result.apply_id,
            who=applier.who,
            host=applier.host,
        )
        try:
            lock.acquire()
        except PlanLocked as exc:
            applier.refuse_plan(str(exc))
            raise
        with lock.holding():
            applier.lock = lock
            if lock.taken_over:
                note = f"took over the stale lock of {lock.taken_over}"
                applier.record(None, "lock-taken-over", note)
                applier.result.notes.append(note)
            plan_mod.record(store, plan, raw)
            result = applier.run(approve)
            if result.failed and not options.dry_run:
                notices.plan_failed(applier)
            return result


class TargetClients:
    """The clients an item's kind asks for: `clients("ec2")` is a boto3 client in the item's account and
    region (opsbook's session factory: profiles, assume-role, sandbox endpoint, retries);
    `clients("k8s")` is the API client of the item's `cluster` (the same kubeconfig / EKS-token path the
    checks use); `clients("terraform-env")` the variables Terraform needs added; `clients("config")` the Config. One per apply; `close()` releases the cluster clients."""

    def __init__(self, cfg: Config) -> None:
        from opsbook.providers.aws.session import SessionFactory

        self.cfg = cfg
        self.sessions = SessionFactory(cfg)
        self._clusters: Any = None

    def __call__(self, item: PlanItem) -> Callable[[str], Any]:
        def make(service: str) -> Any:
            if service == "k8s":
                return self.cluster_api(item)
            if service == "config":  # opsbook's own configuration (a step that notifies or reads the store)
                return self.cfg
            if service == "terraform-env":  # what Terraform needs added to its environment (the sandbox's S3)
                from opsbook.providers.terraform.changes import sandbox_env

                return sandbox_env(self.cfg, item.account)
            account = self.cfg.account(item.account)
            key = f"aws:{account.name}/{item.region}"
            return self.sessions.client(account, item.region, service, key)

        return make

    def cluster_api(self, item: PlanItem) -> Any:
        if not item.cluster:
            raise NotFound(f"item {item.id}: a Kubernetes action needs the item's cluster")
        if self._clusters is None:
            from opsbook.providers.k8s.client import ClusterClients

            self._clusters = ClusterClients(self.cfg, self.sessions.stats, self.sessions)
        cluster = self._clusters.cluster(item.cluster)
        return self._clusters.api_client(cluster, f"k8s:{cluster.name}")

    def close(self) -> None:
        if self._clusters is not None:
            self._clusters.close()


def require_approval(*, yes: bool, interactive: bool, confirm: Callable[[], bool]) -> None:
    """`--yes` approves; otherwise ask on a terminal; with neither, refuse (InputError, exit 2)."""
    from opsbook.core.errors import InputError

    if yes:
        return
    if not interactive:
        raise InputError("no terminal to ask for approval on: review the plan, then pass --yes")
    if not confirm():
        raise InputError("not approved; nothing was changed")
