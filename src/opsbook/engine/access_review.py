"""`opsbook review access` (guide: Security Operations / Access Review: `aws iam list-users`,
`aws iam get-user-policy`, `kubectl get clusterrolebindings`, `kubectl get rolebindings --all-namespaces`).
Read-only.

The review is a run of the access checks (iam.inactive_users, iam.unused_roles, k8s.wide_rbac_bindings)
through the engine: one listing per target (IAM's authorization details and credential report per account,
RBAC and aws-auth per cluster), accounts and clusters in parallel, a target that cannot be read is its own
error. Their findings carry what the review shows, and this module lays them out: users, roles, bindings,
aws-auth mappings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opsbook.checks.k8s.rbac_bindings import AWS_AUTH
from opsbook.core.config import Config
from opsbook.core.models import Finding, Status
from opsbook.engine import service

USERS, ROLES, BINDINGS = "iam.inactive_users", "iam.unused_roles", "k8s.wide_rbac_bindings"
CHECKS = (USERS, ROLES, BINDINGS)


def day(value: str | None) -> str:
    return value[:10] if value else "never"


def keys(f: Finding) -> str:
    return (
        ", ".join(
            f"{k['slot']}:{'active' if k['active'] else 'inactive'} used {day(k['last_used'])}"
            for k in f.details.get("keys", [])
        )
        or "none"
    )


def user_row(f: Finding) -> dict[str, Any]:
    d = f.details
    status = "kept" if d.get("kept") else "inactive" if f.status is Status.FAIL else "active"
    return {"account": f.target.account, "user": f.resource.name if f.resource else "", "status": status,
            "console": "yes" if d.get("console") else "no", "last_login": day(d.get("password_last_used")),
            "mfa": "yes" if d.get("mfa") else "no", "access_keys": keys(f), "groups": d.get("groups", []),
            "policies": d.get("policies", []), "last_activity": day(d.get("last_activity")),
            "inactive_days": d.get("inactive_days")}  # fmt: skip


def role_row(f: Finding) -> dict[str, Any]:
    d = f.details
    return {"account": f.target.account, "role": f.resource.name if f.resource else "",
            "status": "unused" if f.status is Status.FAIL else "used", "last_used": day(d.get("last_used")),
            "policies": d.get("policies", [])}  # fmt: skip


def binding_row(f: Finding) -> dict[str, Any]:
    d = f.details
    assert f.resource is not None
    return {"cluster": f.target.cluster, "binding": f"{f.resource.type} {f.resource.id}", "role": d.get("role"),
            "subjects": d.get("subjects", []), "grants": d.get("grants", []),
            "iam_principals": d.get("iam_principals", []),
            "status": "wide" if f.status is Status.FAIL else "ok"}  # fmt: skip


def mapping_row(f: Finding) -> dict[str, Any]:
    d = f.details
    return {"cluster": f.target.cluster, "iam_principal": d.get("arn"), "username": d.get("username"),
            "groups": d.get("groups", []), "status": "wide" if f.status is Status.FAIL else "ok"}  # fmt: skip


def with_access_settings(cfg: Config, inactive_days: int | None = None) -> Config:
    """The config with iam.inactive_users set from `access:` (protected users and tag) and, when given,
    the inactive days: the review, the plan and the monthly audit then judge users alike."""
    mine = dict(cfg.checks.get(USERS, {}))
    mine["protect_tag"] = cfg.access.protect_tag
    mine["protected_users"] = sorted(set(mine.get("protected_users", [])) | set(cfg.access.protected_users))
    if inactive_days is not None:
        mine["inactive_days"] = inactive_days
    return cfg.model_copy(update={"checks": {**cfg.checks, USERS: mine}})


def run_review(cfg: Config, accounts: Sequence[str] = (), clusters: Sequence[str] = ()) -> service.RunResult:
    request = service.RunRequest(
        check_ids=list(CHECKS), accounts=list(accounts), clusters=list(clusters), label="access-review"
    )
    return service.run(with_access_settings(cfg), request, store_enabled=False)


def review_access(cfg: Config, accounts: Sequence[str] = (), clusters: Sequence[str] = ()) -> dict[str, Any]:
    result = run_review(cfg, accounts, clusters)
    return layout(result.findings, result.failed_targets)


def layout(findings: Sequence[Finding], failed: Sequence[Any] = ()) -> dict[str, Any]:
    """The review document (what `-f json` prints) from the access checks' findings."""
    of = {
        cid: [f for f in findings if f.check_id == cid and f.status in (Status.PASS, Status.FAIL)]
        for cid in CHECKS
    }
    errors = [
        {"target": f.target.key, "check": f.check_id, "message": f.message}
        for f in findings
        if f.status is Status.ERROR
    ]
    binding = [f for f in of[BINDINGS] if f.resource and f.resource.type != AWS_AUTH]
    mapping = [f for f in of[BINDINGS] if f.resource and f.resource.type == AWS_AUTH]
    return {
        "users": [user_row(f) for f in of[USERS]],
        "roles": [role_row(f) for f in of[ROLES]],
        "bindings": [binding_row(f) for f in binding],
        "aws_auth": [mapping_row(f) for f in mapping],
        "errors": errors,
        "exit_code": 3 if errors or failed else 0,
    }
