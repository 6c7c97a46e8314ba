"""`stack-set` (guide: Scale Infrastructure Components): what the planner refuses (nothing written), and
the whole procedure end to end on a copy of the sandbox's stacks tree with real Terraform, its state in
the sandbox's S3: plan, apply, re-run, rollback - each read back from the manifest and the state object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.procedures import make_plan
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

DEV = "mycompany-dev-use1"
EKS_DEV = "stacks/orgs/mycompany/dev/use1/eks.yaml"
DESIRED = "vars.node_groups.application.desired_size"


@pytest.fixture()
def offline(tmp_path: Path) -> tuple[Config, Path]:
    tree = copy_tree(tmp_path / "tree")
    return offline_config(tree, tmp_path / "o.db", protected=("prod",)), tree


def plan(cfg: Config, stack: str, component: str, *sets: str, in_stack: bool = False) -> Any:
    raw = {"stack": stack, "component": component, "set": list(sets), "in_stack": in_stack}
    return make_plan(cfg, "stack-set", raw, PlanRequest())


@pytest.mark.parametrize(
    ("stack", "component", "sets", "in_stack", "error", "message"),
    [
        ("mycompany-dev-use2", "eks", [f"{DESIRED}=6"], False, NotFound, "did you mean mycompany-dev-use1"),
        (DEV, "ekss", [f"{DESIRED}=6"], False, NotFound, "did you mean eks"),
        (DEV, "eks", ["metadata.component=x"], False, InputError, "must be under vars, settings, env"),
        (DEV, "eks", ["vars.node_groups=6"], False, InputError, "holds a mapping"),
        (DEV, "eks", [f"{DESIRED}=many"], False, InputError, "it is a int now \\(4\\), not a str"),
        (DEV, "eks", ["vars.stage=qa"], False, InputError, "stack name is made of vars.stage"),
        # the JSON Schema of settings.validation (eks.json) wants major.minor
        (DEV, "eks", ["vars.kubernetes_version=1.33.0"], True, InputError, r"JSON Schema refuses the new value: .*eks\.yaml: .*vars\.kubernetes_version: '1\.33\.0' does not match"),
        # defined in the shared catalog: editing it would change staging too
        (DEV, "eks", [f"{DESIRED}=6"], False, InputError,
         "catalog/eks.yaml would also change mycompany-staging-use1 eks; use --in-stack"),
        (DEV, "vpc", ["vars.name=x"], False, InputError, r"catalog/vpc.yaml:7: vars.name is a template"),
        ("mycompany-prod-use1", "eks", [f"{DESIRED}=8"], False, InputError, "prod, which is protected"),
        (DEV, "eks/defaults", ["vars.cluster_name=x"], False, InputError, "is abstract"),
    ],
)  # fmt: skip
def test_refused_at_plan_time_and_nothing_written(offline, stack, component, sets, in_stack, error, message):
    cfg, tree = offline
    before = digest(tree)
    with pytest.raises(error, match=message):
        plan(cfg, stack, component, *sets, in_stack=in_stack)
    assert digest(tree) == before


def test_the_packaged_sandbox_tree_is_never_edited(offline):
    cfg, _tree = offline
    packaged = cfg.model_copy(
        update={"stacks": cfg.stacks.model_copy(update={"atmos_config": str(sandbox_stacks_dir())})}
    )
    with pytest.raises(InputError, match="opsbook's own sandbox tree"):
        plan(packaged, DEV, "eks", f"{DESIRED}=6", in_stack=True)


# -- end to end, real terraform -----------------------------------------------------------------------------


@pytest.fixture()
def state_bucket(sandbox):  # type: ignore[no-untyped-def]
    """The sandbox's S3; dev's seeded eks state (sandbox/aws/seeds/state.py) is current again afterwards."""
    s3 = s3_client(sandbox)
    with restoring(sandbox, "eks", ("dev",)):
        yield s3


def node_group(s3: Any, name: str) -> tuple[int, dict[str, Any]]:
    """(state serial, the node group's terraform_data input) read from the state object in S3."""
    found = state(s3, "dev", "eks")
    for res in found["resources"]:
        if res["name"] == "node_group":
            for inst in res["instances"]:
                if inst["index_key"] == name:
                    return found["serial"], inst["attributes"]["input"]["value"]
    raise AssertionError(f"no node group {name} in the state")


@needs_terraform
def test_plan_apply_rerun_and_rollback_with_terraform(sandbox, state_bucket, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from opsbook.cli.main import main

    tree = copy_tree(tmp_path / "tree")
    config = sandbox_config_file(sandbox, tree, tmp_path)
    manifest = tree / EKS_DEV
    original = manifest.read_text()
    plan_file = tmp_path / "plan.json"

    def cli(*args: str) -> int:
        return main(["--config", str(config), *args])

    # the seeded state is the manifests' (and the live node groups') values: desired_size 4
    assert node_group(state_bucket, "application")[1]["desired_size"] == 4

    assert cli("plan", "stack-set", "--stack", DEV, "--component", "eks", "--set", f"{DESIRED}=6",
               "--in-stack", "-o", str(plan_file)) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "+            desired_size: 6" in shown  # the YAML diff
    assert 'update terraform_data.node_group["application"]: input.desired_size 4 -> 6' in shown
    assert manifest.read_text() == original  # planning wrote nothing
    steps = json.loads(plan_file.read_text())["items"]
    assert [s["kind"] for s in steps] == ["stack-manifest-edit", "stack-terraform-apply"]
    assert steps[1]["wait"]["condition"] == "stack-value-applied" and steps[0]["gate"] == [
        "atmos.stacks_valid"
    ]

    assert cli("apply", str(plan_file), "--yes") == 0
    edited = manifest.read_text()
    assert edited == original + (
        "components:\n  terraform:\n    eks:\n      vars:\n        node_groups:\n"
        "          application:\n            desired_size: 6\n"
    )
    serial, group = node_group(state_bucket, "application")
    assert group["desired_size"] == 6 and group["max_size"] == 10
    capsys.readouterr()

    assert cli("apply", str(plan_file), "--yes", "-f", "json") == 0  # a second apply is a no-op
    again = json.loads(capsys.readouterr().out)
    assert {o["result"] for o in again["outcomes"]} == {"already-done"}
    assert manifest.read_text() == edited and node_group(state_bucket, "application")[0] == serial

    assert cli("apply", str(plan_file), "--rollback", "--yes") == 0
    assert manifest.read_text() == original
    assert node_group(state_bucket, "application")[1]["desired_size"] == 4
