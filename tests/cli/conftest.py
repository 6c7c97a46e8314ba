"""Fixtures for CLI tests against the per-test fake cluster (`kube_cluster`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture()
def kube_cli(kube_cluster, tmp_path: Path):  # type: ignore[no-untyped-def]
    """(the fake API server, an opsbook.yaml whose `my-cluster` reaches it) for `opsbook --config`."""
    server, cfg = kube_cluster
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude={"source"})), encoding="utf-8")
    return server, config
