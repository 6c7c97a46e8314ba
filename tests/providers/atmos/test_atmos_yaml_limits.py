"""Hostile stack trees: deep import chains, self-includes, cycles, alias bombs and duplicate keys each give
one InputError line naming the file (and the chain), never a RecursionError or a long stall."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.core.errors import InputError
from opsbook.providers.atmos.resolver import Stacks


def error_of(root: Path) -> str:
    with pytest.raises(InputError) as exc:
        Stacks.load(root).names()
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_ten_thousand_deep_import_chain(tree) -> None:
    files = {"stacks/deploy/dev.yaml": "vars: {stage: dev}\nimport: [chain/c0]\n"}
    files |= {f"stacks/chain/c{i}.yaml": f"import: [chain/c{i + 1}]\n" for i in range(10_000)}
    files["stacks/chain/c10000.yaml"] = "vars: {x: 1}\n"
    root = tree(files)
    msg = error_of(root)
    assert "imports nested deeper than 100 files: deploy/dev -> chain/c0 -> chain/c1 -> ..." in msg
    assert msg.startswith(str(root / "stacks/chain/c98.yaml") + ":1:")


def test_import_cycle_names_the_chain(tree) -> None:
    root = tree(
        {
            "stacks/deploy/dev.yaml": "vars: {stage: dev}\nimport: [catalog/a]\n",
            "stacks/catalog/a.yaml": "import: [catalog/b]\n",
            "stacks/catalog/b.yaml": "import: [catalog/a]\n",
        }
    )
    msg = error_of(root)
    assert "import cycle: deploy/dev -> catalog/a -> catalog/b -> catalog/a" in msg


def test_stack_that_includes_itself(tree) -> None:
    root = tree({"stacks/deploy/dev.yaml": "vars:\n  stage: dev\n  me: !include stacks/deploy/dev.yaml\n"})
    msg = error_of(root)
    dev = (root / "stacks/deploy/dev.yaml").resolve()
    assert msg == (
        f"{root / 'stacks/deploy/dev.yaml'}:3: !include cycle: {dev} -> {dev}; remove one of these !includes"
    )


def test_include_cycle_through_another_file(tree) -> None:
    root = tree(
        {
            "stacks/deploy/dev.yaml": "vars:\n  stage: dev\n  x: !include stacks/catalog/a.yaml\n",
            "stacks/catalog/a.yaml": "y: !include stacks/catalog/b.yaml\n",
            "stacks/catalog/b.yaml": "z: !include stacks/catalog/a.yaml\n",
        }
    )
    assert "!include cycle: " in error_of(root) and "catalog/a.yaml -> " in error_of(root)


def test_alias_bomb_in_a_manifest_fails_fast(tree) -> None:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 6)]
    root = tree(
        {"stacks/deploy/dev.yaml": "vars:\n  stage: dev\n" + "\n".join(f"  {x}" for x in lines) + "\n"}
    )
    start = time.monotonic()
    msg = error_of(root)
    assert time.monotonic() - start < 1
    assert "aliases expand to more than" in msg and msg.startswith(str(root / "stacks/deploy/dev.yaml") + ":")


def test_duplicate_key_in_a_manifest(tree) -> None:
    root = tree({"stacks/deploy/dev.yaml": "vars:\n  stage: dev\n  region: a\n  region: b\n"})
    assert (
        error_of(root) == f"{root / 'stacks/deploy/dev.yaml'}:4:3: duplicate key 'region' (first at line 3:3)"
    )


def test_not_utf8_manifest(tree) -> None:
    root = tree({"stacks/deploy/dev.yaml": "vars: {stage: dev}\n"})
    (root / "stacks/deploy/dev.yaml").write_bytes(b"vars: {stage: d\xffv}\n")
    assert error_of(root) == f"{root / 'stacks/deploy/dev.yaml'}: not UTF-8 at byte 15"


def test_deep_inheritance_chain(tree) -> None:
    comps = "".join(f"        c{i}:\n          metadata: {{inherits: [c{i + 1}]}}\n" for i in range(500))
    root = tree({"stacks/deploy/dev.yaml": f"vars: {{stage: dev}}\ncomponents:\n  terraform:\n{comps}"})
    with pytest.raises(InputError, match="inheritance nested deeper than"):
        Stacks.load(root).component("c0", "dev")


@pytest.mark.parametrize("command", [["stacks", "list"], ["stacks", "validate"]])
def test_cli_exit_2_never_70(tree, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    root = tree({"stacks/deploy/dev.yaml": "vars:\n  stage: dev\n  me: !include stacks/deploy/dev.yaml\n"})
    assert main([*command, "--atmos-config", str(root)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert all(line.startswith("error: ") for line in err.splitlines())


@pytest.mark.parametrize(
    "text",
    [
        "vars: {stage: dev}\ncomponents:\n  terraform:\n    vpc:\n      metadata: [a]\n",
        "vars: {stage: dev}\nterraform:\n  backend_type: s3\n  backend: 12\ncomponents:\n  terraform:\n    vpc: {}\n",
    ],
    ids=["metadata-list", "backend-int"],
)
def test_wrongly_typed_section_is_an_input_error(tree, text: str) -> None:
    root = tree({"stacks/deploy/dev.yaml": text})
    with pytest.raises(InputError, match="malformed stack manifest") as exc:
        Stacks.load(root).component("vpc", "dev")
    assert str(exc.value).startswith(str(root / "stacks/deploy/dev.yaml"))


def test_validate_prints_user_text_verbatim(tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree({"stacks/deploy/dev.yaml": 'vars: {stage: dev}\ncomponents:\n  terraform:\n    "[/x]": 3\n'})
    assert main(["stacks", "validate", "--atmos-config", str(root)]) == 2
    err = capsys.readouterr().err
    assert "[/x]" in err and all(line.startswith("error: ") for line in err.splitlines())
