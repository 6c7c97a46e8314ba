"""Fuzzed opsbook.yaml (mutations of the example config) through `config validate` and `config show`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import event, given

from opsbook.core.config import __file__ as _config_py
from tests.fuzz.harness import assert_clean, broken_yaml, run_cli

EXAMPLE = (Path(_config_py).parent / "opsbook.example.yaml").read_text(encoding="utf-8")


def test_example_config_is_clean() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp, "opsbook.yaml")
        p.write_text(EXAMPLE, encoding="utf-8")
        assert run_cli("--config", str(p), "config", "validate")[0] == 0


@given(content=broken_yaml(EXAMPLE))
def test_config_validate_keeps_its_promise(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp, "opsbook.yaml")
        p.write_bytes(content)
        for command in (("config", "validate"), ("config", "show")):
            args = ("--config", str(p), *command)
            code, _out, err = run_cli(*args)
            event(f"{command[1]}: exit {code}")
            assert_clean(args, code, err, one_error=True)
