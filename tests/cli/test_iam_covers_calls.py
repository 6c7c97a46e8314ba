"""`opsbook iam policy` really covers what opsbook calls: the reviews and two procedures run against a
sandbox of their own, whose AWS endpoint records every operation it answers (`/opsbook-api/stats`), and
every operation must be an action the policy allows (the read-only one for `run`, `--procedure X` for
planning and applying X). A collector, planner, wait or step that starts calling something it does not
declare fails here.

The reviews run without `drift.terraform_plan`: its calls are Terraform's (`terraform plan` reads state and
takes its lock in DynamoDB as the role the stacks' backend assumes, `terraform` in each account), not the
opsbook role's; docs/iam.md says what that role needs. Not covered: `sts:AssumeRole` (the central principal's permission, granted by the role's trust policy, not
by its policies) and `sts:GetCallerIdentity` (needs no permission)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from opsbook.providers.aws.actions import signed_action
from tests.cli.helpers import sandbox_up

pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")

NOT_GRANTED_BY_THE_ROLE = {"sts:AssumeRole", "sts:GetCallerIdentity"}


class Estate:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "sandbox.yaml"

    @property
    def url(self) -> str:
        doc = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        return str(doc["aws"]["endpoint_url"])

    def stats(self, method: str = "GET") -> dict[str, Any]:
        req = urllib.request.Request(f"{self.url}/opsbook-api/stats", method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - the sandbox on 127.0.0.1
            return json.loads(resp.read())  # type: ignore[no-any-return]

    def called(self) -> dict[str, set[str]]:
        """IAM action -> the `service:Operation`s (as the endpoint saw them) behind it, since the last reset."""
        out: dict[str, set[str]] = {}
        for key in self.stats()["by_operation"]:
            op = key.rsplit("|", 1)[-1]  # account|region|service:Operation
            service, _, operation = op.partition(":")
            out.setdefault(signed_action(service, operation), set()).add(op)
        return out

    def opsbook(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
        capsys.readouterr()
        rc = main(["--config", str(self.config), *args])
        return rc, capsys.readouterr().out


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    root = tmp_path_factory.mktemp("iam-estate")
    e = Estate(root)
    with sandbox_up(root, e.config):
        doc = yaml.safe_load(e.config.read_text(encoding="utf-8"))
        doc.setdefault("checks", {})["drift.terraform_plan"] = {"enabled": False}  # Terraform's calls
        e.config = root / "opsbook.yaml"
        e.config.write_text(yaml.safe_dump(doc), encoding="utf-8")
        yield e


def policy_actions(estate: Estate, capsys: pytest.CaptureFixture[str], *args: str) -> set[str]:
    rc, out = estate.opsbook(capsys, "iam", "policy", *args)
    assert rc == 0
    return {a for s in json.loads(out)["Statement"] for a in s["Action"]}


def uncovered(called: dict[str, set[str]], allowed: set[str]) -> dict[str, list[str]]:
    return {
        a: sorted(ops) for a, ops in called.items() if a not in allowed and a not in NOT_GRANTED_BY_THE_ROLE
    }


def test_the_read_only_policy_covers_every_call_of_the_reviews(
    estate: Estate, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(estate.root)
    estate.stats("DELETE")
    for scope in ("daily", "weekly", "monthly"):
        rc, _ = estate.opsbook(capsys, "run", scope, "-f", "json")
        assert rc in (0, 1), scope  # findings, but no target failed
    called = estate.called()
    assert len(called) > 40, sorted(called)  # the reviews reach every service the estate has
    assert uncovered(called, policy_actions(estate, capsys)) == {}


@pytest.mark.parametrize(
    ("procedure", "args"),
    [
        ("cleanup", ("--account", "dev")),
        ("backup-rds", ("--db", "my-database", "--account", "staging", "--poll-interval", "0.2")),
        (
            "scale-rds",
            ("--db", "my-database", "--class", "db.r5.xlarge", "--account", "prod", "--poll-interval", "0.2"),
        ),
    ],
)
def test_a_procedure_policy_covers_every_call_of_its_plan_and_apply(
    estate: Estate,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    procedure: str,
    args: tuple[str, ...],
) -> None:
    monkeypatch.chdir(estate.root)
    estate.stats("DELETE")
    plan = estate.root / f"{procedure}.json"
    rc, _ = estate.opsbook(capsys, "plan", procedure, *args, "-o", str(plan))
    assert rc == 0
    items = json.loads(plan.read_text(encoding="utf-8"))["items"]
    assert items, f"{procedure} planned nothing: nothing would be applied"
    rc, out = estate.opsbook(capsys, "apply", str(plan), "--yes", "-f", "json")
    assert rc == 0, out
    outcomes = json.loads(out)["outcomes"]
    assert {o["result"] for o in outcomes} == {"done"}, outcomes
    called = estate.called()
    writes = {
        a for a in called if a.split(":", 1)[1].startswith(("Delete", "Release", "Create", "Put", "Modify"))
    }
    assert writes, f"{procedure}'s apply changed nothing: {sorted(called)}"
    assert uncovered(called, policy_actions(estate, capsys, "--procedure", procedure)) == {}
