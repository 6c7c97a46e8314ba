"""opsbook's own access as a component of the sandbox's stacks (`opsbook-access`): its policies are what
`opsbook iam policy` derives today, it deploys in every stage with the procedures that stage grants, the
seeded state is what `terraform apply` writes for it, and `terraform plan` finds no change."""

from __future__ import annotations

import json
import shutil
import subprocess
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
    work = tmp_path / COMPONENT
    shutil.copytree(Path(section["component_info"]["abs_path"]), work)
    (work / "terraform.tfvars.json").write_text(json.dumps(section["vars"]), encoding="utf-8")
    for args in (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color"],
    ):
        subprocess.run(["terraform", *args], cwd=work, check=True, capture_output=True, timeout=120)  # noqa: S603, S607
    written = json.loads((work / "terraform.tfstate").read_text())
    backend = section["backend"]
    key = f"{backend['workspace_key_prefix']}/{section['workspace']}/{backend['key']}"
    s3 = clients_for(sandbox.aws_url, dev)("s3")
    seeded = json.loads(s3.get_object(Bucket=state_bucket(dev), Key=key)["Body"].read())

    def shape(state: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in state.items() if k not in ("lineage", "serial", "terraform_version")}
        for res in out["resources"]:
            for inst in res["instances"]:
                inst["attributes"]["id"] = "-"
        return out

    assert shape(seeded) == shape(written)
    procedures = next(r for r in seeded["resources"] if r["name"] == "procedure")
    assert sorted(i["index_key"] for i in procedures["instances"]) == sorted(ACCESS_PROCEDURES[dev.name])


@needs_terraform
def test_terraform_plan_finds_no_change_in_prod(sandbox: Any, tmp_path: Path) -> None:
    from opsbook.core.config import Config
    from opsbook.providers.terraform.changes import sandbox_env
    from opsbook.providers.terraform.runner import TerraformRunner

    tree = tmp_path / "tree"
    shutil.copytree(sandbox_stacks_dir(), tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    env = sandbox_env(Config.model_validate(sandbox.config(f"sqlite:///{tmp_path}/o.db")))
    lines: list[str] = []
    runner = TerraformRunner(Stacks.load(tree), sink=lines.append, extra_env=env, color=False)
    result = runner.plan(COMPONENT, "mycompany-prod-use1")
    shown = "".join(lines)
    assert not result.changes, shown
    assert "No changes" in shown
