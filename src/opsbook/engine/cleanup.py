"""Build a cleanup plan: run the weekly cost checks (read-only) and turn their failures into plan items.

The checks are the single source of truth for what is waste; the plan adds the action, the evidence, the
saving and an id per item. Resources kept on purpose (the protect tag) and accounts marked `protected`
are listed under `excluded`, never as items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Finding, Status
from opsbook.engine.runner import execute
from opsbook.engine.selection import load_builtin, select
from opsbook.engine.targets import aws_targets
from opsbook.procedures import load_builtin as load_procedures
from opsbook.procedures.plan import DEFAULT_TTL, Plan, PlanItem, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

# --kinds name -> the weekly check that finds it
KIND_CHECKS = {
    "ebs": "ec2.unattached_volumes",
    "eip": "ec2.unassociated_addresses",
    "snapshot": "ec2.old_snapshots",
    "idle-lb": "elbv2.idle_load_balancers",
    "s3-tiering": "s3.no_intelligent_tiering",
}


def parse_kinds(text: str | None) -> list[str]:
    if not text:
        return list(KIND_CHECKS)
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KIND_CHECKS]
    if unknown:
        raise InputError(f"--kinds: unknown {', '.join(unknown)} (expected some of {', '.join(KIND_CHECKS)})")
    return kinds


MAX_DURATION_DAYS = 36500  # 100 years: a time that far back (or ahead) is still a date


def parse_duration(text: str, flag: str, bare: str = "d") -> timedelta:
    """`90d`, `12h`, `2w`, `30m`, `45s`; a bare number is in unit `bare` (days unless the option says)."""
    t = text.strip().lower()
    units = {"d": "days", "h": "hours", "w": "weeks", "m": "minutes", "s": "seconds"}
    unit = bare
    if t and t[-1] in units:
        t, unit = t[:-1], t[-1]
    try:
        value = float(t)
    except ValueError:
        raise InputError(f"{flag}: expected a duration like 90d, 24h or 2w, got {text!r}") from None
    if math.isnan(value):
        raise InputError(f"{flag}: expected a duration like 90d, 24h or 2w, got {text!r}")
    if value <= 0:
        raise InputError(f"{flag}: must be positive, got {text!r}")
    # also inf: a time that far back (or ahead) is no date (timedelta and datetime overflow)
    if value * timedelta(**{units[unit]: 1}).total_seconds() > MAX_DURATION_DAYS * 86400:
        raise InputError(f"{flag}: out of range, got {text!r}")  # at most 100 years
    return timedelta(**{units[unit]: value})


def check_settings(cfg: Config, kinds: Sequence[str], older_than_days: int | None) -> Config:
    """The config with every cost check's keep_tag set to protect_tag (and the snapshot age)."""
    checks = {k: dict(v) for k, v in cfg.checks.items()}
    for kind in kinds:
        cid = KIND_CHECKS[kind]
        checks.setdefault(cid, {})["keep_tag"] = cfg.protect_tag
        checks[cid].pop("enabled", None)
        if kind == "snapshot" and older_than_days is not None:
            checks[cid]["older_than_days"] = older_than_days
    return cfg.model_copy(update={"checks": checks})


def to_item(f: Finding) -> PlanItem:
    """A failing cost finding's typed proposal as a plan item (the details are the evidence)."""
    assert f.resource is not None and f.proposal is not None
    p = f.proposal
    return PlanItem(
        id="",
        kind=p.kind,
        action=p.action,
        account=f.target.account or "",
        account_id=f.target.account_id,
        region=f.target.region or "",
        resource=f.resource,
        reason=f.message,
        evidence=dict(f.details),
        saving_usd_month=p.saving_usd_month,
        params=dict(p.params),
    )


def build_plan(
    cfg: Config,
    *,
    kinds: Sequence[str],
    older_than_days: int | None = None,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> Plan:
    load_builtin()
    load_procedures()
    now = now or datetime.now(UTC)
    targets = aws_targets(cfg, list(accounts) or None, list(regions) or None)
    if not targets:
        raise InputError("no targets: add accounts to opsbook.yaml (or use --sandbox)")
    run_cfg = check_settings(cfg, kinds, older_than_days)
    specs = select(ids=[KIND_CHECKS[k] for k in kinds])
    result = execute(run_cfg, "cleanup-plan", specs, targets, now=now)
    items: list[PlanItem] = []
    excluded: list[dict[str, Any]] = []
    warnings: list[str] = []
    protected = {a.name for a in cfg.accounts if a.protected}
    for f in sorted(
        result.findings, key=lambda f: (f.target.key, f.check_id, f.resource.id if f.resource else "")
    ):
        where = f"{f.target.account}/{f.target.region}"
        if f.status is Status.ERROR:
            warnings.append(f"{f.check_id} on {where}: {f.message}")
        elif f.status is Status.PASS and f.details.get("kept") and f.resource:
            excluded.append(
                {
                    "account": f.target.account,
                    "region": f.target.region,
                    "check_id": f.check_id,
                    "resource": f.resource.model_dump(mode="json"),
                    "reason": f.message,
                }
            )
        elif f.status is Status.FAIL and f.resource and f.proposal and f.proposal.procedure == "cleanup":
            if f.target.account in protected:
                excluded.append(
                    {
                        "account": f.target.account,
                        "region": f.target.region,
                        "check_id": f.check_id,
                        "resource": f.resource.model_dump(mode="json"),
                        "reason": f"account {f.target.account} is protected: {f.message}",
                    }
                )
                continue
            items.append(to_item(f))
    items = [it.model_copy(update={"id": f"{n:03d}"}) for n, it in enumerate(items, start=1)]
    return new_plan(
        "cleanup",
        items,
        now=now,
        ttl=ttl,
        accounts=sorted({t.account or "" for t in targets}),
        regions=sorted({t.region or "" for t in targets}),
        parameters={"kinds": list(kinds), "older_than_days": older_than_days},
        excluded=excluded,
        warnings=warnings,
    )


CleanupKind = Literal["ebs", "eip", "snapshot", "idle-lb", "s3-tiering"]


ALL_KINDS: tuple[CleanupKind, ...] = ("ebs", "eip", "snapshot", "idle-lb", "s3-tiering")
assert set(ALL_KINDS) == set(KIND_CHECKS)


class CleanupParams(ProcedureParams):
    kinds: list[CleanupKind] = Field(
        default_factory=lambda: list(ALL_KINDS),
        description="What to clean up: ebs, eip, snapshot, idle-lb, s3-tiering (default all).",
    )
    older_than_days: int | None = Field(
        None, ge=1, le=36500, description="Snapshots older than this many days (default: the check's, 90)."
    )


@procedure(
    "cleanup",
    title="Delete unused volumes, addresses, old snapshots and idle load balancers; tier cold buckets",
    section="Cost Optimization / Implement Cost Savings",
    kinds=("ebs-volume", "elastic-ip", "ebs-snapshot", "load-balancer", "s3-tiering"),
    params=CleanupParams,
    reads=tuple(KIND_CHECKS.values()),  # the weekly cost checks whose failures become items
    examples=("opsbook plan cleanup --kinds ebs --kinds eip --account dev -o plan.json",),
    targets=("account", "region"),  # no cluster to narrow
)
def plan_cleanup(cfg: Config, params: CleanupParams, request: PlanRequest) -> Plan:
    """The weekly cost checks' failures as a plan (guide: Identify, then Implement Cost Savings)."""
    return build_plan(
        cfg,
        kinds=list(dict.fromkeys(params.kinds)),
        older_than_days=params.older_than_days,
        accounts=request.accounts,
        regions=request.regions,
        ttl=request.ttl,
    )
