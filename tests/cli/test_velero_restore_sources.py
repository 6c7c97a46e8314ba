"""`opsbook plan restore-velero --namespace-mapping SRC=DEST` from a backup of every namespace (the seeded
schedule backups, `includedNamespaces: ["*"]`): a source the backup cannot hold is refused at plan time (one
line, exit 2, no plan written) — one created after the backup started, or one the backup excludes; one that
existed before it is planned; one that no longer exists
is judged by the backup's contents (a DownloadRequest), as `velero backup describe --details` reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_scale_deployment import cli

BACKUPS = "backups.velero.io"


def everything_backup(server: Any) -> dict[str, Any]:
    """A seeded Completed backup of every namespace (the one `latest` would not necessarily pick)."""
    done = [b for b in server.store.list(BACKUPS, "velero") if b["status"].get("phase") == "Completed"]
    return next(b for b in done if b["spec"].get("includedNamespaces") == ["*"])


def test_mapping_sources_an_all_namespaces_backup_cannot_hold_are_refused(
    kube_cli: Any, tmp_path: Path, capsys: Any
) -> None:
    server, config = kube_cli
    backup = everything_backup(server)
    name, out = backup["metadata"]["name"], tmp_path / "restore.json"

    def plan(mapping: str) -> int:
        capsys.readouterr()
        return cli(config, "plan", "restore-velero", "--cluster", "my-cluster", "--backup", name,
                   "--namespace-mapping", mapping, "-o", str(out))  # fmt: skip

    assert plan("production=prod-copy") == 0  # seeded 400 days before the backup
    assert json.loads(out.read_text())["warnings"] == []
    out.unlink()

    server.store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "late"}})
    assert plan("late=late-copy") == 2
    err = capsys.readouterr().err.strip()
    assert f"Backup {name} does not hold namespace late" in err and len(err.splitlines()) == 1, err
    assert not out.exists()

    backup["spec"]["excludedNamespaces"] = ["production"]
    server.store.replace(BACKUPS, name, backup, namespace="velero")
    assert plan("production=prod-copy") == 2
    assert "does not hold namespace production" in capsys.readouterr().err

    # gone from the cluster: the backup's contents (a DownloadRequest, as `velero backup describe --details`) say
    assert plan("gone=gone-copy") == 2
    assert f"Backup {name} does not hold namespace gone" in capsys.readouterr().err
    backup = server.store.get(BACKUPS, name, "velero")
    backup["spec"].pop("excludedNamespaces")
    server.store.replace(BACKUPS, name, backup, namespace="velero")
    server.store.delete("namespaces", "production")
    assert plan("production=prod-copy") == 0  # deleted since, but in the backup: planned, nothing to warn
    assert json.loads(out.read_text())["warnings"] == []
    assert not server.store.list("downloadrequests.velero.io", "velero")  # the request is cleaned up
