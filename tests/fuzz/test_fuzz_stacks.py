"""Fuzzed Atmos stack trees (one manifest of the sandbox's tree broken) through `stacks validate` and
`stacks list`."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from opsbook.sandbox.stacks import sandbox_stacks_dir
from tests.fuzz.harness import assert_clean, broken_yaml, run_cli

SANDBOX = sandbox_stacks_dir()
MANIFESTS = sorted(
    p.relative_to(SANDBOX).as_posix()
    for p in [SANDBOX / "atmos.yaml", *(SANDBOX / "stacks").rglob("*.yaml")]
    if "workflows" not in p.parts
)


def _copy_tree(dest: Path) -> Path:
    root = dest / "tree"
    shutil.copytree(SANDBOX, root, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.tf"))
    return root


def test_sandbox_tree_is_clean() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _copy_tree(Path(tmp))
        code, out, _err = run_cli("stacks", "list", "--atmos-config", str(root))
        assert code == 0 and "mycompany-dev-use1" in out.split()


@st.composite
def broken_tree(draw: st.DrawFn) -> tuple[str, bytes]:
    """One manifest of the sandbox tree (its name, its new content)."""
    name = draw(st.sampled_from(MANIFESTS))
    return name, draw(broken_yaml((SANDBOX / name).read_text(encoding="utf-8")))


@given(change=broken_tree())
def test_stacks_commands_keep_their_promise(change: tuple[str, bytes]) -> None:
    name, content = change
    with tempfile.TemporaryDirectory() as tmp:
        root = _copy_tree(Path(tmp))
        (root / name).write_bytes(content)
        for command in (("stacks", "validate"), ("stacks", "list")):
            args = (*command, "--atmos-config", str(root))
            code, _out, err = run_cli(*args)
            event(f"{command[1]}: exit {code}")
            # validate lists every problem, one line each, then a summary line
            assert_clean(args, code, err, one_error=command[1] != "validate")
