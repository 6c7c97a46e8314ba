"""`opsbook terraform plan|apply|output` end to end with the real binary (offline, local backend)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from opsbook.cli.main import main

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", raising=False)
    monkeypatch.setenv("ATMOS_CLI_CONFIG_PATH", str(tmp_path))
    (tmp_path / "atmos.yaml").write_text(
        "components: {terraform: {base_path: components/terraform}}\n"
        "stacks: {base_path: stacks, included_paths: ['*.yaml'], name_pattern: '{stage}'}\n"
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text(
        "vars: {stage: dev}\ncomponents:\n  terraform:\n    app: {vars: {replicas: 2}}\n"
        "    frozen: {metadata: {component: app, locked: true}, vars: {replicas: 1}}\n"
    )
    comp = tmp_path / "components" / "terraform" / "app"
    comp.mkdir(parents=True)
    (comp / "main.tf").write_text(
        textwrap.dedent(
            """
            variable "stage" { type = string }
            variable "replicas" { type = number }
            resource "terraform_data" "app" { input = var.replicas }
            output "replicas" { value = terraform_data.app.output }
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_plan_apply_output(repo, capsys):
    assert main(["terraform", "plan", "app", "-s", "dev", "--detailed-exitcode"]) == 2
    assert "plan saved" in capsys.readouterr().err
    assert main(["terraform", "apply", "app", "-s", "dev"]) == 0
    capsys.readouterr()
    assert main(["terraform", "plan", "app", "-s", "dev", "--detailed-exitcode"]) == 0
    assert "no changes" in capsys.readouterr().err
    assert main(["terraform", "output", "app", "-s", "dev"]) == 0
    assert json.loads(capsys.readouterr().out) == {"replicas": 2}


def test_passthrough_var(repo, capsys):
    assert main(["terraform", "plan", "app", "-s", "dev", "-var=replicas=5"]) == 0
    assert main(["terraform", "apply", "app", "-s", "dev"]) == 0
    capsys.readouterr()
    assert main(["terraform", "output", "app", "replicas", "-s", "dev"]) == 0
    assert json.loads(capsys.readouterr().out) == 5


def test_locked_component_apply_refused(repo, capsys):
    assert main(["terraform", "apply", "frozen", "-s", "dev"]) == 2
    err = capsys.readouterr().err
    assert "locked" in err and len(err.strip().splitlines()) == 1


def test_apply_without_plan_refused_leaves_the_folder_unchanged(repo, capsys):
    comp = repo / "components" / "terraform" / "app"
    before = sorted(p.name for p in comp.iterdir())
    assert main(["terraform", "apply", "app", "-s", "dev"]) == 2
    err = capsys.readouterr().err
    assert "no saved plan" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in comp.iterdir()) == before == ["main.tf"]


def test_sandbox_config_plans_against_the_seeded_state(sandbox, tmp_path, capsys, monkeypatch):
    """`opsbook --config sb.yaml terraform plan` (after `opsbook sandbox up --config-out sb.yaml`): the
    config's stacks tree, Terraform's state from the sandbox's seeded bucket, nothing to change."""
    import yaml

    from opsbook.sandbox.stacks import sandbox_stacks_dir

    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    tree = tmp_path / "tree"
    shutil.copytree(sandbox_stacks_dir(), tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    cfg = sandbox.config(f"sqlite:///{tmp_path}/o.db")
    cfg["stacks"]["atmos_config"] = str(tree)
    config = tmp_path / "sb.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    args = [
        "--config",
        str(config),
        "terraform",
        "plan",
        "eks",
        "-s",
        "mycompany-dev-use1",
        "--detailed-exitcode",
    ]
    assert main(args) == 0
    assert "no changes; workspace mycompany-dev-use1" in capsys.readouterr().err
    assert (tree / "components/terraform/eks/.terraform").is_dir()  # ran in the config's tree
