"""Atmos's workflow cases (tests/test-cases/workflows.yaml + goldens), run through `opsbook workflow run`.

Messages are compared by their key phrases; exit codes: a failed step's own code (1, 127); bad input
(unknown workflow/file/step, invalid manifest) is opsbook's usage error, exit 2.
"""

from __future__ import annotations

import re
import shutil

import pytest

from opsbook.cli.main import main

WORKFLOWS = "tests/fixtures/scenarios/workflows"


@pytest.fixture
def wf(conformance, atmos_env, fixture_dir, monkeypatch):
    workdir = atmos_env(fixture_dir(conformance, WORKFLOWS))
    monkeypatch.delenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", raising=False)
    return workdir


def _run(*args: str) -> int:
    return main(["workflow", "run", *args])


def test_failure(wf, capfd):
    assert _run("fail", "--file", "test") == 1
    err = capfd.readouterr().err
    assert "mock" in err and "idontexist" in err  # the atmos step's own error
    assert "workflow step execution failed" in err
    assert "The following command failed to execute:" in err
    assert " atmos terraform plan mock -s idontexist" in err
    assert "To resume the workflow from this step, run:" in err
    assert "opsbook workflow run fail -f test --from-step 'step1'" in err


def test_failure_with_filepath(wf, capfd):
    assert _run("fail", "--file", "subdir/test") == 1
    assert "opsbook workflow run fail -f subdir/test --from-step 'step1'" in capfd.readouterr().err


def test_failure_with_stack(wf, capfd):
    assert _run("fail-with-stack", "--file", "test", "--stack", "prod") == 1
    err = capfd.readouterr().err
    assert "invalid component 'idontexist'" in err and "'prod'" in err
    assert " atmos terraform plan idontexist -s 'prod'" in err
    assert "opsbook workflow run fail-with-stack -f test --from-step 'step1' -s 'prod'" in err


def test_failure_on_shell_command(wf, capfd):
    assert _run("shell-failure", "--file", "test") == 1
    out, err = capfd.readouterr()
    assert out.strip() == "This should fail"
    assert "workflow step execution failed" in err
    assert 'echo "This should fail" exit 1' in err  # the step's script, on the error's one line
    assert "opsbook workflow run shell-failure -f test --from-step 'step1'" in err


def test_shell_command_not_found_keeps_127(wf, capfd):
    assert _run("shell-command-not-found", "--file", "test") == 127
    err = capfd.readouterr().err
    assert "nonexistentcommand" in err and "workflow step execution failed" in err
    assert "To resume the workflow from this step, run:" in err


def test_shell_pass(wf, capfd):
    assert _run("shell-pass", "--file", "test") == 0
    assert capfd.readouterr().out == "This should pass\n"


def test_no_steps(wf, capfd):
    assert _run("no-steps", "--file", "test") == 2
    err = capfd.readouterr().err
    assert "workflow has no steps defined" in err and "workflow no-steps is empty" in err


def test_invalid_step_type(wf, capfd):
    assert _run("invalid-step-type", "--file", "test") == 2
    err = capfd.readouterr().err
    assert "invalid workflow step type" in err and "Step type 'invalid' is not supported" in err


def test_invalid_from_step(wf, capfd):
    assert _run("pass", "--file", "test", "--from-step", "dne") == 2
    err = capfd.readouterr().err
    assert "invalid from-step flag" in err
    assert "the --from-step flag was set to dne, but this step does not exist in workflow pass" in err
    assert "available steps: step1" in err


def test_workflow_not_found_lists_available(wf, capfd):
    assert _run("no-workflow-exists", "--file", "test") == 2
    err = capfd.readouterr().err
    assert "no workflow found" in err and "no workflow exists with name no-workflow-exists" in err
    assert "available workflows in test.yaml" in err
    for name in ("fail", "invalid-step-type", "no-steps", "pass", "shell-command-not-found", "shell-failure"):
        assert name in err


def test_invalid_manifest(wf, capfd):
    assert _run("pass", "--file", "test-invalid") == 2
    err = capfd.readouterr().err
    assert "invalid workflow manifest" in err and "must be a map with" in err and "workflows:` key" in err


def test_file_not_found(wf, capfd):
    assert _run("pass", "--file", "dne") == 2
    err = capfd.readouterr().err
    assert "workflow file not found" in err and "stacks/workflows/dne.yaml does not exist" in err


def test_workflow1_fixture_absent(conformance):
    pytest.skip(
        "the workflow1.yaml fixture of `atmos workflow pla --file workflow1` is not in the conformance folder"
    )


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_success_runs_terraform_plan(conformance, fixture_dir, tmp_path, monkeypatch, capfd):
    """`pass` plans the mock component for real; the tree is copied since terraform writes beside it."""
    scenario = fixture_dir(conformance, WORKFLOWS)
    components = fixture_dir(conformance, "tests/fixtures/components")
    work = tmp_path / "tests" / "fixtures"
    shutil.copytree(scenario, work / "scenarios" / "workflows")
    shutil.copytree(components, work / "components")
    workdir = work / "scenarios" / "workflows"
    for path in [workdir, *workdir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    for path in (work / "components").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (work / "components").chmod(0o755)
    monkeypatch.setenv("ATMOS_CLI_CONFIG_PATH", str(workdir))
    monkeypatch.delenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", raising=False)
    monkeypatch.chdir(workdir)
    assert _run("pass", "--file", "test") == 0
    out = capfd.readouterr().out
    assert re.search(r'foo\s+= "foo nonprod override"', out) and re.search(
        r'baz\s+= "baz catalog default"', out
    )
    mock = work / "components" / "terraform" / "mock"
    assert (mock / "nonprod-mock.terraform.tfvars.json").is_file()
    assert (mock / "nonprod-mock.planfile").is_file()
