"""Every usage error is exit 2 with one line on stderr (never 70 "internal error", never a traceback).

Walks the whole typer app: every group and command answers `--help` with exit 0 and refuses an unknown
option with exit 2; a table of bad values fails at parse time, naming the option.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from opsbook.cli.main import _register, app, main

# unknown options go to terraform, or to `opsbook plan PLANNER` (`incident act ID PLANNER ...`)
PASS_THROUGH = {("terraform", "plan"), ("terraform", "apply"), ("incident", "act")}


def _walk(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _walk(sub, (*path, name))


def commands() -> list[tuple[str, ...]]:
    _register()
    return [path for path, _ in _walk(typer.main.get_command(app))]


def one_line_usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, (argv, code, err)
    assert err.strip() and "\n" not in err.strip(), (argv, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    return err


def test_the_walk_finds_every_group_and_command() -> None:
    found = commands()
    assert len(found) > 30
    for expected in [
        ("run",),
        ("cleanup", "apply"),
        ("audit", "list"),
        ("terraform", "plan"),
        ("k8s", "top"),
    ]:
        assert expected in found


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(p) or "opsbook")
def test_every_command_has_help_and_refuses_unknown_options(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out
    if path in PASS_THROUGH:
        return
    err = one_line_usage_error(capsys, [*path, "--no-such-option"])
    assert "--no-such-option" in err


def test_only_terraform_passes_unknown_options_through() -> None:
    _register()
    lenient = {
        path
        for path, cmd in _walk(typer.main.get_command(app))
        if (getattr(cmd, "context_settings", None) or {}).get("ignore_unknown_options")
    }
    assert lenient == PASS_THROUGH


BAD = [
    (["nosuch"], "nosuch"),
    (["run", "daily", "--nosuch"], "--nosuch"),
    (["run", "daily", "-f", "xml"], "--format"),
    (["run", "daily", "--fail-on", "extreme"], "--fail-on"),
    (["run", "daily", "--concurrency", "0"], "--concurrency"),
    (["run", "daily", "--concurrency", "257"], "--concurrency"),
    (["run", "daily", "--concurrency", "many"], "--concurrency"),
    (["run", "daily", "--check"], "--check"),
    (["run", "daily", "--region", "xx-nowhere-9"], "--region"),
    (["cleanup", "plan", "--region", "us-eats-1"], "--region"),
    (["cleanup", "apply", "plan.json", "--max-resources", "0"], "--max-resources"),
    (["cleanup", "apply"], "plan_file"),
    (["cleanup", "apply", "plan.json", "-f", "markdown"], "--format"),
    (["cleanup", "plan", "-f", "markdown"], "--format"),
    (["audit", "list", "-n", "0"], "--limit"),
    (["audit", "list", "-f", "markdown"], "--format"),
    (["history", "-n", "-1"], "--limit"),
    (["history", "-f", "markdown"], "--format"),
    (["show", "r1", "-f", "xml"], "--format"),
    (["checks", "list", "-f", "csv"], "--format"),
    (["k8s", "top", "services"], "what"),
    (["k8s", "top", "pods", "--limit", "0"], "--limit"),
    (["k8s", "top", "pods", "--sort-by", "disk"], "--sort-by"),
    (["k8s", "unhealthy", "-f", "markdown"], "--format"),
    (["k8s", "nettest", "api.example.com; reboot", "--cluster", "c", "-n", "ns"], "TARGET"),
    (["k8s", "nettest", "http://[::1", "--cluster", "c", "-n", "ns"], "TARGET"),  # was exit 70 (ValueError)
    (["k8s", "nettest", "api.example.com", "--cluster", "c", "-n", "ns", "--timeout", "soon"], "--timeout"),
    (["diagnose", "-o", "bundle", "--since", "0"], "--since"),
    (["diagnose", "-o", "bundle", "--service", "a/b/c"], "--service"),
    (["diagnose", "-o", "bundle", "--since", "inf"], "--since"),  # durations that are no time: 70 before
    (["diagnose", "-o", "bundle", "--since", "nan"], "--since"),
    (["diagnose", "-o", "bundle", "--since", "1e12"], "--since"),
    (["incident", "diagnose", "INC-20261201-001", "-o", "bundle", "--since", "nan"], "--since"),
    (["incident", "open", "--title", "t", "--severity", "SEV3", "--detected", "99999999d"], "--detected"),
    (["k8s", "nettest", "api.example.com", "--cluster", "c", "-n", "ns", "--timeout", "inf"], "--timeout"),
    (["k8s", "nettest", "api.example.com", "--cluster", "c", "-n", "ns", "--timeout", "nan"], "--timeout"),
    (["k8s", "nettest", "api.example.com", "--cluster", "c", "-n", "ns", "--timeout", "1e12"], "--timeout"),
    # a bare number of seconds had its own parser, without the 100-year bound
    (["k8s", "nettest", "api.example.com", "--cluster", "c", "-n", "ns", "--timeout", "9" * 20], "--timeout"),
    (["k8s", "nettest", "api.example.com", "--cluster", "c", "-n", "ns", "--timeout", "0"], "--timeout"),
    (["report", "monthly", "--top", "0"], "--top"),
    (["report", "monthly", "--top", "101"], "--top"),
    (["report", "monthly", "-f", "table"], "--format"),
    (["sandbox", "up", "--port", "70000"], "--port"),
    (["sandbox", "up", "--port", "-1"], "--port"),
    (["sandbox", "up", "--accounts", "0"], "--accounts"),
    (["sandbox", "up", "--regions", "8"], "--regions"),
    (["sandbox", "up", "--scale", "-1"], "--scale"),
    (["sandbox", "up", "--scale", "inf"], "--scale"),
    (["stacks", "list", "-f", "xml"], "--format"),
    (["stacks", "describe", "-f", "toml"], "--format"),
    (["stacks", "describe-component", "vpc"], "--stack"),
    (["terraform", "output", "vpc", "-s", "dev", "-f", "xml"], "--format"),
    (["workflow", "list", "-f", "xml"], "--format"),
    (["config", "init", "a", "b"], "b"),
    (["--config"], "--config"),
    # procedures offer only the target options they honour
    (["plan", "rotate-certificate", "--domain", "a.example.com", "--cluster", "c"], "--cluster"),
    (["plan", "remove-inactive-users", "--cluster", "c"], "--cluster"),
    (["plan", "cleanup", "--cluster", "c"], "--cluster"),
    (["plan", "scale-rds", "--db", "d", "--class", "db.r5.large", "--cluster", "c"], "--cluster"),
    (["plan", "backup-rds", "--db", "d", "--cluster", "c"], "--cluster"),
    (["plan", "restart-deployment", "ns/d", "--cluster", "c", "--account", "a"], "--account"),
    (["plan", "rollout", "ns/d", "--image", "app=x:1", "--region", "us-east-1"], "--region"),
    (["plan", "promote", "--component", "vpc", "--stacks", "a", "--cluster", "c"], "--cluster"),
]


@pytest.mark.parametrize(("argv", "named"), BAD, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_bad_values_exit_2_with_one_line_naming_the_option(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be read or written: these fail while parsing
    err = one_line_usage_error(capsys, argv)
    assert named in err
    assert list(tmp_path.iterdir()) == []


def test_no_arguments_shows_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "Usage:" in capsys.readouterr().out
