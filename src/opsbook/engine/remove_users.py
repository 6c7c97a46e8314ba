"""Planner of `remove-inactive-users` (guide: Security Operations / Access Review, "Remove inactive users":
`aws iam delete-user --user-name inactive-user`). Read-only.

The users are the failures of check `iam.inactive_users` (its settings set from `--inactive-days` and the
config's `access:`), so the monthly audit and the plan agree. Each chosen user is then read live and gets
one step per thing IAM makes you remove before DeleteUser (procedures/iam_users.py), each depending on the
previous one of that user: a user active since the plan is skipped (and its later steps not run) while the
other users go on. Protected users (`access.protected_users`, `access.protect_tag`) and users in protected
accounts are listed under `excluded`, never as steps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, TargetFailed
from opsbook.core.models import Finding, Status, TargetKind
from opsbook.engine.access_review import with_access_settings
from opsbook.engine.failures import as_target_error
from opsbook.engine.runner import AwsRunner, execute
from opsbook.engine.selection import load_builtin, select
from opsbook.engine.targets import aws_targets
from opsbook.procedures import load_builtin as load_procedures
from opsbook.procedures.iam_users import KINDS, STEPS, read_user
from opsbook.procedures.plan import Plan, PlanItem, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.providers.aws.stats import ApiStats

NAME = "remove-inactive-users"
CHECK = "iam.inactive_users"
GATE = [CHECK]
WARNING = (
    "removing a user cannot be fully undone: `opsbook apply plan.json --rollback` re-activates its access "
    "keys and re-adds its groups and policies only while the user still exists; its console password, MFA "
    "devices, SSH keys and certificates, access keys and the user itself are gone for good (steps marked "
    "irreversible)"
)


class RemoveUsersParams(ProcedureParams):
    inactive_days: int = Field(
        90, ge=1, le=36500, description="Users with no console login and no key use for this many days."
    )
    user: list[str] = Field(
        default_factory=list, description="Only these users (default: every inactive user)."
    )


def run_check(
    cfg: Config, params: RemoveUsersParams, request: PlanRequest, now: datetime, runner: AwsRunner
) -> list[Finding]:
    targets = aws_targets(cfg, list(request.accounts) or None, list(request.regions) or None)
    if not targets:
        raise InputError(f"opsbook plan {NAME}: no accounts: add accounts to opsbook.yaml (or use --sandbox)")
    run_cfg = with_access_settings(cfg, params.inactive_days)
    result = execute(run_cfg, "remove-users-plan", select(ids=[CHECK]), targets, now=now,
                     runners={TargetKind.AWS: runner})  # fmt: skip
    errors = [f for f in result.findings if f.status is Status.ERROR]
    if errors:  # an account whose users cannot be read cannot be planned for
        e = errors[0]  # its message is already the engine's one line (target unavailable, access denied...)
        raise TargetFailed(f"opsbook plan {NAME}: {e.target.key}: {e.message}")
    return sorted(
        result.findings, key=lambda f: (f.target.account or "", f.resource.name if f.resource else "")
    )


def choose(
    findings: list[Finding], wanted: list[str], cfg: Config
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """The failing findings to plan for, and what is excluded (protected users and accounts)."""
    protected_accounts = {a.name for a in cfg.accounts if a.protected}
    chosen: list[Finding] = []
    excluded: list[dict[str, Any]] = []
    for f in findings:
        name = f.resource.name if f.resource else ""
        if wanted and name not in wanted:
            continue
        reason = None
        if f.status is Status.PASS and f.details.get("kept"):
            reason = f.message
        elif f.status is Status.FAIL and f.target.account in protected_accounts:
            reason = f"account {f.target.account} is protected: {f.message}"
        if reason:
            excluded.append({"account": f.target.account, "region": f.target.region, "check_id": CHECK,
                             "resource": f.resource.model_dump(mode="json") if f.resource else {"id": name},
                             "reason": reason})  # fmt: skip
        elif f.status is Status.FAIL and f.proposal is not None:
            chosen.append(f)
    for name in wanted:
        seen = [f for f in findings if f.resource and f.resource.name == name]
        if not seen:
            raise InputError(f"opsbook plan {NAME}: --user {name}: no such IAM user in the chosen accounts")
        if any(f in chosen for f in seen):
            continue
        kept = next((e["reason"] for e in excluded if e["resource"].get("name") == name), None)
        if kept:  # named, yet protected: refused rather than an empty plan saying no user is inactive
            raise InputError(f"opsbook plan {NAME}: --user {name}: protected, never removed ({kept})")
        raise InputError(f"opsbook plan {NAME}: --user {name}: not inactive ({seen[0].message})")
    return chosen, excluded


def user_steps(f: Finding, iam: Any, params: RemoveUsersParams, cfg: Config, first: int) -> list[PlanItem]:
    assert f.resource is not None and f.resource.name
    user = f.resource.name
    state = read_user(iam, user)
    if state is None:
        return []
    items: list[PlanItem] = []
    for kind, action, part, _perms, _act, _undo in STEPS:
        planned = state.parts[part]
        if not planned:
            continue
        n = f"{first + len(items):03d}"
        items.append(
            PlanItem(
                id=n,
                kind=kind,
                action=action,
                account=f.target.account or "",
                account_id=f.target.account_id,
                region=f.target.region or "",
                resource=f.resource,
                reason=f"{user}: {action} {', '.join(planned)}" + ("" if items else f" ({f.message})"),
                evidence={
                    k: f.details.get(k)
                    for k in ("inactive_days", "activity", "groups", "policies", "keys", "mfa")
                },
                params={
                    "user": user,
                    "planned": planned,
                    "last_activity": state.last_activity.isoformat() if state.last_activity else None,
                    "inactive_days": params.inactive_days,
                    "protect_tag": cfg.access.protect_tag,
                },
                depends_on=[items[-1].id] if items else [],
                gate=GATE if kind == STEPS[-1][0] else [],
            )
        )
    return items


@procedure(
    NAME,
    title="Remove IAM users inactive for N days: keys off, login, groups, policies, MFA, credentials, keys, user",
    section="Security Operations / Access Review",
    kinds=KINDS,
    params=RemoveUsersParams,
    permissions=("iam:GetUser",),
    reads=tuple(GATE),  # the inactive-users check makes the items and gates the last step
    examples=(f"opsbook plan {NAME} --inactive-days 90 --account prod -o plan.json",),
    targets=("account", "region"),  # IAM users: no cluster to narrow
)
def plan_remove_users(cfg: Config, params: RemoveUsersParams, request: PlanRequest) -> Plan:
    load_builtin()
    load_procedures()
    now = datetime.now(UTC)
    runner = AwsRunner(cfg, ApiStats())  # the check's sessions and clients serve the user reads too
    findings = run_check(cfg, params, request, now, runner)
    chosen, excluded = choose(findings, list(dict.fromkeys(params.user)), cfg)
    items: list[PlanItem] = []
    for f in chosen:
        where = f.target.key
        try:
            iam = runner.factory.client(
                cfg.account(f.target.account or ""), f.target.region or "", "iam", where
            )
            items += user_steps(f, iam, params, cfg, len(items) + 1)
        except Exception as exc:  # noqa: BLE001 - an account that cannot be read: its target error, exit 3
            raise as_target_error(exc, where=where, action="iam:GetUser") from None
    warnings = (
        [WARNING] if items else [f"no user inactive for {params.inactive_days} days: nothing to remove"]
    )
    return new_plan(
        NAME,
        items,
        now=now,
        ttl=request.ttl,
        ordered=False,  # each user's steps are a chain (depends_on); one user skipped leaves the others
        accounts=sorted({f.target.account or "" for f in findings}),
        regions=sorted({f.target.region or "" for f in findings}),
        parameters=params.model_dump(mode="json"),
        excluded=excluded,
        warnings=warnings,
    )
