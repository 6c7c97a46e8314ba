"""The runner against the real terraform binary, offline: terraform_data components, local backend."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from opsbook.core.errors import InputError
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.terraform.files import backend_config, planfile_name, varfile_name
from opsbook.providers.terraform.runner import TerraformRunner

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")

MAIN_TF = """
variable "stage" { type = string }
variable "size" { type = number }
resource "terraform_data" "thing" {
  input = { stage = var.stage, size = var.size }
}
output "size" { value = terraform_data.thing.output.size }
"""
ATMOS = """
base_path: "."
components:
  terraform:
    base_path: components/terraform
    command: terraform
    auto_generate_backend_file: true
stacks:
  base_path: stacks
  included_paths: ["deploy/*"]
  name_template: "acme-{{ .vars.stage }}"
"""
STACK = """
vars: {stage: dev}
terraform:
  backend_type: local
  backend:
    local: {}
components:
  terraform:
    thing:
      vars: {size: 1}
    thing/base:
      metadata: {type: abstract, component: thing}
    thing/off:
      metadata: {component: thing, enabled: false}
    thing/locked:
      metadata: {component: thing, locked: true}
      vars: {size: 3}
    thing/big:
      metadata: {component: thing, inherits: [thing/base]}
      vars: {size: 100}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", raising=False)
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", "")
    (tmp_path / "atmos.yaml").write_text(textwrap.dedent(ATMOS))
    (tmp_path / "stacks" / "deploy").mkdir(parents=True)
    (tmp_path / "stacks" / "deploy" / "dev.yaml").write_text(textwrap.dedent(STACK))
    comp = tmp_path / "components" / "terraform" / "thing"
    comp.mkdir(parents=True)
    (comp / "main.tf").write_text(textwrap.dedent(MAIN_TF))
    return tmp_path


def _runner(repo: Path, lines: list[str]) -> TerraformRunner:
    return TerraformRunner(Stacks.load(repo), sink=lines.append)


def test_file_names_flatten_slashes():
    assert varfile_name("acme/dev", "eks/blue") == "acme-dev-eks-blue.terraform.tfvars.json"
    assert planfile_name("acme-dev", "vpc") == "acme-dev-vpc.planfile"


def test_s3_backend_file_content():
    section = {
        "backend_type": "s3",
        "backend": {
            "bucket": "terraform-state-111111111111",
            "key": "terraform.tfstate",
            "workspace_key_prefix": "eks",
        },
    }
    assert backend_config(section) == {
        "terraform": {
            "backend": {
                "s3": {
                    "bucket": "terraform-state-111111111111",
                    "key": "terraform.tfstate",
                    "workspace_key_prefix": "eks",
                }
            }
        }
    }
    assert backend_config({"backend_type": "", "backend": {}}) is None


def test_s3_backend_from_the_sandbox_stacks():
    from opsbook.sandbox.stacks import sandbox_stacks_dir

    section = Stacks.load(sandbox_stacks_dir()).component("eks", "mycompany-prod-use1")
    backend = backend_config(section)["terraform"]["backend"]["s3"]
    assert backend["bucket"] == "terraform-state-333333333333"
    assert backend["workspace_key_prefix"] == "eks" and backend["key"] == "terraform.tfstate"
    assert backend["skip_credentials_validation"] is True and backend["use_path_style"] is True


def test_refuses_abstract_disabled_locked(repo):
    runner = _runner(repo, [])
    with pytest.raises(InputError, match="abstract"):
        runner.prepare("thing/base", "acme-dev")
    with pytest.raises(InputError, match="disabled"):
        runner.prepare("thing/off", "acme-dev")
    with pytest.raises(InputError, match="locked"):
        runner.prepare("thing/locked", "acme-dev", "apply")
    runner.prepare("thing/locked", "acme-dev", "plan")  # planning a locked component is allowed


def _folder(repo: Path) -> dict[str, bytes]:
    comp = repo / "components" / "terraform" / "thing"
    return {str(p.relative_to(comp)): p.read_bytes() for p in sorted(comp.rglob("*")) if p.is_file()}


def test_apply_without_saved_plan_is_refused_and_writes_nothing(repo):
    before = _folder(repo)
    with pytest.raises(InputError, match="no saved plan"):
        _runner(repo, []).apply("thing", "acme-dev")
    with pytest.raises(InputError, match="locked"):
        _runner(repo, []).apply("thing/locked", "acme-dev")
    assert _folder(repo) == before == {"main.tf": before["main.tf"]}


def test_missing_binary_is_a_config_error_and_writes_nothing(repo):
    from opsbook.core.errors import ConfigError

    before = _folder(repo)
    runner = TerraformRunner(Stacks.load(repo), command="no-such-terraform-binary", sink=lambda _: None)
    with pytest.raises(ConfigError, match="not found on PATH"):
        runner.plan("thing", "acme-dev")
    assert _folder(repo) == before


@needs_terraform
def test_plan_apply_plan_output_for_real(repo):
    lines: list[str] = []
    runner = _runner(repo, lines)
    comp = repo / "components" / "terraform" / "thing"

    first = runner.plan("thing", "acme-dev")
    assert first.exit_code == 2 and first.changes
    assert first.planfile == comp / "acme-dev-thing.planfile" and first.planfile.is_file()
    assert json.loads((comp / "acme-dev-thing.terraform.tfvars.json").read_text()) == {
        "size": 1,
        "stage": "dev",
    }
    assert json.loads((comp / "backend.tf.json").read_text()) == {"terraform": {"backend": {"local": {}}}}
    assert any("terraform_data.thing" in line for line in lines)  # output was streamed

    assert runner.apply("thing", "acme-dev") == 0
    assert not first.planfile.exists()  # a saved plan is applied once
    assert (comp / "terraform.tfstate.d" / "acme-dev" / "terraform.tfstate").is_file()  # workspace = stack

    again = runner.plan("thing", "acme-dev")
    assert again.exit_code == 0 and not again.changes

    assert runner.output("thing", "acme-dev") == {"size": 1}
    assert runner.output("thing", "acme-dev", "size") == 1


@needs_terraform
def test_derived_component_gets_its_own_workspace(repo):
    runner = _runner(repo, [])
    result = runner.plan("thing/big", "acme-dev")
    assert result.workspace == "acme-dev-thing-big" and result.changes
    varfile = repo / "components" / "terraform" / "thing" / "acme-dev-thing-big.terraform.tfvars.json"
    assert json.loads(varfile.read_text())["size"] == 100
    runner.apply("thing/big", "acme-dev")
    state = repo / "components" / "terraform" / "thing" / "terraform.tfstate.d" / "acme-dev-thing-big"
    assert (state / "terraform.tfstate").is_file()


@needs_terraform
def test_failed_plan_raises_with_exit_code(repo):
    from opsbook.core.errors import ExternalCommandError

    (repo / "components" / "terraform" / "thing" / "broken.tf").write_text('resource "nope" {\n')
    with pytest.raises(ExternalCommandError, match="failed with exit code 1"):
        _runner(repo, []).plan("thing", "acme-dev")


@needs_terraform
def test_extra_args_reach_terraform(repo):
    runner = _runner(repo, [])
    result = runner.plan("thing", "acme-dev", ["-var=size=7"])
    assert result.changes
    runner.apply("thing", "acme-dev")
    assert runner.output("thing", "acme-dev", "size") == 7


def test_a_failure_names_terraforms_first_error_line():
    from opsbook.providers.terraform.runner import first_error

    boxed = (
        "\n╷\n│ Error: Error acquiring the state lock\n│ \n│ Lock Info:\n│   ID: 5d1b\n╵\n│ Error: second\n"
    )
    assert first_error(boxed) == "Error: Error acquiring the state lock"
    assert first_error("Error: Unsupported block type\n") == "Error: Unsupported block type"
    assert first_error("Plan: 0 to add\n") == ""


@needs_terraform
def test_a_failed_in_sync_probe_says_why(repo):
    from opsbook.core.errors import ExternalCommandError

    (repo / "components" / "terraform" / "thing" / "broken.tf").write_text('resource "nope" {\n')
    with pytest.raises(ExternalCommandError, match=r"failed with exit code 1 .*: Error: "):
        _runner(repo, []).in_sync("thing", "acme-dev")
