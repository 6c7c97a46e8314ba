"""`opsbook backup export-cluster` against a seeded fake API over HTTPS (per test: it adds a CRD)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.core.errors import InputError, TargetError
from opsbook.engine.cluster_export import REDACTED, export_cluster

SECRET_B64 = "c2FuZGJveC1ub3QtYS1zZWNyZXQ="  # the seed's production/myapp-db password
KUBECTL = shutil.which("kubectl")


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


WIDGETS = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object"}}}]}}  # fmt: skip


def _with_widget(server: Any) -> None:
    server.store.create(WIDGETS)
    server.controllers.reconcile()  # established: served, in discovery
    server.store.create({"apiVersion": "example.com/v1", "kind": "Widget",
                         "metadata": {"name": "w1", "namespace": "production"}, "spec": {"size": 3}})  # fmt: skip


def test_export_every_kind_stripped_and_redacted(kube_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    _with_widget(server)
    out = tmp_path / "backup"
    lines: list[str] = []
    result = export_cluster(cfg, "my-cluster", out, progress=lines.append)
    index = json.loads((out / "index.json").read_text())
    files = {k["kind"]: k["file"] for k in index["kinds"] if k["file"]}
    for kind in ("ConfigMap", "Secret", "Deployment", "Namespace", "ClusterRole", "RoleBinding",
                 "CustomResourceDefinition", "Widget", "HorizontalPodAutoscaler", "Schedule"):  # fmt: skip
        assert kind in files, kind
    assert files["Widget"] == "example.com_v1_Widget.yaml" and files["ConfigMap"] == "core_v1_ConfigMap.yaml"
    kinds = {k["kind"] for k in index["kinds"]}
    assert not kinds & {"Event", "NodeMetrics", "PodMetrics", "ComponentStatus"}
    assert index["cluster"] == "my-cluster" and index["server_version"].startswith("v1.")
    assert index["secrets"] == "redacted" and result.summary()["objects"] == sum(
        k["count"] for k in index["kinds"]
    )
    assert any("Widget: 1" in line for line in lines)
    # Controlled objects are left out: their owner recreates them (the seed's pods all have owners).
    pods = next(k for k in index["kinds"] if k["kind"] == "Pod")
    assert pods["count"] == 0 and pods["owned_skipped"] > 0 and pods["file"] is None
    everything = [d for f in files.values() for d in _docs(out / f)]
    assert len(everything) == index["objects"]
    for doc in everything:
        meta = doc["metadata"]
        assert "status" not in doc and doc["apiVersion"] and doc["kind"]
        assert not {"uid", "resourceVersion", "creationTimestamp", "managedFields", "ownerReferences"} & set(
            meta
        )
    services = [d for d in _docs(out / files["Service"]) if d["metadata"]["name"] == "my-app"]
    assert services and "clusterIP" not in services[0]["spec"] and "clusterIPs" not in services[0]["spec"]
    widget = _docs(out / files["Widget"])[0]
    assert widget["spec"] == {"size": 3} and widget["metadata"]["namespace"] == "production"
    secret = next(d for d in _docs(out / files["Secret"]) if d["metadata"]["name"] == "myapp-db")
    assert secret["data"] == {"password": REDACTED}
    assert all(SECRET_B64 not in p.read_text() for p in out.iterdir()), "a secret value was written"
    assert "NOT included" in (out / "README.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary directory left behind"


def test_include_secrets_force_and_refusals(kube_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    out = tmp_path / "backup"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        export_cluster(cfg, "my-cluster", out)
    assert (out / "old.txt").read_text() == "keep me"
    export_cluster(cfg, "my-cluster", out, include_secrets=True, force=True)
    assert not (out / "old.txt").exists()
    secret = next(d for d in _docs(out / "core_v1_Secret.yaml") if d["metadata"]["name"] == "myapp-db")
    assert secret["data"] == {"password": SECRET_B64}
    assert json.loads((out / "index.json").read_text())["secrets"] == "values"
    # An unreachable cluster: a target error, the earlier export untouched, nothing half-written.
    server.stop()
    with pytest.raises(TargetError):
        export_cluster(cfg, "my-cluster", out, force=True)
    assert json.loads((out / "index.json").read_text())["secrets"] == "values"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_accepts_reapply(kube_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, cfg = kube_cluster
    out = tmp_path / "backup"
    export_cluster(cfg, "my-cluster", out)
    env = {**os.environ, "KUBECONFIG": cfg.clusters[0].kubeconfig}
    for name in ("apps_v1_Deployment.yaml", "core_v1_ConfigMap.yaml", "core_v1_Service.yaml"):
        done = subprocess.run([str(KUBECTL), "--cache-dir", str(tmp_path / "cache"), "apply", "--dry-run=server",
                               "-f", str(out / name)], env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "(server dry run)" in done.stdout
    refused = subprocess.run([str(KUBECTL), "--cache-dir", str(tmp_path / "cache"), "apply", "--dry-run=server",
                              "-f", str(out / "core_v1_Secret.yaml")], env=env, capture_output=True, text=True,
                             timeout=60)  # fmt: skip
    assert refused.returncode != 0 and "illegal base64" in refused.stderr  # never over a live Secret


def test_an_unwritable_output_is_refused_before_the_cluster_is_read(  # type: ignore[no-untyped-def]
    kube_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsbook.engine import cluster_export

    _, cfg = kube_cluster

    def denied(**_: Any) -> str:
        raise PermissionError(13, "Permission denied", str(tmp_path / ".out.x"))

    monkeypatch.setattr(cluster_export.tempfile, "mkdtemp", denied)
    lines: list[str] = []
    with pytest.raises(InputError, match=r"cannot write in .*\(Permission denied\)"):
        export_cluster(cfg, "my-cluster", tmp_path / "out", progress=lines.append)
    assert lines == [] and not (tmp_path / "out").exists()
