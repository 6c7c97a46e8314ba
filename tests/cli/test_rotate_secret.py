"""`opsbook plan rotate-secret` / `apply` through the command line (in process), against the session's
sandbox: the secret's new version (read back with its stages), the Kubernetes mirror, the consumers'
new pods, a pod left on the old value, re-apply as a no-op, `--rollback`, and no secret value anywhere."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.main import main
from tests.cli.helpers import apply_json
from tests.procedures.secret_helpers import NS, SECRET, Estate, rotation_estate


@pytest.fixture()
def estate(sandbox: Any, tmp_path: Path) -> Iterator[Estate]:
    yield from rotation_estate(sandbox, tmp_path)


def plan(estate: Estate, out: Path, capsys: Any, *extra: str) -> tuple[dict[str, Any], str]:
    capsys.readouterr()
    assert main(["--config", str(estate.config), "plan", "rotate-secret", "--secret", SECRET, "--account", "prod",
                 "--poll-interval", "0.2", "-o", str(out), *extra]) == 0  # fmt: skip
    shown = capsys.readouterr()
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc, shown.out + shown.err


class Cli:
    """`opsbook --config CONFIG ...` in this process, keeping everything it printed."""

    def __init__(self, config: Path, capsys: Any) -> None:
        self.config, self.capsys, self.seen = config, capsys, list[str]()

    def __call__(self, *args: str) -> tuple[int, str]:
        self.capsys.readouterr()
        rc = main(["--config", str(self.config), *args])
        got = self.capsys.readouterr()
        self.seen += [got.out, got.err]
        return rc, got.out

    def apply(self, plan: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
        rc, out = self("apply", str(plan), "--yes", "-f", "json", *extra)
        return rc, json.loads(out)["outcomes"]


def assert_nowhere(values: list[str], texts: list[str], folder: Path) -> None:
    """No value, as text, base64 or JSON string, in what was printed or any file under `folder` (the plan,
    the store's database file)."""
    files = [p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "opsbook.yaml"]
    assert any(b"plan_journal" in f for f in files)  # the store's database file is among them
    blob = "\n".join(texts).encode() + b"\n".join(files)
    for value in values:
        for form in (value.encode(), base64.b64encode(value.encode()), json.dumps(value).encode()):
            assert form not in blob, "a secret value leaked"


def test_rotation_switches_secret_mirror_and_pods_rolls_back_and_leaks_no_value(
    estate: Estate, tmp_path: Path, capsys: Any
) -> None:
    out, cli = tmp_path / "rotate.json", Cli(estate.config, capsys)
    doc, shown = plan(estate, out, capsys)
    cli.seen.append(shown)
    kinds = [(i["kind"], i["resource"]["id"]) for i in doc["items"]]
    assert kinds == [
        ("secret-new-version", estate.arn),
        ("k8s-secret-mirror", f"{NS}/app-db"),
        ("k8s-rollout-restart", f"{NS}/api"),
        ("k8s-rollout-restart", f"{NS}/worker"),
        ("secret-consumers-switched", "my-cluster"),
    ], kinds  # `other` does not mount the Secret
    assert doc["items"][0]["params"]["fields"] == ["password"]
    before = {app: set(estate.pods(app)) for app in ("api", "worker", "other")}
    old_version = doc["items"][0]["params"]["from_version"]

    rc, dry = cli.apply(out, "--dry-run")
    assert rc == 0 and {o["result"] for o in dry} == {"would-act"}, dry
    assert estate.value()["password"] == estate.password and estate.mirrored() == estate.password

    rc, done = cli.apply(out)
    assert rc == 0 and [o["result"] for o in done] == ["done"] * 5, [o["reason"][-300:] for o in done]
    new = estate.value()
    assert new["username"] == "app" and new["password"] != estate.password
    assert len(new["password"]) == len(estate.password)
    stages = estate.stages()
    assert stages[doc["items"][0]["params"]["version"]] == ["AWSCURRENT"]
    assert "AWSPREVIOUS" in stages[old_version]
    assert estate.mirrored() == new["password"]
    for app in ("api", "worker"):
        pods = estate.pods(app)
        assert len(pods) == 2 and not set(pods) & before[app], (app, pods)  # all new pods
    assert set(estate.pods("other")) == before["other"]  # untouched

    rc, again = cli("apply", str(out), "--yes")  # the table, this time
    assert rc == 0 and again.count(": already-done") == 5, again
    assert f"{estate.arn}: already-done" in again  # `:secret:` shown as it is, not as an emoji

    restarted = {app: set(estate.pods(app)) for app in ("api", "worker")}
    rc, back = cli.apply(out, "--rollback")
    assert rc == 0, back
    assert estate.value()["password"] == estate.password
    assert "AWSCURRENT" in estate.stages()[old_version]
    assert estate.mirrored() == estate.password
    for app in ("api", "worker"):  # restarted again onto the old value
        assert not set(estate.pods(app)) & restarted[app]

    for fmt in ([], ["-f", "json"]):
        assert cli("audit", "list", *fmt)[0] == 0
    assert "rotate-secret" in cli.seen[-2]
    assert_nowhere([estate.password, new["password"]], cli.seen, tmp_path)


def test_a_pod_left_on_the_old_value_is_reported_by_name(estate: Estate, tmp_path: Path, capsys: Any) -> None:
    stray = {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "api-by-hand", "namespace": NS, "labels": {"app": "api"},
                          "annotations": {"sandbox.opsbook.io/hold": "true"}},
             "spec": {"containers": [{"name": "app", "image": "mycompany/api:1.0"}], "nodeName": "x"},
             "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z", "podIP": "10.0.9.9",
                        "conditions": [{"type": "Ready", "status": "True"}]}}  # fmt: skip
    estate.store.put(stray)
    out = tmp_path / "rotate.json"
    plan(estate, out, capsys)
    rc, done = apply_json(estate.config, out, capsys)
    assert rc == 3
    failed = [o for o in done["outcomes"] if o["result"] == "failed"]
    assert [o["action"] for o in failed] == ["verify-pods-switched"], done["outcomes"]
    assert f"{NS}/api-by-hand (started 2026-01-01T00:00:00Z" in failed[0]["reason"]
    assert "api-" not in failed[0]["reason"].replace("api-by-hand", "")  # the restarted pods passed


def test_the_sandbox_config_mirrors_prods_secret_into_the_cluster(
    sandbox: Any, tmp_path: Path, capsys: Any
) -> None:
    """The demo's own mapping: prod's my-app/db-password (rotation function configured) -> production/myapp-db."""
    config, out = tmp_path / "sb.yaml", tmp_path / "plan.json"
    sandbox.write_config(config, f"sqlite:///{tmp_path}/opsbook.db")
    assert main(["--config", str(config), "plan", "rotate-secret", "--secret", "my-app/db-password",
                 "--account", "prod", "-o", str(out)]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    assert [(i["kind"], i["resource"]["name"]) for i in doc["items"]] == [
        ("secret-rotate", "my-app/db-password"),
        ("k8s-secret-mirror", "myapp-db"),
    ]
    assert doc["warnings"] == [
        "no deployment in my-cluster production mounts Secret myapp-db: nothing to restart"
    ]
    assert "sandbox-not-a-secret" not in out.read_text() + capsys.readouterr().out
    assert (
        main(["--config", str(config), "plan", "rotate-secret", "--secret", "nope", "--account", "prod"]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert "no secret 'nope'" in err and len(err.splitlines()) == 1, err
