"""Issue 11 defects 2 and 3: a check setting or check id that is not applied is an error everywhere (with
file:line:col, exit 2); every setting's default shows in `opsbook checks show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from opsbook.cli.main import main
from opsbook.core.checks import CHECKS, CheckSpec, NoSettings, check, is_strict
from opsbook.core.models import Severity
from opsbook.core.registry import Registry
from opsbook.engine.selection import load_builtin

TYPO = "checks:\n  ec2.old_snapshots:\n    min_age_dayz: 3\n"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "opsbook.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "command",
    [
        ["config", "validate"],
        ["config", "show"],
        ["run", "daily"],
        ["history"],
        ["cleanup", "plan"],
        ["k8s", "top", "nodes"],
        ["report", "monthly"],
    ],
)
def test_a_typo_in_a_check_setting_is_rejected_by_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    p = write(tmp_path, TYPO)
    assert main(["--config", str(p), *command]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {p}:3:5: checks.ec2.old_snapshots.min_age_dayz: unknown field, got 3", err


def test_an_unknown_check_id_is_rejected_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write(tmp_path, "run:\n  concurrency: 2\nchecks:\n  ec2.old_snapshotz:\n    older_than_days: 3\n")
    assert main(["--config", str(p), "run", "daily"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {p}:4:3: checks.ec2.old_snapshotz: unknown check"), err
    assert len(err.strip().splitlines()) == 1


def test_enabled_must_be_a_boolean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "checks:\n  ec2.old_snapshots:\n    enabled: 'no'\n")
    assert main(["--config", str(p), "config", "validate"]) == 2
    assert f"{p}:3:5: checks.ec2.old_snapshots.enabled: expected true or false" in capsys.readouterr().err


def test_every_registered_settings_model_forbids_unknown_keys_and_is_frozen() -> None:
    load_builtin()
    for spec in CHECKS:
        assert is_strict(spec.settings), spec.id
        for name, f in spec.settings.model_fields.items():
            nested = f.annotation
            if isinstance(nested, type) and issubclass(nested, BaseModel):
                assert is_strict(nested), f"{spec.id}.{name}"
        value = spec.settings()
        for name in spec.settings.model_fields:
            with pytest.raises(ValidationError):
                setattr(value, name, None)


def test_check_makes_a_plain_settings_model_strict() -> None:
    class Plain(BaseModel):
        days: int = 3

    reg: Registry[CheckSpec] = Registry("t")
    check(
        id="t.plain",
        title="t",
        section="Daily Operations",
        cadence=("daily",),
        severity=Severity.LOW,
        needs=(),
        permissions=("ec2:DescribeVolumes",),
        remediation="r",
        settings=Plain,
        registry=reg,
    )(lambda ctx: [])
    model = reg.get("t.plain").settings
    assert model.__name__ == "Plain" and is_strict(model) and not is_strict(Plain)
    with pytest.raises(ValidationError, match="days_"):
        model.model_validate({"days_": 4})
    assert is_strict(NoSettings)


def test_checks_show_prints_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "show", "s3.critical_bucket_replication", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["critical_buckets"]["default"] == ["my-bucket", "my-bucket-*"]
    load_builtin()
    for spec in CHECKS:  # a default_factory's value too, for every setting of every check
        assert main(["checks", "show", spec.id, "-f", "json"]) == 0
        shown = json.loads(capsys.readouterr().out)["settings"]
        for name in spec.settings.model_fields:
            assert "default" in shown[name], f"{spec.id}.{name}"
    assert main(["checks", "show", "s3.critical_bucket_replication"]) == 0
    text = capsys.readouterr().out
    assert "critical_buckets" in text and '["my-bucket", "my-bucket-*"]' in text
