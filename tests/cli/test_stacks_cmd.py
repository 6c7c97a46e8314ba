"""End-to-end `opsbook stacks ...` through main(): output shapes, no opsbook.yaml needed, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from opsbook.cli.main import main
from opsbook.sandbox.stacks import sandbox_stacks_dir

SANDBOX = str(sandbox_stacks_dir())


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no opsbook.yaml, no atmos.yaml here
    monkeypatch.delenv("ATMOS_CLI_CONFIG_PATH", raising=False)
    monkeypatch.delenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", raising=False)


def test_list_finds_atmos_yaml_via_env(monkeypatch, capsys):
    monkeypatch.setenv("ATMOS_CLI_CONFIG_PATH", SANDBOX)
    assert main(["stacks", "list"]) == 0
    assert capsys.readouterr().out.split() == [
        "mycompany-dev-use1",
        "mycompany-prod-use1",
        "mycompany-staging-use1",
    ]


def test_list_finds_atmos_yaml_in_cwd(monkeypatch, capsys):
    monkeypatch.chdir(SANDBOX)
    assert main(["stacks", "list", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_describe_json_lists_every_stack_with_resolved_vars(capsys):
    assert main(["stacks", "describe", "--atmos-config", SANDBOX, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"mycompany-dev-use1", "mycompany-staging-use1", "mycompany-prod-use1"}
    for name, body in data.items():
        comps = body["components"]["terraform"]
        assert {"vpc", "eks", "rds"} <= set(comps)
        eks = comps["eks"]["vars"]
        assert eks["cluster_name"] == "my-cluster" and eks["region"] == "us-east-1"
        assert set(eks["node_groups"]) == {"system", "application"}
        assert comps["rds"]["vars"]["identifier"] == "my-database"
        assert comps["vpc"]["vars"]["name"] == f"mycompany-{name.split('-')[1]}-vpc"  # template rendered
    assert (
        data["mycompany-prod-use1"]["components"]["terraform"]["eks"]["vars"]["node_groups"]["application"][
            "max_size"
        ]
        == 10
    )


def test_describe_filters_stack_and_component(capsys):
    argv = ["stacks", "describe", "--sandbox", "-s", "mycompany-dev-use1", "-c", "eks"]
    assert main(argv) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert list(data) == ["mycompany-dev-use1"]
    assert list(data["mycompany-dev-use1"]["components"]["terraform"]) == ["eks"]


def test_describe_component_yaml(capsys):
    assert (
        main(["stacks", "describe-component", "rds/reporting", "-s", "mycompany-staging-use1", "--sandbox"])
        == 0
    )
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["workspace"] == "mycompany-staging-use1-rds-reporting"
    assert data["component"] == "rds" and data["inheritance"] == ["rds/defaults"]
    assert data["vars"]["engine"] == "mysql"


def test_unknown_stack_is_one_line_exit_2(capsys):
    assert main(["stacks", "describe-component", "eks", "-s", "nope", "--sandbox"]) == 2
    err = capsys.readouterr().err.strip()
    assert "invalid stack 'nope'" in err and len(err.splitlines()) == 1


def test_unknown_component_exit_2(capsys):
    assert main(["stacks", "describe-component", "ekz", "-s", "mycompany-dev-use1", "--sandbox"]) == 2
    assert "did you mean eks" in capsys.readouterr().err


def test_validate_sandbox_reports_its_deliberate_problem(capsys):
    # staging's eks pins kubernetes_version "1.32.1"; the component's JSON Schema wants major.minor
    assert main(["stacks", "validate", "--sandbox"]) == 2
    err = capsys.readouterr().err
    assert "staging/use1/eks.yaml:" in err and "vars.kubernetes_version: '1.32.1'" in err
    assert "1 problem(s)" in err


def test_validate_reports_problems_exit_2(tmp_path, capsys):
    (tmp_path / "atmos.yaml").write_text(
        "stacks:\n  base_path: stacks\n  name_template: '{{ .vars.stage }}'\n"
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text("vars: {stage: dev}\nimport: [missing]\n")
    assert main(["stacks", "validate", "--atmos-config", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'stacks' / 'dev.yaml'}:2: import 'missing' not found" in err


def test_no_atmos_yaml_exit_2(capsys):
    assert main(["stacks", "list"]) == 2
    assert "no atmos.yaml found" in capsys.readouterr().err


def test_export_writes_dated_json(tmp_path, capsys):
    assert main(["stacks", "export", "--sandbox"]) == 0
    files = list(Path(tmp_path).glob("stacks-*.json"))
    assert len(files) == 1 and len(json.loads(files[0].read_text())) == 3


def test_terraform_command_env_is_honoured(monkeypatch, capsys):
    monkeypatch.setenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", "tofu")
    assert (
        main(["stacks", "describe-component", "vpc", "-s", "mycompany-dev-use1", "--sandbox", "-f", "json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["command"] == "tofu"
