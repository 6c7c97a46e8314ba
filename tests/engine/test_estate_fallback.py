"""With `stacks.account_map`, a broken stacks tree must not stop the AWS checks: the run falls back to the
configured accounts, says so in one `opsbook.estate` ERROR finding, and exits 3."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError
from opsbook.core.models import Severity, Status
from opsbook.engine.service import ESTATE_CHECK
from opsbook.sandbox.stacks import sandbox_stacks_dir
from tests.engine.faults import by_target, run

CHECKS = ["ec2.unattached_volumes"]
DEV = "stacks/orgs/mycompany/dev/use1/rds.yaml"


def _deep_chain(root: Path) -> None:
    """dev's rds stack imports a chain of 10,000 files."""
    chain = root / "stacks" / "catalog" / "chain"
    chain.mkdir(parents=True)
    for i in range(10_000):
        (chain / f"c{i}.yaml").write_text(
            f"import:\n  - catalog/chain/c{i + 1}\n" if i < 9_999 else "vars: {}\n"
        )
    (root / DEV).write_text("import:\n  - ./_defaults\n  - catalog/chain/c0\n")


BREAKAGES = {
    "missing import": lambda root: (root / DEV).write_text("import:\n  - ./_defaults\n  - catalog/nope\n"),
    "import cycle": lambda root: (
        (root / "stacks/catalog/a.yaml").write_text("import:\n  - catalog/b\n"),
        (root / "stacks/catalog/b.yaml").write_text("import:\n  - catalog/a\n"),
        (root / DEV).write_text("import:\n  - ./_defaults\n  - catalog/a\n"),
    ),
    "bad template": lambda root: (root / DEV).write_text(
        "import:\n  - ./_defaults\n  - catalog/rds\ncomponents:\n  terraform:\n    rds:\n      vars:\n"
        "        name: '{{ .vars.nope | oops }}'\n"
    ),
    "self include": lambda root: (root / DEV).write_text(
        f"import:\n  - ./_defaults\nvars:\n  me: !include {root / DEV}\n"
    ),
    "invalid YAML": lambda root: (root / DEV).write_text("import: [\n"),
    "10,000-deep import chain": _deep_chain,
}


@pytest.fixture(scope="module")
def clean(sandbox, tmp_path_factory):  # type: ignore[no-untyped-def]
    cfg = Config.model_validate(sandbox.config("sqlite:///" + str(tmp_path_factory.mktemp("c") / "a.db")))
    result = run(cfg, CHECKS, store_enabled=False)
    assert result.exit_code(Severity.CRITICAL) != 3
    return result


def broken_config(sandbox, tmp_path: Path, breakage: str) -> Config:  # type: ignore[no-untyped-def]
    root = tmp_path / "stacks-tree"
    shutil.copytree(sandbox_stacks_dir(), root)
    BREAKAGES[breakage](root)
    doc = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    doc["stacks"]["atmos_config"] = str(root)
    return Config.model_validate(doc).model_copy(update={"source": "(sandbox)"})


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_broken_stacks_fall_back_to_configured_accounts(
    sandbox, clean, tmp_path: Path, breakage: str
) -> None:  # type: ignore[no-untyped-def]
    result = run(broken_config(sandbox, tmp_path, breakage), CHECKS, store_enabled=False)
    aws = {k: v for k, v in by_target(result).items() if k.startswith("aws:")}
    assert aws == by_target(clean)
    notes = [f for f in result.findings if f.check_id == ESTATE_CHECK]
    assert len(notes) == 1 and notes[0].status is Status.ERROR
    assert "configured accounts only" in notes[0].message and "\n" not in notes[0].message
    assert result.exit_code(Severity.CRITICAL) == 3


def test_an_account_map_naming_no_account_still_ends_the_run(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """opsbook's own config is not the stacks: a map to an unknown account is exit 2, as before."""
    doc = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    doc["stacks"]["account_map"]["dev"] = "nosuch"
    cfg = Config.model_validate(doc)
    with pytest.raises(ConfigError, match="nosuch"):
        run(cfg, CHECKS, store_enabled=False)
