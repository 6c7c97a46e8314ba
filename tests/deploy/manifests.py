"""The deploy/ tree rendered as kubectl renders it: `kubectl kustomize deploy/kubernetes/overlays/NAME`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
OVERLAYS = ("service", "cronjob", "temporal")
KUBECTL = shutil.which("kubectl")
Obj = dict[str, Any]


def need_kubectl() -> str:
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH (it renders the kustomizations: `kubectl kustomize`)")
    return KUBECTL


@cache
def rendered(overlay: str) -> str:
    done = subprocess.run(
        [need_kubectl(), "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def objects(overlay: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(rendered(overlay)) if d]


def find(docs: list[Obj], kind: str, name: str | None = None) -> list[Obj]:
    return [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]


def pod_specs(docs: list[Obj]) -> Iterator[tuple[str, Obj]]:
    """(workload name, pod spec) of every Deployment and CronJob."""
    for d in docs:
        if d["kind"] == "Deployment":
            yield d["metadata"]["name"], d["spec"]["template"]["spec"]
        elif d["kind"] == "CronJob":
            yield d["metadata"]["name"], d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
