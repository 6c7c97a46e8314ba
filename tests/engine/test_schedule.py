"""The run's scheduling (issue 19): accounts in order (account-major), at most `run.per_account` targets of one account
at once, `run.concurrency` targets in all, and a target's listings collected `run.target_concurrency` at
once (each key still once, dependencies included). In process, no server: the runner and collectors are
fakes that record how many of them were in flight together."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.main import main
from opsbook.core.collectors import CollectorSpec, collector
from opsbook.core.config import Config
from opsbook.core.models import Target, TargetKind
from opsbook.core.registry import Registry
from opsbook.engine.inventory import Inventory
from opsbook.engine.runner import execute
from opsbook.engine.schedule import TargetQueue


def aws(account: str, region: str) -> Target:
    return Target(kind=TargetKind.AWS, account=account, region=region)


class InFlight:
    """Counts what runs at once, overall and per group."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    def run(self, group: str, seconds: float = 0.03) -> None:
        with self.lock:
            self.now[group] += 1
            self.now["*"] += 1
            for g in (group, "*"):
                self.peak[g] = max(self.peak[g], self.now[g])
        time.sleep(seconds)
        with self.lock:
            self.now[group] -= 1
            self.now["*"] -= 1


class FakeRunner:
    def __init__(self, flight: InFlight) -> None:
        self.flight = flight

    def prepare(self, target: Target) -> Callable[[str], Any]:
        self.flight.run(target.account or "")
        return lambda service: None


def test_queue_takes_accounts_in_order_and_holds_the_bound() -> None:
    targets = [aws(a, r) for a in ("a", "b") for r in ("r1", "r2", "r3")]
    q = TargetQueue(targets, per_account=2)
    first = [q.take() for _ in range(4)]
    assert [t.key for t in first if t] == ["aws:a/r1", "aws:a/r2", "aws:b/r1", "aws:b/r2"]
    assert q.take() is None  # both accounts at their bound; 2 still queued
    assert len(q) == 2
    assert not q.done(first[2])  # one of b's finished: b's next may start, a's may not
    nxt = q.take()
    assert nxt is not None and nxt.key == "aws:b/r3"
    assert q.take() is None
    assert not q.done(first[0])
    last = q.take()
    assert last is not None and last.key == "aws:a/r3"
    assert len(q) == 0 and q.take() is None
    # done() says when a group's last target finished (nothing of it queued or running)
    assert [q.done(t) for t in (first[1], last, first[3], nxt)] == [False, True, False, True]


def test_accounts_in_flight_are_bounded_by_the_width_not_the_run() -> None:
    # account-major: with 40 accounts of 2 regions and 8 slots, at most 4 accounts are started and
    # unfinished at any moment (round-robin had every account started after the first 40 targets)
    targets = [aws(f"acct{i:02}", f"r{j}") for i in range(40) for j in range(2)]
    q = TargetQueue(targets, per_account=4)
    running: list[Target] = []
    open_groups, peak = set(), 0
    while len(q) or running:
        while len(running) < 8 and (t := q.take()) is not None:
            running.append(t)
            open_groups.add(t.account)
        peak = max(peak, len(open_groups))
        t = running.pop(0)
        if q.done(t):
            open_groups.discard(t.account)
    assert peak <= 5 and not open_groups


def test_run_holds_per_account_and_total_bounds() -> None:
    flight = InFlight()
    cfg = Config.model_validate({"run": {"concurrency": 6, "per_account": 2}})
    targets = [aws(f"acct{i}", f"r{j}") for i in range(5) for j in range(4)]
    result = execute(cfg, "t", [], targets, runners={TargetKind.AWS: FakeRunner(flight)})
    assert len(result.outcomes) == 20 and not result.failed_targets
    assert max(v for k, v in flight.peak.items() if k != "*") == 2  # never a third region of one account
    assert flight.peak["*"] == 6  # and the run still uses its whole width across accounts


@pytest.mark.parametrize(
    ("line", "col", "field", "value"),
    [("per_account: 0", 3, "per_account", "0"), ("concurrency: 257", 3, "concurrency", "257"),
     ("target_concurrency: 17", 3, "target_concurrency", "17")],
)  # fmt: skip
def test_scheduling_settings_are_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, col: int, field: str, value: str
) -> None:
    p = tmp_path / "opsbook.yaml"
    p.write_text(f"run:\n  {line}\n", encoding="utf-8")
    assert main(["--config", str(p), "config", "validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {p}:2:{col}: run.{field}: "), err
    assert value in err and len(err.splitlines()) == 1


def test_prefetch_overlaps_listings_and_collects_each_once() -> None:
    flight = InFlight()
    calls: Counter[str] = Counter()
    reg: Registry[CollectorSpec] = Registry("t")

    def listing(name: str, deps: tuple[str, ...] = ()) -> None:
        def fn(ctx: Any) -> str:
            for d in deps:
                ctx.get(d)
            calls[name] += 1
            flight.run("listings", 0.05)
            return name

        collector(name, permissions=("ec2:DescribeVolumes",), deps=deps, registry=reg)(fn)

    listing("t.base")
    for n in ("t.a", "t.b", "t.c"):
        listing(n, deps=("t.base",))
    inv = Inventory(aws("x", "r"), Config(), datetime.now(UTC), lambda s: None, registry=reg)
    inv.prefetch(["t.a", "t.b", "t.c", "t.base"], width=3)
    assert calls == {"t.base": 1, "t.a": 1, "t.b": 1, "t.c": 1}
    assert flight.peak["listings"] == 3  # a, b and c waited on base, then ran together
    assert inv.collected("t.c") == "t.c"
    inv1 = Inventory(aws("x", "r"), Config(), datetime.now(UTC), lambda s: None, registry=reg)
    inv1.prefetch(["t.a", "t.b"], width=1)  # width 1: nothing ahead of the checks (they read in order)
    assert inv1.collected("t.a") is None


def test_an_accounts_sessions_go_after_its_last_target() -> None:
    # the runner's finish() is called once per account, after its last target, while later accounts run
    flight = InFlight()
    prepared: list[str] = []
    finished: list[tuple[str, int]] = []
    started_then: list[int] = []  # targets prepared in all when an account finished

    class Finishing(FakeRunner):
        def prepare(self, target: Target) -> Callable[[str], Any]:
            prepared.append(target.account or "")
            return super().prepare(target)

        def finish(self, target: Target) -> None:
            finished.append((target.account or "", prepared.count(target.account or "")))
            started_then.append(len(prepared))

    cfg = Config.model_validate({"run": {"concurrency": 4, "per_account": 2}})
    targets = [aws(f"acct{i}", f"r{j}") for i in range(6) for j in range(3)]
    result = execute(cfg, "t", [], targets, runners={TargetKind.AWS: Finishing(flight)})
    assert len(result.outcomes) == 18
    assert sorted(finished) == [(f"acct{i}", 3) for i in range(6)]  # once each, all 3 regions prepared
    assert len(prepared) == 18 and started_then[0] < 18  # the first went before the run's end
