"""opsbook's own access as a component of the sandbox's stacks (`opsbook-access`): its policies are what
`opsbook iam policy` derives today, it deploys in every stage with the procedures that stage grants, the
seeded state is what `terraform apply` writes for it, and `terraform plan` finds no change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from opsbook.engine.iam_policy import aws_checks, policy_document
from opsbook.engine.iam_procedures import access_of, procedure_policy, procedure_specs
from opsbook.providers.atmos.resolver import Stacks
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.state import ACCESS_PROCEDURES, ACCESS_TRUST_ACCOUNT, state_bucket
from opsbook.sandbox.estate import ACCOUNTS, ROLE_NAME
from opsbook.sandbox.stacks import sandbox_stacks_dir
from tests.sandbox.test_seed_state import apply_locally, object_key, plan_in_copy, read_state, state_shape

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
COMPONENT = "opsbook-access"
POLICIES = sandbox_stacks_dir() / "components" / "terraform" / COMPONENT / "policies"
REGENERATE = (
    "the component's policies are older than opsbook's checks/procedures: regenerate them with "
    "`opsbook iam policy > {dir}/read-only.json` and `opsbook iam policy --procedure NAME > {dir}/NAME.json`"
)


def stored(name: str) -> Any:
    return json.loads((POLICIES / f"{name}.json").read_text(encoding="utf-8"))


def test_the_policies_are_what_iam_policy_derives_today() -> None:
    message = REGENERATE.format(
        dir=POLICIES.relative_to(Path.cwd()) if POLICIES.is_relative_to(Path.cwd()) else POLICIES
    )
    assert stored("read-only") == policy_document(aws_checks()), message
    granted = {p for procs in ACCESS_PROCEDURES.values() for p in procs}
    assert {p.stem for p in POLICIES.glob("*.json")} == granted | {"read-only"}
    for spec in procedure_specs(sorted(granted)):
        assert stored(spec.name) == procedure_policy([access_of(spec)]), message


def test_every_stage_deploys_it_with_the_procedures_it_grants() -> None:
    stacks = Stacks.load(sandbox_stacks_dir())
    for acct in ACCOUNTS:
        section = stacks.component(COMPONENT, f"mycompany-{acct.name}-use1")
        v = section["vars"]
        assert (v["role_name"], v["trust_account_id"]) == (ROLE_NAME, ACCESS_TRUST_ACCOUNT)
        assert v["procedures"] == ACCESS_PROCEDURES[acct.name]
        # the role the sandbox's opsbook.yaml assumes is the one this component deploys
        assert acct.role_arn == f"arn:aws:iam::{v['account_id']}:role/{v['role_name']}"


@needs_terraform
def test_the_seeded_state_is_what_terraform_apply_writes(sandbox: Any, tmp_path: Path) -> None:
    dev = ACCOUNTS[0]
    section = Stacks.load(sandbox_stacks_dir()).component(COMPONENT, f"mycompany-{dev.name}-use1")
    written = apply_locally(section, tmp_path / COMPONENT)
    seeded = read_state(clients_for(sandbox.aws_url, dev)("s3"), state_bucket(dev), object_key(section))
    assert state_shape(seeded) == state_shape(written)
    procedures = next(r for r in seeded["resources"] if r["name"] == "procedure")
    assert sorted(i["index_key"] for i in procedures["instances"]) == sorted(ACCESS_PROCEDURES[dev.name])


@needs_terraform
def test_terraform_plan_finds_no_change_in_prod(sandbox: Any, tmp_path: Path) -> None:
    result, shown = plan_in_copy(sandbox, tmp_path, COMPONENT, "mycompany-prod-use1")
    assert not result.changes, shown
    assert "No changes" in shown
