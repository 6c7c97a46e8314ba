"""The sandbox's Velero controller on a seeded store with a hand-moved clock: a backup where only some
namespaces fail ends PartiallyFailed (only the good ones' items backed up) and cannot be restored; a
seeded Completed backup restores through a namespace mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.sandbox.k8s import seed_objects
from opsbook.sandbox.k8s.controllers.velero import FAIL, VeleroController
from opsbook.sandbox.k8s.store import ClusterStore


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def setup() -> tuple[ClusterStore, VeleroController, Clock]:
    store, clock = ClusterStore(), Clock()
    for obj in seed_objects(datetime.now(UTC)):
        store.put(obj)
    return store, VeleroController(seconds=5, clock=clock), clock


def velero(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "velero.io/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "velero"},
        "spec": spec,
    }


def settle(store: ClusterStore, ctl: VeleroController, clock: Clock) -> None:
    ctl.reconcile(store)
    clock.t += 6
    ctl.reconcile(store)


def test_partially_failed_backup_counts_only_good_namespaces_and_is_not_restorable() -> None:
    store, ctl, clock = setup()
    ns = store.get("namespaces", "production")
    ns["metadata"]["annotations"] = {FAIL: "disk full"}
    store.replace("namespaces", "production", ns)
    store.create(velero("Backup", "mixed", {"includedNamespaces": ["default", "production"]}))
    ctl.reconcile(store)
    started = store.get("backups.velero.io", "mixed", "velero")["status"]
    assert started["phase"] == "InProgress" and started["progress"]["itemsBackedUp"] == 0
    ctl.reconcile(store)  # before `seconds`: still in progress
    assert store.get("backups.velero.io", "mixed", "velero")["status"]["phase"] == "InProgress"
    clock.t += 6
    ctl.reconcile(store)
    status = store.get("backups.velero.io", "mixed", "velero")["status"]
    assert status["phase"] == "PartiallyFailed" and status["errors"] == 1
    assert status["failureReason"] == "namespace production: disk full"
    in_default = 1 + sum(
        len(store.list(k, "default")) for k in ("configmaps", "services", "deployments.apps")
    )
    assert 0 < in_default <= status["progress"]["itemsBackedUp"] < status["progress"]["totalItems"]

    store.create(velero("Restore", "r1", {"backupName": "mixed"}))
    settle(store, ctl, clock)
    restore = store.get("restores.velero.io", "r1", "velero")["status"]
    assert restore["phase"] == "Failed" and "mixed" in restore["failureReason"]


def test_seeded_backup_restores_into_mapped_namespace() -> None:
    store, ctl, clock = setup()
    seeded = next(b for b in store.list("backups.velero.io") if b["status"]["phase"] == "Completed")
    wanted = {d["metadata"]["name"] for d in store.list("deployments.apps", "production")}
    store.create(velero("Restore", "r2", {"backupName": seeded["metadata"]["name"],
                                          "includedNamespaces": ["production"],
                                          "namespaceMapping": {"production": "prod-copy"}}))  # fmt: skip
    settle(store, ctl, clock)
    status = store.get("restores.velero.io", "r2", "velero")["status"]
    assert status["phase"] == "Completed", status
    assert {d["metadata"]["name"] for d in store.list("deployments.apps", "prod-copy")} == wanted
    labels = store.get("namespaces", "prod-copy")["metadata"]["labels"]
    assert labels["velero.io/restore-name"] == "r2"


def test_download_request_serves_the_contents_and_the_restore_knob_drops_and_alters() -> None:
    from opsbook.engine.drill_contents import parse_tarball
    from opsbook.sandbox.k8s.controllers.velero import RESTORE_KNOB
    from opsbook.sandbox.k8s.velero_storage import DOWNLOAD_PREFIX

    store, ctl, clock = setup()
    ctl.base_url = "https://127.0.0.1:1"
    for name, knob in (("gone", "drop"), ("changed", "alter")):
        store.create({"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"},
                      "metadata": {"name": name, "namespace": "default", "annotations": {RESTORE_KNOB: knob}}})  # fmt: skip
    store.create(velero("Backup", "b", {"includedNamespaces": ["default"]}))
    settle(store, ctl, clock)
    backed_up = store.get("backups.velero.io", "b", "velero")["status"]
    assert backed_up["phase"] == "Completed"
    store.create(velero("DownloadRequest", "dl", {"target": {"kind": "BackupContents", "name": "b"}}))
    store.create(velero("DownloadRequest", "none", {"target": {"kind": "BackupContents", "name": "nope"}}))
    ctl.reconcile(store)
    status = store.get("downloadrequests.velero.io", "dl", "velero")["status"]
    assert status["phase"] == "Processed" and status["downloadURL"].startswith(
        f"https://127.0.0.1:1{DOWNLOAD_PREFIX}"
    )
    assert "status" not in store.get(
        "downloadrequests.velero.io", "none", "velero"
    )  # as Velero: left unprocessed
    blob = ctl.storage.get(status["downloadURL"].rsplit("/", 1)[-1])
    assert blob is not None
    items = parse_tarball(blob)
    assert (
        len(items) == backed_up["progress"]["itemsBackedUp"]
    )  # legacy and preferred-version paths: one item
    assert items[("configmaps", "default", "gone")].obj["data"] == {"k": "v"}
    assert ("namespaces", "", "default") in items

    store.create(velero("Restore", "r", {"backupName": "b", "namespaceMapping": {"default": "copy"}}))
    settle(store, ctl, clock)
    assert store.get("restores.velero.io", "r", "velero")["status"]["phase"] == "Completed"  # says nothing
    names = {c["metadata"]["name"] for c in store.list("configmaps", "copy")}
    assert (
        "gone" not in names
        and store.get("configmaps", "changed", "copy")["data"]["sandbox-altered"] == "true"
    )
