"""`promote` (guide: Upgrade Terraform Components): what the planner refuses (nothing written), and a code
change promoted dev -> staging -> prod with real Terraform on a copy of the sandbox's stacks tree, each
stack's state read back from its account's bucket after each apply: a smoke test failing on staging stops
before prod, a re-run does not apply dev again, prod is refused without its own approval and applied with
it (who/when in the audit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.procedures import make_plan
from opsbook.engine.promote import _check_order
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.stacks import sandbox_stacks_dir
from tests.procedures.tf_sandbox import (
    copy_tree,
    digest,
    needs_terraform,
    offline_config,
    restoring,
    s3_client,
    sandbox_config_file,
    state,
)

DEV, STAGING, PROD = (f"mycompany-{s}-use1" for s in ("dev", "staging", "prod"))
ALL = f"{DEV},{STAGING},{PROD}"
VPC_CODE = "components/terraform/vpc/main.tf"


@pytest.fixture()
def offline(tmp_path: Path) -> tuple[Config, Path]:
    tree = copy_tree(tmp_path / "tree")
    return offline_config(tree, tmp_path / "o.db", protected=("prod",)), tree


def plan(cfg: Config, **raw: Any) -> Any:
    return make_plan(cfg, "promote", raw, PlanRequest())


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        ({"component": "vpc", "stacks": [DEV, "mycompany-dev-use2"]}, NotFound, "did you mean mycompany-dev-use1"),
        ({"component": "vcp", "stacks": [DEV]}, NotFound, "did you mean vpc"),
        ({"component": "vpc", "stacks": [DEV, STAGING, DEV]}, InputError, f"--stacks: {DEV} given more than once"),
        ({"component": "vpc", "stacks": [DEV, PROD, STAGING]}, InputError,
         f"--stacks: {STAGING} \\(staging\\) comes after {PROD} \\(prod\\); promote dev -> staging -> prod"),
        ({"component": "vpc", "stacks": [DEV, STAGING], "approval_for": [PROD]}, InputError,
         f"--approval-for: {PROD} is not one of --stacks"),
        ({"component": "vpc", "stacks": [DEV, PROD]}, InputError, "prod, which is protected"),
        ({"component": "eks/defaults", "stacks": [DEV]}, InputError, "is abstract"),
        ({"component": "vpc", "stacks": [DEV], "gate": ["vpc.flow_logs"]}, InputError, "--gate: unknown check vpc.flow_logs"),
        ({"component": "vpc", "stacks": [DEV], "smoke_test": "./no-such-smoke-test.sh"}, InputError,
         "--smoke-test: ./no-such-smoke-test.sh does not exist"),
        ({"component": "vpc", "stacks": [DEV], "smoke_test": "'unbalanced"}, InputError, "--smoke-test"),
        ({"component": "vpc", "stacks": [DEV], "smoke_test": ""}, InputError, "--smoke-test: the command is empty"),
    ],
)  # fmt: skip
def test_refused_at_plan_time_and_nothing_written(offline, raw, error, message) -> None:  # type: ignore[no-untyped-def]
    cfg, tree = offline
    before = digest(tree)
    with pytest.raises(error, match=message):
        plan(cfg, **raw)
    assert digest(tree) == before


def test_a_stack_without_the_component_is_named(offline) -> None:  # type: ignore[no-untyped-def]
    cfg, tree = offline
    (tree / "stacks/orgs/mycompany/staging/use1/rds.yaml").unlink()
    with pytest.raises(InputError, match=f"stack '{STAGING}' does not use component 'rds' \\(the stacks that do: {DEV}, {PROD}\\)"):  # fmt: skip
        plan(cfg, component="rds", stacks=[DEV, STAGING])


def test_the_packaged_sandbox_tree_is_refused(offline) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = offline
    packaged = cfg.model_copy(
        update={"stacks": cfg.stacks.model_copy(update={"atmos_config": str(sandbox_stacks_dir())})}
    )
    with pytest.raises(InputError, match="opsbook's own sandbox tree"):
        plan(packaged, component="vpc", stacks=[DEV])


def test_stage_order() -> None:
    ordered = [(DEV, "dev"), ("other", "sandbox"), (STAGING, "staging"), ("dev2", "dev")]
    with pytest.raises(InputError, match="dev2 \\(dev\\) comes after mycompany-staging-use1"):
        _check_order(ordered, any_order=False)
    _check_order(ordered, any_order=True)  # --any-order: the user's order
    _check_order([(DEV, "dev"), ("x", "dev"), ("y", "qa"), (PROD, "prod")], any_order=False)


# -- with Terraform, against the sandbox's state buckets ----------------------------------------------------


@pytest.fixture()
def promote_env(sandbox, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    """A copy of the sandbox tree, its opsbook.yaml, the CLI, and the sandbox's S3; the vpc state versions
    written are deleted afterwards."""
    from opsbook.cli.main import main

    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.chdir(tmp_path)
    tree = copy_tree(tmp_path / "tree")
    config = sandbox_config_file(sandbox, tree, tmp_path)
    s3 = s3_client(sandbox)
    with restoring(sandbox, "vpc", ("dev", "staging", "prod")):
        yield tree, (lambda *args: main(["--config", str(config), *args])), s3, config


def vpc(s3: Any, stage: str) -> tuple[int, dict[str, Any]]:
    """(serial, terraform_data.vpc's input) of the stage's vpc state in its account's bucket."""
    found = state(s3, stage, "vpc")
    res = next(r for r in found["resources"] if r["type"] == "terraform_data" and r["name"] == "vpc")
    return found["serial"], res["instances"][0]["attributes"]["input"]["value"]


@needs_terraform
def test_nothing_to_promote_and_a_failing_terraform_plan(promote_env, capsys) -> None:  # type: ignore[no-untyped-def]
    tree, cli, _s3, _ = promote_env
    assert cli("plan", "promote", "--component", "vpc", "--stacks", ALL, "-o", "p.json") == 0
    out = capsys.readouterr().out
    assert "nothing to promote: terraform plan shows no changes for vpc in" in out
    assert json.loads(Path("p.json").read_text())["items"] == []

    code = tree / VPC_CODE
    code.write_text(
        code.read_text().replace('resource "terraform_data" "vpc" {', 'resource "terraform_data" "vpc" {{')
    )
    before = digest(tree)
    assert cli("plan", "promote", "--component", "vpc", "--stacks", ALL) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"terraform plan vpc -s {DEV} (in a scratch copy) failed" in err
    assert digest(tree) == before  # planned in a scratch copy: the real tree untouched


@needs_terraform
def test_promote_dev_staging_prod_smoke_failure_resume_and_prod_approval(
    promote_env, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from opsbook.store import plans as store_plans
    from opsbook.store.db import open_store

    tree, cli, s3, _ = promote_env
    seeded = {stage: vpc(s3, stage) for stage in ("dev", "staging", "prod")}
    assert all("module_version" not in v[1] for v in seeded.values())
    code = tree / VPC_CODE  # the user's code change (the guide's `vim versions.tf`)
    code.write_text(code.read_text().replace("    tags                = var.tags\n",
                                             "    tags                = var.tags\n    module_version      = \"2.0.0\"\n"))  # fmt: skip
    smoke = tmp_path / "smoke-test.sh"  # fails on staging until the "fix" is in place
    smoke.write_text(
        '#!/bin/sh\necho "smoke $1"\n[ "$1" != staging ] || [ -f fixed ] || { echo "503 from staging"; exit 1; }\n'
    )
    smoke.chmod(0o755)
    before = digest(tree)

    assert cli("plan", "promote", "--component", "vpc", "--stacks", ALL,
               "--smoke-test", "./smoke-test.sh {stage}", "-o", "plan.json") == 0  # fmt: skip
    shown = capsys.readouterr().out
    for stack in (DEV, STAGING, PROD):
        assert f"terraform plan vpc -s {stack}:" in shown
    assert "update terraform_data.vpc: input.module_version None -> '2.0.0'" in shown
    assert "--rollback cannot undo a promotion" in shown
    assert digest(tree) == before  # read-only: Terraform ran in a scratch copy
    steps = json.loads(Path("plan.json").read_text())["items"]
    assert [(s["id"], s["kind"], s["approval"], s["account"]) for s in steps] == [
        ("001", "promote-terraform-apply", False, "dev"), ("smoke-test:001", "smoke-test", False, "dev"),
        ("002", "promote-terraform-apply", False, "staging"), ("smoke-test:002", "smoke-test", False, "staging"),
        ("003", "promote-terraform-apply", True, "prod"), ("smoke-test:003", "smoke-test", False, "prod"),
    ]  # fmt: skip
    assert steps[3]["params"]["argv"] == ["./smoke-test.sh", "staging"]
    assert steps[1]["gate"] == ["cloudwatch.alarms_in_alarm"] and steps[0]["gate"] == []

    # 1. dev and staging applied; staging's smoke test fails: prod is not touched
    assert cli("apply", "plan.json", "--yes") == 3
    out = capsys.readouterr().out
    assert (
        "smoke test exited 1" in out and "503 from staging" in out and "stopped at step smoke-test:002" in out
    )
    assert "`--rollback` cannot undo this plan's steps" in out
    dev_serial, dev_input = vpc(s3, "dev")
    assert dev_input["module_version"] == "2.0.0" and dev_input["cidr_block"] == "10.10.0.0/16"
    assert vpc(s3, "staging")[1]["module_version"] == "2.0.0"
    assert vpc(s3, "prod") == seeded["prod"]

    # 2. fixed; re-run: dev is not applied again, staging's smoke passes, prod refused without its approval
    Path("fixed").touch()
    assert cli("apply", "plan.json", "--yes", "-f", "json") == 2  # stopped at a step not approved
    run = json.loads(capsys.readouterr().out)
    assert [(o["item_id"], o["result"]) for o in run["outcomes"]] == [
        ("001", "already-done"), ("smoke-test:001", "already-done"), ("002", "already-done"),
        ("smoke-test:002", "done"), ("003", "refused"), ("smoke-test:003", "not-run"),
    ]  # fmt: skip
    assert "--approve-step 003" in run["outcomes"][4]["reason"] and run["stopped_at"] == "003"
    assert vpc(s3, "dev")[0] == dev_serial and vpc(s3, "prod") == seeded["prod"]

    # 3. approved: prod applied and smoke-tested; who/when in the audit
    assert cli("apply", "plan.json", "--yes", "--approve-step", "003") == 0
    capsys.readouterr()
    prod_serial, prod_input = vpc(s3, "prod")
    assert prod_input["module_version"] == "2.0.0" and prod_input["cidr_block"] == "10.30.0.0/16"
    store = open_store(f"sqlite:///{tmp_path}/opsbook.db")
    try:
        audit = store_plans.list_audit(store)
        journal = store_plans.journal(store, plan_hash=json.loads(Path("plan.json").read_text())["plan_hash"])
    finally:
        store.close()
    assert "cloudwatch.alarms_in_alarm" in journal["_gate-baseline"].detail["failing"]  # the gates ran
    approved = [a for a in audit if a["result"] == "approved"]
    assert [a["item_id"] for a in approved] == ["003"] and approved[0]["who"] and approved[0]["at"]
    assert [a["result"] for a in audit if a["item_id"] == "003"] == ["not-run", "refused", "approved", "done"]

    # 4. re-running is a no-op; --rollback says it cannot undo and changes nothing
    assert cli("apply", "plan.json", "--yes", "-f", "json") == 0
    assert {o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]} == {"already-done"}
    assert cli("apply", "plan.json", "--rollback", "--yes") == 3
    out = capsys.readouterr().out
    assert "promote-terraform-apply has no undo" in out
    assert "restore it (e.g. git revert) and promote that" in out  # the kind's irreversible reason
    assert out.count("nothing to roll back: run-smoke-test changes nothing") == 3  # smoke tests: passed over
    assert vpc(s3, "prod")[0] == prod_serial and vpc(s3, "dev")[0] == dev_serial
