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


def test_rotation_switches_secret_mirror_and_pods_then_rolls_back(
    estate: Estate, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "rotate.json"
    doc, _ = plan(estate, out, capsys)
    kinds = [(i["kind"], i["resource"]["id"]) for i in doc["items"]]
    assert kinds == [
        ("secret-new-version", estate.arn),
        ("k8s-secret-mirror", f"{NS}/app-db"),
        ("k8s-rollout-restart", f"{NS}/api"),
        ("k8s-rollout-restart", f"{NS}/cron"),
        ("k8s-rollout-restart", f"{NS}/worker"),
        ("secret-consumers-switched", "my-cluster"),
    ], kinds  # `other` does not mount the Secret
    assert doc["items"][0]["params"]["fields"] == ["password"]
    before = {app: set(estate.pods(app)) for app in ("api", "worker", "cron", "other")}
    old_version = doc["items"][0]["params"]["from_version"]

    rc, done = apply_json(estate.config, out, capsys)
    assert rc == 0 and [o["result"] for o in done["outcomes"]] == ["done"] * 6, [
        o["reason"][-600:] for o in done["outcomes"]
    ][-1]
    new = estate.value()
    assert new["username"] == "app" and new["password"] != estate.password
    assert len(new["password"]) == len(estate.password)
    stages = estate.stages()
    assert stages[doc["items"][0]["params"]["version"]] == ["AWSCURRENT"]
    assert "AWSPREVIOUS" in stages[old_version]
    assert estate.mirrored() == new["password"]
    for app in ("api", "worker", "cron"):
        pods = estate.pods(app)
        assert len(pods) == 2 and not set(pods) & before[app], (app, pods)  # all new pods
    assert set(estate.pods("other")) == before["other"]  # untouched

    rc, again = apply_json(estate.config, out, capsys)
    assert rc == 0 and {o["result"] for o in again["outcomes"]} == {"already-done"}, again["outcomes"]

    restarted = {app: set(estate.pods(app)) for app in ("api", "worker")}
    rc, back = apply_json(estate.config, out, capsys, "--rollback")
    assert rc == 0, back["outcomes"]
    assert estate.value()["password"] == estate.password
    assert "AWSCURRENT" in estate.stages()[old_version]
    assert estate.mirrored() == estate.password
    for app in ("api", "worker"):  # restarted again onto the old value
        assert not set(estate.pods(app)) & restarted[app]


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


def test_no_secret_value_is_printed_stored_or_audited(estate: Estate, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "rotate.json"
    seen: list[str] = []
    _, shown = plan(estate, out, capsys)
    seen.append(shown)
    new = ""
    for args in (["-f", "json"], [], ["--rollback"], ["audit"], ["audit", "-f", "json"]):
        capsys.readouterr()
        if args[:1] == ["audit"]:
            main(["--config", str(estate.config), "audit", "list", *args[1:]])
        else:
            main(["--config", str(estate.config), "apply", str(out), "--yes", *args])
        got = capsys.readouterr()
        seen += [got.out, got.err]
        new = new or estate.value()["password"]  # the new value, read after the first apply
    assert new != estate.password and estate.value()["password"] == estate.password  # rotated, rolled back
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "opsbook.yaml"]
    assert any(b"plan_journal" in f for f in files)  # the store's database file is among them
    text = "\n".join(seen).encode() + b"\n".join(files)
    for value in (estate.password, new):
        for form in (value.encode(), base64.b64encode(value.encode()), json.dumps(value).encode()):
            assert form not in text, "a secret value leaked"
