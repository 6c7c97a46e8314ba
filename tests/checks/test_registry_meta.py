"""Meta-test over the registry: every check is complete, tested, and fires both ways in the sandbox."""

from __future__ import annotations

from pathlib import Path

from opsbook.core.checks import CHECKS
from opsbook.core.collectors import COLLECTORS
from opsbook.engine.selection import load_builtin

TESTS = Path(__file__).resolve().parents[1]


def test_every_check_has_metadata_and_known_inventory() -> None:
    load_builtin()
    assert len(CHECKS) > 0
    for spec in CHECKS:
        spec.validate()
        for key in spec.needs:
            assert key in COLLECTORS, f"{spec.id} needs {key!r} which no collector provides"


def test_every_check_is_named_in_a_test() -> None:
    load_builtin()
    corpus = "\n".join(
        p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name
    )
    missing = [s.id for s in CHECKS if f'"{s.id}"' not in corpus]
    assert not missing, f"checks without a test naming them: {missing}"
