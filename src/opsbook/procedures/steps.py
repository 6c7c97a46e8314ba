"""What makes a plan a sequence of steps: wait conditions, health gates and per-step approval.

Waits. A step may wait, after acting, until a condition holds (`PlanItem.wait`). Conditions are
registered once, like item kinds::

    wait_condition("deployment-rolled-out", deployment_rolled_out)   # fn(item, clients, params) -> (ok, progress)

The deadline is journaled with the step (state `waiting`), so a wait interrupted by Ctrl-C or kill -9
resumes on the next apply with the time it has left, and the action is never repeated.

Gates. `PlanItem.gate` names opsbook checks. The apply takes a baseline at its start (which findings of
those checks already fail), journals it, and after each gated step runs them again on the step's target:
any failing or unreadable finding that was not failing in the baseline stops the plan. The runner is injected (`Gates`):
the engine runs checks, this layer only asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opsbook.core.registry import Registry
from opsbook.procedures.kinds import Clients
from opsbook.procedures.plan import PlanItem
from opsbook.providers.k8s.errors import describe

WaitFn = Callable[[PlanItem, Clients, dict[str, Any]], tuple[bool, str]]


@dataclass(frozen=True)
class WaitCondition:
    name: str
    fn: WaitFn
    description: str = ""


WAITS: Registry[WaitCondition] = Registry("wait conditions")


def wait_condition(
    name: str, fn: WaitFn, *, description: str = "", registry: Registry[WaitCondition] | None = None
) -> WaitCondition:
    cond = WaitCondition(name=name, fn=fn, description=description)
    (registry if registry is not None else WAITS).add(name, cond)
    return cond


class WaitFailed(Exception):
    """Raised by a wait condition that can no longer hold (a rollout past its progress deadline, a spec
    someone else changed): the wait fails at once with this message instead of polling to its deadline."""


@dataclass(frozen=True)
class WaitResult:
    ok: bool
    progress: str  # the condition's last word ("2/3 replicas updated")
    waited_s: float
    ended: bool = False  # the condition said it can no longer hold (WaitFailed), before the deadline

    def failure(self, condition: str, timeout_s: float) -> str:
        """Why a wait that did not hold failed, in one line."""
        if self.ended:
            return f"{condition} failed after {self.waited_s:.0f} s: {self.progress}"
        return f"timed out waiting for {condition} ({timeout_s:.0f} s): {self.progress}"


# What one check of a wait condition found: it holds (ok), not yet, it can no longer hold (ended: the
# condition raised WaitFailed), access denied (waiting cannot help), or not yet at/after the deadline.
OK, NOT_YET, ENDED, DENIED, TIMEOUT = "ok", "not-yet", "ended", "denied", "timeout"
SETTLED = (OK, ENDED, DENIED, TIMEOUT)  # verdicts that end a wait


def check_once(
    cond: WaitCondition, item: PlanItem, clients: Clients, params: dict[str, Any]
) -> tuple[str, str]:
    """Ask `cond` once: (verdict OK | NOT_YET | ENDED | DENIED, progress). A failing probe is NOT_YET (a
    cluster briefly unreachable mid-upgrade is normal), unless its error is one waiting cannot fix."""
    try:
        ok, progress = cond.fn(item, clients, dict(params))
    except WaitFailed as exc:  # the condition says waiting cannot help
        return ENDED, str(exc)
    except Exception as exc:  # noqa: BLE001 - retried until the deadline; the last error is reported
        progress = f"probe failed: {describe(exc)}"
        return (DENIED if denied(exc) else NOT_YET), progress
    return (OK if ok else NOT_YET), progress


def check_by(
    cond: WaitCondition, item: PlanItem, clients: Clients, *, deadline: float, now: float
) -> tuple[str, str]:
    """One check of a step's wait for a scheduler that sleeps between checks (a Temporal timer): as
    `check_once`, and NOT_YET at or after `deadline` is TIMEOUT (`poll` gives up there too)."""
    assert item.wait is not None
    verdict, progress = check_once(cond, item, clients, item.wait.params)
    if verdict == NOT_YET and now >= deadline:
        return TIMEOUT, progress
    return verdict, progress


def poll(
    cond: WaitCondition,
    item: PlanItem,
    clients: Clients,
    *,
    deadline: float,
    interval: float,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    params: dict[str, Any] | None = None,
) -> WaitResult:
    """Ask `cond` until it holds or `deadline` (epoch seconds) passes; a failing probe is progress, not a
    verdict (a cluster briefly unreachable mid-upgrade is normal): it is retried until the deadline.
    `params` replaces the step's wait parameters (a rollback waits for the state its undo restored)."""
    assert item.wait is not None
    start = clock()
    asked = dict(item.wait.params if params is None else params)
    while True:
        verdict, progress = check_once(cond, item, clients, asked)
        if verdict == ENDED:
            if on_progress:
                on_progress(progress)
            return WaitResult(False, progress, clock() - start, ended=True)
        if verdict == DENIED:  # waiting longer cannot help: fail now, with the reason
            return WaitResult(False, progress, clock() - start)
        if on_progress:
            on_progress(progress)
        if verdict == OK:
            return WaitResult(True, progress, clock() - start)
        left = deadline - clock()
        if left <= 0:
            return WaitResult(False, progress, clock() - start)
        sleep(min(interval, left))


DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
     "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "AuthFailure"}
)  # fmt: skip


def denied(exc: BaseException) -> bool:
    """An error no amount of waiting fixes: credentials refused or the action not allowed (AWS error codes,
    Kubernetes 401/403). Anything else (throttling, 5xx, a cluster briefly away) is retried by `poll`."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status in (401, 403):
        return True
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in DENIED_CODES


class Gates(Protocol):
    """Runs a plan's health gates (implemented by the engine, which runs checks)."""

    def baseline(self, items: Sequence[PlanItem]) -> dict[str, list[str]]:
        """check id -> uids of its failing (or unreadable) findings on the items' targets, before anything
        changes."""
        ...

    def regressions(self, item: PlanItem, baseline: dict[str, list[str]]) -> list[str]:
        """One line per failing finding of `item.gate`'s checks that was not failing in `baseline`."""
        ...

    def unknown(self, check_ids: Sequence[str]) -> list[str]:
        """The ids among `check_ids` that name no check (a plan gated on them is refused up front)."""
        ...
