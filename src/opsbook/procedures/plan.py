"""The plan file: documented JSON with a top-level `items` list, hashed over its canonical content.

```
{
  "format": "opsbook.plan/v1",
  "procedure": "cleanup",
  "plan_hash": "sha256:<64 hex>",          # over every other key, canonical JSON (sorted keys, no spaces)
  "created_at": "2026-11-27T08:00:00Z", "expires_at": "2026-11-28T08:00:00Z",
  "created_by": "alice@laptop",
  "accounts": ["dev"], "regions": ["us-east-1"],
  "parameters": {"kinds": ["ebs", ...], "older_than_days": 90},
  "items": [{"id": "001", "kind": "ebs-volume", "action": "delete-volume", "account": "dev",
             "account_id": "111111111111", "region": "us-east-1",
             "resource": {"id": "vol-...", "type": "AWS::EC2::Volume", "arn": null, "name": "orphaned-data"},
             "reason": "...", "evidence": {...}, "saving_usd_month": 10.0, "params": {...}}],
  "excluded": [{"resource": ..., "reason": "..."}],
  "warnings": ["..."],
  "total_saving_usd_month": 37.2
}
```
The hash detects any edit (an item added, a resource id changed, the expiry pushed back); it is not a
signature. Apply refuses a plan whose hash does not match or whose `expires_at` has passed.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsbook.core.errors import InputError, PlanMismatch
from opsbook.core.models import Resource
from opsbook.store import plans as store_plans
from opsbook.store.db import Store

FORMAT = "opsbook.plan/v1"
DEFAULT_TTL = timedelta(hours=24)


class Wait(BaseModel):
    """After a step acts, wait until `condition` (a registered wait condition, procedures/steps.py) holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: str  # e.g. "deployment-rolled-out"
    params: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float = Field(600, gt=0, le=86400)
    interval_s: float = Field(5, gt=0, le=3600)


class PlanItem(BaseModel):
    """One resource and the one action to take on it: in an ordered plan, one step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: str  # an item kind registered in procedures.kinds (ebs-volume, elastic-ip ...)
    action: str
    account: str = ""  # the account it acts in ("" for a cluster reached by kubeconfig)
    account_id: str | None = None
    region: str = ""
    cluster: str | None = None  # the cluster (`clusters[].name`) of a Kubernetes action
    resource: Resource
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    saving_usd_month: float = 0.0
    params: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)  # item ids that must be done first
    wait: Wait | None = None  # a condition to wait for after acting (the step is done when it holds)
    gate: list[str] = Field(default_factory=list)  # check ids: none may turn red after this step
    approval: bool = False  # ask for this step on its own (and record who approved it, when)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["opsbook.plan/v1"] = "opsbook.plan/v1"
    procedure: str
    ordered: bool = False  # steps: apply stops at the first failed or refused step
    # "rollback": when a step fails (or its gate turns red), the same apply undoes every step it changed
    # (procedures/rollback.py); "stop": stop there, `--rollback` is the user's call
    on_failure: Literal["stop", "rollback"] = "stop"
    plan_hash: str = ""
    created_at: datetime
    expires_at: datetime
    created_by: str
    accounts: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    items: list[PlanItem] = Field(default_factory=list)
    excluded: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    total_saving_usd_month: float = 0.0

    def item(self, item_id: str) -> PlanItem:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)


def actor() -> tuple[str, str]:
    """(OS user, host) of whoever runs this process."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        user = "unknown"
    return user, socket.gethostname()


def canonical(content: dict[str, Any]) -> bytes:
    body = {k: v for k, v in content.items() if k != "plan_hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(content: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(content)).hexdigest()


def new_plan(
    procedure: str,
    items: list[PlanItem],
    *,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
    **fields: Any,
) -> Plan:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    user, host = actor()
    plan = Plan(
        procedure=procedure,
        created_at=now,
        expires_at=now + ttl,
        created_by=f"{user}@{host}",
        items=items,
        total_saving_usd_month=round(sum(i.saving_usd_month for i in items), 2),
        **fields,
    )
    return seal(plan)


def seal(plan: Plan) -> Plan:
    """The plan with its hash set over its current content."""
    return plan.model_copy(update={"plan_hash": content_hash(to_json(plan))})


def to_json(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(mode="json")


def record(store: Store, plan: Plan, content: dict[str, Any] | None = None) -> None:
    """Remember `plan` in the store (once per hash); `content` is the plan file as read, if it was."""
    store_plans.record_plan(
        store,
        plan_hash=plan.plan_hash,
        procedure=plan.procedure,
        created_at=plan.created_at,
        expires_at=plan.expires_at,
        created_by=plan.created_by,
        content=content if content is not None else to_json(plan),
    )


def dumps(plan: Plan) -> str:
    return json.dumps(to_json(plan), indent=2, ensure_ascii=False) + "\n"


def load(path: Path) -> tuple[Plan, dict[str, Any]]:
    """The plan and the raw JSON it was read from (the hash is checked against the raw content)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: plan file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a plan file: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InputError(f"{path}: not an opsbook plan (format {FORMAT!r} expected)")
    try:
        return Plan.model_validate(raw), raw
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise PlanMismatch(f"{path}: plan was altered or is malformed: {where}: {err['msg']}") from None


def verify(plan: Plan, raw: dict[str, Any], *, now: datetime | None = None) -> None:
    """Refuse an altered or expired plan (PlanMismatch)."""
    now = now or datetime.now(UTC)
    actual = content_hash(raw)
    if not plan.plan_hash or actual != plan.plan_hash:
        raise PlanMismatch(
            f"plan was altered after it was made (hash {actual[:19]}... != recorded {plan.plan_hash[:19]}...): "
            "make a new plan"
        )
    ids = [i.id for i in plan.items]
    if len(set(ids)) != len(ids):
        raise PlanMismatch("plan has duplicate item ids")
    if now >= plan.expires_at:
        raise PlanMismatch(f"plan expired at {plan.expires_at.isoformat()}: make a new plan")
