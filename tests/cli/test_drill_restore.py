"""`opsbook drill restore` on the fake cluster and its Velero controller: the seeded schedules' latest
backups restore with no differences and leave nothing behind; a deliberately broken backup (the sandbox's
`sandbox.opsbook.io/velero-restore` knob: an object dropped, objects altered) is found and exits 1; both
drills are recorded in the store with their time to restore."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import load_config
from opsbook.sandbox.k8s.controllers.velero import RESTORE_KNOB
from opsbook.store.db import open_store
from opsbook.store.drills import drills_of
from tests.cli.test_scale_deployment import cli

VELERO = "/apis/velero.io/v1/namespaces/velero"


def drill(config: Path, capsys: Any, *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    rc = cli(
        config, "drill", "restore", "--cluster", "my-cluster", "--poll-interval", "0.05", "-f", "json", *args
    )
    captured = capsys.readouterr()
    return rc, json.loads(captured.out) | {"stderr": captured.err}


def scratch(server: Any) -> list[str]:
    return [
        n["metadata"]["name"] for n in server.store.list("namespaces") if "-drill-" in n["metadata"]["name"]
    ]


def records(config: Path) -> list[Any]:
    store = open_store(load_config(config).storage.url)
    try:
        return drills_of(store, cluster="my-cluster")
    finally:
        store.close()


@pytest.fixture()
def fast(kube_cli):  # type: ignore[no-untyped-def]
    server, config = kube_cli
    server.controllers.velero.seconds = 0.1
    return server, config


def test_seeded_backups_restore_without_differences_and_leave_nothing(fast, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = fast
    namespaces = {n["metadata"]["name"] for n in server.store.list("namespaces")}
    before = tuesday(config, capsys)
    assert before["velero/weekly-full"]["status"] == "fail"  # only the seeded manual restore, 2+ weeks old
    rc, out = drill(config, capsys)
    assert rc == 0, out
    drilled = {b["schedule"]: b for b in out["backups"]}
    assert set(drilled) == {"daily-backup", "weekly-full"}
    for b in drilled.values():
        assert b["ok"] and b["phase"] == "Completed" and b["differences"] == 0 and b["restore_seconds"] > 0
        assert set(b["namespaces"]) == namespaces - {"velero"}
    passed = [f for f in out["findings"] if f["status"] == "pass"]
    assert len(passed) == 2 and not [f for f in out["findings"] if f["status"] == "fail"]
    counts = passed[0]["details"]["counts"]
    assert counts["ConfigMap"]["backup"] == counts["ConfigMap"]["restored"] > 0
    assert counts["Deployment"]["backup"] == counts["Deployment"]["restored"] > 0
    assert scratch(server) == [] and not [r for r in server.store.list("restores.velero.io")
                                          if r["metadata"]["name"].startswith("drill-")]  # fmt: skip
    assert not server.store.list("downloadrequests.velero.io", "velero")
    rows = records(config)
    assert {(r.backup, r.ok) for r in rows} == {(b["backup"], True) for b in drilled.values()}
    assert all(r.restore_seconds and r.items > 0 and r.differences == 0 for r in rows)
    # the Tuesday review reads the record: the weekly schedule's only success was long ago, until now
    after = tuesday(config, capsys)
    assert (
        after["velero/weekly-full"]["status"] == "pass" and after["velero/daily-backup"]["status"] == "pass"
    )
    last = after["velero/weekly-full"]["details"]["last_success"]
    assert (
        last["source"] == "opsbook" and last["restore_seconds"] == drilled["weekly-full"]["restore_seconds"]
    )


def tuesday(config: Path, capsys: Any) -> dict[str, Any]:
    capsys.readouterr()
    rc = cli(config, "run", "weekly", "--day", "tuesday", "--check", "velero.restore_drill", "-f", "json")
    report = json.loads(capsys.readouterr().out)
    assert rc in (0, 1), report
    return {f["resource"]["id"]: f for f in report["findings"] if f["check_id"] == "velero.restore_drill"}


def shop_backup(server: Any) -> None:
    """Namespace `shop` (a ConfigMap the restore drops, one it alters, one it keeps; a Deployment it
    alters) and its Completed Backup `shop-1`."""
    store = server.store
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    for name, knob in (("prices", "drop"), ("stock", "alter"), ("names", None)):
        notes = {RESTORE_KNOB: knob} if knob else {}
        store.create({"apiVersion": "v1", "kind": "ConfigMap", "data": {"apple": name},
                      "metadata": {"name": name, "namespace": "shop", "annotations": notes}})  # fmt: skip
    labels = {"app": "shop"}
    store.create({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "web", "namespace": "shop", "annotations": {RESTORE_KNOB: "alter"}},
                  "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                      "metadata": {"labels": labels},
                      "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})  # fmt: skip
    store.create({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "shop-1", "namespace": "velero"},
                  "spec": {"includedNamespaces": ["shop"]}})  # fmt: skip
    deadline = time.monotonic() + 10
    while (store.get("backups.velero.io", "shop-1", "velero").get("status") or {}).get(
        "phase"
    ) != "Completed":
        assert time.monotonic() < deadline, "backup shop-1 did not complete"
        time.sleep(0.05)


def test_broken_backup_is_found_exits_1_and_keep_leaves_the_scratch_namespace(fast, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = fast
    shop_backup(server)
    rc, out = drill(config, capsys, "--backup", "shop-1", "--keep")
    assert rc == 1, out
    (b,) = out["backups"]
    assert b["phase"] == "Completed" and not b["ok"] and b["differences"] == 3 and b["items"] == 5
    found = {(f["details"]["problem"], f["resource"]["type"], f["resource"]["name"])
             for f in out["findings"] if f["check_id"] == "velero.drill_difference"}  # fmt: skip
    assert found == {("missing", "ConfigMap", "prices"), ("changed", "ConfigMap", "stock"),
                     ("changed", "Deployment", "web")}  # fmt: skip
    assert all(f["status"] == "fail" and f["severity"] == "high" for f in out["findings"])
    kept = b["namespaces"]["shop"]
    assert f"namespaces *-drill-{out['drill']}" in out["stderr"]  # says what it kept
    assert scratch(server) == [kept]  # --keep: left for inspection, and read back as restored
    assert server.store.get("configmaps", "stock", kept)["data"]["sandbox-altered"] == "true"
    assert {c["metadata"]["name"] for c in server.store.list("configmaps", kept)} == {"stock", "names"}
    (row,) = [r for r in records(config) if r.backup == "shop-1"]
    assert not row.ok and row.differences == 3 and row.restore_seconds and row.restore_seconds > 0


def test_failed_backup_and_bad_input(fast, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = fast
    failed = next(b["metadata"]["name"] for b in server.store.list("backups.velero.io")
                  if b["status"]["phase"] == "Failed")  # fmt: skip
    rc, out = drill(config, capsys, "--backup", failed)
    assert rc == 1 and [f["check_id"] for f in out["findings"]] == ["velero.drill_failed"]
    assert out["backups"] == [] and scratch(server) == []
    assert cli(config, "drill", "restore", "--cluster", "nope") == 2
    assert cli(config, "drill", "restore", "--cluster", "my-cluster", "--schedule", "hourly") == 2
    assert "--schedule hourly: no such Velero Schedule" in capsys.readouterr().err
    assert cli(config, "drill", "restore", "--cluster", "my-cluster", "--backup", "Bad_Name") == 2
    assert cli(config, "drill", "restore", "--cluster", "my-cluster", "--backup", "missing") == 2
    assert "--backup missing: no such Backup in my-cluster/velero" in capsys.readouterr().err
    server.stop()
    assert cli(config, "drill", "restore", "--cluster", "my-cluster") == 3
