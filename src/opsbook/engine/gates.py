"""Health gates: opsbook's own checks, run between a plan's steps ("the morning checks as the gate").

`CheckGates(cfg)` implements procedures.steps.Gates: the baseline is which findings of the gate checks
already fail on the plan's targets before the first step; after a gated step the same checks run again on
that step's target, and any failing or unreadable finding that was not failing before stops the plan — a
healthy resource that broke, a new pod that crash-loops, a cluster that stopped answering. Findings that
were already failing do not stop it: a procedure is judged by what it breaks.
"""

from __future__ import annotations

from collections.abc import Sequence

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.procedures.plan import PlanItem

BROKEN = (Status.FAIL, Status.ERROR)


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
        failing: dict[str, set[str]] = {}
        done: set[tuple[str, ...]] = set()
        for item in items:
            if not item.gate:
                continue
            scope = (item.account, item.region, item.cluster or "", *sorted(item.gate))
            if scope in done:
                continue
            done.add(scope)
            for f in self._run(item.gate, item).findings:
                failing.setdefault(f.check_id, set())
                if f.status in BROKEN:
                    failing[f.check_id].add(f.uid)
        return {check: sorted(uids) for check, uids in sorted(failing.items())}

    def unknown(self, check_ids: Sequence[str]) -> list[str]:
        from opsbook.core.checks import CHECKS
        from opsbook.engine.selection import load_builtin

        load_builtin()
        return [c for c in check_ids if c not in CHECKS]

    def regressions(self, item: PlanItem, baseline: dict[str, list[str]]) -> list[str]:
        was = {uid for check in item.gate for uid in baseline.get(check, [])}
        red = []
        for f in self._run(item.gate, item).findings:
            if f.status in BROKEN and f.uid not in was:
                where = f.resource.id if f.resource else f.target.key
                red.append(f"{f.check_id} {where}: {f.message}")
        return red
