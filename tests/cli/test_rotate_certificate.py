"""Certificate rotation through the real command line, against the session's sandbox: `opsbook plan
rotate-certificate --domain '*.example.com' -o` shows the certificate and its consumers, `apply --yes`
moves prod's listener and API domain to the replacement (read back through boto3), `apply --rollback` puts
them back; a bad domain is one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.main import main
from tests.cli.helpers import apply_json
from tests.cli.test_scale_rds import config_file
from tests.procedures.cert_helpers import Prod, prod_tls


@pytest.fixture()
def prod(sandbox: Any) -> Iterator[Prod]:
    yield from prod_tls(sandbox)


def test_rotate_certificate_plan_apply_and_rollback(
    sandbox: Any, prod: Prod, tmp_path: Path, capsys: Any
) -> None:
    config, plan_file = config_file(sandbox, tmp_path), tmp_path / "rotate.json"
    assert main(["--config", str(config), "plan", "rotate-certificate", "--domain", "*.example.com",
                 "--account", "prod", "--poll-interval", "0.2", "-o", str(plan_file)]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "request-certificate" in shown and "web-alb HTTPS:443" in shown and prod.seeded in shown

    rc, done = apply_json(config, plan_file, capsys)
    assert rc == 0 and [o["result"] for o in done["outcomes"]] == ["done"] * 4, done["outcomes"]
    new = prod.listener_default()
    assert new != prod.seeded and prod.api_domain() == new and prod.describe(new)["Status"] == "ISSUED"

    rc, undone = apply_json(config, plan_file, capsys, "--rollback")
    assert rc == 0 and [o["result"] for o in undone["outcomes"]].count("undone") == 4
    assert prod.listener_default() == prod.seeded and prod.api_domain() == prod.seeded
    assert prod.certificates() == {prod.seeded}


def test_a_bad_domain_is_one_line_and_exit_2(sandbox: Any, tmp_path: Path, capsys: Any) -> None:
    config = config_file(sandbox, tmp_path)
    assert main(["--config", str(config), "plan", "rotate-certificate", "--domain", "exa mple"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--domain 'exa mple': expected a DNS name" in err and len(err.splitlines()) == 1, err
