"""A fake item kind over things in memory, and plans of it: the plan engine's tests without any cloud."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsbook.core.config import Config
from opsbook.core.models import Resource
from opsbook.core.registry import Registry
from opsbook.procedures import plan as plans
from opsbook.procedures.kinds import Clients, ItemKind, Live, item_kind

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def make_plan(n: int = 3, account: str = "dev", now: datetime = NOW, procedure: str = "test") -> plans.Plan:
    items = [
        plans.PlanItem(
            id=f"{i:03d}",
            kind="thing",
            action="delete-thing",
            account=account,
            account_id="111111111111",
            region="us-east-1",
            resource=Resource(id=f"thing-{i}"),
            reason="unused",
            evidence={"age_days": 100 + i},
            saving_usd_month=1.5,
        )
        for i in range(1, n + 1)
    ]
    return plans.new_plan(procedure, items, now=now, accounts=[account], regions=["us-east-1"])


def roundtrip(plan: plans.Plan, tmp_path: Path) -> tuple[plans.Plan, dict[str, Any]]:
    path = tmp_path / "plan.json"
    path.write_text(plans.dumps(plan), encoding="utf-8")
    return plans.load(path)


class Estate:
    """Things in memory and a `thing` item kind that deletes them; `before_act(resource id)` runs first."""

    def __init__(self, n: int = 3) -> None:
        self.things: dict[str, dict[str, Any]] = {
            f"thing-{i}": {"state": "idle", "tags": {}} for i in range(1, n + 1)
        }
        self.acts: list[str] = []
        self.before_act: Callable[[str], None] = lambda resource_id: None

    def registry(self) -> Registry[ItemKind]:
        reg: Registry[ItemKind] = Registry("test kinds")

        def recheck(item: plans.PlanItem, clients: Clients) -> Live:
            thing = self.things.get(item.resource.id)
            if thing is None:
                return Live("done", "gone")
            if thing["state"] != "idle":
                return Live("changed", f"it is {thing['state']} now", thing["tags"])
            return Live("eligible", "still idle", thing["tags"])

        def act(item: plans.PlanItem, clients: Clients) -> dict[str, Any]:
            self.before_act(item.resource.id)
            self.acts.append(item.resource.id)
            del self.things[item.resource.id]
            return {}

        item_kind(
            "thing",
            action="delete-thing",
            permissions=("x:DeleteThing",),
            recheck=recheck,
            act=act,
            registry=reg,
        )
        return reg


CFG = Config.model_validate(
    {
        "accounts": [
            {"name": "dev", "id": "111111111111"},
            {"name": "prod", "id": "333333333333", "protected": True},
        ]
    }
)
