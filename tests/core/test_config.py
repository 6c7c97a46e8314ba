"""opsbook.yaml: one-line errors with file:line and dotted paths, exit code 2, and a valid example."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.core.config import load_config
from opsbook.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "opsbook.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_yaml_syntax_error_names_file_line_column(tmp_path: Path) -> None:
    p = write(tmp_path, "accounts:\n  - name: dev\n    regions: [us-east-1\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}:4:1: invalid YAML") or msg.startswith(f"{p}:3:")
    assert "invalid YAML" in msg
    assert "\n" not in msg


def test_schema_error_names_dotted_path_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "accounts:\n  - name: dev\n    id: '12'\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}:3:5: accounts.0.id:")
    assert "pattern" in msg and "'12'" in msg


def test_unknown_field_is_reported(tmp_path: Path) -> None:
    p = write(tmp_path, "run:\n  concurency: 4\n")
    with pytest.raises(ConfigError, match=r":2:3: run.concurency: unknown field"):
        load_config(p)


def test_cli_exit_code_2_and_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "aws:\n  max_attempts: many\n")
    code = main(["--config", str(p), "config", "validate"])
    err = capsys.readouterr().err
    assert code == 2
    assert "aws.max_attempts" in err and f"{p}:2:" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_check_settings_are_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "checks:\n  rds.cpu_high:\n    cpu_percent: 250\n")
    assert main(["--config", str(p), "config", "validate"]) == 2
    err = capsys.readouterr().err
    assert "checks.rds.cpu_high.cpu_percent" in err and f"{p}:3:" in err
    p = write(tmp_path, "checks:\n  no.such_check: {}\n")
    assert main(["--config", str(p), "config", "validate"]) == 2
    assert "unknown check" in capsys.readouterr().err


def test_missing_config_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "nope.yaml"), "run", "daily"]) == 2
    assert "config init" in capsys.readouterr().err


def test_a_named_config_that_is_missing_is_refused_also_where_none_is_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default store would land here
    for argv in (["incident", "list"], ["history"], ["audit", "list"]):
        assert main(["--config", "typo.yaml", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert "typo.yaml: file not found" in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []  # no store opened or created
    assert main(["incident", "list", "-f", "json"]) == 0  # no --config: the default store, none yet
    assert capsys.readouterr().out.strip() == "[]"


def test_init_writes_an_example_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "opsbook.yaml"
    assert main(["--config", str(p), "config", "init"]) == 0
    assert p.read_text().startswith("# opsbook.yaml")
    assert main(["--config", str(p), "config", "validate"]) == 0
    assert "OK (2 accounts" in capsys.readouterr().out
    assert main(["--config", str(p), "config", "init"]) == 2  # refuses to overwrite
    cfg = load_config(p)
    assert cfg.account("prod").protected is True
