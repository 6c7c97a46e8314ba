"""The one safe YAML loader (config and stacks): each rule fails fast, on one line, with file:line:col."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from opsbook.cli.main import main
from opsbook.core.config import check_settings, load_config
from opsbook.core.errors import ConfigError, InputError
from opsbook.core.yamlfile import load_located


def write(tmp_path: Path, text: str | bytes, name: str = "opsbook.yaml") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def error_of(p: Path, error: type[Exception] = ConfigError) -> str:
    with pytest.raises(error) as exc:
        load_located(p, error)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def alias_bomb(levels: int) -> str:
    """The classic "billion laughs": each level a list of nine aliases of the level below (~0.5 KB)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_duplicate_key_names_both_places(tmp_path: Path) -> None:
    p = write(tmp_path, "run:\n  concurrency: 4\naws: {}\nrun:\n  concurrency: 8\n")
    assert error_of(p) == f"{p}:4:1: duplicate key 'run' (first at line 1:1)"


def test_duplicate_key_compares_values_not_spelling(tmp_path: Path) -> None:
    p = write(tmp_path, "checks:\n  x:\n    1: a\n    0x1: b\n")
    assert error_of(p) == f"{p}:4:5: duplicate key '0x1' (first at line 3:5)"


def test_merge_key_may_be_overridden(tmp_path: Path) -> None:
    p = write(tmp_path, "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n")
    assert load_located(p).data["c"] == {"x": 3, "y": 2}


@pytest.mark.parametrize("levels", [6, 10])
def test_alias_bomb_fails_fast_on_one_line(tmp_path: Path, levels: int) -> None:
    p = write(tmp_path, alias_bomb(levels))
    assert len(p.read_bytes()) < 600
    start = time.monotonic()
    msg = error_of(p)
    assert time.monotonic() - start < 0.5
    assert msg.startswith(f"{p}:6:") and "aliases expand to more than" in msg


def test_alias_uses_are_counted(tmp_path: Path) -> None:
    p = write(tmp_path, "a: &a 1\nb: [" + ", ".join(["*a"] * 10_001) + "]\n")
    assert "more than 10000 alias uses" in error_of(p)


def test_small_aliases_still_work(tmp_path: Path) -> None:
    p = write(tmp_path, "a: &a {x: [1, 2]}\nb: *a\nc: [*a, *a]\n")
    assert load_located(p).data["c"] == [{"x": [1, 2]}, {"x": [1, 2]}]


def test_alias_into_itself_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "a: &x [1, *x]\n")
    assert error_of(p) == f"{p}:1:11: alias *x refers to a node that contains it"


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 600 + "]" * 600 + "\n", "".join("  " * i + f"k{i}:\n" for i in range(600))],
    ids=["flow", "block"],
)
def test_depth_is_bounded(tmp_path: Path, text: str) -> None:
    msg = error_of(write(tmp_path, text))
    assert msg.startswith(f"{tmp_path / 'opsbook.yaml'}:") and msg.endswith("nested deeper than 128 levels")


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    p = write(tmp_path, b"run:\n  concurrency: 4 # caf\xe9\n")
    assert error_of(p) == f"{p}: not UTF-8 at byte 27"


def test_unprintable_character_has_line_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "run:\n  x: a\x01b\n")
    assert error_of(p).startswith(f"{p}:2:7: invalid YAML: special characters are not allowed")


def test_error_type_is_the_callers(tmp_path: Path) -> None:
    p = write(tmp_path, "a: 1\na: 2\n")
    assert "duplicate key" in error_of(p, InputError)


def test_printable_escapes_every_line_splitter() -> None:
    from opsbook.core.yamlfile import printable

    text = "a\nb\rc\u2028d\u2029e\x85f\x00g\u202eh\ud800i\tj ok é"
    out = printable(text)
    assert len(out.splitlines()) == 1 and out.isprintable()
    assert out == "a\\nb\\rc\\u2028d\\u2029e\\x85f\\x00g\\u202eh\\ud800i\\tj ok é"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a' (first at line 1:1)"),
        (alias_bomb(10), "aliases expand to more than"),
        ("a: " + "[" * 600 + "]" * 600 + "\n", "nested deeper than"),
        (b"a: \xff\n", "not UTF-8 at byte 3"),
        ('run:\n  "c\\u2028d": 1\n', "run.c\\u2028d: unknown field"),
        ('run:\n  "[/x]": 1\n', "run.[/x]: unknown field"),
    ],
    ids=["duplicate", "bomb", "deep", "utf8", "u2028", "markup"],
)
def test_cli_config_validate_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, expected: str
) -> None:
    p = write(tmp_path, text)
    assert main(["--config", str(p), "config", "validate"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and expected in err and "Traceback" not in err


def test_unknown_check_has_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filler = "".join(f"  - name: acct{i}\n    id: '{i:012d}'\n" for i in range(200))
    p = write(tmp_path, f"accounts:\n{filler}checks:\n  ec2.unattached_volumes: {{}}\n  no.such: {{}}\n")
    assert main(["--config", str(p), "config", "validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {p}:404:3: checks.no.such: unknown check (see `opsbook checks list`)"


class NoSettings(BaseModel):
    pass


def test_check_severity_error_has_line_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "checks:\n  x.y:\n    severity: extreme\n")
    with pytest.raises(ConfigError) as exc:
        check_settings(load_config(p), "x.y", NoSettings)
    assert str(exc.value).startswith(f"{p}:3:5: checks.x.y.severity: expected one of")


def test_bad_typed_scalar_is_an_error_not_a_crash(tmp_path: Path) -> None:
    p = write(tmp_path, "run:\n  when: !!timestamp 2024-99-99\n")
    assert error_of(p) == f"{p}:2:9: invalid YAML: invalid timestamp value: month must be in 1..12"
