"""Workflows: step naming, stack precedence, failure + --from-step resume, dry run, retries, env, listing."""

from __future__ import annotations

import shutil

import pytest

from opsbook.core.errors import InputError
from opsbook.providers.atmos.config import load_config
from opsbook.providers.atmos.workflows import WorkflowRunner, Workflows, WorkflowStepFailed, plan_steps

FLOW = """
workflows:
  deploy:
    description: Deploy things
    stack: from-workflow
    env: {GREETING: hello}
    steps:
      - command: terraform plan vpc
      - command: terraform plan eks -s inline
        stack: from-step
      - name: announce
        type: shell
        command: echo "$GREETING $WHO" >> "$LOG"
        env: {WHO: world}
      - command: atmos terraform apply vpc -- -parallelism=2
  flaky:
    steps:
      - type: shell
        command: n=$(cat "$COUNTER" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$COUNTER"; [ $n -ge 3 ]
        retry: {max_attempts: 3, initial_delay: 1ms, backoff_strategy: exponential}
  inline-only:
    steps:
      - command: terraform plan vpc --stack=inline
  nested:
    steps:
      - command: workflow deploy -f ops
"""


@pytest.fixture
def flows(tree):
    root = tree({"stacks/workflows/ops.yaml": FLOW, "stacks/workflows/broken.yaml": "steps: []\n"})
    return Workflows(load_config(root))


class Recorder:
    def __init__(self, fail_on: str | None = None, code: int = 1) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.fail_on = fail_on
        self.code = code

    def __call__(self, args, env):
        self.calls.append((args, env))
        return self.code if self.fail_on and self.fail_on in args else 0


def _runner(flows, handler, messages=None, tmp_path=None):
    return WorkflowRunner(flows, handler, echo=(messages.append if messages is not None else lambda _: None))


def test_unnamed_steps_and_stack_precedence(flows):
    wf = flows.get("deploy", "ops")
    assert [s.name for s in wf.steps] == ["step1", "step2", "announce", "step4"]
    planned = plan_steps(wf)
    assert planned[0].argv == ["terraform", "plan", "vpc", "-s", "from-workflow"]
    assert planned[1].argv == [
        "terraform",
        "plan",
        "eks",
        "-s",
        "from-step",
    ]  # step beats workflow and inline
    assert planned[3].argv == ["terraform", "apply", "vpc", "-s", "from-workflow", "--", "-parallelism=2"]
    assert planned[1].shown == "atmos terraform plan eks -s 'from-step'"
    cli = plan_steps(wf, cli_stack="from-cli")
    assert {p.stack for p in cli if p.step.type == "atmos"} == {"from-cli"}  # the command line beats all
    inline = plan_steps(flows.get("inline-only", "ops"))
    assert inline[0].argv == ["terraform", "plan", "vpc", "-s", "inline"]
    assert inline[0].shown == "atmos terraform plan vpc --stack=inline"


def test_run_passes_env_and_runs_shell(flows, tmp_path, monkeypatch):
    log = tmp_path / "log.txt"
    monkeypatch.setenv("LOG", str(log))
    handler = Recorder()
    done = _runner(flows, handler).run(flows.get("deploy", "ops"))
    assert done == ["step1", "step2", "announce", "step4"]
    assert log.read_text() == "hello world\n"
    assert handler.calls[0][1] == {"GREETING": "hello"}


def test_failure_stops_and_resume_hint(flows, tmp_path, monkeypatch):
    monkeypatch.setenv("LOG", str(tmp_path / "log.txt"))
    handler = Recorder(fail_on="eks", code=3)
    with pytest.raises(WorkflowStepFailed) as err:
        _runner(flows, handler).run(flows.get("deploy", "ops"), cli_stack="dev")
    assert err.value.exit_code == 3
    message = str(err.value)
    assert "step 'step2'" in message and " atmos terraform plan eks -s 'dev'" in message
    assert "opsbook workflow run deploy -f ops --from-step 'step2' -s 'dev'" in message
    assert len(handler.calls) == 2  # stopped at the failure
    assert not (tmp_path / "log.txt").exists()

    resumed = Recorder()
    done = _runner(flows, resumed).run(flows.get("deploy", "ops"), cli_stack="dev", from_step="step2")
    assert done == ["step2", "announce", "step4"]
    assert resumed.calls[0][0][:3] == ["terraform", "plan", "eks"]


def test_dry_run_runs_nothing(flows, tmp_path, monkeypatch):
    monkeypatch.setenv("LOG", str(tmp_path / "log.txt"))
    handler, messages = Recorder(), []
    done = _runner(flows, handler, messages).run(flows.get("deploy", "ops"), dry_run=True)
    assert done == ["step1", "step2", "announce", "step4"] and handler.calls == []
    assert not (tmp_path / "log.txt").exists()
    assert messages[0] == "▶ step1: atmos terraform plan vpc -s 'from-workflow' (dry run)"


def test_retry_until_success(flows, tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTER", str(tmp_path / "n"))
    assert _runner(flows, Recorder()).run(flows.get("flaky", "ops")) == ["step1"]
    assert (tmp_path / "n").read_text().strip() == "3"


def test_list_reports_unreadable_manifests(flows):
    rows, problems = flows.list()
    assert [(r["file"], r["name"]) for r in rows] == [
        ("ops", "deploy"),
        ("ops", "flaky"),
        ("ops", "inline-only"),
        ("ops", "nested"),
    ]
    assert rows[0]["description"] == "Deploy things"
    assert len(problems) == 1 and "broken.yaml" in problems[0] and "workflows:` key" in problems[0]


def test_get_without_file_searches_all_files(flows):
    assert flows.get("flaky").file == "ops"
    with pytest.raises(InputError, match="no workflow exists with name nope"):
        flows.get("nope")


def test_unsupported_step_type_names_the_feature(tree):
    root = tree(
        {"stacks/workflows/x.yaml": "workflows:\n  w:\n    steps:\n      - {type: env, command: x}\n"}
    )
    with pytest.raises(InputError, match="step type 'env' is not supported by opsbook") as err:
        Workflows(load_config(root)).get("w", "x")
    assert "x.yaml:4" in str(err.value)


def test_nested_workflow_and_sandbox_validate(monkeypatch, capfd, tmp_path):
    from opsbook.cli.main import main
    from opsbook.sandbox.stacks import sandbox_stacks_dir

    monkeypatch.delenv("ATMOS_CLI_CONFIG_PATH", raising=False)
    monkeypatch.chdir(tmp_path)  # a workflow that may run terraform does so in .opsbook/sandbox-stacks here
    # the sandbox tree has one deliberate problem (staging's eks version), so the morning check fails
    assert (
        main(["workflow", "run", "validate", "-f", "ops", "--atmos-config", str(sandbox_stacks_dir())]) == 1
    )
    err = capfd.readouterr().err
    assert "kubernetes_version" in err and "--from-step 'validate-stacks'" in err
    assert (tmp_path / ".opsbook" / "sandbox-stacks" / "atmos.yaml").is_file()  # a run works in a copy
    shutil.rmtree(tmp_path / ".opsbook")
    assert main(["workflow", "list", "--sandbox"]) == 0
    out = capfd.readouterr().out
    assert "drift-detection" in out and "plan-all" in out
    assert (
        main(
            ["workflow", "run", "plan-all", "-f", "ops", "--sandbox", "-s", "mycompany-dev-use1", "--dry-run"]
        )
        == 0
    )
    err = capfd.readouterr().err
    assert "▶ plan-eks: atmos terraform plan eks -s 'mycompany-dev-use1' (dry run)" in err
    assert not (tmp_path / ".opsbook").exists()  # a dry run copies nothing


def test_nested_atmos_workflow_step(tree, tmp_path, monkeypatch, capfd):
    from opsbook.cli.main import main

    root = tree(
        {
            "stacks/workflows/ops.yaml": """
                workflows:
                  parent:
                    steps:
                      - command: workflow child -f ops
                  child:
                    steps:
                      - {type: shell, command: echo child ran}
            """
        }
    )
    assert main(["workflow", "run", "parent", "-f", "ops", "--atmos-config", str(root)]) == 0
    assert "child ran" in capfd.readouterr().out
