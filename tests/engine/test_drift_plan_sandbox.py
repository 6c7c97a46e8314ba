"""`drift.terraform_plan` with real Terraform on a copy of the sandbox's stacks tree, its state in the
sandbox's S3: the seeded drift is found with its attributes (a live value changed outside Terraform, a
tainted resource, values the stacks no longer match), an undrifted selection has no drift, and a held
state lock or a broken component is ERROR, never "no drift"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Finding, Status
from opsbook.engine import service
from opsbook.engine.drift import detect_request
from opsbook.sandbox.aws.seeds.state import LOCK_TABLE, NAME_SERVERS, NAME_SERVERS_NOW
from tests.procedures.tf_sandbox import copy_tree, needs_terraform, where

pytestmark = [needs_terraform, pytest.mark.usefixtures("sandbox")]
DEV, STAGING = "mycompany-dev-use1", "mycompany-staging-use1"


def tree_config(sandbox: Any, tree: Path, db: Path) -> Config:
    raw = sandbox.config(f"sqlite:///{db}")
    raw["stacks"]["atmos_config"] = str(tree)
    return Config.model_validate(raw).model_copy(update={"source": "(test)"})


@pytest.fixture(scope="module")
def cfg(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Config:
    tmp = tmp_path_factory.mktemp("drift")
    return tree_config(sandbox, copy_tree(tmp / "tree"), tmp / "o.db")


def detect(cfg: Config, stacks: list[str], components: list[str]) -> list[Finding]:
    cfg, ids = detect_request(cfg, ["plan"], stacks, components)
    result = service.run(cfg, service.RunRequest(check_ids=ids), store_enabled=False)
    return [f for f in result.findings if f.check_id == "drift.terraform_plan"]


def by_instance(found: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in found:
        out.setdefault(f"{f.details['stack']}/{f.details['component']}", []).append(f)
    return out


def test_seeded_drift_is_found_with_its_attributes(cfg: Config) -> None:
    seen = by_instance(detect(cfg, [DEV, STAGING], ["dns", "rds", "rds/reporting"]))
    assert sorted(seen) == [f"{DEV}/dns", f"{DEV}/rds", f"{STAGING}/rds", f"{STAGING}/rds/reporting"]
    (dns,) = seen[f"{DEV}/dns"]  # AWS answers other name servers than the state recorded
    assert dns.status is Status.FAIL and dns.details["address"] == "output.name_servers"
    assert dns.details["attributes"] == {"value": [NAME_SERVERS, NAME_SERVERS_NOW]}
    assert dns.details["file"] == "stacks/orgs/mycompany/dev/use1/dns.yaml"
    (rds,) = seen[f"{DEV}/rds"]  # the live database keeps other settings than the stacks ask for
    assert rds.details["address"] == "terraform_data.db" and rds.details["action"] == "update"
    assert rds.details["attributes"] == {"input.backup_retention_period": [1, 7],
                                         "input.deletion_protection": [False, True]}  # fmt: skip
    (tainted,) = seen[f"{STAGING}/rds/reporting"]
    assert (
        tainted.details["action"] == "delete/create"
        and tainted.details["reason"] == "replace_because_tainted"
    )
    assert tainted.details["file"] == "stacks/orgs/mycompany/staging/use1/rds.yaml"


def test_an_undrifted_selection_has_no_drift(cfg: Config) -> None:
    found = detect(cfg, [DEV], ["vpc", "eks"])
    assert {f.status for f in found} == {Status.PASS}
    assert sorted(f.resource.id for f in found) == [f"{DEV}/eks", f"{DEV}/vpc"]  # type: ignore[union-attr]


@pytest.fixture()
def held_lock(sandbox: Any) -> Iterator[None]:
    """Another Terraform holds dev vpc's state lock (an item at <bucket>/<key> in the lock table)."""
    from opsbook.sandbox.aws.seed import clients_for
    from opsbook.sandbox.estate import account

    table = clients_for(sandbox.aws_url, account("dev"))("dynamodb")
    lock_id = "/".join(where("dev", "vpc"))
    info = {"ID": "5d1b2c3a-0000-4000-8000-000000000001", "Operation": "OperationTypeApply", "Info": "",
            "Who": "alice@laptop", "Version": "1.11.4", "Created": "2026-11-27T07:59:00Z", "Path": lock_id}  # fmt: skip
    table.put_item(TableName=LOCK_TABLE, Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}})
    try:
        yield
    finally:
        table.delete_item(TableName=LOCK_TABLE, Key={"LockID": {"S": lock_id}})


def test_a_held_lock_and_a_broken_component_are_errors(sandbox: Any, held_lock: None, tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    code = tree / "components/terraform/eks/main.tf"
    code.write_text(code.read_text() + '\nresource "terraform_data" {\n')
    seen = by_instance(detect(tree_config(sandbox, tree, tmp_path / "o.db"), [DEV], ["vpc", "eks"]))
    (vpc,), (eks,) = seen[f"{DEV}/vpc"], seen[f"{DEV}/eks"]
    assert vpc.status is Status.ERROR and "state lock" in vpc.message and "alice@laptop" in vpc.message
    assert eks.status is Status.ERROR and "terraform plan eks -s mycompany-dev-use1 failed" in eks.message
