"""A finished target keeps nothing but its findings: its botocore clients are released, so a run's memory
does not grow with the number of accounts (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status, Target, TargetKind
from opsbook.engine.inventory import Inventory
from opsbook.engine.runner import AwsRunner, evaluate, execute, prepare_checks
from opsbook.engine.selection import load_builtin, select
from opsbook.engine.targets import aws_targets
from opsbook.providers.aws.stats import ApiStats

pytestmark = pytest.mark.usefixtures("sandbox")


class Watching(AwsRunner):
    """Records the clients alive for each target at the moment it is released."""

    def __init__(self, cfg: Config, stats: ApiStats) -> None:
        super().__init__(cfg, stats)
        self.released: dict[str, int] = {}

    def release(self, target: Target) -> None:
        mine = [k for k in self.factory._clients if k[:2] == (target.account, target.region)]
        self.released[target.key] = len(mine)
        super().release(target)


def test_targets_release_their_clients_when_done(sandbox_config: Config) -> None:
    load_builtin()
    stats = ApiStats()
    runner = Watching(sandbox_config, stats)
    targets = aws_targets(sandbox_config, None, None)
    specs = select((), ["ec2.unassociated_addresses", "cloudwatch.alarms_in_alarm"])
    runners: dict[TargetKind, Any] = {TargetKind.AWS: runner}
    result = execute(sandbox_config, "t", specs, targets, runners=runners, stats=stats)
    assert {f.status for f in result.findings} >= {Status.PASS, Status.FAIL}
    assert set(runner.released) == {t.key for t in targets}
    assert all(n >= 2 for n in runner.released.values())  # ec2 and cloudwatch were in use until then
    assert runner.factory._clients == {}  # and nothing is kept after


class Spying(Inventory):
    """Records which keys it still holds each time the engine releases what no later check reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: list[set[str]] = []

    def release(self, keep: set[str]) -> None:
        super().release(keep)
        self.held.append(self._values.keys())


def test_a_targets_inventory_is_released_once_no_later_check_reads_it(sandbox_config: Config) -> None:
    load_builtin()
    runner = AwsRunner(sandbox_config, ApiStats())
    target = aws_targets(sandbox_config, None, None)[0]
    checks = prepare_checks(
        sandbox_config, select((), ["ec2.unattached_volumes", "cloudwatch.alarms_in_alarm"])
    )
    needs = [set(p.spec.needs) for p in checks]
    inv = Spying(target, sandbox_config, datetime.now(UTC), runner.prepare(target))
    findings = evaluate(checks, inv, datetime.now(UTC))
    assert {f.check_id for f in findings} == {p.spec.id for p in checks}
    assert len(inv.held) == 1  # before the second check
    assert not (needs[0] - needs[1]) & inv.held[0]  # the first check's listing is gone by then
    assert needs[1] <= inv._values.keys()  # the last check's is what is left
