"""`opsbook plan backup-velero` / `restore-velero` end to end on the fake cluster and its Velero controller:
the Backup's phase and item count, a failing backup failing the step with Velero's errors, a restore into a
mapped namespace (objects read back) and its rollback removing only that namespace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import apply_json
from tests.cli.test_scale_deployment import cli, read

VELERO = "/apis/velero.io/v1/namespaces/velero"


@pytest.fixture()
def shop(kube_cli):  # type: ignore[no-untyped-def]
    """The fake cluster with a fast Velero and a namespace `shop`: 2 ConfigMaps and a Deployment (its
    ReplicaSet and pods are owned, so not backed up: 4 items with the namespace)."""
    server, config = kube_cli
    server.controllers.velero.seconds = 0.3
    store = server.store
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    for name, data in (("prices", {"apple": "3"}), ("stock", {"apple": "12"})):
        store.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"},
                      "data": data})  # fmt: skip
    labels = {"app": "shop"}
    store.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
                      "metadata": {"labels": labels},
                      "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})  # fmt: skip
    return server, config


def plan(config: Path, tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / f"{name}.json"
    assert (
        cli(config, "plan", name, "--cluster", "my-cluster", *args, "--poll-interval", "0.2", "-o", str(out))
        == 0
    )
    return out


def test_backup_restore_mapped_and_rollback(shop, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = shop
    backup = plan(
        config, tmp_path, "backup-velero", "--namespaces", "shop", "--name", "shop-1", "--ttl", "24h"
    )
    rc, done = apply_json(config, backup, capsys)
    assert rc == 0 and done["counts"]["failed"] == 0, done
    status = read(server, f"{VELERO}/backups/shop-1")["status"]
    assert status["phase"] == "Completed"
    assert status["progress"] == {"totalItems": 4, "itemsBackedUp": 4}
    assert status["expiration"] > status["startTimestamp"]
    rerun = apply_json(config, backup, capsys)[1]
    assert rerun["counts"]["already-done"] == 1 and rerun["counts"]["done"] == 0  # re-running is a no-op
    assert len([b for b in server.store.list("backups.velero.io") if b["metadata"]["name"] == "shop-1"]) == 1

    restore = plan(
        config, tmp_path, "restore-velero", "--backup", "latest", "--namespace-mapping", "shop=shop-copy"
    )
    item = json.loads(restore.read_text())["items"][0]
    assert item["params"]["backup"] == "shop-1" and item["params"]["new_namespaces"] == ["shop-copy"]
    rc, done = apply_json(config, restore, capsys)
    assert rc == 0 and done["counts"]["failed"] == 0, done
    copied = read(server, "/api/v1/namespaces/shop-copy/configmaps/stock")
    assert copied["data"] == {"apple": "12"}
    assert copied["metadata"]["labels"]["velero.io/backup-name"] == "shop-1"
    assert read(server, "/apis/apps/v1/namespaces/shop-copy/deployments/web")["spec"]["replicas"] == 1
    restored = read(server, f"{VELERO}/restores/{item['params']['name']}")["status"]
    assert restored["phase"] == "Completed" and restored["progress"]["itemsRestored"] == 4

    rc, back = apply_json(config, restore, capsys, "--rollback")
    assert rc == 0 and back["counts"]["undone"] == 1, back
    names = {n["metadata"]["name"] for n in server.store.list("namespaces")}
    assert "shop-copy" not in names and "shop" in names  # the original is never touched
    assert read(server, "/api/v1/namespaces/shop/configmaps/prices")["data"] == {"apple": "3"}


def test_restore_in_place_skips_existing_with_warnings(shop, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = shop
    rc, _ = apply_json(
        config, plan(config, tmp_path, "backup-velero", "--namespaces", "shop", "--name", "s2"), capsys
    )
    assert rc == 0
    server.store.delete("configmaps", "stock", "shop")
    restore = plan(config, tmp_path, "restore-velero", "--backup", "s2")
    assert json.loads(restore.read_text())["items"][0]["params"]["new_namespaces"] == []
    rc, done = apply_json(config, restore, capsys)
    assert rc == 0, done
    assert read(server, "/api/v1/namespaces/shop/configmaps/stock")["data"] == {"apple": "12"}
    status = server.store.list("restores.velero.io", "velero")
    mine = next(r for r in status if r["spec"]["backupName"] == "s2")["status"]
    assert mine["phase"] == "Completed" and mine["warnings"] == 3  # namespace, prices, web existed
    assert mine["progress"]["itemsRestored"] == 1
    rc, back = apply_json(config, restore, capsys, "--rollback")
    assert rc == 0 and back["outcomes"][0]["details"]["deleted_namespaces"] == [], back
    assert read(server, "/api/v1/namespaces/shop/configmaps/prices")["data"] == {
        "apple": "3"
    }  # not mapped: kept


def test_failing_backup_fails_the_step_with_velero_errors(shop, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = shop
    ns = server.store.get("namespaces", "shop")
    ns["metadata"]["annotations"] = {"sandbox.opsbook.io/velero-error": "volume snapshot of data-0 timed out"}
    server.store.replace("namespaces", "shop", ns)
    backup = plan(config, tmp_path, "backup-velero", "--namespaces", "shop", "--name", "bad-1")
    rc, done = apply_json(config, backup, capsys)
    assert rc != 0 and done["counts"]["failed"] == 1, done
    text = json.dumps(done)
    assert "Failed" in text and "volume snapshot of data-0 timed out" in text and "1 errors" in text
    assert read(server, f"{VELERO}/backups/bad-1")["status"]["phase"] == "Failed"


def test_plan_refusals(shop, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = shop
    out = str(tmp_path / "p.json")
    base = ["plan", "--cluster", "my-cluster", "-o", out]

    def refused(*args: str) -> str:
        capsys.readouterr()
        assert cli(config, base[0], args[0], *base[1:], *args[1:]) == 2
        return capsys.readouterr().err

    assert "namespace nope not found" in refused("backup-velero", "--namespaces", "shop,nope")
    assert "--ttl" in refused("backup-velero", "--namespaces", "shop", "--ttl", "soon")
    seeded = next(b["metadata"]["name"] for b in server.store.list("backups.velero.io", "velero"))
    assert "exists already" in refused("backup-velero", "--namespaces", "shop", "--name", seeded)
    failed = next(b for b in server.store.list("backups.velero.io") if b["status"]["phase"] == "Failed")
    assert "not Completed" in refused("restore-velero", "--backup", failed["metadata"]["name"])
    assert "--velero-namespace" in refused(
        "restore-velero", "--backup", "latest", "--velero-namespace", "a/b"
    )
    assert "SRC=DEST" in refused("restore-velero", "--backup", "latest", "--namespace-mapping", "shop")
    bsl = server.store.get("backupstoragelocations.velero.io", "default", "velero")
    bsl["status"]["phase"] = "Unavailable"
    server.store.replace("backupstoragelocations.velero.io", "default", bsl, namespace="velero")
    assert "BackupStorageLocation" in refused("backup-velero", "--namespaces", "shop")
    assert not Path(out).exists()
