"""Health gates: opsbook's own checks, run between a plan's steps ("the morning checks as the gate").

`CheckGates(cfg)` implements procedures.steps.Gates: the baseline is which findings of the gate checks
pass on the plan's targets before the first step; after a gated step the same checks run again on that
step's target, and a finding that passed in the baseline but now fails (or cannot be read) stops the plan.
Findings that were already failing do not stop it: a procedure is judged by what it breaks.
"""

from __future__ import annotations

from collections.abc import Sequence

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.procedures.plan import PlanItem


class CheckGates:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def _run(self, checks: Sequence[str], item: PlanItem) -> service.RunResult:
        request = service.RunRequest(
            check_ids=sorted(set(checks)),
            accounts=[item.account] if item.account and not item.cluster else [],
            regions=[item.region] if item.region and not item.cluster else [],
            clusters=[item.cluster] if item.cluster else [],
            label="gate",
        )
        return service.run(self.cfg, request, store_enabled=False)

    def baseline(self, items: Sequence[PlanItem]) -> dict[str, list[str]]:
        passing: dict[str, set[str]] = {}
        done: set[tuple[str, ...]] = set()
        for item in items:
            if not item.gate:
                continue
            scope = (item.account, item.region, item.cluster or "", *sorted(item.gate))
            if scope in done:
                continue
            done.add(scope)
            for f in self._run(item.gate, item).findings:
                passing.setdefault(f.check_id, set())
                if f.status is Status.PASS:
                    passing[f.check_id].add(f.uid)
        return {check: sorted(uids) for check, uids in sorted(passing.items())}

    def regressions(self, item: PlanItem, baseline: dict[str, list[str]]) -> list[str]:
        was = {uid for check in item.gate for uid in baseline.get(check, [])}
        red = []
        for f in self._run(item.gate, item).findings:
            if f.uid in was and f.status in (Status.FAIL, Status.ERROR):
                where = f.resource.id if f.resource else f.target.key
                red.append(f"{f.check_id} {where}: {f.message}")
        return red
