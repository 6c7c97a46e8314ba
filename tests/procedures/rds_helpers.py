"""Shared by the RDS procedure tests: quick sandbox transitions, boto3 reads of the estate, planning and
applying through the library, and putting dev's `my-database` back as it was (moto state is process-wide)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opsbook.core.config import Config
from opsbook.engine.gates import CheckGates
from opsbook.engine.procedures import make_plan
from opsbook.procedures.apply import ApplyOptions, ApplyResult, TargetClients, apply_plan
from opsbook.procedures.plan import Plan
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.aws import rds_lifecycle
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import DATABASE, account
from opsbook.store.db import open_store
from tests.procedures.fakes import roundtrip

REPLICA = "my-database-replica"
SECONDS = 0.3  # how long a sandbox transition lasts in these tests


def rds(sandbox: Any, name: str = "dev") -> Any:
    return clients_for(sandbox.aws_url, account(name))("rds")


def db(client: Any, ident: str = DATABASE) -> dict[str, Any] | None:
    found = [d for d in client.describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"] == ident]
    return found[0] if found else None


def settle(client: Any, ident: str, gone: bool = False, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = db(client, ident)
        if (now is None) if gone else (now is not None and now["DBInstanceStatus"] == "available"):
            return
        time.sleep(0.05)


def restoring_dev_rds(sandbox: Any) -> Iterator[Any]:
    """(For a fixture) dev's RDS client with quick transitions; afterwards `my-database` has its class again, nothing
    pending, and no replica."""
    was = rds_lifecycle.configure(SECONDS)
    client = rds(sandbox)
    before = db(client)
    assert before is not None
    try:
        yield client
    finally:
        if db(client, REPLICA) is not None:
            settle(client, REPLICA)
            client.delete_db_instance(DBInstanceIdentifier=REPLICA, SkipFinalSnapshot=True)
            settle(client, REPLICA, gone=True)
        settle(client, DATABASE)
        now = db(client)
        if now is not None and (
            now["DBInstanceClass"] != before["DBInstanceClass"] or now.get("PendingModifiedValues")
        ):
            client.modify_db_instance(DBInstanceIdentifier=DATABASE, DBInstanceClass=before["DBInstanceClass"],
                                      ApplyImmediately=True)  # fmt: skip
            settle(client, DATABASE)
        rds_lifecycle.configure(was)


def plan(cfg: Config, procedure: str, accounts: tuple[str, ...] = ("dev",), **raw: Any) -> Plan:
    raw.setdefault("poll_interval", 0.1)
    raw.setdefault("wait_timeout", 30)
    return make_plan(cfg, procedure, raw, PlanRequest(accounts=accounts))


def apply(
    cfg: Config, plan: Plan, tmp_path: Path, progress: list[str] | None = None, **opts: Any
) -> ApplyResult:
    plan, raw = roundtrip(plan, tmp_path)
    store, clients = open_store(cfg.storage.url), TargetClients(cfg)
    seen = progress if progress is not None else []
    try:
        return apply_plan(plan, raw, cfg=cfg, store=store, clients_for=clients, options=ApplyOptions(**opts),
                          approve=lambda todo: None, gates=CheckGates(cfg),
                          on_progress=lambda item, text: seen.append(text))  # fmt: skip
    finally:
        clients.close()
        store.close()


def results(result: ApplyResult) -> list[str]:
    return [o.result for o in result.outcomes]
