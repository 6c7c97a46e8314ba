"""Terraform never writes into opsbook's installed package: the sandbox's stacks tree (package data) is
copied to .opsbook/sandbox-stacks under the current directory, and a runner pointed at the package refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.core.errors import InputError
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.terraform.runner import TerraformRunner
from opsbook.sandbox.stacks import sandbox_stacks_dir

EKS = Path("components/terraform/eks")


def package_files() -> set[Path]:
    return {
        p.relative_to(sandbox_stacks_dir())
        for p in sandbox_stacks_dir().rglob("*")
        if "__pycache__" not in p.parts
    }


def sandbox_like_config(tmp_path: Path) -> Path:
    """A sandbox's opsbook.yaml as far as Terraform's environment goes (no sandbox needs to answer here)."""
    path = tmp_path / "sb.yaml"
    path.write_text(
        "aws:\n  sandbox_credentials: true\n  endpoint_url: http://127.0.0.1:9\n", encoding="utf-8"
    )
    return path


def test_plan_sandbox_works_in_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform: the files are written, then init cannot run
    before = package_files()
    config = ["--config", str(sandbox_like_config(tmp_path))]
    args = [*config, "terraform", "plan", "eks", "-s", "mycompany-dev-use1", "--sandbox", "--command", "sh"]
    assert main(args) == 2  # `sh: not found on PATH`, after the copy and before writing anything in it
    assert package_files() == before
    copy = tmp_path / ".opsbook" / "sandbox-stacks"
    assert (copy / EKS / "main.tf").is_file() and (copy / "atmos.yaml").is_file()
    assert not (copy / EKS / "backend.tf.json").exists()


def test_the_sandbox_tree_without_a_sandbox_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # its stacks' state is in a sandbox's S3: Terraform would fail at init on the caller's AWS credentials
    monkeypatch.chdir(tmp_path)
    for command in (["plan", "eks"], ["apply", "eks"], ["output", "eks"]):
        assert main(["terraform", *command, "-s", "mycompany-dev-use1", "--sandbox"]) == 2
        err = capsys.readouterr().err
        assert "opsbook sandbox up --config-out sb.yaml" in err and len(err.strip().splitlines()) <= 2, err
    assert not (tmp_path / ".opsbook").exists()  # refused before the copy


def test_a_runner_on_the_package_refuses_before_writing() -> None:
    before = package_files()
    runner = TerraformRunner(Stacks.load(sandbox_stacks_dir()), sink=lambda _line: None)
    with pytest.raises(InputError, match="inside opsbook's installed package"):
        runner.plan("eks", "mycompany-dev-use1")
    assert package_files() == before


def test_the_sandbox_config_plans_in_the_copy(
    sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`opsbook sandbox up --config-out sb.yaml` names the packaged tree; `--config sb.yaml terraform plan`
    plans against the seeded state (no changes) in the copy, and the package stays as shipped."""
    import yaml

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    cfg = sandbox.config(f"sqlite:///{tmp_path}/o.db")
    assert Path(cfg["stacks"]["atmos_config"]) == sandbox_stacks_dir()
    config = tmp_path / "sb.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    before = package_files()
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
    err = capsys.readouterr().err
    assert "copied to .opsbook/sandbox-stacks" in err and "no changes" in err, err
    assert (tmp_path / ".opsbook/sandbox-stacks" / EKS / ".terraform").is_dir()
    assert package_files() == before
