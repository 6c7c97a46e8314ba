"""`opsbook backup export-cluster` through the CLI: the session sandbox's my-cluster, exit codes 0/2/3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from opsbook.cli.main import main


def test_export_cluster_json_summary_and_usage_errors(  # type: ignore[no-untyped-def]
    sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(sandbox.write_config(tmp_path / "opsbook.yaml", f"sqlite:///{tmp_path}/db.sqlite"))
    out = tmp_path / "export"
    args = ["--config", config, "backup", "export-cluster", "--cluster", "my-cluster", "-o", str(out)]
    assert main([*args, "-f", "json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["cluster"] == "my-cluster" and summary["include_secrets"] is False
    assert "v1 ConfigMap: 2" in captured.err  # progress on stderr
    by_kind = {k["kind"]: k for k in summary["kinds"]}
    configmaps = list(yaml.safe_load_all((out / by_kind["ConfigMap"]["file"]).read_text()))
    assert {c["metadata"]["name"] for c in configmaps} == {"aws-auth", "myapp-config"}
    assert (
        by_kind["ConfigMap"]["count"] == 2
        and json.loads((out / "index.json").read_text())["objects"] == (summary["objects"])
    )
    assert main(args) == 2 and "not empty" in capsys.readouterr().err
    assert main([*args[:-1], str(tmp_path / "new"), "--cluster", "nope"]) == 2
    assert "--cluster nope: no such cluster" in capsys.readouterr().err


def test_unreachable_cluster_exits_3_and_writes_nothing(  # type: ignore[no-untyped-def]
    kube_cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, cfg = kube_cluster
    server.stop()
    config = tmp_path / "opsbook.yaml"
    config.write_text(
        yaml.safe_dump(cfg.model_dump(mode="json", include={"storage", "clusters"}, exclude_none=True))
    )
    out = tmp_path / "export"
    assert (
        main(["--config", str(config), "backup", "export-cluster", "--cluster", "my-cluster", "-o", str(out)])
        == 3
    )
    assert "my-cluster" in capsys.readouterr().err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
