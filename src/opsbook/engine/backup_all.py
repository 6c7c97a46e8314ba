"""Planner of "the above for the whole estate as one plan" (Backup & Restore / Backup Operations):
`opsbook plan backup all [--account A ...] [--cluster C ...] [--region R] [--skip rds|velero|tfstate]`.

Read-only. Every available RDS instance of every chosen account and region gets a snapshot step
(`backup-rds`'s), every chosen cluster one Velero Backup (`backup-velero`'s), every account whose stacks
keep Terraform state in S3 a state backup (`backup-tfstate`'s, with the backup bucket's creation when it
is missing): the items are made by the same functions those planners use, so apply, re-check, wait, gate
and undo are theirs. The estate is read concurrently, one task per (account, region), cluster and
account. What cannot be backed up (an instance that is not available, a cluster without Velero, an
unreachable target, a protected account) is a warning of the plan and the rest is planned; a plan with
nothing in it is refused: exit 3 when every target that had something failed to answer, else exit 2.

The plan is not ordered: apply runs every item even when another failed (a tfstate copy still waits for
its bucket step); `--rollback` undoes each done item with its own kind's undo.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, TargetError, TargetUnavailable
from opsbook.core.models import Target
from opsbook.engine.backup_rds import BACKUP, BACKUP_GATE, snapshot_item
from opsbook.engine.backup_tfstate import account_backup
from opsbook.engine.failures import as_target_error
from opsbook.engine.scale_rds import Found, pages, scan
from opsbook.engine.targets import aws_targets, k8s_targets
from opsbook.engine.velero import VeleroParams, backup_item, check_ttl, check_velero_namespace, namespace_list
from opsbook.procedures.plan import Plan, PlanItem, new_plan
from opsbook.procedures.registry import PlanRequest, procedure

NAME = "backup-all"
PARTS = ("rds", "velero", "tfstate")


class BackupAllParams(VeleroParams):
    skip: list[Literal["rds", "velero", "tfstate"]] = Field(
        default_factory=list, description="Leave out rds, velero or tfstate."
    )
    velero_namespaces: list[str] = Field(
        default_factory=list,
        description="Namespaces each cluster's Velero backup holds (default: every namespace of the "
        "cluster but kube-system, kube-public, kube-node-lease and Velero's own, as listed at plan time).",
    )
    ttl: str = Field("720h", description="How long Velero keeps the backups (Go duration: 720h, 24h30m).")
    poll_interval: float = Field(5.0, ge=0.1, le=60, description="Seconds between looks while waiting.")


@dataclass
class Part:
    """What one task planned: its items (ids from 001, renumbered into the plan) and its warnings."""

    items: list[PlanItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreachable: bool = False


def _why(exc: Exception) -> str:
    return str(exc).removeprefix(f"opsbook plan {NAME}: ")


def _guarded(label: str, where: str, action: str, task: Callable[[], Part]) -> Callable[[], Part]:
    """`task`, with what it cannot plan turned into a warning of its own: a refusal (InputError), a target
    that cannot be read (TargetError, or any other exception, classified as the engine does)."""

    def run() -> Part:
        try:
            return task()
        except InputError as exc:
            return Part(warnings=[f"{label}: {_why(exc)}"])
        except TargetError as exc:
            return Part(warnings=[f"{label}: not planned: {exc}"], unreachable=True)
        except Exception as exc:  # noqa: BLE001 - one target's failure must not cost the others their plan
            error = as_target_error(exc, where=where, action=action)
            return Part(warnings=[f"{label}: not planned: {error}"], unreachable=True)

    return run


def _instances(rds: Any) -> list[dict[str, Any]]:
    return pages(rds, "describe_db_instances", "DBInstances")


def _rds(cfg: Config, t: Target, now: datetime, params: BackupAllParams) -> Part:
    one = PlanRequest(accounts=(t.account or "",), regions=(t.region or "",))
    ((account, region, rds, dbs),) = scan(cfg, one, "rds:DescribeDBInstances", _instances)
    names = tuple(d["DBInstanceIdentifier"] for d in dbs)
    part = Part()
    for db in dbs:
        ident = db["DBInstanceIdentifier"]
        if str(db.get("Engine", "")).startswith("aurora"):
            part.warnings.append(
                f"rds {t.key} {ident}: an Aurora instance (snapshot its cluster): not planned"
            )
            continue
        try:
            found = Found(account, region, db, rds, names)
            item = snapshot_item(
                found, now, params.wait_timeout, params.poll_interval, NAME, f"{len(part.items) + 1:03d}"
            )
            part.items.append(item)
        except InputError as exc:
            part.warnings.append(f"rds {t.key} {ident}: {_why(exc)}: not planned")
    return part


def _velero(cfg: Config, t: Target, now: datetime, params: BackupAllParams) -> Part:
    namespaces = list(params.velero_namespaces) or None
    name = f"backup-{now:%Y%m%d-%H%M%S}"
    cluster = t.cluster or ""
    return Part([backup_item(cfg, cluster, t.account or "", namespaces, name, params.ttl, params, NAME)])


def _tfstate(
    cfg: Config, account: str, now: datetime, params: BackupAllParams, regions: tuple[str, ...]
) -> Part:
    found = account_backup(cfg, cfg.account(account), now, params.wait_timeout, NAME, regions=regions)
    return Part(list(found.items), [f"tfstate {account}: {w}" for w in found.warnings])


def _tasks(cfg: Config, params: BackupAllParams, request: PlanRequest, now: datetime
           ) -> tuple[list[Callable[[], Part]], list[str]]:  # fmt: skip
    """One task per thing to read, and warnings for what is left out before reading (protected accounts)."""
    parts = [p for p in PARTS if p not in params.skip]
    accounts = list(request.accounts) or None
    tasks: list[Callable[[], Part]] = []
    left_out: list[str] = []
    protected = {a.name for a in cfg.accounts if a.protected}

    def keep(account: str | None, what: str) -> bool:
        if account in protected:
            left_out.append(f"{what}: account {account} is protected (protected: true): not planned")
            return False
        return True

    aws = aws_targets(cfg, accounts, list(request.regions) or None) if {"rds", "tfstate"} & set(parts) else []
    if "rds" in parts:
        for t in aws:
            if keep(t.account, f"rds {t.key}"):
                tasks.append(_guarded(f"rds {t.key}", t.key, "rds:DescribeDBInstances",
                                      partial(_rds, cfg, t, now, params)))  # fmt: skip
    if "velero" in parts:
        for t in k8s_targets(cfg, list(request.clusters) or None, accounts):
            if request.regions and t.region not in request.regions:
                continue
            label = f"velero {t.cluster}"
            if keep(t.account, label):
                tasks.append(_guarded(label, f"cluster {t.cluster}", "list namespaces",
                                      partial(_velero, cfg, t, now, params)))  # fmt: skip
    if "tfstate" in parts:
        for account in dict.fromkeys(t.account or "" for t in aws):
            label = f"tfstate {account}"
            if keep(account, label):
                tasks.append(_guarded(label, f"aws:{account}", "s3:ListBucket",
                                      partial(_tfstate, cfg, account, now, params, request.regions)))  # fmt: skip
    return tasks, left_out


def renumber(parts: list[Part]) -> list[PlanItem]:
    """The parts' items as one plan: ids 001... in order, each `depends_on` following its item's new id."""
    out: list[PlanItem] = []
    for part in parts:
        ids: dict[str, str] = {}
        for item in part.items:
            ids[item.id] = f"{len(out) + 1:03d}"
            depends = [ids[d] for d in item.depends_on]
            out.append(item.model_copy(update={"id": ids[item.id], "depends_on": depends}))
    return out


@procedure(
    "backup-all",
    title="Back up the whole estate as one plan: every RDS instance's snapshot, one Velero backup per "
    "cluster, every account's Terraform state",
    section=BACKUP,
    kinds=("rds-snapshot", "velero-backup", "s3-backup-bucket", "tfstate-backup"),
    params=BackupAllParams,
    # as backup-rds and backup-tfstate plan (velero is Kubernetes only)
    permissions=("rds:DescribeDBInstances", "rds:DescribeDBSnapshots", "s3:ListBucket"),
    reads=BACKUP_GATE,
    examples=(
        "opsbook plan backup all -o backup-all.json",
        "opsbook plan backup all --account prod --skip velero -o backup-prod.json",
    ),
)
def plan_backup_all(cfg: Config, params: BackupAllParams, request: PlanRequest) -> Plan:
    if len(set(params.skip)) == len(PARTS):
        raise InputError(f"opsbook plan {NAME}: --skip leaves nothing to back up")
    if request.clusters and "velero" in params.skip:  # it narrows nothing else: it would be ignored
        raise InputError(
            f"opsbook plan {NAME}: --cluster chooses the Velero backups, and --skip velero leaves them out"
        )
    check_velero_namespace(NAME, params.velero_namespace)
    if params.velero_namespaces:
        namespace_list(NAME, "--velero-namespaces", ",".join(params.velero_namespaces))
    check_ttl(NAME, params.ttl)
    now = datetime.now(UTC).replace(microsecond=0)
    tasks, warnings = _tasks(cfg, params, request, now)
    with ThreadPoolExecutor(
        max_workers=max(1, min(cfg.run.concurrency, len(tasks))), thread_name_prefix="plan"
    ) as pool:
        parts = list(pool.map(lambda task: task(), tasks))
    warnings += [w for p in parts for w in p.warnings]
    items = renumber(parts)
    if not items:
        why = "; ".join(warnings) or "no account, region or cluster chosen"
        if parts and all(p.unreachable for p in parts):
            raise TargetUnavailable(f"opsbook plan {NAME}: nothing could be read: {why}")
        raise InputError(f"opsbook plan {NAME}: nothing to back up: {why}")
    parameters = params.model_dump(mode="json") | {
        "clusters": sorted({i.cluster for i in items if i.cluster})
    }
    return new_plan(NAME, items, now=now, ttl=request.ttl, ordered=False,
                    accounts=sorted({i.account for i in items if i.account}),
                    regions=sorted({i.region for i in items if i.region}),
                    parameters=parameters, warnings=warnings)  # fmt: skip
